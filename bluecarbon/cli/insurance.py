"""Index insurance: evaluate a policy file on a release (index, trigger, payout)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bluecarbon.cli import _common as c


def evaluate(
    policy: Annotated[Path, typer.Argument(help="Policy file (TOML; see docs/insurance.md).")],
    release: c.ReleaseOption = "latest",
    config: c.ConfigOption = None,
    as_json: c.JsonOption = False,
) -> None:
    """Evaluate an index insurance policy on a release: the index, whether it fell below the
    trigger and the payout (linear between trigger and exit)."""
    from bluecarbon.register.insurance import evaluate as evaluate_policy
    from bluecarbon.register.insurance import load_policy

    with c.errors():
        parsed = load_policy(policy)
        result = evaluate_policy(c.store(c.settings(config)), parsed, release=release)
    if as_json:
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        return
    if result.release_status == "withdrawn":
        c.err().print(f"[bold red]release {result.release} is WITHDRAWN[/]: do not settle on it")
    verdict = "TRIGGERED" if result.triggered else "not triggered"
    c.console().print(
        f"policy {result.policy_id} on {result.parcel_id}, release {result.release}\n"
        f"index {result.index_kind}: {result.index:,.3f} {result.unit} ({result.basis})\n"
        f"trigger {result.trigger:,.3f}, exit {result.exit:,.3f}: {verdict}\n"
        f"payout {result.payout:,.2f} {result.currency} of {result.sum_insured:,.2f} insured "
        f"({result.payout_fraction:.2%})",
        highlight=False,
    )
