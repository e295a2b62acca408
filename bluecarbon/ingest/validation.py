"""Validation of input tables: a report of every broken rule, and the caller's choice of what
to do about it.

Why this shape. Field tables arrive with problems that the person who supplied them must be
able to find and fix, so every finding is an :class:`~bluecarbon.errors.Issue` naming the
file, the row, the column, the value and the rule. Column rules (ranges, allowed values,
required cells) are declared as pandera schemas, which collect *all* failures in one pass
(``lazy=True``); rules that relate rows to each other (duplicate ids, overlapping depth
intervals, a study whose fractions are in percent) are vectorised pandas masks, turned into
issues by the same helper. Nothing is dropped without an issue, so bad rows never reach an
estimate silently. The caller chooses:

- ``"fail_fast"``: any error raises :class:`~bluecarbon.errors.ValidationFailed` carrying all
  issues (warnings never raise);
- ``"quarantine"``: rows with errors are held back, the clean rows go on, and the issues are
  returned so that :func:`write_quarantine_report` can publish them next to the results.

Row numbers. ``row`` is the row a person sees in the file: the header is row 1, so the first
data row is row 2 (row 3 when a survey template carries a units row under its header). For a
CSV file this is the line number (unless a quoted cell spans lines); for a spreadsheet it is
the row number Excel shows. Readers store it in a ``source_row`` column; frames without that
column (e.g. straight from :func:`pandas.read_csv`) use index label + 2.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa

from bluecarbon.errors import InputError, Issue, ValidationFailed

#: What to do with rows that break a rule (see the module docstring).
Mode = Literal["fail_fast", "quarantine"]
MODES: tuple[str, ...] = ("fail_fast", "quarantine")
#: Column in which readers keep the file row number of each record.
ROW_COLUMN = "source_row"
#: Columns of a quarantine report, in order.
REPORT_COLUMNS = ("file", "row", "column", "value", "rule", "severity")


@dataclass(frozen=True)
class TableRead:
    """A table as read from a file (canonical columns) and what the reader found wrong."""

    frame: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)


def check_mode(mode: str) -> Mode:
    """``mode`` itself when it is a known mode, else :class:`InputError`."""
    if mode not in MODES:
        raise InputError(f"unknown validation mode {mode!r}", expected=" or ".join(MODES))
    return mode  # type: ignore[return-value]


def row_numbers(frame: pd.DataFrame) -> pd.Series:
    """The file row of every record: ``source_row`` when present, else index label + 2."""
    if ROW_COLUMN in frame.columns:
        return pd.Series(pd.to_numeric(frame[ROW_COLUMN], errors="coerce"), index=frame.index)
    if pd.api.types.is_integer_dtype(frame.index.dtype) and frame.index.is_unique:
        return pd.Series(np.asarray(frame.index, dtype="int64") + 2, index=frame.index)
    return pd.Series(np.arange(len(frame), dtype="int64") + 2, index=frame.index)


def with_unique_index(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` itself when its index labels are unique; otherwise a copy with a fresh
    index and its file rows kept in ``source_row`` (positions + 2 when it had none)."""
    if frame.index.is_unique:
        return frame
    out = frame.assign(**{ROW_COLUMN: row_numbers(frame).to_numpy()}) if ROW_COLUMN not in frame else frame
    out = out.reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    return out


def source_file(frame: pd.DataFrame, default: str) -> str:
    """The file a frame was read from (``attrs['source_file']``), else ``default``."""
    return str(frame.attrs.get("source_file", default))


@dataclass
class Findings:
    """Issues found in one table, with the index labels of the records they concern."""

    file: str
    rows: pd.Series
    issues: list[Issue] = field(default_factory=list)
    labels: list[Hashable | None] = field(default_factory=list)
    #: Records dropped without an error (exact duplicates, counted once; each has a warning).
    collapsed: set[Hashable] = field(default_factory=set)

    @classmethod
    def for_frame(cls, frame: pd.DataFrame, *, file: str) -> Findings:
        return cls(file=file, rows=row_numbers(frame))

    def add(
        self, label: Hashable | None, *, column: str | None, value: object, rule: str, severity: str = "error"
    ) -> None:
        row = None
        if label is not None and label in self.rows.index:
            number = self.rows.loc[label]
            row = None if pd.isna(number) else int(number)
        self.issues.append(Issue(self.file, row, column, _plain(value), rule, severity))
        self.labels.append(label)

    def add_mask(
        self,
        frame: pd.DataFrame,
        mask: pd.Series | np.ndarray,
        *,
        column: str | None,
        rule: str,
        severity: str = "error",
        value_column: str | None = None,
    ) -> None:
        """One issue per record where ``mask`` is True; the value shown is ``value_column``
        (default ``column``)."""
        mask = pd.Series(np.asarray(mask, dtype=bool), index=frame.index)
        if not mask.any():
            return
        shown = value_column or column
        values = frame.loc[mask, shown] if shown is not None and shown in frame.columns else None
        for i, label in enumerate(frame.index[mask.to_numpy()]):
            value = None if values is None else values.iloc[i]
            self.add(label, column=column, value=value, rule=rule, severity=severity)

    def add_schema(self, frame: pd.DataFrame, schema: pa.DataFrameSchema) -> None:
        """Run a pandera schema lazily and add one issue per failure case."""
        try:
            schema.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as exc:
            cases = exc.failure_cases
            for case in cases.itertuples(index=False):
                label = None if pd.isna(case.index) else case.index
                self.add(
                    label,
                    column=None if pd.isna(case.column) else str(case.column),
                    value=case.failure_case,
                    rule=_schema_rule(str(case.check)),
                )

    def error_labels(self) -> set[Hashable]:
        return {
            label
            for label, issue in zip(self.labels, self.issues, strict=True)
            if issue.severity == "error" and label is not None
        }

    def held_back_labels(self) -> set[Hashable]:
        """Records that do not go on: those with an error, and collapsed exact duplicates."""
        return self.error_labels() | self.collapsed

    def row_of(self, label: Hashable) -> int | None:
        number = self.rows.get(label)
        return None if number is None or pd.isna(number) else int(number)

    @property
    def has_errors(self) -> bool:
        return any(i.severity == "error" for i in self.issues)


