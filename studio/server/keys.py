"""API keys for `kinora serve`: made by `kinora serve keys create NAME`, stored hashed, compared in constant time.

Only a key's SHA-256 is kept (in the config folder, `api_keys.json`); the key itself is shown once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from studio.atomic import write_bytes_atomic
from studio.errors import KinoraError
from studio.paths import config_dir

KEYS_FILE = "api_keys.json"
PREFIX = "kn-"


@dataclass(frozen=True)
class ApiKey:
    name: str
    sha256: str
    created_at: float


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyStore:
    """The API keys of this user (a JSON file of names and hashes)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / KEYS_FILE

    def keys(self) -> list[ApiKey]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise KinoraError(f"The API key file {self.path} cannot be read ({exc}); delete it and create keys "
                              "again with `kinora serve keys create NAME`.") from exc
        return [ApiKey(k["name"], k["sha256"], k["created_at"]) for k in data.get("keys", [])]

    def create(self, name: str) -> str:
        """Make a key named `name`; returns the key (the only time it is ever shown)."""
        name = name.strip()
        if not name:
            raise KinoraError("Give the key a name: `kinora serve keys create NAME`.")
        keys = self.keys()
        if any(k.name == name for k in keys):
            raise KinoraError(f"There is already a key named '{name}'; revoke it first or choose another name.")
        key = PREFIX + secrets.token_urlsafe(32)
        self._write([*keys, ApiKey(name, _digest(key), time.time())])
        return key

    def revoke(self, name: str) -> None:
        keys = self.keys()
        if not any(k.name == name for k in keys):
            raise KinoraError(f"There is no key named '{name}' (see `kinora serve keys list`).")
        self._write([k for k in keys if k.name != name])

    def match(self, presented: str) -> str | None:
        """The name of the key `presented` is, or None. Every stored hash is compared, in constant time."""
        digest = _digest(presented)
        found = None
        for key in self.keys():
            if hmac.compare_digest(digest, key.sha256):
                found = key.name
        return found

    def _write(self, keys: list[ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {"keys": [{"name": k.name, "sha256": k.sha256, "created_at": k.created_at} for k in keys]}
        write_bytes_atomic(self.path, json.dumps(body, indent=2).encode("utf-8"))
        self.path.chmod(0o600)
