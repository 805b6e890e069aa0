"""Find the template fragments of a desired tree and read each one, with size guards."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.errors import Issue
from reconciler.template import yaml_source

# Larger files are refused unread: desired state is hand-written, not data.
MAX_FILE_BYTES = 1024 * 1024
SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class SourceFile:
    name: str  # as shown in issues: the user's path joined with the relative part
    path: Path


def discover(root: str | Path) -> tuple[list[SourceFile], list[Issue]]:
    """Every fragment under ``root`` (a directory or one file), in a stable order."""
    base = Path(root)
    if base.is_file():
        return [SourceFile(str(base), base)], []
    if not base.is_dir():
        return [], [Issue(str(base), 0, "no such file or directory")]
    found: list[tuple[tuple[str, ...], SourceFile]] = []
    issues: list[Issue] = []
    inside = base.resolve()
    for directory, dirnames, filenames in os.walk(base):
        # Hidden directories (.git, .github...) and dotfiles hold tooling config, not templates.
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        # os.walk does not descend into linked directories; one that leads out is reported.
        for name in dirnames:
            link = Path(directory, name)
            if link.is_symlink() and not _within(link, inside):
                issues.append(_outside(base, link))
        for filename in filenames:
            if filename.startswith(".") or not filename.lower().endswith(SUFFIXES):
                continue
            path = Path(directory, filename)
            relative = path.relative_to(base)
            if path.is_symlink() and not _within(path, inside):
                issues.append(_outside(base, path))
                continue
            found.append((relative.parts, SourceFile(str(base / relative), path)))
    found.sort(key=lambda item: item[0])
    return [source for _, source in found], issues


def _within(path: Path, root: Path) -> bool:
    """Whether ``path``, links followed, stays under ``root`` (a committed symlink must not
    make the worker read files elsewhere on the host)."""
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a link loop
        return False


def _outside(base: Path, link: Path) -> Issue:
    return Issue(str(base / link.relative_to(base)), 1,
                 f"symbolic link to {os.readlink(link)} leads outside the desired tree; "
                 "refused (only files inside the tree are read)")


def read_fragment(source: SourceFile, max_bytes: int | None = None) -> tuple[Any, list[Issue]]:
    """Parse one fragment; the document is None when there are issues or the file is empty."""
    limit = MAX_FILE_BYTES if max_bytes is None else max_bytes
    try:
        size = source.path.stat().st_size
        if size > limit:
            return None, [Issue(source.name, 1, f"file is {size} bytes, over the limit of "
                                                f"{limit} bytes; not read")]
        raw = source.path.read_bytes()
    except OSError as error:
        return None, [Issue(source.name, 0, f"cannot read: {error.strerror or error}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return None, [Issue(source.name, line, "not valid UTF-8 text")]
    document, problems = yaml_source.parse(
        text, is_json=source.path.suffix.lower() == ".json")
    return document, [Issue(source.name, line, message) for line, message in problems]
