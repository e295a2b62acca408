"""Tables that fit the terminal: figures are never cut, text wraps, optional columns give way.

Left to itself, rich shrinks a table that is too wide by wrapping its text columns and then,
as a last resort, by cutting every column with an ellipsis, figures included (``345,9…``). A
figure cut short reads as another figure, so tables are laid out here before rich sees them:

- a *figure* column (numbers, also ids and dates: anything that must be read whole) is exactly
  as wide as its widest value, or its header's longest word; the header wraps above it;
- a text column folds its words (a long name wraps onto more lines, nothing is dropped);
- *optional* columns (ids, hashes, secondary figures) join in their order only while the whole
  table still fits the width unwrapped (an extra must not squeeze what was asked for); a note
  names those left out, ``--wide`` shows every column (lines may then run past the width,
  still nothing is cut) and ``--json`` every field in full.

Column widths are computed here (:func:`layout`: each column at least its longest word or
figure, the room left shared by what each still lacks of its longest line) and handed to rich
as fixed widths, so rich never shrinks a column by its own rules. When even the required
columns do not fit (a very narrow terminal), the table is printed as wide as it needs: a long
line is better than a wrong number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bluecarbon.cli import _common as c

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text


@dataclass(frozen=True)
class Col:
    """One column: its header, whether it holds figures (kept whole, right-aligned unless
    ``justify`` says otherwise) and whether it may be left out to fit the width."""

    header: str
    figure: bool = False
    optional: bool = False
    justify: Literal["left", "right"] | None = None

    @property
    def alignment(self) -> Literal["left", "right"]:
        return self.justify or ("right" if self.figure else "left")


def _text(cell: str | Text) -> Text:
    from rich.text import Text

    return cell if isinstance(cell, Text) else Text(cell)


@dataclass(frozen=True)
class Extent:
    """Narrowest and widest a column's content can be drawn (characters, no padding)."""

    minimum: int
    maximum: int


def extent(col: Col, cells: Sequence[Text]) -> Extent:
    """A figure column: its widest value (or header word), both ways. A text column: from its
    longest word (header included) to its longest line. In terminal cells: a Chinese name
    takes two per character."""
    from rich.cells import cell_len
    from rich.text import Text

    header = Text(col.header)
    words = [cell_len(w) for t in [header, *cells] for w in t.plain.split()] or [1]
    lines = [cell_len(line) for t in [header, *cells] for line in t.plain.splitlines()] or [1]
    if col.figure:
        widest = max(max((t.cell_len for t in cells), default=1), max(words))
        return Extent(widest, widest)
    return Extent(max(words), max(max(lines), max(words)))


#: Characters between two columns (a space divider and one cell of collapsed padding).
GAP = 2


def layout(extents: Sequence[Extent], width: int) -> list[int]:
    """Column widths that fit ``width`` when the minimums do: every column at least its
    minimum, the room left shared in proportion to what each still lacks of its maximum.
    Figure columns have minimum == maximum, so they are never narrower than their figures."""
    room = width - GAP * (len(extents) - 1)
    widths = [e.minimum for e in extents]
    if sum(e.maximum for e in extents) <= room:
        return [e.maximum for e in extents]
    spare = room - sum(widths)
    wants = [e.maximum - e.minimum for e in extents]
    total = sum(wants)
    if spare <= 0 or total == 0:
        return widths
    shares = [spare * w // total for w in wants]
    for i in sorted(range(len(wants)), key=lambda i: wants[i] - shares[i], reverse=True):
        if sum(shares) >= spare:
            break
        if shares[i] < wants[i]:
            shares[i] += 1
    return [w + s for w, s in zip(widths, shares, strict=True)]


def table_width(widths: Sequence[int]) -> int:
    return sum(widths) + GAP * (len(widths) - 1)


def chosen_columns(extents: Sequence[Extent], columns: Sequence[Col], *, width: int, wide: bool) -> list[int]:
    """Indices of the columns to show: every one with ``wide``; else the required ones, plus
    each optional one, in order, with which the table still fits ``width`` without wrapping
    anything (an extra column must not squeeze the ones that were asked for)."""
    chosen = [i for i, col in enumerate(columns) if wide or not col.optional]
    if wide:
        return chosen
    for i, col in enumerate(columns):
        if col.optional:
            trial = sorted([*chosen, i])
            if table_width([extents[j].maximum for j in trial]) <= width:
                chosen = trial
    return chosen


def build_table(
    columns: Sequence[Col],
    rows: Sequence[Sequence[Text]],
    widths: Sequence[int],
    *,
    title: str | None = None,
) -> Table:
    """A rich table with every column at its given width (rich then wraps text columns to
    that width and never has to shrink anything itself)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    for col, w in zip(columns, widths, strict=True):
        header = Text(col.header, overflow="fold", no_wrap=False)
        table.add_column(header, justify=col.alignment, no_wrap=col.figure, overflow="fold", width=w)
    for row in rows:
        table.add_row(*row)
    return table


def print_table(
    columns: Sequence[Col],
    rows: Sequence[Sequence[str | Text]],
    *,
    title: str | None = None,
    wide: bool = False,
) -> list[str]:
    """Print the table on standard output, fitted to the output width; returns the headers
    of the columns left out (also named in a note under the table)."""
    out = c.console()
    width = out.width
    body = [[_text(cell) for cell in row] for row in rows]
    extents = [extent(col, [row[i] for row in body]) for i, col in enumerate(columns)]
    keep = chosen_columns(extents, columns, width=width, wide=wide)
    widths = layout([extents[i] for i in keep], width)
    table = build_table(
        [columns[i] for i in keep], [[row[i] for i in keep] for row in body], widths, title=title
    )
    needed = table_width(widths)
    if needed > width:
        out.width = needed  # never cut a figure: a longer line instead (see module docstring)
    try:
        out.print(table, soft_wrap=False)
    finally:
        out.width = width
    hidden = [col.header for i, col in enumerate(columns) if i not in keep]
    if hidden:
        c.report(f"[dim]Not shown at {width} columns: {', '.join(hidden)} (--wide shows them).[/]")
    return hidden
