"""MHCLG revenue returns (RO3, RSX, RS, RA).

Expected values are MHCLG's published figures (£ thousand) as they stand in the files, read cell by
cell with a spreadsheet-like look at the sheets (and quoted in data/raw/SOURCES.md), never obtained
by running the reader.  The reader holds pounds, so its values are compared after dividing by 1000.
Each real file is detected and read once per module.
"""
from __future__ import annotations

import csv
import math
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from benchmark.data import mhclg
from benchmark.data.publications import Found
from benchmark.data.tidy import COUNCIL_CODE_PATTERN
from benchmark.errors import DataError

from conftest import RAW, single_line_error

FINANCE = RAW / "finance"
SOUTHAMPTON, LEICESTER, ENGLAND = "E06000045", "E06000016", "E92000001"
BIRMINGHAM, CUMBERLAND, SLOUGH, THURROCK, TORBAY = "E08000025", "E06000063", "E06000039", "E06000034", "E06000027"

PUB = {p.id: p for p in mhclg.PUBLICATIONS}

EXPORT = ", CSV export of the data sheet, not MHCLG's own file"
#: source id -> (publication, file, year, edition as the file states it)
FILES = {
    "ro3_2022_23": ("ro3", FINANCE / "ro3" / "RO3_2022-23_data_by_LA.ods", "2022-23", "second release, last updated 14 December 2023"),
    "ro3_2023_24": ("ro3", FINANCE / "ro3" / "RO3_2023-24_data_by_LA.ods", "2023-24", "first release, last updated 29 August 2024"),
    "ro3_2024_25": ("ro3", FINANCE / "ro3" / "RO3_LA_Data_2024-25_data_by_LA.ods", "2024-25", "second release, published 4 December 2025"),
    "rsx_2021_22": ("rsx", FINANCE / "rsx" / "RSX_2021-22_data_by_LA_Live.csv", "2021-22", "final, last updated 23 November 2023" + EXPORT),
    "rsx_2022_23": ("rsx", FINANCE / "rsx" / "RSX_2022-23_data_by_LA.ods", "2022-23", "second release, last updated 14 December 2023"),
    "rsx_2023_24": ("rsx", FINANCE / "rsx" / "RSX_2023-24_data_by_LA.ods", "2023-24", "first release, last updated 29 August 2024"),
    "rsx_2024_25": ("rsx", FINANCE / "rsx" / "RSX_LA_Data_2024-25_data_by_LA.ods", "2024-25", "second release, published 4 December 2025"),
    "rs_2017_18": ("rs", FINANCE / "rs" / "RS_2017-18_data_by_LA.xlsx", "2017-18", "final, published 15 November 2018"),
    "ra_2021_22": ("ra", FINANCE / "ra" / "RA_2021-22_data_by_LA.csv", "2021-22", EXPORT[2:]),
    "ra_2023_24": ("ra", FINANCE / "ra" / "RA_2023-24_data_Part_1.csv", "2023-24", "last updated 22 June 2023" + EXPORT),
}
TIMINGS: dict[str, tuple[float, float]] = {}


@pytest.fixture(scope="module")
def loaded() -> dict[str, tuple[Found, pd.DataFrame]]:
    out = {}
    for source, (pub, path, _, _) in FILES.items():
        start = time.perf_counter()
        found = PUB[pub].detect(path)
        detected = time.perf_counter()
        table = PUB[pub].read(path, found)
        TIMINGS[source] = (detected - start, time.perf_counter() - detected)
        out[source] = (found, table)
    return out


def thousands(table: pd.DataFrame, council: str, line: str = "total", measure: str = "net_current_expenditure") -> float:
    """The reader's value in £ thousand, as published."""
    rows = table[(table["council"] == council) & (table["line"] == line) & (table["measure"] == measure)]
    assert len(rows) == 1, (council, line, measure, len(rows))
    return float(rows["value"].iloc[0]) / 1000


def net(loaded, source: str, council: str) -> float:
    found, table = loaded[source]
    measure = "budget_net_current_expenditure" if found.publication == "ra" else "net_current_expenditure"
    return thousands(table, council, "total", measure)


# ---------------------------------------------------------------------------------------------
# Detection
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", sorted(FILES))
def test_detect_reads_year_and_edition_from_the_file(loaded, source):
    pub, path, year, edition = FILES[source]
    found, _ = loaded[source]
    assert (found.publication, found.year, found.edition) == (pub, year, edition)
    assert found.source_id == source
    assert year in found.title
    # and no other MHCLG detector claims the file
    for other in mhclg.PUBLICATIONS:
        if other.id != pub:
            assert other.detect(path) is None, (other.id, path.name)


