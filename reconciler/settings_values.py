"""The flag value parsers of ``reconciler.settings``: each raises ``ArgumentTypeError``
with a message fit for the user (argparse prints it, the environment path wraps it)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable

from reconciler.state.base import DEFAULT_HISTORY_DAYS, DEFAULT_HISTORY_RUNS, HistoryLimit

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration(text: str | float) -> float:
    """``30s``, ``5m``, ``1h``, ``7d``, ``250ms`` or plain seconds, as seconds."""
    if isinstance(text, int | float):
        return float(text)
    match = _DURATION.match(text)
    if not match:
        raise argparse.ArgumentTypeError(
            f"invalid duration {text!r}: use 30s, 5m, 1h, 7d or plain seconds")
    value = float(match.group(1)) * _UNIT[match.group(2)]
    if value <= 0:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: must be positive")
    return value


def parse_wait(text: str | float) -> float:
    """A duration, or 0 (``--wait-timeout 0``: do not wait)."""
    if text == 0 or (isinstance(text, str) and re.fullmatch(r"\s*0+(\.0*)?\s*(ms|s|m|h)?\s*",
                                                             text)):
        return 0.0
    return parse_duration(text)


def integer(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below the minimum of {minimum}")
        return value
    return parse


def percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{value:g} is not a percentage (0 to 100)")
    return value


def parameter(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r}: expected KEY=VALUE")
    return key, value


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def boolean(text: str) -> bool:
    if text.strip().lower() in _TRUE:
        return True
    if text.strip().lower() in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"{text!r}: use true or false (1/0, yes/no)")


def history_keep(text: str) -> HistoryLimit:
    """``500`` (runs), ``30d`` (age), or both: ``500,30d``; what is not given keeps its
    default."""
    runs, days = DEFAULT_HISTORY_RUNS, DEFAULT_HISTORY_DAYS
    parts = [p.strip() for p in text.split(",")]
    if not 1 <= len(parts) <= 2 or not all(parts):
        raise argparse.ArgumentTypeError(
            f"invalid history limit {text!r}: use N runs, an age such as 30d, or both: 500,30d")
    for part in parts:
        if part.isdigit():
            runs = integer(1)(part)
        else:
            try:
                days = parse_duration(part) / 86400
            except argparse.ArgumentTypeError:
                raise argparse.ArgumentTypeError(
                    f"invalid history limit {text!r}: {part!r} is neither a number of runs "
                    "nor an age such as 30d") from None
    return HistoryLimit(runs, days)
