"""The linters the project promises (ruff check + ruff format, mypy) hold for the code base."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["bluecarbon", "flows", "tests", "benchmarks", "scripts"]


def _tool(name: str) -> str:
    exe = Path(sys.executable).with_name(name)
    if exe.exists():
        return str(exe)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed in this environment (it is in the test extra)")
    return found


@pytest.mark.parametrize("args", [["check", "--output-format", "concise"], ["format", "--check"]])
def test_ruff(args: list[str]) -> None:
    paths = [p for p in PATHS if (ROOT / p).exists()]
    result = subprocess.run([_tool("ruff"), *args, *paths], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy(tmp_path: Path) -> None:
    """The library's type annotations hold ([tool.mypy] in pyproject.toml; ~15 s uncached)."""
    result = subprocess.run(
        [_tool("mypy"), "--cache-dir", str(tmp_path / "mypy_cache")], cwd=ROOT, capture_output=True, text=True
    )
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
