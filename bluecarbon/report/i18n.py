"""Labels of the sink statement in English and Chinese.

Only presentation text lives here; every number and identifier in a statement is language
independent, so the English and Chinese statements of one parcel carry the same figures.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

LANGS = ("en", "zh")

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
    "no_data": {"en": "no data (outside the habitat map)", "zh": "无数据（生境图范围外）"},
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
    "flux": {"en": "Net flux of all classes", "zh": "各类别合计净通量"},
    "stock": {"en": "Carbon stock (blue-carbon habitats)", "zh": "碳储量（蓝碳生境）"},
    "depth": {"en": "accounting depth", "zh": "核算深度"},
    "accumulation": {"en": "accumulation", "zh": "累积"},
    "emissions": {"en": "emissions", "zh": "排放"},
    "lost_habitat": {
        "en": "carbon still held in soils of habitat lost earlier (not collateral)",
        "zh": "已丧失生境土壤中尚存的碳（不作抵押）",
    },
    "buried": {
        "en": "buried below the accounting depth since the first map",
        "zh": "首次制图以来埋藏至核算深度以下的碳",
    },
    "removal": {"en": "Harvest removal (HY/T 0305-2021)", "zh": "收获移出碳汇（HY/T 0305-2021）"},
    "removal_total": {"en": "total (shell + tissue)", "zh": "合计（贝壳 + 软组织）"},
    "removal_tissue": {"en": "tissue only", "zh": "仅软组织"},
    "creditable": {"en": "Creditable removals", "zh": "可签发碳汇量"},
    "stream": {"en": "stream", "zh": "来源"},
    "net_removals": {"en": "net removals against the baseline", "zh": "相对基线的净清除量"},
    "deduction": {"en": "VM0033 uncertainty deduction", "zh": "VM0033 不确定性扣减"},
    "creditable_value": {"en": "value of creditable removals", "zh": "可签发碳汇价值"},
    "stock_not_credit": {
        "en": "A standing stock is not a credit and is never valued as one.",
        "zh": "存量碳储量不是碳信用，不按碳信用估值。",
    },
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
    "conservative": {"en": "conservative stock (never above P5)", "zh": "保守储量（不高于 P5）"},
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
        "en": "Verify with: bluecarbon verify-statement FILE --public-key ISSUER_KEY (FILE: this page, "
        "its PDF or its JSON; checks the issuer's signature and recomputes every figure from the release). "
        "This page embeds the statement it shows; any edit of a figure on it is reported.",
        "zh": "验证方法：bluecarbon verify-statement 文件 --public-key 签发者公钥（文件可为本页、其PDF或JSON；"
        "检验签发者签名，并依据数据版本重新计算全部数值）。本页内嵌其所展示的报告，页面上任何数值被改动都会被发现。",
    },
    "register": {"en": "Sink-rights register (t CO2e)", "zh": "碳汇权益登记（吨二氧化碳当量）"},
    "reg_issued": {"en": "issued", "zh": "已签发"},
    "reg_available": {"en": "available", "zh": "可用"},
    "reg_pledged": {"en": "pledged", "zh": "已质押"},
    "reg_transferred": {"en": "transferred", "zh": "已转让"},
    "reg_retired": {"en": "retired", "zh": "已注销"},
    "reg_shortfall": {"en": "shortfall", "zh": "短缺"},
    "reg_pledge": {"en": "pledge", "zh": "质押编号"},
    "reg_lender": {"en": "lender", "zh": "质权人"},
    "reg_expires": {"en": "expires", "zh": "到期"},
    "reg_note": {
        "en": "Units as the register stood when this statement was issued; register entries and head:",
        "zh": "本报告签发时的登记状态；登记条目数与链头：",
    },
    "json_sha256": {"en": "statement JSON sha256", "zh": "报告JSON文件 sha256"},
    "content_sha256": {"en": "signed content sha256", "zh": "签名内容 sha256"},
    "signature": {"en": "issuer signature", "zh": "签发者签名"},
    "signed_by": {"en": "Ed25519, key fingerprint", "zh": "Ed25519，公钥指纹"},
    "not_signed": {
        "en": "not signed: the issuer cannot be proven",
        "zh": "未签名：无法证明签发者",
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
    "parcel_id": {"en": "id", "zh": "地块编号"},
    "site": {"en": "site", "zh": "站点"},
    "density_col": {"en": "Mg C/ha", "zh": "密度（吨碳/公顷）"},
    "se_col": {"en": "SE", "zh": "标准误"},
    "n_col": {"en": "n", "zh": "岩芯数"},
    "km_col": {"en": "km", "zh": "距离中位数（公里）"},
    "reference": {"en": "published for the region", "zh": "该区域已发表数值"},
    "within": {"en": "within", "zh": "在范围内"},
    "below": {"en": "below", "zh": "低于范围"},
    "above": {"en": "above", "zh": "高于范围"},
}

#: Chinese of the fixed explanatory sentences a statement carries in English (its ``rule`` and
#: ``note`` fields): shown instead of the English in a Chinese statement when the recorded text
#: is exactly this one, else the English as recorded.
STOCK_RULE = (
    "conservative stock = min(P5, central) less stocks at risk, never below 0; P5 from one Monte "
    "Carlo of area, density and core representativeness; no VM0033 deduction or buffer: a stock is not a "
    "credit"
)
FLUX_NOTE = (
    "removals positive; every class of the parcel counts, so habitat lost to tidal flat, water or "
    "other emits here while the habitat that remains accumulates; the period starts at the latest map and "
    "losses seen between two maps are dated half way between them"
)
CREDIT_RULE = (
    "net removals against a no-change baseline over the crediting period, less NR x max(U - A, 0) "
    "(VM0033 v2.1 eq. 92) and the non-permanence buffer on what remains; zero when net removals are not "
    "positive"
)
NOTE_ZH: dict[str, str] = {
    STOCK_RULE: "保守储量 = min(P5, 中心值) 减去风险储量，不低于 0；P5 来自面积、密度与岩芯代表性的同一次蒙特卡洛"
    "模拟；储量不扣除 VM0033 不确定性或缓冲：储量不是碳信用",
    FLUX_NOTE: "清除为正；地块所有类别均计入，丧失为潮滩、水体或"
    "其他类别的生境在此计为排放，保留的生境继续累积；时段始于最新一期生境图，两期图之间发现的丧失定在两者中点",
    CREDIT_RULE: "计入期内相对无变化基线的净清除量，减去 NR x max(U - A, 0)（VM0033 v2.1 式 92）及剩余部分的非永久性"
    "缓冲；净清除量不为正时为零",
}


def note(text: str | None, lang: str) -> str:
    """A statement's recorded explanatory ``text`` in ``lang`` (:data:`NOTE_ZH`)."""
    if text is None:
        return ""
    return NOTE_ZH.get(text, text) if lang == "zh" else text


