"""Errors that are the user's to fix: shown as one line naming the file (and line), never a traceback."""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input or configuration. ``exit_code`` is what the CLI exits with."""

    exit_code = 3

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


def yaml_loader():
    """PyYAML's safe loader, the C one (libyaml) when PyYAML has it: the same documents and errors,
    about ten times faster (the rule catalogue and the templates are read by every command)."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path, what: str, error: type[UserError] = UserError):
    """The parsed YAML file at ``path``; ``error`` naming the file when it cannot be read or parsed.

    ``what`` says what the file is for, e.g. ``"the waivers"``.
    """
    from pathlib import Path

    import yaml

    p = Path(path)
    try:
        return yaml.load(p.read_text(encoding="utf-8"), Loader=yaml_loader())
    except OSError as e:
        raise error(f"{p}: cannot read {what} ({e.strerror or e})") from None
    except yaml.YAMLError as e:
        raise error(f"{p}: not valid YAML ({str(e).splitlines()[0]})") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as e:   # e.g. an impossible date: 2026-02-30
        raise error(f"{p}: {what}: a value cannot be read ({(str(e).splitlines() or [type(e).__name__])[0]})") \
            from None
