"""MkDocs hooks: pages generated from the code at build time, so they cannot go stale.

- ``parameters.md``: every parameter table of ``bluecarbon/params`` (each row with its value,
  units, source and ``verified`` flag), read through :class:`bluecarbon.params.ParameterSet`,
  which refuses a table without units, source or verified on every row.
- ``<!-- habitat-codes -->`` in any page: the habitat code table of :mod:`bluecarbon.vocab`.
- ``<!-- store-tables -->`` in any page: the release tables of :mod:`bluecarbon.store.schema`.
- ``cli.md``: every command's ``--help``, rendered from the CLI itself (typer's click
  commands, at 80 columns), so the reference says what the installed command says.

Registered in ``mkdocs.yml`` under ``hooks:``; MkDocs calls the ``on_*`` functions by name.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from bluecarbon.params import ParameterSet
from bluecarbon.vocab import HABITAT_CODES, HABITAT_FILL

PARAMETERS_PAGE = "parameters.md"
CLI_PAGE = "cli.md"
HABITAT_MARKER = "<!-- habitat-codes -->"
TABLES_MARKER = "<!-- store-tables -->"

#: What each table is for (shown above it); a table missing here still appears.
PURPOSE: dict[str, str] = {
    "area_uncertainty": "Default 95 % half-width of habitat area where no reference sample exists.",
    "biomass_carbon": "Carbon fraction of living biomass, by habitat and part.",
    "core_uncertainty": "Measurement and gap-filling errors propagated into core stocks.",
    "habitat_rules": "Rule sets that classify composites into habitats (index thresholds).",
    "intertidal": "Water-index threshold and tide fractions for intertidal composites.",
    "ipcc_tier1": "IPCC 2013 Wetlands Supplement chapter 4 Tier 1 defaults.",
    "loi_to_oc": "Loss on ignition (organic matter) to organic carbon, by habitat.",
    "regional_parameters": "Published values per region (a study's `region`): `applied` rows replace a "
    "global default (survey biomass), `reference` rows are checked against the release's own figure "
    "(soil stocks, accumulation); see docs/qingdao.md.",
    "sensor_bands": "Band names, common names and centre wavelengths of the sensors read.",
    "sensor_scaling": "Digital numbers to surface reflectance, by product and date.",
    "sentinel2_scl": "Sentinel-2 scene classification classes kept or masked.",
    "shellfish_classes": "HY/T 0305-2021 class coefficients for shellfish and seaweed.",
    "shellfish_species": "Species (FAO code, Latin, Chinese and English names) to class.",
    "soil_defaults": "Soil rules: ideal-mixing densities, minimum cores, extrapolation limits.",
    "spectral_indices": "Spectral indices, their formulas and sources.",
    "transition_defaults": "Biomass and litter stocks, half-lives and disturbance fractions.",
    "uncertainty": "Monte Carlo draws, seed, confidence level, allowable uncertainty, buffer.",
    "validation_limits": "Plausibility limits used by input validation.",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def parameter_tables_markdown() -> str:
    """The parameter tables page: one section per CSV, every row and column as written."""
    lines = [
        "# Parameter tables",
        "",
        "Every number the pipeline uses that is not measured in the inputs lives in a CSV table",
        "in `bluecarbon/params/`, with its `units`, its `source` and a `verified` flag on every",
        "row (`false` until the value has been checked against the primary document; values",
        'marked "(check)" stay `false`). A study can override any table with a file of',
        "the same name in a folder named by `[params] dir` in `bluecarbon.toml`. A run resolves",
        "every table once; the release publishes them (its `parameters` table, with their digest",
        "in the release metadata), so a changed table makes a new release and an old release",
        "keeps the parameters it was computed with.",
        "",
        "This page is generated from the tables when the documentation is built.",
        "",
    ]
    shipped = ParameterSet.shipped()  # refuses a table without units/source/verified
    for name in shipped.names:
        checked = shipped.table(name)
        rows = list(csv.reader(io.StringIO(shipped.text(name), newline="")))
        header, body = rows[0], [r for r in rows[1:] if any(cell.strip() for cell in r)]
        unverified = int((~checked["verified"].astype(bool)).sum())
        lines += [
            f"## {name}",
            "",
            PURPOSE.get(name, ""),
            f"File `bluecarbon/params/{name}.csv`: {len(body)} rows, {unverified} not yet verified.",
            "",
            "| " + " | ".join(_cell(h) for h in header) + " |",
            "| " + " | ".join("---" for _ in header) + " |",
        ]
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in body]
        lines.append("")
    return "\n".join(lines)


def habitat_codes_markdown() -> str:
    """The habitat classes with their raster codes, as in :mod:`bluecarbon.vocab`."""
    lines = ["| code | habitat | blue carbon |", "| --- | --- | --- |"]
    for habitat, code in sorted(HABITAT_CODES.items(), key=lambda kv: kv[1]):
        lines.append(f"| {code} | `{habitat.value}` | {'yes' if habitat.is_blue_carbon else 'no'} |")
    lines.append(f"| {HABITAT_FILL} | (no data: `_FillValue` of the stored uint8 maps) | - |")
    return "\n".join(lines)


def store_tables_markdown() -> str:
    """The release's tables, their content and required columns, as in the store schema."""
    from bluecarbon.store.schema import TABLES

    lines = ["| table | content | required columns | geometry |", "| --- | --- | --- | --- |"]
    for spec in TABLES.values():
        columns = ", ".join(spec.required_columns)
        lines.append(
            f"| `{spec.name}` | {_cell(spec.description)} | {columns} | {'yes' if spec.geometry else ''} |"
        )
    return "\n".join(lines)


