"""Helpers to drive the reconciler CLI in-process against the moto server (over HTTP)."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)

    def change(self, logical_id: str) -> dict[str, Any]:
        """The plan's entry for one resource."""
        for entry in self.json["changes"]:
            if entry["resource"] == logical_id:
                return dict(entry)
        raise AssertionError(f"{logical_id} not in plan: {self.out}")


class Stack:
    """A desired tree in a temp dir plus a state dir, driven through the CLI in-process."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]):
        self.root = root
        self.desired = root / "desired"
        self.state = root / "state"
        self.desired.mkdir(parents=True, exist_ok=True)
        self.capsys = capsys

    def write(self, name: str, text: str) -> Path:
        path = self.desired / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def remove(self, name: str) -> None:
        (self.desired / name).unlink()

    def cli(self, *args: str) -> CliResult:
        from reconciler.cli import main

        self.capsys.readouterr()
        code = main([*args])
        captured = self.capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    def plan(self, *extra: str) -> CliResult:
        return self.cli("plan", str(self.desired), "--state", str(self.state),
                        "--output", "json", *extra)

    def apply(self, *extra: str) -> CliResult:
        return self.cli("apply", str(self.desired), "--state", str(self.state), *extra)


@pytest.fixture
def stack(aws: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Stack:
    return Stack(tmp_path, capsys)
