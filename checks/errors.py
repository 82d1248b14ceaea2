"""Errors that are the user's to fix: shown as one line naming the file (and line), never a traceback."""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input or configuration. ``exit_code`` is what the CLI exits with."""

    exit_code = 3

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
