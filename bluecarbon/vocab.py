"""The shared vocabulary of DESIGN.md as enums: habitat classes, their subclasses (cover and
species) and carbon pools.

Raster habitat maps store integer codes; the code table lives here and only here so that
every product, table and statement uses the same numbers. Code 0 is never a class: encoded
habitat maps use 255 as ``_FillValue`` and in memory nodata is NaN (float maps).

A habitat product may hold a second layer, ``subclass``: 0 where no subclass is known, else a
:class:`Subclass` code (a cover class such as patchy seagrass, or a salt-marsh species). The
carbon engine runs on "engine classes" that combine both (:func:`engine_code`), so a patchy
meadow or a Spartina stand can carry its own parameters while every table still reports per
habitat.
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
    # Chinese species and cover names of Shandong surveys (data/studies/qingdao_names.csv):
    # Suaeda salsa, Spartina alterniflora and Phragmites australis marsh; Zostera marina
    # (鳗草, also 大叶藻) and Z. japonica (日本鳗草, also 矮大叶藻) meadows; bare flat
    "盐地碱蓬": Habitat.SALT_MARSH,
    "碱蓬": Habitat.SALT_MARSH,
    "互花米草": Habitat.SALT_MARSH,
    "芦苇": Habitat.SALT_MARSH,
    "鳗草": Habitat.SEAGRASS,
    "大叶藻": Habitat.SEAGRASS,
    "日本鳗草": Habitat.SEAGRASS,
    "矮大叶藻": Habitat.SEAGRASS,
    "光滩": Habitat.TIDAL_FLAT,
    "贝类养殖": Habitat.SHELLFISH_AQUACULTURE,
    "藻类养殖": Habitat.SEAWEED_AQUACULTURE,
    "水体": Habitat.WATER,
    "其他": Habitat.OTHER,
}


class Subclass(StrEnum):
    """What a habitat map may say beyond the habitat: cover (patchy vs continuous, continuous
    being the default and needing no code) and salt-marsh species where known."""

    PATCHY = "patchy"
    SPARTINA = "spartina"
    SUAEDA = "suaeda"
    PHRAGMITES = "phragmites"

    @property
    def code(self) -> int:
        return SUBCLASS_CODES[self]

    @classmethod
    def from_code(cls, code: int) -> Subclass:
        for subclass, value in SUBCLASS_CODES.items():
            if value == code:
                return subclass
        raise InputError(
            f"unknown subclass code {code}", expected=f"one of {sorted(SUBCLASS_CODES.values())}"
        )

    @classmethod
    def parse(cls, value: str) -> Subclass | None:
        """A subclass name; ``continuous`` (and empty) mean none."""
        key = value.strip().lower().replace("-", "_").replace(" ", "_")
        if key in ("", "continuous", "none"):
            return None
        try:
            return cls(key)
        except ValueError:
            raise InputError(
                f"unknown subclass {value!r}",
                expected="continuous or one of " + ", ".join(s.value for s in cls),
            ) from None


SUBCLASS_CODES: dict[Subclass, int] = {
    Subclass.PATCHY: 1,
    Subclass.SPARTINA: 2,
    Subclass.SUAEDA: 3,
    Subclass.PHRAGMITES: 4,
}

#: Engine class code = habitat code + SUBCLASS_FACTOR x subclass code (habitat codes are < 10).
SUBCLASS_FACTOR: int = 10


def engine_code(habitat: Habitat, subclass: Subclass | None = None) -> int:
    """The carbon engine's class code of a habitat and optional subclass."""
    return habitat.code + (SUBCLASS_FACTOR * subclass.code if subclass is not None else 0)


def engine_class_name(habitat: Habitat, subclass: Subclass | None = None) -> str:
    """``seagrass`` or ``seagrass/patchy``."""
    return habitat.value if subclass is None else f"{habitat.value}/{subclass.value}"


def split_engine_code(code: int) -> tuple[Habitat, Subclass | None]:
    """Habitat and subclass of an engine class code."""
    sub, hab = divmod(int(code), SUBCLASS_FACTOR)
    return Habitat.from_code(hab), (Subclass.from_code(sub) if sub else None)


def habitat_of(engine_class: str) -> Habitat:
    """The habitat of an engine class name (``salt_marsh/spartina`` -> salt_marsh)."""
    return Habitat(engine_class.split("/", 1)[0])


def subclass_flag_attrs() -> dict[str, object]:
    """CF ``flag_values``/``flag_meanings`` attributes for subclass maps (0: none)."""
    ordered = sorted(SUBCLASS_CODES.items(), key=lambda kv: kv[1])
    return {
        "flag_values": [0, *[code for _, code in ordered]],
        "flag_meanings": " ".join(["none", *[s.value for s, _ in ordered]]),
        "long_name": "habitat subclass (cover or species)",
        "units": "1",
    }


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


