"""The linters the project promises (ruff check + ruff format) hold for the code base."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["bluecarbon", "flows", "tests", "benchmarks", "scripts"]


def _ruff() -> str:
    exe = Path(sys.executable).with_name("ruff")
    if exe.exists():
        return str(exe)
    found = shutil.which("ruff")
    if found is None:
        pytest.skip("ruff is not installed in this environment (it is in the test extra)")
    return found


@pytest.mark.parametrize("args", [["check", "--output-format", "concise"], ["format", "--check"]])
def test_ruff(args: list[str]) -> None:
    paths = [p for p in PATHS if (ROOT / p).exists()]
    result = subprocess.run([_ruff(), *args, *paths], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_library_never_imports_prefect() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "bluecarbon").rglob("*.py")
        if p.name != "cli.py"
        and any(
            line.strip().startswith(("import prefect", "from prefect")) for line in p.read_text().splitlines()
        )
    ]
    assert offenders == []
