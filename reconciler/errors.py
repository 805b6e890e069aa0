"""Errors users see: validation issues carry their file and line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Issue:
    """One validation problem, printed as ``file:line: message``."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ValidationFailed(Exception):
    """The desired tree is invalid; nothing from it may be applied."""

    def __init__(self, issues: list[Issue]):
        self.issues = sorted(set(issues))
        super().__init__("\n".join(str(i) for i in self.issues))


class ReconcilerError(Exception):
    """An operational error with a message fit for the user (bad flag, unreachable AWS...)."""
