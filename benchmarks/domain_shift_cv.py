"""Grouped CV: drop the feature columns that tell renders from real notes.

A question for issue 15 (real recordings): some columns separate the
SoundFont renders from real NSynth notes whatever the instrument (the
note's level, its release, the noise floor's flatness); a model that leans
on them learns the recording chain, not the instrument.  This benchmark
drops them and measures the result the way every such choice is made here:
cross-validation grouped by independent source (``benchmarks/smote_budget.py``'s
folds: each render source held out in turn, training on the others and the
real dev notes; and 5 whole-instrument folds of the real dev notes), mean
family macro-F1 over the groups.

In each fold, from that fold's training rows only: for every column, the
AUC of "real note vs render" within each family that has at least 10 of
both, averaged over those families (within a family, so that the renders'
and the real notes' different family mixes do not count as a shift).
Columns whose AUC is further than ``t`` from 0.5 are held at 0 in that fold
(``source_value.score``'s ``blank``), useless to every member of a vote;
``t = 0.5`` drops nothing (the baseline).

Usage::

    python benchmarks/real_transfer.py --work W --pitch-step 6 --velocities 50,100 \\
        --no-augment --kinds musicnn-vote          # renders-transfer/, dev-transfer/
    python benchmarks/domain_shift_cv.py --work W --kind musicnn-vote --thresholds 0.5,0.3,0.2

Measured: README, "Recognition on real recordings" (columns that tell
renders from real notes).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import featurekit as fk  # noqa: E402
from real_transfer import TARGET, preset_for  # noqa: E402
from smote_budget import folds  # noqa: E402
from source_value import print_scores, score  # noqa: E402

REAL_LIBRARY = "nsynth"   # the `library` of the real dev notes' rows
MIN_PER_SIDE = 10


def domain_auc(X: np.ndarray, real: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-column AUC of real vs render, averaged over families with both.

    Parameters
    ----------
    X : ndarray, shape (n_rows, n_columns)
    real : ndarray of bool, shape (n_rows,)
        True for a real note's row.
    y : ndarray, shape (n_rows,)
        Family labels.

    Returns
    -------
    ndarray, shape (n_columns,)
        0.5: the column does not tell the two apart; 0 or 1: it always does.
        All 0.5 where no family has ``MIN_PER_SIDE`` rows of each.
    """
    from scipy.stats import rankdata

    aucs = []
    for fam in np.unique(y):
        m = y == fam
        n1 = int(real[m].sum())
        n0 = int(m.sum()) - n1
        if min(n0, n1) < MIN_PER_SIDE:
            continue
        ranks = rankdata(X[m], axis=0)
        u = ranks[real[m]].sum(axis=0) - n1 * (n1 + 1) / 2   # Mann-Whitney U
        aucs.append(u / (n1 * n0))
    return np.mean(aucs, axis=0) if aucs else np.full(X.shape[1], 0.5)


def blank_shifted(threshold: float, dropped: list):
    """``score``'s ``blank``: the columns with |AUC - 0.5| > ``threshold``."""
    def blank(train, cols):
        auc = domain_auc(train[cols].to_numpy(np.float64),
                         (train["library"] == REAL_LIBRARY).to_numpy(), train[TARGET].to_numpy())
        mask = np.abs(auc - 0.5) > threshold
        dropped.append(int(mask.sum()))
        return mask
    return blank


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True,
                    help="real_transfer.py's cache (renders-<preset>/, dev-<preset>/)")
    ap.add_argument("--kind", default="musicnn-vote")
    ap.add_argument("--thresholds", default="0.5,0.3,0.2",
                    help="drop columns with |AUC - 0.5| above each (0.5: drop none)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    preset = preset_for(args.kind)
    renders = fk.load_features(args.work / f"renders-{preset}")
    dev = fk.load_features(args.work / f"dev-{preset}")
    all_folds = list(folds(renders, dev, 5, args.seed))
    for t in (float(v) for v in args.thresholds.split(",")):
        t0, dropped = time.perf_counter(), []
        res = score(args.kind, all_folds, None, args.seed, args.jobs,
                    blank=blank_shifted(t, dropped) if t < 0.5 else None)
        print_scores(f"{args.kind} |AUC-0.5| <= {t:g} (dropped per fold: {dropped or 0})", res, t0)


if __name__ == "__main__":
    main()
