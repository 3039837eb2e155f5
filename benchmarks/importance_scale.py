"""How long do permutation importances take on a full-NSynth-size table?

Builds a synthetic feature table of ``--rows`` notes (default 305,979, the
size of NSynth) x the default preset's columns (``benchmarks/train_scale.py``'s
table: NSynth's family imbalance, ~1,000 instruments), split by instrument into
NSynth's split sizes (``test`` 4,096 notes, ``valid`` 12,678, the rest
``train``), trains the packaged ``rf`` on it (once; the model directory is
kept and reused) and prints the wall time of
``featurekit.importances(model, table, method)`` for ``permutation`` and
``group-permutation`` on ``--cores`` cores (default 2).

With ``--split cv`` every note gets split ``all``: the model is
cross-validated (GroupKFold by instrument) and refitted on all notes, so its
held-out rows are all 305,979 out-of-fold notes; importances then score a
seeded subsample of ``max_samples`` of them (default 20,000) drawn from as few
folds as hold that many rows, refitting the pipeline once per fold used.

Target (issue 13): each method <= 5 minutes on 2 cores.  Wall time is only
meaningful on an otherwise idle machine; CPU time (user + system, all
threads) is printed too.

Measured 2026-12-01 on the idle 2-core VM, at full size
(``python benchmarks/importance_scale.py --model-dir DIR``)::

    importance_scale: 305,979 synthetic rows x 203 columns (nsynth split: {'train': 288936,
      'valid': 12889, 'test': 4154}), 2 cores; table built in 3.5 s
    trained rf in 994.4 s (CPU 1943.8 s), macro-F1 0.997 on 4,154 notes
    method                 wall      CPU  rows scored  columns
    group-permutation     33.9s    37.9s        4,154      174   (target <= 300 s: met)
    permutation          177.8s   318.0s        4,154      174   (target <= 300 s: met)
    peak RSS 7.60 GB

(The synthetic table is easy - macro-F1 0.997 - so these are timings, not
importances to read.)

Usage::

    python benchmarks/importance_scale.py --model-dir /tmp/rf306k        # train once, then time
    python benchmarks/importance_scale.py --model-dir /tmp/rf306k --train-only
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

#: NSynth's split sizes (test, valid); the rest of the rows are ``train``.
NSYNTH_TEST, NSYNTH_VALID = 4_096, 12_678


def make_table(n_rows: int, seed: int = 0, split: str = "nsynth"):
    """The synthetic table of train_scale.py with NSynth-like instrument-disjoint splits."""
    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from train_scale import make_table as base_table

    from featurekit.config import ExtractionConfig

    table = base_table(n_rows, seed)
    if split == "nsynth":
        # Whole instruments go to test, then valid, in a seeded order, until each holds its size.
        rng = np.random.default_rng(seed + 1)
        counts = table["instrument_str"].value_counts()
        order = rng.permutation(counts.index.to_numpy())
        names = np.full(len(order), "train", dtype=object)
        total, target = 0, NSYNTH_TEST
        which = "test"
        for i, inst in enumerate(order):
            if which == "test" and total >= NSYNTH_TEST:
                which, total, target = "valid", 0, NSYNTH_VALID
            if which == "valid" and total >= target:
                break
            names[i] = which
            total += int(counts[inst])
        table["split"] = table["instrument_str"].map(dict(zip(order, names)))
    else:
        table["split"] = "all"
    table.attrs["featurekit"] = ExtractionConfig().to_dict()
    return table


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=305_979)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--split", choices=["nsynth", "cv"], default="nsynth")
    ap.add_argument("--model-dir", required=True, help="trained here once, then reused")
    ap.add_argument("--methods", default="group-permutation,permutation")
    ap.add_argument("--n-repeats", type=int, default=5)
    ap.add_argument("--train-only", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:args.cores])

    import featurekit

    t0 = time.perf_counter()
    table = make_table(args.rows, args.seed, args.split)
    print(f"importance_scale: {len(table):,} synthetic rows x {table.shape[1]} columns "
          f"({args.split} split: {table['split'].value_counts().to_dict()}), "
          f"{args.cores} cores; table built in {time.perf_counter() - t0:.1f} s", flush=True)
    model_dir = Path(args.model_dir)
    if not (model_dir / "model.json").is_file():
        t, c = time.perf_counter(), _cpu_s()
        res = featurekit.train(table, "rf", out=model_dir, n_jobs=args.cores, seed=args.seed)
        print(f"trained rf in {time.perf_counter() - t:.1f} s (CPU {_cpu_s() - c:.1f} s), "
              f"macro-F1 {res.metrics['macro_f1']:.3f} on {res.metrics['n_test']:,} notes",
              flush=True)
    if args.train_only:
        return 0
    print(f"{'method':18s} {'wall':>8s} {'CPU':>8s} {'rows scored':>12s} {'columns':>8s}  rows")
    for method in args.methods.split(","):
        t, c = time.perf_counter(), _cpu_s()
        df = featurekit.importances(model_dir, table, method, n_repeats=args.n_repeats,
                                    seed=args.seed, n_jobs=args.cores)
        wall, cpu = time.perf_counter() - t, _cpu_s() - c
        info = df.attrs["importance"]
        print(f"{method:18s} {wall:7.1f}s {cpu:7.1f}s {info['n_rows']:12,d} "
              f"{int(df['n_columns'].sum()):8d}  {info['rows']}  "
              f"(target <= 300 s: {'met' if wall <= 300 else 'MISSED'})", flush=True)
        print("  top 3:", ", ".join(f"{f} {v:.4f}" for f, v in
                                    zip(df["feature"][:3], df["importance_mean"][:3])), flush=True)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