#: Names of the habitat classes in each language the statements and figures speak.
HABITAT_NAMES: dict[str, dict[str, str]] = {
    "seagrass": {"en": "seagrass", "zh": "海草床"},
    "salt_marsh": {"en": "salt marsh", "zh": "盐沼"},
    "mangrove": {"en": "mangrove", "zh": "红树林"},
    "tidal_flat": {"en": "tidal flat", "zh": "潮滩"},
    "shellfish_aquaculture": {"en": "shellfish aquaculture", "zh": "贝类养殖"},
    "seaweed_aquaculture": {"en": "seaweed aquaculture", "zh": "藻类养殖"},
    "water": {"en": "water", "zh": "水体"},
    "other": {"en": "other / not mapped as habitat", "zh": "其他/未识别为生境"},
}

POOL_NAMES: dict[str, dict[str, str]] = {
    "biomass": {"en": "living biomass", "zh": "生物量碳库"},
    "soil": {"en": "soil organic carbon (to 1 m)", "zh": "土壤有机碳（0-1 米）"},
    "litter": {"en": "litter", "zh": "凋落物碳库"},
    "shellfish": {"en": "shellfish harvest removal", "zh": "贝类收获移出碳"},
}


#: Figure labels in Chinese (:func:`bluecarbon.plots.localise_figure`): (regular expression of
#: the English text, Chinese replacement), tried in order on every text of a figure, so the
#: figure functions stay in one language and the translation lives here with the statement's.
#: Longer phrases come before the words they contain.
PLOT_ZH: tuple[tuple[str, str], ...] = (
    (r"Site net flux, all classes", "站点各类别合计净通量"),
    (r"Net flux, all classes", "各类别合计净通量"),
    (r"Sink or emitter\?", "碳汇还是排放源？"),
    (r"after the last map", "最后一期生境图之后"),
    (r"sink \(net removal\)", "碳汇（净清除）"),
    (r"emitter \(net emission\)", "排放源（净排放）"),
    (r"assumed (±\S+ %) \(no accuracy assessment\)", r"假定 \1（未经精度评估）"),
    (r"95 % CI", "95% 置信区间"),
    (r"Habitat \(code\): mapped area", "生境（代码）：制图面积"),
    (r"Subclass \(code\): mapped area", "亚类（代码）：制图面积"),
    (r"No subclass \(continuous cover\)", "无亚类（连续覆盖）"),
    (r"No data \(outside the mapped area\)", "无数据（制图范围外）"),
    (r"Not habitat \(no carbon\)", "非生境（无碳）"),
    (r"Patchy cover", "斑块状覆盖"),
    (r"Spartina stands", "互花米草群落"),
    (r"Suaeda stands", "碱蓬群落"),
    (r"Phragmites stands", "芦苇群落"),
    (
        r"drawn with one pixel in (\d+) along each axis; areas from the full grid",
        r"每轴每 \1 个像元绘制一个；面积按全分辨率计算",
    ),
    (r"drawn as means of (\d+) x (\d+) pixels", r"按 \1 x \2 像元均值绘制"),
    (r"\(release ([\w.]+)\)", r"（数据版本 \1）"),
    (r"\brelease ([\w.]+)", r"数据版本 \1"),
    (r"Carbon buried below the accounting depth", "埋藏至核算深度以下的碳"),
    (r"Carbon accumulation", "碳累积"),
    (r"Carbon emissions", "碳排放"),
    (r"Net sequestration", "净固碳"),
    (r"Carbon stock", "碳储量"),
    (r"Habitat area", "生境面积"),
    (r"Harvest removal", "收获移出"),
    (r"tissue only", "仅软组织"),
    (r"Net flux", "净通量"),
    (r"Habitat subclass", "生境亚类"),
    (r"\bHabitat\b", "生境"),
    (r"Other / not mapped as habitat", "其他/未识别为生境"),
    (r"Shellfish aquaculture", "贝类养殖"),
    (r"Seaweed aquaculture", "藻类养殖"),
    (r"Seagrass", "海草床"),
    (r"Salt marsh", "盐沼"),
    (r"Mangrove", "红树林"),
    (r"Tidal flat", "潮滩"),
    (r"Water", "水体"),
    (r"easting \(km\)", "东向坐标（公里）"),
    (r"northing \(km\)", "北向坐标（公里）"),
    (r"^year$", "年份"),
    (r"^Release$", "数据版本"),
)
