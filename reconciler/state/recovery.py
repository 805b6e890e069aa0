"""A damaged SQLite store: set aside (never deleted), replaced by a fresh one, and remembered
so that every owner of the directory rebuilds its inventory from ownership tags once.

The damaged copies themselves are the record: ``state.sqlite.damaged-<UTC time>`` (with
its ``-wal`` and ``-shm``) in the state directory. An owner whose ``rebuilt`` meta does
not name the newest copy has not rebuilt since that damage (its rows went with it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.state.base import Store
from reconciler.state.open import open_store
from reconciler.state.sqlite_wal import in_use
from reconciler.state.store import CorruptStore, StateStore

# This owner's meta: when its inventory was rebuilt, from which damaged copy (JSON).
REBUILT_KEY = "rebuilt"
_INFIX = ".damaged-"


@dataclass(frozen=True)
class Damage:
    path: Path  # the store that was damaged
    copy: Path  # where the damaged file went
    cause: str


@dataclass
class Opened:
    store: Store
    rebuild_from: Path | None  # the damaged copy this owner must rebuild from, if any
    cause: str | None = None  # what was wrong with it, when this process found it


def open_recovering(location: str | Path, owner: str, say: Callable[[str], None]) -> Opened:
    """The store, with the damaged copy this owner must rebuild from. A damaged SQLite
    file is set aside and a fresh store opened in its place; ``say`` reports that, once."""
    try:
        store = open_store(location, owner)
    except CorruptStore as exc:
        damage = set_aside(exc)
        say(f"state store {damage.path} is damaged ({damage.cause}); it was moved aside to "
            f"{damage.copy} (kept, not deleted) and a fresh store started; the inventory "
            "of this owner is rebuilt from its ownership tags before the first plan")
        return Opened(open_store(location, owner), damage.copy, damage.cause)
    return Opened(store, rebuild_due(store, location))


def set_aside(exc: CorruptStore) -> Damage:
    """Move the damaged file (and its -wal, -shm) to ``<name>.damaged-<UTC time>``."""
    path = exc.path
    if in_use(path):
        raise ReconcilerError(f"{exc}; another process has it open, so it is left in place: "
                              "stop that process, then run again") from exc
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    copy = path.with_name(f"{path.name}{_INFIX}{stamp}")
    n = 1
    while copy.exists():
        copy = path.with_name(f"{path.name}{_INFIX}{stamp}.{n}")
        n += 1
    try:
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{path}{suffix}")
            if source.exists():
                os.replace(source, Path(f"{copy}{suffix}"))
    except OSError as error:
        raise ReconcilerError(f"{exc}; it could not be moved aside: {error.strerror}") from exc
    return Damage(path, copy, exc.detail)


def damaged_copies(location: str | Path) -> list[Path]:
    """The damaged stores set aside in this directory, oldest first."""
    directory = Path(location)
    if not directory.is_dir():
        return []
    name = StateStore.FILE_NAME + _INFIX
    return sorted(p for p in directory.iterdir()
                  if p.name.startswith(name) and not p.name.endswith(("-wal", "-shm")))


def rebuild_due(store: Store, location: str | Path) -> Path | None:
    """The newest damaged copy, when this owner has not rebuilt since it was set aside."""
    if not isinstance(store, StateStore):
        return None  # only the SQLite store is set aside and rebuilt
    copies = damaged_copies(location)
    if not copies:
        return None
    done = rebuilt(store)
    if done is not None and done.get("from") == copies[-1].name:
        return None
    return copies[-1]


def rebuilt(store: Store) -> dict[str, Any] | None:
    """What the last rebuild of this owner's inventory recorded (for status)."""
    text = store.get_meta(REBUILT_KEY)
    return json.loads(text) if text else None


def record_rebuilt(store: Store, copy: Path, summary: dict[str, Any]) -> None:
    store.set_meta(REBUILT_KEY, json.dumps({
        "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "from": copy.name,
        **summary}))
