"""Every shipped source file: who published it, what it holds, its caveats and its checksum.

This table is the single record of provenance.  ``data/README.md`` (the data log) embeds the table
generated from it (``python -m benchmark data-log``; a test keeps the two in step), every tidy row
names its source by ``id``, and each run reports files whose checksum differs from the one here.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
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

_CENSUS = "github.com/talentseek/flourish @76f8196"
_CENSUS_LEVELS = {"ctry": "countries", "rgn": "regions", "utla": "upper-tier local authorities", "ltla": "lower-tier local authorities (districts)"}
_CENSUS_FILES = {
    ("TS007a", "ctry"): ("age by five-year band", "e68fa2352a77fd363108e31a54f28cebaeed265104aa74679f3eb16d07af37c0"),
    ("TS007a", "rgn"): ("age by five-year band", "7ae0cf3ae4b651fc4736f2c081842debe8dbbd78ecf35a4d6974ccbbb67e4684"),
    ("TS007a", "utla"): ("age by five-year band", "b22088662984e1cd484b73f984813c5e09f61415a9c4c852da1c7f410e4eb2f8"),
    ("TS007a", "ltla"): ("age by five-year band", "fb954e12e6c519598f277255886d7b7176684f32a14219535b05eca0fa052ec6"),
    ("TS054", "ctry"): ("tenure of household", "ebc27ceec79c81377d46bb2b9f2240c93b9aeaaf0ee1c377af07328813d847ca"),
    ("TS054", "rgn"): ("tenure of household", "324de21dfc64459d2d7163a8d4b6ba97b8573d2907a8ddbf216b648732a09893"),
    ("TS054", "utla"): ("tenure of household", "859ad8ffb7415264e793777551dc3d1d1b15c0868fa0990b849d250f800d2bf2"),
    ("TS054", "ltla"): ("tenure of household", "81484b4c45b6a8cb3d3781942916adbf31ae8958286893a94e489949dc403355"),
    ("TS062", "ctry"): ("NS-SeC, incl. L15 full-time students", "4368fca2f1afe1656c2417f44187aef286977e9ea9181e6e2700eedc0a990a32"),
    ("TS062", "rgn"): ("NS-SeC, incl. L15 full-time students", "2bddbd009b281ffe43fb8282e7a0f76ce3a2112fb62ea8609fedaf4da73bb049"),
    ("TS062", "utla"): ("NS-SeC, incl. L15 full-time students", "183cf444be55e5f1e5bfbe2414f1fd734a6f352fade21fc27798703baeaab4b1"),
    ("TS062", "ltla"): ("NS-SeC, incl. L15 full-time students", "88d2b32a92cceef680fe67c1018674274d77f874868163af61669a7791a93aad"),
}

SOURCES: tuple[Source, ...] = (
    Source("ascfr_2017_18_gce", "ascfr/Support Type With Populations with per100k.rds.csv", "NHS Digital",
           "Adult Social Care Finance Return 2017-18, gross current expenditure, council level", "2017-18",
           "Gross current expenditure in £ by council, care type, age band (18-64, 65+), primary support reason, support setting; 152 councils; "
           "England £17.93bn",
           "CSV conversion (pyreadr, no other change) of a researcher's .rds: values multiplied from £000 to £ and '99' subtotal rows removed before copying; "
           "173 values are negative as published (net adjustments), kept; the population columns are 2011 Census and not used",
           "github.com/samrickman/shinyCare @b03f61c", "b737e94beaaf2b9c395b57dfcb032bba2354c6acd6bb2918a08650a73d0b3bcb"),
    Source("ascfr_2016_17_totals", "ascfr/CSV ASCFR Totals.csv", "NHS Digital",
           "ASC-FR 2016-17 CSV pack, Totals table", "2016-17",
           "Expenditure and income (£000) keyed by care type, age band, reason, setting, purpose, carer support type, data type; "
           "151 councils plus region and England rows",
           "Keys decoded by the toolkit (its notes on the ASC-FR keys); Isles of Scilly absent; 65-74/75-84/85+ rows are voluntary splits of 65+",
           _BG, "e55eb6a15fb7eee6ec0874c7711a5fbc496ba0419a302e7b3169b7079a3fbbd8"),
    Source("ascfr_2016_17_activity", "ascfr/CSV ASCFR Activity.csv", "NHS Digital",
           "ASC-FR 2016-17 CSV pack, Activity table", "2016-17",
           "Client weeks of long-term residential and nursing care and short-term care, by provision (in-house/external); ':' = not supplied",
           "Unit inferred as client weeks (values are days/7; with the Totals they give plausible weekly costs); Isles of Scilly absent",
           _BG, "29f50bb368f1a1906ab82771726b99ba6ebd7c805226783701dc33c62c20c281"),
    Source("ascfr_2016_17_additional", "ascfr/CSV ASCFR Additional.csv", "NHS Digital",
           "ASC-FR 2016-17 CSV pack, Additional table", "2016-17",
           "Income from the Better Care Fund, specific grants, comparative (bridging-year) totals by age band (£000)",
           "Items identified by form-cell UUID, named from the labelled 2015-16 file; Isles of Scilly absent", _BG,
           "1ade8734f6b7698fa1233a7a68bace72f896afe1ae685a0ecb5d018815ffa18d"),
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
           "Not an official lookup; the toolkit's full key map and its evidence are in its notes on the ASC-FR keys",
           "shared project notes", "139c580c517710a018c8276f058d58e11d96b32241fd6dd6d3003e9e0b93af92", "n/a (documentation)"),
    Source("ons_mye_2021_csv", "population/pop2021.csv", "Office for National Statistics",
           "Mid-2021 population estimates by district, sex and single year of age", "mid-2021",
           "Census 2021-based; districts and unitaries only (2021 codes); shire counties are summed from their districts; England 56,536,419",
           "Copy held in a GPL-3.0 repository; the figures are ONS's (OGL)", "github.com/UCL-CHIG/family-hubs-database @9e0322f",
           "1caf83016b04709e87159bd5388642f2e55f2f45b6706123a4c2b2289c095256"),
    Source("ons_mye5_2020", "population/ukpopestimatesmid2020on2021geography.csv", "Office for National Statistics",
           "Population density (MYE5), mid-2001 to mid-2020, 2021 geography", "mid-2015 to mid-2020",
           "Area (sq km), population and people per sq km for every local authority", "All-ages only", "github.com/lunliu454/infect_place @46a7a2d",
           "913a31adbfd6cc9c47dcb823299b92be2e88efd48898566a946e9958039ddd01"),
    Source("lad_county_2020", "la_codes/ons-lookups/030.csv", "Office for National Statistics",
           "Local Authority District to County (April 2020) Lookup in England", "April 2020",
           "Which districts make up each shire county", "", _LOOKUPS, "4747843ef520e96e9d6b0afd522921cc024b87eb50e8eca1496be694dc583564"),
    Source("lad_region_2018", "la_codes/ons-lookups/016.csv", "Office for National Statistics",
           "Local Authority District to Region (December 2018) Lookup in England", "December 2018",
           "Region of each district and unitary", "", _LOOKUPS, "4038ef457dc57bd27d3f4aae53410afd8a3cc8e1023b37179f1fb301133e3718"),
    Source("iod2019_upper_tier", "deprivation/File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx",
           "Ministry of Housing, Communities and Local Government", "English Indices of Deprivation 2019, File 11: upper-tier local authority summaries",
           "2019",
           "IMD and domain summaries (average rank/score, proportion of LSOAs in most deprived 10%, extent, concentration), incl. IDAOPI; 151 upper-tier areas",
           "2019 geography: Bournemouth, Christchurch and Poole and Dorset Council, not their predecessors", _HUB,
           "4bdbc1f2e7fc5bd0e6b15d9cdecd7f7b8fe661c9daf76f0414ac35b2ddab422b"),
    Source("iod2015_upper_tier", "deprivation/File_11_ID_2015_Upper-tier_Local_Authority_Summaries.xlsx",
           "Department for Communities and Local Government", "English Indices of Deprivation 2015, File 11: upper-tier local authority summaries", "2015",
           "As above for IoD2015; 152 upper-tier areas", "Scores are not comparable across editions in absolute terms", _HUB,
           "efba40a1b6541797e11a44cd8e07af221740b215dcd3605eb0009333b5f8a2aa"),
    Source("iod2025_districts", "deprivation/iod2025/indices_of_deprivation_2025_lad.csv",
           "Ministry of Housing, Communities and Local Government",
           "English Indices of Deprivation 2025, lower-tier local authority summaries (File 10, reshaped long)", "2025",
           "IMD and the nine other indices and domains, incl. IDAOPI: average rank, average score and proportion of LSOAs in the most deprived 10%, "
           "for 296 districts (2024 codes)",
           "A reshape (one row per district and index) by the repository's owner of MHCLG's first version of File 10; MHCLG reissued File 10 on 17 Nov 2025 "
           "(only West Northamptonshire and Cherwell differ, by thousandths). "
           "Upper-tier values: unitaries, metropolitan districts and London boroughs as published; "
           "shire counties are the population-weighted mean of their districts "
           "(ONS mid-2021 district populations; IDACI weighted by ages 0-15, IDAOPI by 60+), "
           "an approximation of the upper-tier summary MHCLG would publish "
           "(checked on IoD2019: the same method gives the 24 counties' published IMD scores within 0.10 points). "
           "Ranks among districts are not carried to the upper-tier table",
           "github.com/traffordDataLab/open_data @3fcf109", "feebe84170c06e65b768438e8e3763514d49ec3d9c0f606fbfdb7150bd4b8ba0"),
    *(
        Source(f"census2021_{table.lower()}_{level}", f"census2021/census2021-{table.lower()}-{level}.csv", "Office for National Statistics",
               f"Census 2021 {table} ({words}), {_CENSUS_LEVELS[level]}", "Census 2021 (21 March 2021)",
               f"Nomis bulk table: {words}, one column a category",
               "2021 geography: Cumbria, North Yorkshire and Somerset are still counties; the April 2023 unitaries are summed from their districts (ltla)"
               if level in ("utla", "ltla") else "", _CENSUS, sha256)
        for (table, level), (words, sha256) in _CENSUS_FILES.items()
    ),
    *(
        Source(f"census2021_{table.lower()}_metadata", f"census2021/{name}", "Office for National Statistics",
               f"Census 2021 {table}: ONS dataset metadata (title, release date, distributions)", "Census 2021",
               "Dataset description as ONS publishes it with the download", "", _CENSUS, sha256, "n/a (documentation)")
        for table, name, sha256 in (("TS054", "ts054-2021-2.txt", "904844fea054b265995f56124f7857a8e28bfe9c6aa42195db5f7b7f173f0ca8"),
                                    ("TS062", "ts062-2021-1.txt", "abd62bc7d26a8a752f9b81251eb56a7a77dd55b9b94cd21841166089dbcc08de"))
    ),
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
           "153 councils and the 9 regions",
           "Three names carry a stray appended word, corrected in the registry; "
           "North Yorkshire and Somerset typed as shire counties though unitary since April 2023",
           _ASCOF, "a2fa324064a711bc769c8638be68f487c8488178ef501cb572ca96cd5c2eb990"),
    Source("ascfr_datafile_format_sample", "ascfr/format-sample-2021-22/gce-excerpt.csv", "NHS England",
           "ASC-FR data file format sample: the header and 20 rows of one measure", "format sample",
           "One row per measure and area in NHS England's data-file columns; see the folder's README",
           "A format sample for building and testing the reader of the full data files users download; never data for a report "
           "(the catalogue skips format-sample folders)",
           "github.com/acbockmuehl/ascof-repos @1daf625", "b367aa731ced408c2438e28ffe29cc407e047913cca1273d7ca9205c37b35032"),
    Source("ascfr_datafile_format_sample_notes", "ascfr/format-sample-2021-22/README.md", "(notes on the copy)",
           "What the ASC-FR format sample shows about the data file's format", "format sample",
           "Columns, geography levels, suppression, new councils' CASSR codes", "", "shared project notes",
           "177823b005504720c0c2847ec98f3397f21d5b4ab06dee06b8713893a7730524", "n/a (documentation)"),
    Source("ascfr_ltc_extract_notes", "ascfr/ltc-gce-by-setting/README.md", "(notes on the copy)",
           "How the ASC-FR long-term care extract was selected and checked, with its headline figures", "all years of the extract",
           "Selection, checks (councils add up to regions, regions to England, settings to their total), suppressed councils", "",
           "shared project notes", "26ee17f34e4cdfbb180dc65ada88817330eb8efa88d663755d4427fe3c36ea09", "n/a (documentation)"),
    Source("nn_sets_government_project", "nearest_neighbours/NN.json", "(not stated)",
           "Nearest-neighbour sets used by a government data project", "not stated",
           "15-17 comparator councils per authority (including itself), unordered",
           "Source and method not stated: not CIPFA's lists; shown as one option, so labelled",
           "github.com/communitiesuk/oflog-automated-text @8036fa8", "85f0df847f56d43e394fb215414f015f8ca57d8148585214cbb90cb2d94c857f"),
)

class _SourceIndex(Mapping):
    """Source id -> :class:`Source`, for the hand-described files above and for every file of a
    publication read by format (ids such as ``ro3_2024_25``, described from the publication and
    the year the catalogue found; their paths are known once a catalogue is registered)."""

    def __init__(self, described: tuple[Source, ...]):
        self._described = {source.id: source for source in described}
        self._catalogued: dict[str, Source] = {}

    def register(self, files, record: dict | None = None) -> None:
        """Make the catalogue's files known by their source ids (called whenever tables are loaded).

        Where two files hold one publication and year (ONS's workbook and a CSV export used to
        cross-check it), the id names the publisher's own file, which the tables are read from."""
        self._record = (record or {}).get("files", {})
        self._catalogued = {}
        for entry in sorted(files, key=lambda f: "export" in f.edition):
            self._catalogued.setdefault(entry.source_id, self.describe(entry))

    def describe(self, entry) -> Source:
        """The data log's description of one catalogued file."""
        from benchmark.data.catalogue import publication

        pub = publication(entry.publication)
        origin = getattr(self, "_record", {}).get(entry.path, {})
        caveats = "; ".join(part for part in (entry.edition, pub.caveats) if part)
        return Source(entry.source_id, entry.path, pub.publisher, f"{pub.name}, {entry.year}", entry.year, pub.holds, caveats,
                      origin.get("copied_from", "not recorded in data/catalogue.json"), origin.get("sha256", ""), pub.licence)

    def __getitem__(self, source_id: str) -> Source:
        if source_id in self._catalogued:
            return self._catalogued[source_id]
        return self._described[source_id]

    def __iter__(self):
        return iter({**self._described, **self._catalogued})

    def __len__(self) -> int:
        return len({**self._described, **self._catalogued})


