"""How the DynamoDB store lays its rows out in one table, and keeps each item under DynamoDB's
400 KB limit.

Keys: ``pk`` is ``owner#<owner>`` for everything of one owner (one partition, read with one
Query per kind of row) and ``owners`` for the small index of owners; ``sk`` says what the
item is: ``inv#<id>``, ``status#<id>``, ``meta#<key>``, ``run#<id>``,
``change#<run>#<seq>``, ``counter#runs``, ``lease``. A row's fields travel as one JSON
string (``d``), or zlib-compressed (``z``) when that string is large.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from reconciler.errors import ReconcilerError

OWNERS_PK = "owners"
LEASE_SK = "lease"
RUN_COUNTER_SK = "counter#runs"

# DynamoDB refuses items over 400 KB (names and values counted); keep a margin for keys.
ITEM_BUDGET = 380_000
# Above this a row's JSON is stored compressed (inventory rows must never be cut).
COMPRESS_ABOVE = 64_000
# One transaction carries at most 100 items and 4 MB.
TRANSACTION_ITEMS = 100
TRANSACTION_BYTES = 3_500_000
# A reason longer than this (an AWS error message) is cut: it is for people to read.
REASON_LIMIT = 8_000
# A diff value longer than this (as JSON) is replaced by a note of its size when the diff
# as a whole does not fit in one item.
VALUE_LIMIT = 2_000

TRUNCATED = "(truncated)"  # the path of the marker entry that ends a cut diff


def owner_pk(owner: str) -> str:
    return f"owner#{owner}"


def run_sk(run_id: int) -> str:
    return f"run#{run_id:012d}"


def change_prefix(run_id: int) -> str:
    return f"change#{run_id:012d}#"


def change_sk(run_id: int, seq: int) -> str:
    return f"{change_prefix(run_id)}{seq:08d}"


def encode(pk: str, sk: str, data: dict[str, Any], what: str) -> dict[str, Any]:
    """The item holding ``data``; ``what`` names the row in the error when even compressed it
    is too large."""
    text = json.dumps(data, default=str, separators=(",", ":"))
    item: dict[str, Any] = {"pk": {"S": pk}, "sk": {"S": sk}}
    if len(text.encode()) <= COMPRESS_ABOVE:
        item["d"] = {"S": text}
        return item
    packed = zlib.compress(text.encode(), 6)
    if len(packed) > ITEM_BUDGET:
        raise ReconcilerError(f"{what} is too large for a DynamoDB item even compressed "
                              f"({len(packed)} bytes; the limit is 400 KB)")
    item["z"] = {"B": packed}
    return item


def decode(item: dict[str, Any]) -> dict[str, Any]:
    if "z" in item:
        return dict(json.loads(zlib.decompress(item["z"]["B"]).decode()))
    return dict(json.loads(item["d"]["S"]))


def size_of(item: dict[str, Any]) -> int:
    """Roughly what DynamoDB counts: names plus values."""
    total = 0
    for name, value in item.items():
        total += len(name)
        (kind, inner), = value.items()
        total += len(inner) if kind == "B" else len(str(inner).encode())
    return total


def cut_reason(reason: str | None) -> str | None:
    if reason is None or len(reason) <= REASON_LIMIT:
        return reason
    return reason[:REASON_LIMIT] + f"... ({len(reason) - REASON_LIMIT} more characters not kept)"


def fit_diff(diff: list[dict[str, Any]], budget: int = ITEM_BUDGET // 2) -> list[dict[str, Any]]:
    """``diff`` as it is when it fits in ``budget`` bytes of JSON; otherwise large values are
    replaced by a note of their size, and if that is not enough the entries that do not fit
    are dropped behind one marker entry (path ``(truncated)``) saying how many."""
    if _json_size(diff) <= budget:
        return diff
    kept: list[dict[str, Any]] = []
    used = 2
    for index, entry in enumerate(diff):
        small = {key: _small(value) if key in ("old", "new") else value
                 for key, value in entry.items()}
        size = _json_size(small) + 1
        if used + size > budget - 300:
            left = len(diff) - index
            kept.append({"path": TRUNCATED, "old": None,
                         "new": f"{left} more change(s) not kept: a DynamoDB item holds "
                                f"at most 400 KB"})
            break
        kept.append(small)
        used += size
    return kept


def _small(value: Any) -> Any:
    size = _json_size(value)
    if size <= VALUE_LIMIT:
        return value
    return f"{TRUNCATED} a value of {size} bytes as JSON"


def _json_size(value: Any) -> int:
    return len(json.dumps(value, default=str, separators=(",", ":")).encode())
