"""Dynamic references in the engine: resolved only for the call to AWS, compared by print.

The desired properties keep ``{{resolve:...}}`` as written, so plans, state, history and
logs show the reference, never the value. Apply resolves a copy just before a kind's
create or update call and records, per path, a salted SHA-256 of the value it sent
(``FINGERPRINTS`` in the inventory row; never the value). The next plan compares what
AWS holds at that path with the print:

- the same value: in sync, even when the secret has changed since (CloudFormation
  resolves at stack operations only; a rotated secret is not property drift);
- anything else (changed out of band, or no print yet: an adopted resource): shown as
  the masked value against the reference, and the next apply writes the current value.

Paths the kind never reads back (write-only credentials) are not compared at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.engine.json_pointer import Path, pointer
from reconciler.engine.model import MASK
from reconciler.engine.prints import new_salt, salted_print
from reconciler.template.dynamic_refs import (
    MARKER,
    DynamicReference,
    DynamicReferenceError,
    references_in,
)

# Inventory key of the prints of resolved values (never a property of the resource).
FINGERPRINTS = "reconciler:dynamic-fingerprints"
# Values this short are not masked in free text: they would blank out half of every plan.
_MASKABLE = 4

ReadReference = Callable[[DynamicReference], str]


def reference_paths(value: Any, path: Path = ()) -> dict[Path, str]:
    """Every string holding a dynamic reference, by path."""
    if isinstance(value, str):
        return {path: value} if MARKER in value else {}
    found: dict[Path, str] = {}
    if isinstance(value, dict):
        for key, child in value.items():
            found.update(reference_paths(child, (*path, str(key))))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.update(reference_paths(child, (*path, str(index))))
    return found


class References:
    """Reads the references of one run, each value once (a run sees one value per reference)."""

    def __init__(self, read: ReadReference | None):
        self._read = read
        self._values: dict[str, str] = {}
        self.revealed: set[str] = set()  # maskable values read so far

    def resolve_text(self, text: str) -> str:
        for reference in references_in(text):
            text = text.replace(reference.text, self._value(reference))
        return text

    def _value(self, reference: DynamicReference) -> str:
        if reference.text not in self._values:
            if self._read is None:
                raise DynamicReferenceError(f"{reference.text}: no AWS to read it from")
            value = self._read(reference)
            self._values[reference.text] = value
            if len(value) >= _MASKABLE:
                self.revealed.add(value)
        return self._values[reference.text]

    def for_aws(self, props: dict[str, Any], salt: str | None
                ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """A copy of ``props`` with every reference resolved, and the prints to record."""
        paths = reference_paths(props)
        if not paths:
            return props, None
        salt = salt or new_salt()
        sent: Any = _copy(props)
        prints = {}
        for path, text in paths.items():
            value = self.resolve_text(text)
            _set(sent, path, value)
            prints[pointer(path)] = salted_print(salt, value)
        return sent, {"salt": salt, "paths": prints}


def settle_observed(desired: Mapping[str, Any], observed: Mapping[str, Any],
                    prints: Mapping[str, Any] | None) -> dict[str, Any]:
    """``observed`` with each referenced path either equal to the reference (AWS holds the
    value last sent) or masked (it holds something else)."""
    paths = reference_paths(dict(desired))
    if not paths:
        return dict(observed)
    settled: Any = _copy(dict(observed))
    salt = (prints or {}).get("salt", "")
    recorded = (prints or {}).get("paths", {})
    for path, text in paths.items():
        found, have = _get(settled, path)
        if not found or have is None:
            continue  # not read back (write-only) or absent: the diff handles absence
        same = isinstance(have, str) and recorded.get(pointer(path)) == salted_print(salt, have)
        _set(settled, path, text if same else MASK)
    return settled


def merge_prints(recorded: Any, fresh: dict[str, Any] | None, changed: frozenset[str]
                  ) -> dict[str, Any] | None:
    """Prints after an update: fresh ones for the properties it changed, the recorded ones
    for the rest (an update sends what changed; AWS keeps the earlier value elsewhere)."""
    if fresh is None:
        return None
    kept = recorded.get("paths", {}) if isinstance(recorded, dict) else {}
    paths = {p: (v if p.split("/")[1] in changed else kept.get(p, v))
             for p, v in fresh["paths"].items()}
    return {"salt": fresh["salt"], "paths": paths}


def salt_of(prints: Any) -> str | None:
    return prints.get("salt") if isinstance(prints, dict) else None


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _get(value: Any, path: Path) -> tuple[bool, Any]:
    for part in path:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False, None
    return True, value


def _set(value: Any, path: Path, new: Any) -> None:
    *parents, last = path
    for part in parents:
        value = value[int(part)] if isinstance(value, list) else value[part]
    if isinstance(value, list):
        value[int(last)] = new
    else:
        value[last] = new
