"""The one table of metric definitions.

Every metric the toolkit reports is a row of :data:`METRICS` (and of :func:`metric_table`):

* ``id``: the contract name used by tests, reports, parameter files and users;
* ``label``, ``unit``, ``definition``: what a reader sees;
* ``source``: the tidy tables (or source ids of :data:`benchmark.data.sources.SOURCES_BY_ID`) a
  metric draws on, joined by ``+``, or ``local`` for a council's own inputs (values supplied by
  :mod:`benchmark.local`); each figure cites the source files of its own year, found in the
  tables (:func:`benchmark.metrics.compute.sources_for_year`), so no data year is written here;
* ``polarity``: ``higher_better``, ``lower_better`` or ``neither`` (context and cost metrics where
  a difference is a question, not a verdict);
* ``kind``: ``rate`` (value = multiplier x numerator / denominator, shown on a funnel plot) or
  ``level`` (no denominator, no funnel);
* ``denominator``: what the denominator counts (rates only); ``multiplier``: 1, 100, 1000 or
  100000; ``error_model``: ``poisson`` (counts or money per unit of denominator) or ``binomial``
  (percentages of a count) for funnel limits;
* ``gap_reference`` and ``gap_unit``: the gap in natural units is (reference - value) x
  denominator / multiplier, where reference is the comparator ``median`` (``mean`` for staffing,
  as the sector states it), e.g. £ for spend per head, £ for unit costs (x client weeks), FTE
  for staff per 1,000 65+;
* ``recipe``: how :mod:`benchmark.metrics.compute` builds national values (``None`` for local);
* ``key_areas`` and ``cqc_themes``: the themes peer teams and inspectors work to that the metric
  speaks to (keys of :data:`KEY_AREAS` and :data:`CQC_THEMES`, at least one of each), so the peer
  team's pre-reading pack (:mod:`benchmark.report.pack`) is organised by them.
"""
from __future__ import annotations

import re

import pandas as pd

POLARITIES = ("higher_better", "lower_better", "neither")
KINDS = ("rate", "level")

#: The LGA's Key Areas of Focus for adult social care peer challenges, in their order (the benchmark
#: of the Southampton challenge, its Appendix 1).
KEY_AREAS = {
    "outcomes": "Outcomes for people who need care and support",
    "participation": "Participation",
    "leadership": "Vision, strategy and leadership",
    "working_together": "Working together",
    "resources": "Resource and workforce management",
    "service_delivery": "Service delivery and effective practice",
    "commissioning": "Commissioning and market shaping",
    "improvement": "Improvement and innovation",
}
#: CQC's assessment themes for councils' adult social care (since 2023).
CQC_THEMES = {
    "working_with_people": "Working with people",
    "providing_support": "Providing support",
    "ensuring_safety": "How the council ensures safety within the system",
    "leadership": "Leadership",
}

_SETTINGS = {
    "residential": (("residential",), "residential care"),
    "nursing": (("nursing",), "nursing care"),
    "home_care": (("home_care",), "home care"),
    "direct_payments": (("direct_payments",), "direct payments"),
    "supported_living": (("supported_living",), "supported living"),
    "other": (("other_long_term_care", "supported_accommodation"), "other long-term care and supported accommodation"),
}
#: every named long-term support setting (ASC-FR's 2016-17 key 5, undecoded and £0 throughout, is not one)
LONG_TERM_SETTINGS: tuple[str, ...] = tuple(setting for settings, _ in _SETTINGS.values() for setting in settings)
_AGES = {"65plus": ("65+", "65+"), "18to64": ("18-64", "18-64")}
_GCE_SOURCES = "ascfr_expenditure+population_by_age"


def _spend_per_head_of(band: str) -> dict:
    """What every £-per-head-of-an-age-band spend metric shares: no better direction, a rate of the
    band's ONS population with Poisson funnel limits, its gap to the median in £."""
    return {"polarity": "neither", "kind": "rate", "denominator": f"population aged {band} (ONS mid-year)", "multiplier": 1,
            "error_model": "poisson", "gap_reference": "median", "gap_unit": "gbp", "topic": "spend"}