SOURCES_BY_ID = _SourceIndex(SOURCES)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksum_differences(raw_dir: Path, record: dict | None = None) -> dict[str, str]:
    """Files whose content differs from the shipped copy: ``{path: 'changed' | 'missing'}``.

    Expected checksums: the hand-described sources above and ``record`` (``data/catalogue.json``:
    the files of publications read by format, as shipped or added)."""
    expected = {s.path: s.sha256 for s in SOURCES} | {path: e["sha256"] for path, e in (record or {}).get("files", {}).items()}
    differences = {}
    for relative, sha256 in sorted(expected.items()):
        path = Path(raw_dir) / relative
        if not path.is_file():
            differences[relative] = "missing"
        elif sha256_of(path) != sha256:
            differences[relative] = "changed"
    return differences


def data_log_rows(raw_dir: Path, record: dict | None = None) -> list[Source]:
    """Every file the data log lists: the hand-described ones, then each publication read by format
    (as the catalogue finds them in ``raw_dir``), newest year first within a publication."""
    from benchmark.data.catalogue import scan

    files, _ = scan(Path(raw_dir))
    SOURCES_BY_ID.register(files, record)
    catalogued = {f.path for f in files}
    described = [s for s in SOURCES if s.path not in catalogued]
    by_format = sorted(files, key=lambda f: (f.publication, f.year), reverse=True)
    return described + [SOURCES_BY_ID.describe(f) for f in sorted(by_format, key=lambda f: f.publication)]


