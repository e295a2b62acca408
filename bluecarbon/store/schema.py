"""What a release contains: the store-format version, product kinds and table names.

A product is an xarray Dataset stored as an Icechunk group at ``<site>/<kind>``; a table is
a Delta table named by one identifier. Readers of a release (catalog, statements, exports)
rely on this list, and the publish validators enforce it. Bump ``STORE_FORMAT_VERSION``
when the meaning of any entry changes; ``docs/store-format.md`` documents every entry.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Version of the release layout; stored in every release's metadata.
STORE_FORMAT_VERSION = 3


@dataclass(frozen=True)
class ProductKind:
    kind: str
    description: str
    required_variables: tuple[str, ...]


PRODUCT_KINDS: dict[str, ProductKind] = {
    p.kind: p
    for p in (
        ProductKind("habitat", "habitat class map per snapshot year (CF flag_values)", ("habitat",)),
        ProductKind(
            "carbon",
            "carbon stock per pool and year, accumulation, emissions, net sequestration per period",
            ("carbon_stock",),
        ),
        ProductKind("uncertainty", "per-pixel uncertainty layers (standard error)", ()),
        ProductKind("imagery", "derived imagery (composites, indices) used for mapping", ()),
    )
}


@dataclass(frozen=True)
class TableSpec:
    name: str
    description: str
    required_columns: tuple[str, ...]
    geometry: bool = False


TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec(
            "parcels",
            "parcels (farm sea-use, meadow and marsh units, study areas) with geometry",
            ("parcel_id", "name", "kind", "site"),
            geometry=True,
        ),
        TableSpec("cores", "validated soil cores used by the release", ("study_id", "core_id", "habitat")),
        TableSpec(
            "core_stocks",
            "soil carbon stock per core to 30 cm and 100 cm",
            ("study_id", "core_id", "habitat", "depth_cm", "stock_mg_c_ha"),
        ),
        TableSpec(
            "soil_density",
            "soil carbon density per habitat and its source",
            ("habitat", "soil_mg_c_ha", "density_source"),
        ),
        TableSpec("plots", "biomass plots with carbon", ("plot_id", "habitat")),
        TableSpec(
            "harvests", "shellfish and seaweed harvests with carbon removal", ("species", "year", "harvest_t")
        ),
        TableSpec(
            "habitat_area",
            "habitat area per site, year and class (ha)",
            ("site", "year", "habitat", "area_ha"),
        ),
        TableSpec("accuracy", "map accuracy and area estimates (Olofsson et al. 2014)", ("site", "habitat")),
        TableSpec(
            "class_totals",
            "per site, year and class: area, stock, sequestration and uncertainty",
            ("site", "year", "habitat", "area_ha", "stock_t_c", "stock_t_co2e"),
        ),
        TableSpec(
            "parcel_totals",
            "per parcel, year and habitat (level habitat), blue-carbon habitats and all classes: "
            "stock, flux, removal",
            ("parcel_id", "year", "habitat", "kind", "level"),
        ),
        TableSpec(
            "site_balance",
            "per site and period: stock at both ends, accumulation, emissions, reclassification, net flux",
            (
                "site",
                "period_start",
                "period_end",
                "stock_start_t_c",
                "stock_end_t_c",
                "accumulation_t_c",
                "emissions_t_c",
                "reclassification_t_c",
                "net_flux_t_c_yr",
            ),
        ),
        TableSpec(
            "parcel_credits",
            "per parcel, stream and crediting period: net removals, VM0033 deduction, buffer, creditable",
            ("parcel_id", "stream", "period_start", "period_end", "net_removals_t_co2e", "creditable_t_co2e"),
        ),
        TableSpec(
            "quarantine",
            "input rows held back by validation, with the rule broken",
            ("file", "row", "column", "rule"),
        ),
        TableSpec(
            "parameters",
            "every parameter table the release was computed with: exact CSV text, sha256, origin",
            ("table", "sha256", "csv_text"),
        ),
        TableSpec(
            "array_digests",
            "sha256 and size of every stored array object (zarr.json and chunk) of the release's products",
            ("key", "sha256", "nbytes"),
        ),
        TableSpec(
            "strata",
            "stratum summaries (n, mean, median, SD, SE, 90 % CI) of core stocks and plot biomass",
            ("pool", "quantity", "stratum_kind", "stratum", "n", "mean"),
        ),
    )
}
