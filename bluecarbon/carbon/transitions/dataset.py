"""The output Dataset of the transition engine: CF variables, coordinates and attributes.

Why a module of its own: what a variable means (long name with its carbon basis, units,
``cell_methods``, dims) is declared once, in :data:`VARIABLE_ATTRS` and
:data:`VARIABLE_DIMS`, and stamped on the lazy layers by :func:`assemble_dataset`; the block
engine never sees names or units, and the writer writes what it is given. Every mass per area
is ``Mg ha-1`` in the run's basis (``carbon_basis``); consumers (totals, zonal sums, plots,
the store's validators) check those units rather than assume them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

from bluecarbon.carbon.transitions.model import Layout, Mode, ModelSpec
from bluecarbon.carbon.transitions.tables import POOLS

VARIABLE_ATTRS: Final[dict[str, dict[str, str]]] = {
    "carbon_stock": {
        "long_name": "carbon stock in biomass, soil and litter at the start of the year "
        "({basis} mass per area)",
        "units": "Mg ha-1",
        "cell_methods": "area: mean",
    },
    "carbon_stock_by_pool": {
        "long_name": "carbon stock per pool at the start of the year ({basis} mass per area)",
        "units": "Mg ha-1",
        "cell_methods": "area: mean",
    },
    "carbon_accumulation": {
        "long_name": "carbon accumulated over the period ({basis} mass per area)",
        "units": "Mg ha-1",
        "cell_methods": "area: mean period: sum",
    },
    "carbon_emissions": {
        "long_name": "carbon emitted by disturbance over the period ({basis} mass per area)",
        "units": "Mg ha-1",
        "cell_methods": "area: mean period: sum",
    },
    "carbon_buried": {
        "long_name": "carbon buried below the accounting depth since the first snapshot "
        "(soil accumulation; {basis} mass per area)",
        "units": "Mg ha-1",
        "cell_methods": "area: mean",
    },
    "net_sequestration": {
        "long_name": "net carbon sequestration (accumulation minus emissions) over the period "
        "({basis} mass per area)",
        "units": "Mg ha-1",
        "cell_methods": "area: mean period: sum",
    },
    "total_net_sequestration": {
        "long_name": "net carbon sequestration from the first snapshot to the analysis year "
        "({basis} mass per area)",
        "units": "Mg ha-1",
        "cell_methods": "area: mean",
    },
    "net_present_value": {
        "long_name": "net present value at the first snapshot year of net sequestration up to the year "
        "(currency per area)",
        "units": "{currency} ha-1",
    },
    "drained_soil_emissions": {
        "long_name": "carbon lost from drained soils over the period, IPCC 2013 Wetlands Supplement "
        "table 4.13 ({basis} mass per area)",
        "units": "Mg ha-1",
        "cell_methods": "area: mean period: sum",
    },
    "methane_emissions": {
        "long_name": "methane from soils rewetted at salinity below 18 ppt over the period, IPCC 2013 "
        "Wetlands Supplement table 4.14 (CH4 mass per area)",
        "units": "Mg ha-1",
        "cell_methods": "area: mean period: sum",
    },
    "methane_emissions_co2e": {
        "long_name": "methane from rewetted low-salinity soils over the period (CO2e mass per area, GWP100)",
        "units": "Mg ha-1",
        "cell_methods": "area: mean period: sum",
    },
}
VARIABLE_DIMS: Final[dict[str, tuple[str, ...]]] = {
    "carbon_stock": ("year",),
    "carbon_stock_by_pool": ("pool", "year"),
    "carbon_accumulation": ("period",),
    "carbon_emissions": ("period",),
    "net_sequestration": ("period",),
    "total_net_sequestration": (),
    "carbon_buried": ("year",),
    "net_present_value": ("year",),
    "drained_soil_emissions": ("period",),
    "methane_emissions": ("period",),
    "methane_emissions_co2e": ("period",),
}


def assemble_dataset(
    layers: Any, grid: xr.DataArray, spec: ModelSpec, layout: Layout, *, attrs: Mapping[str, Any] | None
) -> xr.Dataset:
    """The CF Dataset of a run: ``layers`` ``(L, y, x)`` (lazy or not) split into variables
    with their dims, units, ``carbon_basis`` and ``cell_methods``, on ``grid``'s coordinates
    and CRS."""
    tl = spec.timeline
    ny, nx = grid.sizes["y"], grid.sizes["x"]
    coords: dict[str, Any] = {
        "year": (
            "year",
            np.asarray(tl.output_years, dtype=np.int32),
            {"long_name": "calendar year", "units": "1"},
        ),
        "pool": ("pool", np.asarray(POOLS, dtype=object), {"long_name": "carbon pool"}),
        "period": ("period", np.asarray(tl.period_labels, dtype=object), {"long_name": "period (start-end)"}),
        "period_start": (
            "period",
            np.asarray([tl.starts[k] for k in tl.reported_periods], dtype=np.int32),
            {"long_name": "first year of the period (inclusive)", "units": "1"},
        ),
        "period_end": (
            "period",
            np.asarray([tl.ends[k] for k in tl.reported_periods], dtype=np.int32),
            {"long_name": "year after the last year of the period (exclusive)", "units": "1"},
        ),
        "y": grid["y"].variable,
        "x": grid["x"].variable,
    }
    data_vars = {}
    basis = spec.basis.value
    currency = spec.valuation.currency if spec.valuation is not None else "currency"
    for name, (a, b, shape) in layout.offsets().items():
        arr = layers[a:b].reshape(*shape, ny, nx) if shape else layers[a]
        var_attrs: dict[str, object] = {
            k: v.format(basis=basis, currency=currency) for k, v in VARIABLE_ATTRS[name].items()
        }
        if name in ("methane_emissions",):
            var_attrs["gas"] = "CH4"
        elif name == "methane_emissions_co2e":
            var_attrs["carbon_basis"] = "CO2e"
            var_attrs["gwp100_ch4"] = float(spec.gwp100_ch4 or np.nan)
        elif name != "net_present_value":
            var_attrs["carbon_basis"] = basis
        else:
            var_attrs["price_basis"] = "per tonne CO2e"
        if spec.mode is Mode.DEFAULT and name in (
            "carbon_stock",
            "carbon_stock_by_pool",
            "carbon_accumulation",
            "carbon_buried",
        ):
            var_attrs["valid_min"] = 0.0
        data_vars[name] = ((*VARIABLE_DIMS[name], "y", "x"), arr, var_attrs)
    ds = xr.Dataset(data_vars=data_vars, coords=coords)
    ds.attrs = {
        "Conventions": "CF-1.8",
        "title": "bluecarbon transitions: carbon stocks, accumulation, emissions, net sequestration",
        "bluecarbon_mode": str(spec.mode),
        "carbon_basis": basis,
        "snapshot_years": list(tl.snapshot_years),
        "analysis_year": tl.analysis_year,
        **(dict(attrs) if attrs else {}),
    }
    if spec.valuation is not None:
        ds.attrs["discount_rate"] = spec.valuation.discount_rate
    crs = grid.rio.crs
    if crs is not None:
        ds = ds.rio.write_crs(crs)
        ds["x"].attrs.update(axis_attrs("x", crs))
        ds["y"].attrs.update(axis_attrs("y", crs))
    return ds


def axis_attrs(axis: str, crs: Any) -> dict[str, str]:
    """CF attributes of the ``x``/``y`` coordinate on ``crs``."""
    if crs.is_projected:
        return {
            "standard_name": f"projection_{axis}_coordinate",
            "long_name": f"{axis} coordinate of projection",
            "units": "m",
            "axis": axis.upper(),
        }
    name = "longitude" if axis == "x" else "latitude"
    return {
        "standard_name": name,
        "long_name": name,
        "units": f"degrees_{'east' if axis == 'x' else 'north'}",
    }
