"""The ``bluecarbon`` command.

The CLI is the only place (with ``flows/``) that reads configuration; it turns settings into
explicit arguments for library calls. Each command lives in a small module of this package
and imports what it needs inside its function, so ``bluecarbon --help`` imports nothing but
argument parsing and every command pays only for itself. Every
:class:`~bluecarbon.errors.BlueCarbonError` becomes a one-paragraph message and exit code 1.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bluecarbon import __version__
from bluecarbon.cli import (
    api,
    insurance,
    issuer,
    parcels,
    pipeline,
    plot,
    register,
    releases,
    sites,
    statements,
    status,
    tokens,
    transitions,
)

CONTEXT = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="bluecarbon",
    help=(
        "Monitor blue-carbon sinks (seagrass, salt marsh, shellfish aquaculture) and publish "
        "versioned, citable releases.\n\n"
        "Start with `bluecarbon run` (the monitoring pipeline on the configured study), then "
        "`bluecarbon releases`, `bluecarbon show latest` and `bluecarbon parcels`; "
        "`bluecarbon status` says what the next run would do. Configuration: bluecarbon.toml, "
        "overridden by BLUECARBON_* variables. Every command has -h."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings=CONTEXT,
)

app.command()(pipeline.run)
app.command()(pipeline.serve)
app.command()(status.status)
app.command()(releases.releases)
app.command()(releases.show)
app.command()(parcels.parcels)
app.command()(sites.sites)
app.command()(releases.verify)
app.command()(releases.withdraw)
app.command()(releases.diff)
app.command()(releases.export)
app.command()(releases.gc)
app.command()(releases.catalog)
app.command()(statements.statement)
app.command("verify-statement")(statements.verify_statement_cmd)
app.command()(statements.render)
app.add_typer(issuer.app, name="issuer")
app.command()(api.api)
app.command("api-token")(tokens.api_token)
app.command()(transitions.transitions)
app.command()(register.alerts)

plot_app = typer.Typer(
    help=(
        "Save figures of a release as PNG (maps, series).\n\n"
        "Habitat and carbon maps, time series with uncertainty bands."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings=CONTEXT,
)
plot_app.command("map")(plot.plot_map)
plot_app.command("series")(plot.plot_series)
app.add_typer(plot_app, name="plot")

register_app = typer.Typer(
    help=(
        "Sink-rights register: issue, pledge, retire units.\n\n"
        "Units are issued for a parcel's creditable removals, pledged to lenders, transferred and "
        "retired; every event goes in an append-only, hash-chained ledger in the store. "
        "Quantities in t CO2e (one unit = 1 kg CO2e)."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings=CONTEXT,
)
for _name in ("issue", "pledge", "unpledge", "enforce", "transfer", "retire", "show", "verify"):
    register_app.command(_name)(getattr(register, _name))
app.add_typer(register_app, name="register")

insurance_app = typer.Typer(
    help=("Index insurance on a parcel's sink.\n\nEvaluate a policy (index, trigger, payout) on a release."),
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings=CONTEXT,
)
insurance_app.command("evaluate")(insurance.evaluate)
app.add_typer(insurance_app, name="insurance")


@app.callback(invoke_without_command=True)
def _main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        print(f"bluecarbon {__version__}")
        raise typer.Exit()


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="bluecarbon")  # also under `python -m bluecarbon.cli`


if __name__ == "__main__":  # pragma: no cover
    main()
