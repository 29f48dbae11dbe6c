"""ASC-FR loaders against the publisher's totals and independent reads of the raw files."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from conftest import RAW


def mandatory_gce(tables, year):
    e = tables.ascfr_expenditure
    return e[(e["year"] == year) & (e["measure"] == "gross_current_expenditure") & (e["data_type"] == "mandatory")]


def test_england_gross_current_expenditure_2017_18(tables):
    # NHS Digital's headline: £17.9bn; the shipped file sums to £17.93bn
    total = mandatory_gce(tables, "2017-18")["value"].sum()
    assert round(total / 1e9, 2) == 17.93


def test_england_gross_current_expenditure_2016_17_matches_the_packs_england_rows(tables):
    # NHS Digital's 2016-17 headline: £17.5bn; the pack's own England rows (mandatory) sum the same
    raw = pd.read_csv(RAW / "ascfr" / "CSV ASCFR Totals.csv")
    england = raw[(raw["REGION_GO_CODE"] == "E92000001") & (raw["DataType_KEY"] == 1)]["GROSSCURRENTEXPENDITURE"].sum() * 1000
    total = mandatory_gce(tables, "2016-17")["value"].sum()
    assert total == pytest.approx(england, abs=1000)
    assert round(total / 1e9, 1) == 17.5


def test_council_counts(tables):
    gce = tables.ascfr_expenditure
    assert gce[gce["year"] == "2017-18"]["council"].nunique() == 152
    # The shipped 2016-17 pack has 151 councils: the Isles of Scilly (CASSR 906) is absent from it,
    # its region rows and its England rows alike.
    assert gce[gce["year"] == "2016-17"]["council"].nunique() == 151
    assert "E06000053" not in set(gce[gce["year"] == "2016-17"]["council"])
    act = tables.ascfr_activity
    assert act[act["year"] == "2015-16"]["council"].nunique() == 152


def test_southampton_2017_18_65plus_by_setting(tables):
    # published through the shipped file: residential £9.76m, nursing £8.35m, home care £7.35m
    gce = mandatory_gce(tables, "2017-18")
    s = gce[(gce["council"] == "E06000045") & (gce["age_band"] == "65+") & (gce["care_type"] == "long_term")]
    by_setting = s.groupby("support_setting")["value"].sum()
    assert round(by_setting["residential"] / 1e6, 2) == 9.76
    assert round(by_setting["nursing"] / 1e6, 2) == 8.35
    assert round(by_setting["home_care"] / 1e6, 2) == 7.35


def test_better_care_fund_income(tables):
    add = tables.ascfr_additional
    bcf = add[add["measure"] == "income_from_better_care_fund"].set_index(["council", "year"])["value"]
    # Leicester (CASSR 509), read off the raw files: 2015-16 £14,395.85k, 2016-17 £14,437k
    assert bcf[("E06000016", "2015-16")] == pytest.approx(14_395_850)
    assert bcf[("E06000016", "2016-17")] == pytest.approx(14_437_000)
    # Southampton left the cell blank in 2015-16 and it is suppressed (':') in 2016-17: missing, not 0
    assert math.isnan(bcf[("E06000045", "2015-16")]) and math.isnan(bcf[("E06000045", "2016-17")])


def test_suppressed_activity_is_missing_not_zero(tables):
    raw = pd.read_csv(RAW / "ascfr" / "CSV ASCFR Activity.csv", dtype=str)
    suppressed_council_rows = (raw["ItemValue"].str.strip() == ":") & raw["CASSR_CODE"].notna()
    act = tables.ascfr_activity
    assert act[act["year"] == "2016-17"]["value"].isna().sum() == suppressed_council_rows.sum() > 0


def test_unit_costs_from_decoded_keys(tables):
    # Southampton 2016-17, 65+ long-term residential: gross current expenditure (mandatory, all
    # reasons) / client weeks (in-house + external): about £543 a week (docs/ascfr-keys.md)
    gce = mandatory_gce(tables, "2016-17")
    spend = gce[(gce["council"] == "E06000045") & (gce["age_band"] == "65+") & (gce["care_type"] == "long_term")
                & (gce["support_setting"] == "residential")]["value"].sum()
    act = tables.ascfr_activity
    weeks = act[(act["council"] == "E06000045") & (act["year"] == "2016-17") & (act["age_band"] == "65+") & (act["data_type"] == "mandatory")
                & (act["care_type"] == "long_term") & (act["support_setting"] == "residential")]["value"].sum()
    assert math.floor(spend / weeks) == 542  # £542.69: 8,754.5k / 16,131.57 weeks


def test_voluntary_age_splits_are_marked(tables):
    gce = tables.ascfr_expenditure
    assert set(gce.loc[gce["age_band"].isin(["65-74", "75-84", "85+"]), "data_type"]) == {"voluntary"}


# Files are found by their columns and read whatever year they hold (small hand-made folders).

LABELLED_ACTIVITY = ("UUID,Council Code,Council Name,Care Type,Activity Provision,Age Bands,Primary support reason,"
                     "Long Term Support Setting,Short Term Purpose,Data Type,Value,Notes\n"
                     "8610101,814,Southampton,Long term,In house,Age 65 and over,Physical support,Residential,-,Mandatory,1000,\n")
PACK_ACTIVITY = ("UUID,FY_Ending,CASSR_CODE,GEOGRAPHY_CODE,REGION_GO_CODE,DataType_KEY,AgeBand_KEY,PrimarySupportReason_KEY,"
                 "CareType_KEY,SupportSetting_KEY,Purpose_KEY,ActivityProvision_KEY,ItemValue\n"
                 "8610101,{fy},814,E06000045,E12000008,1,2,6,2,7,,3,1000\n")


def _folder(tmp_path, files: dict[str, str]):
    (tmp_path / "ascfr" / "a-subfolder").mkdir(parents=True)
    (tmp_path / "ascfr" / "a-subfolder" / "ignored.csv").write_text("not,read\n1,2\n")
    (tmp_path / "ascfr" / "notes.csv").write_text("some,other,table\n1,2,3\n")  # no known shape: left alone
    for name, text in files.items():
        (tmp_path / "ascfr" / name).write_text(text)
    return tmp_path


def test_files_are_found_by_their_columns_and_years_read_from_them(tmp_path, registry):
    raw = _folder(tmp_path, {"activity table.csv": PACK_ACTIVITY.format(fy="2019"), "pss-exp-eng-18-19-fin-act.csv": LABELLED_ACTIVITY})
    from benchmark.data import ascfr

    found = ascfr.find_files(raw)
    assert [p.name for p in found["pack_activity"]] == ["activity table.csv"]
    assert [p.name for p in found["labelled_activity"]] == ["pss-exp-eng-18-19-fin-act.csv"]
    act = ascfr.load_activity(raw, registry)
    # the pack's year from FY_Ending (the year it ends), the labelled file's from its name;
    # neither file is described in sources.py, so each id is built from the file's shape and year
    assert sorted(zip(act["year"], act["source"], strict=True)) == [("2018-19", "ascfr_labelled_activity_2018_19"), ("2018-19", "ascfr_pack_activity_2018_19")]
    assert set(act["council"]) == {"E06000045"}


def test_labelled_file_without_a_year_in_its_name(tmp_path, registry):
    from benchmark.data import ascfr
    from benchmark.errors import DataError

    raw = _folder(tmp_path, {"activity.csv": LABELLED_ACTIVITY})
    with pytest.raises(DataError) as excinfo:
        ascfr.load_activity(raw, registry)
    message = str(excinfo.value)
    assert "\n" not in message and "activity.csv: no financial year in the file name" in message


def test_a_pack_year_without_one_of_its_tables(tmp_path, registry):
    from benchmark.data import ascfr
    from benchmark.errors import DataError

    totals = ("FY_Ending,CASSR_CODE,GEOGRAPHY_CODE,REGION_GO_CODE,CareType_KEY,AgeBand_KEY,PrimarySupportReason_KEY,SupportSetting_KEY,"
              "Purpose_KEY,CarerSupportType_KEY,DataType_KEY,GROSSCURRENTEXPENDITURE\n2019,814,E06000045,E12000008,2,2,6,7,,,1,100\n")
    raw = _folder(tmp_path, {"totals.csv": totals, "pss-exp-eng-18-19-fin-act.csv": LABELLED_ACTIVITY})
    with pytest.raises(DataError) as excinfo:
        ascfr.load_activity(raw, registry)
    message = str(excinfo.value)
    assert "\n" not in message and "the keyed CSV pack for 2018-19 has its Totals table but no Activity table" in message
