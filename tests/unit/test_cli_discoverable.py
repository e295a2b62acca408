"""The CLI answers at once and says what it takes: ``--help`` imports nothing heavy, every
command and group has ``-h``, descriptions are not cut, option choices are listed and enforced
(issue 16). Start-up is measured where a user meets it: in a fresh interpreter."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any, get_args

import pytest
import typer
from typer.testing import CliRunner

from bluecarbon.cli import app
from tests.cli_harness import cli_env, run_cli

#: Modules ``bluecarbon --help`` must not import (pandas alone takes ~2 s on the reference machine).
HEAVY = ("pandas", "xarray", "prefect", "rich", "numpy", "dask", "geopandas", "matplotlib")

#: Runs the CLI with ``argv`` in this interpreter, then prints the heavy packages it imported.
PROBE = """
import json, sys
heavy = json.loads(sys.argv[2])
sys.argv = ["bluecarbon", *json.loads(sys.argv[1])]
from bluecarbon.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & set(heavy))), file=sys.stderr)
"""


def _heavy_imports(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(args)), json.dumps(HEAVY)],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Usage: bluecarbon" in done.stdout, done.stdout
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args",
    [("--help",), ("-h",), ("status", "-h"), ("parcels", "--help"), ("plot", "-h"), ("statement", "-h")],
    ids=" ".join,
)
def test_help_imports_neither_pandas_xarray_prefect_nor_rich(args: tuple[str, ...]) -> None:
    assert _heavy_imports(*args) == []


def _command_paths(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, command in getattr(group, "commands", {}).items():
        paths.append((*prefix, name))
        paths += _command_paths(command, (*prefix, name))
    return paths


COMMAND_PATHS = _command_paths(typer.main.get_command(app))


def test_the_new_commands_are_listed() -> None:
    assert {("status",), ("parcels",), ("sites",), ("plot", "map"), ("issuer", "init")} <= set(COMMAND_PATHS)


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=" ".join)
def test_dash_h_works_on_every_command_and_group(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "-h"])
    assert result.exit_code == 0, result.output
    assert f"Usage: bluecarbon {' '.join(path)}" in result.output.replace("root ", "bluecarbon ")


@pytest.mark.parametrize("group", [(), ("plot",), ("issuer",)], ids=lambda g: " ".join(g) or "bluecarbon")
def test_command_descriptions_are_not_cut_at_80_columns(group: tuple[str, ...]) -> None:
    result = run_cli(*group, "--help", env={"COLUMNS": "80"})
    assert result.code == 0, result
    listing = result.stdout.split("Commands:")[1]
    rows = [line for line in listing.splitlines() if line.strip()]
    assert rows, result.stdout
    assert not [r for r in rows if r.rstrip().endswith("...")], rows
    for row in rows:  # one line each, first sentence whole
        assert re.match(r"^  [a-z-]+\s+\S.*\.$", row), row


@pytest.mark.parametrize(
    ("args", "option", "choices"),
    [
        (("statement", "p-1", "--format", "docx"), "--format", ("json", "html", "pdf")),
        (("statement", "p-1", "--lang", "fr"), "--lang", ("en", "zh")),
        (("render", "s.json", "--format", "docx"), "--format", ("html", "pdf")),
        (
            ("export", "latest", "-o", "x", "--format", "shp"),
            "--format",
            ("netcdf", "geotiff", "geoparquet", "gpkg"),
        ),
        (
            ("plot", "series", "s", "-o", "x.png", "--quantity", "carbon"),
            "--quantity",
            ("site-net-flux", "removal"),
        ),
        (
            ("plot", "map", "s/carbon", "-o", "x.png", "--pool", "roots"),
            "--pool",
            ("biomass", "soil", "litter"),
        ),
        (("plot", "map", "s/carbon", "-o", "x.png", "--basis", "kg"), "--basis", ("c", "co2e")),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_choices_are_shown_in_help_and_a_wrong_value_lists_them(
    args: tuple[str, ...], option: str, choices: tuple[str, ...]
) -> None:
    runner = CliRunner()
    wrong = runner.invoke(app, list(args))
    assert wrong.exit_code == 2, wrong.output
    message = wrong.output.lower()
    assert f"invalid value for '{option}'" in message
    assert all(f"'{choice}'" in message for choice in choices), wrong.output
    command = [a for a in args if not a.startswith("-")][: 2 if args[0] == "plot" else 1]
    shown = runner.invoke(app, [*command, "-h"]).output.lower()
    line = next(line for line in shown.splitlines() if option in line)
    assert all(choice in line for choice in choices), line


def test_case_does_not_matter_for_the_carbon_basis() -> None:
    result = CliRunner().invoke(
        app, ["plot", "map", "s/carbon", "-o", "x.png", "--basis", "co2e", "-c", "/nope"]
    )
    assert result.exit_code == 1 and "no such configuration file" in result.output  # past parsing


def test_cli_choices_are_the_ones_the_library_takes() -> None:
    from bluecarbon.cli import plot, releases, statements
    from bluecarbon.plots import QUANTITY_NAMES
    from bluecarbon.report.i18n import LANGS
    from bluecarbon.store.export import FORMATS

    def literal(func: Any, name: str) -> tuple[str, ...]:
        annotation = typer.main.get_params_from_function(func)[name].annotation
        return tuple(a for a in get_args(annotation) if isinstance(a, str))

    assert literal(releases.export, "fmt") == FORMATS
    assert literal(statements.statement, "lang") == LANGS
    assert {q.value.replace("-", "_") for q in plot.Quantity} == set(QUANTITY_NAMES)