def _gce_per_head(age: str) -> dict:
    band, _ = _AGES[age]
    return {
        "id": f"gce_{age}_per_head_{age}_gbp",
        "label": f"Gross current expenditure per head, {band} (long- and short-term care)",
        "unit": "gbp_per_head",
        "definition": f"ASC-FR gross current expenditure on long-term and short-term care for clients aged {band} "
                      f"(mandatory rows, all primary support reasons and settings) divided by the ONS mid-year "
                      f"population aged {band} of the year the financial year starts in",
        "source": _GCE_SOURCES, **_spend_per_head_of(band),
        "recipe": {"from": "expenditure", "age_band": band, "care_types": ("long_term", "short_term"), "settings": None,
                   "denominator": ("population", band)},
    }


# Long-term care by setting is one series across ASC-FR's shapes: the older packs (council rows by
# primary support reason, summed here) and NHS England's data file extract (all reasons, from its
# first year on); both are mandatory gross current expenditure on long-term care, same definition.
_LTC_SOURCES = "ascfr_expenditure+ascfr_datafile+population_by_age"
_LTC_SERIES = ("from the older ASC-FR packs (summed over primary support reasons) and, from its first year, "
               "NHS England's ASC-FR data file (all primary support reasons)")


def _gce_setting(age: str, setting: str) -> dict:
    band, _ = _AGES[age]
    settings, words = _SETTINGS[setting]
    return {
        "id": f"gce_{age}_{setting}_per_head_{age}_gbp",
        "label": f"Gross current expenditure per head {band}: {words}",
        "unit": "gbp_per_head",
        "definition": f"ASC-FR gross current expenditure on long-term {words} ({', '.join(settings)}) for clients aged "
                      f"{band} (mandatory rows, all primary support reasons) divided by the ONS mid-year population aged {band}; "
                      f"{_LTC_SERIES}",
        "source": _LTC_SOURCES, **_spend_per_head_of(band),
        "recipe": {"from": "long_term_care", "age_band": band, "settings": settings, "denominator": ("population", band)},
    }


def _long_term_total(age: str) -> dict:
    band, _ = _AGES[age]
    return {
        "id": f"gce_{age}_long_term_per_head_{age}_gbp",
        "label": f"Gross current expenditure per head {band}: all long-term care",
        "unit": "gbp_per_head",
        "definition": f"ASC-FR gross current expenditure on long-term care for clients aged {band}, every support setting "
                      f"(mandatory rows, all primary support reasons), divided by the ONS mid-year population aged {band}; "
                      f"{_LTC_SERIES} (the data file's own total; the packs' settings summed)",
        "source": _LTC_SOURCES, **_spend_per_head_of(band),
        "recipe": {"from": "long_term_care", "age_band": band, "settings": ("total",), "denominator": ("population", band)},
    }


def _care_home_share(age: str) -> dict:
    band, _ = _AGES[age]
    return {
        "id": f"care_home_share_of_long_term_{age}_pct",
        "label": f"Care homes' share of long-term care spend, {band}",
        "unit": "pct",
        "definition": f"ASC-FR gross current expenditure on long-term residential and nursing care for clients aged {band} "
                      f"as a percentage of their long-term care gross current expenditure in every setting; {_LTC_SERIES}",
        "source": "ascfr_expenditure+ascfr_datafile", "polarity": "neither", "kind": "rate",
        "denominator": f"long-term care gross current expenditure, {band} (£)", "multiplier": 100, "error_model": "binomial",
        "gap_reference": "median", "gap_unit": "gbp", "topic": "spend",
        "recipe": {"from": "long_term_care_share", "age_band": band, "settings": ("residential", "nursing")},
    }


# MHCLG's revenue outturn (RO3): the current finance data. Lines are RO3's own (benchmark/data/mhclg.py);
# age bands name RO3's line suffix and the ONS band of the denominator.
_RO3_SOURCES = "ro3+population_bands"
_RO3_AGES = {"18to64": ("18_64", "18-64"), "65plus": ("65plus", "65+")}
_RO3_CLIENT_GROUPS = {
    "physical_support": "physical support", "sensory_support": "sensory support",
    "memory_and_cognition": "support with memory and cognition", "learning_disability": "learning disability support",
    "mental_health": "mental health support",
}
_RO3_MEASURE_WORDS = {"gross_expenditure": "gross", "net_current_expenditure": "net current"}


def _ro3_per_head(metric_id: str, label: str, definition: str, measure: str, lines: tuple[str, ...], band: str,
                  sources: str = _RO3_SOURCES, recipe_from: str = "ro3_per_head") -> dict:
    return {
        "id": metric_id, "label": label, "unit": "gbp_per_head",
        "definition": f"{definition}, divided by the ONS mid-year population aged {band} of the year the financial year starts in",
        "source": sources, **_spend_per_head_of(band),
        "recipe": {"from": recipe_from, "measure": measure, "lines": lines, "denominator": ("population", band)},
    }


