"""A test token issuer: an RSA key, its JWKS served on a real local port, and tokens with
whatever claims a test needs (including the broken ones an attacker would send)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "http://issuer.test"
AUDIENCE = "pishkhan"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class TokenIssuer:
    def __init__(self) -> None:
        self.key = new_key()
        self.kid = uuid.uuid4().hex[:8]
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        self.jwks = {"keys": [jwk]}
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps(issuer.jwks).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.jwks_url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"

    def settings(self) -> dict[str, Any]:
        return {"jwks_url": self.jwks_url, "jwt_issuer": ISSUER, "jwt_audience": AUDIENCE}

    def token(self, sub: str, *roles: str, county: str | None = None,
              national_code: str | None = None, key: rsa.RSAPrivateKey | None = None,
              **claims: Any) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "sub": sub, "roles": list(roles), "iss": ISSUER, "aud": AUDIENCE,
            "iat": now, "exp": now + 600, "name": sub,
        }
        if county:
            payload["county"] = county
        if national_code:
            payload["national_code"] = national_code
        payload.update(claims)
        return jwt.encode(payload, key or self.key, algorithm="RS256",
                          headers={"kid": self.kid})

    def headers(self, sub: str, *roles: str, **kwargs: Any) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token(sub, *roles, **kwargs)}"}

    def applicant(self, national_code: str) -> dict[str, str]:
        # as the identity service does: an applicant signs in with their national code
        return self.headers(national_code, "applicant", national_code=national_code)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def issuer() -> Iterator[TokenIssuer]:
    issuer = TokenIssuer()
    yield issuer
    issuer.close()
