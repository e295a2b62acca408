"""What an analyst reads after a run: a markdown summary and per-class tables.

Pure formatting of small records (the flow turns them into Prefect artifacts; the CLI
prints them), kept out of the flows so that the words and numbers are tested like any
other output: what was ingested, what was rejected and why, which release was published (or
that nothing changed), the headline numbers and the change since the previous release.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from bluecarbon.formatting import fmt_number


def _fact(value: object) -> str:
    """A step fact for the summary: floats rounded (totals to units, ratios to 4 digits)."""
    if isinstance(value, float) and value == value:
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"
    return str(value)


def change_since(previous: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Headline rows joined on (site, habitat) with the change in stock (t CO2e)."""
    cur = pd.DataFrame(list(current))
    if cur.empty:
        return cur
    prev = pd.DataFrame(list(previous))
    if prev.empty:
        cur["change_t_co2e"] = float("nan")
        return cur
    merged = cur.merge(
        prev[["site", "habitat", "stock_t_co2e"]],
        on=["site", "habitat"],
        how="left",
        suffixes=("", "_previous"),
    )
    merged["change_t_co2e"] = merged["stock_t_co2e"] - merged["stock_t_co2e_previous"]
    return merged


def run_summary_markdown(
    *,
    release: Mapping[str, Any],
    published: bool,
    previous: Mapping[str, Any] | None,
    inputs: Sequence[Mapping[str, Any]],
    steps: Mapping[str, Mapping[str, Any]],
    rejected: Sequence[Mapping[str, Any]] = (),
    compute: str = "local threads",
) -> str:
    """Markdown summary of one monitoring run."""
    lines = ["# bluecarbon monitoring run", ""]
    if published:
        lines.append(
            f"**Published release `{release['tag']}`** (snapshot `{release['snapshot_id']}`, "
            f"content hash `{release['content_hash'][:16]}`)."
        )
    else:
        lines.append(
            f"**Nothing changed**: inputs, parameters and code are those of release `{release['tag']}`; "
            "nothing was published."
        )
    if release.get("status") == "withdrawn":
        lines.append(f"\n> WITHDRAWN: {release.get('withdrawn_reason')}")
    lines += ["", f"Computed on: {compute}.", "", "## Ingested", ""]
    datasets: dict[str, tuple[str, int]] = {}
    for entry in inputs:
        lic, n = datasets.get(entry["dataset"], (entry["license"], 0))
        datasets[entry["dataset"]] = (lic, n + 1)
    lines += ["| data set | licence | files |", "| --- | --- | ---: |"]
    lines += [f"| {name} | {lic} | {n} |" for name, (lic, n) in sorted(datasets.items())]
    lines += ["", "| step | result | cached |", "| --- | --- | --- |"]
    for name, step in steps.items():
        facts = ", ".join(
            f"{k}: {_fact(v)}" for k, v in step.get("info", {}).items() if not isinstance(v, list | dict)
        )
        lines.append(f"| {name} | {facts} | {'yes' if step.get('cached') else 'no'} |")
    lines += ["", "## Rejected", ""]
    if rejected:
        lines += ["| file | row | column | value | rule |", "| --- | ---: | --- | --- | --- |"]
        lines += [
            f"| {r.get('file')} | {r.get('row')} | {r.get('column')} | {r.get('value')} | {r.get('rule')} |"
            for r in rejected[:50]
        ]
        if len(rejected) > 50:
            lines.append(
                f"\n... and {len(rejected) - 50} more rows (see the `quarantine` table of the release)."
            )
    else:
        lines.append("No input rows were rejected.")
    headline = release.get("summary", {}).get("headline", [])
    prev_headline = (previous or {}).get("summary", {}).get("headline", [])
    lines += ["", "## Headline (latest survey year per site)", ""]
    table = change_since(prev_headline, headline)
    if table.empty:
        lines.append("No totals.")
    else:
        since = f"change since {previous['tag']} (t CO2e)" if previous else "change since previous release"
        lines += [
            "| site | year | habitat | area ha | stock t C | stock t CO2e | sequestration t CO2e/yr "
            f"| {since} |",
            "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in table.itertuples():
            change = (
                "first release"
                if previous is None
                else ("-" if pd.isna(r.change_t_co2e) else f"{r.change_t_co2e:+,.0f}")
            )
            flow_only = pd.isna(r.area_ha)  # harvest removal: an annual flow, no stock
            stock_c = "-" if flow_only else fmt_number(r.stock_t_c)
            stock_co2e = "-" if flow_only else fmt_number(r.stock_t_co2e)
            lines.append(
                f"| {r.site} | {r.year} | {r.habitat} | {fmt_number(r.area_ha)} | {stock_c} | "
                f"{stock_co2e} | {fmt_number(r.sequestration_t_co2e_yr)} | {change} |"
            )
    flags = release.get("flags", [])
    if flags:
        lines += ["", "## Flags", ""] + [f"- {f}" for f in flags]
    return "\n".join(lines) + "\n"


#: Columns of class totals an analyst reads first (headline and table artifacts).
SUMMARY_COLUMNS = (
    "site",
    "year",
    "habitat",
    "area_ha",
    "area_ci_ha",
    "stock_t_c",
    "stock_t_co2e",
    "stock_p5_t_c",
    "stock_p95_t_c",
    "stock_conservative_t_co2e",
    "sequestration_t_co2e_yr",
    "sequestration_conservative_t_co2e_yr",
    "density_source",
)


def class_totals_rows(totals: pd.DataFrame, *, limit: int = 500) -> list[dict[str, Any]]:
    """Per-class totals as JSON-friendly rows for a table artifact (latest years first)."""
    keep = [c for c in SUMMARY_COLUMNS if c in totals.columns]
    frame = totals[keep].sort_values(["site", "year", "habitat"], ascending=[True, False, True]).head(limit)
    rows = frame.round(3).to_dict(orient="records")
    return [{k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()} for row in rows]