def _ro3_client_group(group: str, age: str) -> dict:
    suffix, band = _RO3_AGES[age]
    words = _RO3_CLIENT_GROUPS[group]
    return _ro3_per_head(
        f"asc_{group}_{age}_gross_per_head_{age}_gbp", f"Gross spend per head {band}: {words} (RO3)",
        f"MHCLG revenue outturn (RO3) gross expenditure (C3) on {words} for clients aged {band} (primary support reason line)",
        "gross_expenditure", (f"{group}_{suffix}",), band)


def _ro3_age_band(age: str) -> dict:
    suffix, band = _RO3_AGES[age]
    return _ro3_per_head(
        f"asc_{age}_gross_per_head_{age}_gbp", f"Gross spend per head {band}: all primary support reasons (RO3)",
        f"MHCLG revenue outturn (RO3) gross expenditure (C3) on the five primary support reason lines for clients aged {band} "
        "(physical, sensory, memory and cognition, learning disability, mental health; summed, missing if any is)",
        "gross_expenditure", tuple(f"{group}_{suffix}" for group in _RO3_CLIENT_GROUPS), band)


def _ro3_share(measure: str, label: str, words: str) -> dict:
    return {
        "id": f"asc_{measure}_pct_of_gross", "label": label, "unit": "pct",
        "definition": f"MHCLG revenue outturn (RO3), total adult social care: {words} as a percentage of gross expenditure (C3)",
        "source": "ro3", "polarity": "neither", "kind": "rate",
        "denominator": "gross expenditure on adult social care (£)", "multiplier": 100, "error_model": "binomial",
        "gap_reference": "median", "gap_unit": "gbp", "topic": "spend",
        "recipe": {"from": "ro3_share", "measure": measure},
    }


def _ro3_level(measure: str, metric_id: str, label: str) -> dict:
    return {
        "id": metric_id, "label": label, "unit": "gbp",
        "definition": f"MHCLG revenue outturn (RO3), total adult social care, {ro3_column(measure)}, in pounds "
                      "(published in £ thousand), as the publisher shows it",
        "source": "ro3", "polarity": "neither", "kind": "level", "denominator": None, "multiplier": 1, "error_model": None,
        "gap_reference": None, "gap_unit": None, "topic": "spend",
        "recipe": {"from": "ro3_level", "measure": measure},
    }


def ro3_column(measure: str) -> str:
    """RO3's column label for a measure id, e.g. 'Net current expenditure (C7 = C3 - C6)'."""
    from benchmark.data.mhclg import ro3_measure_labels

    label = ro3_measure_labels[measure]
    return label[0].lower() + label[1:]


def _budget_against_outturn() -> tuple[dict, dict]:
    common = {"source": "ra+ro3+rsx+rs", "polarity": "neither", "kind": "level", "denominator": None, "multiplier": 1,
              "error_model": None, "gap_reference": None, "gap_unit": None, "topic": "budget"}
    outturn = ("outturn: net current expenditure on adult social care from the revenue outturn of the same year "
               "(RO3's total where RO3 holds the year, else RSX's, which equals it council by council, else RS's)")
    budget = "budget: MHCLG Revenue Account (RA) net current expenditure on adult social care (line 360), set before the year"
    return (
        {**common, "id": "asc_budget_to_outturn_ratio", "label": "Budget set against net spend (RA budget / outturn)",
         "unit": "ratio", "definition": f"{budget}, divided by {outturn}; below 1 means the year cost more than was budgeted",
         "recipe": {"from": "budget_outturn", "measure": "ratio"}},
        {**common, "id": "asc_outturn_over_budget_pct", "label": "Spend over (+) or under (-) budget, % of budget",
         "unit": "pct", "definition": f"({outturn} minus {budget}) as a percentage of the budget; negative: under budget",
         "recipe": {"from": "budget_outturn", "measure": "over_budget_pct"}},
    )


