"""Index insurance on a parcel's sink: a policy file evaluated on a release.

Why an index and a strict policy model: index (parametric) policies such as the Rongcheng
seagrass sink policy (2022) pay when a published index falls below a trigger, so nobody has to
assess a loss; what matters is that insurer, insured and auditor compute the same index from the
same release and the same payout from it. The policy is a small TOML file read into a frozen
pydantic model that rejects any key it does not know (naming it), and the index is read from the
release's own tables:

* ``conservative_annual_removal`` (t CO2e/yr): the parcel's creditable removals in a crediting
  period (both streams, after the VM0033 uncertainty deduction and the buffer, ``parcel_credits``)
  divided by the period's length; the latest period unless ``period`` is given;
* ``habitat_area`` (ha): the area of ``habitat`` in the parcel at its site's latest map year in
  the release (``parcel_totals``; 0 when the habitat is gone);
* ``conservative_stock`` (t CO2e): the parcel's conservative stock, all classes, same map year.

The index is rounded to 0.001 (the precision it is published with), and the payout for a falling
index is linear between trigger and exit:

    payout = sum_insured x clip((trigger - index) / (trigger - exit), 0, 1)

so nothing is paid at or above the trigger and the sum insured at or below the exit.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bluecarbon.errors import InputError
from bluecarbon.ingest.parcels import check_parcel_id
from bluecarbon.register.book import site_map_years
from bluecarbon.register.units import Period
from bluecarbon.store.release import Store
from bluecarbon.vocab import Habitat

IndexKind = Literal["conservative_annual_removal", "habitat_area", "conservative_stock"]
INDEX_UNITS: Final[dict[str, str]] = {
    "conservative_annual_removal": "t CO2e/yr",
    "habitat_area": "ha",
    "conservative_stock": "t CO2e",
}


class IndexSpec(BaseModel):
    """What the index measures."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: IndexKind
    habitat: str | None = None
    period: str | None = None

    @field_validator("habitat")
    @classmethod
    def _habitat(cls, value: str | None) -> str | None:
        return None if value is None else Habitat.parse(value).value

    @field_validator("period")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        return None if value is None else str(Period.parse(value))

    @model_validator(mode="after")
    def _fits_kind(self) -> IndexSpec:
        if self.kind == "habitat_area" and self.habitat is None:
            raise ValueError("index kind habitat_area needs index.habitat (e.g. 'seagrass')")
        if self.kind != "habitat_area" and self.habitat is not None:
            raise ValueError(f"index.habitat is only for kind habitat_area, not {self.kind}")
        if self.kind != "conservative_annual_removal" and self.period is not None:
            raise ValueError(f"index.period is only for kind conservative_annual_removal, not {self.kind}")
        return self


