"""The RSA key that signs tokens: read from a PEM file, made (mode 0600) when missing,
and published as a JWKS. Its ``kid`` is the key's RFC 7638 thumbprint, so it stays the
same across restarts and replicas sharing the file."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from services.kit.auth import ALGORITHM

log = logging.getLogger(__name__)

KEY_SIZE = 2048


class SigningKey:
    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        if private_key.key_size < KEY_SIZE:
            raise ValueError(f"the signing key has {private_key.key_size} bits; "
                             f"at least {KEY_SIZE} are needed")
        self.private_key = private_key
        self.public_key = private_key.public_key()
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self.public_key, as_dict=True)
        self.kid = thumbprint(jwk)
        self.public_jwk = {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}

    @classmethod
    def load_or_create(cls, path: Path) -> SigningKey:
        if not path.exists():
            _create(path)
        loose = path.stat().st_mode & 0o077
        if loose:
            log.warning("the signing key %s is readable by others (mode %o); "
                        "chmod 600 it", path, path.stat().st_mode & 0o777)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError(f"{path} does not hold an RSA private key")
        return cls(key)


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, without whitespace."""
    members = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"),
                         sort_keys=True)
    digest = hashlib.sha256(members.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # mkstemp makes the file 0600 before a byte is written; the hard link publishes it
    # whole and never replaces a key that a process starting beside us made first
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".signing-key-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, path)
            log.info("made a new signing key in %s", path)
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)


def jwks(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [key.public_jwk for key in keys]}