def _unit_cost(age: str, setting: str) -> dict:
    band, _ = _AGES[age]
    return {
        "id": f"unit_cost_{setting}_{age}_gbp_per_week",
        "label": f"Weekly unit cost, long-term {setting} care, {band}",
        "unit": "gbp_per_client_week",
        "definition": f"ASC-FR 2016-17 gross current expenditure on long-term {setting} care for clients aged {band} "
                      f"(mandatory rows, summed over primary support reasons) divided by long-term {setting} client weeks "
                      f"(in-house plus external, summed over primary support reasons); only 2016-17 has both",
        "source": "ascfr_expenditure+ascfr_activity", "polarity": "lower_better", "kind": "rate",
        "denominator": "client weeks", "multiplier": 1, "error_model": "poisson",
        "gap_reference": "median", "gap_unit": "gbp", "topic": "unit_cost",
        "recipe": {"from": "unit_cost", "age_band": band, "settings": (setting,)},
    }


def _ascof(metric_id: str, label: str, pattern: str, band: str, polarity: str, note: str, codes: tuple[str, ...] = ()) -> dict:
    return {
        "id": metric_id, "label": label, "unit": "rate_per_100k",
        "definition": f"ASCOF measure, per 100,000 population aged {band}; {note}. Numerator derived as "
                      f"value x population / 100,000 (ONS mid-year of the financial year's start)",
        "source": "ascof", "polarity": polarity, "kind": "rate",
        "denominator": f"population aged {band} (ONS mid-year)", "multiplier": 100_000, "error_model": "poisson",
        "gap_reference": "median", "gap_unit": "count", "topic": "outcomes",
        "recipe": {"from": "ascof", "description_pattern": pattern, "codes_without_description": codes,
                   "denominator": ("population", band)},
    }


def _ascof_survey(metric_id: str, label: str, pattern: str, unit: str, note: str, key_areas: tuple[str, ...],
                  cqc_themes: tuple[str, ...], polarity: str = "higher_better", excluded_codes: tuple[str, ...] = ()) -> dict:
    """An ASCOF measure published as a percentage or a score, with no denominator in the file (most
    come from the adult social care or carers' surveys), so a level: no funnel, no counted gap."""
    return {
        "id": metric_id, "label": label, "unit": unit,
        "definition": f"ASCOF measure as published by NHS England: {note}",
        "source": "ascof", "polarity": polarity, "kind": "level", "denominator": None, "multiplier": 1,
        "error_model": None, "gap_reference": None, "gap_unit": None, "topic": "outcomes",
        "key_areas": key_areas, "cqc_themes": cqc_themes,
        "recipe": {"from": "ascof", "description_pattern": pattern, "excluded_codes": excluded_codes, "denominator": None},
    }


