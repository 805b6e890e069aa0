"""Salted SHA-256 prints of values the reconciler must recognise but never keep (secrets sent
to AWS): state stores the print and its salt, never the value."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any


def new_salt() -> str:
    return secrets.token_hex(16)


def salted_print(salt: str, value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return hashlib.sha256(f"{salt}:{text}".encode()).hexdigest()
