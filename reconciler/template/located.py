"""Containers that remember where in the source file they came from.

The parser builds these instead of plain dicts and lists so that any later
stage can point an Issue at the exact line of a property. They are real
``dict``/``list`` subclasses: code that does not care about lines treats
them as plain values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


class LineDict(dict[str, Any]):
    """A mapping with the line of the mapping itself and the line of each key."""

    line: int
    key_lines: dict[str, int]

    def __init__(self, items: Iterable[tuple[str, Any]] = (), line: int = 0,
                 key_lines: dict[str, int] | None = None):
        super().__init__(items)
        self.line = line
        self.key_lines = key_lines if key_lines is not None else {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A sequence with the line of the sequence itself and the line of each item."""

    line: int
    item_lines: list[int]

    def __init__(self, items: Iterable[Any] = (), line: int = 0,
                 item_lines: list[int] | None = None):
        super().__init__(items)
        self.line = line
        self.item_lines = item_lines if item_lines is not None else []

    def line_of(self, index: int) -> int:
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


def line_of(value: Any, default: int) -> int:
    """The line where ``value`` starts, if it is a located container."""
    return getattr(value, "line", 0) or default


def child_line(container: Any, key: Any, default: int) -> int:
    """The line of ``container[key]``, else ``default``."""
    if isinstance(container, LineDict) and isinstance(key, str):
        return container.key_lines.get(key) or default
    if isinstance(container, LineList) and isinstance(key, int) \
            and 0 <= key < len(container.item_lines):
        return container.item_lines[key] or default
    return default


def line_at(root: Any, path: Sequence[Any], default: int) -> int:
    """The line of the deepest element of ``path`` (keys and indexes) that exists under ``root``.

    ``default`` is the line of ``root`` itself (e.g. of the key that holds it).

    Falls back to the nearest parent that has a line: an error about a missing
    or malformed value points at the closest thing the user actually wrote.
    """
    line = default or line_of(root, 0)
    node = root
    for step in path:
        in_dict = isinstance(node, dict) and step in node
        in_list = isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        if not (in_dict or in_list):
            break
        line = child_line(node, step, line)
        node = node[step]
    return line


def pointer_parts(pointer: str, root: Any) -> list[Any]:
    """Split a JSON pointer into keys, turning list indexes into ints where ``root`` has lists."""
    if pointer in ("", "/"):
        return []
    parts: list[Any] = []
    node = root
    for raw in pointer.lstrip("/").split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and token.isdigit():
            index = int(token)
            parts.append(index)
            node = node[index] if index < len(node) else None
        else:
            parts.append(token)
            node = node.get(token) if isinstance(node, dict) else None
    return parts


def format_path(path: Iterable[Any]) -> str:
    """``["KeySchema", 0, "KeyType"]`` -> ``KeySchema[0].KeyType``."""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text += f".{step}" if text else str(step)
    return text
