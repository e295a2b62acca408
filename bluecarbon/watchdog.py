"""Child processes that die with their parent, however the parent dies.

``bluecarbon run`` and ``serve`` start Prefect's embedded server as a child process (Prefect
runs ``python -m uvicorn ... prefect.server.api.server:create_app``). Prefect stops it at exit,
but a parent killed with SIGKILL runs no exit handlers: the server is orphaned and keeps its
port. Prefect starts the server itself, so bluecarbon cannot pass it a ``preexec_fn``
(``PR_SET_PDEATHSIG`` would also fire when the *thread* that started it ends, and Prefect
starts it from worker threads).

So :func:`guard_children` starts a tiny watchdog process that holds the read end of a pipe
whose write end only the parent holds. The kernel closes that end when the parent dies, for
any reason; the watchdog then reads EOF and terminates every process that inherited the
parent's run marker (an environment variable set after the watchdog started, so only
descendants of the parent carry it). Nothing else is touched: not the process group (a test
runner or a shell may share it), not processes of other runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psutil

#: Environment variable marking the descendants of one guarded process.
MARKER_VAR = "BLUECARBON_RUN_ID"
#: Seconds a marked process gets to stop after SIGTERM before SIGKILL.
GRACE_S = 5.0

_held: list[int] = []


def guard_children() -> str:
    """Make every process this one starts from now on die with it (see the module
    docstring); returns the marker. Calling it again is a no-op."""
    if os.environ.get(MARKER_VAR) and _held:
        return os.environ[MARKER_VAR]
    marker = uuid.uuid4().hex
    read_end, write_end = os.pipe()  # both non-inheritable (PEP 446): children do not get them
    subprocess.Popen(
        [sys.executable, "-m", "bluecarbon.watchdog", str(read_end), marker],
        pass_fds=(read_end,),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a Ctrl-C on the terminal must not stop it before its work
    )
    os.close(read_end)
    _held.append(write_end)  # open until this process ends: its closing is the signal
    os.environ[MARKER_VAR] = marker
    return marker


def marked_processes(marker: str) -> list[psutil.Process]:
    """Processes (psutil) whose environment carries ``marker``."""
    import psutil

    found = []
    for proc in psutil.process_iter(["pid"]):
        if proc.pid == os.getpid():
            continue
        try:
            if proc.environ().get(MARKER_VAR) == marker:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            continue
    return found


def _terminate(marker: str) -> None:
    import psutil

    victims = marked_processes(marker)
    for proc in victims:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.terminate()
    _, alive = psutil.wait_procs(victims, timeout=GRACE_S)
    for proc in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()


def main(argv: list[str]) -> None:
    read_end, marker = int(argv[1]), argv[2]
    for sig in (signal.SIGINT, signal.SIGHUP):  # a terminal's Ctrl-C or hang-up is the parent's
        signal.signal(sig, signal.SIG_IGN)
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        while pipe.read(1):  # nothing is ever written: this returns b"" when the parent is gone
            pass
    _terminate(marker)


if __name__ == "__main__":
    main(sys.argv)
