"""The register and insurance endpoints of the HTTP API (httpx against the app)."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from bluecarbon.register.book import SinkRegister
from bluecarbon.server import AccessPolicy, ApiConfig, create_app

TOKENS = {
    "bank-a": "token-of-bank-a-0001",
    "bank-b": "token-of-bank-b-0002",
    "bureau": "token-of-the-bureau-03",
}


@contextmanager
def _client(store, tag: str, *, public: bool = True) -> Iterator[httpx.Client]:
    """A real server on a free loopback port (as tests/unit/test_server.py) and a client of it."""
    policy = AccessPolicy.from_config(
        [
            {
                "name": "bank-a",
                "token_sha256": hashlib.sha256(TOKENS["bank-a"].encode()).hexdigest(),
                "lender": "Bank A",
                "releases": ["*"],
            },
            {"name": "bank-b", "token": TOKENS["bank-b"], "lender": "Bank B", "releases": ["2000.01.01"]},
            {"name": "bureau", "token": TOKENS["bureau"], "lender": "*", "releases": ["*"]},
        ],
        public_releases=[tag] if public else [],
    )
    app = create_app(ApiConfig(store=store, policy=policy))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _auth(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[name]}"}


def test_a_lender_reads_the_encumbrance_and_its_own_pledges(project) -> None:
    _, store, tag = project
    register = SinkRegister(store)
    register.issue("p-1", actor="bureau")
    register.pledge("p-1", quantity_t=8, lender="Bank A", actor="bureau")
    register.pledge("p-1", quantity_t="1.5", lender="Bank B", actor="bureau")
    with _client(store, tag) as client:
        _lender_views(client)


def _lender_views(client: httpx.Client) -> None:
    assert client.get("/register/p-1").status_code == 401  # never public: it names lenders
    assert client.get("/register/p-1", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/register/..%2Fetc", headers=_auth("bank-a")).status_code in (400, 404)
    a = client.get("/register/p-1", headers=_auth("bank-a")).json()
    assert (a["issued"], a["pledged"], a["available"], a["encumbered_t_co2e"]) == (12.5, 9.5, 3.0, 9.5)
    assert [(p["pledge_id"], p["lender"], p["serials"]) for p in a["pledges_to_you"]] == [
        ("PL-2", "Bank A", ["BC-p-1-2023-2024-1-8000"])
    ]
    assert a["other_pledges"] == [
        {"pledge_id": "PL-3", "quantity_t_co2e": 1.5, "expires": None, "expired": False, "status": "active"}
    ]
    b = client.get("/register/p-1", headers=_auth("bank-b")).json()
    assert [p["pledge_id"] for p in b["pledges_to_you"]] == ["PL-3"]
    assert "lender" not in b["other_pledges"][0]
    bureau = client.get("/register/p-1", headers=_auth("bureau")).json()
    assert [p["pledge_id"] for p in bureau["pledges_to_you"]] == ["PL-2", "PL-3"]
    empty = client.get("/register/p-2", headers=_auth("bank-a")).json()
    assert empty["issued"] == 0.0 and empty["pledges_to_you"] == []


def test_insurance_evaluation_through_the_api(project) -> None:
    _, store, tag = project
    with _client(store, tag, public=False) as client:
        _evaluations(client, tag)


def _evaluations(client: httpx.Client, tag: str) -> None:
    query = {
        "parcel": "p-1",
        "index": "conservative_annual_removal",
        "trigger": 20,
        "exit": 10,
        "sum_insured": 50_000,
    }
    assert client.get("/insurance/evaluate", params=query).status_code == 401  # release restricted
    assert client.get("/insurance/evaluate", params=query, headers=_auth("bank-b")).status_code == 403
    got = client.get("/insurance/evaluate", params=query, headers=_auth("bank-a"))
    assert got.status_code == 200, got.text
    result = got.json()
    # same policy as the CLI test: 50,000 x (20 - 12.5) / (20 - 10)
    assert (result["index"], result["triggered"], result["payout"], result["release"]) == (
        12.5,
        True,
        37_500.0,
        tag,
    )
    bad = client.get("/insurance/evaluate", params=query | {"exit": 30}, headers=_auth("bank-a"))
    assert bad.status_code == 422 and "must be below trigger" in bad.json()["detail"]
    farm = client.get(
        "/insurance/evaluate",
        params=query | {"index": "habitat_area", "habitat": "seagrass"},
        headers=_auth("bank-a"),
    )
    assert farm.status_code == 422 and "no habitat map" in farm.json()["detail"]
