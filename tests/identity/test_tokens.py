"""Signing up and signing in: tokens the other services accept, one answer for every
wrong sign-in, a limit on guessing, and hashes kept up to date."""

from __future__ import annotations

from pathlib import Path

import jwt
from sqlmodel import select

from services.identity.models import User
from services.kit.auth import Principal, TokenVerifier
from services.kit.settings import ServiceSettings
from tests.conftest import BusNamespace
from tests.identity.conftest import PASSWORD, Identity, identity_settings, running

APPLICANT = {
    "national_code": "0499370899",
    "name": "مریم احمدی",
    "mobile": "09121234567",
    "password": PASSWORD,
}


def verifier_for(identity: Identity) -> TokenVerifier:
    """What every other service builds from its default settings, pointed at the port
    this test serves the identity service on."""
    defaults = ServiceSettings()
    return TokenVerifier(jwks_url=f"{identity.client.base_url}/.well-known/jwks.json",
                         issuer=defaults.jwt_issuer, audience=defaults.jwt_audience)


async def test_an_applicant_registers_and_signs_in_with_a_token_the_services_accept(
    identity: Identity,
) -> None:
    # Persian digits are what many people type
    body = {**APPLICANT, "national_code": "۰۴۹۹۳۷۰۸۹۹", "mobile": "۰۹۱۲۱۲۳۴۵۶۷"}
    reply = await identity.client.post("/register", json=body)
    assert reply.status_code == 201, reply.text
    created = reply.json()
    assert created["username"] == created["national_code"] == "0499370899"
    assert created["roles"] == ["applicant"] and created["county"] is None
    assert created["mobile"] == "09121234567" and created["version"] == 1
    assert "password" not in reply.text and "argon2" not in reply.text

    reply = await identity.sign_in("۰۴۹۹۳۷۰۸۹۹")
    assert reply.status_code == 200, reply.text
    assert reply.headers["cache-control"] == "no-store"
    issued = reply.json()
    assert issued["token_type"] == "bearer" and issued["expires_in"] == 8 * 3600

    principal = await verifier_for(identity).verify(issued["access_token"])
    assert principal == Principal(sub="0499370899", roles=frozenset({"applicant"}), county=None,
                                  name="مریم احمدی", national_code="0499370899")

    claims = jwt.decode(issued["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 8 * 3600
    assert claims["iss"] == "http://127.0.0.1:8100" and claims["aud"] == "pishkhan"
    assert claims["jti"] and "county" not in claims
    keys = (await identity.client.get("/.well-known/jwks.json")).json()["keys"]
    assert jwt.get_unverified_header(issued["access_token"])["kid"] == keys[0]["kid"]

    me = await identity.client.get("/users/me", headers={
        "authorization": f"Bearer {issued['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == "0499370899"


async def test_registering_twice_is_a_conflict_and_bad_input_a_422(identity: Identity) -> None:
    assert (await identity.client.post("/register", json=APPLICANT)).status_code == 201
    reply = await identity.client.post("/register", json={**APPLICANT, "name": "someone else"})
    assert reply.status_code == 409
    [error] = reply.json()["detail"]
    assert (error["field"], error["code"]) == ("national_code", "user_exists")
    assert error["message"]["en"] and error["message"]["fa"]

    for change, field, code in (
        ({"password": "short"}, "password", "string_too_short"),
        ({"national_code": "0499370898"}, "national_code", "national_code_check_digit"),
        ({"mobile": "9121234567"}, "mobile", "mobile_format"),
        ({"roles": ["admin"]}, "roles", "extra_forbidden"),
    ):
        body = {**APPLICANT, "national_code": "0013542419", **change}
        reply = await identity.client.post("/register", json=body)
        assert reply.status_code == 422, (change, reply.text)
        assert [(e["field"], e["code"]) for e in reply.json()["detail"]] == [(field, code)]
    # none of the refused ones was stored
    assert (await identity.sign_in("0013542419")).status_code == 401


async def test_a_staff_token_carries_roles_and_county(identity: Identity) -> None:
    await identity.add_user("clerk.rasht", "clerk", county="rasht", name="کارشناس رشت")
    await identity.add_user("ops", "ops")
    clerk = await verifier_for(identity).verify(await identity.token("Clerk.Rasht"))
    assert clerk == Principal(sub="clerk.rasht", roles=frozenset({"clerk"}), county="rasht",
                              name="کارشناس رشت", national_code=None)
    ops = await verifier_for(identity).verify(await identity.token("ops"))
    assert ops.roles == {"ops"} and ops.county is None and ops.national_code is None


async def test_wrong_password_unknown_user_and_inactive_user_get_the_same_401(
    identity: Identity,
) -> None:
    await identity.add_user("inspector.fuman", "inspector", county="fuman")
    await identity.add_user("inspector.masal", "inspector", county="masal", active=False)
    replies = [
        await identity.sign_in("inspector.fuman", "not the password"),
        await identity.sign_in("nobody.here", PASSWORD),
        await identity.sign_in("inspector.masal", PASSWORD),
    ]
    assert [r.status_code for r in replies] == [401, 401, 401]
    assert len({r.text for r in replies}) == 1
    assert len({r.headers.get("www-authenticate") for r in replies}) == 1
    detail = replies[0].json()["detail"]
    assert set(detail) == {"en", "fa"} and detail["en"] and detail["fa"]

    metrics = (await identity.client.get("/metrics")).text
    assert 'pishkhan_identity_login_failures_total{reason="bad_credentials"} 3.0' in metrics


async def test_a_wrong_grant_type_or_a_missing_field_is_refused(identity: Identity) -> None:
    await identity.add_user("ops", "ops")
    reply = await identity.client.post("/token", data={"username": "ops", "password": PASSWORD,
                                                       "grant_type": "client_credentials"})
    assert reply.status_code == 400 and set(reply.json()["detail"]) == {"en", "fa"}
    reply = await identity.client.post("/token", data={"username": "ops"})
    assert reply.status_code == 422
    # without grant_type (it is optional) the same form signs in
    reply = await identity.client.post("/token", data={"username": "ops", "password": PASSWORD})
    assert reply.status_code == 200


async def test_repeated_failures_for_a_username_are_refused_for_a_while(
    identity: Identity,
) -> None:
    await identity.add_user("officer.rasht", "licensing_officer", county="rasht")
    await identity.add_user("officer.shaft", "licensing_officer", county="shaft")
    for _ in range(5):
        assert (await identity.sign_in("officer.rasht", "guess guess guess")).status_code == 401

    # even the right password now waits, and says how long in both languages
    reply = await identity.sign_in("officer.rasht")
    assert reply.status_code == 429
    assert 0 < int(reply.headers["retry-after"]) <= 300
    detail = reply.json()["detail"]
    assert "5 minute" in detail["en"] and "۵ دقیقه" in detail["fa"]
    # the same for a username nobody has, so the limit does not tell who exists
    for _ in range(5):
        await identity.sign_in("no.such.user", "guess guess guess")
    assert (await identity.sign_in("no.such.user")).status_code == 429
    # other users are not affected
    assert (await identity.sign_in("officer.shaft")).status_code == 200

    metrics = (await identity.client.get("/metrics")).text
    assert 'pishkhan_identity_login_failures_total{reason="rate_limited"} 2.0' in metrics


async def test_a_successful_sign_in_clears_earlier_failures(identity: Identity) -> None:
    await identity.add_user("clerk.talesh", "clerk", county="talesh")
    for _ in range(4):
        await identity.sign_in("clerk.talesh", "typo typo typo")
    assert (await identity.sign_in("clerk.talesh")).status_code == 200
    for _ in range(4):
        assert (await identity.sign_in("clerk.talesh", "typo typo typo")).status_code == 401
    assert (await identity.sign_in("clerk.talesh")).status_code == 200


async def test_a_hash_made_with_older_parameters_is_redone_at_sign_in(
    database_url: str, bus_ns: BusNamespace, tmp_path: Path,
) -> None:
    time_cost = 2
    async with running(identity_settings(database_url, bus_ns, tmp_path)) as before:
        await before.add_user("supervisor.rasht", "supervisor", county="rasht")

    stronger = identity_settings(database_url, bus_ns, tmp_path, password_time_cost=time_cost)
    async with running(stronger) as after:
        async def stored_hash() -> str:
            async with after.app.state.runtime.db.sessionmaker() as session:
                user = (await session.exec(
                    select(User).where(User.username == "supervisor.rasht"))).one()
                return user.password_hash

        assert ",t=1," in await stored_hash()
        assert (await after.sign_in("supervisor.rasht")).status_code == 200
        assert f",t={time_cost}," in await stored_hash()
        # and the new hash still takes the same password
        assert (await after.sign_in("supervisor.rasht")).status_code == 200
