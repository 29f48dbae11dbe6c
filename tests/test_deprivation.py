"""IoD upper-tier summaries: published figures, header mapping and bad-input errors.

Expected values are the published IoD2015 / IoD2019 File 11 figures, or worked out by hand from the
invented fixtures in tests/fixtures/deprivation (value in data column j for council i is
10 * (i + 1) + j, see make_fixtures.py).
"""
from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from benchmark.data.deprivation import DOMAIN_SHEETS, detect, find_files, imd_score, load_deprivation, match_measure
from benchmark.data.tidy import COUNCIL_CODE_PATTERN
from benchmark.errors import DataError, UserError

from conftest import single_line_error

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
FIXTURES = ROOT / "tests" / "fixtures" / "deprivation"

SOUTHAMPTON, LEICESTER, HARTLEPOOL, MIDDLESBROUGH = "E06000045", "E06000016", "E06000001", "E06000002"
COMMON_MEASURES = {
    "average_rank",
    "rank_of_average_rank",
    "average_score",
    "rank_of_average_score",
    "proportion_lsoas_most_deprived_10pct",
    "rank_of_proportion_lsoas_most_deprived_10pct",
}


@pytest.fixture(scope="module")
def iod() -> pd.DataFrame:
    return load_deprivation(RAW)


def value(frame: pd.DataFrame, council: str, year: str, domain: str, measure: str) -> float:
    rows = frame[(frame.council == council) & (frame.year == year) & (frame.domain == domain) & (frame.measure == measure)]
    assert len(rows) == 1, rows
    return float(rows["value"].iloc[0])


# --- published figures --------------------------------------------------------------------------

def test_imd_2019_published_scores_and_ranks(iod):
    assert value(iod, SOUTHAMPTON, "2019", "imd", "average_score") == pytest.approx(26.876)
    assert value(iod, SOUTHAMPTON, "2019", "imd", "rank_of_average_score") == 47
    assert value(iod, LEICESTER, "2019", "imd", "average_score") == pytest.approx(30.877)
    assert value(iod, LEICESTER, "2019", "imd", "rank_of_average_score") == 26
    assert value(iod, HARTLEPOOL, "2019", "imd", "average_score") == pytest.approx(35.037)


def test_idaopi_2019_and_imd_2015_published(iod):
    assert value(iod, MIDDLESBROUGH, "2019", "idaopi", "average_score") == pytest.approx(0.233)
    assert value(iod, MIDDLESBROUGH, "2015", "imd", "average_score") == pytest.approx(40.216)


def test_council_counts_per_edition(iod):
    # 152 upper-tier councils on 2013 codes; 151 after Bournemouth, Poole and Dorset County
    # became Bournemouth, Christchurch and Poole and Dorset in April 2019.
    # IoD2025 (district summaries, 2024 codes) gives the 153 councils of the 2024 geography
    counts = iod.groupby("year")["council"].nunique().to_dict()
    assert counts == {"2015": 152, "2019": 151, "2025": 153}
    codes_2019 = set(iod.loc[iod.year == "2019", "council"])
    codes_2015 = set(iod.loc[iod.year == "2015", "council"])
    assert {"E06000058", "E06000059"} <= codes_2019 and not {"E06000028", "E06000029", "E10000009"} & codes_2019
    assert {"E06000028", "E06000029", "E10000009"} <= codes_2015


def test_tidy_contract(iod):
    assert list(iod.columns) == ["council", "year", "measure", "domain", "value", "unit", "source"]
    assert iod["council"].str.match(COUNCIL_CODE_PATTERN.pattern).all()
    assert not iod.duplicated(["council", "year", "measure", "domain"]).any()
    assert set(iod["source"]) == {"iod2019_upper_tier", "iod2015_upper_tier", "iod2025_districts"}
    assert iod["value"].notna().all()  # the summaries have no suppressed cells


