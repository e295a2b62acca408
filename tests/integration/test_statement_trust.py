"""Issue 14, as a bank and a forger would try it, each command in a fresh interpreter.

The issuer creates a key and issues a signed statement of a real parcel of the demo release;
the bank verifies it with the key it obtained from the issuer. A forger then edits figures in
the JSON (recomputing its sha256), on the HTML page, and on the PDF's pages; a tamperer
rewrites a table file under the release; an analyst overrides a parameter table after the
release. Each must be caught, or (the override) change nothing.
"""

from __future__ import annotations

import difflib
import json
import re
import stat
from pathlib import Path

import pytest

from bluecarbon.report.embedding import statement_text
from bluecarbon.report.render import find_chromium, render_pdf
from bluecarbon.report.statement import statement_hash
from tests.cli_harness import assert_ok, assert_user_error, run_cli
from tests.conftest import missing_system_package
from tests.integration.conftest import copy_project

pytestmark = pytest.mark.slow
PARCEL = "tbep-1"


@pytest.fixture(scope="module")
def issued(demo_project, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A project with an issuer key and a signed statement of PARCEL as JSON and HTML."""
    folder = tmp_path_factory.mktemp("trust")
    config = copy_project(demo_project[0], folder)
    config.write_text(config.read_text() + '[issuer]\nname = "Demo Ocean Bureau"\n')
    created = assert_ok(run_cli("issuer", "init", "-c", config))
    key = re.search(r"public key:\s+([0-9a-f]{64})", created.stdout).group(1)  # type: ignore[union-attr]
    statement = folder / "s.json"
    made = assert_ok(run_cli("statement", PARCEL, "-o", statement, "-c", config))
    html = folder / "s.html"
    assert_ok(run_cli("render", statement, "--format", "html", "-o", html))
    return {
        "folder": folder,
        "config": config,
        "key": key,
        "made": made,
        "json": statement,
        "html": html,
        "doc": json.loads(statement.read_text(encoding="utf-8")),
    }


def verify(issued: dict, file: Path, *extra: str):  # type: ignore[no-untyped-def]
    return run_cli("verify-statement", file, "--shallow", *extra, "-c", issued["config"])


def test_issuer_key_is_private_and_never_replaced(issued: dict) -> None:
    key_file = issued["folder"] / ".bluecarbon" / "issuer.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not any(p.name == "issuer.key" for p in (issued["folder"] / "store").rglob("*"))
    before = key_file.read_bytes()
    again = run_cli("issuer", "init", "-c", issued["config"])
    assert_user_error(again, "already exists", "never replaced")
    assert key_file.read_bytes() == before
    shown = assert_ok(run_cli("issuer", "show", "-c", issued["config"]))
    assert issued["key"] in shown.stdout and "Demo Ocean Bureau" in shown.stdout


def test_signed_statement_verifies_with_the_issuers_key(issued: dict) -> None:
    doc = issued["doc"]
    integrity = doc["integrity"]
    assert integrity["public_key"] == issued["key"] and integrity["issuer"] == "Demo Ocean Bureau"
    assert "unsigned" not in {f["code"] for f in doc["flags"]}
    assert "signed by" in issued["made"].stdout
    ok = assert_ok(verify(issued, issued["json"], "--public-key", issued["key"]))
    assert "OK, signed by key" in ok.stdout and "Demo Ocean Bureau" in ok.stdout
    assert "warning" not in ok.stderr
    # without the bank's own copy of the key: passes, with the warning that says what it proves
    embedded = assert_ok(verify(issued, issued["json"]))
    assert "obtain the issuer's public key independently" in " ".join(embedded.stderr.split())


def test_edited_figure_with_recomputed_hash_fails(issued: dict, tmp_path: Path) -> None:
    forged = json.loads(json.dumps(issued["doc"]))
    forged["stock"]["conservative_t_co2e"] *= 2
    forged["integrity"]["sha256"] = statement_hash(forged)  # the forger fixes the unkeyed hash
    path = tmp_path / "forged.json"
    path.write_text(statement_text(forged), encoding="utf-8")
    failed = verify(issued, path, "--public-key", issued["key"])
    assert failed.code == 1 and "Traceback" not in failed.stderr
    text = " ".join(failed.stderr.split())
    assert "signature does not match the statement's content" in text
    assert "/stock/conservative_t_co2e" in text


def test_forger_re_signing_with_an_own_key_fails_against_the_issuers_key(
    issued: dict, tmp_path: Path
) -> None:
    from bluecarbon.report.signing import create_issuer_key
    from bluecarbon.report.statement import integrity_block

    forged = json.loads(json.dumps(issued["doc"]))
    forged["creditable"]["creditable_t_co2e"] = 5000.0
    body = {k: v for k, v in forged.items() if k != "integrity"}
    forged["integrity"] = integrity_block(
        body, create_issuer_key(tmp_path / "forger.key"), issuer="Demo Ocean Bureau"
    )
    path = tmp_path / "resigned.json"
    path.write_text(statement_text(forged), encoding="utf-8")
    failed = verify(issued, path, "--public-key", issued["key"])
    assert failed.code == 1
    assert "not with the trusted key" in " ".join(failed.stderr.split())


def test_wrong_key_argument_is_a_clear_error(issued: dict) -> None:
    bad = verify(issued, issued["json"], "--public-key", "abc123")
    assert_user_error(bad, "expected 64 hex digits")


def test_html_embeds_the_statement_and_an_edited_page_fails(issued: dict, tmp_path: Path) -> None:
    html = issued["html"].read_text(encoding="utf-8")
    assert 'id="bluecarbon-statement"' in html
    from bluecarbon.report.embedding import statement_file_sha256

    assert statement_file_sha256(issued["doc"]) in html  # the page prints the JSON's sha256
    assert_ok(verify(issued, issued["html"], "--public-key", issued["key"]))
    shown = f"{issued['doc']['stock']['conservative_t_co2e']:,.0f}"
    assert shown in html
    edited = tmp_path / "edited.html"
    edited.write_text(html.replace(shown, "999,999"), encoding="utf-8")
    failed = verify(issued, edited, "--public-key", issued["key"])
    assert failed.code == 1 and "Traceback" not in failed.stderr
    text = " ".join(failed.stderr.split())
    assert "html page: the page differs from a rendering of its embedded statement" in text
    assert "999,999" in text


def test_html_with_an_edited_embedded_statement_fails(issued: dict, tmp_path: Path) -> None:
    html = issued["html"].read_text(encoding="utf-8")
    forged = json.loads(json.dumps(issued["doc"]))
    forged["valuation"]["creditable_value"] = 1e6
    forged["integrity"]["sha256"] = statement_hash(forged)
    from bluecarbon.report.embedding import html_embedding

    start = html.index('<script type="application/json" id="bluecarbon-statement">')
    end = html.index("</script>", start)
    head = '<script type="application/json" id="bluecarbon-statement">'
    path = tmp_path / "embedded.html"
    path.write_text(html[:start] + head + html_embedding(forged) + html[end:], encoding="utf-8")
    failed = verify(issued, path, "--public-key", issued["key"])
    assert failed.code == 1
    assert "signature does not match" in " ".join(failed.stderr.split())


def test_pdf_carries_the_statement_and_doctored_pages_fail(issued: dict, tmp_path: Path) -> None:
    genuine = tmp_path / "s.pdf"
    assert_ok(run_cli("render", issued["json"], "--format", "pdf", "-o", genuine))
    assert_ok(verify(issued, genuine, "--public-key", issued["key"]))
    # doctored pages (a figure changed before printing) with the genuine statement attached
    from bluecarbon.report.embedding import attach_statement

    doctored = json.loads(json.dumps(issued["doc"]))
    doctored["stock"]["conservative_t_co2e"] *= 3
    pages = tmp_path / "doctored.pdf"
    engine = render_pdf(doctored, pages, engine="fpdf2")
    from pypdf import PdfWriter

    clean = PdfWriter(clone_from=str(pages))
    clean.attachments.clear() if hasattr(clean.attachments, "clear") else None
    stripped = tmp_path / "pages.pdf"
    _pdf_without_attachments(pages, stripped)
    attach_statement(stripped, issued["doc"], engine)
    failed = verify(issued, stripped, "--public-key", issued["key"])
    assert failed.code == 1 and "Traceback" not in failed.stderr
    text = " ".join(failed.stderr.split())
    assert "the PDF's pages differ from its attached statement" in text
    shown = f"{doctored['stock']['conservative_t_co2e']:,.0f}"
    assert shown in text


def _pdf_without_attachments(source: Path, target: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(str(source)).pages:
        writer.add_page(page)
    with target.open("wb") as fh:
        writer.write(fh)


@pytest.mark.browser
def test_chromium_pdf_verifies(issued: dict, tmp_path: Path) -> None:
    if find_chromium() is None:
        missing_system_package("Chromium not installed (Debian package chromium)")
    pdf = tmp_path / "chromium.pdf"
    assert render_pdf(issued["doc"], pdf, engine="chromium") == "chromium"
    assert_ok(verify(issued, pdf, "--public-key", issued["key"]))


def test_unsigned_statement_is_flagged_and_fails_against_a_key(
    demo_project, issued: dict, tmp_path: Path
) -> None:
    config = copy_project(demo_project[0], tmp_path)  # no issuer key in this project
    out = tmp_path / "unsigned.json"
    made = assert_ok(run_cli("statement", PARCEL, "-o", out, "-c", config))
    assert "UNSIGNED" in made.stdout
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert "unsigned" in {f["code"] for f in doc["flags"]} and "signature" not in doc["integrity"]
    failed = run_cli("verify-statement", out, "--shallow", "--public-key", issued["key"], "-c", config)
    assert failed.code == 1 and "not signed" in failed.stderr


def test_rewritten_parquet_makes_statement_refuse_naming_the_table(demo_project, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    config = copy_project(demo_project[0], tmp_path)
    folder = tmp_path / "store" / "tables" / "parcel_totals"
    for parquet in folder.glob("*.parquet"):
        table = pq.read_table(parquet)
        for name in table.column_names:
            if name.startswith("stock_") and pa.types.is_floating(table.schema.field(name).type):
                table = table.set_column(
                    table.schema.get_field_index(name), name, pc.multiply(table[name], 2.0)
                )
        pq.write_table(table, parquet)
    for log in (folder / "_delta_log").glob("*.json"):  # make Delta accept the new files
        actions = [json.loads(line) for line in log.read_text().splitlines()]
        for action in actions:
            if "add" in action and (folder / action["add"]["path"]).exists():
                action["add"]["size"] = (folder / action["add"]["path"]).stat().st_size
                action["add"].pop("stats", None)
        log.write_text("\n".join(json.dumps(a) for a in actions) + "\n")
    refused = run_cli("statement", PARCEL, "-o", tmp_path / "s.json", "-c", config)
    assert_user_error(refused, "table parcel_totals", "does not match the digest")
    assert not (tmp_path / "s.json").exists()
    api = run_cli("verify", "-c", config)
    assert api.code == 1 and "table:parcel_totals" in api.stdout + api.stderr


def test_parameter_override_after_a_release_changes_nothing_it_says(
    demo_project, issued: dict, tmp_path: Path
) -> None:
    from bluecarbon.params import shipped_folder

    config = copy_project(demo_project[0], tmp_path)
    overrides = tmp_path / "params"
    overrides.mkdir()
    for name, old, new in (
        ("carbon_prices.csv", "89.06", "300.00"),
        ("uncertainty.csv", "buffer_fraction,0.10", "buffer_fraction,0.50"),
    ):
        text = (shipped_folder() / name).read_text(encoding="utf-8")
        assert old in text, (name, old)
        (overrides / name).write_text(text.replace(old, new), encoding="utf-8")
    config.write_text(config.read_text() + f'[params]\ndir = "{overrides}"\n')
    from bluecarbon.report.statement import build_statement
    from bluecarbon.store import Store

    store = Store.open(str(tmp_path / "store"))
    fixed = "2026-01-01T00:00:00+00:00"
    before = statement_text(build_statement(store, PARCEL, generated_at=fixed))
    made = assert_ok(run_cli("statement", PARCEL, "-o", tmp_path / "after.json", "-c", config))
    after = json.loads((tmp_path / "after.json").read_text(encoding="utf-8"))
    after["inputs"]["generated_at"] = after["provenance"]["generated_at"] = fixed
    if "register" in after:  # replayed as of the generation time
        after["register"]["as_of"] = fixed
    after["integrity"] = json.loads(before)["integrity"]
    changed = [
        line
        for line in difflib.unified_diff(
            before.splitlines(), statement_text(after).splitlines(), lineterm="", n=2
        )
    ]
    assert not changed, "\n".join(changed)
    assert "300" not in made.stdout  # the override's price plays no part
    assert_ok(run_cli("verify-statement", tmp_path / "after.json", "--shallow", "-c", config))
