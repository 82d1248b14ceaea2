"""Atomic file writes: a reader (or a kill -9) never sees a half-written file in place of a good one.

Everything the tool writes for people (exports, the site, status.json, GX Data Docs pages it
post-processes) is written to a temporary file in the same folder, flushed, and moved over the
target with :func:`os.replace` (atomic on POSIX). A crash leaves at most a ``.*.tmp`` file next
to the old, intact target; :func:`sweep` removes such leftovers.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

TMP_SUFFIX = ".tmp"


@contextlib.contextmanager
def target(path: str | Path) -> Iterator[Path]:
    """A temporary path to write ``path``'s new content to; moved over ``path`` when the block ends
    without an exception (and removed when it raises)."""
    from checks.warehouse import fault_point

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:80]}.", suffix=TMP_SUFFIX, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        fault_point("write")
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_bytes(path: str | Path, data: bytes) -> Path:
    with target(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    return write_bytes(path, text.encode(encoding))


def sweep(folder: str | Path) -> list[Path]:
    """Remove temporary files a killed writer left in ``folder`` (recursively); returns them."""
    gone = []
    for p in Path(folder).rglob(f".*{TMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            p.unlink()
            gone.append(p)
    return gone
