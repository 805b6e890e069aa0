"""Crash injection for tests: ``RECONCILER_FAILPOINTS=after-create:LogicalId`` makes the process
SIGKILL itself at that point, to prove that a crash between an AWS call and its
bookkeeping loses nothing. Unset in production, where this is a dictionary lookup.
"""

from __future__ import annotations

import os
import signal


def failpoint(name: str, subject: str) -> None:
    spec = os.environ.get("RECONCILER_FAILPOINTS")
    if not spec:
        return
    for item in spec.split(","):
        point, _, target = item.strip().partition(":")
        if point == name and target in ("*", subject):
            os.kill(os.getpid(), signal.SIGKILL)
