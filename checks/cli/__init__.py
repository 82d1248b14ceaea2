"""The ``gongkai`` command: a thin layer over the library, one module per command group.

Every command wraps one library call, takes ``--db`` when it touches the warehouse and ``--json``
/ ``--quiet`` when it prints results, and turns a user error into one line on stderr and an exit
code (never a traceback). Exit codes: 0 clean, 1 problems found in the data, 2 only warnings
(where asked), 3 the tool could not do its work (bad input file, no input found, bad config,
unreadable warehouse), 64 a usage error (unknown option or command, bad option value).
"""

from __future__ import annotations

from checks.cli.common import app, main  # noqa: F401
from checks.cli import load, extract, check, expectations, run, gate, report  # noqa: F401,E402  (each registers its commands)
from checks.cli import doctor  # noqa: F401,E402  (issue 12: gongkai doctor)
from checks.cli import crossyear  # noqa: F401,E402  (issue 9: gongkai agencies, gongkai history)
from checks.cli import generate  # noqa: F401,E402  (issue 13: gongkai generate)
