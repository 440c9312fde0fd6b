"""HTTP routes of identity: thin, they parse, authorise, call the service and shape the reply."""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from services.contracts.counties import CountyCode
from services.identity import keys, messages, repository, service
from services.identity.metrics import IdentityMetrics
from services.identity.models import (
    Registration,
    Role,
    TokenReply,
    UserCreate,
    UserPublic,
    UserUpdate,
    normalize_username,
)
from services.identity.passwords import Passwords
from services.identity.settings import IdentitySettings
from services.identity.tokens import TokenIssuer
from services.kit.auth import Principal, current_principal, forbid, require_roles
from services.kit.errors import error_item
from services.kit.http import Runtime
from services.kit.uow import UnitOfWork

log = logging.getLogger("pishkhan.identity")

router = APIRouter(tags=["identity"])
well_known = APIRouter(prefix="/.well-known", tags=["discovery"])


@dataclass(frozen=True)
class Identity:
    """What the routes need beyond the runtime; built in create_app."""

    settings: IdentitySettings
    key: keys.SigningKey
    tokens: TokenIssuer
    passwords: Passwords
    metrics: IdentityMetrics

    @property
    def failure_limit(self) -> service.FailureLimit:
        return service.FailureLimit(
            attempts=self.settings.login_failure_limit,
            window=dt.timedelta(seconds=self.settings.login_failure_window_seconds),
        )


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _identity(request: Request) -> Identity:
    identity: Identity = request.app.state.identity
    return identity


def _said(status: int, code: str, headers: dict[str, str] | None = None,
          **values: Any) -> HTTPException:
    return HTTPException(status, messages.text(code, **values), headers=headers)


async def refused_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, service.Refused)
    item = error_item(("body", *exc.field.split(".")), exc.code)
    item["message"] = messages.text(exc.code)
    return JSONResponse(status_code=exc.status_code, content={"detail": [item]})


async def _commit(uow: UnitOfWork, field: str) -> None:
    """Commit; two requests creating one username at once: the second gets the 409."""
    try:
        await uow.commit()
    except IntegrityError as exc:
        raise service.Refused(field, "user_exists", 409) from exc


# -- tokens ---------------------------------------------------------------------------

@router.post("/token", response_model=TokenReply, tags=["auth"],
             responses={401: {"description": "wrong username or password"},
                        429: {"description": "too many failed attempts for this username"}})
async def token(
    request: Request,
    username: str = Form(max_length=128),
    password: str = Form(max_length=256),
    grant_type: str | None = Form(default=None),
) -> JSONResponse:
    """OAuth2 password grant: a form with username and password."""
    identity = _identity(request)
    if grant_type not in (None, "", "password"):
        raise _said(400, "unsupported_grant_type")
    name = str(normalize_username(username))
    async with _runtime(request).uow() as uow:
        try:
            user = await service.sign_in(uow, identity.passwords, identity.failure_limit,
                                         name, password)
        except service.TooManyFailures as exc:
            identity.metrics.login_failures.labels("rate_limited").inc()
            log.warning("sign-in refused for %r from %s: too many failures", name,
                        request.client.host if request.client else "?")
            raise _said(429, "too_many_failures",
                        headers={"Retry-After": str(exc.retry_after_seconds)},
                        minutes=math.ceil(exc.retry_after_seconds / 60)) from exc
        except service.BadCredentials as exc:
            await uow.commit()  # the failure counts towards the limit
            identity.metrics.login_failures.labels("bad_credentials").inc()
            log.warning("sign-in failed for %r from %s", name,
                        request.client.host if request.client else "?")
            raise _said(401, "bad_credentials", headers={"WWW-Authenticate": "Bearer"}) from exc
        await uow.commit()
    identity.metrics.tokens_issued.inc()
    reply = TokenReply(access_token=identity.tokens.issue(user),
                       expires_in=identity.tokens.lifetime_seconds)
    # RFC 6749 5.1: a token reply is never cached
    return JSONResponse(reply.model_dump(), headers={"Cache-Control": "no-store",
                                                     "Pragma": "no-cache"})


@router.post("/register", status_code=201, response_model=UserPublic, tags=["auth"])
async def register(request: Request, body: Registration) -> UserPublic:
    """An applicant signs up; their national code is their username."""
    async with _runtime(request).uow() as uow:
        user = await service.register(uow, _identity(request).passwords, body)
        await _commit(uow, "national_code")
        return UserPublic.of(user)


# -- users ----------------------------------------------------------------------------

@router.get("/users/me", response_model=UserPublic, tags=["users"])
async def me(request: Request,
             principal: Annotated[Principal, Depends(current_principal)]) -> UserPublic:
    async with _runtime(request).uow() as uow:
        user = await repository.by_username(uow.session, principal.sub)
        if user is None:
            raise _said(404, "user_not_found")
        return UserPublic.of(user)


@router.get("/users", response_model=list[UserPublic], tags=["users"])
async def list_users(
    request: Request,
    principal: Annotated[Principal, Depends(require_roles("admin", "supervisor"))],
    role: Role | None = None,
    county: CountyCode | None = None,
    limit: int = Query(default=100, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> list[UserPublic]:
    """Admins see everyone; a supervisor sees the users of their own county."""
    if not principal.has("admin"):
        if principal.county is None or county not in (None, principal.county):
            forbid(request, principal, f"supervisor of {principal.county} asked for {county}",
                   detail=messages.text("county_forbidden"))  # type: ignore[arg-type]
        county = principal.county
    async with _runtime(request).uow() as uow:
        users = await repository.find(uow.session, role=role, county=county, limit=limit,
                                      offset=offset)
        return [UserPublic.of(u) for u in users]


@router.post("/users", status_code=201, response_model=UserPublic, tags=["users"])
async def create_user(request: Request, body: UserCreate,
                      _admin: Annotated[Principal, Depends(require_roles("admin"))]
                      ) -> UserPublic:
    async with _runtime(request).uow() as uow:
        user = await service.create_user(uow, _identity(request).passwords, body)
        await _commit(uow, "username")
        return UserPublic.of(user)


@router.patch("/users/{username}", response_model=UserPublic, tags=["users"])
async def update_user(request: Request, username: str, body: UserUpdate,
                      admin: Annotated[Principal, Depends(require_roles("admin"))]
                      ) -> UserPublic:
    async with _runtime(request).uow() as uow:
        try:
            user = await service.update_user(uow, _identity(request).passwords,
                                             str(normalize_username(username)), body,
                                             actor=admin)
        except service.UserNotFound as exc:
            raise _said(404, "user_not_found") from exc
        await uow.commit()
        return UserPublic.of(user)


# -- discovery ------------------------------------------------------------------------

@well_known.get("/jwks.json")
async def jwks(request: Request) -> JSONResponse:
    return JSONResponse(keys.jwks(_identity(request).key),
                        headers={"Cache-Control": "public, max-age=300"})


@well_known.get("/openid-configuration")
async def openid_configuration(request: Request) -> dict[str, Any]:
    issuer = _identity(request).settings.issuer.rstrip("/")
    return {
        "issuer": _identity(request).settings.issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "token_endpoint": f"{issuer}/token",
        "grant_types_supported": ["password"],
        "token_endpoint_auth_methods_supported": ["none"],
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "name", "roles", "county", "national_code"],
    }
