"""Cross-validation grouped by source, and whether adding a sample source helps.

A candidate source (e.g. FreePats, ``featurekit.synth.gus``) is judged by
cross-validation grouped by independent source, never by the real
instruments reported in README: the folds are those of
``benchmarks/smote_budget.py`` (leave one recording chain out: FluidR3 +
MuseScore_General | TimGM6mb + sf_GMbank | OPL-3, training on the other
renders and every real dev note; and 5 folds of whole real dev instruments,
training on every render and the other real instruments, pooled), each fit
once without and once with the candidate's renders added to its training
rows.  The candidate is never scored.  Score: family macro-F1 (and
accuracy) per held-out group, and the mean of the macro-F1s.  Without
``--add`` it prints the grouped CV of each pipeline alone (the way the
packaged pipelines' parameters are chosen); each pipeline reads the tables of
its own preset (``renders-<preset>``, ``dev-<preset>``).

Usage::

    python benchmarks/real_transfer.py --work W --kinds rf --pitch-step 6 --velocities 50,100
    featurekit synth -s freepats.sf2 --out C --pitch-step 6 --velocities 50,100
    featurekit extract C --out CF
    python benchmarks/source_value.py --work W --add CF --kinds rf
    python benchmarks/source_value.py --work W --kinds logreg,musicnn-logreg

Measured: see README, "Recognition on real recordings".
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import featurekit as fk  # noqa: E402
from featurekit.models.pipeline import build_pipeline  # noqa: E402
from featurekit.models.spec import load_spec, select_columns  # noqa: E402
from real_transfer import TARGET, preset_for  # noqa: E402
from smote_budget import folds  # noqa: E402


def score(kind: str, all_folds, extra, seed: int, jobs: int, blank=None) -> dict:
    """Macro-F1 / accuracy per held-out group, training each fold on its rows (+ ``extra``).

    ``blank(train, cols)``, if given, returns a boolean mask of the columns to
    hold at 0 in that fold (train and test alike): computed from the fold's
    training rows only, it makes those columns useless to every member."""
    from sklearn.metrics import accuracy_score, f1_score

    spec = load_spec(kind)
    res, dev_true, dev_pred = {}, [], []
    for name, train, test in all_folds:
        if extra is not None:
            train = pd.concat([train, extra], ignore_index=True)
        cols = select_columns(spec, train.columns)
        X, X_test = train[cols].to_numpy(np.float32), test[cols].to_numpy(np.float32)
        if blank is not None:
            mask = blank(train, cols)
            X[:, mask] = 0
            X_test[:, mask] = 0
        pipe = build_pipeline(spec, cols, seed=seed, n_jobs=jobs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipe.fit(X, train[TARGET].to_numpy())
            pred = pipe.predict(X_test)
        if name.startswith("dev"):
            dev_true += list(test[TARGET])
            dev_pred += list(pred)
        else:
            res[name] = (f1_score(test[TARGET], pred, average="macro"),
                         accuracy_score(test[TARGET], pred))
    res["dev"] = (f1_score(dev_true, dev_pred, average="macro"),
                  accuracy_score(dev_true, dev_pred))
    return res


def print_scores(label: str, res: dict, t0: float) -> None:
    """One line: ``label``, each group's macro-F1/accuracy, their mean F1, seconds since ``t0``."""
    print(f"{label} "
          + "  ".join(f"{k} {f1:.3f}/{acc:.3f}" for k, (f1, acc) in res.items())
          + f"  mean F1 {np.mean([f1 for f1, _ in res.values()]):.3f}"
          + f"  ({time.perf_counter() - t0:.0f} s)", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True,
                    help="real_transfer.py's cache (renders-default/, dev-default/)")
    ap.add_argument("--add", type=Path, action="append",
                    help="feature table(s) of the candidate source's renders")
    ap.add_argument("--kinds", default="rf")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    extra = (pd.concat([fk.load_features(p) for p in args.add], ignore_index=True)
             if args.add else None)
    for kind in args.kinds.split(","):
        preset = preset_for(kind)
        renders = fk.load_features(args.work / f"renders-{preset}")
        dev = fk.load_features(args.work / f"dev-{preset}")
        all_folds = list(folds(renders, dev, 5, args.seed))
        print(f"{kind}: {len(renders)} renders ({', '.join(sorted(renders['library'].unique()))}), "
              f"{len(dev)} real dev notes"
              + (f", candidate {len(extra)} notes ({', '.join(sorted(extra['library'].unique()))})"
                 if extra is not None else ""), flush=True)
        for label, add in (("without", None), ("with", extra))[:2 if extra is not None else 1]:
            t0 = time.perf_counter()
            res = score(kind, all_folds, add, args.seed, args.jobs)
            print_scores(f"{kind:<10} {label:<8}", res, t0)


if __name__ == "__main__":
    main()