def _help_text(command: Any, path: list[str], parent: Any) -> tuple[str, Any]:
    """A command's ``--help`` text as an 80-column terminal shows it (click leaves two columns
    free: 78), and its context (for its subcommands)."""
    ctx = command.make_context(
        path[-1], [], parent=parent, resilient_parsing=True, terminal_width=78, max_content_width=80
    )
    return command.get_help(ctx).rstrip(), ctx


def cli_reference_markdown() -> str:
    """The command-line reference: a summary table, then every command's ``--help``."""
    import typer

    from bluecarbon.cli import app

    root = typer.main.get_command(app)
    lines = [
        "# Command-line reference",
        "",
        "Every `bluecarbon` command with its `--help` (`-h` works too), generated from the",
        "command itself when the documentation is built. Options that take one of a few values",
        "list them (`--format <json|html|pdf>`); a value outside the list is refused with the",
        "list. Tables fit the terminal (piped: `COLUMNS`, else 80 columns) and never cut a",
        "figure; `--wide` shows every column, `--json` every field in a stable key order.",
        "",
        "| command | what it does |",
        "| --- | --- |",
    ]
    sections: list[str] = []

    def visit(command: Any, path: list[str], parent: Any, level: int) -> None:
        text, ctx = _help_text(command, path, parent)
        sections.extend([f"{'#' * level} {' '.join(path)}", "", "```text", text, "```", ""])
        for name, sub in getattr(command, "commands", {}).items():
            words = [*path, name]
            anchor = "-".join(words)  # the heading's id: words joined by hyphens
            lines.append(f"| [`{' '.join(words)}`](#{anchor}) | {_cell(sub.get_short_help_str(limit=200))} |")
            visit(sub, words, ctx, 2 if len(path) == 1 else 3)

    visit(root, ["bluecarbon"], None, 2)
    return "\n".join([*lines, "", *sections])


def on_files(files: Any, config: Any) -> Any:
    """Add the generated parameter tables and command-line reference pages."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, PARAMETERS_PAGE, content=parameter_tables_markdown()))
    files.append(File.generated(config, CLI_PAGE, content=cli_reference_markdown()))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace the habitat-codes and store-tables markers with their generated tables."""
    if HABITAT_MARKER in markdown:
        markdown = markdown.replace(HABITAT_MARKER, habitat_codes_markdown())
    if TABLES_MARKER in markdown:
        markdown = markdown.replace(TABLES_MARKER, store_tables_markdown())
    return markdown


__all__ = [
    "cli_reference_markdown",
    "habitat_codes_markdown",
    "on_files",
    "on_page_markdown",
    "parameter_tables_markdown",
    "store_tables_markdown",
]
