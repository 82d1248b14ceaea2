"""What the flows share: each library step as a Prefect task, retries for transient file-system
errors only, and the final state of a run that tells the truth about the data."""

from __future__ import annotations

import errno

import flows  # noqa: F401  (analytics off before prefect is imported)
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed

TRANSIENT_ERRNOS = {errno.EAGAIN, errno.EBUSY, errno.EINTR, errno.ETIMEDOUT, errno.ESTALE, errno.EIO,
                    errno.ENFILE, errno.EMFILE}
"""Errors worth a retry: a busy or stale file (network share), too many open files, an interrupted call."""


def transient(task, task_run, state) -> bool:
    """Retry condition: only an ``OSError`` with a transient errno (or a timeout); never a data
    problem, a user error or a bug."""
    try:
        state.result()
    except TimeoutError:
        return True
    except OSError as e:
        return e.errno in TRANSIENT_ERRNOS
    except BaseException:
        return False
    return False


@task(name="step", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2, retry_condition_fn=transient)
def step(fn, *args, **kwargs):
    """One library call (a function of checks.pipeline or checks.gate) as a Prefect task named after it."""
    return fn(*args, **kwargs)


def as_task(fn, *args, **kwargs):
    """``pipeline.run``'s ``step`` wrapper: run ``fn`` as the task :func:`step`, named after it."""
    return step.with_options(name=fn.__name__.removesuffix("_step"))(fn, *args, **kwargs)


def final_state(exit_code: int, message: str, data: dict):
    """The flow run's final state: Completed when the data passed (exit 0); otherwise Failed, named
    "Data warnings" (exit 2: only warnings, with fail_on warning) or "Data errors" (errors, quarantined
    rows, or an input file that could not be read), with the summary as its message."""
    if exit_code == 0:
        return Completed(message=message, data=data)
    name = "Data warnings" if exit_code == 2 else "Data errors"
    return Failed(name=name, message=f"{name}: {message}", data=data)


def exit_code_of(state) -> int:
    """The exit code a run of a flow that ends in :func:`final_state` stands for (3 when it crashed)."""
    try:
        data = state.result(raise_on_failure=False)
    except Exception:
        return 3
    return int(data["exit_code"]) if isinstance(data, dict) and "exit_code" in data else 3