def test_every_domain_and_measure_mapped_in_both_editions(iod):
    assert set(iod["domain"]) == {d for d, _ in DOMAIN_SHEETS.values()}
    for year in ("2015", "2019"):
        edition = iod[iod.year == year]
        measures = {d: set(m) for d, m in edition.groupby("domain")["measure"]}
        assert measures["imd"] == COMMON_MEASURES | {"extent", "rank_of_extent", "local_concentration", "rank_of_local_concentration"}
        assert measures["income"] == COMMON_MEASURES | {"scale", "rank_of_scale"}
        assert measures["employment"] == COMMON_MEASURES | {"scale", "rank_of_scale"}
        for domain in ("education", "health", "crime", "barriers", "living", "idaci", "idaopi"):
            assert measures[domain] == COMMON_MEASURES, (year, domain)


def test_units(iod):
    units = {m: set(u) for m, u in iod.groupby("measure")["unit"]}
    assert units["average_score"] == {"score"}
    assert units["rank_of_average_score"] == {"rank"}
    assert units["proportion_lsoas_most_deprived_10pct"] == {"proportion"}
    assert units["extent"] == {"proportion"}
    assert units["scale"] == {"persons"}
    # Hartlepool 2019 income scale 21,084 people; proportion of LSOAs in most deprived 10% 0.3621
    assert value(iod, HARTLEPOOL, "2019", "income", "scale") == 21084
    assert value(iod, HARTLEPOOL, "2019", "imd", "proportion_lsoas_most_deprived_10pct") == pytest.approx(0.3621)


def test_imd_score_helper(iod):
    scores = imd_score(iod, 2019)
    assert scores[SOUTHAMPTON] == pytest.approx(26.876)
    assert len(scores) == 151 and scores.index.is_unique
    assert imd_score(iod, "2015")[MIDDLESBROUGH] == pytest.approx(40.216)
    with pytest.raises(UserError, match="2010"):
        imd_score(iod, 2010)


@pytest.mark.parametrize(
    "header, sheet, expected",
    [
        ("Income Deprivation Affecting Older People (IDAOPI) - Average rank", "IDAOPI", "average_rank"),
        ("Income Deprivation Affecting Older People Index (IDAOPI) - Average rank", "IDAOPI", "average_rank"),
        ("Income Deprivation Affecting Children Index (IDACI) - Rank of average score", "IDACI", "rank_of_average_score"),
        ("Income - Proportion  of LSOAs in most deprived 10% nationally ", "Income", "proportion_lsoas_most_deprived_10pct"),
        ("IMD 2019 - Local concentration ", "IMD", "local_concentration"),
        ("IMD - Rank of local concentration", "IMD", "rank_of_local_concentration"),
        ("Employment scale ", "Employment", "scale"),
        ("Rank of Employment Scale", "Employment", "rank_of_scale"),
        ("Income - Rank of scale", "Income", "rank_of_scale"),
        ("Crime - Average score", "Income", None),  # another domain's header on this sheet
        ("IMD - Median score", "IMD", None),
    ],
)
def test_header_patterns(header, sheet, expected):
    assert match_measure(header, sheet) == expected


# --- hand-made fixtures ---------------------------------------------------------------------------

def test_small_fixture_values_by_hand():
    frame = load_deprivation(RAW, files={"2019": FIXTURES / "iod_valid_small.xlsx"})
    assert frame.groupby("domain").size().to_dict() == {
        "imd": 30, "income": 24, "employment": 24, "education": 18, "health": 18,
        "crime": 18, "barriers": 18, "living": 18, "idaci": 18, "idaopi": 18,
    }
    # Middlesbrough is council i = 1; average score is data column j = 2: 10 * 2 + 2
    assert value(frame, MIDDLESBROUGH, "2019", "imd", "average_score") == 22
    # Worcestershire (i = 2), rank of income scale (j = 7): 10 * 3 + 7
    assert value(frame, "E10000034", "2019", "income", "rank_of_scale") == 37
    assert "Source: invented for tests" not in set(frame["council"])


def test_unrecognised_header_names_file_sheet_and_header():
    with pytest.raises(DataError) as excinfo:
        load_deprivation(RAW, files={"2019": FIXTURES / "iod_unrecognised_header.xlsx"})
    message = single_line_error(excinfo, "iod_unrecognised_header.xlsx")
    assert "sheet 'Crime'" in message and "'Crime - Mean score'" in message and "row 1" in message


