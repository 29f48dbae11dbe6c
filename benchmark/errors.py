"""Errors a user can cause, reported as one line each and never as a traceback.

Anything raised as a :class:`UserError` (or subclass) is caught by the command-line entry point,
printed as ``error: <message>`` and turned into exit status 1 (2 for bad arguments).  Programming
errors are left as ordinary exceptions so that they keep their traceback.
"""
from __future__ import annotations

from dataclasses import dataclass


class UserError(Exception):
    """A problem with the user's input (data, council name, parameters), not with the code."""


@dataclass(frozen=True)
class Problem:
    """One failed expectation about one place in one input file.

    ``row`` is the line number a person sees when opening the file (1 = header line of a CSV, or
    the spreadsheet row number of a workbook); ``None`` when the problem is with the whole file.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class DataError(UserError):
    """One or more problems found in input data; ``str()`` gives one line per problem."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UnknownCouncilError(UserError):
    """A council name or code that the registry does not know."""
