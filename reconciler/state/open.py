"""Open the store that ``--state`` names, scoped to this owner."""

from __future__ import annotations

from pathlib import Path

from reconciler.state.base import Store
from reconciler.state.store import StateStore


def open_store(location: str | Path, owner: str) -> Store:
    if str(location).startswith("dynamodb://"):
        from reconciler.state.dynamodb_store import DynamoStore

        return DynamoStore(str(location), owner)
    return StateStore(location, owner)


def has_state(location: str | Path) -> bool:
    """Whether anything was ever recorded there (``status`` says so when not)."""
    if str(location).startswith("dynamodb://"):
        from reconciler.state.dynamodb_store import table_exists

        return table_exists(str(location))
    return (Path(location) / StateStore.FILE_NAME).exists()