#: Statement flags: code -> (English, Chinese) messages, formatted with the flag's values.
FLAG_TEXT: dict[str, tuple[str, str]] = {
    "net_emitter": (
        "net emitter: the parcel's classes together emit {net} t CO2e per year ({period}); it earns no credit",
        "净排放源：地块各类别合计每年排放 {net} 吨二氧化碳当量（{period}），不产生可签发碳信用",
    ),
    "tier1_density": (
        "{habitat}: soil carbon is the IPCC Tier 1 default; too few representative cores measured to the "
        "accounting depth near the site",
        "{habitat}土壤碳采用 IPCC Tier 1 默认值：站点附近达到核算深度的代表性岩芯不足",
    ),
    "tier1_rates": (
        "carbon accumulation rates are IPCC Tier 1 defaults, not measured at the site",
        "碳累积速率采用 IPCC Tier 1 默认值，并非站点实测",
    ),
    "distant_cores": (
        "{habitat}: soil carbon rests on cores a median {km} km away; local cores would narrow the uncertainty",
        "{habitat}土壤碳所依据的岩芯距离中位数为 {km} 公里：本地岩芯可缩小不确定性",
    ),
    "area_not_assessed": (
        "{habitat}: the mapped area has no accuracy assessment; its uncertainty is a documented default",
        "{habitat}面积未经精度评估：其不确定性采用文档给定的默认值",
    ),
    "unverified_parameters": (
        "{n} of {rows} parameter rows are not yet verified against their primary source",
        "{rows} 行参数中有 {n} 行尚未与原始文献核实",
    ),
    "illustrative_data": (
        "ILLUSTRATIVE: this parcel or its records are made up for demonstration, not real data",
        "示意数据：该地块或其记录为演示而编制，并非真实数据",
    ),
    "withdrawn_release": (
        "release {tag} was withdrawn: {reason}",
        "数据版本 {tag} 已撤回：{reason}",
    ),
    "geometry_repaired": (
        "the parcel boundary was invalid as published and was repaired (make_valid)",
        "地块边界原始数据无效，已修复（make_valid）",
    ),
    "stock_at_risk": (
        "{t} t CO2e of the stock is at risk (Spartina alterniflora under the national eradication campaign) and "
        "is excluded from the conservative stock",
        "{t} 吨二氧化碳当量的储量存在风险（互花米草正在全国清除行动中），已从保守储量中扣除",
    ),
    "no_habitat_map": (
        "site {site} has no habitat map in this release: the parcel holds no mapped stock or flux",
        "本数据版本中站点 {site} 无生境图：该地块无已制图的储量或通量",
    ),
    "indicative_price": (
        "the price {price} {currency}/t CO2e is an indicative reference, not a traded price for this parcel",
        "价格 {price} {currency}/吨二氧化碳当量为参考价，并非该地块的成交价",
    ),
    "shell_carbon_credited": (
        "creditable removals include shell carbon (HY/T 0305-2021 basis), which international methodologies "
        "do not credit",
        "可签发量包含贝壳碳（HY/T 0305-2021 口径），国际方法学不予认可",
    ),
    "density_outside_reference": (
        "{habitat}: the soil density ({density} Mg C/ha to 1 m) lies outside the published values for the site's "
        "region ({low}-{high})",
        "{habitat}土壤碳密度（{density} 吨碳/公顷，0-1 米）超出该区域已发表数值范围（{low}-{high}）",
    ),
    "unsigned": (
        "the statement is not signed: its issuer cannot be proven",
        "本报告未经签名：无法证明其签发者",
    ),
    "release_flag": ("release flag: {text}", "数据版本提示：{text}"),
}


