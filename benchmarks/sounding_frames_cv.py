"""Grouped CV: frame statistics over all frames (featurekit's) or over sounding frames only.

A question for issue 15 (real recordings): the ``default`` preset summarises
every frame feature (MFCCs, spectral shape, chroma, ZCR, RMS) by its mean and
deviation over all of a clip's frames, silence after the note included.  Real
recordings end in a noise floor rather than digital silence, and real notes
decay at their own pace, so statistics over the *sounding* frames only (those
within ``--db`` dB of the clip's loudest frame) might transfer better.  This
benchmark measures that the way every such choice is made here: cross-
validation grouped by independent source (``benchmarks/smote_budget.py``'s
folds: each render source held out in turn, training on the others and the
real dev notes; and 5 whole-instrument folds of the real dev notes), mean
family macro-F1 over the groups, for one pipeline (``--kind``, default
``rf``).

The variant is an experiment, not a featurekit option: the benchmark computes
it by replacing ``featurekit.features.engine``'s block function *in this
process* (the extraction runs with one worker so the replacement applies),
and writes its tables under ``--work`` beside real_transfer.py's.

Usage::

    python benchmarks/real_transfer.py --work W --pitch-step 6 --velocities 50,100 \\
        --no-augment --kinds rf                     # renders, renders-default, dev-default
    python benchmarks/sounding_frames_cv.py --work W --db 60

Measured: README, "Recognition on real recordings" (frame statistics over the
sounding frames only).
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
from featurekit.features import engine  # noqa: E402
from featurekit.features.presets import PRESETS  # noqa: E402
from featurekit.features.registry import FEATURES  # noqa: E402
from featurekit.schema import feature_column  # noqa: E402
from real_transfer import DEV, dev_corpus  # noqa: E402
from smote_budget import folds  # noqa: E402
from source_value import print_scores, score  # noqa: E402


def masked_statistic(x: np.ndarray, mask: np.ndarray, stat: str) -> np.ndarray:
    """``stat`` of ``x`` (B, T, k) over the frames where ``mask`` (B, T) holds -> (B, k)."""
    w = mask[..., None].astype(np.float64)
    n = np.maximum(w.sum(axis=1), 1)
    if stat == "mean":
        return (w * x).sum(axis=1) / n
    if stat == "std":
        mu = (w * x).sum(axis=1, keepdims=True) / n[:, None]
        return np.sqrt((w * (x - mu) ** 2).sum(axis=1) / n)
    reduce = {"min": np.nanmin, "max": np.nanmax, "median": np.nanmedian}[stat]
    return reduce(np.where(mask[..., None], x, np.nan), axis=1)


def sounding_blocks(db: float):
    """A replacement for the engine's block function: frame statistics over the
    frames within ``db`` dB of each clip's loudest (all frames of a silent clip)."""
    ratio = 10.0 ** (-db / 10.0)

    def blocks(a, preset):
        energy = a.power.sum(axis=-1)
        mask = energy >= ratio * energy.max(axis=1, keepdims=True)
        mask[energy.max(axis=1) <= 0] = True
        for name, stats in PRESETS[preset].items():
            feat = FEATURES[name]
            x = np.asarray(feat.func(a))
            for stat in stats:
                values = x if feat.kind == "clip" else masked_statistic(x, mask, stat)
                yield [feature_column(name, stat, i) for i in range(values.shape[1])], values

    return blocks


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True,
                    help="real_transfer.py's cache (renders/, renders-default/, dev-default/)")
    ap.add_argument("--dev", type=Path, default=DEV)
    ap.add_argument("--db", type=float, default=60.0,
                    help="sounding frames: within this many dB of the loudest frame")
    ap.add_argument("--kind", default="rf")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    tables = {"all frames": (args.work / "renders-default", args.work / "dev-default")}
    tag = f"sounding{args.db:g}"
    tables[f"sounding (within {args.db:g} dB)"] = (args.work / f"renders-default-{tag}",
                                                   args.work / f"dev-default-{tag}")
    engine._blocks = sounding_blocks(args.db)
    for corpus, out in ((args.work / "renders", tables[f"sounding (within {args.db:g} dB)"][0]),
                        (dev_corpus(args.work, args.dev), tables[f"sounding (within {args.db:g} dB)"][1])):
        if not (out / "featurekit.json").exists():
            t0 = time.perf_counter()
            fk.extract(corpus, out, preset="default", n_jobs=1, progress=False)
            print(f"extracted {out.name} ({time.perf_counter() - t0:.0f} s)", flush=True)
    for label, (r, d) in tables.items():
        t0 = time.perf_counter()
        renders, dev = fk.load_features(r), fk.load_features(d)
        res = score(args.kind, list(folds(renders, dev, 5, args.seed)), None, args.seed, args.jobs)
        print_scores(f"{args.kind} {label:<24}", res, t0)


if __name__ == "__main__":
    main()
