"""``bluecarbon parcels``: the parcels a release holds, by the ids ``statement`` takes.

A financier's first question is which parcels a statement can be issued for; the answer is
the release's own ``parcels`` table (read through the store, so checked against the digest
recorded when it was published), never a local file. Geometry stays out of the listing: the
table is for reading ids, ``--json`` is for scripts (every parcel, keys in a fixed order).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bluecarbon.cli import _common as c

if TYPE_CHECKING:
    import pandas as pd

#: Keys of each parcel in ``--json``, in this order.
FIELDS = ("parcel_id", "name", "kind", "site", "area_ha", "illustrative")


def parcels(
    release: c.ReleaseOption = "latest",
    config: c.ConfigOption = None,
    as_json: c.JsonOption = False,
    wide: c.WideOption = False,
) -> None:
    """List the parcels of a release (ids for `statement`).

    Parcel id, name, kind, site, area and whether the parcel is illustrative (demo data,
    not a real farm or meadow).
    """
    from bluecarbon.errors import ReleaseNotFound

    settings = c.settings(config)
    with c.errors():
        store = c.store(settings)
        info = store.resolve(release)
        if "parcels" not in info.tables:
            raise ReleaseNotFound(f"release {info.tag} has no parcels table")
        rows = parcel_records(store.read_table("parcels", info))
    if as_json:
        c.print_json({"release": info.tag, "parcels": rows})
        return
    print_parcels(rows, title=f"Parcels in release {info.tag} ({len(rows)})", wide=wide)


def parcel_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One dict per parcel with the :data:`FIELDS`, sorted by id (area in ha to 3 decimals;
    a parcel without a recorded flag is not illustrative)."""
    import math

    out = []
    for row in frame.sort_values("parcel_id").to_dict("records"):
        area = row.get("area_ha")
        area_ha = None if area is None or math.isnan(float(area)) else round(float(area), 3)
        flag = row.get("illustrative")
        out.append(
            {
                "parcel_id": str(row["parcel_id"]),
                "name": str(row["name"]),
                "kind": str(row["kind"]),
                "site": str(row["site"]),
                "area_ha": area_ha,
                "illustrative": bool(flag) if flag is not None and flag == flag else False,
            }
        )
    return out


def print_parcels(rows: list[dict[str, Any]], *, title: str, wide: bool = False) -> None:
    from bluecarbon.cli.tables import Col, print_table
    from bluecarbon.formatting import fmt_number

    print_table(
        [
            Col("parcel id", figure=True, justify="left"),
            Col("name"),
            Col("kind", optional=True),
            Col("site", figure=True, justify="left"),
            Col("area ha", figure=True),
            Col("illustrative", figure=True, justify="left"),
        ],
        [
            [
                r["parcel_id"],
                r["name"],
                r["kind"].replace("_", " "),
                r["site"],
                fmt_number(r["area_ha"]),
                "yes" if r["illustrative"] else "no",
            ]
            for r in rows
        ],
        title=title,
        wide=wide,
    )
