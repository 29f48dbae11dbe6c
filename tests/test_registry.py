"""The council registry: codes, names, types, regions and the years each council existed."""
from __future__ import annotations

import pytest

from benchmark.errors import UnknownCouncilError


def test_southampton_by_every_kind_of_key(registry):
    for query in ("E06000045", "e06000045", "814", "Southampton", "SOUTHAMPTON", " southampton "):
        council = registry.find(query)
        assert (council.ons_code, council.cassr_code, council.name) == ("E06000045", "814", "Southampton")
        assert council.region == "South East" and council.council_type == "unitary"


def test_names_as_other_publications_spell_them(registry):
    assert registry.find("Kingston upon Hull City of").ons_code == "E06000010"  # ASC-FR spelling
    assert registry.find("Stockton on Tees").ons_code == "E06000004"
    assert registry.find("Bristol, City of").name == "Bristol, City of"  # no stray words


def test_unknown_council_is_one_line_with_closest_names(registry):
    with pytest.raises(UnknownCouncilError) as excinfo:
        registry.find("Southamptn")
    message = str(excinfo.value)
    assert "\n" not in message and "unknown council 'Southamptn'" in message and "'Southampton'" in message


@pytest.mark.parametrize(
    ("code", "first", "last"),
    [
        ("E06000028", None, "2018-19"),  # Bournemouth
        ("E06000029", None, "2018-19"),  # Poole
        ("E10000009", None, "2018-19"),  # Dorset County Council
        ("E06000058", "2019-20", None),  # Bournemouth, Christchurch and Poole
        ("E06000059", "2019-20", None),  # Dorset Council
        ("E10000021", None, "2020-21"),  # Northamptonshire
        ("E06000061", "2021-22", None),  # North Northamptonshire
        ("E06000062", "2021-22", None),  # West Northamptonshire
        ("E10000006", None, "2022-23"),  # Cumbria
        ("E06000063", "2023-24", None),  # Cumberland
        ("E06000064", "2023-24", None),  # Westmorland and Furness
        ("E10000023", None, "2022-23"),  # North Yorkshire County Council
        ("E06000065", "2023-24", None),  # North Yorkshire Council
        ("E10000027", None, "2022-23"),  # Somerset County Council
        ("E06000066", "2023-24", None),  # Somerset Council
    ],
)
def test_reorganisations(registry, code, first, last):
    council = registry.council(code)
    assert (council.first_year, council.last_year) == (first, last)


def test_reused_cassr_codes_resolve_by_year(registry):
    # 218 North Yorkshire, 905 Somerset, 809 Dorset passed from the old council to the new one
    assert registry.ons_code_for_cassr("218", "2017-18") == "E10000023"
    assert registry.ons_code_for_cassr("218", "2023-24") == "E06000065"
    assert registry.ons_code_for_cassr("905", "2022-23") == "E10000027"
    assert registry.ons_code_for_cassr("809", "2018-19") == "E10000009"
    assert registry.ons_code_for_cassr("809", "2019-20") == "E06000059"
    assert registry.find("218").ons_code == "E06000065"  # no year: the council that exists now


@pytest.mark.parametrize(("year", "count"), [("2015-16", 152), ("2017-18", 152), ("2019-20", 151), ("2020-21", 151), ("2021-22", 152), ("2023-24", 153)])
def test_number_of_councils_each_year(registry, year, count):
    # 152 CASSRs until 2018-19; BCP and Dorset replace three councils (151); Buckinghamshire swaps
    # county for unitary (151); Northamptonshire splits in two (152); 2023: Cumbria splits in two (153)
    assert len(registry.existing_in(year)) == count


def test_council_type_follows_the_ons_code(registry):
    table = registry.table
    assert set(table.loc[table["ons_code"].str.startswith("E10"), "council_type"]) == {"shire county"}
    assert registry.council("E06000065").council_type == "unitary"  # ons_codes.csv says shire county
    assert registry.council("E08000025").council_type == "metropolitan district"
    assert registry.council("E09000001").council_type == "London borough"
    assert table["region"].notna().all()


def test_every_code_in_every_shipped_source_resolves(tables, registry):
    for name, frame in tables.frames.items():
        if "council" in frame.columns and name != "ascfr_expenditure_aggregates":  # region/England rows
            unknown = set(frame["council"]) - set(registry.table.index)
            if name in ("ro3", "rsx", "rs", "ra"):  # MHCLG's England row (E92000001) is kept beside the councils
                unknown -= {"E92000001"}
            assert not unknown, (name, sorted(unknown)[:5])
    nn = tables.nearest_neighbours
    assert set(nn["neighbour"]) <= set(registry.table.index)
