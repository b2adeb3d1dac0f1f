"""The one error root of segcfg, and the diagnostic every user-facing problem becomes.

A :class:`Diagnostic` names the file, line and column of the problem (1-based, like every
editor); a :class:`SegcfgError` carries one or more of them. The library raises, the CLI prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, order=True)
class Location:
    """A place in an input file; line and column are 1-based, 0 when unknown."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the input: where, how bad, what, and a stable code."""

    location: Location
    severity: Severity
    message: str
    code: str
    hicp: str | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())

    def format(self) -> str:
        ref = f" (HICP {self.hicp})" if self.hicp else ""
        return f"{self.location}: {self.severity.value}: {self.message}{ref} [{self.code}]"

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.file, loc.line, loc.col, self.code, self.message)


class SegcfgError(Exception):
    """Root of every error segcfg raises on purpose. Carries diagnostics with file:line:col."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic | str) -> None:
        if isinstance(diagnostics, str):
            diagnostics = Diagnostic(Location("<segcfg>"), Severity.ERROR, diagnostics, "error")
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: list[Diagnostic] = sorted(diagnostics, key=Diagnostic.sort_key)
        super().__init__("\n".join(d.format() for d in self.diagnostics))


class InputError(SegcfgError):
    """The input (site, profiles, inventory, running config) could not be loaded."""


class CapabilityError(SegcfgError):
    """The site needs something a target platform cannot express; nothing is rendered."""


class OutputError(SegcfgError):
    """An output could not be written."""


def error_at(file: str, line: int, col: int, message: str, code: str) -> Diagnostic:
    """A shorthand for an error-severity diagnostic."""
    return Diagnostic(Location(file, line, col), Severity.ERROR, message, code)
