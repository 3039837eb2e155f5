"""Benchmark: the Keras CNN vs RF / SVM on one rendered, library-disjoint corpus.

Renders an NSynth-format corpus from General MIDI SoundFonts with each
SoundFont (sample library) pinned to one split, so train, valid and test share
no library and no instrument; extracts the default features *and* the frames
once; trains ``rf``, ``svm`` and ``cnn`` (MFCC 20 x 20, and with ``--logmel``
the log-mel 64 x 64 CNN) through :func:`featurekit.train`, i.e. on the same
split with the same metrics; prints macro-F1, accuracy, balanced accuracy,
training wall and CPU time, and (CNN) epochs.

Usage::

    python benchmarks/cnn_vs_classical.py                       # ~3,000 notes, 2 cores
    python benchmarks/cnn_vs_classical.py --pitch-step 2 --logmel --out-json cnn.json
    KERAS_BACKEND=jax python benchmarks/cnn_vs_classical.py --work /data/bench  # reuse

Needs ``pip install 'featurekit[cnn]'`` and TinySoundFont (see README).  On a
GPU machine with a CUDA build of jaxlib the CNN trains there: the printed
``device`` says which.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

SF2 = Path("/usr/share/sounds/sf2")
#: One independent source per split (docs/synth.md): MuseScore_General is built
#: on FluidR3's samples, so both go to train; sf_GMbank re-packages TimGM6mb's
#: samples, so it must not validate what TimGM6mb tests: valid is the OPL-3 FM
#: bank (synthesis, no shared recordings), test is TimGM6mb.
DEFAULT_SOUNDFONTS = (f"{SF2 / 'FluidR3_GM.sf2'}:train",
                      f"{SF2 / 'MuseScore_General_Full.sf2'}:train",
                      f"{SF2 / 'OPL-3_FM_128M.sf2'}:valid", f"{SF2 / 'TimGM6mb.sf2'}:test")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime


def _timed(fn, *args, **kwargs):
    wall, cpu = time.perf_counter(), _cpu()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - wall, _cpu() - cpu


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--soundfont", "-s", action="append", default=None,
                   help="PATH:SPLIT SoundFont specs (default: FluidR3 and MuseScore_General "
                        "train, OPL-3 FM valid, TimGM6mb test)")
    p.add_argument("--pitch-step", type=int, default=4, help="semitones between pitches")
    p.add_argument("--velocities", default="75,127")
    p.add_argument("--epochs", type=int, default=40, help="CNN maximum epochs")
    p.add_argument("--logmel", action="store_true", help="also the log-mel 64 x 64 CNN")
    p.add_argument("--kinds", default="rf,svm,cnn", help="KINDs to train (comma-separated)")
    p.add_argument("--jobs", "-j", type=int, default=-1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--work", type=Path, default=None,
                   help="working directory (kept, reused when re-run); default: a temp dir")
    p.add_argument("--out-json", type=Path, default=None, help="also write the rows as JSON")
    args = p.parse_args(argv)

    import featurekit
    from featurekit.synth import render_corpus

    work = args.work or Path(tempfile.mkdtemp(prefix="fk-cnn-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / "corpus"
    soundfonts = args.soundfont or [s for s in DEFAULT_SOUNDFONTS
                                    if Path(s.rsplit(":", 1)[0]).exists()]
    velocities = [int(v) for v in args.velocities.split(",")]
    if not (corpus / "nsynth-train").is_dir():
        res, wall, _ = _timed(render_corpus, soundfonts, corpus, velocities=velocities,
                              pitch_step=args.pitch_step, n_jobs=args.jobs, progress=False)
        print(res.summary().splitlines()[0] + f" [{wall:.0f} s]", flush=True)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    frame_kinds = ["mfcc"] + (["logmel"] if args.logmel else [])
    feats = {}
    for fk in frame_kinds:
        feats[fk] = work / f"feats-{fk}"
        res, wall, _ = _timed(featurekit.extract, corpus, feats[fk], frames=fk, n_jobs=args.jobs,
                              progress=False)
        print(f"extract --frames {fk}: {res.n_rows} notes [{wall:.0f} s]", flush=True)

    table = featurekit.load_features(feats["mfcc"], columns=["split", "instrument_str"])
    counts = table.groupby("split")["instrument_str"].agg(["size", "nunique"])
    print("split sizes (notes, instruments):",
          ", ".join(f"{s} {r['size']}/{r['nunique']}" for s, r in counts.iterrows()))

    device = "cpu"
    rows = []
    runs = [(k, "mfcc") for k in kinds if k != "cnn"]
    if "cnn" in kinds:
        runs += [("cnn", fk) for fk in frame_kinds]
    for kind, fk in runs:
        opts = {"epochs": args.epochs} if kind == "cnn" else {}
        out = work / "models" / (kind if kind != "cnn" else f"cnn-{fk}")
        result, wall, cpu = _timed(featurekit.train, feats[fk], kind, out=out, seed=args.seed,
                                   **opts)
        m = result.metrics
        row = {"kind": kind, "input": (f"{fk} frames {'x'.join(map(str, result.model.meta['frames']['shape']))}"
                                       if kind == "cnn" else f"{len(result.model.feature_columns)} features"),
               "macro_f1": m["macro_f1"], "accuracy": m["accuracy"],
               "balanced_accuracy": m["balanced_accuracy"], "n_test": m["n_test"],
               "train_wall_s": wall, "train_cpu_s": cpu,
               "fit_s": result.model.meta.get("fit_seconds")}
        if kind == "cnn":
            row["epochs"] = f"{m['split']['epochs']['best']}/{m['split']['epochs']['run']}"
            import jax

            device = str(jax.devices()[0])
        rows.append(row)
        print(f"  {kind:<4} {row['input']:<24} macro-F1 {row['macro_f1']:.3f}  accuracy "
              f"{row['accuracy']:.3f}  train {wall:.1f} s wall / {cpu:.1f} s CPU", flush=True)

    print(f"\nlibrary-disjoint test: {rows[0]['n_test']} notes; CNN device: {device}; "
          f"{os.cpu_count()} cores")
    print(f"{'kind':<5} {'input':<24} {'macro_f1':>8} {'accuracy':>8} {'bal_acc':>8} "
          f"{'wall_s':>7} {'cpu_s':>7} {'epochs':>7}")
    for r in rows:
        print(f"{r['kind']:<5} {r['input']:<24} {r['macro_f1']:>8.3f} {r['accuracy']:>8.3f} "
              f"{r['balanced_accuracy']:>8.3f} {r['train_wall_s']:>7.1f} {r['train_cpu_s']:>7.1f} "
              f"{r.get('epochs', ''):>7}")
    if args.out_json:
        args.out_json.write_text(json.dumps({"device": device, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