def _schema_rule(check: str) -> str:
    if check == "not_nullable":
        return "missing value (required)"
    if check.startswith("coerce_dtype"):
        return "not a number"
    if check == "field_uniqueness" or check.startswith("multiple_fields_uniqueness"):
        return "duplicate id"
    return check


def _plain(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def coerce_numeric(frame: pd.DataFrame, columns: Iterable[str], findings: Findings) -> pd.DataFrame:
    """``frame`` with ``columns`` (those present) as float64; a cell that is not a number
    becomes NaN and an issue (rule ``not a number``)."""
    out = frame.copy()
    for column in columns:
        if column not in out.columns:
            continue
        raw = out[column]
        if pd.api.types.is_float_dtype(raw.dtype):
            continue
        as_number = pd.to_numeric(raw, errors="coerce").astype("float64")
        text = raw.astype("string").str.strip()
        bad = as_number.isna() & raw.notna() & text.ne("").fillna(False)
        findings.add_mask(out, bad, column=column, rule="not a number")
        out[column] = as_number
    return out


def key_text(frame: pd.DataFrame, keys: Sequence[str]) -> pd.Series:
    """``a/b/c`` labels of the key columns (whole floats shown as integers), for reports."""
    parts = []
    for key in keys:
        column = frame[key]
        if pd.api.types.is_float_dtype(column.dtype) and (column.dropna() % 1 == 0).all():
            column = column.astype("Int64")
        parts.append(column.astype("string").fillna(""))
    out = parts[0]
    for part in parts[1:]:
        out = out + "/" + part
    return out


def check_duplicate_records(
    frame: pd.DataFrame, keys: Sequence[str], findings: Findings, *, column: str, rule: str
) -> None:
    """Records sharing ``keys`` (``column`` present): exact copies (every other column equal,
    the file row aside) collapse into the first, with a warning on each copy; records that
    differ are all held back together, each naming the others' rows. Holding back only the
    later copy would keep a wrong value as often as a right one, and holding back every row
    of an exact copy would drop a genuine record."""
    present = frame[column].notna()
    if "_key" in frame.columns:
        frame = frame.drop(columns="_key")
    shared = frame.duplicated(list(keys), keep=False) & present
    if not shared.any():
        return
    compare = [c for c in frame.columns if c != ROW_COLUMN and not str(c).startswith("_")]
    labels_text = key_text(frame, keys)
    subset = frame.loc[shared]
    for _, group in subset.groupby(list(keys), dropna=False, sort=False):
        rows = {label: findings.row_of(label) for label in group.index}
        value = labels_text.loc[group.index[0]]
        if len(group.drop_duplicates(subset=compare)) == 1:
            first = group.index[0]
            for label in group.index[1:]:
                findings.add(
                    label,
                    column=column,
                    value=value,
                    rule=f"{rule}: exact copy of row {rows[first]}, counted once",
                    severity="warning",
                )
                findings.collapsed.add(label)
            continue
        for label in group.index:
            others = ", ".join(str(r) for other, r in rows.items() if other != label)
            findings.add(
                label,
                column=column,
                value=value,
                rule=f"{rule}: conflicts with row(s) {others}; all held back until the source is fixed",
            )


def require_columns(frame: pd.DataFrame, required: Sequence[str], *, file: str) -> None:
    """Structural check: raise :class:`InputError` naming the missing columns."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"missing columns {missing}", file=file, expected=", ".join(required))


def finish(findings: Findings, *, mode: Mode) -> None:
    """Raise :class:`ValidationFailed` in fail-fast mode when there is any error."""
    if mode == "fail_fast" and findings.has_errors:
        raise ValidationFailed([i for i in findings.issues if i.severity == "error"])


def issues_frame(issues: Iterable[Issue]) -> pd.DataFrame:
    """Issues as a typed table (``file``, ``row``, ``column``, ``value``, ``rule``,
    ``severity``), sorted by file and row: the ``quarantine`` release table."""
    records = [i.as_dict() for i in issues]
    frame = pd.DataFrame.from_records(records, columns=list(REPORT_COLUMNS))
    frame = frame.astype(
        {
            "file": "string",
            "row": "Int64",
            "column": "string",
            "value": "string",
            "rule": "string",
            "severity": "string",
        }
    )
    return frame.sort_values(["file", "row"], kind="stable", na_position="first").reset_index(drop=True)


def write_quarantine_report(
    issues: Iterable[Issue], folder: str | Path, *, name: str = "quarantine.csv"
) -> Path:
    """Write the issues as CSV (UTF-8 with BOM, so spreadsheet programs show Chinese text)
    into ``folder`` next to the results; returns the path. An empty report is still written,
    so its absence never has to be interpreted."""
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    issues_frame(issues).to_csv(path, index=False, encoding="utf-8-sig")
    return path
