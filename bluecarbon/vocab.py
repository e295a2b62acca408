"""The shared vocabulary of DESIGN.md as enums: habitat classes, salt-marsh subclasses and
carbon pools.

Raster habitat maps store integer codes; the code table lives here and only here so that
every product, table and statement uses the same numbers. Code 0 is never a class: encoded
habitat maps use 255 as ``_FillValue`` and in memory nodata is NaN (float maps).
"""

from __future__ import annotations

from enum import StrEnum

from bluecarbon.errors import InputError


class Habitat(StrEnum):
    """Habitat classes of the pipeline (DESIGN.md, "Shared vocabulary")."""

    SEAGRASS = "seagrass"
    SALT_MARSH = "salt_marsh"
    MANGROVE = "mangrove"
    TIDAL_FLAT = "tidal_flat"
    SHELLFISH_AQUACULTURE = "shellfish_aquaculture"
    SEAWEED_AQUACULTURE = "seaweed_aquaculture"
    WATER = "water"
    OTHER = "other"

    @property
    def code(self) -> int:
        """Integer code used in habitat rasters."""
        return HABITAT_CODES[self]

    @property
    def is_blue_carbon(self) -> bool:
        """True for vegetated or farmed habitats that hold or remove carbon."""
        return self in BLUE_CARBON_HABITATS

    @classmethod
    def from_code(cls, code: int) -> Habitat:
        for habitat, value in HABITAT_CODES.items():
            if value == code:
                return habitat
        raise InputError(f"unknown habitat code {code}", expected=f"one of {sorted(HABITAT_CODES.values())}")

    @classmethod
    def parse(cls, value: str) -> Habitat:
        """Accept the canonical names and the common synonyms of our sources."""
        key = value.strip().lower().replace("-", "_").replace(" ", "_")
        if key in HABITAT_SYNONYMS:
            return HABITAT_SYNONYMS[key]
        raise InputError(f"unknown habitat {value!r}", expected="one of " + ", ".join(h.value for h in cls))


HABITAT_CODES: dict[Habitat, int] = {
    Habitat.SEAGRASS: 1,
    Habitat.SALT_MARSH: 2,
    Habitat.MANGROVE: 3,
    Habitat.TIDAL_FLAT: 4,
    Habitat.SHELLFISH_AQUACULTURE: 5,
    Habitat.SEAWEED_AQUACULTURE: 6,
    Habitat.WATER: 7,
    Habitat.OTHER: 8,
}

#: Fill value of encoded (uint8) habitat maps.
HABITAT_FILL: int = 255

BLUE_CARBON_HABITATS: frozenset[Habitat] = frozenset(
    {
        Habitat.SEAGRASS,
        Habitat.SALT_MARSH,
        Habitat.MANGROVE,
        Habitat.SHELLFISH_AQUACULTURE,
        Habitat.SEAWEED_AQUACULTURE,
    }
)

HABITAT_SYNONYMS: dict[str, Habitat] = {h.value: h for h in Habitat} | {
    # Coastal Carbon Network controlled vocabulary
    "marsh": Habitat.SALT_MARSH,
    "tidal_marsh": Habitat.SALT_MARSH,
    "saltmarsh": Habitat.SALT_MARSH,
    "mudflat": Habitat.TIDAL_FLAT,
    "unvegetated": Habitat.TIDAL_FLAT,
    "swamp": Habitat.OTHER,
    # Chinese survey sheets
    "海草床": Habitat.SEAGRASS,
    "海草": Habitat.SEAGRASS,
    "盐沼": Habitat.SALT_MARSH,
    "红树林": Habitat.MANGROVE,
    "潮滩": Habitat.TIDAL_FLAT,
    "贝类养殖": Habitat.SHELLFISH_AQUACULTURE,
    "藻类养殖": Habitat.SEAWEED_AQUACULTURE,
    "水体": Habitat.WATER,
    "其他": Habitat.OTHER,
}


class MarshSubclass(StrEnum):
    """Salt-marsh species subclasses where known."""

    SPARTINA = "spartina"
    SUAEDA = "suaeda"
    PHRAGMITES = "phragmites"
    OTHER = "other"


class Pool(StrEnum):
    """Carbon pools. Shellfish harvest removal is a flow, reported as its own pool."""

    BIOMASS = "biomass"
    SOIL = "soil"
    LITTER = "litter"
    SHELLFISH = "shellfish"


class CarbonBasis(StrEnum):
    """Whether a quantity is carbon mass or CO2-equivalent mass."""

    C = "C"
    CO2E = "CO2e"


def flag_attrs() -> dict[str, object]:
    """CF ``flag_values``/``flag_meanings`` attributes for habitat maps."""
    ordered = sorted(HABITAT_CODES.items(), key=lambda kv: kv[1])
    return {
        "flag_values": [code for _, code in ordered],
        "flag_meanings": " ".join(h.value for h, _ in ordered),
        "long_name": "habitat class",
        "units": "1",
    }
