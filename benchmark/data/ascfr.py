"""Adult Social Care Finance Return (ASC-FR, NHS Digital): expenditure, activity, additional data.

Three shipped vintages, three shapes, one tidy output:

* **2017-18** gross current expenditure, labelled, already in £ (a researcher's conversion of
  NHS Digital's file, with the '99' subtotal rows removed).  173 values are negative as published
  and are kept: gross spend nets off some adjustments in the return.
* **2016-17** CSV pack, keyed (``*_KEY`` integers, no lookup shipped).  :data:`KEYS_2016_17`
  decodes every key used; how each decode was established is in ``docs/ascfr-keys.md``.  Money is
  in £000 and converted to £.  ``:`` marks a suppressed value and becomes missing.  The pack also
  holds region and England aggregate rows (no CASSR code), which are kept apart for reconciliation.
* **2015-16** activity and additional data, labelled, identified by CASSR code only; CASSR codes are
  mapped to ONS codes through the registry for that year.

Double counting: the 65-74, 75-84 and 85+ age bands are *voluntary* splits of the 65+ band.  Every
row carries ``data_type`` (``mandatory``/``voluntary``); sum mandatory rows only.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.data.councils import CouncilRegistry
from benchmark.data.readers import ProblemLog, read_csv, to_number
from benchmark.data.tidy import tidy

FILES = {
    "gce_2017_18": "ascfr/Support Type With Populations with per100k.rds.csv",
    "totals_2016_17": "ascfr/CSV ASCFR Totals.csv",
    "activity_2016_17": "ascfr/CSV ASCFR Activity.csv",
    "additional_2016_17": "ascfr/CSV ASCFR Additional.csv",
    "activity_2015_16": "ascfr/pss-exp-eng-15-16-fin-act.csv",
    "additional_2015_16": "ascfr/pss-exp-eng-15-16-fin-add-data.csv",
}

SOURCE_IDS = {
    "gce_2017_18": "ascfr_2017_18_gce",
    "totals_2016_17": "ascfr_2016_17_totals",
    "activity_2016_17": "ascfr_2016_17_activity",
    "additional_2016_17": "ascfr_2016_17_additional",
    "activity_2015_16": "ascfr_2015_16_activity",
    "additional_2015_16": "ascfr_2015_16_additional",
}

EXPENDITURE_KEYS = ["care_type", "age_band", "primary_support_reason", "support_setting", "purpose", "carer_support_type", "data_type"]
ACTIVITY_KEYS = ["care_type", "provision", "age_band", "primary_support_reason", "support_setting", "purpose", "data_type"]
ADDITIONAL_KEYS = ["form_section", "age_band", "data_type"]

#: Decodes of the 2016-17 pack's keys.  See docs/ascfr-keys.md for the evidence behind each.
KEYS_2016_17: dict[str, dict[int, str]] = {
    "CareType_KEY": {2: "long_term", 3: "other", 4: "short_term"},
    "AgeBand_KEY": {1: "18-64", 2: "65+", 3: "65-74", 4: "75-84", 5: "85+"},
    "PrimarySupportReason_KEY": {
        1: "assistive_equipment_and_technology",
        2: "commissioning_and_service_delivery",
        3: "information_and_early_intervention",
        4: "learning_disability",
        5: "mental_health",
        6: "physical",
        7: "sensory",
        8: "social_care_activities",
        9: "asylum_seeker_support",
        10: "substance_misuse_support",
        11: "social_isolation_and_other_support",
        12: "support_to_carers",
        13: "memory_and_cognition",
    },
    "SupportSetting_KEY": {
        1: "direct_payments",
        2: "home_care",
        3: "other_long_term_care",
        4: "supported_living",
        # Key 5 is £0 in every row of the pack (income only in some aggregate rows); not decoded.
        5: "setting_key_5_undecoded",
        6: "nursing",
        7: "residential",
        9: "supported_accommodation",
    },
    "Purpose_KEY": {1: "other_short_term", 2: "maximise_independence"},
    "CarerSupportType_KEY": {1: "direct_payments", 2: "other"},
    "ActivityProvision_KEY": {2: "external", 3: "in_house"},
    "DataType_KEY": {1: "mandatory", 2: "voluntary"},
    "Datatype_KEY": {1: "mandatory", 2: "voluntary"},
    "DataSource_KEY": {1: "additional_data", 2: "bridging_year"},
}

#: 2016-17 Additional table items by form cell (UUID), named as in the labelled 2015-16 file,
#: whose UUIDs are the same cells of the same form.
ADDITIONAL_ITEMS: dict[str, tuple[str, str]] = {
    "8326110": ("income_from_specific_and_special_grants", "gbp"),
    "8328110": ("income_from_better_care_fund", "gbp"),
    "8510101": ("assessment_and_care_management_expenditure", "gbp"),
    "8510102": ("assessment_and_care_management_income", "gbp"),
    "8510201": ("residential_and_nursing_care_expenditure", "gbp"),
    "8510202": ("residential_and_nursing_care_income", "gbp"),
    "8510301": ("home_care_services_expenditure", "gbp"),
    "8510302": ("home_care_services_income", "gbp"),
    "8510401": ("community_based_services_expenditure", "gbp"),
    "8510402": ("community_based_services_income", "gbp"),
    "8510502": ("fairer_charging_income", "gbp"),
    "8510601": ("direct_payments_expenditure", "gbp"),
    "8510602": ("direct_payments_income", "gbp"),
    "8510701": ("other_expenditure", "gbp"),
    "8510702": ("other_expenditure_income", "gbp"),
    "8511101": ("assessment_and_care_management_expenditure", "gbp"),
    "8511102": ("assessment_and_care_management_income", "gbp"),
    "8511201": ("residential_and_nursing_care_expenditure", "gbp"),
    "8511202": ("residential_and_nursing_care_income", "gbp"),
    "8511301": ("home_care_services_expenditure", "gbp"),
    "8511302": ("home_care_services_income", "gbp"),
    "8511401": ("community_based_services_expenditure", "gbp"),
    "8511402": ("community_based_services_income", "gbp"),
    "8511502": ("fairer_charging_income", "gbp"),
    "8511601": ("direct_payments_expenditure", "gbp"),
    "8511602": ("direct_payments_income", "gbp"),
    "8511701": ("other_expenditure", "gbp"),
    "8511702": ("other_expenditure_income", "gbp"),
    "8512101": ("other_expenditure", "gbp"),
    "8512102": ("other_expenditure_income", "gbp"),
    "8513203": ("other_non_personal_social_services_expenditure", "gbp"),
    "8513303": ("income_from_specific_and_special_grants", "gbp"),
    "8643201": ("number_of_salt_clients", "persons"),
}

#: Labels of the 2015-16 and 2017-18 files, mapped to the same vocabulary as the 2016-17 keys.
LABELS = {
    "care_type": {"long term": "long_term", "short term": "short_term", "long term care": "long_term",
                  "short term care": "short_term", "other": "other"},
    "provision": {"in house": "in_house", "external": "external"},
    "age_band": {"age 18 to 64": "18-64", "age 65 and over": "65+", "age 65 to 74": "65-74",
                 "age 75 to 84": "75-84", "age 85 and over": "85+", "18 to 64": "18-64", "65 and over": "65+"},
    "primary_support_reason": {
        "physical support": "physical", "sensory support": "sensory",
        "support with memory and cognition": "memory_and_cognition",
        "learning disability support": "learning_disability", "mental health support": "mental_health",
        "assistive equipment and technology": "assistive_equipment_and_technology",
        "commissioning and service delivery": "commissioning_and_service_delivery",
        "information and early intervention": "information_and_early_intervention",
        "social care activities": "social_care_activities",
        "social support: asylum seeker support": "asylum_seeker_support",
        "social support: substance misuse support": "substance_misuse_support",
        "social support: support for social isolation/other": "social_isolation_and_other_support",
        "social support: support to carer": "support_to_carers",
    },
    "support_setting": {
        "residential": "residential", "nursing": "nursing",
        "community: direct payments": "direct_payments", "community: home care": "home_care",
        "community: supported living": "supported_living",
        "community: other long term care": "other_long_term_care",
        "supported accommodation": "supported_accommodation",
    },
    "purpose": {"to maximise independence": "maximise_independence", "other short term": "other_short_term"},
    "carer_support_type": {"community: direct payments": "direct_payments", "community: other": "other"},
    "data_type": {"mandatory": "mandatory", "voluntary": "voluntary", "voluntay": "voluntary"},
    "form_section": {"additional data": "additional_data", "bridging year": "bridging_year"},
}

MONEY_COLUMNS_2016_17 = {
    "GROSSCURRENTEXPENDITURE": "gross_current_expenditure",
    "NETCURRENTEXPENDITURE": "net_current_expenditure",
    "GROSSTOTALEXPENDITURE": "gross_total_expenditure",
    "NETTOTALEXPENDITURE": "net_total_expenditure",
    "TOTALEXPENDITURE": "total_expenditure",
    "TOTALINCOME": "total_income",
}


def _decode_labels(values: pd.Series, vocabulary: str, path: Path, column: str, log: ProblemLog) -> pd.Series:
    """Map a labelled column to the shared vocabulary; '-' means 'does not apply'."""
    text = values.str.strip().str.lower()
    decoded = text.map(LABELS[vocabulary])
    unknown = decoded.isna() & text.notna() & (text != "-")
    for row, label in values[unknown].items():
        log.add(path, f"unrecognised {vocabulary.replace('_', ' ')} '{label}'", row=int(row), column=column)
    return decoded


def _decode_keys(frame: pd.DataFrame, key: str, path: Path, log: ProblemLog) -> pd.Series:
    """Map a 2016-17 integer key column through :data:`KEYS_2016_17`; blank means 'does not apply'."""
    numbers = pd.to_numeric(frame[key], errors="coerce")
    decoded = numbers.map(KEYS_2016_17[key])
    unknown = decoded.isna() & frame[key].notna()
    for row, value in frame.loc[unknown, key].items():
        log.add(path, f"key value '{value}' is not in the key map (benchmark/data/ascfr.py KEYS_2016_17)", row=int(row), column=key)
    return decoded


def _ons_codes_for_cassr(cassr: pd.Series, year: str, registry: CouncilRegistry, path: Path, column: str, log: ProblemLog) -> pd.Series:
    lookup = {code: registry.ons_code_for_cassr(code, year) for code in cassr.dropna().unique()}
    ons = cassr.map(lookup)
    for row, code in cassr[ons.isna()].items():
        log.add(path, f"CASSR code '{code}' is not a council in {year} (see 'python -m benchmark councils')", row=int(row), column=column)
    return ons


def _split_aggregates(frame: pd.DataFrame, path: Path, log: ProblemLog) -> tuple[pd.DataFrame, pd.DataFrame]:
    """2016-17 pack: council rows carry a CASSR and ONS code; region/England aggregates carry neither."""
    is_council = frame["CASSR_CODE"].notna()
    half_coded = is_council != frame["GEOGRAPHY_CODE"].notna()
    for row in frame.index[half_coded]:
        log.add(path, "row has a CASSR code or an ONS code but not both", row=int(row), column="GEOGRAPHY_CODE")
    return frame[is_council & ~half_coded], frame[~is_council & ~half_coded]


# --------------------------------------------------------------------------------------------
# Expenditure
# --------------------------------------------------------------------------------------------

def load_expenditure_2017_18(raw_dir: Path) -> pd.DataFrame:
    """ASC-FR 2017-18 gross current expenditure (£), by care type, age band, reason and setting."""
    path = Path(raw_dir) / FILES["gce_2017_18"]
    columns = ["FY_ENDING", "GEOGRAPHY_CODE", "CareType_Key", "AgeBand_Key", "PrimarySupportReason_Key",
               "SupportSetting_Key", "Purpose_Key", "CarerSupportType_Key", "ITEMVALUE", "DATA_LEVEL"]
    raw = read_csv(path, columns)
    log = ProblemLog()
    out = pd.DataFrame(index=raw.index)
    out["council"] = raw["GEOGRAPHY_CODE"].str.strip()
    out["year"] = "2017-18"
    out["measure"] = "gross_current_expenditure"
    for key, column in [("care_type", "CareType_Key"), ("age_band", "AgeBand_Key"),
                        ("primary_support_reason", "PrimarySupportReason_Key"), ("support_setting", "SupportSetting_Key"),
                        ("purpose", "Purpose_Key"), ("carer_support_type", "CarerSupportType_Key")]:
        out[key] = _decode_labels(raw[column], key, path, column, log)
    out["data_type"] = "mandatory"
    out["value"] = to_number(raw["ITEMVALUE"], path, "ITEMVALUE", log)
    wrong_year = raw["FY_ENDING"].str.strip() != "2018"
    for row, value in raw.loc[wrong_year, "FY_ENDING"].items():
        log.add(path, f"expected financial year ending 2018, found '{value}'", row=int(row), column="FY_ENDING")
    log.raise_if_any()
    out["unit"] = "gbp"
    out["source"] = SOURCE_IDS["gce_2017_18"]
    return tidy(out, EXPENDITURE_KEYS)


def _read_totals_2016_17(raw_dir: Path) -> tuple[pd.DataFrame, Path]:
    path = Path(raw_dir) / FILES["totals_2016_17"]
    keys = ["CareType_KEY", "AgeBand_KEY", "PrimarySupportReason_KEY", "SupportSetting_KEY", "Purpose_KEY", "CarerSupportType_KEY", "DataType_KEY"]
    return read_csv(path, ["FY_Ending", "CASSR_CODE", "GEOGRAPHY_CODE", "REGION_GO_CODE", *keys, *MONEY_COLUMNS_2016_17]), path


def _decode_totals(frame: pd.DataFrame, path: Path, log: ProblemLog, area: pd.Series) -> pd.DataFrame:
    """Long table of the six money measures, keys decoded, £000 converted to £."""
    decoded = pd.DataFrame(index=frame.index)
    decoded["council"] = area
    decoded["year"] = "2016-17"
    for key, column in zip(EXPENDITURE_KEYS, ["CareType_KEY", "AgeBand_KEY", "PrimarySupportReason_KEY", "SupportSetting_KEY",
                                               "Purpose_KEY", "CarerSupportType_KEY", "DataType_KEY"], strict=True):
        decoded[key] = _decode_keys(frame, column, path, log)
    parts = []
    for column, measure in MONEY_COLUMNS_2016_17.items():
        part = decoded.copy()
        part["measure"] = measure
        part["value"] = to_number(frame[column], path, column, log) * 1000.0
        parts.append(part)
    out = pd.concat(parts)
    out["unit"] = "gbp"
    out["source"] = SOURCE_IDS["totals_2016_17"]
    return out


def load_expenditure_2016_17(raw_dir: Path) -> pd.DataFrame:
    """ASC-FR 2016-17 expenditure and income by council (£), decoded from the keyed Totals table."""
    raw, path = _read_totals_2016_17(raw_dir)
    log = ProblemLog()
    councils, _ = _split_aggregates(raw, path, log)
    _check_fy_ending(councils, path, "2017", log)
    out = _decode_totals(councils, path, log, councils["GEOGRAPHY_CODE"].str.strip())
    log.raise_if_any()
    return tidy(out, EXPENDITURE_KEYS)


def load_expenditure_aggregates_2016_17(raw_dir: Path) -> pd.DataFrame:
    """The region and England rows of the 2016-17 Totals table (``council`` = E12/E92 code).

    Used only to reconcile the council rows against the publisher's own totals.
    """
    raw, path = _read_totals_2016_17(raw_dir)
    log = ProblemLog()
    _, aggregates = _split_aggregates(raw, path, log)
    out = _decode_totals(aggregates, path, log, aggregates["REGION_GO_CODE"].str.strip())
    log.raise_if_any()
    return tidy(out, EXPENDITURE_KEYS)


def load_expenditure(raw_dir: Path) -> pd.DataFrame:
    """All shipped ASC-FR expenditure: 2016-17 (six money measures) and 2017-18 (gross current)."""
    return pd.concat([load_expenditure_2016_17(raw_dir), load_expenditure_2017_18(raw_dir)], ignore_index=True)


def _check_fy_ending(frame: pd.DataFrame, path: Path, expected: str, log: ProblemLog) -> None:
    column = "FY_Ending" if "FY_Ending" in frame.columns else "FY_ENDING"
    wrong = frame[column].str.strip() != expected
    for row, value in frame.loc[wrong, column].items():
        log.add(path, f"expected financial year ending {expected}, found '{value}'", row=int(row), column=column)


# --------------------------------------------------------------------------------------------
# Activity (client weeks)
# --------------------------------------------------------------------------------------------

def load_activity_2016_17(raw_dir: Path) -> pd.DataFrame:
    """ASC-FR 2016-17 activity: client weeks by provision, age band, reason and setting."""
    path = Path(raw_dir) / FILES["activity_2016_17"]
    keys = {"care_type": "CareType_KEY", "provision": "ActivityProvision_KEY", "age_band": "AgeBand_KEY",
            "primary_support_reason": "PrimarySupportReason_KEY", "support_setting": "SupportSetting_KEY",
            "purpose": "Purpose_KEY", "data_type": "DataType_KEY"}
    raw = read_csv(path, ["UUID", "FY_Ending", "CASSR_CODE", "GEOGRAPHY_CODE", *keys.values(), "ItemValue"])
    log = ProblemLog()
    councils, _ = _split_aggregates(raw, path, log)
    _check_fy_ending(councils, path, "2017", log)
    out = pd.DataFrame(index=councils.index)
    out["council"] = councils["GEOGRAPHY_CODE"].str.strip()
    out["year"] = "2016-17"
    out["measure"] = "client_weeks"
    for key, column in keys.items():
        out[key] = _decode_keys(councils, column, path, log)
    out["value"] = to_number(councils["ItemValue"], path, "ItemValue", log, minimum=0)
    log.raise_if_any()
    out["unit"] = "client_weeks"
    out["source"] = SOURCE_IDS["activity_2016_17"]
    return tidy(out, ACTIVITY_KEYS)


def load_activity_2015_16(raw_dir: Path, registry: CouncilRegistry) -> pd.DataFrame:
    """ASC-FR 2015-16 activity (labelled, CASSR codes mapped to ONS codes)."""
    path = Path(raw_dir) / FILES["activity_2015_16"]
    columns = {"care_type": "Care Type", "provision": "Activity Provision", "age_band": "Age Bands",
               "primary_support_reason": "Primary support reason", "support_setting": "Long Term Support Setting",
               "purpose": "Short Term Purpose", "data_type": "Data Type"}
    raw = read_csv(path, ["Council Code", *columns.values(), "Value"])
    log = ProblemLog()
    out = pd.DataFrame(index=raw.index)
    out["council"] = _ons_codes_for_cassr(raw["Council Code"].str.strip(), "2015-16", registry, path, "Council Code", log)
    out["year"] = "2015-16"
    out["measure"] = "client_weeks"
    for key, column in columns.items():
        out[key] = _decode_labels(raw[column], key, path, column, log)
    out["value"] = to_number(raw["Value"], path, "Value", log, minimum=0)
    log.raise_if_any()
    out["unit"] = "client_weeks"
    out["source"] = SOURCE_IDS["activity_2015_16"]
    return tidy(out, ACTIVITY_KEYS)


def load_activity(raw_dir: Path, registry: CouncilRegistry) -> pd.DataFrame:
    return pd.concat([load_activity_2015_16(raw_dir, registry), load_activity_2016_17(raw_dir)], ignore_index=True)


# --------------------------------------------------------------------------------------------
# Additional data (income from the Better Care Fund, comparative totals)
# --------------------------------------------------------------------------------------------

def _additional_measures(uuid: pd.Series, path: Path, log: ProblemLog) -> tuple[pd.Series, pd.Series]:
    items = uuid.str.strip().map(ADDITIONAL_ITEMS)
    for row, value in uuid[items.isna()].items():
        log.add(path, f"form cell '{value}' is not in the item map (benchmark/data/ascfr.py ADDITIONAL_ITEMS)", row=int(row), column="UUID")
    measure = items.map(lambda item: item[0] if isinstance(item, tuple) else pd.NA)
    unit = items.map(lambda item: item[1] if isinstance(item, tuple) else pd.NA)
    return measure, unit


def load_additional_2016_17(raw_dir: Path) -> pd.DataFrame:
    """ASC-FR 2016-17 additional data, incl. income from the Better Care Fund (£)."""
    path = Path(raw_dir) / FILES["additional_2016_17"]
    raw = read_csv(path, ["UUID", "FY_Ending", "CASSR_CODE", "GEOGRAPHY_CODE", "DataSource_KEY", "Datatype_KEY", "AgeBand_KEY", "ItemValue"])
    log = ProblemLog()
    councils, _ = _split_aggregates(raw, path, log)
    _check_fy_ending(councils, path, "2017", log)
    out = pd.DataFrame(index=councils.index)
    out["council"] = councils["GEOGRAPHY_CODE"].str.strip()
    out["year"] = "2016-17"
    out["measure"], out["unit"] = _additional_measures(councils["UUID"], path, log)
    out["form_section"] = _decode_keys(councils, "DataSource_KEY", path, log)
    out["age_band"] = _decode_keys(councils, "AgeBand_KEY", path, log)
    out["data_type"] = _decode_keys(councils, "Datatype_KEY", path, log)
    value = to_number(councils["ItemValue"], path, "ItemValue", log)
    out["value"] = np.where(out["unit"] == "gbp", value * 1000.0, value)
    log.raise_if_any()
    out["source"] = SOURCE_IDS["additional_2016_17"]
    return tidy(out, ADDITIONAL_KEYS)


def load_additional_2015_16(raw_dir: Path, registry: CouncilRegistry) -> pd.DataFrame:
    """ASC-FR 2015-16 additional data (labelled; CASSR codes mapped to ONS codes)."""
    path = Path(raw_dir) / FILES["additional_2015_16"]
    raw = read_csv(path, ["UUID", "Council Code", "Data Type", "Data Source", "Age Band", "Value"])
    log = ProblemLog()
    out = pd.DataFrame(index=raw.index)
    out["council"] = _ons_codes_for_cassr(raw["Council Code"].str.strip(), "2015-16", registry, path, "Council Code", log)
    out["year"] = "2015-16"
    out["measure"], out["unit"] = _additional_measures(raw["UUID"], path, log)
    out["form_section"] = _decode_labels(raw["Data Source"], "form_section", path, "Data Source", log)
    out["age_band"] = _decode_labels(raw["Age Band"], "age_band", path, "Age Band", log)
    out["data_type"] = _decode_labels(raw["Data Type"], "data_type", path, "Data Type", log)
    value = to_number(raw["Value"], path, "Value", log)
    out["value"] = np.where(out["unit"] == "gbp", value * 1000.0, value)
    log.raise_if_any()
    out["source"] = SOURCE_IDS["additional_2015_16"]
    return tidy(out, ADDITIONAL_KEYS)


def load_additional(raw_dir: Path, registry: CouncilRegistry) -> pd.DataFrame:
    return pd.concat([load_additional_2015_16(raw_dir, registry), load_additional_2016_17(raw_dir)], ignore_index=True)
