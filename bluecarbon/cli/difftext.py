"""``bluecarbon diff`` as text: every changed quantity and parameter, within 80 columns.

A diff is read in a terminal, pasted into review comments and e-mails: lines are wrapped at
80 columns, never cut, and a number is never split (wrapping breaks at spaces only). The
layout is vertical (one line per changed quantity under its row), so it does not depend on
how many quantities the totals tables hold: the tables gain and rename columns as the
carbon accounting evolves, and the diff shows whatever both releases share.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

from bluecarbon.formatting import fmt_number

if TYPE_CHECKING:
    from bluecarbon.store.diff import ParametersDiff, ReleaseDiff, TableDiff

WIDTH = 80
#: Changed rows listed per table (``--json`` lists all).
MAX_ROWS = 12


def wrap(text: str, indent: int = 0) -> list[str]:
    """``text`` as lines of at most 80 characters, indented by ``indent`` (continuation lines
    by 4 more), broken at spaces only: a number or a path is never split."""
    return _wrap(text, indent)


def _wrap(text: str, indent: int) -> list[str]:
    return textwrap.wrap(
        text,
        width=WIDTH,
        initial_indent=" " * indent,
        subsequent_indent=" " * (indent + 4),
        break_long_words=False,
        break_on_hyphens=False,
    ) or [" " * indent]


def _pct(value: Any) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    if v != v:  # NaN: no relative change (from zero or missing)
        return ""
    return f"{v:+.1f} %" if abs(v) >= 0.1 or v == 0 else f"{v:+.2g} %"


def _change_line(name: str, a: Any, b: Any, change: Any, pct: Any, indent: int) -> list[str]:
    delta = fmt_number(change)
    if delta != "-" and not delta.startswith("-"):
        delta = "+" + delta
    numbers = f"{fmt_number(a)} -> {fmt_number(b)}"
    detail = ", ".join(x for x in (delta, _pct(pct)) if x)
    numbers += f" ({detail})" if detail else ""
    line = f"{' ' * indent}{name:<30} {numbers}"
    if len(line) <= WIDTH:
        return [line]
    return [*_wrap(name, indent), *_wrap(numbers, indent + 4)]


def render(d: ReleaseDiff) -> list[str]:
    """The text report, as lines of at most 80 characters (longer only for a single word)."""
    params = d.parameters
    n_params = len(params.tables)
    lines = [f"{d.a.tag} -> {d.b.tag}: " + ("identical content" if d.identical else "")]
    if not d.identical:
        lines[0] = lines[0].rstrip()
        lines += _wrap(
            f"{len(d.changed_objects)} changed object(s), {len(d.changed_inputs)} changed input(s), "
            f"{n_params} changed parameter table(s)",
            2,
        )
    for path in d.changed_inputs:
        lines += _wrap(f"input changed: {path}", 2)
    lines += ["", *render_parameters(params)]
    for table in d.tables:
        lines += ["", *render_table(table, d.a.tag, d.b.tag)]
    return lines


def render_parameters(params: ParametersDiff, indent: int = 0) -> list[str]:
    """The changed parameter tables, row by row, indented by ``indent``."""
    if not params.available:
        return _wrap(f"parameters: not compared ({params.note})", indent)
    if not params.tables:
        return _wrap("parameters: no table changed", indent)
    lines = _wrap(f"parameters: {len(params.tables)} table(s) changed", indent)
    for t in params.tables:
        if t.status != "changed":
            where = t.origin_b if t.status == "added" else t.origin_a
            lines += _wrap(f"{t.table}: table {t.status} ({where})", indent + 2)
            continue
        origin = t.origin_a if t.origin_a == t.origin_b else f"{t.origin_a} -> {t.origin_b}"
        lines += _wrap(f"{t.table} ({origin}): {len(t.rows)} row(s) changed", indent + 2)
        for row in t.rows:
            key = ", ".join(f"{k}={v}" for k, v in row.key.items())
            if row.status != "changed":
                lines += _wrap(f"{row.status}: {key}", indent + 4)
                continue
            lines += _wrap(key, indent + 4)
            for column, (a, b) in row.cells.items():
                lines += _wrap(f"{column}: {_cell(a)} -> {_cell(b)}", indent + 6)
    return lines


def _cell(value: Any) -> str:
    if value is None:
        return "(none)"
    text = str(value)
    return repr(text) if text == "" or " " in text.strip() or text != text.strip() else text


def render_table(t: TableDiff, tag_a: str, tag_b: str) -> list[str]:
    changed = t.changed
    lines = _wrap(
        f"{t.name} ({', '.join(t.keys)}): {t.rows_a} row(s) in {tag_a}, {t.rows_b} in {tag_b}; "
        f"{len(changed)} row(s) changed, {len(t.compared)} quantities compared",
        0,
    )
    if t.added_columns:
        lines += _wrap(f"columns only in {tag_b}: {', '.join(t.added_columns)}", 2)
    if t.removed_columns:
        lines += _wrap(f"columns only in {tag_a}: {', '.join(t.removed_columns)}", 2)
    if changed.empty:
        lines.append(f"  no changes per {', '.join(t.keys)}")
        return lines
    both = changed[changed["presence"] == "both"]
    summary = []
    for c in t.compared:
        a, b = both[f"{c}_a"], both[f"{c}_b"]
        moved = [i for i in both.index if _moved(a[i], b[i])]
        if not moved:
            continue
        pct = both.loc[moved, f"{c}_change_pct"].abs()
        largest = both.loc[pct.idxmax(), f"{c}_change_pct"] if pct.notna().any() else None
        summary.append((c, len(moved), largest))
    if summary:
        lines.append("  changed quantities (rows changed, largest relative change):")
        for c, n, largest in summary:
            extra = f", largest {_pct(largest)}" if largest is not None and _pct(largest) else ""
            line = f"    {c:<36} {n} row(s){extra}"
            lines += [line] if len(line) <= WIDTH else [*_wrap(c, 4), *_wrap(f"{n} row(s){extra}", 8)]
    shown = changed.head(MAX_ROWS)
    more = f" (first {len(shown)} of {len(changed)}; --json lists all)" if len(changed) > len(shown) else ""
    lines.append(f"  changed rows{more}:")
    for _, row in shown.iterrows():
        key = " ".join(str(row[k]) for k in t.keys)
        if row["presence"] != "both":
            tag = tag_a if row["presence"] == "only_a" else tag_b
            lines += _wrap(f"{key}: only in {tag}", 4)
            continue
        lines += _wrap(key, 4)
        for c in t.changed_columns(row):
            lines += _change_line(
                c, row[f"{c}_a"], row[f"{c}_b"], row[f"{c}_change"], row[f"{c}_change_pct"], 6
            )
    return lines


def _moved(a: Any, b: Any) -> bool:
    from bluecarbon.store.diff import differs

    return differs(a, b)
