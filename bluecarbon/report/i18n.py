"""Labels of the sink statement in English and Chinese.

Only presentation text lives here; every number and identifier in a statement is language
independent, so the English and Chinese statements of one parcel carry the same figures.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

LANGS = ("en", "zh")

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

TEXT: dict[str, dict[str, str]] = {
    "title": {"en": "Blue-carbon sink statement", "zh": "蓝碳碳汇报告"},
    "withdrawn": {
        "en": "WITHDRAWN RELEASE: this statement is based on a release that has been withdrawn",
        "zh": "已撤回的版本：本报告所依据的数据版本已被撤回",
    },
    "illustrative": {
        "en": "ILLUSTRATIVE: this parcel or its records are made up for demonstration, not real data",
        "zh": "示意数据：该地块或其记录为演示而编制，并非真实数据",
    },
    "parcel": {"en": "Parcel", "zh": "地块"},
    "release": {"en": "Release", "zh": "数据版本"},
    "as_of": {"en": "Habitat map year", "zh": "生境图年份"},
    "map": {"en": "Parcel map", "zh": "地块图"},
    "north": {"en": "N (grid north)", "zh": "北（坐标北）"},
    "habitats": {"en": "Habitat areas", "zh": "生境面积"},
    "habitat": {"en": "habitat", "zh": "生境"},
    "area_ha": {"en": "area (ha)", "zh": "面积（公顷）"},
    "area_ci": {"en": "95 % CI (ha)", "zh": "95% 置信区间（公顷）"},
    "accuracy": {"en": "map accuracy", "zh": "制图精度"},
    "stocks": {"en": "Carbon stock by pool", "zh": "各碳库碳储量"},
    "pool": {"en": "pool", "zh": "碳库"},
    "t_c": {"en": "t C", "zh": "吨碳"},
    "t_co2e": {"en": "t CO2e", "zh": "吨二氧化碳当量"},
    "total": {"en": "total", "zh": "合计"},
    "disturbed": {
        "en": "Carbon still in soils of lost habitat (being emitted; not counted as collateral)",
        "zh": "已丧失生境土壤中尚存的碳（正在排放；不计入抵押价值）",
    },
    "sequestration": {"en": "Annual net sequestration", "zh": "年净固碳量"},
    "period": {"en": "period", "zh": "时段"},
    "per_year": {"en": "t CO2e per year", "zh": "吨二氧化碳当量/年"},
    "shellfish": {"en": "Shellfish harvest carbon", "zh": "贝类收获碳"},
    "shellfish_note": {
        "en": "Shell carbon is reported on the national-standard basis (HY/T 0305-2021) only; "
        "international methodologies do not credit it. Harvest removal is an annual flow, not a stock.",
        "zh": "贝壳碳仅按国家标准（HY/T 0305-2021）口径报告，国际方法学不予认可；收获移出为年度通量，而非储量。",
    },
    "year": {"en": "year", "zh": "年份"},
    "species": {"en": "species", "zh": "物种"},
    "harvest_t": {"en": "harvest (t wet)", "zh": "收获量（吨鲜重）"},
    "tissue": {"en": "tissue carbon (t C)", "zh": "软组织碳（吨碳）"},
    "shell": {"en": "shell carbon (t C, national-standard basis)", "zh": "贝壳碳（吨碳，国标口径）"},
    "uncertainty": {"en": "Uncertainty", "zh": "不确定性"},
    "conservative": {"en": "Conservative value for collateral", "zh": "抵押用保守值"},
    "central": {"en": "central estimate", "zh": "中心估计值"},
    "lower_bound": {"en": "lower bound (P5)", "zh": "下限（P5）"},
    "vm0033": {"en": "after VM0033 uncertainty deduction", "zh": "扣除 VM0033 不确定性后"},
    "buffer": {"en": "non-permanence buffer", "zh": "非永久性缓冲"},
    "at_risk": {"en": "at-risk stock excluded", "zh": "扣除风险碳储量"},
    "conservative_value": {"en": "conservative value", "zh": "保守值"},
    "value": {"en": "Value at price", "zh": "按价格估值"},
    "price": {"en": "price", "zh": "价格"},
    "methods": {"en": "Methods and parameters", "zh": "方法与参数"},
    "unverified": {"en": "not yet verified against the primary source", "zh": "尚未与原始文献核实"},
    "licences": {"en": "Data licences and attribution", "zh": "数据许可与署名"},
    "param_table": {"en": "table", "zh": "参数表"},
    "param_sources": {"en": "sources", "zh": "来源"},
    "licence": {"en": "licence", "zh": "许可"},
    "data": {"en": "data", "zh": "数据"},
    "restrictions": {"en": "restrictions", "zh": "限制"},
    "citation": {"en": "citation", "zh": "引用"},
    "provenance": {"en": "Provenance", "zh": "数据溯源"},
    "verify": {
        "en": "Verify with: bluecarbon verify-statement FILE.json (recomputes every figure from the release).",
        "zh": "验证方法：bluecarbon verify-statement 文件.json（依据数据版本重新计算全部数值）。",
    },
    "flags": {"en": "Flags", "zh": "提示"},
    "no_extrapolation": {
        "en": "No extrapolation: soil stocks use cores that reached 1 m; no core is extrapolated below its "
        "measured depth.",
        "zh": "未外推：土壤碳储量仅采用达到 1 米深度的岩芯，任何岩芯均未外推至实测深度以下。",
    },
    "assessed": {"en": "assessed (Olofsson et al. 2014)", "zh": "已评估（Olofsson 等, 2014）"},
    "not assessed": {"en": "not assessed (default area uncertainty)", "zh": "未评估（采用默认面积不确定性）"},
    "annual_removal": {"en": "Annual harvest removal", "zh": "年收获移出量"},
    "national_standard": {"en": "national standard", "zh": "国家标准"},
    "none": {"en": "none", "zh": "无"},
}


#: Headings of the method entries a release records (``provenance["method"]``).
METHOD_NAMES: dict[str, dict[str, str]] = {
    "area": {"en": "area", "zh": "生境面积"},
    "carbon": {"en": "carbon", "zh": "碳储量与固碳"},
    "mode": {"en": "mode", "zh": "计算模式"},
    "shellfish": {"en": "shellfish", "zh": "贝类碳汇"},
    "soil": {"en": "soil", "zh": "土壤碳"},
    "validation": {"en": "validation", "zh": "数据校验"},
}

#: Chinese summaries of the recorded method texts, each with the sha256 (first 12 hex digits)
#: of the English text it translates: a release recorded with another text shows its English
#: only. tests/unit/test_statement_rules.py fails when bluecarbon.pipeline.assemble.METHOD
#: changes without its summary here.
METHOD_ZH: dict[str, tuple[str, str]] = {
    "validation": (
        "3d7644d04ba4",
        "岩芯、样方与收获记录经校验（pandera 模式与关联规则）；无效行被隔离并列入隔离表，或按配置终止运行",
    ),
    "soil": (
        "2743708b8823",
        "岩芯碳储量计至 1 米（Howard 等, 2014；CCN 分层、烧失量方程或站点回归、理想混合法补全干容重、"
        "Fourqurean 碳酸盐校正），不外推；各生境取地块所在区域选定岩芯的均值与标准误（需至少 3 根岩芯"
        "达到 1 米），否则取全部岩芯，再否则取 IPCC 2013 湿地增补指南 Tier 1 默认值",
    ),
    "shellfish": (
        "d60b1010ba2c",
        "HY/T 0305-2021 收获移出法：产量 × 干湿比 ×（贝壳占比 × 贝壳含碳率 + 软组织占比 × 软组织含碳率），"
        "类别系数取自 Sun 等 (2020)；贝壳碳仅为国家标准口径",
    ),
    "carbon": (
        "904a7c2acc70",
        "转移引擎（bluecarbon.carbon.engine，默认模式，见 docs/invest-differences.md）：逐像元、逐年计算"
        "各碳库储量，按 IPCC Tier 1 速率累积，扰动排放按半衰期解析衰减，并计算净固碳量；按类别和地块做"
        "固定种子的蒙特卡洛模拟得到 P5/P50/P95；保守值扣除 VM0033 不确定性与非永久性缓冲",
    ),
    "area": (
        "09d394204284",
        "调查多边形（EPSG:6933 等积投影）或分类影像的像元计数；有参考样本时采用误差校正的分层估计及 95% "
        "置信区间（Olofsson 等, 2014），否则采用文档给定的默认置信区间",
    ),
    "mode": ("37a8eec1ce19", "默认（按方法指南，非 InVEST 兼容模式）"),
}


def method_text_digest(text: str) -> str:
    """The digest :data:`METHOD_ZH` keys a translation by."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def method_entries(methods: Mapping[str, str], lang: str) -> list[tuple[str, str, str | None]]:
    """(heading, text, recorded English text or None) per recorded method entry in ``lang``.

    In Chinese a summary is shown when one exists for exactly the recorded text, with the
    recorded English beneath it (the record is what the release holds); otherwise the English.
    """
    out: list[tuple[str, str, str | None]] = []
    for key, text in methods.items():
        heading = METHOD_NAMES.get(key, {}).get(lang, key)
        digest, summary = METHOD_ZH.get(key, ("", ""))
        if lang == "zh" and summary and digest == method_text_digest(str(text)):
            out.append((heading, summary, str(text)))
        else:
            out.append((heading, str(text), None))
    return out


def t(key: str, lang: str) -> str:
    """The label ``key`` in ``lang``."""
    return TEXT[key][lang]