def test_non_numeric_value_names_row_and_column():
    with pytest.raises(DataError) as excinfo:
        load_deprivation(RAW, files={"2019": FIXTURES / "iod_non_numeric.xlsx"})
    message = single_line_error(excinfo, "iod_non_numeric.xlsx")
    assert "row 3" in message and "Income - Average score" in message and "'see note 3'" in message


def test_missing_sheet():
    with pytest.raises(DataError) as excinfo:
        load_deprivation(RAW, files={"2019": FIXTURES / "iod_missing_sheet.xlsx"})
    assert "'IDAOPI' not found" in single_line_error(excinfo, "iod_missing_sheet.xlsx")


def test_missing_folder_and_empty_folder(tmp_path):
    with pytest.raises(DataError) as excinfo:
        load_deprivation(tmp_path)
    assert "folder not found" in str(excinfo.value) and "deprivation" in str(excinfo.value)
    (tmp_path / "deprivation").mkdir()
    with pytest.raises(DataError) as excinfo:
        load_deprivation(tmp_path)
    assert "no IoD File 11" in single_line_error(excinfo, "deprivation")


# --- finding the files by their content ----------------------------------------------------------

SHIPPED_2019 = RAW / "deprivation" / "File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx"


def relabel(source: Path, target: Path, old: str, new: str, *, members: tuple[str, ...] = ("xl/drawings/", "xl/sharedStrings.xml"),
            also: dict[str, str] | None = None) -> None:
    """Copy a workbook, replacing ``old`` by ``new`` (and each of ``also``) in the text, not the
    markup, of some of its parts (the Notes text box, the shared strings holding the headers)."""
    replacements = {old: new, **(also or {})}
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith(members) and item.filename.endswith(".xml"):
                text = data.decode("utf-8")
                for before, after in replacements.items():
                    text = re.sub(r">([^<]*)<", lambda m, before=before, after=after: ">" + m.group(1).replace(before, after) + "<", text)
                data = text.encode("utf-8")
            dst.writestr(item, data)


