"""How robust is a trained model to what real recordings do and NSynth's notes do not?

NSynth's notes (and featurekit's renders) all start at their onset, last 4 s,
are 16 kHz and end in digital silence.  Sample-library files and users'
recordings do not.  This benchmark rewrites the 1,999 real notes of
``../shared/nsynth-test-dev`` with one such difference at a time (seeded),
extracts each copy with the model's own extraction config and scores the
model on it (instrument family):

* ``clean``: the notes as published;
* ``gap``: 0.1-0.5 s of digital silence before each note (uniform);
* ``noise``: a white noise floor at -70 dBFS under the whole file;
* ``rate``: resampled to 44.1 kHz (the model resamples back);
* ``short``: cut to 0.3-1.5 s (uniform) with a 20 ms fade-out;
* ``quiet``: scaled by -30 to -10 dB (uniform): a soft note or a quiet
  recording (NSynth's notes peak near -1 dBFS whatever their velocity).

The model should be trained without the dev notes (renders alone), else it
is scored on notes it saw.  What a user runs::

    featurekit train musicnn-vote --features RENDERS --fit-all --out MODEL
    python benchmarks/real_robustness.py --model MODEL --work W

Measured: see README, "Recognition on real recordings".
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import featurekit as fk  # noqa: E402

TARGET = "instrument_family_str"
DEV = next((p / "shared" / "nsynth-test-dev" for p in (ROOT.parent, ROOT.parent.parent)
            if (p / "shared" / "nsynth-test-dev").is_dir()), ROOT.parent / "shared" / "nsynth-test-dev")


def gap(y, sr, rng):
    """0.1-0.5 s of digital silence before the note."""
    return np.concatenate([np.zeros(int(rng.uniform(0.1, 0.5) * sr), y.dtype), y]), sr


def noise(y, sr, rng):
    """A white noise floor at -70 dBFS (RMS) under the whole file."""
    return (y + rng.standard_normal(len(y)) * 10 ** (-70 / 20)).astype(y.dtype), sr


def rate(y, sr, rng):
    """The note resampled to 44.1 kHz."""
    import soxr

    return soxr.resample(y, sr, 44100).astype(y.dtype), 44100


def short(y, sr, rng):
    """The note cut to 0.3-1.5 s, with a 20 ms linear fade-out."""
    y = y[: int(rng.uniform(0.3, 1.5) * sr)].copy()
    fade = min(len(y), int(0.02 * sr))
    y[len(y) - fade:] *= np.linspace(1, 0, fade, dtype=y.dtype)
    return y, sr


def quiet(y, sr, rng):
    """The note scaled by -30 to -10 dB (uniform)."""
    return (y * 10 ** (rng.uniform(-30, -10) / 20)).astype(y.dtype), sr


PERTURBATIONS = {"gap": gap, "noise": noise, "rate": rate, "short": short, "quiet": quiet}


def perturbed_copy(dev: Path, out: Path, name: str, seed: int) -> Path:
    """``dev`` (NSynth layout, FLAC) rewritten through ``PERTURBATIONS[name]`` as 16-bit WAVs."""
    import soundfile as sf

    if (out / "examples.json").exists():
        return out
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "audio").mkdir(parents=True)
    shutil.copy(dev / "examples.json", tmp / "examples.json")
    rng = np.random.default_rng(seed)
    for f in sorted((dev / "audio").glob("*.flac")):
        y, sr = sf.read(f, dtype="float32")
        y, sr = PERTURBATIONS[name](y, sr, rng)
        sf.write(tmp / "audio" / f"{f.stem}.wav", np.clip(y, -1, 1), sr, subtype="PCM_16")
    tmp.rename(out)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, required=True, help="a featurekit model directory")
    ap.add_argument("--work", type=Path, required=True, help="cache folder (copies, tables)")
    ap.add_argument("--dev", type=Path, default=DEV)
    ap.add_argument("--perturbations", default=",".join(PERTURBATIONS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", type=Path, help="also write the rows here")
    args = ap.parse_args(argv)
    names = args.perturbations.split(",")
    unknown = sorted(set(names) - set(PERTURBATIONS))
    if unknown:
        ap.error(f"unknown perturbation(s) {unknown}; choose from {sorted(PERTURBATIONS)}")
    model = fk.load_model(args.model)
    config = model.extraction_config
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    print(f"model {args.model} ({model.meta.get('kind', '?')}), trim_db={config.trim_db}")
    print(f"{'notes':<8} {'accuracy':>8} {'bal.acc':>8} {'macro-F1':>8}", flush=True)
    for name in ["clean", *names]:
        corpus = args.dev if name == "clean" else perturbed_copy(
            args.dev, args.work / f"dev-{name}", name, args.seed)
        table = args.work / f"dev-{name}-{config.preset}-trim{config.trim_db}"
        fk.extract(corpus, table, config=config, n_jobs=args.jobs, progress=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # classes absent from the dev set
            m = fk.evaluate(model, table, target=TARGET).metrics
        row = {"notes": name, **{k: round(m[k], 3)
                                 for k in ("accuracy", "balanced_accuracy", "macro_f1")}}
        rows.append(row)
        print(f"{name:<8} {row['accuracy']:>8.3f} {row['balanced_accuracy']:>8.3f} "
              f"{row['macro_f1']:>8.3f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
