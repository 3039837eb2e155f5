"""``--jobs/-j N`` (with ``--n-jobs`` as a hidden alias): the worker-count option of train and predict.

Meant to join the shared ``featurekit/cli/options.py``; until then it lives here.
``--jobs 0`` (or any count below -1) is a one-line error naming the value.
"""

from __future__ import annotations

import functools

import click

from ..errors import ConfigError

__all__ = ["jobs_option", "check_jobs"]


def check_jobs(value):
    """``value`` if it is None, a positive count or -1; else a :class:`ConfigError`.

    The message names ``--jobs`` also when the hidden alias ``--n-jobs`` was used.
    """
    if value is not None and not (value >= 1 or value == -1):
        raise ConfigError(f"--jobs must be a positive number of workers or -1 (all cores), "
                          f"got {value}")
    return value


def jobs_option(default=None, help="Workers to use (-1: all cores)."):
    """Decorator adding ``--jobs/-j`` (param ``n_jobs``) and the hidden alias ``--n-jobs``."""

    def decorate(f):
        @functools.wraps(f)
        def wrapper(*args, n_jobs_alias=None, **kwargs):
            if n_jobs_alias is not None:
                kwargs["n_jobs"] = check_jobs(n_jobs_alias)
            else:
                kwargs["n_jobs"] = check_jobs(kwargs.get("n_jobs"))
            return f(*args, **kwargs)

        wrapper = click.option("--n-jobs", "n_jobs_alias", type=int, default=None, hidden=True)(wrapper)
        return click.option("--jobs", "-j", "n_jobs", type=int, default=default,
                            show_default=default is not None, help=help)(wrapper)

    return decorate
