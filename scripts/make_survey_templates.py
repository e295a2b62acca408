"""Write the survey templates under data/templates/ from bluecarbon.ingest.survey.TEMPLATE.

Run from the repository root: ``.venv-test/bin/python scripts/make_survey_templates.py``.

Writes empty templates (English and Chinese headers, XLSX and CSV, each with its units row)
and one filled example workbook built from real shipped data (no invented values): three
Yellow River Delta marsh cores of Xia et al. 2022 from the Coastal Carbon Library (CC BY 4.0),
two Korean Zostera marina biomass plots of the Fourqurean et al. 2012 compilation (CC BY 4.0),
and China's 2022 FAO production of four species (CC BY-NC-SA 4.0). See data/templates/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from bluecarbon.ingest.ccn import read_ccn
from bluecarbon.ingest.survey import write_template_csv, write_template_workbook

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
OUT = ROOT / "data" / "templates"


def example_rows() -> dict[str, pd.DataFrame]:
    """Real rows for the filled example, in template columns (Chinese habitat names)."""
    ccn = read_ccn(RAW / "field/ccrcn")
    wanted = ["Yellow River Estuary 2", "Yellow River Estuary 3", "Yellow River Estuary 4"]
    cores = ccn.cores[(ccn.cores["study_id"] == "Xia_et_al_2022") & ccn.cores["core_id"].isin(wanted)]
    depths = ccn.depthseries.merge(cores[["study_id", "core_id"]], on=["study_id", "core_id"])
    core_rows = pd.DataFrame(
        {
            "study_id": cores["study_id"],
            "site_id": cores["site_id"],
            "core_id": cores["core_id"],
            "habitat": "盐沼",
            "latitude": cores["latitude"].round(5),
            "longitude": cores["longitude"].round(5),
            "date": pd.to_numeric(cores["year"], errors="coerce").astype("Int64").astype("string") + "-01-01",
            "notes": "Coastal Carbon Library (CC BY 4.0), Xia et al. 2022 via Maxwell et al. 2023; "
            "date: year only",
        }
    )
    depth_rows = depths[
        ["study_id", "core_id", "depth_min", "depth_max", "dry_bulk_density", "fraction_carbon"]
    ].assign(
        fraction_carbon=lambda d: (d["fraction_carbon"] * 100).round(
            4
        ),  # written in percent: units row says %
        fraction_carbon_type="有机碳",
    )
    bio = pd.read_csv(RAW / "field/seagrass_biomass_fourqurean2012/Fourqurean_2012_biomass.csv")
    korea = bio[bio["study_id"] == "Lee_et_al_2005"].head(2)
    located = korea.merge(
        ccn.cores[["study_id", "core_id", "latitude", "longitude"]], on=["study_id", "core_id"]
    )
    plot_rows = pd.DataFrame(
        {
            "study_id": located["study_id"],
            "plot_id": located["core_id"],
            "site_id": located["site_id"],
            "habitat": "海草床",
            "species": "Zostera marina",
            "latitude": located["latitude"].round(5),
            "longitude": located["longitude"].round(5),
            "agb_g_m2": located["total_AGB"],
            "bgb_g_m2": located["total_BGB"],
        }
    )
    fao = pd.read_csv(
        RAW / "field/fao_china_mariculture/fao_fishstat_aquaculture_bivalves_seaweeds_CHN_KOR_JPN_TWN.csv"
    )
    china = fao[
        (fao["iso3"] == "CHN") & (fao["year"] == 2022) & fao["species"].isin(["OYC", "SCX", "CLJ", "LNJ"])
    ]
    china = china.groupby("species", as_index=False)["value"].sum()
    names = {"OYC": "牡蛎", "SCX": "扇贝", "CLJ": "菲律宾蛤仔", "LNJ": "海带"}
    harvest_rows = pd.DataFrame(
        {
            "site_id": "中国 (FAO FishStat)",
            "species": china["species"].map(names),
            "year": 2022,
            "harvest_t": china["value"],
        }
    )
    return {"cores": core_rows, "depth_intervals": depth_rows, "plots": plot_rows, "harvests": harvest_rows}


def main() -> int:
    written = [
        write_template_workbook(OUT / "survey_template_en.xlsx", language="en"),
        write_template_workbook(OUT / "survey_template_zh.xlsx", language="zh"),
        *write_template_csv(OUT / "csv_en", language="en"),
        *write_template_csv(OUT / "csv_zh", language="zh"),
    ]
    rows = example_rows()
    example = write_template_workbook(OUT / "examples" / "survey_example_zh.xlsx", language="zh", rows=rows)
    _percent_units(example)
    written.append(example)
    for path in written:
        sys.stdout.write(f"wrote {path.relative_to(ROOT)}\n")
    return 0


def _percent_units(path: Path) -> None:
    """The example states its carbon fractions in percent (units row), as many sheets do."""
    from openpyxl import load_workbook

    book = load_workbook(path)
    sheet = book["分层样品"]
    header = [c.value for c in sheet[1]]
    sheet.cell(2, header.index("有机碳含量") + 1).value = "%"
    book.save(path)


if __name__ == "__main__":
    raise SystemExit(main())