@pytest.mark.parametrize(
    "path",
    [
        RAW / "ascof" / "trend_data.csv",
        RAW / "population" / "ons_mye" / "mye24tablesew.csv",
        RAW / "population" / "ons_mye" / "MYE2_population_by_sex_and_age_for_local_authorities_UK_2015.xls",
        RAW / "population" / "ons_mye" / "mye23tablesew.xlsx",
        RAW / "ascfr" / "CSV ASCFR Totals.csv",
        RAW / "deprivation" / "File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx",
        RAW / "nearest_neighbours" / "NN.json",
        RAW / "ascfr" / "ltc-gce-by-setting" / "README.md",
    ],
    ids=lambda p: p.name,
)
def test_detect_returns_none_for_other_publications(path):
    assert path.is_file(), path
    for pub in mhclg.PUBLICATIONS:
        assert pub.detect(path) is None, (pub.id, path.name)


def test_publications_describe_themselves():
    assert [p.id for p in mhclg.PUBLICATIONS] == ["ro3", "rsx", "rs", "ra"]
    for pub in mhclg.PUBLICATIONS:
        assert pub.folder == f"finance/{pub.id}"
        assert pub.table == pub.id
        assert pub.year_kind == "financial"
        assert pub.publisher == "Ministry of Housing, Communities and Local Government"
        assert "Local authority revenue expenditure and financing" in pub.where_to_get
        assert f"({pub.id.upper()})" in pub.name
    assert PUB["ro3"].name == "Revenue Outturn Social Care (RO3)"


# ---------------------------------------------------------------------------------------------
# Published values
# ---------------------------------------------------------------------------------------------


def test_ro3_2024_25_published_values(loaded):
    _, table = loaded["ro3_2024_25"]
    assert round(thousands(table, ENGLAND)) == 25_243_898  # 25,243,898.40073 in the cell (an estimate)
    assert thousands(table, SOUTHAMPTON) == 116_594
    assert thousands(table, SOUTHAMPTON, measure="gross_expenditure") == 152_000
    assert thousands(table, SOUTHAMPTON, "physical_support_65plus", "gross_expenditure") == 33_003
    assert thousands(table, SOUTHAMPTON, "physical_support_65plus", "sales_fees_charges") == 8_259
    assert thousands(table, SOUTHAMPTON, "physical_support_65plus", "other_income") == 4_368
    assert thousands(table, SOUTHAMPTON, "physical_support_65plus", "total_income") == 12_627
    assert thousands(table, SOUTHAMPTON, "physical_support_65plus", "net_current_expenditure") == 20_376
    assert thousands(table, SOUTHAMPTON, "physical_support_65plus", "employees") == 0
    assert thousands(table, SOUTHAMPTON, measure="employees") == 20_571
    assert thousands(table, LEICESTER) == 187_243
    assert thousands(table, LEICESTER, measure="gross_expenditure") == 267_786


def test_ro3_2022_23_and_2023_24_published_values(loaded):
    _, t22 = loaded["ro3_2022_23"]
    assert thousands(t22, SOUTHAMPTON) == 107_502
    assert thousands(t22, SOUTHAMPTON, measure="gross_expenditure") == 139_763
    assert thousands(t22, LEICESTER) == 163_073
    assert round(thousands(t22, ENGLAND)) == 20_516_550
    _, t23 = loaded["ro3_2023_24"]
    assert round(thousands(t23, ENGLAND)) == 23_321_573
    assert thousands(t23, SOUTHAMPTON) == 111_474
    assert thousands(t23, SOUTHAMPTON, measure="gross_expenditure") == 144_668
    assert thousands(t23, LEICESTER) == 172_536
    assert thousands(t23, LEICESTER, measure="gross_expenditure") == 244_950


def test_ro3_2022_23_carers_total_income_follows_the_headers_not_the_swapped_asset_ids(ro3_sheets, tmp_path):
    # In MHCLG's 2022-23 file the asset ids of columns GU and HB (carers' support 18-64 and 65+,
    # Total Income) are exchanged; the headers are right (C6 = C4 + C5 holds for each age band).
    rows = small_sheet(ro3_sheets["2022-23"])
    assert rows[6][202] == "RO3-ascsclcrrold-tot-inc" and rows[6][209] == "RO3-ascsclcrradl-tot-inc"
    path = write_csv(rows, tmp_path / "ro3_2022_23.csv")
    table = mhclg.read_ro3(path, mhclg.detect_ro3(path), age_splits=True)
    assert thousands(table, SOUTHAMPTON, "social_support_carers_18_64", "total_income") == 48  # GU, Southampton
    assert thousands(table, SOUTHAMPTON, "social_support_carers_65plus", "total_income") == 122  # HB
    for line in ("social_support_carers_18_64", "social_support_carers_65plus"):
        c4 = thousands(table, SOUTHAMPTON, line, "sales_fees_charges")
        c5 = thousands(table, SOUTHAMPTON, line, "other_income")
        assert thousands(table, SOUTHAMPTON, line, "total_income") == pytest.approx(c4 + c5, abs=1.5)