_USER_SURVEY = "from the annual survey of adult social care users (a sample: small differences may be chance)"
_CARER_SURVEY = "from the survey of adult carers, held every two or three years (a sample; the years with a value are those the survey ran)"
#: ASCOF's outcome measures other than the admissions and delayed transfers above: quality of life, control,
#: carers, safety, information, reablement, independence.  Chosen by description, since codes changed in 2023-24.
ASCOF_SURVEY_METRICS: tuple[dict, ...] = (
    _ascof_survey("ascof_quality_of_life_score", "Social care-related quality of life (users' score out of 24)",
                  r"^social care-related quality of life(?: score)?$", "score",
                  f"social care-related quality of life score, 0 to 24 (1A), {_USER_SURVEY}",
                  ("outcomes", "improvement"), ("working_with_people",)),
    _ascof_survey("ascof_control_over_daily_life_pct", "People who use services who have control over their daily life",
                  r"who use services who have control over their daily life", "pct",
                  f"percentage (1B until 2022-23, 3A in 2023-24), {_USER_SURVEY}", ("participation", "outcomes"), ("working_with_people",)),
    _ascof_survey("ascof_satisfaction_pct", "People who use services who are satisfied with their care and support",
                  r"^overall satisfaction of people who use services", "pct",
                  f"percentage extremely or very satisfied (3A until 2022-23, 1D in 2023-24), {_USER_SURVEY}",
                  ("outcomes",), ("working_with_people",)),
    _ascof_survey("ascof_social_contact_pct", "People who use services who have as much social contact as they would like",
                  r"people who use services who reported that they had as much social contact", "pct",
                  f"percentage (1I1 until 2022-23, 5A1 in 2023-24), {_USER_SURVEY}", ("outcomes", "participation"),
                  ("working_with_people",)),
    _ascof_survey("ascof_carer_quality_of_life_score", "Carer-reported quality of life (score out of 12)",
                  r"^carer-reported quality of life", "score", f"carer-reported quality of life score, 0 to 12 (1D, 1C in 2023-24), {_CARER_SURVEY}",
                  ("outcomes", "participation"), ("working_with_people",)),
    _ascof_survey("ascof_carers_included_pct", "Carers who were included or consulted about the person they care for",
                  r"carers who report that they have been included or consulted", "pct",
                  f"percentage (3C, 3B in 2023-24), {_CARER_SURVEY}", ("participation", "working_together"), ("working_with_people",)),
    _ascof_survey("ascof_carer_satisfaction_pct", "Carers who are satisfied with social services",
                  r"^overall satisfaction of carers", "pct", f"percentage extremely or very satisfied (3B, 1E in 2023-24), {_CARER_SURVEY}",
                  ("outcomes", "participation"), ("working_with_people",)),
    _ascof_survey("ascof_feel_safe_pct", "People who use services who feel safe",
                  r"who use services who feel safe$", "pct", f"percentage (4A), {_USER_SURVEY}",
                  ("outcomes", "service_delivery"), ("ensuring_safety",)),
    _ascof_survey("ascof_easy_to_find_information_pct", "People who use services who find it easy to find information",
                  r"people who use services who find it easy to find information", "pct",
                  f"percentage of those who tried (3D1 until 2022-23, 3C1 in 2023-24), {_USER_SURVEY}",
                  ("participation", "service_delivery"), ("working_with_people",)),
    _ascof_survey("ascof_carers_easy_to_find_information_pct", "Carers who find it easy to find information",
                  r"^(?:the )?proportion of carers who find it easy to find information", "pct",
                  f"percentage of those who tried (3D2, 3C2 in 2023-24), {_CARER_SURVEY}", ("participation",), ("working_with_people",)),
    _ascof_survey("ascof_reablement_at_home_91_days_pct", "Older people still at home 91 days after hospital discharge into reablement",
                  r"still at home 91 days after discharge from hospital into reablement/rehabilitation services(?: effectiveness of the service)?$",
                  "pct", "percentage of people aged 65+ discharged from hospital into reablement or rehabilitation who were at home "
                  "91 days later (2B1 until 2022-23, 2D1 in 2023-24), from the council's records of October to December discharges",
                  ("outcomes", "working_together", "improvement"), ("working_with_people", "providing_support")),
    _ascof_survey("ascof_reablement_offered_pct", "Older people offered reablement after hospital discharge",
                  r"offered reablement services following discharge|91 days after discharge .*offered the service$"
                  r"|received reablement/rehabilitation services after discharge",
                  "pct", "percentage of people aged 65+ discharged from hospital who were offered reablement or rehabilitation "
                  "(2B2 until 2022-23, 2D2 in 2023-24), from hospital episode statistics and the council's records",
                  ("working_together", "service_delivery"), ("working_with_people", "providing_support")),
    _ascof_survey("ascof_short_term_no_further_support_pct", "Short-term support that ended with no further support or less",
                  r"sequel to service", "pct",
                  "percentage of people who finished short-term support in the year and then needed no ongoing support or support of a "
                  "lower level (2D until 2022-23, 2A in 2023-24); NHS England's direction file says lower is better, but the "
                  "measure's own definition makes higher better", ("service_delivery", "improvement"), ("working_with_people",)),
    _ascof_survey("ascof_learning_disability_at_home_pct", "Adults with a learning disability who live in their own home or with family",
                  r"adults with (?:a )?learning disabilit(?:y|ies) who live in their own home", "pct",
                  "percentage of adults with a learning disability receiving long-term support (1G until 2022-23, 2E in 2023-24), "
                  "from the council's records", ("outcomes", "commissioning"), ("providing_support",)),
    # 2019-20 repeats the people's descriptions on the carers' rows (1C1B, 1C2B): those codes are left out
    _ascof_survey("ascof_direct_payments_pct", "People using social care who receive direct payments",
                  r"people (?:using social care|who use services) who receive direct payments", "pct",
                  "percentage of people receiving community-based long-term support (1C2A until 2022-23, 3D2A in 2023-24), "
                  "from the council's records", ("participation", "commissioning"), ("working_with_people", "providing_support"),
                  excluded_codes=("1C1B", "1C2B")),
)


