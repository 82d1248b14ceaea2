"""Prefect flows over the library (:mod:`checks.pipeline`, :mod:`checks.gate`): they only orchestrate.

Importing this package turns telemetry and analytics off before Prefect or GX is imported (an
explicit setting in the environment still wins), and gives a temporary API server (a run without
``prefect server start``) time to start on a slow machine.
"""

from __future__ import annotations

import os

for _name, _value in (("PREFECT_SERVER_ANALYTICS_ENABLED", "false"), ("GX_ANALYTICS_ENABLED", "False"),
                      ("DO_NOT_TRACK", "1"), ("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")):
    os.environ.setdefault(_name, _value)
