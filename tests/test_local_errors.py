"""Bad local inputs: each hand-made file gives a one-line DataError naming file, row and column;
implausible figures and duplicated lines likewise, unless the parameter file waives the rule."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.data.readers import display_path
from benchmark.errors import DataError, UserError
from benchmark.local import schemas
from benchmark.local.panel import LocalParams, local_metric_panel, local_summary
from benchmark.local.plausibility import check_overrides

FIX = Path(__file__).resolve().parent / "fixtures" / "local"


def _placements(folder: str):
    bands_path = FIX / folder / "care_home_fee_bands.csv"
    return schemas.read_placements(FIX / folder / "care_home_placements.csv", schemas.read_fee_bands(bands_path), bands_path)


CASES = [
    # scenario, reader, file, row, column, words in the message
    ("missing_column", lambda: schemas.read_workforce(FIX / "missing_column" / "workforce.csv"), "workforce.csv", None, "fte", "required column missing"),
    ("negative_contribution", lambda: schemas.read_bcf_plan(FIX / "negative_contribution" / "bcf_plan.csv"), "bcf_plan.csv", 3, "amount_gbp",
     "must not be negative"),
    ("placement_without_band", lambda: _placements("placement_without_band"), "care_home_placements.csv", 3, "band", "no band"),
    ("unknown_band", lambda: _placements("unknown_band"), "care_home_placements.csv", 3, "band", "'R9' is not in"),
    ("review_before_start", lambda: schemas.read_packages(FIX / "review_before_start" / "packages.csv"), "packages.csv", 2, "last_review_date",
     "before start_date"),
    ("duplicate_package_id", lambda: schemas.read_packages(FIX / "duplicate_package_id" / "packages.csv"), "packages.csv", 4, "package_id",
     "duplicate package_id (same as row 2)"),
    ("wrong_financial_year", lambda: schemas.read_bcf_plan(FIX / "wrong_financial_year" / "bcf_plan.csv"), "bcf_plan.csv", 2, "financial_year", "YYYY-YY"),
    ("unknown_role", lambda: schemas.read_workforce(FIX / "unknown_role" / "workforce.csv"), "workforce.csv", 3, "role", "unknown value 'nurse'"),
    ("empty_file", lambda: schemas.read_workforce(FIX / "empty_file" / "workforce.csv"), "workforce.csv", None, None, "empty"),
    ("header_only", lambda: schemas.read_packages(FIX / "header_only" / "packages.csv"), "packages.csv", None, None, "no data rows"),
]


@pytest.mark.parametrize(("scenario", "read", "file", "row", "column", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_line(scenario, read, file, row, column, words):
    with pytest.raises(DataError) as caught:
        read()
    problems = caught.value.problems
    assert len(problems) == 1, str(caught.value)
    problem = problems[0]
    message = str(problem)
    assert "\n" not in message
    assert problem.file.endswith(f"{scenario}/{file}")
    assert problem.row == row and problem.column == column
    assert words in message
    if row is not None:
        assert f"row {row}" in message
    if column is not None:
        assert f"column '{column}'" in message


def test_package_errors_never_echo_the_package_id():
    with pytest.raises(DataError) as caught:
        schemas.read_packages(FIX / "duplicate_package_id" / "packages.csv")
    assert "K01" not in str(caught.value)


def test_all_problems_collected(tmp_path):
    path = tmp_path / "workforce.csv"
    path.write_text("as_at_date,role,fte,headcount,vacancies_fte,agency_fte\n"
                    "2018-13-01,nurse,-1,2.5,x,0\n")
    with pytest.raises(DataError) as caught:
        schemas.read_workforce(path)
    columns = sorted(p.column for p in caught.value.problems)
    assert columns == ["as_at_date", "fte", "headcount", "role", "vacancies_fte"]


# ----------------------------------------------------------------------------------------------
# plausibility: figures no council has are refused, one line each, unless the parameter file waives the rule
# ----------------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
SOUTHAMPTON = "E06000045"
WORKFORCE_HEADER = "as_at_date,role,fte,headcount,vacancies_fte,agency_fte\n"
BCF_HEADER = "financial_year,line_type,source,scheme_type,amount_gbp\n"
BANDS = ("band,setting,client_group,need_level,weekly_rate_gbp,effective_date\n"
         "R1,residential,older_people,standard,540,2018-04-01\n"
         "R2,nursing,older_people,standard,{rate},2018-04-01\n")
PLACEMENTS = ("placement_ref,band,weekly_fee_paid_gbp,third_party_top_up_gbp,provider\n"
              "P1,R1,540,0,Home A\n"
              "P2,R1,{fee},0,Home B\n")
# Southampton's BCF plan as published (peer challenge report): £74.5m + £37m pooled, minimum £16.177m
SOUTHAMPTON_BCF = [
    "2018-19,contribution,nhs_total_ccg,,74500000\n",
    "2018-19,contribution,council_total,,37000000\n",
    "2018-19,minimum_requirement,nhs_minimum_requirement,,16177000\n",
]


def _local(tmp_path: Path, files: dict[str, str]) -> Path:
    """A scratch local folder holding only Southampton's ``files``."""
    folder = tmp_path / "local" / SOUTHAMPTON
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return tmp_path / "local"


