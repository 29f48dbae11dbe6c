"""Every shipped source file: who published it, what it holds, its caveats and its checksum.

This table is the single record of provenance.  ``data/README.md`` (the data log) embeds the table
generated from it (``python -m benchmark data-log``; a test keeps the two in step), every tidy row
names its source by ``id``, and each run reports files whose checksum differs from the one here.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

OGL = "Open Government Licence v3.0"


@dataclass(frozen=True)
class Source:
    id: str
    path: str  # relative to the raw data folder
    publisher: str
    title: str
    years: str
    holds: str
    caveats: str
    copied_from: str
    sha256: str
    licence: str = OGL


_BG = "github.com/BenGoodair/adults_social_care_data @2475d81"
_ASCOF = "github.com/acbockmuehl/ascof-repos @d90e7b2"
_HUB = "github.com/ericyang-almaeconomics/social_care_datahub @c481891"
_LOOKUPS = "github.com/jtrim-ons/ons-lookups @85d0ba6"

_ASHE_SHA256 = {
    2015: "dfe3f95ee80d1a24c4ddf4e336a167d497b1d191bf0705f0934435a09b46f34a",
    2016: "473c88b0b19a9c6e108ca9677e7a76674d7f14d33f146776d227951d7cd07e0d",
    2017: "0964eef0e7805fa02f644bc979dd525c35cfee5d20f97d4f6b7ce078993fc1de",
    2018: "a1950ae41a548cccf29a7c492dfd1d44e46253aefe3fe7943557f99ac3d75582",
    2019: "d2d5b5b804683f40cc1e99c39a8c245e8dd17c6d8de5c6748a74e26b6e1af157",
    2020: "6ea8f6473d71bfef6767df97c49969ad3c0fa570ee501ccf17c67d41b84bec81",
}

SOURCES: tuple[Source, ...] = (
    Source("ascfr_2017_18_gce", "ascfr/Support Type With Populations with per100k.rds.csv", "NHS Digital",
           "Adult Social Care Finance Return 2017-18, gross current expenditure, council level", "2017-18",
           "Gross current expenditure in £ by council, care type, age band (18-64, 65+), primary support reason, support setting; 152 councils; England £17.93bn",
           "CSV conversion (pyreadr, no other change) of a researcher's .rds: values multiplied from £000 to £ and '99' subtotal rows removed before copying; 173 values are negative as published (net adjustments), kept; the population columns are 2011 Census and not used",
           "github.com/samrickman/shinyCare @b03f61c", "b737e94beaaf2b9c395b57dfcb032bba2354c6acd6bb2918a08650a73d0b3bcb"),
    Source("ascfr_2016_17_totals", "ascfr/CSV ASCFR Totals.csv", "NHS Digital",
           "ASC-FR 2016-17 CSV pack, Totals table", "2016-17",
           "Expenditure and income (£000) keyed by care type, age band, reason, setting, purpose, carer support type, data type; 151 councils plus region and England rows",
           "Keys decoded by the toolkit (docs/ascfr-keys.md); Isles of Scilly absent; 65-74/75-84/85+ rows are voluntary splits of 65+",
           _BG, "e55eb6a15fb7eee6ec0874c7711a5fbc496ba0419a302e7b3169b7079a3fbbd8"),
    Source("ascfr_2016_17_activity", "ascfr/CSV ASCFR Activity.csv", "NHS Digital",
           "ASC-FR 2016-17 CSV pack, Activity table", "2016-17",
           "Client weeks of long-term residential and nursing care and short-term care, by provision (in-house/external); ':' = not supplied",
           "Unit inferred as client weeks (values are days/7; with the Totals they give plausible weekly costs); Isles of Scilly absent",
           _BG, "29f50bb368f1a1906ab82771726b99ba6ebd7c805226783701dc33c62c20c281"),
    Source("ascfr_2016_17_additional", "ascfr/CSV ASCFR Additional.csv", "NHS Digital",
           "ASC-FR 2016-17 CSV pack, Additional table", "2016-17",
           "Income from the Better Care Fund, specific grants, comparative (bridging-year) totals by age band (£000)",
           "Items identified by form-cell UUID, named from the labelled 2015-16 file; Isles of Scilly absent", _BG, "1ade8734f6b7698fa1233a7a68bace72f896afe1ae685a0ecb5d018815ffa18d"),
    Source("ascfr_2015_16_activity", "ascfr/pss-exp-eng-15-16-fin-act.csv", "NHS Digital",
           "ASC-FR 2015-16 activity, labelled", "2015-16",
           "Client weeks by care type, provision, age band, reason, setting; 152 councils by CASSR code",
           "CASSR codes only: mapped to ONS codes through the council registry", _BG, "5bdb387a602475604cd8b0f8dc7f9196dfc238bef73b71286b99fbbc93247f18"),
    Source("ascfr_2015_16_additional", "ascfr/pss-exp-eng-15-16-fin-add-data.csv", "NHS Digital",
           "ASC-FR 2015-16 additional data, labelled", "2015-16",
           "Income from the Better Care Fund, grants, comparative totals (£000), number of SALT clients; 152 councils",
           "CASSR codes only; 'Voluntay' (sic) data type read as voluntary", _BG, "c740f7118c7d50bf578a9be2ecfd103c1df8bb9d215c43e9032ec9f9e058c5d3"),
    Source("ascfr_2016_17_keys_note", "ascfr/KEYS_2016-17_DERIVED.md", "(derived note)",
           "Partial key decodes for the 2016-17 pack, derived by joining form UUIDs", "2016-17",
           "Evidence for care type, provision, age band, reason, setting 6/7, purpose and data type keys",
           "Not an official lookup; the toolkit's full key map and its evidence are in docs/ascfr-keys.md",
           "shared project notes", "139c580c517710a018c8276f058d58e11d96b32241fd6dd6d3003e9e0b93af92", "n/a (documentation)"),
    Source("ons_mye_2015", "population/ons_mye/MYE2_population_by_sex_and_age_for_local_authorities_UK_2015.xls", "Office for National Statistics",
           "Population estimates by single year of age, mid-2015 (MYE2)", "mid-2015",
           "Persons by single year of age 0-89 and 90+, UK local authorities incl. counties; England 54,786,327", "", _HUB, "f723c6c7df76328e5db9e754eb69daa1d8ff3eb1d89d3fe2bd92c32bc1389644"),
    Source("ons_mye_2016", "population/ons_mye/ukmidyearestimates2016.xls", "Office for National Statistics",
           "Mid-year population estimates workbook, mid-2016 (sheet MYE2 - All)", "mid-2016",
           "Persons by single year of age; England 55,268,067", "", _HUB, "2619c90be2c2c3c7e1c63ca6847fcfb51727a8503eadea81646d398248feefd6"),
    Source("ons_mye_2017", "population/ons_mye/ukmidyearestimates2017finalversion.xls", "Office for National Statistics",
           "Mid-year population estimates workbook, mid-2017 (sheet MYE2 - All)", "mid-2017",
           "Persons by single year of age; England 55,619,430", "", _HUB, "122585b1fa7b564788edc221bb188de46c0029f13c4c4916fbd7658cf33f8dce"),
    Source("ons_mye_2018", "population/ons_mye/ukmidyearestimates20182019ladcodes.xls", "Office for National Statistics",
           "Mid-year population estimates, mid-2018 on 2019 local authority codes (sheet MYE2-All)", "mid-2018",
           "Persons by single year of age; England 55,977,178", "On April 2019 boundaries: Bournemouth, Christchurch and Poole and Dorset Council, not their predecessors", _HUB, "1df860b2c0677c915cc3980a1b9ed0dd1e9ad50273417e77fd17606192725ed5"),
    Source("ons_mye_2019", "population/ons_mye/ukmidyearestimates20192020ladcodes.xls", "Office for National Statistics",
           "Mid-year population estimates, mid-2019 on 2020 codes (sheet MYE2 - Persons)", "mid-2019",
           "Persons by single year of age; England 56,286,961", "On April 2020 boundaries", _HUB, "836f837c6f98469765da04a93e80b4eec7722833953b5f44b50dedb99ccc0484"),
    Source("ons_mye_2020", "population/ons_mye/ukpopestimatesmid2020on2021geography.xls", "Office for National Statistics",
           "Mid-year population estimates, mid-2020 on 2021 geography (sheet MYE2 - Persons)", "mid-2020",
           "Persons by single year of age; England 56,550,138", "On April 2021 boundaries (North and West Northamptonshire)", _HUB, "fa1e002320e8aa93957f989c2c39b649b27e46b45e24c10c506779f88aaa77c7"),
    Source("ons_mye_2020_csv", "population/lad_age_2020.csv", "Office for National Statistics",
           "Mid-2020 estimates, MYE2 persons sheet as CSV", "mid-2020",
           "The same figures as the mid-2020 workbook", "Used only to cross-check the workbook", "github.com/lunliu454/infect_place @46a7a2d", "9a8138d975b8722737936c9595f32f4b91c25a9793c7bdd5fb4278116b2899eb"),
    Source("ons_mye_2021_csv", "population/pop2021.csv", "Office for National Statistics",
           "Mid-2021 population estimates by district, sex and single year of age", "mid-2021",
           "Districts and unitaries only (2021 codes); shire counties are summed from their districts; England 56,536,419",
           "Copy held in a GPL-3.0 repository; the figures are ONS's (OGL)", "github.com/UCL-CHIG/family-hubs-database @9e0322f", "1caf83016b04709e87159bd5388642f2e55f2f45b6706123a4c2b2289c095256"),
    Source("ons_mye5_2020", "population/ukpopestimatesmid2020on2021geography.csv", "Office for National Statistics",
           "Population density (MYE5), mid-2001 to mid-2020, 2021 geography", "mid-2015 to mid-2020",
           "Area (sq km), population and people per sq km for every local authority", "All-ages only", "github.com/lunliu454/infect_place @46a7a2d", "913a31adbfd6cc9c47dcb823299b92be2e88efd48898566a946e9958039ddd01"),
    Source("lad_county_2020", "la_codes/ons-lookups/030.csv", "Office for National Statistics",
           "Local Authority District to County (April 2020) Lookup in England", "April 2020",
           "Which districts make up each shire county", "", _LOOKUPS, "4747843ef520e96e9d6b0afd522921cc024b87eb50e8eca1496be694dc583564"),
    Source("lad_region_2018", "la_codes/ons-lookups/016.csv", "Office for National Statistics",
           "Local Authority District to Region (December 2018) Lookup in England", "December 2018",
           "Region of each district and unitary", "", _LOOKUPS, "4038ef457dc57bd27d3f4aae53410afd8a3cc8e1023b37179f1fb301133e3718"),
    Source("iod2019_upper_tier", "deprivation/File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx",
           "Ministry of Housing, Communities and Local Government", "English Indices of Deprivation 2019, File 11: upper-tier local authority summaries", "2019",
           "IMD and domain summaries (average rank/score, proportion of LSOAs in most deprived 10%, extent, concentration), incl. IDAOPI; 151 upper-tier areas",
           "2019 geography: Bournemouth, Christchurch and Poole and Dorset Council, not their predecessors", _HUB, "4bdbc1f2e7fc5bd0e6b15d9cdecd7f7b8fe661c9daf76f0414ac35b2ddab422b"),
    Source("iod2015_upper_tier", "deprivation/File_11_ID_2015_Upper-tier_Local_Authority_Summaries.xlsx",
           "Department for Communities and Local Government", "English Indices of Deprivation 2015, File 11: upper-tier local authority summaries", "2015",
           "As above for IoD2015; 152 upper-tier areas", "Scores are not comparable across editions in absolute terms", _HUB, "efba40a1b6541797e11a44cd8e07af221740b215dcd3605eb0009333b5f8a2aa"),
    *(
        Source(f"ashe_table8_7a_{year}", f"earnings/Home Geography Table 8.7a   Annual pay - Gross {year}.xls", "Office for National Statistics",
               f"Annual Survey of Hours and Earnings {year}, Table 8.7a, annual gross pay by home geography", str(year),
               "Median and mean annual gross pay (£) and number of jobs by area of residence",
               "'x' (CV over 20%) and '..' (disclosive) are missing", _HUB, _ASHE_SHA256[year])
        for year in range(2015, 2021)
    ),
    Source("ashe_table8_7a_2021_provisional", "earnings/PROV - Home Geography Table 8.7a   Annual pay - Gross 2021.xls", "Office for National Statistics",
           "Annual Survey of Hours and Earnings 2021 (provisional), Table 8.7a", "2021",
           "As above", "Provisional estimates; 'x' and '..' are missing", _HUB, "6f8f697776e62c9d03d3283b98b9083a245825f9a06ca08f63f5d04701d67462"),
    Source("ascof_trend", "ascof/trend_data.csv", "NHS Digital / NHS England",
           "Adult Social Care Outcomes Framework measures, trend data", "2017-18 to 2023-24",
           "ASCOF measure values by council, incl. 2A permanent admissions to care homes per 100,000 and 2C delayed transfers of care per 100,000",
           "Measure codes and wording change between years (2A1/2A2 become 2A in 2023-24; 2C1-2C3 only 2017-18 to 2019-20); 2020-21 affected by COVID-19",
           _ASCOF, "1917eb699080fa4b08d7ed3fd7b537de558ad30dc73292e281175e7ed5905539"),
    Source("ascof_measure_direction", "ascof/measure_direction.csv", "NHS Digital / NHS England",
           "ASCOF measure descriptions with their direction (higher or lower is better)", "2017-18 to 2023-24",
           "Polarity of each ASCOF measure", "", _ASCOF, "18ca5602d7d2f4152c4a1280a65460f4cfc6071df136e2ae5f02bacf6e14fefe"),
    Source("cassr_ons_lookup", "ascof/ons_codes.csv", "NHS Digital (compiled)",
           "Councils with social services responsibilities: CASSR code, ONS code, type, region (2023 geography)", "2023",
           "153 councils and the 9 regions", "Three names carry a stray appended word, corrected in the registry; North Yorkshire and Somerset typed as shire counties though unitary since April 2023",
           _ASCOF, "a2fa324064a711bc769c8638be68f487c8488178ef501cb572ca96cd5c2eb990"),
    Source("nn_sets_government_project", "nearest_neighbours/NN.json", "(not stated)",
           "Nearest-neighbour sets used by a government data project", "not stated",
           "15-17 comparator councils per authority (including itself), unordered", "Source and method not stated: not CIPFA's lists; shown as one option, so labelled",
           "github.com/communitiesuk/oflog-automated-text @8036fa8", "85f0df847f56d43e394fb215414f015f8ca57d8148585214cbb90cb2d94c857f"),
)

SOURCES_BY_ID = {source.id: source for source in SOURCES}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksum_differences(raw_dir: Path) -> dict[str, str]:
    """Files whose content differs from the shipped copy: ``{path: 'changed' | 'missing'}``."""
    differences = {}
    for source in SOURCES:
        path = Path(raw_dir) / source.path
        if not path.is_file():
            differences[source.path] = "missing"
        elif sha256_of(path) != source.sha256:
            differences[source.path] = "changed"
    return differences


def data_log_table() -> str:
    """The markdown table embedded in data/README.md."""
    lines = [
        "| id | file (under `data/raw/`) | publisher | what it holds | years | caveats | copied from | sha256 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in SOURCES:
        cells = [f"`{s.id}`", f"`{s.path}`", s.publisher, f"**{s.title}**. {s.holds}", s.years, s.caveats or "-", s.copied_from, f"`{s.sha256}`"]
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    return "\n".join(lines) + "\n"