class Policy(BaseModel):
    """An index insurance policy on one parcel (module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64)
    parcel: str
    index: IndexSpec
    trigger: float = Field(ge=0)
    exit: float = Field(ge=0)
    sum_insured: float = Field(gt=0)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    insurer: str = ""
    insured: str = ""
    description: str = ""

    @field_validator("parcel")
    @classmethod
    def _parcel(cls, value: str) -> str:
        try:
            return check_parcel_id(value)
        except InputError as exc:
            raise ValueError(f"{exc.problem} (expected {exc.expected})") from None

    @model_validator(mode="after")
    def _falling(self) -> Policy:
        if not self.exit < self.trigger:
            raise ValueError(
                f"exit ({self.exit:g}) must be below trigger ({self.trigger:g}): the policy pays as the "
                "index falls from the trigger to the exit"
            )
        return self


def policy_from_mapping(data: Mapping[str, Any], *, origin: str = "policy") -> Policy:
    """A :class:`Policy` from parsed TOML or query parameters; every problem named by its key."""
    try:
        return Policy.model_validate(dict(data))
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"]) or "(policy)"
            if error["type"] == "extra_forbidden":
                problems.append(f"unknown key {key!r}")
            elif error["type"] == "missing":
                problems.append(f"missing key {key!r}")
            else:
                message = str(error["msg"]).removeprefix("Value error, ")
                problems.append(f"{key}: {message}")
        raise InputError(
            "; ".join(problems),
            file=origin,
            expected="keys id, parcel, trigger, exit, sum_insured, currency, [index] kind (habitat, period)",
        ) from None


def load_policy(path: Path) -> Policy:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("policy file not found", file=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=path) from None
    return policy_from_mapping(data, origin=str(path))


def payout(*, sum_insured: float, trigger: float, exit: float, index: float) -> float:
    """Linear payout of a falling index (module docstring), rounded to 0.01."""
    fraction = min(max((trigger - index) / (trigger - exit), 0.0), 1.0)
    return round(sum_insured * fraction, 2)


@dataclass(frozen=True)
class IndexValue:
    value: float
    unit: str
    basis: str


def index_value(
    spec: IndexSpec,
    parcel_id: str,
    *,
    parcel_totals: pd.DataFrame,
    parcel_credits: pd.DataFrame,
    map_years: Mapping[str, int],
) -> IndexValue:
    """The index of ``parcel_id`` from a release's tables (a pure function); ``map_years`` are
    the sites' latest map years (:func:`~bluecarbon.register.book.site_map_years`)."""
    if spec.kind == "conservative_annual_removal":
        rows = (
            parcel_credits[parcel_credits["parcel_id"] == parcel_id]
            if not parcel_credits.empty
            else parcel_credits
        )
        if rows.empty:
            raise InputError(f"parcel {parcel_id!r} has no crediting period in this release", column="parcel")
        periods = sorted(
            {Period(int(a), int(b)) for a, b in zip(rows["period_start"], rows["period_end"], strict=True)}
        )
        period = Period.parse(spec.period) if spec.period else periods[-1]
        if period not in periods:
            raise InputError(
                f"parcel {parcel_id!r} has no crediting period {period}",
                column="index.period",
                expected=", ".join(str(p) for p in periods),
            )
        chosen = rows[(rows["period_start"] == period.start) & (rows["period_end"] == period.end)]
        creditable = float(chosen["creditable_t_co2e"].fillna(0.0).sum())
        years = period.end - period.start
        return IndexValue(
            round(creditable / years, 3),
            INDEX_UNITS[spec.kind],
            f"creditable removals {creditable:,.3f} t CO2e over {period} ({years} yr)",
        )
    if parcel_totals.empty or not {"parcel_id", "kind", "year"} <= set(parcel_totals.columns):
        raise InputError(
            f"parcel {parcel_id!r} has no habitat map in this release",
            column="index.kind",
            expected="conservative_annual_removal for a farm parcel",
        )
    level = (
        parcel_totals["level"]
        if "level" in parcel_totals.columns
        else pd.Series("habitat", index=parcel_totals.index)
    )
    stocks = parcel_totals[(parcel_totals["parcel_id"] == parcel_id) & (parcel_totals["kind"] == "stock")]
    sites = {str(s) for s in stocks["site"]} if "site" in stocks.columns else set()
    year = next((map_years[s] for s in sorted(sites) if s in map_years), None)
    if stocks.empty or year is None:
        raise InputError(
            f"parcel {parcel_id!r} has no habitat map in this release",
            column="index.kind",
            expected="conservative_annual_removal for a farm parcel",
        )
    at_year = stocks[stocks["year"] == year]
    if spec.kind == "habitat_area":
        rows = at_year[(level.loc[at_year.index] == "habitat") & (at_year["habitat"] == spec.habitat)]
        area = float(rows["area_ha"].fillna(0.0).sum())
        return IndexValue(round(area, 3), INDEX_UNITS[spec.kind], f"{spec.habitat} area in map year {year}")
    rows = at_year[level.loc[at_year.index] == "all"]
    stock = float(rows["stock_conservative_t_co2e"].fillna(0.0).sum())
    return IndexValue(
        round(stock, 3), INDEX_UNITS[spec.kind], f"conservative stock, all classes, map year {year}"
    )


@dataclass(frozen=True)
class Evaluation:
    policy_id: str
    parcel_id: str
    release: str
    release_hash: str
    release_status: str
    index_kind: str
    index: float
    unit: str
    basis: str
    trigger: float
    exit: float
    triggered: bool
    payout_fraction: float
    payout: float
    sum_insured: float
    currency: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate(store: Store, policy: Policy, *, release: str = "latest") -> Evaluation:
    """The policy's index on ``release``, whether it triggered and the payout."""
    info = store.resolve(release)

    def table(name: str) -> pd.DataFrame:
        return store.read_table(name, info) if name in info.tables else pd.DataFrame(columns=["parcel_id"])

    annual = policy.index.kind == "conservative_annual_removal"
    value = index_value(
        policy.index,
        policy.parcel,
        parcel_totals=pd.DataFrame() if annual else table("parcel_totals"),
        parcel_credits=table("parcel_credits") if annual else pd.DataFrame(),
        map_years={} if annual else site_map_years(table("class_totals")),
    )
    amount = payout(
        sum_insured=policy.sum_insured, trigger=policy.trigger, exit=policy.exit, index=value.value
    )
    return Evaluation(
        policy_id=policy.id,
        parcel_id=policy.parcel,
        release=info.tag,
        release_hash=info.content_hash,
        release_status=info.status,
        index_kind=policy.index.kind,
        index=value.value,
        unit=value.unit,
        basis=value.basis,
        trigger=policy.trigger,
        exit=policy.exit,
        triggered=value.value < policy.trigger,
        payout_fraction=round(amount / policy.sum_insured, 6),
        payout=amount,
        sum_insured=policy.sum_insured,
        currency=policy.currency,
    )
