"""Bearer-token authentication with two roles, for an API that serves patient data.

- ``clinician``: read-only (lists, metrics, curves, points, downloads, reports).
- ``operator``: everything a clinician may do, plus writes (trial notes, re-indexing) and
  starting processing jobs.

Tokens come from a TOML file (``--tokens FILE`` / ``MOCAPLAB_API_TOKENS_FILE``)::

    [[token]]
    name = "gait-lab-pc"
    role = "operator"
    sha256 = "9f86d081..."        # hex SHA-256 of the token (preferred: no secret on disk)
    [[token]]
    name = "dr-smith"
    role = "clinician"
    token = "a-long-random-string"   # plain token, accepted but hashed at load

or from the environment variable ``MOCAPLAB_API_TOKENS`` = ``role:token[,role:token...]``.
Only SHA-256 digests are kept in memory; a presented token is hashed and compared with every
configured digest by :func:`hmac.compare_digest` (constant time, no early exit). Plain tokens
shorter than 16 characters are refused at load.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path

from mocaplab.errors import InputError

ROLES = ("clinician", "operator")
#: role -> roles it includes.
ROLE_GRANTS = {"clinician": {"clinician"}, "operator": {"clinician", "operator"}}
MIN_TOKEN_LENGTH = 16


@dataclasses.dataclass(frozen=True)
class Principal:
    """Who made a request: a configured token's name and role."""

    name: str
    role: str

    def may(self, role: str) -> bool:
        return role in ROLE_GRANTS.get(self.role, set())


@dataclasses.dataclass(frozen=True)
class _Entry:
    principal: Principal
    digest: bytes


def hash_token(token: str) -> str:
    """Hex SHA-256 of a token, as stored in the tokens file."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh random token (URL-safe, 256 bits)."""
    return secrets.token_urlsafe(32)


class TokenStore:
    """The configured tokens (as digests) and their roles."""

    def __init__(self, entries: Iterable[_Entry] = ()):
        self._entries = tuple(entries)

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def _entry(name: str, role: str, token: str | None = None,
               sha256: str | None = None) -> _Entry:
        if role not in ROLES:
            raise InputError(f"token {name!r}: unknown role {role!r}; use one of {ROLES}")
        if token is not None:
            if len(token) < MIN_TOKEN_LENGTH:
                raise InputError(f"token {name!r} is shorter than {MIN_TOKEN_LENGTH} characters; "
                                 "generate one with 'mocaplab serve --new-token'")
            digest = hashlib.sha256(token.encode("utf-8")).digest()
        elif sha256 is not None:
            try:
                digest = bytes.fromhex(sha256)
            except ValueError:
                digest = b""
            if len(digest) != 32:
                raise InputError(f"token {name!r}: sha256 must be 64 hex digits")
        else:
            raise InputError(f"token {name!r} needs 'token' or 'sha256'")
        return _Entry(Principal(name, role), digest)

    @classmethod
    def from_mapping(cls, tokens: Mapping[str, str]) -> TokenStore:
        """``{token: role}`` (tests, embedding)."""
        return cls(cls._entry(f"token{i}", role, token=tok)
                   for i, (tok, role) in enumerate(tokens.items()))

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> TokenStore:
        import tomllib

        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read tokens file {path}: {exc}") from None
        items = data.get("token") or []
        if not isinstance(items, list):
            raise InputError(f"{path}: expected [[token]] tables")
        return cls(cls._entry(str(t.get("name", f"token{i}")), str(t.get("role", "")),
                              token=t.get("token"), sha256=t.get("sha256"))
                   for i, t in enumerate(items))

    @classmethod
    def from_env_value(cls, value: str) -> TokenStore:
        """``role:token[,role:token...]`` (the MOCAPLAB_API_TOKENS format)."""
        entries = []
        for i, item in enumerate(p.strip() for p in value.split(",") if p.strip()):
            role, sep, tok = item.partition(":")
            if not sep:
                raise InputError("MOCAPLAB_API_TOKENS items must look like role:token")
            entries.append(cls._entry(f"env{i}", role.strip(), token=tok.strip()))
        return cls(entries)

    @classmethod
    def from_config(cls, tokens_file: str | os.PathLike | None = None,
                    env: Mapping[str, str] | None = None) -> TokenStore:
        """Tokens from ``tokens_file`` or MOCAPLAB_API_TOKENS_FILE, plus MOCAPLAB_API_TOKENS."""
        env = os.environ if env is None else env
        entries: list[_Entry] = []
        f = tokens_file or env.get("MOCAPLAB_API_TOKENS_FILE")
        if f:
            entries += cls.from_file(f)._entries
        if env.get("MOCAPLAB_API_TOKENS"):
            entries += cls.from_env_value(env["MOCAPLAB_API_TOKENS"])._entries
        return cls(entries)

    def authenticate(self, token: str | None) -> Principal | None:
        """The principal of ``token``, or None. Compares against every digest (constant time)."""
        if not token:
            return None
        digest = hashlib.sha256(token.encode("utf-8")).digest()
        found = None
        for e in self._entries:
            if hmac.compare_digest(digest, e.digest) and found is None:
                found = e.principal
        return found
