"""Sink statements: the figures a credit committee reads, as a JSON document an auditor can
verify.

A statement is computed only from a published release (a tag, ``latest`` or a release
snapshot id; never a staging branch) and is fully determined by (release, parcel, price,
buffer, language, generation time). That is what makes it verifiable: ``verify_statement``
recomputes it from the named release and compares every field, and the ``integrity`` hash
(sha256 of the canonical JSON without that block) exposes any edit of the file itself.

Conservative by construction (METHODS.md section 6): the collateral value is the smaller of
the lower bound (P5) and the VM0033-adjusted central value, less stocks at risk (Spartina
alterniflora stands, under a national eradication campaign), less the non-permanence
buffer. Soil stocks are never extrapolated below the measured depth. Shellfish shell carbon
is shown apart and labelled national-standard basis (HY/T 0305-2021).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from bluecarbon.errors import InputError, ReleaseNotFound
from bluecarbon.fingerprint import code_version
from bluecarbon.ingest.parcels import check_parcel_id
from bluecarbon.params import ParameterSet
from bluecarbon.report.i18n import LANGS, POOL_NAMES
from bluecarbon.report.maps import parcel_map
from bluecarbon.store import Store
from bluecarbon.store.release import ReleaseInfo
from bluecarbon.units import CO2E_PER_C
from bluecarbon.vocab import Habitat

STATEMENT_VERSION = 1
SCHEMA_ID = "https://bluecarbon.invalid/schemas/statement-v1.json"
POOLS = ("biomass", "soil", "litter")


def canonical(doc: Mapping[str, Any]) -> str:
    """Canonical JSON text: sorted keys, compact separators, UTF-8 characters kept."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def statement_hash(doc: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of ``doc`` without its ``integrity`` block."""
    body = {k: v for k, v in doc.items() if k != "integrity"}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def _num(value: Any, digits: int = 3) -> float | None:
    """JSON-safe rounded number (None for NaN/missing); rounding keeps statements stable."""
    if value is None:
        return None
    v = float(value)
    if math.isnan(v) or math.isinf(v):
        return None
    return round(v, digits)


def _co2e(t_c: float | None) -> float | None:
    return None if t_c is None else _num(t_c * CO2E_PER_C)


def default_price(parameters: ParameterSet) -> dict[str, Any]:
    """The default price row of the ``carbon_prices`` table (the one flagged ``default``)."""
    table = parameters.table("carbon_prices")
    rows = table[table["default"].astype(str).str.lower() == "true"]
    if len(rows) != 1:
        raise InputError(
            "carbon_prices.csv must flag exactly one default price", file=parameters.origin("carbon_prices")
        )
    row = rows.iloc[0]
    return {
        "value": float(row["value"]),
        "currency": str(row["currency"]),
        "source": str(row["source"]),
        "verified": bool(row["verified"]),
        "id": str(row["price_id"]),
    }


def _parameter(parameters: ParameterSet, name: str) -> dict[str, Any]:
    return parameters.lookup("uncertainty", name).as_dict()


@dataclass(frozen=True)
class StatementInputs:
    """Everything a statement depends on (what verification replays)."""

    release: str
    parcel_id: str
    price: float | None
    buffer_pct: float | None
    lang: str
    generated_at: str