@pytest.mark.parametrize(
    "source, missing",
    [
        ("ro3_2024_25", [BIRMINGHAM, CUMBERLAND, SLOUGH]),
        ("ro3_2022_23", [BIRMINGHAM, SLOUGH, THURROCK, TORBAY]),
        ("rsx_2024_25", [BIRMINGHAM, CUMBERLAND, SLOUGH]),
        ("ra_2023_24", [CUMBERLAND, "E09000017", "E06000065", SLOUGH, "E06000064"]),  # '...' in the file
        ("ra_2021_22", ["E06000035", "E06000051"]),  # Medway and Shropshire: '...'
    ],
)
def test_councils_that_did_not_return_are_missing_not_zero(loaded, source, missing):
    _, table = loaded[source]
    for council in missing:
        rows = table[table["council"] == council]
        assert len(rows) > 0, council  # present, with every value missing
        assert rows["value"].isna().all(), council
    totals = table[table["line"] == "total"]
    assert set(totals.loc[totals["value"].isna(), "council"]) == set(missing)


def test_rsx_2021_22_csv_export(loaded):
    assert net(loaded, "rsx_2021_22", SOUTHAMPTON) == 102_138
    assert net(loaded, "rsx_2021_22", LEICESTER) == 130_477
    assert net(loaded, "rsx_2021_22", ENGLAND) == 18_971_928


@pytest.mark.parametrize("year", ["2022_23", "2023_24", "2024_25"])
def test_rsx_equals_ro3_total_council_by_council(loaded, year):
    _, ro3 = loaded[f"ro3_{year}"]
    _, rsx = loaded[f"rsx_{year}"]
    ro3_total = ro3[(ro3["line"] == "total") & (ro3["measure"] == "net_current_expenditure")].set_index("council")["value"]
    rsx_total = rsx.set_index("council")["value"]
    assert sorted(ro3_total.index) == sorted(rsx_total.index)
    joined = pd.concat([ro3_total.rename("ro3"), rsx_total.rename("rsx")], axis=1)
    both_missing = joined["ro3"].isna() & joined["rsx"].isna()
    equal = np.isclose(joined["ro3"], joined["rsx"], rtol=0, atol=0.01)
    assert (both_missing | equal).all(), joined[~(both_missing | equal)]


def test_rs_2017_18(loaded):
    assert round(net(loaded, "rs_2017_18", ENGLAND)) == 15_330_170  # the ENGLAND row has no ONS code
    assert net(loaded, "rs_2017_18", SOUTHAMPTON) == 66_240
    assert net(loaded, "rs_2017_18", LEICESTER) == 98_800
    # North Yorkshire (E-code E2721) is given ONS code E10000022 in this file: held as E10000023
    _, table = loaded["rs_2017_18"]
    assert "E10000022" not in set(table["council"])
    assert net(loaded, "rs_2017_18", "E10000023") == 152_216
    assert round(table.loc[table["council"] != ENGLAND, "value"].sum() / 1000) == 15_320_788  # SOURCES.md: 152 councils


def test_ra_budgets(loaded):
    assert net(loaded, "ra_2023_24", SOUTHAMPTON) == 114_959  # Mac Roman CSV
    assert net(loaded, "ra_2023_24", LEICESTER) == 187_848
    assert net(loaded, "ra_2021_22", ENGLAND) == 18_628_784
    assert net(loaded, "ra_2021_22", SOUTHAMPTON) == 95_011
    assert net(loaded, "ra_2021_22", LEICESTER) == 150_279
    _, ra23 = loaded["ra_2023_24"]
    assert ENGLAND not in set(ra23["council"])  # RA 2023-24 Part 1 has no England row


