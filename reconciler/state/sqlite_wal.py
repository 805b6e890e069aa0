"""Checks on the SQLite files that SQLite itself would pass over in silence.

SQLite ignores a write-ahead log it cannot verify (a bad header, or frames whose
checksums fail), so a damaged WAL loses committed transactions without an error.
Before opening, while no other connection has the store open, the log is read as
SQLite's file format describes it (header, salts, cumulative checksums): frames of the
current log that follow a damaged one mean committed writes would be dropped. A
damaged last frame alone is what a crash mid-write leaves, and is not reported.

``in_use`` tells whether another connection is alive: every open connection holds a
shared lock on the dead-man-switch byte of the ``-shm`` file (SQLite's unix VFS).
"""

from __future__ import annotations

import fcntl
import os
import struct
from pathlib import Path

_MAGIC = (0x377F0682, 0x377F0683)  # checksums little-endian, big-endian
_HEADER, _FRAME_HEADER = 32, 24
_DMS_BYTE = 128  # (22 + SQLITE_SHM_NLOCK) * 4 + SQLITE_SHM_NLOCK, SQLITE_SHM_NLOCK = 8


def in_use(db_path: Path) -> bool:
    """Whether another process has the database open (this one's own handles excepted:
    POSIX locks never conflict within a process)."""
    try:
        fd = os.open(f"{db_path}-shm", os.O_RDWR)
    except FileNotFoundError:
        return False  # no connection is alive without its shared-memory file
    except OSError:
        return True  # cannot tell: assume the worst, touch nothing
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _DMS_BYTE)
    except OSError:
        return True
    finally:
        os.close(fd)  # releases the probe lock with the descriptor
    return False


def wal_damage(db_path: Path) -> str | None:
    """Why ``db_path``'s write-ahead log would lose committed writes; None when it would
    not (no log, an empty one, a valid one, or only a torn last frame)."""
    wal = Path(f"{db_path}-wal")
    try:
        data = wal.read_bytes()
    except FileNotFoundError:
        return None
    if not data:
        return None
    if len(data) < _HEADER:
        return f"{wal.name} is shorter than a log header ({len(data)} bytes)"
    magic, version, page_size, _, salt1, salt2, c1, c2 = struct.unpack(">8I", data[:_HEADER])
    if magic not in _MAGIC or version != 3007000 or page_size < 512 \
            or page_size & (page_size - 1):
        return f"{wal.name} does not start with a write-ahead log header"
    big = magic == _MAGIC[1]
    if _checksum(data[:24], 0, 0, big) != (c1, c2):
        return f"{wal.name}: the log header's checksum fails"
    s1, s2 = c1, c2
    frame = _FRAME_HEADER + page_size
    broken_at: int | None = None
    for offset in range(_HEADER, len(data) - frame + 1, frame):
        head = struct.unpack(">6I", data[offset:offset + _FRAME_HEADER])
        current = head[2:4] == (salt1, salt2)
        if broken_at is not None:
            if current:
                return (f"{wal.name}: the frame at byte {broken_at} is damaged and "
                        "committed frames follow it")
            continue
        if not current:  # the end of this log (an earlier log's frames may follow)
            broken_at = offset
            continue
        s1, s2 = _checksum(data[offset:offset + 8], s1, s2, big)
        s1, s2 = _checksum(data[offset + _FRAME_HEADER:offset + frame], s1, s2, big)
        if (s1, s2) != head[4:6]:
            broken_at = offset
    return None


def _checksum(data: bytes, s1: int, s2: int, big: bool) -> tuple[int, int]:
    """SQLite's WAL checksum: over 32-bit word pairs, in the log's byte order."""
    words = struct.unpack(f"{'>' if big else '<'}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s1 = (s1 + words[i] + s2) & 0xFFFFFFFF
        s2 = (s2 + words[i + 1] + s1) & 0xFFFFFFFF
    return s1, s2
