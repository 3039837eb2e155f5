"""Grouped cross-validation of the share of renders given a short copy (``synth --short-copies``).

Groups, as the issue defines them: each independent render source
(FluidR3+MuseScore | TimGM6mb+sf_GMbank | OPL-3 | FreePats) and 5 folds of
whole real dev instruments.  A held-out render group is scored on its 4 s
notes and on their short copies; a dev fold on the dev notes as published and
on the same notes cut to 0.3-1.5 s (``real_robustness.py``'s ``short``).
Training rows: the other groups' 4 s renders, a share of their short copies
(a seeded draw per row) and the real dev notes outside the fold.  Printed:
macro-F1 (family) per group, full-length / short, and their means.

Inputs come from the other benchmarks (their caches)::

    python benchmarks/real_transfer.py --work W --pitch-step 6 --velocities 50,100 \\
        --no-augment --kinds musicnn-vote          # renders with every short copy
    python benchmarks/real_robustness.py --model M --work R --perturbations short
    python benchmarks/short_copies_cv.py --work W --robust-work R --shares 0,0.25,1

Measured: README, "Recognition on real recordings" (robustness).
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
from real_transfer import TARGET, dev_folds  # noqa: E402
from smote_budget import SOURCES  # noqa: E402


def main(argv=None):
    from sklearn.metrics import f1_score

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True,
                    help="real_transfer.py's cache (renders-PRESET/, dev-PRESET/)")
    ap.add_argument("--robust-work", type=Path, required=True,
                    help="real_robustness.py's cache (dev-short-PRESET-trimDB/)")
    ap.add_argument("--kind", default="musicnn-vote")
    ap.add_argument("--shares", default="0,0.25,1")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    spec = load_spec(args.kind)
    preset = spec.features.preset or "default"
    renders = fk.load_features(args.work / f"renders-{preset}")
    dev = fk.load_features(args.work / f"dev-{preset}")
    trim = renders.attrs["featurekit"].get("trim_db")
    short_dev = fk.load_features(args.robust_work / f"dev-short-{preset}-trim{trim}")
    short_dev = short_dev.set_index("note_str").loc[dev["note_str"]].reset_index()
    cols = select_columns(spec, renders.columns)
    is_short = renders["note_id"].str.endswith("-short.wav").to_numpy()
    draw = np.random.default_rng(args.seed).random(len(renders))
    group = renders["library"].map(lambda s: SOURCES.get(s, s)).to_numpy()

    def fit(train):
        pipe = build_pipeline(spec, cols, seed=args.seed, n_jobs=args.jobs)
        return pipe.fit(train[cols].to_numpy(np.float32), train[TARGET].to_numpy())

    def predict(model, table):
        return model.predict(table[cols].to_numpy(np.float32)).astype(str)

    print(f"{len(renders)} render rows ({is_short.sum()} short copies), {len(dev)} real notes",
          flush=True)
    for share in (float(s) for s in args.shares.split(",")):
        t0, res = time.perf_counter(), {}
        use = ~is_short | (draw < share)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for g in sorted(set(group)):
                model = fit(pd.concat([renders[use & (group != g)], dev]))
                res[g] = [f1_score(t[TARGET], predict(model, t), average="macro")
                          for t in (renders[(group == g) & ~is_short],
                                    renders[(group == g) & is_short])]
            full, short = np.empty(len(dev), object), np.empty(len(dev), object)
            for te in dev_folds(dev, 5, args.seed):
                keep = np.ones(len(dev), bool)
                keep[te] = False
                model = fit(pd.concat([renders[use], dev[keep]]))
                full[te] = predict(model, dev.iloc[te])
                short[te] = predict(model, short_dev.iloc[te])
            res["dev"] = [f1_score(dev[TARGET], p.astype(str), average="macro")
                          for p in (full, short)]
        f, s = (np.mean([v[i] for v in res.values()]) for i in (0, 1))
        print(f"share {share:g}: " + " ".join(f"{k} {a:.3f}/{b:.3f}" for k, (a, b) in res.items())
              + f"  mean full {f:.3f} short {s:.3f} ({time.perf_counter() - t0:.0f} s)",
              flush=True)


if __name__ == "__main__":
    main()