# Southampton's lines, £ thousand, read from the sheets (columns of each line's C3 and C7). The
# age splits of carers, equipment, assessment, information and commissioning are left out: they
# are parts of their line.  2022-23 and 2023-24 also have 'Disbursement payments to care
# providers' and 'Other payments to care providers'; 2024-25 has neither.
SOUTHAMPTON_LINES = {
    "ro3_2022_23": {
        "gross_expenditure": (139_763, {
            "physical_support_18_64": 8_842, "physical_support_65plus": 27_754, "sensory_support_18_64": 202,
            "sensory_support_65plus": 457, "memory_and_cognition_18_64": 1_041, "memory_and_cognition_65plus": 16_226,
            "learning_disability_18_64": 26_357, "learning_disability_65plus": 4_101, "mental_health_18_64": 7_995,
            "mental_health_65plus": 3_299, "social_support_substance_misuse": 5_215, "social_support_asylum_seekers": 400,
            "social_support_social_isolation": 47, "social_support_carers": 793, "assistive_equipment_technology": 2_112,
            "care_assessment_safeguarding": 16_681, "information_early_intervention": 1_703,
            "commissioning_strategy_admin": 16_473, "disbursement_payments_providers": 65, "other_payments_providers": 0,
        }),
        "net_current_expenditure": (107_502, {
            "physical_support_18_64": 6_729, "physical_support_65plus": 17_392, "sensory_support_18_64": 142,
            "sensory_support_65plus": 293, "memory_and_cognition_18_64": 964, "memory_and_cognition_65plus": 11_983,
            "learning_disability_18_64": 21_940, "learning_disability_65plus": 3_495, "mental_health_18_64": 7_240,
            "mental_health_65plus": 2_877, "social_support_substance_misuse": 2_129, "social_support_asylum_seekers": 411,
            "social_support_social_isolation": 45, "social_support_carers": 623, "assistive_equipment_technology": 1_068,
            "care_assessment_safeguarding": 14_267, "information_early_intervention": 1_339,
            "commissioning_strategy_admin": 14_500, "disbursement_payments_providers": 65, "other_payments_providers": 0,
        }),
    },
    "ro3_2023_24": {
        "gross_expenditure": (144_668, {
            "physical_support_18_64": 9_159, "physical_support_65plus": 29_827, "sensory_support_18_64": 292,
            "sensory_support_65plus": 572, "memory_and_cognition_18_64": 891, "memory_and_cognition_65plus": 16_923,
            "learning_disability_18_64": 28_674, "learning_disability_65plus": 3_907, "mental_health_18_64": 8_228,
            "mental_health_65plus": 3_694, "social_support_substance_misuse": 5_567, "social_support_asylum_seekers": 305,
            "social_support_social_isolation": 180, "social_support_carers": 881, "assistive_equipment_technology": 2_330,
            "care_assessment_safeguarding": 16_002, "information_early_intervention": 1_976,
            "commissioning_strategy_admin": 15_244, "disbursement_payments_providers": 16, "other_payments_providers": 0,
        }),
        "net_current_expenditure": (111_474, {
            "physical_support_18_64": 7_018, "physical_support_65plus": 18_804, "sensory_support_18_64": 241,
            "sensory_support_65plus": 419, "memory_and_cognition_18_64": 819, "memory_and_cognition_65plus": 12_859,
            "learning_disability_18_64": 24_171, "learning_disability_65plus": 3_410, "mental_health_18_64": 7_384,
            "mental_health_65plus": 3_247, "social_support_substance_misuse": 2_341, "social_support_asylum_seekers": 305,
            "social_support_social_isolation": 155, "social_support_carers": 694, "assistive_equipment_technology": 893,
            "care_assessment_safeguarding": 13_661, "information_early_intervention": 1_577,
            "commissioning_strategy_admin": 13_460, "disbursement_payments_providers": 16, "other_payments_providers": 0,
        }),
    },
    "ro3_2024_25": {
        "gross_expenditure": (152_000, {
            "physical_support_18_64": 9_090, "physical_support_65plus": 33_003, "sensory_support_18_64": 323,
            "sensory_support_65plus": 597, "memory_and_cognition_18_64": 761, "memory_and_cognition_65plus": 15_078,
            "learning_disability_18_64": 30_581, "learning_disability_65plus": 4_025, "mental_health_18_64": 8_332,
            "mental_health_65plus": 4_064, "social_support_substance_misuse": 6_315, "social_support_asylum_seekers": 245,
            "social_support_social_isolation": 98, "social_support_carers": 778, "assistive_equipment_technology": 2_679,
            "care_assessment_safeguarding": 15_540, "information_early_intervention": 1_859,
            "commissioning_strategy_admin": 18_632,
        }),
        "net_current_expenditure": (116_594, {
            "physical_support_18_64": 6_427, "physical_support_65plus": 20_376, "sensory_support_18_64": 275,
            "sensory_support_65plus": 456, "memory_and_cognition_18_64": 700, "memory_and_cognition_65plus": 11_074,
            "learning_disability_18_64": 25_955, "learning_disability_65plus": 3_368, "mental_health_18_64": 7_435,
            "mental_health_65plus": 3_501, "social_support_substance_misuse": 2_999, "social_support_asylum_seekers": 245,
            "social_support_social_isolation": 95, "social_support_carers": 638, "assistive_equipment_technology": 1_404,
            "care_assessment_safeguarding": 13_522, "information_early_intervention": 1_515,
            "commissioning_strategy_admin": 16_609,
        }),
    },
}


@pytest.mark.parametrize("source", sorted(SOUTHAMPTON_LINES))
@pytest.mark.parametrize("measure", ["gross_expenditure", "net_current_expenditure"])
def test_southampton_lines_add_to_the_total(loaded, source, measure):
    total, lines = SOUTHAMPTON_LINES[source][measure]
    assert sum(lines.values()) == total  # the publisher's own arithmetic, by hand
    _, table = loaded[source]
    assert thousands(table, SOUTHAMPTON, "total", measure) == total
    for line, published in lines.items():
        assert thousands(table, SOUTHAMPTON, line, measure) == published, line
    assert set(lines) == set(mhclg.RO3_LINES_ADDING_TO_TOTAL) & set(table["line"])


