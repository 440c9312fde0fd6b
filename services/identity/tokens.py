"""Access tokens: RS256 JWTs signed with this service's key, and the check of them that
this service itself uses (against its own key, without fetching its own JWKS)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt

from services.identity.keys import SigningKey
from services.identity.models import User
from services.kit.auth import (
    ALGORITHM,
    InvalidToken,
    Principal,
    TokenVerifier,
    principal_from_claims,
)


class TokenIssuer:
    def __init__(self, key: SigningKey, *, issuer: str, audience: str,
                 lifetime_seconds: int) -> None:
        self.key = key
        self.issuer = issuer
        self.audience = audience
        self.lifetime_seconds = lifetime_seconds

    def issue(self, user: User) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": user.username,
            "iat": now,
            "exp": now + self.lifetime_seconds,
            "jti": uuid.uuid4().hex,
            "name": user.name,
            "roles": list(user.roles),
        }
        if user.county:
            claims["county"] = user.county
        if user.national_code:
            claims["national_code"] = user.national_code
        return jwt.encode(claims, self.key.private_key, algorithm=ALGORITHM,
                          headers={"kid": self.key.kid})


class OwnKeyVerifier(TokenVerifier):
    """The kit's verifier, with the JWKS lookup replaced by this service's own key."""

    def __init__(self, key: SigningKey, *, issuer: str, audience: str,
                 leeway_seconds: int = 30) -> None:
        # no super().__init__: it would build a JWKS client this service does not need
        self.key = key
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway_seconds

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"unreadable token: {exc}") from exc
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
        if header.get("kid") != self.key.kid:
            raise InvalidToken(f"unknown key id {header.get('kid')!r}")
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self.key.public_key, algorithms=[ALGORITHM], audience=self.audience,
                issuer=self.issuer, leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        return principal_from_claims(claims)
