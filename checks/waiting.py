"""How long to wait for a warehouse another process holds, and whom to tell (no heavy imports:
the command line sets it before any command runs).

DuckDB allows one writing process per file; a second ``gongkai`` process on the same warehouse
waits for it (``--wait SECONDS``, default ``GONGKAI_WAIT`` or 30 s) and says so once, instead of
failing at once with DuckDB's lock message.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Callable

_wait: contextvars.ContextVar = contextvars.ContextVar("gongkai_wait", default=(None, None))


def current() -> tuple[float | None, Callable[[str], None] | None]:
    """(seconds or None for the default, on_wait callback or None)."""
    return _wait.get()


def set_seconds(seconds: float | None) -> None:
    """Set the wait for the rest of this context (the ``--wait`` option's callback)."""
    if seconds is not None:
        _wait.set((seconds, _wait.get()[1]))


@contextlib.contextmanager
def waiting(seconds: float | None = None, on_wait: Callable[[str], None] | None = None):
    """Within the block, opening a warehouse that another process holds waits up to ``seconds``
    (None: the default) and calls ``on_wait(message)`` once when it starts waiting."""
    token = _wait.set((seconds, on_wait))
    try:
        yield
    finally:
        _wait.reset(token)
