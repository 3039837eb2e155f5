"""How well do models trained on SoundFont renders recognise REAL recordings?

Scores every packaged pipeline (and the classic recipe, mfcc40-rf) on the 25
real NSynth test instruments of ``../shared/nsynth-test-dev`` (instrument
family; accuracy, balanced accuracy, macro-F1 over the families present):

* ``renders``: trained on the default renders alone (every row: no split),
  scored on all 25 real instruments;
* ``renders+real``: leave-instruments-out over the 25: 5 folds of whole
  instruments (stratified by family), each trained on the renders plus the
  real instruments of the other 4 folds and scored on its own; the
  predictions of the 5 folds are pooled.

What a user runs, step by step (the benchmark does the same through the
library, caching each step under ``--work``)::

    featurekit synth --out R              # defaults (here: --pitch-step/--velocities)
    featurekit extract R --out FR         # the pipeline's preset: --preset mfcc40 for
                                          # mfcc40-rf, --preset transfer for musicnn-logreg
    featurekit extract DEV --out FD
    featurekit train KIND --features FR --features FD_TRAIN --fit-all --out M
    featurekit evaluate M --features FD_HELD_OUT

Each fit is that path through the library functions the CLI calls:
``featurekit.train([renders, real_train], KIND, fit_all=True)`` then
``featurekit.evaluate(model, real_held_out)`` (which also checks that no scored
instrument was seen in training).

The dev notes are FLAC; if ``extract`` cannot read them yet, they are decoded
to WAV under ``--work`` first (never into the repository).

Measured: see README, "Recognition on real recordings".

Usage::

    python benchmarks/real_transfer.py --work /tmp/rt --pitch-step 6 --velocities 50,100
    python benchmarks/real_transfer.py --work /tmp/rt --kinds rf,mfcc40-rf --no-augment
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import featurekit as fk  # noqa: E402
import featurekit.synth  # noqa: E402,F401
from featurekit.models.metrics import compute_metrics  # noqa: E402
from featurekit.models.spec import available_pipelines, load_spec  # noqa: E402

TARGET = "instrument_family_str"
# ../shared/nsynth-test-dev beside the repository (or beside a worktree folder)
DEV = next((p / "shared" / "nsynth-test-dev" for p in (ROOT.parent, ROOT.parent.parent)
            if (p / "shared" / "nsynth-test-dev").is_dir()), ROOT.parent / "shared" / "nsynth-test-dev")
KINDS = ("mfcc40-rf", "rf", "extratrees", "ensemble", "hgb", "logreg", "svm", "musicnn-logreg",
         "musicnn-vote")


def preset_for(kind: str) -> str:
    """The preset a pipeline's table is extracted with: its spec's, else mfcc40 / default."""
    return load_spec(kind).features.preset or ("mfcc40" if kind == "mfcc40-rf" else "default")


def render(work: Path, args) -> Path:
    out = work / "renders"
    if not (out / "synth_instruments.csv").exists():
        kwargs = {}
        if args.augment is not None:
            kwargs["augment"] = args.augment
        if args.pitch_range is not None:
            kwargs["pitch_range"] = args.pitch_range
        result = fk.synth.render_corpus(None, out, velocities=args.velocities,
                                        pitch_step=args.pitch_step, n_jobs=args.jobs,
                                        progress=False, overwrite=True, **kwargs)
        print(result.summary().splitlines()[0], flush=True)
    return out


def extract(corpus: Path, out: Path, preset: str, jobs: int) -> pd.DataFrame:
    if not (out / "featurekit.json").exists():
        fk.extract(corpus, out, preset=preset, n_jobs=jobs, progress=False)
    return fk.load_features(out)


def dev_corpus(work: Path, dev: Path) -> Path:
    """The dev set as extract can read it: as is where the NSynth reader takes FLAC
    (``audio/<note_str>.flac``), else decoded to WAV under ``work``."""
    if _nsynth_reads_flac():
        return dev
    out = work / "dev-wav" / "nsynth-test"
    if not (out / "examples.json").exists():
        import soundfile as sf

        (out / "audio").mkdir(parents=True, exist_ok=True)
        for f in sorted((dev / "audio").glob("*.flac")):
            x, sr = sf.read(f, dtype="int16")
            sf.write(out / "audio" / (f.stem + ".wav"), x, sr, subtype="PCM_16")
        shutil.copy(dev / "examples.json", out / "examples.json")
    return out.parent


def _nsynth_reads_flac() -> bool:
    import inspect

    try:
        from featurekit.corpus import nsynth
    except ImportError:  # featurekit before corpus/ became a package
        return False
    return ".flac" in inspect.getsource(nsynth)


def dev_folds(dev: pd.DataFrame, n: int, seed: int = 0) -> list[np.ndarray]:
    """``n`` folds of whole dev instruments, stratified by family."""
    from sklearn.model_selection import StratifiedGroupKFold

    cv = StratifiedGroupKFold(n, shuffle=True, random_state=seed)
    return [te for _, te in cv.split(dev, dev[TARGET], dev["instrument_str"])]


def fit_predict(kind: str, train: list, test: pd.DataFrame, *, seed: int, jobs: int,
                balance: bool = False):
    """The user's path: ``featurekit.train(TABLES, KIND, fit_all=True)`` then
    ``featurekit.evaluate(MODEL, TEST)`` (what ``featurekit train KIND --features A
    --features B --fit-all`` and ``featurekit evaluate MODEL --features C`` call).
    Returns the predicted labels of ``test``, in its order."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = fk.train(train, kind, target=TARGET, fit_all=True, seed=seed, n_jobs=jobs,
                         balance_tables=balance).model
        result = fk.evaluate(model, test.reset_index(drop=True))
    seen = result.metrics["split"]["seen_instruments"]
    if seen:
        raise SystemExit(f"{kind}: {seen} scored instruments were seen in training")
    return result.predictions["predicted"].to_numpy()


