"""The sink-rights register (issue, pledge, unpledge, enforce, transfer, retire, show, verify)
and post-loan alerts. Quantities are t CO2e to at most three decimals (one unit = 1 kg CO2e)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bluecarbon.cli import _common as c

if TYPE_CHECKING:
    from bluecarbon.register.book import SinkRegister
    from bluecarbon.store.ledger import Entry

ParcelArg = Annotated[
    str, typer.Argument(help="Parcel id as stored in the releases (see `bluecarbon show`).")
]
QuantityOption = Annotated[
    str, typer.Option("--quantity", "-q", help="t CO2e, at most three decimals (one unit = 1 kg CO2e).")
]
ActorOption = Annotated[
    str | None, typer.Option("--actor", help="Who records the event (default: the OS user).")
]
HolderOption = Annotated[
    str | None,
    typer.Option(
        "--from", help="Holder whose available units are used (default: owner, the issue's holder)."
    ),
]
PeriodOption = Annotated[
    str | None, typer.Option("--period", help="Crediting period START-END, e.g. 2023-2024 (default: any).")
]


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _open(config: Path | None) -> SinkRegister:
    from bluecarbon.register.book import SinkRegister

    return SinkRegister(c.store(c.settings(config)))


def _period(text: str | None) -> Any:
    from bluecarbon.register.units import Period

    return Period.parse(text) if text else None


def _holder(name: str | None) -> str:
    from bluecarbon.register.book import DEFAULT_HOLDER

    return name or DEFAULT_HOLDER


def _report(entry: Entry, text: str, as_json: bool) -> None:
    if as_json:
        print(
            json.dumps(
                {
                    "entry": entry.seq,
                    "kind": entry.kind,
                    "at": entry.at,
                    "actor": entry.actor,
                    "entry_hash": entry.entry_hash,
                    **dict(entry.payload),
                    "balances_t_co2e": {
                        k: v / 1000 for k, v in dict(entry.payload.get("balances_after") or {}).items()
                    },
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    c.console().print(text + f" (entry {entry.seq}, {entry.at})", highlight=False)


def _t(units: int) -> str:
    from bluecarbon.register.units import fmt_t

    return fmt_t(int(units))


def issue(
    parcel_id: ParcelArg,
    release: Annotated[
        str, typer.Option("--release", "-r", help="Release whose creditable removals back the units.")
    ] = "latest",
    period: Annotated[
        str | None,
        typer.Option("--period", help="Crediting period START-END (default: the parcel's latest)."),
    ] = None,
    holder: Annotated[
        str | None, typer.Option("--holder", help="Who receives the units (default: owner).")
    ] = None,
    actor: ActorOption = None,
    config: c.ConfigOption = None,
    as_json: c.JsonOption = False,
) -> None:
    """Issue units for the creditable removals of one parcel and crediting period of a release.
    A later release issues only what it adds; never more than it credits."""
    with c.errors():
        entry = _open(config).issue(
            parcel_id, actor=_actor(actor), release=release, period=_period(period), holder=_holder(holder)
        )
    p = entry.payload
    _report(
        entry,
        f"issued {_t(p['units'])} t CO2e of {p['parcel_id']} {p['period']} to {p['holder']} from release "
        f"{p['release']}: {p['serial']}",
        as_json,
    )


def pledge(
    parcel_id: ParcelArg,
    quantity: QuantityOption,
    lender: Annotated[str, typer.Option("--to", help="The lender the units are pledged to.")],
    expires: Annotated[
        str | None, typer.Option("--expires", help="Date the pledge ends, YYYY-MM-DD (recorded, reported).")
    ] = None,
    holder: HolderOption = None,
    period: PeriodOption = None,
    actor: ActorOption = None,
    config: c.ConfigOption = None,
    as_json: c.JsonOption = False,
) -> None:
    """Pledge available units of a parcel to a lender (sink-rights pledge). Pledged units can be
    neither transferred nor retired until released (`unpledge`) or enforced (`enforce`)."""
    from datetime import date

    from bluecarbon.errors import InputError

    with c.errors():
        try:
            until = date.fromisoformat(expires) if expires else None
        except ValueError:
            raise InputError(f"--expires {expires!r}", expected="a date YYYY-MM-DD") from None
        entry = _open(config).pledge(
            parcel_id,
            quantity_t=quantity,
            lender=lender,
            actor=_actor(actor),
            expires=until,
            pledgor=_holder(holder),
            period=_period(period),
        )
    p = entry.payload
    _report(
        entry,
        f"pledge {p['pledge_id']}: {_t(p['units'])} t CO2e of {p['parcel_id']} pledged by {p['pledgor']} to "
        f"{p['lender']}"
        + (f" until {p['expires']}" if p.get("expires") else "")
        + f": {', '.join(p['serials'])}",
        as_json,
    )


def unpledge(
    pledge_id: Annotated[str, typer.Argument(help="Pledge id, e.g. PL-2 (see `register show`).")],
    actor: ActorOption = None,
    config: c.ConfigOption = None,
    as_json: c.JsonOption = False,
) -> None:
    """Release a pledge (the loan was repaid): its units are available to the pledgor again."""
    with c.errors():
        entry = _open(config).unpledge(pledge_id, actor=_actor(actor))
    p = entry.payload
    _report(
        entry,
        f"pledge {pledge_id} released: {_t(p['units'])} t CO2e available to {p['pledgor']} again",
        as_json,
    )


def enforce(
    pledge_id: Annotated[str, typer.Argument(help="Pledge id, e.g. PL-2 (see `register show`).")],
    actor: ActorOption = None,
    config: c.ConfigOption = None,
    as_json: c.JsonOption = False,
) -> None:
    """Enforce a pledge (the loan defaulted): its units pass to the lender, available to it."""
    with c.errors():
        entry = _open(config).enforce(pledge_id, actor=_actor(actor))
    p = entry.payload
    _report(entry, f"pledge {pledge_id} enforced: {_t(p['units'])} t CO2e now held by {p['lender']}", as_json)


def transfer(
    parcel_id: ParcelArg,
    quantity: QuantityOption,
    to: Annotated[str, typer.Option("--to", help="The new holder.")],
    holder: HolderOption = None,
    period: PeriodOption = None,
    actor: ActorOption = None,
    config: c.ConfigOption = None,
    as_json: c.JsonOption = False,
) -> None:
    """Transfer available (unpledged) units to another holder (a sale)."""
    with c.errors():
        entry = _open(config).transfer(
            parcel_id,
            quantity_t=quantity,
            to=to,
            actor=_actor(actor),
            holder=_holder(holder),
            period=_period(period),
        )
    p = entry.payload
    _report(
        entry,
        f"transferred {_t(p['units'])} t CO2e of {p['parcel_id']} from {p['from']} to {p['to']}: "
        f"{', '.join(p['serials'])}",
        as_json,
    )


def retire(
    parcel_id: ParcelArg,
    quantity: QuantityOption,
    beneficiary: Annotated[str, typer.Option("--beneficiary", help="On whose behalf the units are retired.")],
    purpose: Annotated[str, typer.Option("--purpose", help="Why (e.g. 'offset 2026 emissions').")] = "",
    holder: HolderOption = None,
    period: PeriodOption = None,
    actor: ActorOption = None,
    config: c.ConfigOption = None,
    as_json: c.JsonOption = False,
) -> None:
    """Retire available (unpledged) units for a beneficiary: final, they can never be used again."""
    with c.errors():
        entry = _open(config).retire(
            parcel_id,
            quantity_t=quantity,
            beneficiary=beneficiary,
            purpose=purpose,
            actor=_actor(actor),
            holder=_holder(holder),
            period=_period(period),
        )
    p = entry.payload
    _report(
        entry,
        f"retired {_t(p['units'])} t CO2e of {p['parcel_id']} for {p['beneficiary']}"
        + (f" ({p['purpose']})" if p.get("purpose") else "")
        + f": {', '.join(p['serials'])}",
        as_json,
    )


def show(parcel_id: ParcelArg, config: c.ConfigOption = None, as_json: c.JsonOption = False) -> None:
    """A parcel's balances (issued, available, pledged, transferred, retired, in t CO2e), holders,
    pledges and shortfalls, replayed from the verified register."""
    with c.errors():
        report = _open(config).parcel_report(parcel_id)
    if as_json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    from rich.table import Table

    table = Table(title=f"Register: {parcel_id} (t CO2e)", title_justify="left")
    keys = ("issued", "available", "pledged", "transferred", "retired", "shortfall")
    for key in ("period", *keys):
        table.add_column(key, justify="left" if key == "period" else "right")
    for row in report["periods"]:
        table.add_row(
            row["period"], *(f"{row[k]:,.3f}" for k in keys[:-1]), f"{row['shortfall_t_co2e']:,.3f}"
        )
    table.add_row("all", *(f"{report[k]:,.3f}" for k in keys), style="bold")
    c.console().print(table)
    if report["holders"]:
        c.console().print(
            "available by holder: "
            + ", ".join(f"{h['holder']} {h['available_t_co2e']:,.3f}" for h in report["holders"])
        )
    for p in report["pledges"]:
        state = p["status"] + (", EXPIRED" if p["expired"] else "")
        c.console().print(
            f"{p['pledge_id']}: {p['quantity_t_co2e']:,.3f} t to {p['lender']} by {p['pledgor']}, "
            f"expires {p['expires'] or '-'} ({state})",
            highlight=False,
        )
    for w in report["warnings"]:
        c.err().print(f"[yellow]warning:[/] {w}", highlight=False)


def verify(config: c.ConfigOption = None, as_json: c.JsonOption = False) -> None:
    """Walk the register's hash chain against its anchor, replay every event and recompute every
    balance, check each issue against its release; exit 1 on an edited, removed or forged entry."""
    with c.errors():
        check = _open(config).verify()
    if as_json:
        print(
            json.dumps(
                {
                    "ok": check.ok,
                    "entries": check.entries,
                    "head": check.head,
                    "problems": list(check.problems),
                    "warnings": list(check.warnings),
                    "balances": {k: dict(v) for k, v in check.balances.items()},
                },
                indent=2,
            )
        )
    elif check.ok:
        c.console().print(
            f"register OK: {check.entries} entries, head {check.head[:16]}, balances of "
            f"{len(check.balances)} parcel(s) recomputed from the chain",
            highlight=False,
        )
        for w in check.warnings:
            c.err().print(f"[yellow]warning:[/] {w}", highlight=False)
    else:
        c.err().print(f"[bold red]register FAILED verification[/] ({check.entries} anchored entries)")
        for problem in check.problems:
            c.err().print(f"  {problem}", highlight=False)
    if not check.ok:
        raise typer.Exit(1)


def alerts(
    since: Annotated[
        str | None, typer.Option("--since", help="Only alerts of releases published after this one.")
    ] = None,
    config: c.ConfigOption = None,
    as_json: c.JsonOption = False,
) -> None:
    """Post-loan alerts on pledged parcels after each release.

    An alert is raised for a parcel with pledged units when its conservative stock or
    creditable removals fell beyond [register] alert_drop_fraction, when a release it relied on
    was withdrawn, or when issued units exceed what the new release supports (a shortfall)."""
    from bluecarbon.register.alerts import read_alerts

    with c.errors():
        frame = read_alerts(c.store(c.settings(config)), since=since)
    rows = json.loads(frame.to_json(orient="records"))
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        c.console().print("no alerts" + (f" since {since}" if since else ""))
        return
    from rich.table import Table

    table = Table(title="Post-loan alerts", title_justify="left")
    for column in ("release", "parcel", "kind", "period", "lenders", "message"):
        table.add_column(column)
    for r in rows:
        table.add_row(r["release"], r["parcel_id"], r["kind"], r["period"], r["lenders"], r["message"])
    c.console().print(table)