def _refused(tables, local: Path, params: LocalParams | None = None) -> str:
    with pytest.raises(DataError) as caught:
        local_metric_panel(tables, local, params)
    assert len(caught.value.problems) == 1, str(caught.value)
    message = str(caught.value)
    assert "\n" not in message
    return message


def _population_65(tables) -> float:
    bands = tables.population_bands
    row = bands[(bands["council"] == SOUTHAMPTON) & (bands["age_band"] == "65+") & (bands["year"].astype(str) == "2018")]
    return float(row["value"].iloc[0])


@pytest.mark.parametrize(("social_worker_fte", "management_fte", "largest_row"), [(30.0, 9_999_999.0, 3), (1.5, 0.5, 2)],
                         ids=["too_many", "too_few"])
def test_staff_ratio_outside_bounds_is_refused(tables, tmp_path, social_worker_fte, management_fte, largest_row):
    local = _local(tmp_path, {"workforce.csv": WORKFORCE_HEADER
                              + f"2018-09-30,social_worker,{social_worker_fte},32,2,1\n"
                              + f"2018-09-30,management,{management_fte},10,0,0\n"})
    # staff per 1,000 65+ = all fte / mid-2018 65+ population x 1,000 (2018-09-30 is in 2018-19)
    ratio = (social_worker_fte + management_fte) / _population_65(tables) * 1000
    assert not 0.1 <= ratio <= 20  # the scenario is what it says
    message = _refused(tables, local)
    # the error names the row with the larger fte of the two: where a slip most likely is
    assert f"/{SOUTHAMPTON}/workforce.csv, row {largest_row}, column 'fte': " in message
    assert f"staff FTE per 1,000 population aged 65+ {ratio:,.2f}".rstrip("0").rstrip(".") in message
    assert "outside the plausible range 0.1 to 20" in message and "plausibility_overrides" in message


def test_weekly_fee_outside_bounds_is_refused(tables, tmp_path):
    local = _local(tmp_path, {"care_home_fee_bands.csv": BANDS.format(rate=540_000), "care_home_placements.csv": PLACEMENTS.format(fee=540)})
    message = _refused(tables, local)
    assert "care_home_fee_bands.csv, row 3, column 'weekly_rate_gbp': weekly care home fee (£ a week) 540,000 is outside" in message
    assert "plausible range 100 to 5,000" in message
    local = _local(tmp_path / "placements", {"care_home_fee_bands.csv": BANDS.format(rate=800),
                                             "care_home_placements.csv": PLACEMENTS.format(fee=54)})
    message = _refused(tables, local)
    assert "care_home_placements.csv, row 3, column 'weekly_fee_paid_gbp': weekly care home fee (£ a week) 54 is outside" in message


def test_bcf_ratio_outside_bounds_is_refused(tables, tmp_path):
    plan = SOUTHAMPTON_BCF.copy()
    plan[0] = "2018-19,contribution,nhs_total_ccg,,1000000000000000\n"  # £1e15 typed for £74.5m
    local = _local(tmp_path, {"bcf_plan.csv": BCF_HEADER + "".join(plan)})
    # (1e15 + 37,000,000) / 16,177,000 = 61,816,159.98...
    ratio = (1e15 + 37_000_000) / 16_177_000
    message = _refused(tables, local)
    assert f"bcf_plan.csv, row 2, column 'amount_gbp': BCF pooled budget as times the NHS minimum {ratio:,.2f}" in message
    assert "outside the plausible range 0.5 to 50" in message
    small = ["2018-19,contribution,nhs_total_ccg,,6000000\n", SOUTHAMPTON_BCF[2]]  # 6,000,000 / 16,177,000 = 0.37
    message = _refused(tables, _local(tmp_path / "small", {"bcf_plan.csv": BCF_HEADER + "".join(small)}))
    assert ("row 2, column 'amount_gbp': BCF pooled budget as times the NHS minimum 0.37 (2018-19: pooled £6,000,000 "
            "over the minimum £16,177,000; the largest contribution, £6,000,000, is on this row) is outside") in message


