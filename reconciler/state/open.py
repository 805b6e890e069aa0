"""Open the store that ``--state`` names, scoped to this owner."""

from __future__ import annotations

from pathlib import Path

from reconciler.state.base import Store
from reconciler.state.store import StateStore


def open_store(location: str | Path, owner: str) -> Store:
    return StateStore(location, owner)


def has_state(location: str | Path) -> bool:
    """Whether anything was ever recorded there (``status`` says so when not)."""
    return (Path(location) / StateStore.FILE_NAME).exists()
