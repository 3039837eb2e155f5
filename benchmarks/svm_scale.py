"""Exact RBF SVM vs its scalable Nystroem path: macro-F1 and fit time on the same split.

The packaged ``svm`` pipeline fits :class:`featurekit.models.scalable_svm.ScalableSVC`,
which switches from libsvm to Nystroem features + a linear SVM (SGD) above
``EXACT_MAX_SAMPLES`` rows.  This benchmark fits the pipeline twice on the
same instrument-disjoint split, once per solver, and prints both macro-F1
scores (the target: the scalable path within 2 points of the exact one).

Data: a synthetic table with NSynth's family imbalance and instrument
structure (``--rows``, default 20,000; ``benchmarks/train_scale.make_table``),
or an extracted feature table (``--table DIR``), split by instrument
(``GroupShuffleSplit``, 25 % of the instruments held out).

Usage::

    python benchmarks/svm_scale.py                     # synthetic, 20,000 rows
    python benchmarks/svm_scale.py --table FEATURES_DIR
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main(argv=None):
    import numpy as np
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GroupShuffleSplit
    from threadpoolctl import threadpool_limits

    import featurekit as fk
    from featurekit.models.pipeline import build_pipeline
    from featurekit.models.spec import load_spec, select_columns
    from train_scale import make_table

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--table", help="an extracted feature directory instead of synthetic rows")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--solvers", default="exact,nystroem")
    ap.add_argument("--noise", type=float, default=0.0,
                    help="extra Gaussian noise (std) on the synthetic features: a harder task")
    args = ap.parse_args(argv)

    table = fk.load_features(args.table) if args.table else make_table(args.rows, args.seed)
    spec = load_spec("svm")
    cols = select_columns(spec, table.columns)
    X = np.array(table[cols].to_numpy(np.float32))  # writable
    if args.noise and not args.table:
        X += args.noise * np.random.default_rng(args.seed + 1).standard_normal(X.shape, dtype=np.float32)
    y = table["instrument_family_str"].astype(str).to_numpy()
    groups = table["instrument_str"].astype(str).to_numpy()
    train, test = next(GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=args.seed)
                       .split(X, y, groups))
    source = args.table or f"synthetic {args.rows:,} rows, extra noise {args.noise}"
    print(f"svm_scale: {source}; {len(train):,} train / {len(test):,} test rows, "
          f"{len(cols)} columns, instrument-disjoint; {args.cores} cores (machine shared)")
    scores = {}
    for solver in args.solvers.split(","):
        pipe = build_pipeline(spec, cols, seed=args.seed)
        pipe.set_params(classifier__estimator__solver=solver)
        with threadpool_limits(limits=args.cores), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t, c = time.perf_counter(), _cpu_s()
            pipe.fit(X[train], y[train])
            fit_s, cpu_s = time.perf_counter() - t, _cpu_s() - c
            pred = pipe.predict(X[test])
        scores[solver] = f1_score(y[test], pred, average="macro")
        used = pipe.named_steps["classifier"].calibrated_classifiers_[0].estimator.solver_
        print(f"  {solver:9s} (solver_={used}): macro-F1 {scores[solver]:.3f}, fit {fit_s:.0f} s wall, "
              f"{cpu_s:.0f} s CPU", flush=True)
    if {"exact", "nystroem"} <= set(scores):
        gap = 100 * (scores["exact"] - scores["nystroem"])
        print(f"  exact - nystroem: {gap:+.1f} macro-F1 points "
              f"(target <= 2: {'met' if gap <= 2 else 'MISSED'})")
    print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
