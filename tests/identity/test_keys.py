"""The signing key: made once with mode 0600, reused on restart, published as a JWKS."""

from __future__ import annotations

import stat
from pathlib import Path

import jwt

from tests.conftest import BusNamespace
from tests.identity.conftest import identity_settings, running


async def test_the_key_is_made_private_at_first_start_and_reused_after_a_restart(
    bus_ns: BusNamespace, tmp_path: Path,
) -> None:
    settings = identity_settings(f"sqlite+aiosqlite:///{tmp_path / 'identity.db'}", bus_ns,
                                 tmp_path, issuer="http://identity.test:8100")
    key_file = settings.signing_key_path
    assert not key_file.exists()

    async with running(settings) as first:
        jwks = (await first.client.get("/.well-known/jwks.json")).json()
        discovery = (await first.client.get("/.well-known/openid-configuration")).json()
        await first.add_user("ops", "ops")
        token = await first.token("ops")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert b"PRIVATE KEY" in key_file.read_bytes()
    pem = key_file.read_bytes()

    [key] = jwks["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert key["kid"] and "d" not in key and "p" not in key  # public parts only
    assert jwt.get_unverified_header(token)["kid"] == key["kid"]
    assert discovery["issuer"] == "http://identity.test:8100"
    assert discovery["jwks_uri"] == "http://identity.test:8100/.well-known/jwks.json"
    assert discovery["token_endpoint"] == "http://identity.test:8100/token"

    async with running(settings) as second:
        assert (await second.client.get("/.well-known/jwks.json")).json() == jwks
        # a token from before the restart is still good here
        me = await second.client.get("/users/me", headers={"authorization": f"Bearer {token}"})
        assert me.status_code == 200
    assert key_file.read_bytes() == pem


async def test_a_token_signed_by_another_key_is_refused(bus_ns: BusNamespace, tmp_path: Path
                                                        ) -> None:
    one = identity_settings(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}", bus_ns,
                            tmp_path / "one")
    other = identity_settings(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}", bus_ns,
                              tmp_path / "other")
    async with running(other) as foreign:
        await foreign.add_user("admin", "admin")
        token = await foreign.token("admin")
    async with running(one) as identity:
        reply = await identity.client.get("/users", headers={"authorization": f"Bearer {token}"})
        assert reply.status_code == 401