def _local(metric_id: str, label: str, unit: str, definition: str, polarity: str, kind: str, denominator: str | None = None,
           multiplier: int = 1, error_model: str | None = None, gap_reference: str | None = None, gap_unit: str | None = None,
           topic: str = "local") -> dict:
    return {
        "id": metric_id, "label": label, "unit": unit, "definition": definition, "source": "local", "polarity": polarity,
        "kind": kind, "denominator": denominator, "multiplier": multiplier, "error_model": error_model,
        "gap_reference": gap_reference, "gap_unit": gap_unit, "topic": topic, "recipe": None,
    }


METRICS: tuple[dict, ...] = (
    _gce_per_head("65plus"),
    _gce_per_head("18to64"),
    *(_gce_setting(age, setting) for age in ("65plus", "18to64") for setting in _SETTINGS),
    *(_long_term_total(age) for age in ("65plus", "18to64")),
    *(_care_home_share(age) for age in ("65plus", "18to64")),
    _ro3_per_head("asc_gross_per_head_18plus_gbp", "Gross spend on adult social care per head 18+ (RO3)",
                  "MHCLG revenue outturn (RO3) gross expenditure (C3), total adult social care", "gross_expenditure", ("total",), "18+"),
    _ro3_per_head("asc_net_per_head_18plus_gbp", "Net spend on adult social care per head 18+",
                  "Net current expenditure on adult social care from MHCLG's revenue outturn: RO3's total (C7) where RO3 holds "
                  "the year, else RSX's adult social care total (equal to RO3's council by council), else RS's (line 360)",
                  "net_current_expenditure", ("total",), "18+", sources="ro3+rsx+rs+population_bands", recipe_from="net_outturn"),
    *(_ro3_age_band(age) for age in _RO3_AGES),
    *(_ro3_client_group(group, age) for age in _RO3_AGES for group in _RO3_CLIENT_GROUPS),
    _ro3_per_head("asc_care_assessment_gross_per_head_18plus_gbp", "Care assessment and safeguarding: gross spend per head 18+ (RO3)",
                  "MHCLG revenue outturn (RO3) gross expenditure (C3) on care assessment and safeguarding (the social care "
                  "activities of assessment and care management)", "gross_expenditure", ("care_assessment_safeguarding",), "18+"),
    _ro3_share("sales_fees_charges", "Share of gross spend met by sales, fees and charges (RO3)",
               "sales, fees and charges (C4, mostly client contributions)"),
    _ro3_share("other_income", "Share of gross spend met by other income (RO3)",
               "other income (C5: NHS, Better Care Fund and other contributions)"),
    _ro3_share("employees", "Employees' share of gross spend (RO3)", "employees (C1)"),
    _ro3_level("gross_expenditure", "asc_gross_expenditure_gbp", "Gross spend on adult social care (RO3), £"),
    _ro3_level("net_current_expenditure", "asc_net_expenditure_gbp", "Net spend on adult social care (RO3), £"),
    *_budget_against_outturn(),
    *(_unit_cost(age, setting) for age in ("65plus", "18to64") for setting in ("residential", "nursing")),
    {
        "id": "bcf_income_gbp", "label": "Income from the Better Care Fund (ASC-FR)", "unit": "gbp",
        "definition": "ASC-FR additional data: income from the Better Care Fund reaching adult social care, £ "
                      "(2015-16 voluntary item, 2016-17 mandatory item)",
        "source": "ascfr_additional", "polarity": "neither", "kind": "level",
        "denominator": None, "multiplier": 1, "error_model": None, "gap_reference": None, "gap_unit": None,
        "topic": "bcf", "recipe": {"from": "additional", "measure": "income_from_better_care_fund"},
    },
    _ascof("care_home_admissions_65plus_per_100k", "Permanent admissions to care homes, 65+, per 100,000",
           r"older adults.*admission to residential and nursing care homes", "65+", "lower_better",
           "ASCOF 2A2 to 2022-23, 2C in 2023-24 (selected by description, since codes changed; 2017-18 rows "
           "have no description and are taken by code 2A2)", ("2A2",)),
    _ascof("care_home_admissions_18to64_per_100k", "Permanent admissions to care homes, 18-64, per 100,000",
           r"younger adults.*admission to residential and nursing care homes", "18-64", "lower_better",
           "ASCOF 2A1 to 2022-23, 2B in 2023-24 (selected by description; 2017-18 by code 2A1)", ("2A1",)),
    _ascof("delayed_transfers_per_100k", "Delayed transfers of care from hospital, per 100,000 (18+)",
           r"^delayed transfers of care from hospital,? per 100,000", "18+", "lower_better",
           "ASCOF 2C1, 2017-18 to 2019-20 (collection stopped in 2020)"),
    _ascof("delayed_transfers_asc_per_100k", "Delayed transfers attributable to adult social care, per 100,000 (18+)",
           r"^delayed transfers of care from hospital (?:that|which) (?:are|is) attributable to adult social care", "18+",
           "lower_better", "ASCOF 2C2, 2017-18 to 2019-20"),
    _ascof("delayed_transfers_joint_per_100k", "Delayed transfers jointly attributable to NHS and ASC, per 100,000 (18+)",
           r"jointly attributable to (?:the )?nhs and adult social care", "18+", "lower_better", "ASCOF 2C3, 2017-18 to 2019-20"),
    *ASCOF_SURVEY_METRICS,
    {
        "id": "share_65plus_aged_85plus_pct", "label": "Share of the 65+ population aged 85+", "unit": "pct",
        "definition": "ONS mid-year population aged 85+ as a percentage of the population aged 65+; mid-year YYYY "
                      "is shown against financial year YYYY-YY",
        "source": "population_by_age",
        "polarity": "neither", "kind": "level", "denominator": None, "multiplier": 100, "error_model": None,
        "gap_reference": None, "gap_unit": None, "topic": "context",
        "recipe": {"from": "population_share", "numerator": "85+", "denominator": "65+"},
    },
    {
        "id": "imd_average_score", "label": "Index of Multiple Deprivation, average score", "unit": "score",
        "definition": "English Indices of Deprivation, upper-tier summary, IMD average score (higher = more deprived); "
                      "edition YYYY is shown against financial year YYYY-YY",
        "source": "deprivation", "polarity": "neither", "kind": "level", "denominator": None,
        "multiplier": 1, "error_model": None, "gap_reference": None, "gap_unit": None, "topic": "context",
        "recipe": {"from": "deprivation", "domain": "imd", "measure": "average_score"},
    },
    {
        "id": "idaopi_average_score", "label": "Income deprivation affecting older people (IDAOPI), average score",
        "unit": "score",
        "definition": "English Indices of Deprivation, upper-tier summary, IDAOPI average score (share of people 60+ "
                      "income-deprived); edition YYYY is shown against financial year YYYY-YY",
        "source": "deprivation", "polarity": "neither", "kind": "level", "denominator": None,
        "multiplier": 1, "error_model": None, "gap_reference": None, "gap_unit": None, "topic": "context",
        "recipe": {"from": "deprivation", "domain": "idaopi", "measure": "average_score"},
    },
    _local("staff_per_1000_65plus", "Adult social care staff per 1,000 population aged 65+", "per_1000",
           "Council's ASC staff (FTE as supplied by the council's establishment) per 1,000 ONS mid-year population aged 65+",
           "neither", "rate", "population aged 65+ (ONS mid-year)", 1000, "poisson", "mean", "fte", "workforce"),
    _local("bcf_pooled_gbp", "Better Care Fund: total pooled budget", "gbp",
           "Total pooled BCF budget (all contributors) from the council's BCF plan", "neither", "level", topic="bcf"),
    _local("bcf_pooled_to_minimum_ratio", "Better Care Fund: pooled budget / national minimum", "ratio",
           "Total pooled BCF budget divided by the national minimum pooling requirement", "neither", "level", topic="bcf"),
    _local("care_home_fee_weighted_average_residential_gbp_per_week", "Care home fees: weighted average, residential",
           "gbp_per_week", "Placement-weighted average weekly fee paid for residential placements (council fee schedule)",
           "neither", "rate", "placements", 1, "poisson", "median", "gbp_per_week", "fees"),
    _local("care_home_fee_weighted_average_nursing_gbp_per_week", "Care home fees: weighted average, nursing",
           "gbp_per_week", "Placement-weighted average weekly fee paid for nursing placements (council fee schedule)",
           "neither", "rate", "placements", 1, "poisson", "median", "gbp_per_week", "fees"),
    _local("care_home_fee_band_count", "Care home fees: number of fee bands", "count",
           "Number of distinct fee bands in the council's care home fee schedule", "neither", "level", topic="fees"),
    _local("care_home_placements_above_band_pct", "Care home placements paid above the band rate", "pct",
           "Percentage of care home placements whose weekly fee exceeds their band rate", "lower_better", "rate",
           "placements", 100, "binomial", "median", "placements", "fees"),
    _local("package_weekly_cost_median_gbp", "Median weekly cost of a care package", "gbp_per_week",
           "Median weekly cost over the council's open care packages", "neither", "level", topic="packages"),
    _local("packages_overdue_review_pct", "Care packages overdue for review (over 12 months)", "pct",
           "Percentage of open packages not reviewed in the last 12 months", "lower_better", "rate", "open packages",
           100, "binomial", "median", "packages", "packages"),
)

