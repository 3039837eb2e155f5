"""Where joblib runs: local processes, threads, or a Dask cluster.

Everything parallel in featurekit (feature extraction, forest fitting, grid
search, permutation importance) goes through joblib, so one context manager,
:func:`joblib_backend`, decides where it all runs::

    from featurekit.distributed import joblib_backend

    with joblib_backend("dask", scheduler="tcp://head:8786"):
        featurekit.extract("/shared/nsynth", "/shared/feats")

With ``"dask"`` and no scheduler it starts a :class:`dask.distributed.LocalCluster`
of single-threaded worker processes and closes it on exit.  Dask is an
optional extra (``pip install 'featurekit[dask]'``), imported only here and
only when asked for.

Workers of a cluster read the corpus and write their Parquet shards
themselves, so the corpus and the output directory must be on storage every
machine sees under the same path.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import numbers
import os

from .errors import ClusterError, ConfigError

#: joblib's own backends, always available.
LOCAL_BACKENDS = ("loky", "threading", "multiprocessing", "sequential")

#: Backends that a helper package registers with joblib on import:
#: name -> (module, registering function, pip requirement).
PLUGIN_BACKENDS = {
    "ray": ("ray.util.joblib", "register_ray", "ray"),
    "spark": ("joblibspark", "register_spark", "joblibspark"),
}

#: Environment variables that size the BLAS / OpenMP thread pools of a process.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


_DASK_MISSING = "the dask backend needs dask.distributed; install with pip install 'featurekit[dask]'"


def check_backend(backend: str | None) -> str | None:
    """Validate a joblib backend name (``None`` means joblib's active default).

    Accepted: joblib's own backends (``loky``, ``threading``,
    ``multiprocessing``, ``sequential``), ``dask``, any backend already
    registered with :func:`joblib.register_parallel_backend`, and ``ray`` /
    ``spark``, which are registered here when their package is installed.

    Raises
    ------
    ConfigError
        An unknown name, or a known one whose package is not installed; the
        message names the value.
    """
    if backend is None:
        return None
    from joblib.parallel import BACKENDS

    if not isinstance(backend, str) or not backend.strip():
        raise ConfigError(f"backend must be a joblib backend name, got {backend!r}")
    backend = backend.strip().lower()
    if backend == "dask":
        _import_distributed()
        return backend
    if backend in BACKENDS or backend in LOCAL_BACKENDS:
        return backend
    if backend in PLUGIN_BACKENDS:
        module, register, requirement = PLUGIN_BACKENDS[backend]
        try:
            getattr(importlib.import_module(module), register)()
        except ImportError:
            raise ConfigError(
                f"backend {backend!r} needs {requirement}; install with pip install {requirement}"
            ) from None
        return backend
    known = sorted({*LOCAL_BACKENDS, "dask", *PLUGIN_BACKENDS, *BACKENDS})
    raise ConfigError(f"unknown backend {backend!r}; choose from {', '.join(known)}")


def _import_distributed():
    try:
        import dask.distributed
    except ImportError:
        raise ConfigError(_DASK_MISSING) from None
    return dask.distributed


def worker_count(n_jobs) -> int:
    """The number of workers ``n_jobs`` asks for, joblib's way (the one rule of featurekit).

    ``N >= 1`` is ``N``; ``-1`` is every core, ``-2`` all but one, and so on
    (at least 1).

    Raises
    ------
    ConfigError
        0, a bool, ``None`` or a non-integer (the message names the value).
    """
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0:
        raise ConfigError(f"n_jobs must be a positive number of workers or negative to count back "
                          f"from all cores (-1: all, -2: all but one), got {n_jobs!r}")
    cores = os.cpu_count() or 1
    return max(1, cores + 1 + int(n_jobs)) if n_jobs < 0 else int(n_jobs)


def thread_caps(n_processes: int, cores: int | None = None) -> dict:
    """Environment capping BLAS/OpenMP threads of ``n_processes`` workers on one machine.

    Each worker gets ``cores // n_processes`` threads (at least 1), the rule
    joblib's loky backend applies to its own workers, so that workers do not
    oversubscribe the cores.
    """
    cores = cores or os.cpu_count() or 1
    per_worker = str(max(1, cores // max(1, n_processes)))
    return {name: per_worker for name in THREAD_VARIABLES}


def joblib_backend(backend: str | None = None, scheduler: str | None = None,
                   n_workers: int | None = None):
    """A context manager that runs the joblib code inside it on ``backend``.

    The arguments are checked at once; the cluster (if any) is started or
    connected on entering the block and closed on leaving it.

    Parameters
    ----------
    backend : str, optional
        ``None`` leaves joblib's active configuration alone (loky processes by
        default); ``"loky"``, ``"threading"``, ``"dask"``, ``"ray"``,
        ``"spark"`` or any registered joblib backend selects that one (see
        :func:`check_backend`).  ``scheduler`` alone implies ``"dask"``.
    scheduler : str, optional
        Address of a running Dask scheduler, e.g. ``"tcp://head:8786"``.
        Without it, ``"dask"`` uses, in order: the ``scheduler-address`` of
        the Dask configuration (``DASK_SCHEDULER_ADDRESS``), the current
        :class:`dask.distributed.Client` of this process, or a new
        ``LocalCluster`` that is closed on exit.
    n_workers : int, optional
        Worker processes of a new ``LocalCluster`` (one thread each; default:
        one per core).  Ignored when connecting to a scheduler: the cluster's
        worker threads set the parallelism.

    Returns
    -------
    context manager
        Yields the :class:`dask.distributed.Client` for ``"dask"``, ``None``
        for other backends.

    Raises
    ------
    ConfigError
        Unknown backend, dask not installed, ``scheduler`` with a backend
        other than dask, a bad ``n_workers`` (at once); a scheduler that
        cannot be reached (on entering).

    Notes
    -----
    Workers of a new ``LocalCluster`` get the BLAS/OpenMP thread caps of
    :func:`thread_caps`; workers started with ``dask worker`` get one thread
    per pool from Dask's nanny (``distributed.nanny.pre-spawn-environ``).

    Examples
    --------
    >>> with joblib_backend("threading"):
    ...     featurekit.extract(corpus, out)  # doctest: +SKIP
    """
    if scheduler is not None:
        if not isinstance(scheduler, str) or not scheduler.strip():
            raise ConfigError(f"scheduler must be an address like 'tcp://host:8786', got {scheduler!r}")
        scheduler = scheduler.strip()
        if backend is None:
            backend = "dask"
    backend = check_backend(backend)
    if scheduler is not None and backend != "dask":
        raise ConfigError(f"a scheduler address needs backend 'dask', got backend {backend!r}")
    if n_workers is not None and (isinstance(n_workers, bool) or not isinstance(n_workers, numbers.Integral)
                                  or n_workers < 1):
        raise ConfigError(f"n_workers must be a positive integer, got {n_workers!r}")
    return _backend_context(backend, scheduler, n_workers)


@contextlib.contextmanager
def _backend_context(backend, scheduler, n_workers):
    from joblib import parallel_config

    if backend is None:
        yield None
    elif backend != "dask":
        with parallel_config(backend=backend):
            yield None
    else:
        distributed = _import_distributed()
        from concurrent.futures import CancelledError
        from distributed.comm import CommClosedError

        with _dask_client(scheduler, n_workers) as client:
            try:
                with parallel_config(backend=_dask_backend_class()(client=client)):
                    yield client
            except (distributed.KilledWorker, CancelledError, CommClosedError) as exc:
                raise ClusterError(
                    f"the Dask cluster lost this job ({type(exc).__name__}: {exc}); check the "
                    "workers' logs and memory, then re-run (extraction resumes where it stopped)"
                ) from exc


@functools.cache
def _dask_backend_class():
    """joblib's Dask backend, made to report tasks the cluster gave up on.

    When the scheduler marks a task as erred without running it to the end
    (``KilledWorker`` after workers died on it ``allowed-failures`` times,
    a cancelled future), joblib's ``DaskDistributedBackend`` (joblib 1.6)
    stores the exception but never calls joblib's completion callback, so
    ``Parallel`` waits forever.  This subclass of the class joblib registers
    as ``"dask"`` (from the private ``joblib._dask``) calls the callback with
    the exception, which ``retrieve_result_callback`` raises into
    ``Parallel``; it overrides only those two methods of joblib's backend
    interface.
    """
    from joblib._dask import DaskDistributedBackend

    class _Lost:
        def __init__(self, exc):
            self.exc = exc

    class ReportingDaskBackend(DaskDistributedBackend):
        def submit(self, func, callback=None):
            future = super().submit(func, callback)
            if callback is not None:
                def report_loss(f):
                    if not f.cancelled() and f.exception() is not None:
                        callback(_Lost(f.exception()))
                future.add_done_callback(report_loss)
            return future

        def retrieve_result_callback(self, out):
            if isinstance(out, _Lost):
                raise out.exc
            return super().retrieve_result_callback(out)

    return ReportingDaskBackend


@contextlib.contextmanager
def _dask_client(scheduler, n_workers):
    """A client of the scheduler, the current one, or of a new LocalCluster; closes what it opened."""
    import dask

    distributed = _import_distributed()
    scheduler = scheduler or dask.config.get("scheduler-address", None)
    if scheduler is None:
        current = _current_client(distributed)
        if current is not None:
            yield current
            return
    with contextlib.ExitStack() as stack:
        if scheduler is None:
            n_workers = int(n_workers or os.cpu_count() or 1)
            # No dashboard, so no use for the statistical profiler (a sampling thread in each worker);
            # the scheduler's health endpoint goes on any free port, not 8787.
            with dask.config.set({"distributed.worker.profile.enabled": False}):
                cluster = stack.enter_context(distributed.LocalCluster(
                    n_workers=n_workers, threads_per_worker=1, processes=True,
                    env=thread_caps(n_workers),
                    dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"}))
            address = cluster.scheduler_address
        else:
            address = scheduler
        try:
            client = distributed.Client(address, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError(f"cannot connect to Dask scheduler {address!r}: {exc}") from None
        stack.enter_context(client)
        yield client


def _current_client(distributed):
    try:
        return distributed.Client.current(allow_global=True)
    except ValueError:  # no client in this process
        return None
