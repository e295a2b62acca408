"""Progress bars: a no-op off a terminal or with quiet, a rich bar on stderr on a terminal."""

from __future__ import annotations

import sys

import pytest

from bluecarbon import progress


def test_off_a_terminal_the_callback_does_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert not progress.interactive()  # pytest captures both streams
    with progress.progress_bar("work", unit="files") as update:
        update(1, 2)
        update(2, 2)
    assert capsys.readouterr() == ("", "")


def test_quiet_wins_over_a_terminal(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert progress.interactive()
    with progress.progress_bar("work", quiet=True) as update:
        update(1, 1)
    assert capsys.readouterr() == ("", "")


def test_on_a_terminal_a_bar_goes_to_stderr(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with progress.progress_bar("exporting", unit="files") as update:
        update(0, 3)
        update(3, 3)  # a total may also change as work is found
    out, err = capsys.readouterr()
    assert out == ""
    assert "exporting" in err and "3/3" in err and "files" in err
