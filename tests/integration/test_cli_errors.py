"""Every command and every documented bad input, run as a user runs them: ``bluecarbon`` in
a fresh interpreter (see tests/cli_harness.py). Each bad input must end with exit code 1 (2
for a wrong command-line option) and a one-paragraph ``error:`` naming the file, row or key,
never a traceback. None of these needs the demo release (a small store is built here), and
none starts Prefect: the commands fail, or succeed, before it would start.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from tests.cli_harness import assert_ok, assert_user_error, run_cli
from tests.conftest import write_config
from tests.unit.store.conftest import make_bundle

NOPE = "/nonexistent/bluecarbon.toml"

#: Every command with arguments that pass option parsing (for the missing-config case).
COMMANDS = [
    ["run"],
    ["run", "--dry-run"],
    ["serve"],
    ["status"],
    ["releases"],
    ["show", "latest"],
    ["parcels"],
    ["sites"],
    ["verify"],
    ["withdraw", "latest", "--reason", "x"],
    ["diff", "latest", "latest"],
    ["export", "latest", "--format", "netcdf", "-o", "x.nc"],
    ["gc", "--dry-run"],
    ["catalog"],
    ["statement", "p-1"],
    ["verify-statement", "statement.json"],
    ["api"],
    ["plot", "map", "s/habitat", "-o", "x.png"],
    ["plot", "series", "s", "-o", "x.png"],
]


@pytest.fixture(scope="module")
def small_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with a small store of one release (no Prefect run)."""
    from bluecarbon.store import Store

    folder = tmp_path_factory.mktemp("small")
    Store.open(str(folder / "store"), create=True).publish(make_bundle())
    write_config(folder)
    return folder


def _config(folder: Path, extra: str) -> Path:
    path = write_config(folder)
    path.write_text(path.read_text() + extra)
    return path


def test_help_lists_every_command_and_each_command_has_help() -> None:
    top = assert_ok(run_cli("--help"))
    listed = re.findall(r"^  ([a-z][a-z-]+)\s", top.stdout.split("Commands:")[1], flags=re.MULTILINE)
    assert {c[0] for c in COMMANDS} | {
        "api-token",
        "transitions",
        "plot",
        "issuer",
        "render",
        "alerts",
        "register",
        "insurance",
    } == set(listed)
    for command in listed:
        assert_ok(run_cli(command, "--help"))
    assert_ok(run_cli("plot", "map", "--help"))
    assert re.match(r"bluecarbon \S+", assert_ok(run_cli("--version")).stdout)


@pytest.mark.parametrize(
    "command", COMMANDS, ids=lambda c: "-".join(c[:2]) if c[0] in ("plot", "run") else c[0]
)
def test_a_missing_config_file_is_named(command: list[str], tmp_path: Path) -> None:
    assert_user_error(run_cli(*command, "-c", NOPE, cwd=tmp_path), NOPE, "no such configuration file")


@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        ('[api]\nport = "abc"\n', ["bluecarbon.toml", "[api] port", "expected an integer", "'abc'"]),
        ('[s3]\nallow_http = "false"\n', ["[s3] allow_http", "expected a boolean"]),
        ('[api]\npublic_releases = "2026.12.04"\n', ["[api] public_releases", "expected a list"]),
        ("[stor]\nuri = 'x'\n", ["unknown section [stor]", "did you mean 'store'"]),
        ('[pipeline]\non_invalid = "ignore"\n', ["[pipeline] on_invalid", "'fail' or 'quarantine'"]),
    ],
)
def test_a_wrong_configuration_value_is_named(tmp_path: Path, extra: str, needles: list[str]) -> None:
    config = _config(tmp_path, extra)
    assert_user_error(run_cli("releases", "-c", config), *needles)


def test_a_misspelt_environment_variable_is_named(tmp_path: Path) -> None:
    result = run_cli("releases", "-c", write_config(tmp_path), env={"BLUECARBON_STORE_URL": "/x"})
    assert_user_error(result, "BLUECARBON_STORE_URL", "did you mean 'BLUECARBON_STORE_URI'")


def test_api_refuses_to_start_on_a_token_entry_with_an_unknown_key(
    small_project: Path, tmp_path: Path
) -> None:
    """A typo (``release`` for ``releases``) used to grant every release."""
    digest = hashlib.sha256(b"a-token-of-at-least-16-chars").hexdigest()
    config = _config(
        tmp_path,
        f'[[api.tokens]]\nname = "bank-a"\ntoken_sha256 = "{digest}"\nrelease = ["2026.01.01"]\n',
    )
    result = run_cli("api", "-c", config, "--port", "1", timeout=60)
    assert_user_error(result, "[[api.tokens]] #1", "unknown key 'release'", "did you mean 'releases'")
    both = _config(
        tmp_path, f'[[api.tokens]]\nname = "b"\ntoken_sha256 = "{digest}"\ntoken = "x" \nreleases = ["*"]\n'
    )
    assert_user_error(run_cli("api", "-c", both, timeout=60), "[[api.tokens]] #1 (b)", "exactly one")