def data_log_table(raw_dir: Path, record: dict | None = None) -> str:
    """The markdown table embedded in data/README.md."""
    lines = [
        "| id | file (under `data/raw/`) | publisher | what it holds | years | edition and caveats | licence | copied from | sha256 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in data_log_rows(raw_dir, record):
        cells = [f"`{s.id}`", f"`{s.path}`", s.publisher, f"**{s.title}**. {s.holds}", s.years, s.caveats or "-", s.licence, s.copied_from,
                 f"`{s.sha256}`"]
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


DATA_LOG_MARKER = "<!-- generated by `python -m benchmark data log`; `data add` rewrites it and tests/test_project.py keeps it current -->"


def write_data_log(data_dir: Path) -> Path:
    """Rewrite the generated table at the end of ``<data>/README.md`` (after the marker line)."""
    from benchmark.data.catalogue import read_record
    from benchmark.files import write_text_atomic

    readme = Path(data_dir) / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.is_file() else "# Data log\n\n## Files\n"
    marker_at = text.find("<!-- generated by")
    head = text[:marker_at] if marker_at >= 0 else text.rstrip("\n") + "\n\n"
    write_text_atomic(readme, head + DATA_LOG_MARKER + "\n" + data_log_table(Path(data_dir) / "raw", read_record(data_dir)))
    return readme
