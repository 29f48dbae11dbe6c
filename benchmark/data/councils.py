"""The council registry: every English council with adult social care duties in the data years.

Built from the shipped files, not typed in by hand:

* ``ascof/ons_codes.csv`` gives the 153 councils of the 2023 geography with CASSR codes, names
  and regions;
* the ASC-FR GCE conversion (found in ``ascfr/`` by its columns, see :mod:`benchmark.data.ascfr`)
  gives the councils abolished since (the shipped one: Bournemouth, Poole, Dorset County,
  Buckinghamshire County, Northamptonshire, Cumbria, North Yorkshire County, Somerset County) with
  their CASSR codes; it and the labelled ASC-FR activity files give the names each publication uses.

What no file states, the dates of the reorganisations, is the table :data:`REORGANISATIONS` below.
Council type follows the ONS code prefix (E06 unitary, E08 metropolitan district, E09 London
borough, E10 shire county): ``ons_codes.csv`` still calls the 2023 North Yorkshire and Somerset
unitaries "Shire Counties", which their E06 codes contradict.

CASSR codes are reused across reorganisations (North Yorkshire 218, Somerset 905 and Dorset 809
passed from the county council to the new unitary), so a CASSR code resolves to an ONS code only
with a year.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmark.data import ascfr
from benchmark.data.readers import read_csv
from benchmark.data.tidy import financial_year, financial_year_start, is_council_code
from benchmark.errors import UnknownCouncilError

COUNCIL_TYPES = {
    "E06": "unitary",
    "E08": "metropolitan district",
    "E09": "London borough",
    "E10": "shire county",
}


@dataclass(frozen=True)
class Reorganisation:
    """Councils abolished at the end of ``last_year`` and replaced from the next financial year."""

    last_year: str
    abolished: tuple[str, ...]
    created: tuple[str, ...]
    note: str


#: Local government reorganisations affecting adult social care authorities, 2015-16 onwards.
REORGANISATIONS = (
    Reorganisation(
        "2018-19", ("E06000028", "E06000029"), ("E06000058",),
        "Bournemouth and Poole replaced by Bournemouth, Christchurch and Poole on 1 April 2019",
    ),
    Reorganisation(
        "2018-19", ("E10000009",), ("E06000058", "E06000059"),
        "Dorset County Council replaced by Dorset Council on 1 April 2019 (Christchurch joined "
        "Bournemouth, Christchurch and Poole)",
    ),
    Reorganisation(
        "2019-20", ("E10000002",), ("E06000060",),
        "Buckinghamshire County Council replaced by the unitary Buckinghamshire Council on 1 April 2020",
    ),
    Reorganisation(
        "2020-21", ("E10000021",), ("E06000061", "E06000062"),
        "Northamptonshire replaced by North Northamptonshire and West Northamptonshire on 1 April 2021",
    ),
    Reorganisation(
        "2022-23", ("E10000006",), ("E06000063", "E06000064"),
        "Cumbria replaced by Cumberland and Westmorland and Furness on 1 April 2023",
    ),
    Reorganisation(
        "2022-23", ("E10000023",), ("E06000065",),
        "North Yorkshire County Council replaced by the unitary North Yorkshire Council on 1 April 2023",
    ),
    Reorganisation(
        "2022-23", ("E10000027",), ("E06000066",),
        "Somerset County Council replaced by the unitary Somerset Council on 1 April 2023",
    ),
)

#: ``ons_codes.csv`` carries three names with a stray word appended (a scraping artefact in the
#: copy); these are ONS's own names for the same codes.
NAME_CORRECTIONS = {
    "E06000010": "Kingston upon Hull, City of",
    "E06000019": "Herefordshire, County of",
    "E06000023": "Bristol, City of",
}

#: The current councils.  The ASC-FR files the registry also reads are found by their shape.
REGISTRY_FILES = {
    "current": "ascof/ons_codes.csv",
}


def build_council_table(raw_dir: Path) -> pd.DataFrame:
    """One row per council: codes, name, region, type, first and last financial year, aliases."""
    raw_dir = Path(raw_dir)
    current = read_csv(raw_dir / REGISTRY_FILES["current"], ["Geography", "Council region", "LA Code", "ONS Area Code"])
    current = current.apply(lambda s: s.str.strip())
    regions = current[current["ONS Area Code"].str.startswith("E12")]
    region_names = dict(zip(regions["ONS Area Code"], regions["Geography"], strict=True))
    region_codes = {name.lower(): code for code, name in region_names.items()}

    councils = current[current["ONS Area Code"].map(is_council_code)]
    table = pd.DataFrame(
        {
            "ons_code": councils["ONS Area Code"],
            "cassr_code": councils["LA Code"],
            "name": councils["Geography"],
            "region_code": councils["Council region"].str.lower().map(region_codes),
        }
    )

    found = ascfr.find_files(raw_dir)
    columns = ["CASSR", "GEOGRAPHY_CODE", "DH_GEOGRAPHY_NAME", "REGION_GO_CODE"]
    conversions = ascfr.require_files(raw_dir, found, "gce", "the council registry (the councils abolished since)")
    conversion = pd.concat([read_csv(path, columns)[columns] for path in conversions], ignore_index=True).drop_duplicates()
    abolished = conversion[~conversion["GEOGRAPHY_CODE"].isin(table["ons_code"])].drop_duplicates("GEOGRAPHY_CODE")
    table = pd.concat(
        [
            table,
            pd.DataFrame(
                {
                    "ons_code": abolished["GEOGRAPHY_CODE"],
                    "cassr_code": abolished["CASSR"],
                    "name": abolished["DH_GEOGRAPHY_NAME"],
                    "region_code": abolished["REGION_GO_CODE"],
                }
            ),
        ],
        ignore_index=True,
    )
    table["name"] = table["ons_code"].map(NAME_CORRECTIONS).fillna(table["name"])
    table["region"] = table["region_code"].map(region_names)
    table["council_type"] = table["ons_code"].str[:3].map(COUNCIL_TYPES)

    first_year = {code: financial_year(financial_year_start(r.last_year) + 1) for r in REORGANISATIONS for code in r.created}
    last_year = {code: r.last_year for r in REORGANISATIONS for code in r.abolished}
    successors = {code: " ".join(r.created) for r in REORGANISATIONS for code in r.abolished}
    table["first_year"] = table["ons_code"].map(first_year)
    table["last_year"] = table["ons_code"].map(last_year)
    table["successors"] = table["ons_code"].map(successors)

    # Every spelling a shipped source uses, so that look-up by name finds the council either way.
    labelled_columns = ["Council Code", "Council Name"]
    labelled = [read_csv(path, labelled_columns)[labelled_columns] for path in found["labelled_activity"]]
    labelled = pd.concat(labelled, ignore_index=True).drop_duplicates() if labelled else pd.DataFrame(columns=labelled_columns)
    names = pd.concat(
        [
            conversion.rename(columns={"GEOGRAPHY_CODE": "ons_code", "DH_GEOGRAPHY_NAME": "alias"})[["ons_code", "alias"]],
            conversion.merge(labelled, left_on="CASSR", right_on="Council Code")
            .rename(columns={"GEOGRAPHY_CODE": "ons_code", "Council Name": "alias"})[["ons_code", "alias"]],
        ]
    )
    aliases = names.groupby("ons_code")["alias"].agg(lambda s: "|".join(sorted(set(s))))
    table["aliases"] = table["ons_code"].map(aliases)
    table = table.sort_values("ons_code").reset_index(drop=True)
    return table.astype("string")


@dataclass(frozen=True)
class Council:
    ons_code: str
    cassr_code: str
    name: str
    region: str
    council_type: str
    first_year: str | None
    last_year: str | None

    def exists_in(self, year: str) -> bool:
        """True if the council had adult social care duties in financial year ``year``."""
        start = financial_year_start(year)
        if self.first_year and start < financial_year_start(self.first_year):
            return False
        return not (self.last_year and start > financial_year_start(self.last_year))


class CouncilRegistry:
    """Look-up of councils by ONS code, CASSR code or name, aware of reorganisations."""

    def __init__(self, table: pd.DataFrame):
        self.table = table.set_index("ons_code", drop=False)
        self._by_name: dict[str, str] = {}
        for code, name, aliases in zip(self.table["ons_code"], self.table["name"], self.table["aliases"].fillna(""), strict=True):
            for spelling in [name, *filter(None, aliases.split("|"))]:
                self._by_name.setdefault(_normalise(spelling), code)

    def __len__(self) -> int:
        return len(self.table)

    def __contains__(self, ons_code: str) -> bool:
        return ons_code in self.table.index

    def council(self, ons_code: str) -> Council:
        row = self.table.loc[ons_code]
        return Council(
            ons_code=row["ons_code"],
            cassr_code=row["cassr_code"],
            name=row["name"],
            region=row["region"],
            council_type=row["council_type"],
            first_year=None if pd.isna(row["first_year"]) else row["first_year"],
            last_year=None if pd.isna(row["last_year"]) else row["last_year"],
        )

    def find(self, query: str, year: str | None = None) -> Council:
        """The council named by an ONS code, a CASSR code or a name (case-insensitive).

        A CASSR code shared by an abolished council and its successor resolves to the one that
        existed in ``year`` (the current council when no year is given).  An unknown query raises
        :class:`UnknownCouncilError` naming the closest matches.
        """
        text = str(query).strip()
        if text.upper() in self.table.index:
            return self.council(text.upper())
        cassr = self.table[self.table["cassr_code"].str.upper() == text.upper()]
        if len(cassr):
            return self.council(self._pick_by_year(cassr, year))
        code = self._by_name.get(_normalise(text))
        if code:
            return self.council(code)
        raise UnknownCouncilError(self._unknown_message(text))

    def ons_code_for_cassr(self, cassr_code: str, year: str) -> str | None:
        """ONS code of the council that held CASSR code ``cassr_code`` in financial year ``year``."""
        rows = self.table[self.table["cassr_code"] == str(cassr_code).strip()]
        return self._pick_by_year(rows, year) if len(rows) else None

    def existing_in(self, year: str) -> pd.DataFrame:
        """Councils with adult social care duties in financial year ``year``."""
        start = financial_year_start(year)
        first = self.table["first_year"].map(lambda y: financial_year_start(y) if pd.notna(y) else -1)
        last = self.table["last_year"].map(lambda y: financial_year_start(y) if pd.notna(y) else 9999)
        return self.table[(first <= start) & (start <= last)]

    def _pick_by_year(self, rows: pd.DataFrame, year: str | None) -> str:
        if len(rows) == 1:
            return rows.index[0]
        if year is None:
            current = rows[rows["last_year"].isna()]
            return current.index[0] if len(current) else rows.index[-1]
        for code in rows.index:
            if self.council(code).exists_in(year):
                return code
        return rows.index[0]

    def _unknown_message(self, text: str) -> str:
        names = list(self.table["name"])
        lowered = {n.lower(): n for n in names}
        containing = [n for n in names if text.lower() in n.lower()]
        similar = [lowered[n] for n in difflib.get_close_matches(text.lower(), list(lowered), n=3, cutoff=0.5)]
        close = list(dict.fromkeys(containing + similar))[:3]
        hint = f"; closest: {', '.join(repr(c) for c in close)}" if close else ""
        return f"unknown council '{text}' (give an ONS code, CASSR code or name; 'python -m benchmark councils' lists them){hint}"


def _normalise(name: str) -> str:
    """Case, punctuation and 'City of'/'County of' suffixes vary between publications."""
    text = name.lower().replace("&", "and").replace("-", " ").replace(".", "").replace(",", "")
    for suffix in (" city of", " county of", " council"):
        text = text.removesuffix(suffix)
    return " ".join(text.split())
