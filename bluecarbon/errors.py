"""One exception tree for the whole package.

Every error a user can cause derives from :class:`BlueCarbonError`, so the CLI and the flows
can catch exactly our errors and let programming errors surface with a traceback. Input
errors carry *where* (file, row, column, band) and *what was expected* as fields, not only
as text, so reports and Prefect artifacts can tabulate them.

:class:`TransientIOError` is the single retryable type: flows retry on it and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class BlueCarbonError(Exception):
    """Base class of every error raised on purpose by bluecarbon."""


@dataclass(frozen=True)
class Location:
    """Where a problem sits in an input. Any field may be unknown (None)."""

    file: str | None = None
    row: int | None = None
    column: str | None = None
    band: str | int | None = None

    def __str__(self) -> str:
        parts = []
        if self.file is not None:
            parts.append(str(self.file))
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        if self.band is not None:
            parts.append(f"band {self.band!r}")
        return ", ".join(parts) if parts else "<unknown location>"


class InputError(BlueCarbonError):
    """An input file or table is unusable: says what, where, and what was expected."""

    def __init__(
        self,
        problem: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        band: str | int | None = None,
        expected: str | None = None,
    ) -> None:
        self.problem = problem
        self.location = Location(
            file=str(file) if file is not None else None, row=row, column=column, band=band
        )
        self.expected = expected
        message = f"{self.location}: {problem}"
        if expected:
            message += f" (expected {expected})"
        super().__init__(message)


class ChecksumError(InputError):
    """A raw input no longer matches the sha256 recorded in data/raw/MANIFEST."""


class UnitError(InputError):
    """A quantity carries missing or wrong units."""


@dataclass
class Issue:
    """One rule broken by one value: a row of a validation report."""

    file: str
    row: int | None
    column: str | None
    value: object
    rule: str
    severity: str = "error"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": None if self.value is None else str(self.value),
            "rule": self.rule,
            "severity": self.severity,
        }


@dataclass
class ValidationFailed(BlueCarbonError):
    """Validation found errors and the caller asked to fail fast."""

    issues: list[Issue] = field(default_factory=list)

    def __str__(self) -> str:
        head = f"{len(self.issues)} validation error(s)"
        lines = [
            f"  {i.file} row {i.row} column {i.column!r} value {i.value!r}: {i.rule}"
            for i in self.issues[:20]
        ]
        more = [f"  ... and {len(self.issues) - 20} more"] if len(self.issues) > 20 else []
        return "\n".join([head, *lines, *more])


class ConfigError(BlueCarbonError):
    """bluecarbon.toml or a BLUECARBON_* variable holds an invalid value."""


class StoreError(BlueCarbonError):
    """The versioned database refused an operation or found itself inconsistent."""


class ReleaseNotFound(StoreError):
    """No release matches the requested tag, snapshot id or 'latest'."""


class InvalidReleaseId(StoreError):
    """A release reference is not a calendar tag, 'latest' or a snapshot id."""


class StoreLocked(StoreError):
    """Another writer holds the store's writer lock."""


class PublishRejected(StoreError):
    """Validators refused the staged release; nothing was published."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("release rejected by validators:\n  " + "\n  ".join(problems))


class IntegrityError(StoreError):
    """Stored data no longer matches the hashes recorded in its release."""


class CatalogError(BlueCarbonError):
    """The STAC catalog folder holds files bluecarbon did not write: it is not overwritten."""


class TransientIOError(BlueCarbonError):
    """An I/O failure that may succeed when retried (network blip, busy object store)."""


class RegisterRefused(BlueCarbonError):
    """The sink-rights register refused an operation that would break one of its invariants
    (issue more than is creditable, pledge, transfer or retire more than is available)."""
