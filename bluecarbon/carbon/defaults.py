"""Biophysical tables and transition matrices built from bluecarbon's parameter tables.

Why: the monitoring pipeline maps habitats with the shared vocabulary (``Habitat`` codes 1..8)
and has site soil densities (cores or IPCC Tier 1); it has no InVEST tables. This module builds
the same :class:`~bluecarbon.carbon.transitions.tables.ClassTable` and
:class:`~bluecarbon.carbon.transitions.tables.TransitionMatrix` the CLI reads from CSV, from sourced
parameters only, so the pipeline runs the very engine that is checked against InVEST:

* soil stock: the ``soil_density`` table (``soil_mg_c_ha`` with ``soil_se_mg_c_ha``);
* soil accumulation: IPCC 2013 Wetlands Supplement table 4.12 (range -> standard error);
* biomass stock: the site's region's applied survey rows where the study names a region
  (``regional_parameters``, :mod:`bluecarbon.carbon.regional`), else ``transition_defaults``
  where a sourced value exists (seagrass, from plots), IPCC Tier 1 by climate zone for
  mangrove, else 0 (Tier 1 treats marsh and seagrass biomass as steady state, so only its
  stock matters);
* subclasses (a patchy meadow, a Spartina stand): the habitat's values scaled by the
  subclass's ``stock_weight``, sharing the habitat's Monte Carlo draws;
* half-lives and disturbed fractions: the InVEST user's guide table 1 (``transition_defaults``);
* the transition rule of the InVEST preprocessor, with a mapped habitat loss a disturbance of
  the level set by ``habitat_loss_impact``.

It also fills the drained-soil and rewetting factors from IPCC Tier 1 for classes that a
transition calls for and whose table gives none.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from bluecarbon.carbon.regional import regional_biomass_carbon
from bluecarbon.carbon.transitions.tables import (
    BIOPHYSICAL_COLUMNS,
    IMPACT_LEVELS,
    Action,
    ClassTable,
    TransitionMatrix,
    transition_matrix_by_rule,
)
from bluecarbon.carbon.uncertainty import se_from_range
from bluecarbon.errors import InputError
from bluecarbon.params import ParameterSet
from bluecarbon.units import CO2E_PER_C
from bluecarbon.vocab import CarbonBasis, Habitat, Subclass, engine_class_name, engine_code, habitat_of

_LEVEL_ACTION = {1: Action.LOW, 2: Action.MED, 3: Action.HIGH}


def habitat_class_table(
    soil_density: pd.DataFrame,
    *,
    parameters: ParameterSet,
    classes: Sequence[tuple[Habitat, Subclass | None]] | None = None,
    climate_zone: str | None = None,
    region: str | None = None,
) -> ClassTable:
    """Biophysical table (carbon basis, Mg C ha-1) for engine classes, from sourced parameters.

    ``classes`` lists (habitat, subclass) pairs (default: every habitat, no subclass); a
    subclass scales the per-hectare stocks and accumulation of its habitat by its
    ``stock_weight`` (``subclasses`` table: a patchy meadow holds part of a continuous one's
    carbon) and shares the habitat's Monte Carlo draws. ``soil_density`` has ``habitat``,
    ``soil_mg_c_ha`` and ``soil_se_mg_c_ha``; habitats without one hold no soil carbon.

    Biomass: the mean of the applied survey rows of the site's ``region``
    (:func:`~bluecarbon.carbon.regional.regional_biomass_carbon`) where there are any, else the
    ``transition_defaults`` stock where one is given (seagrass, from plots), else for mangrove
    the IPCC Tier 1 default of the site's ``climate_zone`` (ipcc_tier1: aboveground biomass x
    (1 + root:shoot ratio) x carbon fraction); marsh biomass is steady state at Tier 1 and 0
    without a sourced value.
    """
    chosen = list(classes or [(h, None) for h in sorted(Habitat, key=lambda h: h.code)])
    density = soil_density.set_index("habitat") if not soil_density.empty else pd.DataFrame()
    n = len(chosen)
    values = {c: np.zeros(n) for c in BIOPHYSICAL_COLUMNS}
    errors = {c: np.full(n, np.nan) for c in ("soil-initial", "soil-yearly-accumulation", "biomass-initial")}
    for i, (habitat, subclass) in enumerate(chosen):
        h = habitat.value
        weight = subclass_weight(subclass, habitat, parameters=parameters)
        if h in density.index:
            values["soil-initial"][i] = float(density.loc[h, "soil_mg_c_ha"]) * weight
            se = density.loc[h].get("soil_se_mg_c_ha", np.nan)
            errors["soil-initial"][i] = float(se) * weight if pd.notna(se) else np.nan
        acc = parameters.optional("ipcc_tier1", "soil_carbon_accumulation", h)
        if acc is not None:
            values["soil-yearly-accumulation"][i] = acc.value * weight
            if acc.low is not None and acc.high is not None:
                errors["soil-yearly-accumulation"][i] = float(se_from_range(acc.low, acc.high)) * weight
        biomass, biomass_se = biomass_carbon_stock(
            habitat, parameters=parameters, climate_zone=climate_zone, region=region
        )
        values["biomass-initial"][i] = biomass * weight
        errors["biomass-initial"][i] = biomass_se * weight
        for pool in ("biomass", "soil"):
            hl = parameters.optional("transition_defaults", f"{pool}_half_life", h)
            values[f"{pool}-half-life"][i] = hl.value if hl is not None else 0.0
            for level in IMPACT_LEVELS:
                frac = parameters.optional("transition_defaults", f"{pool}_disturbed_fraction", h, level)
                values[f"{pool}-{level}-impact-disturb"][i] = frac.value if frac is not None else 0.0
    return ClassTable(
        lucodes=np.asarray([engine_code(h, sub) for h, sub in chosen], dtype=np.int64),
        names=tuple(engine_class_name(h, sub) for h, sub in chosen),
        values=values,
        basis=CarbonBasis.C,
        standard_errors=errors,
        source="bluecarbon parameter tables (ipcc_tier1, transition_defaults, subclasses) and the "
        "soil_density table",
        draw_groups=np.asarray([h.code for h, _ in chosen]),
    )


def subclass_weight(subclass: Subclass | None, habitat: Habitat, *, parameters: ParameterSet) -> float:
    """``stock_weight`` of a subclass of ``habitat`` (1 without a subclass)."""
    if subclass is None:
        return 1.0
    table = parameters.table("subclasses")
    row = table[(table["subclass"] == subclass.value) & (table["habitat"] == habitat.value)]
    if len(row) != 1:
        raise InputError(
            f"no subclass {subclass.value!r} of {habitat.value!r}",
            file=parameters.origin("subclasses"),
            expected="one row per subclass and habitat",
        )
    return float(row["stock_weight"].iloc[0])


def at_risk_subclasses(parameters: ParameterSet) -> frozenset[str]:
    """Engine class names whose carbon is at risk (``at_risk`` in the ``subclasses`` table)."""
    table = parameters.table("subclasses")
    risky = table[table["at_risk"].astype(str).str.lower() == "true"]
    return frozenset(f"{h}/{s}" for h, s in zip(risky["habitat"], risky["subclass"], strict=True))


#: IPCC climate zones with mangrove Tier 1 biomass defaults (ipcc_tier1 subtypes).
MANGROVE_CLIMATE_ZONES = ("tropical_wet", "tropical_dry", "subtropical")


def biomass_carbon_stock(
    habitat: Habitat, *, parameters: ParameterSet, climate_zone: str | None = None, region: str | None = None
) -> tuple[float, float]:
    """Living biomass carbon (Mg C ha-1) and its SE for a habitat without site plots.

    Notes
    -----
    A ``region`` with applied survey rows for the habitat (``regional_parameters``) gives the
    mean of its surveys times the carbon fraction (:mod:`bluecarbon.carbon.regional`).
    Mangrove (IPCC 2013 Wetlands Supplement, ch. 4 tables 4.2, 4.3, 4.5):
    ``C = AGB x (1 + R) x CF``, with the relative SE ``tier1_representativeness_relative_se``
    (no range is transcribed). Other habitats: the ``transition_defaults`` biomass stock and
    its range, else 0 (no sourced value: the pool carries no carbon).
    """
    if region is not None:
        regional = regional_biomass_carbon(habitat, region, parameters=parameters)
        if regional is not None:
            return regional
    given = parameters.optional("transition_defaults", "biomass_carbon_stock", habitat.value)
    if given is not None:
        se = (
            float(se_from_range(given.low, given.high))
            if given.low is not None and given.high is not None
            else np.nan
        )
        return given.value, se
    if habitat is not Habitat.MANGROVE:
        return 0.0, np.nan
    if climate_zone not in MANGROVE_CLIMATE_ZONES:
        raise InputError(
            f"mangrove biomass needs the site's IPCC climate zone, got {climate_zone!r}",
            column="climate_zone",
            expected=" or ".join(MANGROVE_CLIMATE_ZONES),
        )
    agb = parameters.value("ipcc_tier1", "aboveground_biomass", "mangrove", climate_zone)
    ratio = parameters.value("ipcc_tier1", "root_shoot_ratio", "mangrove", climate_zone)
    fraction = parameters.value("ipcc_tier1", "biomass_carbon_fraction", "mangrove")
    carbon = agb * (1.0 + ratio) * fraction
    rse = parameters.value("soil_defaults", "tier1_representativeness_relative_se")
    return carbon, carbon * rse


def habitat_transition_matrix(classes: ClassTable, *, parameters: ParameterSet) -> TransitionMatrix:
    """InVEST preprocessor rule on the shared vocabulary, loss level from ``habitat_loss_impact``."""
    level = int(parameters.value("transition_defaults", "habitat_loss_impact"))
    if level not in _LEVEL_ACTION:
        raise InputError(
            f"habitat_loss_impact {level}",
            file=parameters.origin("transition_defaults"),
            expected="1, 2 or 3",
        )
    flags = {name: habitat_of(name).is_blue_carbon for name in classes.names}
    return transition_matrix_by_rule(classes, habitat=flags, loss_action=_LEVEL_ACTION[level])


def gwp100_ch4(*, parameters: ParameterSet) -> float:
    """GWP100 of methane from ``transition_defaults``."""
    return parameters.value("transition_defaults", "gwp100_ch4")


def with_extra_emission_factors(
    classes: ClassTable, matrix: TransitionMatrix, *, parameters: ParameterSet
) -> ClassTable:
    """Fill ``drained-soil-ef`` / ``rewetted-ch4-ef`` from IPCC Tier 1 where a transition calls
    for them and the table gives no value (the class name must parse to a habitat with a
    default: tidal marsh or mangrove)."""
    k = classes.n_classes
    need = {
        "drained-soil-ef": matrix.drained[:k, :k].any(axis=1),  # the drained (source) class
        "rewetted-ch4-ef": matrix.rewetted[:k, :k].any(axis=0),  # the rewetted (destination) class
    }
    parameter = {"drained-soil-ef": "drained_soil_co2_ef", "rewetted-ch4-ef": "ch4_rewetted_low_salinity"}
    out: dict[str, np.ndarray] = {}
    for column, needed in need.items():
        if not needed.any():
            continue
        given = (
            np.asarray(classes.values[column], dtype=np.float64)
            if classes.has(column)
            else np.full(k, np.nan)
        )
        filled = given.copy()
        for i in np.flatnonzero(needed & ~np.isfinite(given)):
            name = classes.names[i]
            try:
                habitat = Habitat.parse(name).value
                p = parameters.lookup("ipcc_tier1", parameter[column], habitat)
            except InputError:
                raise InputError(
                    f"class {name!r} needs a {column} factor and has no IPCC Tier 1 default",
                    file=classes.source or None,
                    column=column,
                    expected="a value in the biophysical table",
                ) from None
            value = p.value
            if column == "drained-soil-ef" and classes.basis is CarbonBasis.CO2E:
                value *= CO2E_PER_C
            filled[i] = value
        out[column] = filled
    return classes.with_values(out) if out else classes
