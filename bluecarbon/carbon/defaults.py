"""Biophysical tables and transition matrices built from bluecarbon's parameter tables.

Why: the monitoring pipeline maps habitats with the shared vocabulary (``Habitat`` codes 1..8)
and has site soil densities (cores or IPCC Tier 1); it has no InVEST tables. This module builds
the same :class:`~bluecarbon.carbon.cbc_tables.ClassTable` and
:class:`~bluecarbon.carbon.cbc_tables.TransitionMatrix` the CLI reads from CSV, from sourced
parameters only, so the pipeline runs the very engine that is checked against InVEST:

* soil stock: the ``soil_density`` table (``soil_mg_c_ha`` with ``soil_se_mg_c_ha``);
* soil accumulation: IPCC 2013 Wetlands Supplement table 4.12 (range -> standard error);
* biomass stock: ``transition_defaults`` where a sourced value exists (seagrass), else 0
  (Tier 1 treats marsh and seagrass biomass as steady state, so only its stock matters);
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

from bluecarbon.carbon.cbc_tables import (
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
from bluecarbon.vocab import CarbonBasis, Habitat

_LEVEL_ACTION = {1: Action.LOW, 2: Action.MED, 3: Action.HIGH}


def habitat_class_table(
    soil_density: pd.DataFrame, *, parameters: ParameterSet, habitats: Sequence[Habitat] | None = None
) -> ClassTable:
    """Biophysical table (carbon basis, Mg C ha-1) for habitat codes, from sourced parameters.

    ``soil_density`` has ``habitat``, ``soil_mg_c_ha`` and ``soil_se_mg_c_ha`` (the soil-cores
    step's output). Habitats without a soil density hold no soil carbon (as in the v1 step).
    """
    chosen = list(habitats or sorted(Habitat, key=lambda h: h.code))
    density = soil_density.set_index("habitat") if not soil_density.empty else pd.DataFrame()
    values = {c: np.zeros(len(chosen)) for c in BIOPHYSICAL_COLUMNS}
    errors = {
        c: np.full(len(chosen), np.nan)
        for c in ("soil-initial", "soil-yearly-accumulation", "biomass-initial")
    }
    for i, habitat in enumerate(chosen):
        h = habitat.value
        if h in density.index:
            values["soil-initial"][i] = float(density.loc[h, "soil_mg_c_ha"])
            se = density.loc[h].get("soil_se_mg_c_ha", np.nan)
            errors["soil-initial"][i] = float(se) if pd.notna(se) else np.nan
        acc = parameters.optional("ipcc_tier1", "soil_carbon_accumulation", h)
        if acc is not None:
            values["soil-yearly-accumulation"][i] = acc.value
            if acc.low is not None and acc.high is not None:
                errors["soil-yearly-accumulation"][i] = float(se_from_range(acc.low, acc.high))
        bio = parameters.optional("transition_defaults", "biomass_carbon_stock", h)
        if bio is not None:
            values["biomass-initial"][i] = bio.value
            if bio.low is not None and bio.high is not None:
                errors["biomass-initial"][i] = float(se_from_range(bio.low, bio.high))
        for pool in ("biomass", "soil"):
            hl = parameters.optional("transition_defaults", f"{pool}_half_life", h)
            values[f"{pool}-half-life"][i] = hl.value if hl is not None else 0.0
            for level in IMPACT_LEVELS:
                frac = parameters.optional("transition_defaults", f"{pool}_disturbed_fraction", h, level)
                values[f"{pool}-{level}-impact-disturb"][i] = frac.value if frac is not None else 0.0
    return ClassTable(
        lucodes=np.asarray([h.code for h in chosen], dtype=np.int64),
        names=tuple(h.value for h in chosen),
        values=values,
        basis=CarbonBasis.C,
        standard_errors=errors,
        source="bluecarbon parameter tables (ipcc_tier1, transition_defaults) and the soil_density table",
    )


def habitat_transition_matrix(classes: ClassTable, *, parameters: ParameterSet) -> TransitionMatrix:
    """InVEST preprocessor rule on the shared vocabulary, loss level from ``habitat_loss_impact``."""
    level = int(parameters.value("transition_defaults", "habitat_loss_impact"))
    if level not in _LEVEL_ACTION:
        raise InputError(
            f"habitat_loss_impact {level}",
            file=parameters.origin("transition_defaults"),
            expected="1, 2 or 3",
        )
    flags = {name: Habitat.parse(name).is_blue_carbon for name in classes.names}
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