#: Headings of the method entries a release records (``provenance["method"]``).
METHOD_NAMES: dict[str, dict[str, str]] = {
    "area": {"en": "area", "zh": "生境面积"},
    "carbon": {"en": "carbon", "zh": "碳储量与固碳"},
    "conservative": {"en": "conservative and creditable", "zh": "保守值与可签发量"},
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
        "6061d84be3c7",
        "岩芯碳储量计至 100 厘米核算深度（Howard 等, 2014；CCN 分层、烧失量方程或站点回归、理想混合法补全"
        "干容重、Fourqurean 碳酸盐校正），不外推；各站点各生境取 400 公里内、沉积环境相符（碳酸盐或硅质碎屑）"
        "且实测达 100 厘米的岩芯均值（至少 5 根），其不确定性含代表性项（站点间离散度）；否则采用 IPCC 2013 "
        "湿地增补指南 Tier 1 默认值并予以提示；研究文件指定区域时，该区域已发表的土壤碳储量仅作为与密度对照的核查，"
        "从不作为输入",
    ),
    "shellfish": (
        "d4242fbd4cd1",
        "HY/T 0305-2021 收获移出法：产量 × 干湿比 ×（贝壳占比 × 贝壳含碳率 + 软组织占比 × 软组织含碳率），"
        "类别系数取自 Sun 等 (2020)；FAO 藻类鲜重按渔业统计年鉴干/鲜比换算；移出量为年度通量，软组织与贝壳"
        "分列；除非计入表另有规定，碳信用仅计软组织碳",
    ),
    "carbon": (
        "207f16a92034",
        "转移引擎（bluecarbon.carbon.transitions，默认模式，见 docs/accounting.md）：逐像元、逐年计算各碳库储量，"
        "储量在两期图之间延续（制图噪声不会凭空产生碳），土壤埋藏作为核算深度以下的通量，两期图之间的变化"
        "定在中点，按 IPCC Tier 1 速率累积，扰动排放按半衰期解析衰减；红树林生物量按气候带取 IPCC Tier 1 "
        "默认值；研究文件指定区域时，活体生物量采用该区域的调查数据（regional_parameters 中的 applied 行）；"
        "斑块状覆盖按权重折算单位面积储量；每个站点一次固定种子的蒙特卡洛模拟（面积、密度与代表性），"
        "按生境、地块与站点逐次抽样加总",
    ),
    "conservative": (
        "33e5fa64bb2e",
        "保守储量 = min(P5, 中心值) 减去风险储量（互花米草），绝不高于 P5；可签发量 = 计入期内相对无变化基线的"
        "净清除量，扣除 VM0033 不确定性（式 92）与非永久性缓冲，非正时为零",
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
