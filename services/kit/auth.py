"""Who is calling: RS256 JWTs verified against a JWKS, and FastAPI dependencies for access.

The same code path serves the embedded identity service and any OIDC provider
(Keycloak): only the settings (JWKS URL, issuer, audience) change."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

log = logging.getLogger("pishkhan.access")

# Fixed in code: a token's own header never chooses how it is checked.
ALGORITHM = "RS256"

ROLES = (
    "applicant", "citizen", "operator_195", "clerk", "inspector", "licensing_officer",
    "complaints_officer", "supervisor", "ops", "admin",
)


@dataclass(frozen=True)
class Principal:
    sub: str
    roles: frozenset[str]
    county: str | None = None
    name: str | None = None
    national_code: str | None = None

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def actor(self) -> str:
        """How this person appears on a timeline or in a task's history."""
        return self.sub


class InvalidToken(Exception):
    pass


class TokenVerifier:
    def __init__(self, *, jwks_url: str, issuer: str, audience: str, leeway_seconds: int = 30,
                 cache_seconds: int = 300) -> None:
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway_seconds
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=cache_seconds,
                                     timeout=5)

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"unreadable token: {exc}") from exc
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
        try:
            signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
        except jwt.PyJWKClientError as exc:
            raise InvalidToken(f"no signing key: {exc}") from exc
        try:
            claims: dict[str, Any] = jwt.decode(
                token, signing_key.key, algorithms=[ALGORITHM], audience=self.audience,
                issuer=self.issuer, leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        return principal_from_claims(claims)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    # our identity service puts roles at the top; Keycloak puts them in realm_access
    raw_roles = claims.get("roles") or (claims.get("realm_access") or {}).get("roles") or []
    roles = frozenset(r for r in raw_roles if r in ROLES)
    return Principal(
        sub=str(claims["sub"]),
        roles=roles,
        county=claims.get("county"),
        name=claims.get("name"),
        national_code=claims.get("national_code"),
    )


_bearer = HTTPBearer(auto_error=False, description="A JWT from the identity provider")


async def optional_principal(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Principal | None:
    if credentials is None:
        return None
    verifier: TokenVerifier = request.app.state.runtime.auth
    try:
        return await verifier.verify(credentials.credentials)
    except InvalidToken as exc:
        log.warning("refused token on %s %s: %s", request.method, request.url.path, exc)
        raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"}) from exc


async def current_principal(
    request: Request, principal: Principal | None = Depends(optional_principal)
) -> Principal:
    if principal is None:
        log.info("refused anonymous %s %s", request.method, request.url.path)
        raise HTTPException(401, "sign-in required", headers={"WWW-Authenticate": "Bearer"})
    return principal


def require_roles(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets through only callers holding one of ``roles``."""

    async def check(request: Request,
                    principal: Principal = Depends(current_principal)) -> Principal:
        if not principal.has(*roles):
            forbid(request, principal, f"needs one of {', '.join(roles)}")
        return principal

    return check


def forbid(request: Request, principal: Principal | None, why: str, *, status: int = 403,
           detail: str = "forbidden") -> None:
    """Refuse and log it; 404 where the existence of the thing is itself private."""
    log.warning("refused %s %s to %s: %s", request.method, request.url.path,
                principal.sub if principal else "anonymous", why)
    raise HTTPException(status, detail)
