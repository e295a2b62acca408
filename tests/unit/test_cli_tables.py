"""Tables fit the output width and never cut a figure (issue 16: ``345,9…`` at 80 columns)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from bluecarbon.cli import _common as c
from bluecarbon.cli import tables
from bluecarbon.cli.tables import Col, Extent, layout, print_table

FIGURES = ["1,267,546", "345,912", "-1,001", "87,444.25", "0.00"]


@pytest.fixture
def output(monkeypatch: pytest.MonkeyPatch):
    """Point the CLI's console at a buffer of a given width; returns a reader of the text."""
    buffers: dict[str, io.StringIO] = {}

    def use(width: int) -> None:
        buffers["out"] = io.StringIO()
        console = Console(file=buffers["out"], width=width, soft_wrap=True, color_system=None)
        monkeypatch.setattr(c, "console", lambda: console)

    def read() -> list[str]:
        return buffers["out"].getvalue().splitlines()

    use.read = read  # type: ignore[attr-defined]
    return use


def _wide_table() -> tuple[list[Col], list[list[str]]]:
    columns = [
        Col("site", figure=True, justify="left"),
        Col("habitat"),
        Col("stock to 100 cm t CO2e", figure=True),
        Col("conservative t CO2e", figure=True),
        Col("net flux t CO2e/yr", figure=True),
        Col("area ha", figure=True),
        Col("period", figure=True, optional=True),
        Col("content hash", figure=True, optional=True),
    ]
    rows = [
        ["old_tampa_bay", "seagrass", FIGURES[0], FIGURES[1], FIGURES[2], FIGURES[3], "2022-2023", "f" * 16],
        ["chn_mariculture", "shellfish aquaculture", "-", "-", "-", FIGURES[4], "2022-2023", "0" * 16],
    ]
    return columns, rows


@pytest.mark.parametrize("width", [80, 60, 100, 200])
def test_no_figure_is_cut_and_lines_fit_when_they_can(output, width: int) -> None:
    output(width)
    columns, rows = _wide_table()
    hidden = print_table(columns, rows, title="Headline")
    lines = output.read()
    text = "\n".join(lines)
    assert "…" not in text
    for figure in FIGURES:
        assert figure in text, (figure, text)  # whole, on one line
    required = sum(len(w) for w in ("chn_mariculture", "aquaculture", *FIGURES[:4])) + 2 * 5
    if width >= required:
        assert max(len(line) for line in lines) <= width, text
    if width >= 200:
        assert hidden == [] and "f" * 16 in text
    if width == 80:
        assert hidden == ["period", "content hash"] and "Not shown at 80 columns" in text


def test_wide_shows_every_column_even_past_the_width(output) -> None:
    output(80)
    columns, rows = _wide_table()
    assert print_table(columns, rows, wide=True) == []
    text = "\n".join(output.read())
    assert "f" * 16 in text and "2022-2023" in text and "…" not in text


def test_cells_are_text_not_markup(output) -> None:
    output(80)
    print_table([Col("name")], [["[red]not markup[/red]"]])
    assert "[red]not markup[/red]" in "\n".join(output.read())


def test_layout_gives_each_column_its_minimum_and_shares_the_rest() -> None:
    # room = 30 - 2 gaps of 2 = 26; minimums 5 + 4 + 6 = 15; 11 to share among wants 10 and 10
    widths = layout([Extent(5, 5), Extent(4, 14), Extent(6, 16)], 30)
    assert widths[0] == 5 and sum(widths) == 26
    assert widths[1] >= 4 and widths[2] >= 6 and abs((widths[1] - 4) - (widths[2] - 6)) <= 1
    assert layout([Extent(3, 3), Extent(2, 9)], 80) == [3, 9]  # everything fits: maximums
    assert layout([Extent(30, 30), Extent(40, 40)], 50) == [30, 40]  # too narrow: minimums


def test_a_figure_column_is_as_wide_as_its_widest_value_or_header_word() -> None:
    from rich.text import Text

    assert tables.extent(Col("area ha", figure=True), [Text("1,234,567")]) == Extent(9, 9)
    assert tables.extent(Col("conservative t", figure=True), [Text("12")]) == Extent(12, 12)
    assert tables.extent(Col("name"), [Text("Old Tampa Bay")]) == Extent(5, 13)
    assert tables.extent(Col("name"), [Text("胶州湾 养殖区")]) == Extent(6, 13)  # two cells a character


@pytest.mark.parametrize(
    ("columns", "expected"), [(None, 80), ("", 80), ("100", 100), ("abc", 80), ("5", 80), (" 132 ", 132)]
)
def test_piped_output_follows_columns_else_80(columns: str | None, expected: int) -> None:
    env = {} if columns is None else {"COLUMNS": columns}
    assert c.piped_width(env) == expected
