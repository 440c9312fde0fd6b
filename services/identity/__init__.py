"""Identity: the embedded identity provider (users, argon2 passwords, RS256 tokens, a JWKS)."""
