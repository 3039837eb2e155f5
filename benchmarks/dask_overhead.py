"""Benchmark: extraction on a 2-worker Dask LocalCluster vs local joblib (loky).

Both runs extract the same notes with the same number of single-threaded
worker processes, so the ratio of wall times is the cost of going through
Dask (scheduler round trips, task pickling, workers writing their shards)
rather than loky.  Printed, for an NSynth-format corpus of >= 2,000 notes
(synthetic tones by default, or any corpus given with --corpus):

* loky, ``n_jobs=WORKERS``, and dask on a running cluster of WORKERS
  single-threaded worker processes (the LocalCluster featurekit starts,
  :func:`featurekit.distributed.joblib_backend`), reached by its scheduler
  address as a real cluster would be: a first run each (starts / warms the
  workers), then ``--repeats`` warm runs each, interleaved;
* ``backend="dask"`` without a scheduler: start a LocalCluster, extract,
  close it, end to end;
* wall time and CPU-ms per note (user+sys of the whole process tree:
  driver, scheduler, workers), and the overhead ratio dask / loky of the
  best warm runs (target: <= 1.2x wall).

Every run writes a fresh output directory and the tables are checked equal.
On a busy machine compare the CPU figures: wall times follow the load.

Usage::

    python benchmarks/dask_overhead.py                 # 2,112 tone notes, 2 workers
    python benchmarks/dask_overhead.py --corpus /data/nsynth-test --workers 4
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from extract_speed import make_corpus  # noqa: E402  (the same tone corpus)


def tree_cpu() -> float:
    """CPU seconds (user+sys) of this process and all its descendants, live or exited.

    Exited descendants count through their parents' ``children_*`` times
    (a LocalCluster's workers once it is closed, for instance).
    """
    import psutil

    me = psutil.Process()
    total = 0.0
    for proc in [me, *me.children(recursive=True)]:
        try:
            t = proc.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            pass
    return total


def timed(corpus, out, **kwargs):
    """(wall s, CPU s of the process tree) of one extraction into a fresh ``out``."""
    import featurekit as fk

    cpu0, t0 = tree_cpu(), time.perf_counter()
    result = fk.extract(corpus, out, progress=False, **kwargs)
    wall, cpu = time.perf_counter() - t0, tree_cpu() - cpu0
    assert result.n_written == result.n_listed - result.n_failures, result.summary()
    return wall, cpu


def show(label, wall, cpu, n):
    print(f"  {label:<42} {wall:7.2f} s wall  {1000 * cpu / n:6.2f} CPU-ms/note", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, help="NSynth-format corpus (default: synthesise tones)")
    ap.add_argument("--notes", type=int, default=2000, help="tone notes to synthesise (default 2000)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes on both sides (default 2)")
    ap.add_argument("--repeats", type=int, default=2, help="warm runs of each, interleaved (default 2)")
    ap.add_argument("--chunk-size", type=int, default=None, help="notes per task (default: extract's)")
    ap.add_argument("--workdir", type=Path, help="where to write corpora and tables (default: a temp dir)")
    args = ap.parse_args(argv)

    import dask
    import pandas as pd

    import featurekit as fk
    from featurekit.distributed import joblib_backend

    work = Path(tempfile.mkdtemp(prefix="fk-dask-bench-", dir=args.workdir))
    try:
        corpus = args.corpus or make_corpus(work / "corpus", args.notes)
        n = len(fk.read_corpus(corpus).notes)
        opts = {"chunk_size": args.chunk_size} if args.chunk_size else {}
        print(f"{n} notes, {args.workers} workers x 1 thread on both sides, {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f}, dask {dask.__version__}")
        runs = iter(range(10**6))
        loky = lambda: timed(corpus, work / f"run{next(runs)}", n_jobs=args.workers, **opts)  # noqa: E731

        t0 = time.perf_counter()
        with joblib_backend("dask", n_workers=args.workers) as client:
            print(f"  {'LocalCluster start':<42} {time.perf_counter() - t0:7.2f} s wall")
            on_cluster = lambda: timed(corpus, work / f"run{next(runs)}",  # noqa: E731
                                       scheduler=client.scheduler.address, **opts)
            show("loky, first run (starts workers)", *loky(), n)
            show("dask cluster, first run (imports)", *on_cluster(), n)
            warm = {"loky": [], "dask": []}
            for _ in range(args.repeats):  # interleaved, so load drift hits both alike
                warm["loky"].append(loky())
                warm["dask"].append(on_cluster())
        for name, times in warm.items():
            for i, (wall, cpu) in enumerate(times):
                show(f"{name}, warm run {i + 1}", wall, cpu, n)
        show("dask, start + extract + close LocalCluster",
             *timed(corpus, work / "end-to-end", backend="dask", n_jobs=args.workers, **opts), n)

        tables = sorted(work.glob("run*")) + [work / "end-to-end"]
        reference = fk.load_features(tables[0])
        for out in tables[1:]:
            pd.testing.assert_frame_equal(fk.load_features(out), reference)
        print(f"  tables: all {len(tables)} equal")
        (lw, lc), (dw, dc) = (min(warm[k]) for k in ("loky", "dask"))
        print(f"\noverhead dask / loky (best warm runs): {dw / lw:.2f}x wall (target <= 1.2x), "
              f"{dc / lc:.2f}x CPU")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
