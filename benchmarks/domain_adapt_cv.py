"""Does "frustratingly easy" domain adaptation help renders + real notes?

Daume III (2007), "Frustratingly easy domain adaptation": each training row
``x`` (standardised) becomes ``[x, lam*x, 0]`` for a render and ``[x, 0,
lam*x]`` for a real note, so a linear model learns weights shared by both
domains plus a correction of its own for each; a real recording to predict is
encoded ``[x, 0, lam*x]``.  Only the renders+real case can use it (renders
alone have no real rows), so it is scored on the 5 whole-instrument folds of
the real dev notes (the folds of ``real_transfer.py``: each trained on every
render and the real instruments of the other folds, scored on its own,
pooled), with ``musicnn-logreg``'s pipeline (standard scaler, SMOTE, logistic
regression C = 0.003) on the ``transfer`` tables; ``plain`` is that pipeline
as packaged.  With adaptation the columns are standardised before they are
split into blocks (over each fold's training rows) and the pipeline's own
scaler is off, so ``lam`` sets how cheap a domain's own correction is for the
L2 penalty.

Usage::

    python benchmarks/real_transfer.py --work W --pitch-step 6 --velocities 50,100 \\
        --no-augment --kinds musicnn-vote
    python benchmarks/domain_adapt_cv.py --work W --modes plain,1,0.5

Measured: see README, "Recognition on real recordings".
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import featurekit as fk  # noqa: E402
from featurekit.models.pipeline import build_pipeline  # noqa: E402
from featurekit.models.spec import load_spec, select_columns  # noqa: E402
from real_transfer import TARGET, dev_folds  # noqa: E402

KIND = "musicnn-logreg"


def augment(X, real, lam):
    """``[x, lam*x*render, lam*x*real]`` per row (``real`` a boolean per row)."""
    real = np.asarray(real, bool)[:, None]
    return np.hstack([X, lam * X * ~real, lam * X * real]).astype(np.float32)


def main(argv=None):
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.preprocessing import StandardScaler

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True,
                    help="real_transfer.py's cache (renders-transfer/, dev-transfer/)")
    ap.add_argument("--modes", default="plain,1",
                    help="'plain' (no adaptation) and/or values of lam")
    ap.add_argument("--keep-scaler", action="store_true",
                    help="leave the pipeline's scaler on with adaptation too (it undoes lam)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    renders = fk.load_features(args.work / "renders-transfer")
    dev = fk.load_features(args.work / "dev-transfer")
    spec = load_spec(KIND)
    cols = select_columns(spec, renders.columns)
    Xr, Xd = renders[cols].to_numpy(np.float32), dev[cols].to_numpy(np.float32)
    yr, yd = renders[TARGET].to_numpy(), dev[TARGET].to_numpy()
    print(f"{KIND}: {len(renders)} renders, {len(dev)} real dev notes of "
          f"{dev['instrument_str'].nunique()} instruments, 5 folds pooled", flush=True)
    for mode in args.modes.split(","):
        t0, pred = time.perf_counter(), np.empty(len(dev), dtype=object)
        for te in dev_folds(dev, 5, args.seed):
            keep = np.ones(len(dev), bool)
            keep[te] = False
            X, y = np.vstack([Xr, Xd[keep]]), np.concatenate([yr, yd[keep]])
            X_test, names = Xd[te], cols
            if mode != "plain":
                real = np.r_[np.zeros(len(Xr), bool), np.ones(keep.sum(), bool)]
                scaler = StandardScaler().fit(X)
                X = augment(scaler.transform(X), real, float(mode))
                X_test = augment(scaler.transform(X_test), np.ones(len(te), bool), float(mode))
                names = [f"c{i}" for i in range(X.shape[1])]
            # the blocks are standardised already; the pipeline's scaler would
            # undo ``lam`` (and give the sparse domain blocks unit variance)
            own = spec if mode == "plain" or args.keep_scaler else replace(spec, scaler="none")
            pipe = build_pipeline(own, names, seed=args.seed, n_jobs=args.jobs)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pipe.fit(X, y)
                pred[te] = pipe.predict(X_test)
        label = "plain" if mode == "plain" else f"lam {mode}"
        print(f"{label:<8} real dev macro-F1 {f1_score(yd, pred, average='macro'):.3f}  "
              f"accuracy {accuracy_score(yd, pred):.3f}  ({time.perf_counter() - t0:.0f} s)",
              flush=True)


if __name__ == "__main__":
    main()
