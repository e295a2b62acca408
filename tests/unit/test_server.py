"""The HTTP API against a real running server (uvicorn in a thread) with a real client."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import httpx
import pytest
import uvicorn

from bluecarbon.server import AccessPolicy, ApiConfig, create_app
from bluecarbon.store import Store
from tests.unit.store.conftest import make_bundle

SECRET = "s3cret-token-for-tests"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    store = Store.open(str(tmp_path_factory.mktemp("api") / "store"), create=True)
    tags = [
        store.publish(make_bundle("1" * 64), day=date(2026, 1, 1)).release.tag,
        store.publish(make_bundle("2" * 64, scale=2.0), day=date(2026, 2, 1)).release.tag,
    ]
    policy = AccessPolicy.from_config(
        [
            {
                "name": "bank",
                "token_sha256": hashlib.sha256(SECRET.encode()).hexdigest(),
                "releases": [tags[1]],
            }
        ],
        public_releases=[tags[0]],
    )
    app = create_app(ApiConfig(store=store, policy=policy, max_request_bytes=1024))
    with serving(app) as base:
        yield base, tags


@contextmanager
def serving(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Run ``app`` with uvicorn in a thread on a free port; yields its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def test_public_and_restricted_releases(server) -> None:
    base, (public, restricted) = server
    anonymous = httpx.get(f"{base}/releases").json()
    assert [r["tag"] for r in anonymous] == [public]
    assert httpx.get(f"{base}/releases/{restricted}").status_code == 401
    auth = {"Authorization": f"Bearer {SECRET}"}
    assert {r["tag"] for r in httpx.get(f"{base}/releases", headers=auth).json()} == {public, restricted}
    got = httpx.get(f"{base}/releases/{restricted}", headers=auth)
    assert got.status_code == 200 and got.json()["content_hash"]
    assert got.headers["cache-control"] == "no-store"
    assert (
        httpx.get(f"{base}/releases/{restricted}", headers={"Authorization": "Bearer wrong"}).status_code
        == 401
    )
    assert (
        httpx.get(f"{base}/releases/{restricted}", headers={"Authorization": "Basic abc"}).status_code == 401
    )


def test_parcels_as_geojson(server) -> None:
    base, (public, _) = server
    fc = httpx.get(f"{base}/releases/{public}/parcels").json()
    assert fc["type"] == "FeatureCollection"
    assert [f["properties"]["parcel_id"] for f in fc["features"]] == ["p-1", "p-2"]
    one = httpx.get(f"{base}/releases/{public}/parcels/p-2").json()
    assert one["features"][0]["properties"]["name"] == "south"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/releases/../../etc/passwd", 404),
        ("/releases/2026.13.45", 400),
        ("/releases/1999.01.01", 404),
        ("/releases/latest/parcels/no-such-parcel", 404),
        ("/releases/latest/parcels/bad%20id%3B", 400),
        ("/releases/latest/parcels/p-1/statement?lang=fr", 400),
        ("/releases/latest/parcels/p-1/statement?buffer=150", 400),
        ("/releases/" + "9" * 3000, 414),
    ],
)
def test_bad_requests_get_clear_4xx(server, path: str, status: int) -> None:
    base, _ = server
    auth = {"Authorization": f"Bearer {SECRET}"}
    response = httpx.get(base + path, headers=auth)
    assert response.status_code == status, response.text
    assert "detail" in response.json()


def test_read_only_and_size_limits(server) -> None:
    base, (public, _) = server
    assert httpx.post(f"{base}/releases", json={"x": 1}).status_code == 405
    assert httpx.request("GET", f"{base}/releases/{public}", content=b"x" * 5000).status_code == 413


def test_error_bodies_reveal_no_restricted_tag_and_no_store_path(server) -> None:
    """404 messages used to list the latest tags and the store's absolute path."""
    base, (public, restricted) = server
    anonymous = {
        ref: httpx.get(f"{base}/releases/{ref}") for ref in ("latest", restricted, "2099.01.01", "1999.01.01")
    }
    for ref, response in anonymous.items():
        assert response.status_code == 401, ref  # restricted and missing look alike
        assert (
            response.json()["detail"]
            == f"release {ref!r} is not public: send 'Authorization: Bearer <token>'"
        )
    auth = {"Authorization": f"Bearer {SECRET}"}
    missing = httpx.get(f"{base}/releases/1999.01.01", headers=auth)
    assert missing.status_code == 404 and missing.json()["detail"] == "release '1999.01.01' not found"
    for response in [*anonymous.values(), missing]:
        assert "/" not in response.json()["detail"].replace("Bearer <token>", "")
        assert public not in response.text


def test_a_token_entry_with_an_unknown_key_is_refused() -> None:
    from bluecarbon.errors import ConfigError

    with pytest.raises(ConfigError, match="releases"):
        AccessPolicy.from_config(
            [{"name": "bank", "token_sha256": "a" * 64, "release": ["2026.01.01"]}], public_releases=[]
        )


def test_issuer_public_key_is_served_and_tampered_data_is_refused(tmp_path: Path) -> None:
    import pyarrow as pa

    from bluecarbon.report.signing import create_issuer_key
    from tests.unit.store.test_integrity import _rewrite_table

    store = Store.open(str(tmp_path / "store"), create=True)
    tag = store.publish(make_bundle()).release.tag
    key = create_issuer_key(tmp_path / "issuer.key")
    identity = {"issuer": "Bureau", "public_key": key.public_hex, "key_fingerprint": key.fingerprint}
    policy = AccessPolicy.from_config([], public_releases=[tag])
    with serving(create_app(ApiConfig(store=store, policy=policy, issuer=identity))) as base:
        served = httpx.get(f"{base}/issuer").json()
        assert served["public_key"] == key.public_hex and served["algorithm"] == "ed25519"
        assert served["key_fingerprint"] == key.fingerprint and "independently" in served["note"]
        assert httpx.get(f"{base}/releases/{tag}/parcels").status_code == 200

    def rename(table: pa.Table) -> pa.Table:
        i = table.schema.get_field_index("name")
        return table.set_column(i, "name", pa.array(["north", "somewhere else"]))

    _rewrite_table(tmp_path / "store", "parcels", rename)
    damaged = Store.open(str(tmp_path / "store"))
    with serving(create_app(ApiConfig(store=damaged, policy=policy))) as base:
        assert httpx.get(f"{base}/issuer").status_code == 404  # no key: unsigned statements
        response = httpx.get(f"{base}/releases/{tag}/parcels")
        assert response.status_code == 500
        detail = response.json()["detail"]
        assert "table parcels does not match the digest" in detail
        assert str(tmp_path) not in detail