@pytest.mark.parametrize("source", sorted(SOUTHAMPTON_LINES))
def test_ro3_lines_add_to_the_total_for_every_council(loaded, source):
    _, table = loaded[source]
    keys = ["council", "measure"]
    lines = table[table["line"] != "total"].groupby(keys)["value"].sum(min_count=1)  # every line but the total
    total = table[table["line"] == "total"].set_index(keys)["value"]
    both = pd.concat({"lines": lines, "total": total}, axis=1).dropna()
    assert len(both) >= 7 * 140
    assert (both["lines"] - both["total"]).abs().max() <= 3_000  # each cell rounded to £ thousand: ±3 over ~20 lines


def test_ro3_age_splits_on_request(loaded, ro3_sheets, tmp_path):
    _, default = loaded["ro3_2024_25"]
    path = write_csv(small_sheet(ro3_sheets["2024-25"]), tmp_path / "ro3_2024_25.csv")
    table = mhclg.read_ro3(path, mhclg.detect_ro3(path), age_splits=True)
    assert set(table["line"]) - set(default["line"]) == set(mhclg.ro3_line_part_of)
    # Southampton, net current expenditure, £ thousand as published (apportioned: 25% / 75%)
    assert thousands(table, SOUTHAMPTON, "assistive_equipment_technology_18_64") == pytest.approx(351)
    assert thousands(table, SOUTHAMPTON, "assistive_equipment_technology_65plus") == pytest.approx(1_053)
    assert thousands(table, SOUTHAMPTON, "assistive_equipment_technology") == 1_404
    assert thousands(table, SOUTHAMPTON, "social_support_carers_18_64") == pytest.approx(178.64)
    assert thousands(table, SOUTHAMPTON, "social_support_carers_65plus") == pytest.approx(459.36)
    assert thousands(table, SOUTHAMPTON, "commissioning_strategy_admin_18_64") == pytest.approx(15_612.46)
    assert thousands(table, SOUTHAMPTON, "commissioning_strategy_admin_65plus") == pytest.approx(996.54)


# ---------------------------------------------------------------------------------------------
# The tidy table
# ---------------------------------------------------------------------------------------------

RO3_MEASURES = {"employees", "running_expenses", "gross_expenditure", "sales_fees_charges", "other_income", "total_income", "net_current_expenditure"}


@pytest.mark.parametrize("source", sorted(FILES))
def test_tidy_table_contract(loaded, source):
    found, table = loaded[source]
    assert list(table.columns) == ["council", "year", "measure", "line", "value", "unit", "source"]
    assert table["value"].dtype == "float64"
    assert set(table["unit"]) == {"gbp"}
    assert set(table["source"]) == {source}
    assert set(table["year"]) == {found.year}
    codes = set(table["council"])
    assert all(COUNCIL_CODE_PATTERN.match(c) or c == ENGLAND for c in codes)
    assert 152 <= len(codes - {ENGLAND}) <= 153
    if found.publication == "ro3":
        assert set(table["measure"]) == RO3_MEASURES
        assert set(table["line"]) <= set(mhclg.RO3_LINES_ADDING_TO_TOTAL) | {"total"}  # additive: no age splits
        assert not table.duplicated(["council", "measure", "line"]).any()
    else:
        assert set(table["line"]) == {"total"}
        expected = "budget_net_current_expenditure" if found.publication == "ra" else "net_current_expenditure"
        assert set(table["measure"]) == {expected}
        assert not table["council"].duplicated().any()


def test_line_labels_are_plain_english():
    labels = mhclg.ro3_line_labels
    assert labels["physical_support_65plus"] == "Physical support, 65 and over"
    assert labels["physical_support_18_64"] == "Physical support, 18 to 64"
    assert labels["total"] == "Total adult social care"
    assert set(mhclg.ro3_line_part_of) < set(labels)
    assert "total" not in mhclg.RO3_LINES_ADDING_TO_TOTAL


def test_reading_times(loaded):
    for source, (detect_s, read_s) in TIMINGS.items():
        print(f"{source}: detect {detect_s:.2f} s, read {read_s:.2f} s")
        assert detect_s + read_s < 10, source


# ---------------------------------------------------------------------------------------------
# The same sheets saved as CSV or xlsx: found by content, not by row number
# ---------------------------------------------------------------------------------------------


def raw_sheet(path: Path, sheet: str) -> list[list[object]]:
    """The sheet's cells as published (straight from calamine), for building derived files."""
    frame = pd.read_excel(path, sheet_name=sheet, header=None, dtype=object, engine="calamine")
    return [[None if (isinstance(v, float) and math.isnan(v)) else v for v in row] for row in frame.to_numpy(dtype=object).tolist()]