#: The themes of every metric not given its own (first match of the metric id wins): (id pattern,
#: LGA key areas, CQC themes).  Spend is a question of resources and, where it buys a kind of care,
#: of commissioning; the need context is where a strategy starts.
_THEME_RULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (r"^asc_(?:net|gross)_(?:per_head_18plus|expenditure)_gbp$", ("resources", "leadership"), ("leadership",)),
    (r"^asc_(?:budget_to_outturn|outturn_over_budget)", ("leadership", "resources"), ("leadership",)),
    (r"^asc_care_assessment", ("service_delivery", "resources"), ("working_with_people", "ensuring_safety")),
    (r"^asc_other_income", ("working_together", "resources"), ("leadership",)),  # NHS and Better Care Fund contributions
    (r"^asc_(?:sales_fees_charges|employees)_pct", ("resources",), ("leadership",)),
    (r"^asc_(?:65plus|18to64)_gross", ("resources",), ("leadership",)),
    (r"^asc_\w+_gross_per_head", ("resources", "service_delivery"), ("providing_support",)),  # client groups
    (r"direct_payments", ("participation", "commissioning"), ("working_with_people", "providing_support")),
    (r"home_care|supported_living|_other_per_head|care_home_share", ("commissioning", "service_delivery"), ("providing_support",)),
    (r"_(?:residential|nursing)_per_head", ("commissioning", "resources"), ("providing_support",)),
    (r"^gce_", ("resources",), ("leadership",)),  # all long-term care, long- and short-term care together
    (r"^unit_cost_", ("commissioning", "resources"), ("providing_support",)),
    (r"^bcf_", ("working_together",), ("providing_support", "leadership")),
    (r"^care_home_admissions", ("outcomes", "service_delivery", "improvement"), ("working_with_people", "providing_support")),
    (r"^delayed_transfers", ("working_together", "outcomes"), ("ensuring_safety",)),  # safe hospital discharge
    (r"^(?:share_65plus_aged_85plus|imd_average|idaopi_average)", ("leadership",), ("working_with_people",)),
    (r"^staff_per_1000", ("resources",), ("leadership", "ensuring_safety")),
    (r"^care_home_(?:fee|placements)", ("commissioning",), ("providing_support",)),
    (r"^package_weekly_cost", ("resources", "commissioning"), ("providing_support",)),
    (r"^packages_overdue_review", ("service_delivery",), ("working_with_people", "ensuring_safety")),
)


