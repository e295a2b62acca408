"""Sink statements: the figures a credit committee reads, as a JSON document an auditor can
verify.

A statement is computed only from a published release (a tag, ``latest`` or a release
snapshot id; never a staging branch) and is fully determined by (release, parcel, price,
buffer, language, generation time). That is what makes it verifiable: ``verify_statement``
recomputes it from the named release and compares every field, and the ``integrity`` hash
(sha256 of the canonical JSON without that block) exposes any edit of the file itself.

It keeps apart the four quantities a lender reads (docs/accounting.md):

* ``stock``: carbon held now to the accounting depth, with P5/P95 and the conservative stock
  (never above P5), exactly the release's ``parcel_totals`` value; a stock is not a credit;
* ``flux``: the net change per year of ALL the parcel's classes (lost habitat emits);
* ``removal``: a farm's harvest removal (HY/T 0305-2021), tissue and shell apart;
* ``creditable``: net removals against a baseline over a crediting period, less the VM0033
  uncertainty deduction and the buffer (the release's ``parcel_credits``), and ``valuation``
  prices only this, never the stock.

``flags`` say, in English and Chinese, what a lender must know before relying on the figures
(a net emitter, Tier 1 densities, distant cores, an unassessed map, illustrative data ...).

Size (about 760 lines): one module because the section builders are the statement's schema in
code (each section a private function next to the others it must agree with: figures,
flags, creditable removals) and verification rebuilds a statement with the very same
functions; the arithmetic lives elsewhere (VM0033 in :mod:`bluecarbon.carbon.conservative`,
the allowable uncertainty in :mod:`bluecarbon.carbon.uncertainty`, canonical bytes in
:mod:`bluecarbon.canonical`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from bluecarbon.canonical import SIGNED, canonical_json
from bluecarbon.carbon.conservative import creditable_removals
from bluecarbon.carbon.uncertainty import allowable_uncertainty_parameter
from bluecarbon.errors import InputError, ReleaseNotFound
from bluecarbon.fingerprint import code_version
from bluecarbon.ingest.parcels import check_parcel_id
from bluecarbon.params import ParameterSet
from bluecarbon.progress import StageCallback
from bluecarbon.register.book import register_section
from bluecarbon.report.i18n import CREDIT_RULE, FLAG_TEXT, FLUX_NOTE, LANGS, STOCK_RULE
from bluecarbon.report.maps import parcel_map
from bluecarbon.report.signing import IssuerKey, check_signature, signature_block
from bluecarbon.store import Store
from bluecarbon.store.release import ReleaseInfo
from bluecarbon.units import CO2E_PER_C
from bluecarbon.vocab import HABITAT_NAMES, POOL_NAMES, Habitat

STATEMENT_VERSION = 2
#: The stages :func:`build_statement` reports to its ``progress`` callback, in order.
STAGES = (
    "reading the parcel and its tables",
    "computing the figures",
    "reading the parcel's habitat map",
    "hashing and signing",
)
#: Parcel ids an unknown-parcel error lists (the rest: ``bluecarbon parcels``).
KNOWN_PARCELS_SHOWN = 20
SCHEMA_ID = "https://bluecarbon.invalid/schemas/statement-v2.json"
POOLS = ("biomass", "soil", "litter")


def canonical(doc: Mapping[str, Any]) -> str:
    """Canonical JSON text of a statement (sorted keys, compact separators, UTF-8 characters
    kept): :data:`bluecarbon.canonical.SIGNED`, the bytes its hash and signature cover."""
    return canonical_json(doc, SIGNED)


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
        "date": str(row["date"]) if "date" in row and pd.notna(row["date"]) else None,
        "indicative": str(row.get("indicative", "true")).lower() == "true",
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
    signer: IssuerKey | None = None,
    issuer: str | None = None,
    signed: bool | None = None,
    progress: StageCallback | None = None,
) -> dict[str, Any]:
    """The sink statement of ``parcel_id`` in ``release`` (JSON-serialisable dict).

    With ``signer`` (the issuer's key, :mod:`bluecarbon.report.signing`) the statement is signed
    over its canonical JSON; without one it is issued unsigned and flagged ``unsigned``.
    ``signed`` overrides whether the body says it is signed (verification recomputes the body
    of a signed statement without the key).

    Every figure comes from the release: its parcel totals and creditable quantities, and its
    pinned parameter tables (``price`` in CNY per t CO2e and ``buffer_pct`` (0-100) default
    to the release's ``carbon_prices`` default row and ``buffer_fraction``). Local parameter
    files play no part, so an old release's statement never changes.

    ``progress(stage)`` is called as each of :data:`STAGES` starts (see :mod:`bluecarbon.progress`).
    """
    say = progress or (lambda _stage: None)
    if lang not in LANGS:
        raise InputError(f"language {lang!r}", expected=" or ".join(LANGS))
    check_parcel_id(parcel_id)
    say(STAGES[0])
    info = store.resolve(release)  # tags, latest or release snapshot ids only
    generated = generated_at or datetime.now(UTC).replace(microsecond=0).isoformat()
    if "parcels" not in info.tables:
        raise ReleaseNotFound(f"release {info.tag} has no parcels")
    parcels = store.read_table("parcels", info)
    match = parcels[parcels["parcel_id"] == parcel_id]
    if match.empty:
        raise ReleaseNotFound(unknown_parcel_message(parcel_id, info.tag, parcels["parcel_id"]))
    parcel = match.iloc[0]
    parameters = store.parameters(info)  # the release's pinned tables, never local files
    site = str(parcel["site"])

    def table(name: str) -> pd.DataFrame:
        return store.read_table(name, info) if name in info.tables else pd.DataFrame()

    totals = table("parcel_totals")
    rows = totals[totals["parcel_id"] == parcel_id] if not totals.empty else totals
    credits = table("parcel_credits")
    credits = credits[credits["parcel_id"] == parcel_id] if not credits.empty else credits
    class_totals = table("class_totals")
    soil = table("soil_density")
    accuracy = table("accuracy")

    say(STAGES[1])
    buffer_param = _parameter(parameters, "buffer_fraction")
    buffer = float(buffer_pct) / 100.0 if buffer_pct is not None else float(buffer_param["value"])
    if not 0.0 <= buffer <= 1.0:
        raise InputError(f"buffer {buffer * 100:g} %", expected="a percentage between 0 and 100")
    price_row = default_price(parameters)
    price_value = float(price) if price is not None else price_row["value"]
    if price_value < 0:
        raise InputError(f"price {price_value}", expected="a price >= 0 CNY per t CO2e")
    # A at the release's confidence level: the level its credits table was computed at
    allowable = _parameter(
        parameters, allowable_uncertainty_parameter(parameters.value("uncertainty", "ci_level"))
    )
    depth = parameters.value("soil_defaults", "soil_accounting_depth_cm")

    site_maps = class_totals[(class_totals["site"] == site) & class_totals["stock_t_c"].notna()]
    map_year = int(site_maps["year"].max()) if not site_maps.empty else None
    habitat_product = f"{site}/habitat"
    level = rows.get("level", pd.Series("habitat", index=rows.index))
    at_year = (
        rows[rows.get("year", pd.Series(np.nan, index=rows.index)) == map_year]
        if map_year
        else rows.iloc[0:0]
    )

    habitats = _habitats(
        at_year[level.loc[at_year.index] == "habitat"], class_totals, accuracy, site, map_year
    )
    stock = _stock(at_year, level, soil, site, depth, lang)
    flux = _flux(at_year, level, map_year)
    removal = _removal(rows, store, info, parcel_id, parameters)
    creditable = _creditable(credits, map_year, buffer=buffer, allowable=float(allowable["value"]))
    valuation = {
        "price_per_t_co2e": _num(price_value),
        "currency": price_row["currency"],
        "price_id": price_row["id"] if price is None else "user",
        "price_source": price_row["source"] if price is None else "given by the user (--price)",
        "price_date": price_row["date"] if price is None else None,
        "indicative": bool(price_row["indicative"]) if price is None else False,
        "price_verified": price_row["verified"] if price is None else None,
        "creditable_value": _num((creditable["creditable_t_co2e"] or 0.0) * price_value, 2),
        "note": "creditable removals x price; a standing stock is not a credit and is never valued as one",
    }
    is_signed = signer is not None if signed is None else signed
    flags = _flags(
        signed=is_signed,
        info=info,
        parcel=parcel,
        stock=stock,
        flux=flux,
        habitats=habitats,
        soil=soil,
        site=site,
        creditable=creditable,
        valuation=valuation,
        parameters=parameters,
        map_year=map_year,
    )
    say(STAGES[2])
    map_data = parcel_map(
        store, info, habitat_product if habitat_product in info.products else None, match, map_year
    )
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
            **_names(parcel, info, site),
        },
        "release": {
            "tag": info.tag,
            "snapshot_id": info.snapshot_id,
            "content_hash": info.content_hash,
            "parameters_sha256": info.parameters_sha256,
            "created": info.created.isoformat(),
            "status": info.status,
            "withdrawn_reason": info.withdrawn_reason,
            "withdrawn_at": info.withdrawn_at.isoformat() if info.withdrawn_at else None,
        },
        "map_year": map_year,
        "map": map_data,
        "habitats": habitats,
        "stock": stock,
        "flux": flux,
        "removal": removal,
        "creditable": creditable,
        "valuation": valuation,
        "register": register_section(store, parcel_id, as_of=generated, release=info),
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
            "parameters_sha256": info.parameters_sha256,
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
    say(STAGES[3])
    doc["integrity"] = integrity_block(doc, signer, issuer=issuer)
    return doc


def unknown_parcel_message(parcel_id: str, tag: str, known: Iterable[Any]) -> str:
    """What to say when ``parcel_id`` is not in release ``tag``: the ids it does hold (the
    first :data:`KNOWN_PARCELS_SHOWN`, sorted), as an unknown product lists the known ones."""
    ids = sorted({str(k) for k in known})
    shown = ", ".join(ids[:KNOWN_PARCELS_SHOWN])
    more = (
        f" and {len(ids) - KNOWN_PARCELS_SHOWN} more (`bluecarbon parcels`)"
        if len(ids) > KNOWN_PARCELS_SHOWN
        else ""
    )
    return f"parcel {parcel_id!r} is not in release {tag} (has: {shown or 'none'}{more})"


def integrity_block(
    doc: Mapping[str, Any], signer: IssuerKey | None, *, issuer: str | None
) -> dict[str, Any]:
    """sha256 of the canonical JSON without the ``integrity`` block, and the issuer's signature
    over the same bytes when a key is given."""
    body = canonical({k: v for k, v in doc.items() if k != "integrity"}).encode("utf-8")
    block: dict[str, Any] = {
        "algorithm": "sha256",
        "canonical_json": "sorted keys, ',' ':' separators, UTF-8",
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    if signer is not None:
        block |= signature_block(body, signer, issuer=issuer)
    return block


# ---------------------------------------------------------------------------- sections
def _names(parcel: pd.Series, info: ReleaseInfo, site: str) -> dict[str, str]:
    """The parcel's Chinese name and its site's names, where the release holds them (keys
    are left out otherwise, so statements of older releases keep their exact shape)."""
    out: dict[str, str] = {}
    name_zh = parcel.get("name_zh")
    if isinstance(name_zh, str) and name_zh.strip():
        out["name_zh"] = name_zh
    sites = (info.provenance.get("study") or {}).get("sites") or []
    for entry in sites:
        if isinstance(entry, Mapping) and entry.get("id") == site:
            if entry.get("name"):
                out["site_name"] = str(entry["name"])
            if entry.get("name_zh"):
                out["site_name_zh"] = str(entry["name_zh"])
    return out


def _reference(d: Any) -> dict[str, Any]:
    """Published regional stocks beside a density row, where the release compared them."""
    check = getattr(d, "reference_check", None)
    if not isinstance(check, str) or check == "not_compared":
        return {}
    return {
        "reference_low_mg_c_ha": _num(d.reference_low_mg_c_ha, 1),
        "reference_high_mg_c_ha": _num(d.reference_high_mg_c_ha, 1),
        "reference_source": str(d.reference_source),
        "reference_verified": bool(d.reference_verified),
        "reference_check": check,
    }


def _co2e_t(value: Any) -> float | None:
    """A t C figure as t CO2e (rounded), None when missing."""
    v = _num(value, 9)
    return None if v is None else _num(v * CO2E_PER_C)


def _habitats(
    stock_rows: pd.DataFrame, class_totals: pd.DataFrame, accuracy: pd.DataFrame, site: str, year: int | None
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for habitat, group in stock_rows.groupby("habitat", sort=True) if not stock_rows.empty else []:
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
            if not site_row.empty and float(site_row["area_ha"].iloc[0]) > 0 and "area_ci_ha" in site_row:
                ratio = float(site_row["area_ci_ha"].iloc[0]) / float(site_row["area_ha"].iloc[0])
        status = "not assessed"
        if not accuracy.empty:
            acc = accuracy[(accuracy["site"] == site) & (accuracy["habitat"] == habitat)]
            if "year" in acc.columns:
                acc = acc[acc["year"] == year] if (acc["year"] == year).any() else acc
            if not acc.empty:
                status = str(acc["status"].iloc[0])
        out.append(
            {
                "habitat": str(habitat),
                "blue_carbon": Habitat(str(habitat)).is_blue_carbon,
                "area_ha": _num(area),
                "area_ci95_ha": _num(area * ratio),
                "accuracy": status,
                "stock_t_co2e": _co2e_t(group["stock_t_c"].sum()),
                "conservative_stock_t_co2e": _co2e_t(group["stock_conservative_t_c"].sum()),
            }
        )
    return out


def _stock(
    at_year: pd.DataFrame, level: pd.Series, soil: pd.DataFrame, site: str, depth: float, lang: str
) -> dict[str, Any]:
    """Stock of the parcel's blue-carbon habitats to the accounting depth (t CO2e)."""
    stocks = at_year[at_year["kind"] == "stock"] if not at_year.empty else at_year
    lv = level.loc[stocks.index] if not stocks.empty else level.iloc[0:0]
    blue = stocks[lv == "blue_carbon"]
    every = stocks[lv == "all"]
    by_habitat = stocks[lv == "habitat"]
    row = blue.iloc[0] if not blue.empty else None
    pools = []
    for r in by_habitat.itertuples():
        if not Habitat(str(r.habitat)).is_blue_carbon:
            continue
        for pool in POOLS:
            pools.append(
                {
                    "habitat": str(r.habitat),
                    "pool": pool,
                    "pool_label": POOL_NAMES[pool][lang],
                    "t_co2e": _co2e_t(getattr(r, f"{pool}_t_c")),
                }
            )
    lost = (
        float(every["stock_t_c"].sum()) - (float(row["stock_t_c"]) if row is not None else 0.0)
        if not every.empty
        else 0.0
    )
    density = []
    if not soil.empty:
        site_rows = soil[soil["site"] == site] if "site" in soil.columns else soil
        for d in site_rows.itertuples():
            density.append(
                {
                    "habitat": d.habitat,
                    "soil_mg_c_ha": _num(d.soil_mg_c_ha),
                    "soil_se_mg_c_ha": _num(d.soil_se_mg_c_ha),
                    "n_cores": int(getattr(d, "n_cores", 0) or 0),
                    "n_studies": int(getattr(d, "n_studies", 0) or 0),
                    "median_distance_km": _num(getattr(d, "median_distance_km", None), 1),
                    "density_source": d.density_source,
                    "rule": getattr(d, "rule", None),
                    "source": d.source,
                    **_reference(d),
                }
            )
    return {
        "depth_cm": depth,
        "central_t_co2e": _co2e_t(row["stock_t_c"]) if row is not None else 0.0,
        "p5_t_co2e": _co2e_t(row["stock_p5_t_c"]) if row is not None else 0.0,
        "p95_t_co2e": _co2e_t(row["stock_p95_t_c"]) if row is not None else 0.0,
        "at_risk_t_co2e": _co2e_t(row["stock_at_risk_t_c"]) if row is not None else 0.0,
        "conservative_t_co2e": _num(row["stock_conservative_t_co2e"]) if row is not None else 0.0,
        "buried_since_first_map_t_co2e": _co2e_t(row["buried_t_c"]) if row is not None else 0.0,
        "carbon_in_lost_habitat_t_co2e": _co2e_t(max(lost, 0.0)),
        "by_pool": pools,
        "soil_density": density,
        "extrapolation": "none",
        "rule": STOCK_RULE,
        "note": f"carbon in the living biomass, litter and soil to {depth:g} cm of the parcel's blue-carbon "
        "habitats in the map year; carbon still held in the soils of habitat lost earlier is shown apart and "
        "is not collateral",
    }


def _flux(at_year: pd.DataFrame, level: pd.Series, map_year: int | None) -> dict[str, Any]:
    """Net flux of ALL the parcel's classes over the period starting at the map year."""
    empty: dict[str, Any] = {
        "period": None,
        "net_t_co2e_per_yr": None,
        "p5_t_co2e_per_yr": None,
        "p95_t_co2e_per_yr": None,
        "accumulation_t_co2e_per_yr": None,
        "emissions_t_co2e_per_yr": None,
        "by_habitat": [],
    }
    if at_year.empty or map_year is None:
        return empty
    flows = at_year[at_year["kind"] == "flow"]
    lv = level.loc[flows.index]
    total = flows[lv == "all"]
    if total.empty:
        return empty
    r = total.iloc[0]
    return {
        "period": f"{int(r['flux_period_start'])}-{int(r['flux_period_end'])}",
        "net_t_co2e_per_yr": _co2e_t(r["net_flux_t_c_yr"]),
        "p5_t_co2e_per_yr": _co2e_t(r["net_flux_p5_t_c_yr"]),
        "p95_t_co2e_per_yr": _co2e_t(r["net_flux_p95_t_c_yr"]),
        "accumulation_t_co2e_per_yr": _co2e_t(r["accumulation_t_c_yr"]),
        "emissions_t_co2e_per_yr": _co2e_t(r["emissions_t_c_yr"]),
        "by_habitat": [
            {"habitat": str(h.habitat), "net_t_co2e_per_yr": _co2e_t(h.net_flux_t_c_yr)}
            for h in flows[lv == "habitat"].sort_values("habitat").itertuples()
        ],
        "note": FLUX_NOTE,
    }


def _removal(
    rows: pd.DataFrame, store: Store, info: ReleaseInfo, parcel_id: str, parameters: ParameterSet
) -> dict[str, Any] | None:
    """Harvest removal of a farm parcel (HY/T 0305-2021), or None."""
    removals = rows[rows["kind"] == "removal"] if not rows.empty else rows
    if removals.empty:
        return None
    out: dict[str, Any] = {"basis": "HY/T 0305-2021", "records": [], "latest": None}
    if "harvests" in info.tables:
        harvests = store.read_table("harvests", info)
        mine = (
            harvests[harvests["farm_id"] == parcel_id]
            if "farm_id" in harvests.columns
            else harvests.iloc[0:0]
        )
        names = _scientific_names(parameters)
        for row in mine.sort_values(["year", "species"]).itertuples():
            # survey-template harvests carry no scientific_name column (FAO rows do)
            given = getattr(row, "scientific_name", None)
            scientific = given if isinstance(given, str) and given else None
            out["records"].append(
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
    year = int(removals["year"].max())
    last = removals[removals["year"] == year]
    out["latest"] = {
        "year": year,
        "total_t_co2e_per_yr": _num(last["removal_t_co2e_yr"].sum()),
        "tissue_t_co2e_per_yr": _num(last["tissue_removal_t_co2e_yr"].sum()),
        "shell_t_co2e_per_yr": _num(last["shell_removal_t_co2e_yr"].sum()),
        "p5_t_co2e_per_yr": _num(last["removal_p5_t_co2e_yr"].sum()),
        "p95_t_co2e_per_yr": _num(last["removal_p95_t_co2e_yr"].sum()),
    }
    out["note"] = (
        "a harvest removal is an annual flow, not a stored stock; shell carbon (about 80 % of a bivalve "
        "harvest's carbon) is counted by HY/T 0305-2021 but not credited internationally, and shell "
        "calcification releases CO2: the tissue-only figure is shown beside the total"
    )
    return out


def _creditable(
    credits: pd.DataFrame, map_year: int | None, *, buffer: float, allowable: float
) -> dict[str, Any]:
    """Creditable removals of the crediting period(s): the ecosystem stream's period starting
    at the map year, and the latest harvest year of a farm; VM0033 deduction and buffer."""
    streams = []
    if not credits.empty:
        eco = credits[(credits["stream"] == "ecosystem") & (credits["period_start"] == map_year)]
        harvest = credits[credits["stream"] == "harvest"]
        harvest = (
            harvest[harvest["period_start"] == harvest["period_start"].max()]
            if not harvest.empty
            else harvest
        )
        for r in pd.concat([eco, harvest]).itertuples():
            result = creditable_removals(
                float(r.project_t_co2e),
                float(r.uncertainty),
                allowable=allowable,
                buffer_fraction=buffer,
                baseline=float(r.baseline_t_co2e),
            )
            streams.append(
                {
                    "stream": str(r.stream),
                    "period": f"{int(r.period_start)}-{int(r.period_end)}",
                    "basis": str(r.basis),
                    "project_t_co2e": _num(r.project_t_co2e),
                    "baseline_t_co2e": _num(r.baseline_t_co2e),
                    "net_removals_t_co2e": _num(float(result.net_removals)),
                    "uncertainty_u": _num(r.uncertainty, 4),
                    "uncertainty_deduction_t_co2e": _num(float(result.uncertainty_deduction)),
                    "buffer_t_co2e": _num(float(result.buffer)),
                    "creditable_t_co2e": _num(float(result.creditable)),
                    "tissue_only_t_co2e": _num(r.tissue_only_t_co2e),
                    "hy_t_0305_t_co2e": _num(r.hy_t_0305_t_co2e),
                }
            )

    def total(key: str) -> float:
        return sum(float(s[key] or 0.0) for s in streams)

    return {
        "streams": streams,
        "net_removals_t_co2e": _num(total("net_removals_t_co2e")),
        "uncertainty_deduction_t_co2e": _num(total("uncertainty_deduction_t_co2e")),
        "allowable_uncertainty_a": allowable,
        "buffer_fraction": buffer,
        "buffer_t_co2e": _num(total("buffer_t_co2e")),
        "creditable_t_co2e": _num(total("creditable_t_co2e")),
        "rule": CREDIT_RULE,
    }


def _scientific_names(parameters: ParameterSet) -> dict[str, str]:
    """Scientific name by FAO code, Chinese, English or scientific name (species table)."""
    table = parameters.table("shellfish_species")
    out: dict[str, str] = {}
    for row in table.itertuples():
        for key in (row.fao_code, row.chinese_name, row.english_name, row.scientific_name):
            if isinstance(key, str) and key:
                out[key.strip().lower()] = str(row.scientific_name)
    return out


def _flags(
    *,
    signed: bool,
    info: ReleaseInfo,
    parcel: pd.Series,
    stock: Mapping[str, Any],
    flux: Mapping[str, Any],
    habitats: list[dict[str, Any]],
    soil: pd.DataFrame,
    site: str,
    creditable: Mapping[str, Any],
    valuation: Mapping[str, Any],
    parameters: ParameterSet,
    map_year: int | None,
) -> list[dict[str, str]]:
    """What a lender must know before relying on the figures, as coded flags (en and zh)."""
    out: list[dict[str, str]] = []

    def flag(code: str, **values: Any) -> None:
        en, zh = FLAG_TEXT[code]
        names = {lang: dict(values) for lang in LANGS}
        if "habitat" in values:  # habitat names in each language, never codes
            for lang in LANGS:
                names[lang]["habitat"] = HABITAT_NAMES.get(values["habitat"], {}).get(lang, values["habitat"])
        out.append(
            {"code": code, "message_en": en.format(**names["en"]), "message_zh": zh.format(**names["zh"])}
        )

    if info.withdrawn:
        flag("withdrawn_release", tag=info.tag, reason=info.withdrawn_reason)
    if bool(parcel.get("illustrative", False)):
        flag("illustrative_data")
    if bool(parcel.get("geometry_repaired", False)):
        flag("geometry_repaired")
    net = flux.get("net_t_co2e_per_yr")
    if net is not None and net < 0:
        flag("net_emitter", net=f"{net:,.0f}", period=flux["period"])
    present = {h["habitat"] for h in habitats if h["blue_carbon"]}
    site_rows = soil[soil["site"] == site] if not soil.empty and "site" in soil.columns else soil.iloc[0:0]
    for d in site_rows.itertuples():
        if d.habitat not in present:
            continue
        if d.density_source == "ipcc_tier1":
            flag("tier1_density", habitat=d.habitat)
        if "distant_cores" in str(getattr(d, "flags", "") or ""):
            flag("distant_cores", habitat=d.habitat, km=f"{float(d.median_distance_km):,.0f}")
        if getattr(d, "reference_check", None) in ("below", "above"):
            flag(
                "density_outside_reference",
                habitat=d.habitat,
                density=f"{float(d.soil_mg_c_ha):,.0f}",
                low=f"{float(d.reference_low_mg_c_ha):,.0f}",
                high=f"{float(d.reference_high_mg_c_ha):,.0f}",
            )
    if present:
        flag("tier1_rates")
    for h in habitats:
        if h["blue_carbon"] and h["accuracy"] != "assessed" and h["area_ha"]:
            flag("area_not_assessed", habitat=h["habitat"])
    if (stock.get("at_risk_t_co2e") or 0) > 0:
        flag("stock_at_risk", t=f"{stock['at_risk_t_co2e']:,.0f}")
    if map_year is None:
        flag("no_habitat_map", site=site)
    unverified = sum(int(m["unverified_rows"]) for m in info.provenance.get("parameters", {}).values())
    rows = sum(int(m["rows"]) for m in info.provenance.get("parameters", {}).values())
    if unverified:
        flag("unverified_parameters", n=unverified, rows=rows)
    if valuation.get("indicative"):
        flag("indicative_price", price=valuation["price_per_t_co2e"], currency=valuation["currency"])
    if any("shell + tissue" in s["basis"] for s in creditable["streams"]):
        flag("shell_carbon_credited")
    if not signed:
        flag("unsigned")
    for f in info.flags:
        flag("release_flag", text=f)
    return out


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
    warnings: tuple[str, ...] = ()
    signed_by: str | None = None


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


def verify_statement(
    store: Store, doc: Mapping[str, Any], *, deep: bool = True, trusted_public_key: str | None = None
) -> StatementCheck:
    """Check a statement: its integrity hash, its issuer's signature (against
    ``trusted_public_key``, 64 hex digits, or the embedded key with a warning), its release
    (and, with ``deep``, the release's stored data against its content hash), and every figure
    recomputed from the release with the release's pinned parameters."""
    problems: list[str] = []
    warnings: list[str] = []
    try:
        inputs = doc["inputs"]
        integrity = doc["integrity"]
        recorded = integrity["sha256"]
    except (KeyError, TypeError):
        return StatementCheck(False, ("not a bluecarbon statement (no inputs or integrity block)",), "")
    if statement_hash(doc) != recorded:
        problems.append(
            "integrity: the file was edited after it was issued (sha256 does not match its content)"
        )
    body = canonical({k: v for k, v in doc.items() if k != "integrity"}).encode("utf-8")
    signature = check_signature(integrity, body, trusted_public_key=trusted_public_key)
    problems += [f"signature: {p}" for p in signature.problems]
    warnings += list(signature.warnings)
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
        signed=bool(integrity.get("signature")),
    )
    ignore = {"integrity"}
    strip = lambda d: {k: v for k, v in d.items() if k not in ignore}  # noqa: E731
    recomputed = json.loads(canonical(strip(fresh)))
    given = json.loads(canonical(strip(dict(doc))))
    # the statement records which code produced it; a different verifier version is not an edit
    given.get("provenance", {}).pop("package_version_statement", None)
    recomputed.get("provenance", {}).pop("package_version_statement", None)
    problems += [f"figure differs: {d}" for d in _differences(given, recomputed)]
    return StatementCheck(not problems, tuple(problems), info.tag, tuple(warnings), signature.signed_by)


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
