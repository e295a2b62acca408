"""Read-only HTTP API over a store: releases, parcels, sink statements, the sink-rights register
and index insurance evaluations.

Shaped for a bank's or insurer's systems pulling numbers they can rely on: everything is
read-only, every path parameter is validated before it touches the store (release refs,
parcel ids), requests above a size limit are refused before they are read, and access is
by bearer token. Releases are restricted unless the configuration lists them as public
(the shipped configuration lists none); a token lists the releases it may read (``"*"`` =
all). Tokens are compared in constant time and are configured as sha256 digests
(``bluecarbon api-token``), so the configuration file need not hold secrets. Error bodies
never tell an anonymous caller which restricted releases exist, nor where the store lives.

The register names holders and lenders, so it is never public: ``/register/{parcel}`` needs a
token and shows every caller a parcel's balances and total encumbrance, but the detail of a
pledge (pledgor, serial numbers) only to the token whose ``lender`` is that pledge's lender
(``lender = "*"``: every pledge, e.g. for the ocean bureau).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError

from bluecarbon import __version__
from bluecarbon.config import Token
from bluecarbon.errors import (
    BlueCarbonError,
    ConfigError,
    InputError,
    IntegrityError,
    InvalidReleaseId,
    ReleaseNotFound,
)
from bluecarbon.ingest.parcels import check_parcel_id
from bluecarbon.report.embedding import statement_text
from bluecarbon.store import Store
from bluecarbon.store.release import ReleaseInfo

MAX_URL_LENGTH = 2048


@dataclass(frozen=True)
class AccessPolicy:
    """Who may read which release: ``public_releases`` (tags or ``"*"``) for anyone, and
    each token's own ``releases``. Built from the strict configuration models, so a token
    entry with an unknown key or without ``releases`` never gets this far."""

    tokens: tuple[Token, ...] = ()
    public_releases: tuple[str, ...] = ()

    @classmethod
    def from_config(
        cls, tokens: Sequence[Token | Mapping[str, Any]], public_releases: Sequence[str]
    ) -> AccessPolicy:
        parsed = []
        for i, t in enumerate(tokens, start=1):
            if isinstance(t, Token):
                parsed.append(t)
                continue
            try:
                parsed.append(Token.model_validate(dict(t)))
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}" for e in exc.errors()
                )
                raise ConfigError(f"api token #{i}: {problems}") from None
        return cls(tuple(parsed), tuple(public_releases))

    @property
    def is_closed(self) -> bool:
        """True when nothing can be read at all (no public release, no token)."""
        return not self.public_releases and not self.tokens

    def caller(self, authorization: str | None) -> Token | None:
        """The token presented (``Authorization: Bearer <token>``), or None when absent.
        Raises 401 for a malformed or unknown token."""
        if not authorization:
            return None
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise HTTPException(
                401, "use 'Authorization: Bearer <token>'", headers={"WWW-Authenticate": "Bearer"}
            )
        digest = hashlib.sha256(value.strip().encode()).hexdigest()
        found = None
        for token in self.tokens:  # compare with every token: timing says nothing about which
            if hmac.compare_digest(token.digest, digest):
                found = token
        if found is None:
            raise HTTPException(401, "unknown token", headers={"WWW-Authenticate": "Bearer"})
        return found

    def is_public(self, tag: str) -> bool:
        return "*" in self.public_releases or tag in self.public_releases

    def may_read(self, token: Token | None, tag: str) -> bool:
        return self.is_public(tag) or (token is not None and token.allows(tag))


StatementBuilder = Callable[..., Mapping[str, Any]]
HtmlRenderer = Callable[[Mapping[str, Any]], str]


@dataclass
class ApiConfig:
    store: Store
    policy: AccessPolicy
    max_request_bytes: int = 65536
    build_statement: StatementBuilder | None = None
    render_html: HtmlRenderer | None = None
    #: The issuer's public identity (issuer, public_key, key_fingerprint); None: unsigned.
    issuer: Mapping[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _release_json(info: ReleaseInfo) -> dict[str, Any]:
    out = info.as_dict()
    out["products"] = list(info.products)
    out["tables"] = sorted(info.tables)
    return out


def create_app(config: ApiConfig) -> FastAPI:
    """The FastAPI application (run it with uvicorn; ``bluecarbon api`` does)."""
    app = FastAPI(
        title="bluecarbon API",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    store, policy = config.store, config.policy

    @app.middleware("http")
    async def limits(request: Request, call_next: Callable[[Request], Any]) -> Response:
        if len(str(request.url)) > MAX_URL_LENGTH:
            return JSONResponse({"detail": f"URL longer than {MAX_URL_LENGTH} characters"}, status_code=414)
        if request.method not in ("GET", "HEAD"):
            return JSONResponse({"detail": "this API is read-only"}, status_code=405)
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > config.max_request_bytes):
            return JSONResponse(
                {"detail": f"request body larger than {config.max_request_bytes} bytes"}, status_code=413
            )
        response: Response = await call_next(request)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @app.exception_handler(IntegrityError)
    async def damaged(request: Request, exc: IntegrityError) -> JSONResponse:
        # what was read does not match what was published: say so, serve nothing
        return JSONResponse(
            {"detail": "release data failed verification: " + private(str(exc))}, status_code=500
        )

    def private(text: str) -> str:
        """``text`` without the store's location (a filesystem path or bucket is nobody's
        business over HTTP)."""
        places = {store.location.uri, str(store.location.path) if store.location.is_local else ""}
        for where in sorted(places - {""}, key=len, reverse=True):
            text = text.replace(where, "the store")
        return text

    def resolve(ref: str, request: Request) -> ReleaseInfo:
        """The release ``ref`` names, if the caller may read it.

        Messages never name what the caller may not see: an anonymous caller gets the same
        401 for a restricted release and for one that does not exist (tags cannot be probed),
        and no message carries the store's path or other releases' tags."""
        token = policy.caller(request.headers.get("authorization"))
        shown = ref if len(ref) <= 64 else ref[:61] + "..."
        try:
            info = store.resolve(ref)
        except InvalidReleaseId:
            raise HTTPException(
                400, f"{shown!r} is not a release: use a tag (YYYY.MM.DD[.N]), 'latest' or a snapshot id"
            ) from None
        except ReleaseNotFound:
            info = None
        if info is not None and policy.may_read(token, info.tag):
            return info
        if token is None:
            raise HTTPException(
                401,
                f"release {shown!r} is not public: send 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if info is None:
            raise HTTPException(404, f"release {shown!r} not found")
        raise HTTPException(403, f"this token may not read release {shown!r}")

    def parcel_frame(info: ReleaseInfo) -> Any:
        if "parcels" not in info.tables:
            raise HTTPException(404, f"release {info.tag} has no parcels")
        return store.read_table("parcels", info)

    def checked_parcel(parcel_id: str) -> str:
        try:
            return check_parcel_id(parcel_id)
        except InputError as exc:
            raise HTTPException(400, f"{exc.problem}; expected {exc.expected}") from None

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/issuer")
    def issuer() -> dict[str, Any]:
        """The public key statements from this server are signed with (Ed25519). Compare its
        fingerprint with the one the issuer gave you through another channel."""
        if config.issuer is None:
            raise HTTPException(404, "this server issues unsigned statements (no issuer key)")
        return {
            "algorithm": "ed25519",
            **dict(config.issuer),
            "note": "a key served here proves nothing by itself: obtain the fingerprint from the "
            "issuer independently, then check statements with `bluecarbon verify-statement FILE "
            "--public-key KEY`",
        }

    @app.get("/releases")
    def releases(request: Request) -> list[dict[str, Any]]:
        token = policy.caller(request.headers.get("authorization"))
        return [_release_json(r) for r in store.releases() if policy.may_read(token, r.tag)]

    @app.get("/releases/{ref}")
    def release(ref: str, request: Request) -> dict[str, Any]:
        return _release_json(resolve(ref, request))

    @app.get("/releases/{ref}/parcels")
    def parcels(ref: str, request: Request) -> Response:
        info = resolve(ref, request)
        frame = parcel_frame(info)
        return Response(frame.to_json(drop_id=True), media_type="application/geo+json")

    @app.get("/releases/{ref}/parcels/{parcel_id}")
    def parcel(ref: str, parcel_id: str, request: Request) -> Response:
        info = resolve(ref, request)
        pid = checked_parcel(parcel_id)
        frame = parcel_frame(info)
        one = frame[frame["parcel_id"] == pid]
        if one.empty:
            raise HTTPException(404, f"parcel {pid!r} is not in release {info.tag}")
        return Response(one.to_json(drop_id=True), media_type="application/geo+json")

    @app.get("/releases/{ref}/parcels/{parcel_id}/statement")
    def statement(
        ref: str,
        parcel_id: str,
        request: Request,
        lang: str = "en",
        format: str = "json",
        price: float | None = None,
        buffer: float | None = None,
    ) -> Response:
        info = resolve(ref, request)
        pid = checked_parcel(parcel_id)
        if lang not in ("en", "zh"):
            raise HTTPException(400, "lang must be 'en' or 'zh'")
        if format not in ("json", "html"):
            raise HTTPException(400, "format must be 'json' or 'html' (PDF: use the CLI)")
        if price is not None and not (0 <= price <= 1e6):
            raise HTTPException(400, "price must be between 0 and 1,000,000 CNY per t CO2e")
        if buffer is not None and not (0 <= buffer <= 100):
            raise HTTPException(400, "buffer must be a percentage between 0 and 100")
        if config.build_statement is None:
            raise HTTPException(501, "statements are not configured on this server")
        try:
            doc = config.build_statement(
                store, pid, release=info.tag, price=price, buffer_pct=buffer, lang=lang
            )
        except ReleaseNotFound as exc:
            raise HTTPException(404, private(str(exc))) from None
        except IntegrityError:
            raise
        except BlueCarbonError as exc:
            raise HTTPException(422, private(str(exc))) from None
        if format == "html" and config.render_html is not None:
            return HTMLResponse(config.render_html(doc))
        return Response(statement_text(doc), media_type="application/json")

    @app.get("/register/{parcel_id}")
    def register(parcel_id: str, request: Request) -> dict[str, Any]:
        """A parcel's register balances (t CO2e), its encumbrance, and the pledges to the
        caller's lender in full."""
        from bluecarbon.register.book import SinkRegister

        token = policy.caller(request.headers.get("authorization"))
        if token is None:
            raise HTTPException(
                401,
                "the register needs a token (it names holders and lenders)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        pid = checked_parcel(parcel_id)
        try:
            report = SinkRegister(store).parcel_report(pid)
        except BlueCarbonError as exc:
            raise HTTPException(503, f"the register cannot be read: {exc}") from None
        mine = [p for p in report["pledges"] if token.lender in ("*", p["lender"])]
        others = [
            {k: p[k] for k in ("pledge_id", "quantity_t_co2e", "expires", "expired", "status")}
            for p in report["pledges"]
            if p not in mine
        ]
        keep = ("parcel_id", "unit", "issued", "available", "pledged", "transferred", "retired", "shortfall")
        return {
            **{k: report[k] for k in keep},
            "encumbered_t_co2e": report["encumbered"],
            "lender": token.lender,
            "pledges_to_you": mine,
            "other_pledges": others,
            "periods": report["periods"],
            "latest_release": report["latest_release"],
            "warnings": report["warnings"],
        }

    @app.get("/insurance/evaluate")
    def insurance(
        request: Request,
        parcel: str,
        index: str,
        trigger: float,
        exit: float,
        sum_insured: float,
        currency: str = "CNY",
        habitat: str | None = None,
        period: str | None = None,
        id: str = "query",
        release: str = "latest",
    ) -> dict[str, Any]:
        """An index insurance policy given as query parameters, evaluated on a release."""
        from bluecarbon.register.insurance import evaluate, policy_from_mapping

        info = resolve(release, request)
        spec: dict[str, Any] = {"kind": index}
        if habitat is not None:
            spec["habitat"] = habitat
        if period is not None:
            spec["period"] = period
        fields = {"id": id, "parcel": parcel, "trigger": trigger, "exit": exit, "sum_insured": sum_insured}
        try:
            chosen = policy_from_mapping(fields | {"currency": currency, "index": spec}, origin="query")
            return evaluate(store, chosen, release=info.tag).as_dict()
        except BlueCarbonError as exc:  # a bad policy, or an index the release cannot give
            raise HTTPException(422, str(exc)) from None

    return app