def test_api_token_prints_a_token_once_and_an_entry_the_config_accepts(tmp_path: Path) -> None:
    from bluecarbon.config import load_settings

    out = assert_ok(run_cli("api-token", "bank-a", "--releases", "2026.11.27", "--releases", "2026.12.04"))
    token = out.stdout.splitlines()[1].strip()
    entry = out.stdout[out.stdout.index("[[api.tokens]]") :]
    assert token not in entry, "the configuration holds the digest only"
    config = _config(tmp_path, entry)
    (parsed,) = load_settings(config, env={}).api_tokens
    assert parsed.digest == hashlib.sha256(token.encode()).hexdigest()
    assert parsed.releases == ["2026.11.27", "2026.12.04"] and parsed.name == "bank-a"
    assert_user_error(run_cli("api-token", "x", "--releases", "latest"), "'latest'", code=2)


def test_serve_refuses_a_bad_schedule_before_starting_prefect(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = run_cli("serve", "-c", config, "--cron", "61 * * * *", timeout=120)
    assert_user_error(result, "--cron", "'61 * * * *'", "is not a cron schedule", code=2)
    bad = _config(tmp_path, '[pipeline]\nschedule_cron = "monthly"\n')
    result = run_cli("serve", "-c", bad, timeout=120)
    assert_user_error(result, "[pipeline] schedule_cron", str(bad), "'monthly'", code=2)
    assert_user_error(run_cli("serve", "-c", config, "--interval", "0"), "--interval", code=2)


def test_run_outside_a_project_fails_at_once_and_leaves_nothing(tmp_path: Path) -> None:
    result = run_cli("run", cwd=tmp_path, timeout=60)
    assert_user_error(result, "study file not found", "No bluecarbon.toml in", "--config")
    assert list(tmp_path.iterdir()) == [], "no .prefect (or anything else) is created"


def test_run_refuses_a_study_with_an_unknown_key(tmp_path: Path, repo_root: Path) -> None:
    """A typo'd ``backgrnd`` used to reclassify "other" as "water" and publish."""
    study = tmp_path / "study.toml"
    text = (repo_root / "data/studies/demo.toml").read_text(encoding="utf-8")
    study.write_text(text.replace('background = "other"', 'backgrnd = "other"'), encoding="utf-8")
    config = write_config(tmp_path, study=str(study))
    result = run_cli("run", "-c", config, timeout=60)
    assert_user_error(
        result, str(study), "[[sites]] #1 (old_tampa_bay)", "'backgrnd'", "did you mean 'background'"
    )
    assert not (tmp_path / "store").exists()


def test_catalog_refuses_a_folder_holding_a_foreign_file_and_leaves_it_untouched(
    small_project: Path, tmp_path: Path
) -> None:
    foreign = tmp_path / "someone-elses"
    foreign.mkdir()
    (foreign / "thesis.docx").write_bytes(b"years of work")
    config = small_project / "bluecarbon.toml"
    env = {"BLUECARBON_CATALOG_DIR": str(foreign)}
    for command in (["catalog"], ["run"]):
        result = run_cli(*command, "-c", config, env=env, timeout=120)
        assert_user_error(result, str(foreign), "thesis.docx", "did not write")
    assert [p.name for p in foreign.iterdir()] == ["thesis.docx"]
    assert (foreign / "thesis.docx").read_bytes() == b"years of work"


def test_catalog_rewrites_only_its_own_files(small_project: Path, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "README.md").write_text("kept")
    env = {"BLUECARBON_CATALOG_DIR": str(catalog)}
    config = small_project / "bluecarbon.toml"
    assert "STAC objects valid" in assert_ok(run_cli("catalog", "-c", config, env=env)).stdout
    assert_ok(run_cli("catalog", "-c", config, env=env))  # its own files: replaced
    assert (catalog / "README.md").read_text() == "kept"
    (catalog / "notes.txt").write_text("mine")
    assert_user_error(run_cli("catalog", "-c", config, env=env), "notes.txt")


def test_a_delta_file_deleted_from_the_store_is_named(small_project: Path, tmp_path: Path) -> None:
    import shutil

    store = tmp_path / "store"
    shutil.copytree(small_project / "store", store)
    victim = next((store / "tables" / "class_totals").glob("*.parquet"))
    victim.unlink()
    config = write_config(tmp_path, store=str(store))
    result = run_cli("diff", "latest", "latest", "-c", config)
    assert_user_error(result, "table 'class_totals'", victim.name, "bluecarbon verify")
    verify = run_cli("verify", "-c", config)
    assert verify.code == 1 and "Traceback" not in verify.stderr and "FAILED verification" in verify.stderr


def test_statement_and_export_options_are_checked(small_project: Path, tmp_path: Path) -> None:
    config = small_project / "bluecarbon.toml"
    docx = run_cli("statement", "p-1", "--format", "docx", "-c", config)  # typer's usage error
    assert docx.code == 2 and "'docx' is not one of 'json', 'html', 'pdf'" in docx.stderr, docx
    assert_user_error(run_cli("statement", "p-1", "--format", "pdf", "-c", config), "--output", code=2)
    missing = tmp_path / "nope.json"
    assert_user_error(run_cli("verify-statement", missing, "-c", config), str(missing))
    assert_user_error(run_cli("show", "../../etc/passwd", "-c", config), "is not a release")