def build_statement(
    store: Store,
    parcel_id: str,
    *,
    release: str = "latest",
    price: float | None = None,
    buffer_pct: float | None = None,
    lang: str = "en",
    generated_at: str | None = None,
) -> dict[str, Any]:
    """The sink statement of ``parcel_id`` in ``release`` (JSON-serialisable dict).

    ``price`` in CNY per t CO2e and ``buffer_pct`` (0-100) default to the parameter tables
    (``carbon_prices.csv`` default row; ``uncertainty.csv`` buffer_fraction).
    """
    if lang not in LANGS:
        raise InputError(f"language {lang!r}", expected=" or ".join(LANGS))
    check_parcel_id(parcel_id)
    info = store.resolve(release)  # tags, latest or release snapshot ids only
    generated = generated_at or datetime.now(UTC).replace(microsecond=0).isoformat()
    if "parcels" not in info.tables:
        raise ReleaseNotFound(f"release {info.tag} has no parcels")
    parcels = store.read_table("parcels", info)
    match = parcels[parcels["parcel_id"] == parcel_id]
    if match.empty:
        raise ReleaseNotFound(f"parcel {parcel_id!r} is not in release {info.tag}")
    parcel = match.iloc[0]
    parameters = store.parameters(info)  # the release's pinned tables, never local files
    totals = store.read_table("parcel_totals", info) if "parcel_totals" in info.tables else pd.DataFrame()
    rows = totals[totals["parcel_id"] == parcel_id] if not totals.empty else totals
    site = str(parcel["site"])
    class_totals = store.read_table("class_totals", info) if "class_totals" in info.tables else pd.DataFrame()
    soil = store.read_table("soil_density", info) if "soil_density" in info.tables else pd.DataFrame()
    accuracy = store.read_table("accuracy", info) if "accuracy" in info.tables else pd.DataFrame()

    buffer_param = _parameter(parameters, "buffer_fraction")
    buffer = float(buffer_pct) / 100.0 if buffer_pct is not None else float(buffer_param["value"])
    if not 0.0 <= buffer <= 1.0:
        raise InputError(f"buffer {buffer * 100:g} %", expected="a percentage between 0 and 100")
    price_row = default_price(parameters)
    price_value = float(price) if price is not None else price_row["value"]
    if price_value < 0:
        raise InputError(f"price {price_value}", expected="a price >= 0 CNY per t CO2e")
    allowable = _parameter(parameters, "allowable_uncertainty_ci90")

    habitat_product = f"{site}/habitat"
    map_year = None
    if habitat_product in info.products:
        years = store.open_product(habitat_product, info)["year"].values
        map_year = int(years.max())
    stock_rows = rows[(rows["kind"] == "stock")] if not rows.empty else rows
    if map_year is not None and not stock_rows.empty:
        stock_rows = stock_rows[stock_rows["year"] == map_year]

    habitats = _habitats(stock_rows, class_totals, accuracy, site, map_year)
    stocks = _stocks(stock_rows, soil, site, lang)
    sequestration = _sequestration(rows, map_year)
    shellfish = _shellfish(rows, store, info, parcel_id, parameters)
    at_risk = _at_risk(stock_rows, site, store, info)
    conservative = _conservative(stocks, at_risk, buffer, float(allowable["value"]))
    flags = _flags(info, parcel, stocks, soil, site, at_risk)

    doc: dict[str, Any] = {
        "$schema": SCHEMA_ID,
        "statement_version": STATEMENT_VERSION,
        "lang": lang,
        "inputs": {
            "release": info.tag,
            "parcel_id": parcel_id,
            "price": price,
            "buffer_pct": buffer_pct,
            "lang": lang,
            "generated_at": generated,
        },
        "parcel": {
            "parcel_id": parcel_id,
            "name": str(parcel["name"]),
            "kind": str(parcel["kind"]),
            "site": site,
            "area_ha": _num(parcel.get("area_ha")),
            "illustrative": bool(parcel.get("illustrative", False)),
            "geometry_repaired": bool(parcel.get("geometry_repaired", False)),
            "bbox_wgs84": [_num(v, 6) for v in match.total_bounds],
        },
        "release": {
            "tag": info.tag,
            "snapshot_id": info.snapshot_id,
            "content_hash": info.content_hash,
            "created": info.created.isoformat(),
            "status": info.status,
            "withdrawn_reason": info.withdrawn_reason,
            "withdrawn_at": info.withdrawn_at.isoformat() if info.withdrawn_at else None,
        },
        "map_year": map_year,
        "map": parcel_map(store, info, habitat_product if map_year is not None else None, match, map_year),
        "habitats": habitats,
        "stocks": stocks,
        "sequestration": sequestration,
        "shellfish": shellfish,
        "conservative": conservative,
        "valuation": {
            "price_cny_per_t_co2e": _num(price_value),
            "price_source": price_row["source"] if price is None else "given by the user (--price)",
            "price_verified": price_row["verified"] if price is None else None,
            "conservative_value_cny": _num(conservative["conservative_t_co2e"] * price_value, 2),
            "central_value_cny": _num((stocks["total"]["t_co2e"] or 0.0) * price_value, 2),
            "annual_sequestration_value_cny": _num(
                max(sequestration["conservative_t_co2e_per_yr"] or 0.0, 0.0) * price_value, 2
            ),
            "annual_shellfish_value_cny": _num(
                (shellfish["latest"]["conservative_t_co2e"] or 0.0) * price_value, 2
            )
            if shellfish["latest"]
            else None,
        },
        "parameters": {
            "buffer": {**buffer_param, "value": buffer, "given_by_user": buffer_pct is not None},
            "allowable_uncertainty": allowable,
            "price": {**price_row, "value": price_value, "given_by_user": price is not None},
            "tables": _parameter_tables(info),
        },
        "methods": dict(info.provenance.get("method", {})),
        "licences": _licences(info),
        "flags": flags,
        "provenance": {
            "release_tag": info.tag,
            "snapshot_id": info.snapshot_id,
            "content_hash": info.content_hash,
            "store_format": info.store_format,
            "package_version_release": info.package_version,
            "package_version_statement": code_version(),
            "git_commit": info.provenance.get("git_commit"),
            "flow_run_id": info.provenance.get("flow_run_id"),
            "generated_at": generated,
            "input_checksums": [
                {"path": i["path"], "sha256": i["sha256"]} for i in info.provenance.get("inputs", [])
            ],
        },
    }
    doc["integrity"] = {
        "algorithm": "sha256",
        "canonical_json": "sorted keys, ',' ':' separators, UTF-8",
        "sha256": statement_hash(doc),
    }
    return doc


