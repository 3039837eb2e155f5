"""Click options and helpers shared by several commands, so they read and fail the same way.

:func:`jobs_option` is the one worker-count option: ``--jobs/-j N`` (with
``--n-jobs`` kept as a hidden alias), validated by :func:`check_jobs`;
:func:`cluster_options` adds ``--backend`` and ``--scheduler`` (the arguments of
:func:`featurekit.distributed.joblib_backend`).
:func:`echo_warnings` prints featurekit's warnings as ``featurekit: warning: ...``
lines on stderr; :func:`cli_wording` turns library parameter names in error
messages into the command's flag names.
"""

from __future__ import annotations

import contextlib
import functools
import warnings

import click

from ..errors import ConfigError, FeaturekitError, FeaturekitWarning

__all__ = ["JOBS_HELP", "check_jobs", "jobs_option", "cluster_options", "echo_warnings",
           "cli_wording"]

#: Help text of ``--jobs`` (commands may append to it).
JOBS_HELP = "Worker processes: N, or -1 for all cores (-2 all but one, ...)."


def check_jobs(value) -> int:
    """Read a ``--jobs`` value: a non-zero integer, else a one-line :class:`ConfigError`.

    Parameters
    ----------
    value : int or str
        What the user gave.

    Returns
    -------
    int
        The worker count, negative ones counting back from all cores (-1 = all).
    """
    try:
        jobs = int(value)
        if isinstance(value, float) and value != jobs:
            raise ValueError
    except (TypeError, ValueError):
        jobs = None
    if jobs is None or jobs == 0 or isinstance(value, bool):
        raise ConfigError(f"--jobs must be a non-zero integer (N workers, or -1 for all cores, "
                          f"-2 for all but one), got {value!r}")
    return jobs


def jobs_option(help: str = JOBS_HELP, default: int | None = -1):
    """Decorator adding ``--jobs/-j N`` (and the hidden alias ``--n-jobs``) to a command.

    The command receives ``jobs`` as a checked ``int`` (see :func:`check_jobs`);
    a bad value, or ``--jobs`` and ``--n-jobs`` both given with different
    values, is a one-line :class:`~featurekit.errors.ConfigError`.
    """
    def decorate(f):
        @functools.wraps(f)
        def command(*args, jobs, n_jobs_alias=None, **kwargs):
            if n_jobs_alias is not None:
                if jobs is not None and check_jobs(jobs) != check_jobs(n_jobs_alias):
                    raise ConfigError(f"--jobs {jobs} and --n-jobs {n_jobs_alias} disagree; "
                                      "give --jobs only")
                jobs = n_jobs_alias
            if jobs is None and default is None:  # the library's own default
                return f(*args, jobs=None, **kwargs)
            return f(*args, jobs=check_jobs(default if jobs is None else jobs), **kwargs)

        command.__click_params__ = list(getattr(f, "__click_params__", []))
        command = click.option("--n-jobs", "n_jobs_alias", default=None, hidden=True,
                               metavar="N")(command)
        return click.option("--jobs", "-j", "jobs", default=None, metavar="N",
                            help=help if default is None else f"{help}  [default: {default}]")(command)
    return decorate


def cluster_options(runs: str, local: str = "a local cluster", note: str = ""):
    """Decorator adding ``--backend NAME`` and ``--scheduler URL`` to a command.

    Parameters
    ----------
    runs : str
        Start of ``--backend``'s help: what runs there, e.g. ``"Where the work runs"``.
    local : str
        What ``--backend dask`` starts without a scheduler.
    note : str
        A sentence appended to ``--scheduler``'s help.
    """
    def decorate(f):
        f = click.option("--scheduler", metavar="URL", default=None,
                         help="Dask scheduler address, e.g. tcp://head:8786 (implies --backend "
                              f"dask); without it --backend dask starts {local}."
                              + (f" {note}" if note else ""))(f)
        return click.option("--backend", metavar="[loky|threading|dask|ray|spark]", default=None,
                            help=f"{runs}: loky local processes (default); dask a Dask cluster "
                                 "(pip install 'featurekit[dask]'); ray or spark when "
                                 "installed.")(f)
    return decorate


@contextlib.contextmanager
def echo_warnings():
    """Print each :class:`~featurekit.errors.FeaturekitWarning` raised inside as one stderr line.

    Other warnings are passed on untouched, once the recording has stopped (shown
    inside it, they would be recorded again, without end).
    """
    caught = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", FeaturekitWarning)
            yield
    finally:
        for w in caught:
            if issubclass(w.category, FeaturekitWarning):
                click.echo(f"featurekit: warning: {w.message}", err=True)
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)


@contextlib.contextmanager
def cli_wording(names: dict):
    """Re-raise a :class:`~featurekit.errors.FeaturekitError` with library names replaced.

    ``names`` maps what the library's message says (``"overwrite=True"``) to
    what a command-line user types (``"--overwrite"``).
    """
    try:
        yield
    except FeaturekitError as exc:
        text = str(exc)
        for api, flag in names.items():
            text = text.replace(api, flag)
        if text == str(exc):
            raise
        raise type(exc)(text) from None