def test_duplicated_bcf_row_is_refused_naming_both_rows(tables, tmp_path):
    # the CCG line repeated: £111.5m would become £186.0m
    plan = [SOUTHAMPTON_BCF[0], SOUTHAMPTON_BCF[0], *SOUTHAMPTON_BCF[1:]]
    local = _local(tmp_path, {"bcf_plan.csv": BCF_HEADER + "".join(plan)})
    message = _refused(tables, local)
    assert message.endswith("bcf_plan.csv, row 3, column 'source': duplicate contribution line for this financial_year "
                            "and source (first seen on row 2)")
    # the command line: exit 1, the problem on one line, no traceback
    result = subprocess.run([sys.executable, "-m", "benchmark", "local-panel", "--local", str(local)],
                            capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "bcf_plan.csv, row 3, column 'source': duplicate contribution line" in errors[0]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_override_accepts_the_figure_and_says_so(tables, tmp_path):
    local = _local(tmp_path, {"care_home_fee_bands.csv": BANDS.format(rate=540_000), "care_home_placements.csv": PLACEMENTS.format(fee=540)})
    params = LocalParams(plausibility_overrides=("care_home_weekly_fee",))
    panel = local_metric_panel(tables, local, params)
    count = panel[(panel["council"] == SOUTHAMPTON) & (panel["metric_id"] == "care_home_fee_band_count")].iloc[0]
    assert count["value"] == 2
    assert "plausibility check 'care_home_weekly_fee' waived by the parameter file: " in count["source"]
    assert "care_home_fee_bands.csv row 3, weekly_rate_gbp gives weekly care home fee (£ a week) 540,000" in count["source"]
    summary = local_summary(tables, SOUTHAMPTON, local, params)
    notes = list(summary["plausibility_overrides"]["note"])
    assert len(notes) == 1 and notes[0].startswith("plausibility check 'care_home_weekly_fee' waived") and notes[0] in list(summary["notes"]["note"])
    # another rule waived does not waive this one
    assert "weekly care home fee" in _refused(tables, local, LocalParams(plausibility_overrides=("bcf_pooled_to_minimum",)))


def test_override_names_are_checked_and_reach_the_shared_panel():
    from benchmark.report.parameters import check_parameters
    from benchmark.report.shared import data_key, local_params_for

    with pytest.raises(UserError) as caught:
        check_overrides(["care_home_fee"], "E06000045.yml")
    assert str(caught.value) == ("E06000045.yml: unknown plausibility rule(s) care_home_fee in plausibility_overrides "
                                 "(rules: staff_per_1000_65plus, care_home_weekly_fee, bcf_pooled_to_minimum)")
    params = check_parameters({"council": SOUTHAMPTON, "plausibility_overrides": ["bcf_pooled_to_minimum", "care_home_weekly_fee"]}, "test")
    key = data_key(params)
    assert key[4] == "bcf_pooled_to_minimum+care_home_weekly_fee" and key != data_key({**params, "plausibility_overrides": []})
    assert local_params_for(key).plausibility_overrides == ("bcf_pooled_to_minimum", "care_home_weekly_fee")
    with pytest.raises(UserError):
        data_key({**params, "plausibility_overrides": ["nonsense"]})


def test_report_refuses_then_says_when_a_check_is_waived(tmp_path):
    from benchmark.report import content
    from benchmark.report.parameters import DEFAULTS, check_parameters

    local = _local(tmp_path, {"care_home_fee_bands.csv": BANDS.format(rate=540_000), "care_home_placements.csv": PLACEMENTS.format(fee=540)})
    params = {**DEFAULTS, "council": SOUTHAMPTON, "local_dir": str(local)}
    with pytest.raises(DataError) as caught:
        content.ReportContent.build(params)
    assert "\n" not in str(caught.value) and "care_home_fee_bands.csv, row 3, column 'weekly_rate_gbp'" in str(caught.value)
    waived = check_parameters({**params, "plausibility_overrides": ["care_home_weekly_fee"]}, "test")
    report = content.ReportContent.build(waived)
    assert list(report.local["plausibility_overrides"]["note"]) == [
        f"plausibility check 'care_home_weekly_fee' waived by the parameter file: {display_path(local)}/{SOUTHAMPTON}/care_home_fee_bands.csv "
        "row 3, weekly_rate_gbp gives weekly care home fee (£ a week) 540,000, outside 100 to 5,000"]
    html = "".join(section.to_html() for section in report.sections())
    assert "plausibility check &#x27;care_home_weekly_fee&#x27; waived by the parameter file" in html or \
        "plausibility check 'care_home_weekly_fee' waived by the parameter file" in html


def test_the_budget_reads_the_fee_schedule_of_the_reports_local_folder(tmp_path):
    """With ``local_dir`` set, the fee-schedule scenario reprices with that folder's files, not the
    shipped example's: every placement here is paid its band's schedule rate (£540), so repricing at
    the schedule changes nothing and the scenario equals the current pattern to the pound, and no
    figure of it is ILLUSTRATIVE."""
    from benchmark.report import content
    from benchmark.report.parameters import DEFAULTS

    local = _local(tmp_path, {"care_home_fee_bands.csv": BANDS.format(rate=600), "care_home_placements.csv": PLACEMENTS.format(fee=540)})
    report = content.ReportContent.build({**DEFAULTS, "council": SOUTHAMPTON, "local_dir": str(local)})
    totals = report.budget.totals.set_index("scenario")
    assert round(totals.at["fee_schedule", "total_gbp"]) == round(totals.at["current_pattern", "total_gbp"])
    assert not totals.at["fee_schedule", "illustrative"]