def test_title_relabelled_to_a_later_edition_is_read_as_that_edition(tmp_path, iod):
    folder = tmp_path / "deprivation"
    folder.mkdir()
    relabel(SHIPPED_2019, folder / "file_11.xlsx", "2019", "2031")  # title text box and headers ("IMD 2031 - Extent")
    (folder / "iod2025").mkdir()  # a subfolder of another format: not looked into
    shutil.copy(SHIPPED_2019, folder / "iod2025" / "copy.xlsx")
    (folder / "notes.txt").write_text("not a workbook", encoding="utf-8")
    assert [(f.path.name, f.year) for f in find_files(tmp_path)] == [("file_11.xlsx", "2031")]
    later = load_deprivation(tmp_path)
    assert set(later["year"]) == {"2031"} and set(later["source"]) == {"iod2031_upper_tier"}
    shipped = iod[iod.year == "2019"].drop(columns=["year", "source"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(later.drop(columns=["year", "source"]).reset_index(drop=True), shipped)


def test_edition_from_headers_when_no_title_and_disagreement_is_an_error(tmp_path):
    found = detect(FIXTURES / "iod_valid_small.xlsx")  # no title; headers say "IMD 2019 - Extent"
    assert found is not None and found.year == "2019"
    relabel(SHIPPED_2019, tmp_path / "mixed.xlsx", "2019", "2031", members=("xl/drawings/",))  # title only
    with pytest.raises(DataError) as excinfo:
        detect(tmp_path / "mixed.xlsx")
    message = single_line_error(excinfo, "mixed.xlsx")
    assert "Indices of Deprivation 2031" in message and "IMD 2019" in message


def test_other_iod_file_ignored_and_broken_file_11_reported(tmp_path):
    folder = tmp_path / "deprivation"
    folder.mkdir()
    # a lower-tier summary (File 10): same sheets, header 'Local Authority District code (2019)'
    relabel(SHIPPED_2019, folder / "file_10.xlsx", "Upper Tier Local Authority District", "Local Authority District",
            also={"File 11": "File 10", "(upper-tier)": "(lower-tier)"})
    # the File 11 title but no header row on its IMD sheet
    relabel(SHIPPED_2019, folder / "broken.xlsx", "Upper Tier Local Authority District code", "Area code",
            members=("xl/sharedStrings.xml",))
    assert detect(folder / "file_10.xlsx") is None
    with pytest.raises(DataError) as excinfo:
        load_deprivation(tmp_path)
    message = single_line_error(excinfo, "broken.xlsx")
    assert "sheet 'IMD'" in message and "no header row" in message


# --- IoD2025: district summaries, upper tier by population weighting --------------------------------

DISTRICTS_CSV = RAW / "deprivation" / "iod2025" / "indices_of_deprivation_2025_lad.csv"


def test_iod2025_published_district_figures(iod):
    # the publisher's figures (File 10, as SOURCES.md quotes them): unitaries are their own districts
    assert value(iod, SOUTHAMPTON, "2025", "imd", "average_score") == pytest.approx(25.611)
    assert value(iod, SOUTHAMPTON, "2025", "idaopi", "average_score") == pytest.approx(0.229)
    assert value(iod, LEICESTER, "2025", "imd", "average_score") == pytest.approx(34.449)
    assert value(iod, LEICESTER, "2025", "idaopi", "average_score") == pytest.approx(0.326)


def test_iod2025_geography_and_measures(iod):
    edition = iod[iod.year == "2025"]
    codes = set(edition["council"])
    # the April 2023 unitaries are districts of the 2024 geography; their counties are gone
    assert {"E06000063", "E06000064", "E06000065", "E06000066"} <= codes
    assert not {"E10000006", "E10000023", "E10000027", "E10000021"} & codes
    assert sum(code.startswith("E10") for code in codes) == 21
    # ranks among 296 districts are not ranks among upper-tier councils: not carried over
    assert set(edition["measure"]) == {"average_score", "average_rank", "proportion_lsoas_most_deprived_10pct"}
    assert set(edition["source"]) == {"iod2025_districts"}


def _pop2021_weights(first: int, last: int | None) -> pd.Series:
    """District populations from pop2021.csv, read here without the toolkit (an independent check)."""
    pop = pd.read_csv(RAW / "population" / "pop2021.csv")
    ages = pop["age"].astype(int)
    keep = (ages >= first) & (ages <= (last if last is not None else 200))
    return pop[keep].groupby("ladcode21")["population_2021"].sum()


@pytest.mark.parametrize(("domain", "first", "last"), [("imd", 0, None), ("idaopi", 60, None), ("idaci", 0, 15)])
def test_iod2025_shire_county_is_population_weighted_mean_of_its_districts(iod, domain, first, last):
    lookup = pd.read_csv(RAW / "la_codes" / "ons-lookups" / "030.csv")
    districts = lookup.loc[lookup["CTY20CD"] == "E10000014", "LAD20CD"].tolist()  # Hampshire's 11 districts
    assert len(districts) == 11
    published = pd.read_csv(DISTRICTS_CSV)
    domain_name = {"imd": "Index of Multiple Deprivation", "idaopi": "Income Deprivation Affecting Older People",
                   "idaci": "Income Deprivation Affecting Children"}[domain]
    scores = published[published.index_domain == domain_name].set_index("area_code").loc[districts, "average_score"]
    weights = _pop2021_weights(first, last).loc[districts]
    expected = (scores * weights).sum() / weights.sum()
    assert value(iod, "E10000014", "2025", domain, "average_score") == pytest.approx(expected, rel=1e-12)


def test_district_summaries_found_by_content_not_name(tmp_path):
    from benchmark.data.deprivation import find_district_summaries

    folder = tmp_path / "deprivation" / "some" / "where"
    folder.mkdir(parents=True)
    (folder / "renamed.csv").write_bytes(DISTRICTS_CSV.read_bytes())
    (folder / "other.csv").write_text("area_code,value\nE06000001,1\n")
    found = find_district_summaries(tmp_path)
    assert [(f.path.name, f.year) for f in found] == [("renamed.csv", "2025")]
    (tmp_path / "deprivation" / "copy.csv").write_bytes(DISTRICTS_CSV.read_bytes())
    with pytest.raises(DataError, match="second IoD district summaries file of edition 2025"):
        find_district_summaries(tmp_path)