def scores(y, p) -> dict:
    labels = sorted(set(y) | set(p))
    m = compute_metrics(np.asarray(y), np.asarray(p, dtype=object), labels, {})
    return {k: round(m[k], 3) for k in ("accuracy", "balanced_accuracy", "macro_f1")}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True, help="cache folder (renders, tables)")
    ap.add_argument("--dev", type=Path, default=DEV)
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--pitch-step", type=int, default=1)
    ap.add_argument("--velocities", default="25,50,75,100,127")
    ap.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                    help="force synth's augmentation on/off (default: synth's default)")
    ap.add_argument("--pitch-range", choices=("instrument", "piano"), default=None,
                    help="synth's pitch range (default: synth's default)")
    ap.add_argument("--balance-tables", action="store_true",
                    help="renders+real: train(..., balance_tables=True), i.e. --balance-tables")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", type=Path, help="also write the rows here")
    args = ap.parse_args(argv)
    args.velocities = [int(v) for v in args.velocities.split(",")]
    kinds = args.kinds.split(",")
    unknown = sorted(set(kinds) - set(available_pipelines()))
    if unknown:
        ap.error(f"unknown pipeline(s) {unknown}; packaged: {available_pipelines()}")
    args.work.mkdir(parents=True, exist_ok=True)

    corpus = render(args.work, args)
    dev_root = dev_corpus(args.work, args.dev)
    tables = {}
    preset_of = {k: preset_for(k) for k in kinds}
    for preset in sorted(set(preset_of.values())):
        tables[preset] = (extract(corpus, args.work / f"renders-{preset}", preset, args.jobs),
                          extract(dev_root, args.work / f"dev-{preset}", preset, args.jobs))
    rows = []
    header = (f"{'pipeline':<11} {'trained on':<13} {'accuracy':>8} {'bal.acc':>8} "
              f"{'macro-F1':>8} {'fit s':>6}")
    print(header, flush=True)
    for kind in kinds:
        renders, dev = tables[preset_of[kind]]
        y = dev[TARGET].to_numpy()
        t = time.perf_counter()
        alone = scores(y, fit_predict(kind, [renders], dev, seed=args.seed, jobs=args.jobs))
        t_alone, t = time.perf_counter() - t, time.perf_counter()
        pooled = np.empty(len(dev), dtype=object)
        for te in dev_folds(dev, args.folds, args.seed):
            keep = np.ones(len(dev), bool)
            keep[te] = False
            pooled[te] = fit_predict(kind, [renders, dev[keep]], dev.iloc[te], seed=args.seed,
                                     jobs=args.jobs, balance=args.balance_tables)
        both = scores(y, pooled)
        for name, s, secs in (("renders", alone, t_alone),
                              ("renders+real", both, time.perf_counter() - t)):
            rows.append({"pipeline": kind, "trained_on": name, **s, "seconds": round(secs)})
            print(f"{kind:<11} {name:<13} {s['accuracy']:>8.3f} {s['balanced_accuracy']:>8.3f} "
                  f"{s['macro_f1']:>8.3f} {secs:>6.0f}", flush=True)
    print(f"\n{len(renders)} rendered notes, {len(dev)} real notes of "
          f"{dev['instrument_str'].nunique()} instruments; renders+real: {args.folds} folds "
          f"of whole instruments, pooled")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