@pytest.fixture(scope="module")
def ro3_sheets() -> dict[str, list[list[object]]]:
    return {
        "2022-23": raw_sheet(FILES["ro3_2022_23"][1], "RO3_LA_Data_2022-23"),
        "2024-25": raw_sheet(FILES["ro3_2024_25"][1], "RO3_LA_Data_202425"),
    }


def cell_text(value: object) -> str:
    """As a spreadsheet exports to CSV: thousands separators, blanks empty."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, (int, float)):
        return f"{value:,}"
    return str(value)


def write_csv(rows: list[list[object]], path: Path, encoding: str = "utf-8-sig") -> Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows([[cell_text(v) for v in row] for row in rows])
    return path


def write_xlsx(rows: list[list[object]], path: Path, sheet: str) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def row_of(rows: list[list[object]], code: str) -> int:
    return next(i for i, r in enumerate(rows) if len(r) > 1 and r[1] == code)


def header_of(rows: list[list[object]]) -> int:
    return next(i for i, r in enumerate(rows) if r and r[0] == "E-code")


def small_sheet(rows: list[list[object]], councils=(SOUTHAMPTON, LEICESTER, ENGLAND)) -> list[list[object]]:
    """Title, asset-id and header rows, a few councils, and (2024-25) the asset-id row at the end."""
    header = header_of(rows)
    out = [list(r) for r in rows[: header + 1]] + [list(rows[row_of(rows, c)]) for c in councils]
    last = rows[-1]
    if any(isinstance(v, str) and v.startswith("RO3-") for v in last):
        out.append(list(last))
    return out


def in_order(table: pd.DataFrame, councils=None) -> pd.DataFrame:
    if councils is not None:
        table = table[table["council"].isin(councils)]
    return table.sort_values(["council", "line", "measure"]).reset_index(drop=True)


@pytest.mark.parametrize("year", ["2022-23", "2024-25"])
def test_ro3_csv_export_reads_like_the_ods(loaded, ro3_sheets, tmp_path, year):
    rows = [[None, None], [None, None]] + ro3_sheets[year]  # two extra rows on top: header moves down
    path = write_csv(rows, tmp_path / "export.csv")
    found = mhclg.detect_ro3(path)
    assert (found.publication, found.year) == ("ro3", year)
    table = mhclg.read_ro3(path, found)
    _, from_ods = loaded[f"ro3_{year.replace('-', '_')}"]
    pd.testing.assert_frame_equal(table, from_ods)


@pytest.mark.parametrize("year", ["2022-23", "2024-25"])
def test_ro3_saved_as_xlsx_reads_like_the_ods(loaded, ro3_sheets, tmp_path, year):
    sheet = "RO3_LA_Data_2022-23" if year == "2022-23" else "RO3_LA_Data_202425"
    path = write_xlsx(small_sheet(ro3_sheets[year]), tmp_path / "saved.xlsx", sheet)
    found = mhclg.detect_ro3(path)
    assert (found.publication, found.year) == ("ro3", year)
    table = mhclg.read_ro3(path, found)
    assert thousands(table, SOUTHAMPTON) == {"2022-23": 107_502, "2024-25": 116_594}[year]
    _, from_ods = loaded[f"ro3_{year.replace('-', '_')}"]
    assert set(table["council"]) == {SOUTHAMPTON, LEICESTER, ENGLAND}
    pd.testing.assert_frame_equal(in_order(table), in_order(from_ods, set(table["council"])))


def test_ra_in_windows_1252_is_read_like_the_mac_roman_file(loaded, tmp_path):
    text = FILES["ra_2023_24"][1].read_bytes().decode("mac_roman")
    path = tmp_path / "ra.csv"
    path.write_bytes(text.encode("cp1252"))
    found = mhclg.detect_ra(path)
    assert found.hints["encoding"] == "cp1252"
    assert loaded["ra_2023_24"][0].hints["encoding"] == "mac_roman"
    pd.testing.assert_frame_equal(mhclg.read_ra(path, found), loaded["ra_2023_24"][1])


# ---------------------------------------------------------------------------------------------
# Bad input: one DataError line naming the file (and the row/column where there is one)
# ---------------------------------------------------------------------------------------------


def refused(call, path: Path, *fragments: str) -> str:
    before = sorted(p.name for p in path.parent.iterdir())
    with pytest.raises(DataError) as excinfo:
        call()
    message = single_line_error(excinfo, path.name)
    for fragment in fragments:
        assert fragment in message, message
    assert sorted(p.name for p in path.parent.iterdir()) == before  # nothing written, nothing moved
    return message


def test_truncated_ods_is_not_a_readable_workbook(tmp_path):
    data = FILES["ro3_2024_25"][1].read_bytes()
    path = tmp_path / "RO3_truncated.ods"
    path.write_bytes(data[: len(data) // 2])
    refused(lambda: mhclg.detect_ro3(path), path, "not a readable workbook")
    refused(lambda: mhclg.read_ro3(path, Found("ro3", "2024-25")), path, "not a readable workbook")
    for detect in (mhclg.detect_rsx, mhclg.detect_rs, mhclg.detect_ra):
        assert detect(path) is None  # recognisably RO3, not theirs


def test_exchanged_asset_ids_the_data_do_not_confirm_are_refused(ro3_sheets, tmp_path):
    # As in MHCLG's 2022-23 file (GU and HB carry each other's ids), but with the values exchanged
    # too, so that the headers, not the ids, are now wrong: C6 = C4 + C5 fails for each age band.
    rows = small_sheet(ro3_sheets["2022-23"])
    header = header_of(rows)
    gu, hb = 202, 209  # columns GU and HB, 0-based
    assert rows[6][gu] == "RO3-ascsclcrrold-tot-inc" and rows[6][hb] == "RO3-ascsclcrradl-tot-inc"
    for row in rows[header + 1 :]:
        row[gu], row[hb] = row[hb], row[gu]
    path = write_xlsx(rows, tmp_path / "exchanged.xlsx", "RO3_LA_Data_2022-23")
    found = mhclg.detect_ro3(path)
    refused(lambda: mhclg.read_ro3(path, found), path, "columns GU and HB have each other's asset ids", "row 7")


def test_ro3_with_asset_id_row_moved_is_refused_at_detection(ro3_sheets, tmp_path):
    rows = small_sheet(ro3_sheets["2022-23"])
    asset = next(i for i, r in enumerate(rows) if sum(isinstance(v, str) and v.startswith("RO3-") for v in r) > 10)
    rows[asset] = [None] + rows[asset][:-1]  # every asset id one column to the right of its header
    path = write_xlsx(rows, tmp_path / "moved.xlsx", "RO3_LA_Data_2022-23")
    message = refused(lambda: mhclg.detect_ro3(path), path, "row 7", "do not line up", "row 12")
    assert "column" in message


def test_ro3_2024_25_layout_with_asset_ids_moved_is_refused_at_reading(ro3_sheets, tmp_path):
    rows = small_sheet(ro3_sheets["2024-25"])
    rows[-1] = rows[-1][1:] + [None]  # the hidden last row, one column to the left
    path = write_csv(rows, tmp_path / "moved.csv")
    found = mhclg.detect_ro3(path)  # the asset ids are at the bottom: detection reads only the top
    refused(lambda: mhclg.read_ro3(path, found), path, "do not line up", f"row {len(rows)}")


def test_ro3_with_header_row_gone_is_refused(ro3_sheets, tmp_path):
    rows = small_sheet(ro3_sheets["2024-25"])
    del rows[header_of(rows)]
    path = write_csv(rows, tmp_path / "no_header.csv")
    refused(lambda: mhclg.detect_ro3(path), path, "no header row")


def test_unknown_adult_social_care_label_is_reported_not_guessed(ro3_sheets, tmp_path):
    rows = small_sheet(ro3_sheets["2024-25"])
    header = header_of(rows)
    rows[header] = [v.replace("Physical support - older people (65+)", "Physical support - older adults (65+)") if isinstance(v, str) else v
                    for v in rows[header]]
    path = write_csv(rows, tmp_path / "renamed.csv")
    found = mhclg.detect_ro3(path)
    refused(lambda: mhclg.read_ro3(path, found), path, "line 'Physical support - older adults (65+)' (columns DC to DI)", f"row {header + 1}",
            "column 'DC'")


def test_unknown_label_in_the_2022_23_layout(ro3_sheets, tmp_path):
    rows = small_sheet(ro3_sheets["2022-23"])
    labels = header_of(rows) - 1
    col = rows[labels].index("Physical support - older people (65+)")
    rows[labels][col] = "Physical support - very old people (85+)"
    path = write_xlsx(rows, tmp_path / "renamed.xlsx", "RO3_LA_Data_2022-23")
    found = mhclg.detect_ro3(path)
    refused(lambda: mhclg.read_ro3(path, found), path, "line 'Physical support - very old people (85+)' (columns DC to DI)", f"row {labels + 1}")


def test_ro3_shifted_several_columns_says_moved_not_unknown(ro3_sheets, tmp_path):
    rows = small_sheet(ro3_sheets["2024-25"])
    rows[-1] = [None] * 7 + rows[-1][:-7]  # one whole line's width to the right
    path = write_csv(rows, tmp_path / "shifted.csv")
    message = refused(lambda: mhclg.read_ro3(path, mhclg.detect_ro3(path)), path, "do not line up")
    assert "not one this reader knows" not in message


def test_ra_saved_as_a_workbook(loaded, tmp_path):
    text = FILES["ra_2023_24"][1].read_bytes().decode("mac_roman")
    rows = [[as_number(v) for v in r] for r in csv.reader(text.splitlines(keepends=True))]
    councils = (SOUTHAMPTON, LEICESTER, SLOUGH, "E07000223")  # Slough '...'; Adur, a district, dropped
    rows = rows[: header_of(rows) + 1] + [rows[row_of(rows, c)] for c in councils]
    path = write_xlsx(rows, tmp_path / "ra.xlsx", "RA_LA_Data_2023-24")
    found = mhclg.detect_ra(path)
    assert (found.publication, found.year, found.hints["sheet"]) == ("ra", "2023-24", "RA_LA_Data_2023-24")
    table = mhclg.read_ra(path, found)
    assert net({"ra_2023_24": (found, table)}, "ra_2023_24", SOUTHAMPTON) == 114_959
    assert set(table["council"]) == {SOUTHAMPTON, LEICESTER, SLOUGH}
    pd.testing.assert_frame_equal(in_order(table), in_order(loaded["ra_2023_24"][1], councils))


def as_number(text: str) -> object:
    """A CSV cell as a spreadsheet would hold it: numbers as numbers, blanks empty."""
    if not text.strip():
        return None
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return text


def test_duplicate_council_row_names_both_rows(tmp_path):
    source = FILES["rsx_2021_22"][1]
    lines = source.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    southampton = next(i for i, line in enumerate(lines) if line.startswith("E1702,E06000045"))
    path = tmp_path / "RSX_dup.csv"
    path.write_text("".join(lines[: southampton + 1] + [lines[southampton]] + lines[southampton + 1 :]), encoding="utf-8-sig")
    found = mhclg.detect_rsx(path)
    # spreadsheet rows: the header cells hold line breaks, so a row is not a text line
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines(keepends=True)))
    first = next(i for i, r in enumerate(rows) if r[:2] == ["E1702", "E06000045"]) + 1
    refused(lambda: mhclg.read_rsx(path, found), path, "E06000045 appears twice", f"rows {first} and {first + 1}")


def test_duplicate_council_row_in_ro3(ro3_sheets, tmp_path):
    path = write_xlsx(small_sheet(ro3_sheets["2024-25"], councils=(SOUTHAMPTON, LEICESTER, SOUTHAMPTON)), tmp_path / "dup.xlsx", "RO3_LA_Data_202425")
    found = mhclg.detect_ro3(path)
    refused(lambda: mhclg.read_ro3(path, found), path, "E06000045 appears twice", "rows 8 and 10")


def test_value_that_is_not_a_number_names_row_and_column(ro3_sheets, tmp_path):
    rows = small_sheet(ro3_sheets["2024-25"])
    header = header_of(rows)
    col = next(i for i, v in enumerate(rows[header]) if isinstance(v, str) and v.startswith("TOTAL ADULT SOCIAL CARE") and "Net Current" in v)
    rows[header + 1][col] = "n/a"
    path = write_csv(rows, tmp_path / "text.csv")
    found = mhclg.detect_ro3(path)
    refused(lambda: mhclg.read_ro3(path, found), path, f"row {header + 2}", "'n/a'", "Total adult social care, Net current expenditure")


def test_csv_in_an_unknown_encoding_is_refused(tmp_path):
    # Saved by an old DOS tool (code page 437): '£' becomes byte 0x9c, which is 'ú' in Mac Roman and
    # 'œ' in Windows-1252: neither makes sense in "Data are reported in £ thousand".
    text = FILES["ra_2023_24"][1].read_bytes().decode("mac_roman")
    path = tmp_path / "ra_dos.csv"
    path.write_bytes(text.encode("cp437", errors="replace"))
    refused(lambda: mhclg.detect_ra(path), path, "cannot tell the text encoding", "CSV UTF-8")
    refused(lambda: mhclg.read_ra(path, Found("ra", "2023-24")), path, "cannot tell the text encoding")


def test_utf16_csv_is_refused(tmp_path):
    text = FILES["ra_2023_24"][1].read_bytes().decode("mac_roman")
    path = tmp_path / "ra_utf16.csv"
    path.write_bytes(text.encode("utf-16"))
    refused(lambda: mhclg.detect_ra(path), path, "cannot tell the text encoding")


def test_rsx_with_asset_ids_moved_is_refused(tmp_path):
    source = FILES["rsx_2021_22"][1]
    rows = list(csv.reader(source.read_text(encoding="utf-8-sig").splitlines(keepends=True)))
    asset = next(i for i, r in enumerate(rows) if "RSX-asc-net-cur-exp" in r)
    rows[asset] = [""] + rows[asset][:-1]
    path = tmp_path / "rsx_moved.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    found = mhclg.detect_rsx(path)
    refused(lambda: mhclg.read_rsx(path, found), path, "do not line up", f"row {asset + 1}")
