"""``featurekit demo``: the whole job, end to end, on a freshly rendered corpus.

Renders a small NSynth-format corpus from the General MIDI SoundFont that
pip installed with pretty_midi (no download), with whole instruments dealt to
train and test, extracts the default features, trains the default random
forest with SMOTE, and reports honest (instrument-disjoint) test metrics and
the feature families that matter most.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import ConfigError, OutputError
from .fileio import atomic_path, check_replaceable, mark_output, read_marker, staged_dir


@dataclass
class DemoResult:
    """What :func:`run_demo` produced.

    Attributes
    ----------
    out : Path
        Root of every output (corpus/, features/, model-rf/, importances.csv).
    n_notes : int
        Notes rendered.
    n_train_instruments, n_test_instruments : int
    metrics : dict
        Test metrics of the random forest (``metrics.json``).
    importances : pandas.DataFrame or None
        Group-permutation importances on the test split.
    seconds : dict
        Wall time per stage.
    """

    out: Path
    n_notes: int
    n_train_instruments: int
    n_test_instruments: int
    metrics: dict
    importances: pd.DataFrame | None = None
    seconds: dict = field(default_factory=dict)

    def summary(self) -> str:
        m = self.metrics
        lines = [
            "featurekit demo: instrument family from rendered GM notes",
            f"  corpus: {self.n_notes} notes, {self.n_train_instruments} train / "
            f"{self.n_test_instruments} test instruments (no instrument in both)",
            f"  test accuracy {m['accuracy']:.3f}, balanced accuracy {m['balanced_accuracy']:.3f}, "
            f"macro-F1 {m['macro_f1']:.3f} ({len(m['per_class'])} families)",
        ]
        if self.importances is not None:
            top = self.importances.head(5)
            lines.append("  feature families that matter most (drop in balanced accuracy when permuted):")
            for _, row in top.iterrows():
                lines.append(f"    {row['group']:<10s} {row['importance_mean']:+.3f} ± {row['importance_std']:.3f}")
        lines.append("  time: " + ", ".join(f"{k} {v:.0f} s" for k, v in self.seconds.items()))
        lines.append(f"  outputs in {self.out}/: corpus/, features/, model-rf/ (metrics.json, "
                     "confusion.png, ...), importances.csv")
        lines.append(f"  next: featurekit predict {self.out}/model-rf some_note.wav")
        return "\n".join(lines)


#: Owner-marker kinds (:mod:`featurekit.fileio`) of the demo's outputs; ``root`` is
#: ``out`` itself, whose marker lists the files the demo writes there.
OUTPUT_KINDS = {"corpus": "demo-corpus", "features": "demo-features", "model-rf": "demo-model",
                "root": "demo"}
IMPORTANCES = "importances.csv"


def check_outputs(out) -> None:
    """Raise :class:`OutputError` unless the demo may write (or replace) all its outputs in ``out``.

    ``out/corpus``, ``out/features`` and ``out/model-rf`` must each be missing,
    empty, or an earlier demo's (its owner marker, and nothing the demo did not
    write); ``out/importances.csv`` must be missing or listed by ``out``'s demo
    marker.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"refusing to write the demo into {out}: it is not a directory")
    for name in ("corpus", "features", "model-rf"):
        check_replaceable(out / name, OUTPUT_KINDS[name])
    marker = read_marker(out)
    if marker is not None and marker.get("kind") != OUTPUT_KINDS["root"]:
        raise OutputError(f"refusing to write the demo into {out}: it holds a featurekit "
                          f"{marker.get('kind')} output")
    csv = out / IMPORTANCES
    if (csv.exists() or csv.is_symlink()) and (marker is None or IMPORTANCES not in marker["files"]):
        raise OutputError(f"refusing to replace {csv}: an earlier demo did not write it; "
                          "move it away or choose another output directory")


def run_demo(out="featurekit-demo", *, soundfonts=None, pitch_step: int = 3,
             velocities=(64, 127), n_jobs: int = -1, seed: int = 0,
             progress: bool = True) -> DemoResult:
    """Render, extract, train and explain, on a small SoundFont corpus.

    Parameters
    ----------
    out : path-like
        Output root (created).  Outputs of an earlier demo there are replaced;
        anything else (a folder or file the demo did not write, proven by its
        owner markers) is refused with :class:`OutputError` before any work
        starts, and nothing is touched.
    soundfonts : list of str, optional
        SoundFont specs for :func:`featurekit.synth.render_corpus`; default
        ``["bundled"]`` (pretty_midi's TimGM6mb.sf2), with a seeded,
        instrument-disjoint train/test split.
    pitch_step : int
        Semitones between rendered pitches.
    velocities : sequence of int
    n_jobs : int
        Worker processes for rendering and extraction (-1: all cores).
    seed : int
    progress : bool

    Returns
    -------
    DemoResult

    Raises
    ------
    OutputError
        An output in ``out`` that the demo did not write (see :func:`check_outputs`).
    """
    from .extraction import extract
    from .models.api import train
    from .synth import render_corpus

    if pitch_step < 1:
        raise ConfigError(f"pitch_step must be >= 1, got {pitch_step!r}")
    out = Path(out).expanduser()
    check_outputs(out)  # every output, before any work: a refusal touches nothing
    seconds = {}
    t = time.perf_counter()
    with staged_dir(out / "corpus", OUTPUT_KINDS["corpus"]) as tmp:
        synth = render_corpus(soundfonts or ["bundled"], tmp, velocities=velocities,
                              pitch_step=pitch_step, test_fraction=0.3, valid_fraction=0.0,
                              seed=seed, n_jobs=n_jobs, progress=progress)
    seconds["render"] = time.perf_counter() - t

    t = time.perf_counter()
    features = out / "features"
    with staged_dir(features, OUTPUT_KINDS["features"]) as tmp:
        extract(out / "corpus", tmp, n_jobs=n_jobs, progress=progress)
    seconds["extract"] = time.perf_counter() - t

    t = time.perf_counter()
    with staged_dir(out / "model-rf", OUTPUT_KINDS["model-rf"]) as tmp:
        trained = train(features, "rf", out=tmp, seed=seed)
    trained.model.path = out / "model-rf"
    seconds["train"] = time.perf_counter() - t

    imp = None
    try:
        from .importance import importances
    except ImportError:  # importances not available in this build
        importances = None
    if importances is not None:
        t = time.perf_counter()
        imp = importances(trained.model, features, method="group-permutation", seed=seed)
        with atomic_path(out / IMPORTANCES) as tmp:
            imp.to_csv(tmp, index=False)
        mark_output(out, OUTPUT_KINDS["root"], files=[IMPORTANCES])
        seconds["importances"] = time.perf_counter() - t

    inst = synth.instruments
    return DemoResult(
        out=out, n_notes=synth.n_notes,
        n_train_instruments=int((inst["split"] == "train").sum()),
        n_test_instruments=int((inst["split"] == "test").sum()),
        metrics=trained.metrics, importances=imp, seconds=seconds,
    )
