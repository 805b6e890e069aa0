"""A progress line per resource while applying, for people watching a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from reconciler.engine.model import Change

_ING = {"create": "creating", "update": "updating", "replace": "replacing",
        "delete": "deleting", "orphan": "orphaning"}


class ProgressPrinter:
    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self._started: dict[str, float] = {}

    def __call__(self, change: Change, phase: str) -> None:
        key = change.resource
        if phase == "start":
            self._started[key] = time.monotonic()
            verb = _ING.get(str(change.action), str(change.action))
            print(f"{key} ({change.type}): {verb}...", file=self.stream, flush=True)
            return
        took = time.monotonic() - self._started.pop(key, time.monotonic())
        outcome = change.error or str(change.result)
        print(f"{key}: {change.action} {outcome} ({took:.1f}s)", file=self.stream, flush=True)