# ---------------------------------------------------------------------------- sections
def _habitats(
    stock_rows: pd.DataFrame, class_totals: pd.DataFrame, accuracy: pd.DataFrame, site: str, year: int | None
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if stock_rows.empty:
        return out
    for habitat, group in stock_rows.groupby("habitat", sort=True):
        area = float(group["area_ha"].sum())
        if area <= 0:
            continue
        ratio = np.nan
        if not class_totals.empty:
            site_row = class_totals[
                (class_totals["site"] == site)
                & (class_totals["habitat"] == habitat)
                & (class_totals["year"] == year)
            ]
            if not site_row.empty and float(site_row["area_ha"].iloc[0]) > 0:
                ratio = float(site_row["area_ci_ha"].iloc[0]) / float(site_row["area_ha"].iloc[0])
        status = "not assessed"
        if not accuracy.empty:
            acc = accuracy[(accuracy["site"] == site) & (accuracy["habitat"] == habitat)]
            if not acc.empty:
                status = str(acc["status"].iloc[0])
        out.append(
            {
                "habitat": str(habitat),
                "blue_carbon": Habitat(str(habitat)).is_blue_carbon,
                "area_ha": _num(area),
                "area_ci95_ha": _num(area * ratio),
                "accuracy": status,
            }
        )
    return out


def _stocks(stock_rows: pd.DataFrame, soil: pd.DataFrame, site: str, lang: str) -> dict[str, Any]:
    by_pool: list[dict[str, Any]] = []
    total = {"t_c": 0.0, "p5_t_c": 0.0, "p50_t_c": 0.0, "p95_t_c": 0.0}
    disturbed = 0.0
    for habitat, group in stock_rows.groupby("habitat", sort=True) if not stock_rows.empty else []:
        if not Habitat(str(habitat)).is_blue_carbon:
            disturbed += float(group["stock_t_c"].sum())
            continue
        for pool in POOLS:
            t_c = float(group[f"{pool}_t_c"].sum())
            by_pool.append(
                {
                    "habitat": str(habitat),
                    "pool": pool,
                    "pool_label": POOL_NAMES[pool][lang],
                    "t_c": _num(t_c),
                    "t_co2e": _co2e(t_c),
                }
            )
        for key, column in (
            ("t_c", "stock_t_c"),
            ("p5_t_c", "stock_p5_t_c"),
            ("p50_t_c", "stock_p50_t_c"),
            ("p95_t_c", "stock_p95_t_c"),
        ):
            total[key] += float(group[column].sum())
    density = []
    if not soil.empty:
        site_rows = soil[soil["site"] == site] if "site" in soil.columns else soil
        for row in site_rows.itertuples():
            density.append(
                {
                    "habitat": row.habitat,
                    "soil_mg_c_ha": _num(row.soil_mg_c_ha),
                    "soil_se_mg_c_ha": _num(row.soil_se_mg_c_ha),
                    "n_cores": int(row.n_cores),
                    "density_source": row.density_source,
                    "source": row.source,
                }
            )
    return {
        "by_pool": by_pool,
        "total": {
            "t_c": _num(total["t_c"]),
            "t_co2e": _co2e(total["t_c"]),
            "p5_t_co2e": _co2e(total["p5_t_c"]),
            "p50_t_co2e": _co2e(total["p50_t_c"]),
            "p95_t_co2e": _co2e(total["p95_t_c"]),
        },
        "percentiles_note": "sums of per-class percentiles (classes fully correlated): wider than an "
        "independent combination, so conservative",
        "disturbed_t_c": _num(disturbed),
        "disturbed_t_co2e": _co2e(disturbed),
        "soil_density": density,
        "extrapolation": "none",
    }


def _sequestration(rows: pd.DataFrame, map_year: int | None) -> dict[str, Any]:
    empty: dict[str, Any] = {
        "period": None,
        "t_co2e_per_yr": None,
        "p5_t_co2e_per_yr": None,
        "p95_t_co2e_per_yr": None,
        "conservative_t_co2e_per_yr": None,
        "by_habitat": [],
    }
    if rows.empty or map_year is None:
        return empty
    flows = rows[
        (rows["kind"] == "flow") & (rows["pool"] != "shellfish") & (rows["period_start"] == map_year)
    ]
    if flows.empty:
        return empty
    years = float((flows["period_end"] - flows["period_start"]).iloc[0])
    per = lambda column: float(flows[column].sum()) / years  # noqa: E731
    by_habitat = [
        {"habitat": str(h), "t_co2e_per_yr": _co2e(float(g["net_sequestration_t_c"].sum()) / years)}
        for h, g in flows.groupby("habitat", sort=True)
    ]
    return {
        "period": f"{int(flows['period_start'].iloc[0])}-{int(flows['period_end'].iloc[0])}",
        "t_co2e_per_yr": _co2e(per("net_sequestration_t_c")),
        "p5_t_co2e_per_yr": _co2e(per("net_sequestration_p5_t_c")),
        "p95_t_co2e_per_yr": _co2e(per("net_sequestration_p95_t_c")),
        "conservative_t_co2e_per_yr": _co2e(per("net_sequestration_conservative_t_c")),
        "by_habitat": by_habitat,
        "note": "accumulation in the habitat mapped in the latest year less the emissions still coming from "
        "habitat lost earlier (closed-form half-life decay)",
    }


def _shellfish(
    rows: pd.DataFrame, store: Store, info: ReleaseInfo, parcel_id: str, parameters: ParameterSet
) -> dict[str, Any]:
    out: dict[str, Any] = {"years": [], "latest": None, "basis": "HY/T 0305-2021"}
    if "harvests" not in info.tables:
        return out
    harvests = store.read_table("harvests", info)
    mine = harvests[harvests["farm_id"] == parcel_id] if "farm_id" in harvests.columns else harvests.iloc[0:0]
    if mine.empty:
        return out
    names = _scientific_names(parameters)
    for row in mine.sort_values(["year", "species"]).itertuples():
        scientific = (
            row.scientific_name if isinstance(row.scientific_name, str) and row.scientific_name else None
        )
        out["years"].append(
            {
                "year": int(row.year),
                "species": str(row.species),
                "scientific_name": scientific or names.get(str(row.species).strip().lower()),
                "class": str(row.shellfish_class),
                "harvest_t": _num(row.harvest_t),
                "tissue_c_t": _num(row.tissue_c_t),
                "shell_c_t": _num(row.shell_c_t),
                "total_co2e_t": _num(row.total_co2e_t),
                "coefficients": str(row.coefficient_source),
            }
        )
    flows = rows[(rows["pool"] == "shellfish")] if not rows.empty else rows
    if not flows.empty:
        latest_year = int(flows["year"].max())
        last = flows[flows["year"] == latest_year]
        out["latest"] = {
            "year": latest_year,
            "tissue_c_t": _num(last["tissue_c_t"].sum()),
            "shell_c_t": _num(last["shell_c_t"].sum()),
            "t_co2e": _co2e(float(last["net_sequestration_t_c"].sum())),
            "p5_t_co2e": _co2e(float(last["net_sequestration_p5_t_c"].sum())),
            "p95_t_co2e": _co2e(float(last["net_sequestration_p95_t_c"].sum())),
            "conservative_t_co2e": _co2e(float(last["net_sequestration_conservative_t_c"].sum())),
            "tissue_only_t_co2e": _co2e(float(last["tissue_c_t"].sum())),
        }
    return out


def _scientific_names(parameters: ParameterSet) -> dict[str, str]:
    """Scientific name by FAO code, Chinese, English or scientific name (species table)."""
    table = parameters.table("shellfish_species")
    out: dict[str, str] = {}
    for row in table.itertuples():
        for key in (row.fao_code, row.chinese_name, row.english_name, row.scientific_name):
            if isinstance(key, str) and key:
                out[key.strip().lower()] = str(row.scientific_name)
    return out


def _at_risk(stock_rows: pd.DataFrame, site: str, store: Store, info: ReleaseInfo) -> list[dict[str, Any]]:
    """Stocks at risk: salt marsh of a site whose marsh subclass is Spartina (eradication)."""
    if stock_rows.empty:
        return []
    marsh = stock_rows[stock_rows["habitat"] == Habitat.SALT_MARSH.value]
    subclass = str(info.provenance.get("site_subclasses", {}).get(site, {}).get("salt_marsh", ""))
    if marsh.empty or subclass != "spartina":
        return []
    t_c = float(marsh["stock_t_c"].sum())
    return [
        {
            "habitat": "salt_marsh",
            "subclass": "spartina",
            "t_c": _num(t_c),
            "t_co2e": _co2e(t_c),
            "reason": "Spartina alterniflora stands are under a national eradication campaign: their carbon "
            "may be lost and is excluded from the conservative value",
        }
    ]


def _conservative(
    stocks: Mapping[str, Any], at_risk: list[dict[str, Any]], buffer: float, allowable: float
) -> dict[str, Any]:
    """lower bound, VM0033 deduction, at-risk exclusion and buffer, step by step (t CO2e)."""
    total = stocks["total"]
    central = total["t_co2e"] or 0.0
    p5 = total["p5_t_co2e"] if total["p5_t_co2e"] is not None else central
    p95 = total["p95_t_co2e"] if total["p95_t_co2e"] is not None else central
    u = ((p95 - p5) / 2.0) / central if central > 0 else 0.0
    deduction = max(u - allowable, 0.0)
    adjusted = central * (1.0 - deduction)
    base = max(min(p5, adjusted), 0.0)
    risk = sum(r["t_co2e"] or 0.0 for r in at_risk)
    after_risk = max(base - risk, 0.0)
    buffered = after_risk * buffer
    return {
        "central_t_co2e": _num(central),
        "lower_bound_p5_t_co2e": _num(p5),
        "uncertainty_u": _num(u, 4),
        "allowable_a": allowable,
        "vm0033_deduction_fraction": _num(deduction, 4),
        "vm0033_adjusted_t_co2e": _num(adjusted),
        "base_t_co2e": _num(base),
        "at_risk_t_co2e": _num(risk),
        "at_risk": at_risk,
        "buffer_fraction": buffer,
        "buffer_t_co2e": _num(buffered),
        "conservative_t_co2e": _num(after_risk - buffered),
        "rule": "min(P5, central x (1 - max(U - A, 0))) less at-risk stocks, less the buffer; U = (P95 - P5) / 2 "
        "/ central (90 % CI half-width), A = allowable uncertainty (VM0033 v2.1 section 8.5, eq. 92)",
    }


def _flags(
    info: ReleaseInfo,
    parcel: pd.Series,
    stocks: Mapping[str, Any],
    soil: pd.DataFrame,
    site: str,
    at_risk: list[dict[str, Any]],
) -> list[str]:
    flags = []
    if info.withdrawn:
        flags.append(f"release {info.tag} was withdrawn: {info.withdrawn_reason}")
    if bool(parcel.get("illustrative", False)):
        flags.append("illustrative parcel or records: not real data")
    if bool(parcel.get("geometry_repaired", False)):
        flags.append("the parcel boundary was invalid as published and was repaired (make_valid)")
    for d in stocks["soil_density"]:
        if d["density_source"] == "ipcc_tier1":
            flags.append(f"{d['habitat']} soil carbon is the IPCC Tier 1 default, not measured at the site")
    flags += [
        f"{r['habitat']} ({r['subclass']}) at risk: excluded from the conservative value" for r in at_risk
    ]
    flags += [f"release flag: {f}" for f in info.flags]
    return flags


def _parameter_tables(info: ReleaseInfo) -> list[dict[str, Any]]:
    return [
        {
            "table": name,
            "sha256": meta["sha256"],
            "sources": meta["sources"],
            "rows": meta["rows"],
            "unverified_rows": meta["unverified_rows"],
        }
        for name, meta in sorted(info.provenance.get("parameters", {}).items())
    ]


def _licences(info: ReleaseInfo) -> list[dict[str, str]]:
    seen: dict[str, dict[str, str]] = {}
    for entry in info.provenance.get("inputs", []):
        seen.setdefault(
            entry["dataset"], {k: entry[k] for k in ("dataset", "license", "restrictions", "citation")}
        )
    return [seen[k] for k in sorted(seen)]


# ------------------------------------------------------------------------ verification
@dataclass(frozen=True)
class StatementCheck:
    ok: bool
    problems: tuple[str, ...]
    release: str


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            out += _differences(a.get(key), b.get(key), f"{path}/{key}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items in the file, {len(b)} recomputed"]
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += _differences(x, y, f"{path}/{i}")
        return out
    return [] if a == b else [f"{path or '/'}: file has {a!r}, recomputed {b!r}"]


def verify_statement(store: Store, doc: Mapping[str, Any], *, deep: bool = True) -> StatementCheck:
    """Check a statement: its integrity hash, its release (and, with ``deep``, the release's
    stored data against its content hash), and every figure recomputed from the release."""
    problems: list[str] = []
    try:
        inputs = doc["inputs"]
        recorded = doc["integrity"]["sha256"]
    except (KeyError, TypeError):
        return StatementCheck(False, ("not a bluecarbon statement (no inputs or integrity block)",), "")
    if statement_hash(doc) != recorded:
        problems.append(
            "integrity: the file was edited after it was issued (sha256 does not match its content)"
        )
    try:
        info = store.resolve(inputs["release"])
    except ReleaseNotFound as exc:
        return StatementCheck(False, (*problems, str(exc)), str(inputs.get("release")))
    if info.content_hash != doc.get("release", {}).get("content_hash"):
        problems.append("release content hash differs from the one on the statement")
    if deep:
        report = store.verify(info.tag)
        problems += [f"release data: {p}" for p in report.problems]
    fresh = build_statement(
        store,
        inputs["parcel_id"],
        release=info.tag,
        price=inputs["price"],
        buffer_pct=inputs["buffer_pct"],
        lang=inputs["lang"],
        generated_at=inputs["generated_at"],
    )
    ignore = {"integrity"}
    strip = lambda d: {k: v for k, v in d.items() if k not in ignore}  # noqa: E731
    recomputed = json.loads(canonical(strip(fresh)))
    given = json.loads(canonical(strip(dict(doc))))
    # the statement records which code produced it; a different verifier version is not an edit
    given.get("provenance", {}).pop("package_version_statement", None)
    recomputed.get("provenance", {}).pop("package_version_statement", None)
    problems += [f"figure differs: {d}" for d in _differences(given, recomputed)]
    return StatementCheck(not problems, tuple(problems), info.tag)


def statement_schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of statements."""
    from importlib import resources

    return json.loads(
        resources.files("bluecarbon.report").joinpath("statement.schema.json").read_text("utf-8")
    )


def validate_statement(doc: Mapping[str, Any]) -> list[str]:
    """Schema violations of ``doc`` (empty when it is a valid statement)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(statement_schema())
    return [f"{'/'.join(map(str, e.absolute_path)) or '/'}: {e.message}" for e in validator.iter_errors(doc)]
