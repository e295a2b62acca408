"""Publish a small release into a store from a separate process (used by reliability tests).

    python -m tests.integration.publish_worker STORE KEY SCALE [STAGE_LOG] [PAUSE_S]

Each progress stage is appended to STAGE_LOG (so the parent can kill this process at a
chosen stage) and followed by a pause of PAUSE_S seconds (so two workers overlap).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bluecarbon.store import Store
from tests.unit.store.conftest import make_bundle


def main() -> None:
    store_uri, key, scale = sys.argv[1], sys.argv[2], float(sys.argv[3])
    stage_log = Path(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] != "-" else None
    pause = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0

    def progress(message: str) -> None:
        if stage_log is not None:
            with stage_log.open("a") as fh:
                fh.write(message + "\n")
        time.sleep(pause)

    store = Store.open(store_uri, create=True)
    result = store.publish(make_bundle(key * 64, scale=scale, size=1000), progress=progress)
    print(
        json.dumps(
            {
                "tag": result.release.tag,
                "published": result.published,
                "snapshot_id": result.release.snapshot_id,
            }
        )
    )


if __name__ == "__main__":
    main()
