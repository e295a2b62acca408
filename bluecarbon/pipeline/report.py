"""What an analyst reads after a run: a markdown summary and per-class tables.

Pure formatting of small records (the flow turns them into Prefect artifacts; the CLI
prints them), kept out of the flows so that the words and numbers are tested like any
other output: what was ingested, what was rejected and why, which release was published (or
that nothing changed), the headline numbers and the change since the previous release.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from bluecarbon.formatting import fmt_number
from bluecarbon.vocab import Habitat


def _fact(value: object) -> str:
    """A step fact for the summary: floats rounded (totals to units, ratios to 4 digits)."""
    if isinstance(value, float) and value == value:
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"
    return str(value)


def change_since(previous: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Headline rows joined on (site, habitat) with the change in stock and in net flux
    (t CO2e, t CO2e/yr) since the previous release's headline."""
    cur = pd.DataFrame(list(current))
    if cur.empty:
        return cur
    prev = pd.DataFrame(list(previous))
    values = ["stock_t_co2e", "net_flux_t_co2e_yr"]
    for column in values:
        if column not in cur.columns:
            cur[column] = None
    if prev.empty or not set(values) <= set(prev.columns):
        cur["stock_change_t_co2e"] = float("nan")
        cur["flux_change_t_co2e_yr"] = float("nan")
        return cur
    merged = cur.merge(
        prev[["site", "habitat", *values]], on=["site", "habitat"], how="left", suffixes=("", "_previous")
    )
    for column, change in (
        ("stock_t_co2e", "stock_change_t_co2e"),
        ("net_flux_t_co2e_yr", "flux_change_t_co2e_yr"),
    ):
        merged[change] = pd.to_numeric(merged[column], errors="coerce") - pd.to_numeric(
            merged[f"{column}_previous"], errors="coerce"
        )
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
        since = f"since {previous['tag']}" if previous else "since previous release"
        lines += [
            "Stocks to the accounting depth (t CO2e); net flux per year over the period that starts at "
            "the map year, removals positive; the site's all-classes row includes habitat lost to tidal "
            "flat, water or other. Harvest rows are annual removals (HY/T 0305), not stocks.",
            "",
            f"| site | year | habitat | area ha | stock t CO2e | conservative t CO2e | net flux t CO2e/yr "
            f"| removal t CO2e/yr (tissue) | stock change {since} |",
            "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in table.itertuples():
            change = (
                "first release"
                if previous is None
                else ("-" if pd.isna(r.stock_change_t_co2e) else f"{r.stock_change_t_co2e:+,.0f}")
            )
            removal = getattr(r, "removal_t_co2e_yr", None)
            removal_text = (
                "-"
                if removal is None or pd.isna(removal)
                else f"{fmt_number(removal)} ({fmt_number(getattr(r, 'tissue_removal_t_co2e_yr', None))})"
            )
            lines.append(
                f"| {r.site} | {r.year} | {r.habitat} | {fmt_number(r.area_ha)} | "
                f"{fmt_number(r.stock_t_co2e)} | "
                f"{fmt_number(getattr(r, 'stock_conservative_t_co2e', None))} | "
                f"{fmt_number(r.net_flux_t_co2e_yr)} | {removal_text} | {change} |"
            )
    flags = release.get("flags", [])
    if flags:
        lines += ["", "## Flags", ""] + [f"- {f}" for f in flags]
    return "\n".join(lines) + "\n"


#: Columns of the headline (and of the class-totals artifact, where present).
SUMMARY_COLUMNS = (
    "site",
    "year",
    "habitat",
    "area_ha",
    "area_ci_ha",
    "stock_t_co2e",
    "stock_p5_t_co2e",
    "stock_conservative_t_co2e",
    "net_flux_t_co2e_yr",
    "net_flux_p5_t_co2e_yr",
    "net_flux_p95_t_co2e_yr",
    "removal_t_co2e_yr",
    "tissue_removal_t_co2e_yr",
    "flux_period",
    "soil_depth_cm",
    "density_source",
    "basis",
)
#: The ``habitat`` label of a site's all-classes row in the headline.
ALL_CLASSES = "(all classes)"


def headline(class_totals: pd.DataFrame, site_balance: pd.DataFrame) -> pd.DataFrame:
    """What a release says first, per site and latest map year: each blue-carbon habitat's
    area, stock (central and conservative, to the accounting depth) and net flux; the site's
    net flux over ALL classes (habitat lost to tidal flat, water or other emits there, so a
    shrinking meadow shows as a net emitter even while its remaining seagrass accumulates);
    and for harvested aquaculture the annual removal, total and tissue-only (HY/T 0305)."""
    rows: list[dict[str, Any]] = []
    totals = class_totals.copy()
    harvest = (
        totals["pools"].eq("harvest") if "pools" in totals.columns else pd.Series(False, index=totals.index)
    )
    for site, frame in totals[~harvest].groupby("site", sort=True):
        year = int(frame["year"].max())
        latest = frame[frame["year"] == year]
        period = latest["flux_period_start"].dropna()
        flux_period = (
            f"{int(period.iloc[0])}-{int(latest['flux_period_end'].dropna().iloc[0])}" if len(period) else ""
        )
        for r in latest.sort_values("habitat").itertuples():
            if not Habitat(str(r.habitat)).is_blue_carbon or not r.area_ha > 0:
                continue
            rows.append(
                {
                    "site": site,
                    "year": year,
                    "habitat": r.habitat,
                    "area_ha": r.area_ha,
                    "area_ci_ha": getattr(r, "area_ci_ha", None),
                    "stock_t_co2e": r.stock_t_co2e,
                    "stock_p5_t_co2e": r.stock_p5_t_co2e,
                    "stock_conservative_t_co2e": r.stock_conservative_t_co2e,
                    "net_flux_t_co2e_yr": r.net_flux_t_co2e_yr,
                    "net_flux_p5_t_co2e_yr": r.net_flux_p5_t_co2e_yr,
                    "net_flux_p95_t_co2e_yr": r.net_flux_p95_t_co2e_yr,
                    "flux_period": flux_period,
                    "soil_depth_cm": r.soil_depth_cm,
                    "density_source": r.density_source,
                    "basis": "stock to the accounting depth; net flux of this habitat",
                }
            )
        balance = site_balance[(site_balance["site"] == site) & (site_balance["period_start"] == year)]
        if not balance.empty:
            b = balance.iloc[0]
            rows.append(
                {
                    "site": site,
                    "year": year,
                    "habitat": ALL_CLASSES,
                    "area_ha": float(latest["area_ha"].sum()),
                    "net_flux_t_co2e_yr": b["net_flux_t_co2e_yr"],
                    "net_flux_p5_t_co2e_yr": b["net_flux_p5_t_co2e_yr"],
                    "net_flux_p95_t_co2e_yr": b["net_flux_p95_t_co2e_yr"],
                    "flux_period": f"{int(b['period_start'])}-{int(b['period_end'])}",
                    "soil_depth_cm": float(latest["soil_depth_cm"].iloc[0]),
                    "basis": "site net flux over all classes (removals positive)",
                }
            )
    for site, frame in totals[harvest].groupby("site", sort=True):
        year = int(frame["year"].max())
        for r in frame[frame["year"] == year].sort_values("habitat").itertuples():
            rows.append(
                {
                    "site": site,
                    "year": year,
                    "habitat": r.habitat,
                    "removal_t_co2e_yr": r.removal_t_co2e_yr,
                    "tissue_removal_t_co2e_yr": r.tissue_removal_t_co2e_yr,
                    "flux_period": f"{year}-{year + 1}",
                    "basis": "removal (HY/T 0305)",
                }
            )
    frame = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    return frame.astype(object).where(frame.notna(), None)


def class_totals_rows(totals: pd.DataFrame, *, limit: int = 500) -> list[dict[str, Any]]:
    """Per-class totals as JSON-friendly rows for a table artifact (latest years first)."""
    keep = [c for c in SUMMARY_COLUMNS if c in totals.columns]
    frame = totals[keep].sort_values(["site", "year", "habitat"], ascending=[True, False, True]).head(limit)
    rows = frame.round(3).to_dict(orient="records")
    return [{k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()} for row in rows]


def validation_failed_markdown(what: str, rows: Sequence[Mapping[str, Any]], *, limit: int = 50) -> str:
    """A markdown report of the rows a validating step refused (the run then stops)."""
    lines = [
        f"# Validation failed: {what}",
        "",
        f"{len(rows)} invalid row(s); nothing was published and the previous release stays current.",
        "",
        "| file | row | column | value | rule |",
        "| --- | ---: | --- | --- | --- |",
    ]
    lines += [
        f"| {r['file']} | {r['row']} | {r['column']} | {r['value']} | {r['rule']} |" for r in rows[:limit]
    ]
    return "\n".join(lines) + "\n"


def rejected_rows(quarantine_files: Iterable[str]) -> list[dict[str, Any]]:
    """Validation errors held back by the field steps, from their quarantine reports
    (warnings left out), as JSON-ready records."""
    frames = [pd.read_parquet(f) for f in quarantine_files]
    if not frames:
        return []
    issues = pd.concat(frames, ignore_index=True)
    issues = issues[issues["severity"] == "error"] if "severity" in issues.columns else issues
    return [
        {k: (None if pd.isna(v) else v) for k, v in row.items()}
        for row in issues.astype(object).to_dict("records")
    ]