def _with_themes(definition: dict) -> dict:
    if "key_areas" in definition:
        return definition
    for pattern, key_areas, cqc_themes in _THEME_RULES:
        if re.search(pattern, definition["id"]):
            return {**definition, "key_areas": key_areas, "cqc_themes": cqc_themes}
    raise AssertionError(f"metric {definition['id']} has no theme: add it to _THEME_RULES")


METRICS = tuple(_with_themes(m) for m in METRICS)
LOCAL_METRIC_IDS = tuple(m["id"] for m in METRICS if m["source"] == "local")


def metric_table() -> pd.DataFrame:
    """:data:`METRICS` as a DataFrame indexed by ``id`` (without the ``recipe`` column)."""
    return pd.DataFrame([{k: v for k, v in m.items() if k != "recipe"} for m in METRICS]).set_index("id", drop=False)


def metric(metric_id: str) -> dict:
    for definition in METRICS:
        if definition["id"] == metric_id:
            return definition
    raise KeyError(metric_id)


def _check() -> None:
    ids = [m["id"] for m in METRICS]
    assert len(ids) == len(set(ids)), "duplicate metric id"
    for m in METRICS:
        assert m["polarity"] in POLARITIES and m["kind"] in KINDS, m["id"]
        assert (m["kind"] == "rate") == (m["denominator"] is not None), m["id"]
        assert m["key_areas"] and set(m["key_areas"]) <= set(KEY_AREAS), m["id"]
        assert m["cqc_themes"] and set(m["cqc_themes"]) <= set(CQC_THEMES), m["id"]


_check()
