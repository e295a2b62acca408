"""HTML and PDF renderings of a statement, made only from its JSON.

HTML is the primary rendering (Jinja2, one self-contained file with the map inlined as a
PNG data URI). PDF is printed from that HTML by headless Chromium when it is installed
(best typesetting, Chinese included); otherwise fpdf2 writes a plainer PDF from the same
JSON, with a CJK font found on the system for Chinese (and a clear error naming the Debian
package to install when there is none).

The renderer needs only the saved statement text and how a rendering carries it
(:mod:`bluecarbon.report.embedding`); the reader that checks renderings
(:mod:`bluecarbon.report.documents`) imports the renderer, so the imports run one way.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from bluecarbon.errors import BlueCarbonError
from bluecarbon.plots.fonts import cjk_font_file
from bluecarbon.report.embedding import attach_statement, html_embedding, statement_file_sha256
from bluecarbon.report.i18n import TEXT, method_entries, note
from bluecarbon.report.maps import render_map_png
from bluecarbon.vocab import HABITAT_NAMES, POOL_NAMES

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome executable, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _fmt(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, int | float):
        return f"{value:,.{digits}f}"
    return str(value)


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("bluecarbon.report", "templates"), autoescape=select_autoescape(["html"])
    )
    env.filters["n0"] = lambda v: _fmt(v, 0)
    env.filters["n1"] = lambda v: _fmt(v, 1)
    env.filters["n2"] = lambda v: _fmt(v, 2)
    env.filters["pct"] = lambda v: "-" if v is None else f"{100 * v:.1f} %"
    return env


def parcel_name(doc: Mapping[str, Any]) -> str:
    """The parcel's name in the statement's language (its Chinese name in a Chinese
    statement, where the release holds one)."""
    parcel = doc["parcel"]
    return str(parcel.get("name_zh") or parcel["name"]) if doc["lang"] == "zh" else str(parcel["name"])


def site_name(doc: Mapping[str, Any]) -> str:
    """The site's name in the statement's language, else its name, else its id."""
    parcel = doc["parcel"]
    preferred = parcel.get("site_name_zh") if doc["lang"] == "zh" else None
    return str(preferred or parcel.get("site_name") or parcel["site"])


def render_html(doc: Mapping[str, Any]) -> str:
    """The statement as one self-contained HTML page in its language."""
    lang = doc["lang"]
    png = render_map_png(doc["map"], lang)
    env = _env()
    env.filters["note"] = lambda text: note(text, lang)
    return env.get_template("statement.html.j2").render(
        doc=doc,
        lang=lang,
        parcel_name=parcel_name(doc),
        site_name=site_name(doc),
        t={k: v[lang] for k, v in TEXT.items()},
        habitat_name={k: v[lang] for k, v in HABITAT_NAMES.items()},
        pool_name={k: v[lang] for k, v in POOL_NAMES.items()},
        methods=method_entries(doc["methods"], lang),
        map_png=base64.b64encode(png).decode("ascii"),
        json_sha256=statement_file_sha256(doc),
        embedded=html_embedding(doc),
    )


def render_pdf(doc: Mapping[str, Any], output: Path, *, engine: str = "auto") -> str:
    """Write the statement as PDF; returns the engine used ("chromium" or "fpdf2").

    ``engine="auto"`` prints the HTML with headless Chromium when it is installed and falls
    back to fpdf2; ``"chromium"`` or ``"fpdf2"`` force one.
    """
    output = Path(output)
    if engine not in ("auto", "chromium", "fpdf2"):
        raise BlueCarbonError(f"unknown PDF engine {engine!r}: expected auto, chromium or fpdf2")
    chromium = find_chromium() if engine != "fpdf2" else None
    if engine == "chromium" and chromium is None:
        raise BlueCarbonError("Chromium is not installed (Debian: apt install chromium)")
    if chromium is not None:
        with tempfile.TemporaryDirectory() as tmp:
            page = Path(tmp) / "statement.html"
            page.write_text(render_html(doc), encoding="utf-8")
            result = subprocess.run(
                [
                    chromium,
                    *CHROMIUM_FLAGS,
                    f"--user-data-dir={tmp}/profile",
                    "--no-pdf-header-footer",
                    f"--print-to-pdf={output}",
                    page.as_uri(),
                ],
                capture_output=True,
                text=True,
                timeout=180,
            )
        if result.returncode == 0 and output.is_file() and output.stat().st_size > 0:
            attach_statement(output, doc, "chromium")
            return "chromium"
        if engine == "chromium":
            raise BlueCarbonError(f"Chromium could not print the PDF: {result.stderr[-500:]}")
    _fpdf(doc, output)
    attach_statement(output, doc, "fpdf2")
    return "fpdf2"


def pdf_lines(doc: Mapping[str, Any]) -> list[str]:
    """The text lines of the fpdf2 rendering (what verification expects on its pages)."""
    return [text for text, _size in _pdf_blocks(doc)]


_MAP = "\x00map"


def _fpdf(doc: Mapping[str, Any], output: Path) -> None:
    from fpdf import FPDF

    lang = doc["lang"]
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_creation_date(_issued(doc))
    font = cjk_font_file()
    if font:
        pdf.add_font("cjk", fname=font[0], collection_font_number=font[1])
        family = "cjk"
    elif lang == "zh":
        raise BlueCarbonError(
            "no font with Chinese glyphs found for the PDF: install one (Debian/Ubuntu: "
            "apt install fonts-noto-cjk) or install Chromium for HTML-based PDF printing"
        )
    else:
        family = "helvetica"
    pdf.add_page()
    for text, size in _pdf_blocks(doc):
        if text == _MAP:
            with tempfile.NamedTemporaryFile(suffix=".png") as png:
                png.write(render_map_png(doc["map"], lang))
                png.flush()
                pdf.image(png.name, w=120)
            continue
        pdf.set_font(family, size=size)
        if family == "helvetica":
            text = text.encode("latin-1", "replace").decode("latin-1")
        pdf.multi_cell(0, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(output))


def _issued(doc: Mapping[str, Any]) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(doc["provenance"]["generated_at"])


def _pdf_blocks(doc: Mapping[str, Any]) -> list[tuple[str, int]]:
    lang = doc["lang"]
    t = {k: v[lang] for k, v in TEXT.items()}
    out: list[tuple[str, int]] = []

    def line(text: str, size: int = 9) -> None:
        out.append((text, size))

    parcel, release = doc["parcel"], doc["release"]
    stock, flux, cred, val = doc["stock"], doc["flux"], doc["creditable"], doc["valuation"]
    line(t["title"], 16)
    if release["status"] == "withdrawn":
        line(f"{t['withdrawn']}: {release['withdrawn_reason']}", 11)
    if parcel["illustrative"]:
        line(t["illustrative"], 10)
    line(f"{t['parcel']}: {parcel_name(doc)} ({parcel['parcel_id']}), {_fmt(parcel['area_ha'], 1)} ha")
    line(f"{t['site']}: {site_name(doc)} ({parcel['site']})")
    line(f"{t['release']}: {release['tag']} / {release['snapshot_id']} / {release['content_hash']}")
    if doc["flags"]:
        line(t["flags"], 12)
        for f in doc["flags"]:
            line(f"  - {f['message_' + lang]}", 8)
    out.append((_MAP, 0))
    line(t["habitats"], 12)
    for h in doc["habitats"]:
        line(
            f"  {HABITAT_NAMES[h['habitat']][lang]}: {_fmt(h['area_ha'], 1)} ha "
            f"(+/- {_fmt(h['area_ci95_ha'], 1)}), {t.get(h['accuracy'], h['accuracy'])}"
        )
    line(f"{t['stock']} (0-{_fmt(stock['depth_cm'])} cm)", 12)
    for s in stock["by_pool"]:
        line(f"  {HABITAT_NAMES[s['habitat']][lang]} / {s['pool_label']}: {_fmt(s['t_co2e'])} t CO2e")
    line(
        f"  {t['central']} {_fmt(stock['central_t_co2e'])}; P5 {_fmt(stock['p5_t_co2e'])}; "
        f"P95 {_fmt(stock['p95_t_co2e'])}; {t['at_risk']} {_fmt(stock['at_risk_t_co2e'])}; "
        f"{t['conservative']} {_fmt(stock['conservative_t_co2e'])} t CO2e"
    )
    line(
        f"{t['flux']} {flux['period'] or '-'}: {_fmt(flux['net_t_co2e_per_yr'], 1)} {t['per_year']} "
        f"(P5 {_fmt(flux['p5_t_co2e_per_yr'], 1)}, P95 {_fmt(flux['p95_t_co2e_per_yr'], 1)})",
        10,
    )
    if doc["removal"] and doc["removal"]["latest"]:
        r = doc["removal"]["latest"]
        line(
            f"{t['removal']} {r['year']}: {t['removal_total']} {_fmt(r['total_t_co2e_per_yr'], 1)}, "
            f"{t['removal_tissue']} {_fmt(r['tissue_t_co2e_per_yr'], 1)} {t['per_year']}",
            10,
        )
        line(t["shellfish_note"], 8)
    line(t["creditable"], 12)
    for c in cred["streams"]:
        line(
            f"  {c['stream']} {c['period']}: {t['net_removals']} {_fmt(c['net_removals_t_co2e'], 1)}; "
            f"{t['deduction']} {_fmt(c['uncertainty_deduction_t_co2e'], 1)}; {t['buffer']} "
            f"{_fmt(c['buffer_t_co2e'], 1)}; {t['creditable']} {_fmt(c['creditable_t_co2e'], 1)} t CO2e"
        )
    line(f"  {t['creditable']}: {_fmt(cred['creditable_t_co2e'], 1)} t CO2e")
    line(
        f"{t['value']}: {_fmt(val['price_per_t_co2e'], 2)} {val['currency']}/t CO2e -> "
        f"{_fmt(val['creditable_value'], 2)} {val['currency']} ({val['price_source']}). {t['stock_not_credit']}"
    )
    reg = doc.get("register")
    if reg:
        line(t["register"], 12)
        line(
            f"  {t['reg_issued']} {_fmt(reg['issued_t_co2e'], 1)}; {t['reg_available']} "
            f"{_fmt(reg['available_t_co2e'], 1)}; {t['reg_pledged']} {_fmt(reg['pledged_t_co2e'], 1)}; "
            f"{t['reg_transferred']} {_fmt(reg['transferred_t_co2e'], 1)}; {t['reg_retired']} "
            f"{_fmt(reg['retired_t_co2e'], 1)}; {t['reg_shortfall']} {_fmt(reg['shortfall_t_co2e'], 1)}"
        )
        for p in reg["pledges"]:
            line(
                f"  {p['pledge_id']} {p['lender']}: {_fmt(p['quantity_t_co2e'], 1)} ({p['expires'] or '-'})",
                8,
            )
    line(t["licences"], 12)
    for lic in doc["licences"]:
        line(f"  {lic['license']}: {lic['dataset']} ({lic['restrictions']})", 7)
    line(t["provenance"], 12)
    prov, integrity = doc["provenance"], doc["integrity"]
    line(
        f"  {prov['release_tag']} {prov['snapshot_id']} {prov['content_hash']}; generated {prov['generated_at']}; "
        f"bluecarbon {prov['package_version_statement']}",
        7,
    )
    line(f"  {t['json_sha256']}: {statement_file_sha256(doc)}", 7)
    line(f"  {t['content_sha256']}: {integrity['sha256']}", 7)
    signer = (
        f"{t['signed_by']} {integrity['key_fingerprint']}"
        + (f" ({integrity['issuer']})" if integrity.get("issuer") else "")
        if integrity.get("signature")
        else t["not_signed"]
    )
    line(f"  {t['signature']}: {signer}", 7)
    line(t["verify"], 7)
    return out
