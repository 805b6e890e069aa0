"""JSON pointers into Properties, and the patterns kinds declare with ``*`` for any segment."""

from __future__ import annotations

from collections.abc import Iterable

Path = tuple[str, ...]


def pointer(path: Iterable[str]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in path)


def split_pointer(text: str) -> Path:
    if not text or text == "/":
        return ()
    return tuple(p.replace("~1", "/").replace("~0", "~") for p in text.lstrip("/").split("/"))


def matches(pattern: Path, path: Path) -> bool:
    """``pattern`` equals ``path`` with ``*`` standing for any one segment."""
    return len(pattern) == len(path) and all(p in ("*", s) for p, s in zip(pattern, path,
                                                                               strict=True))


def under(prefix: Path, path: Path) -> bool:
    return len(path) >= len(prefix) and matches(prefix, path[: len(prefix)])
