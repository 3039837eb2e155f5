"""``featurekit.train`` / ``evaluate`` / ``predict`` / ``load_model``: the public model API.

The CLI commands ``featurekit train|evaluate|predict`` are thin wrappers over
these functions.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import ExtractionConfig
from ..errors import AudioError, ConfigError, CorpusError
from ..corpus import AUDIO_EXTENSIONS, list_audio_files
from .artifact import Model, load_model, top_k_frame
from .classical import PipelineKind
from .columns import FAMILY_COLUMN, SPLIT_COLUMN, TARGETS
from .harness import (
    TrainResult,
    config_dict,
    fingerprint,
    finish_training,
    fit_errors,
    instrument_keys,
    instruments_of,
    label_column,
    load_table,
    load_tables,
    prediction_frame,
    resolve_n_jobs,
    run_training,
    target_labels,
)
from .metrics import compute_metrics, sort_labels, write_metric_files
from .spec import PipelineSpec, load_spec

__all__ = ["train", "evaluate", "predict", "load_model", "format_predictions", "TrainResult",
           "EvaluationResult", "PredictResult", "TARGETS", "Model", "MODEL_KINDS",
           # re-exported building blocks (their home is featurekit.models.harness)
           "load_table", "target_labels", "config_dict", "fingerprint", "prediction_frame",
           "instruments_of", "fit_errors", "finish_training"]

#: KINDs that are not a pipeline spec -> "module:function" building their model
#: kind object (imported on first use: optional parts stay optional).
MODEL_KINDS = {"cnn": "featurekit.cnn.train:cnn_kind"}


@dataclass
class EvaluationResult:
    """What :func:`evaluate` returns: ``metrics``, ``predictions`` and ``out``."""

    metrics: dict
    predictions: pd.DataFrame
    out: Path | None = None


@dataclass
class PredictResult:
    """What :func:`predict` returns.

    Attributes
    ----------
    predictions : DataFrame
        ``path, label, probability`` (+ ``label_2, probability_2`` ... for
        ``top_k`` > 1), then ``warning`` (empty, or why the label should not
        be trusted: silent or too short input, only the first clip of a long
        file used), one row per readable file, in input order.
    failures : DataFrame
        ``path, error`` for files that could not be read.
    """

    predictions: pd.DataFrame
    failures: pd.DataFrame


def _check_kind(kind, spec: PipelineSpec, pipeline):
    if pipeline is not None and kind is not None and kind not in (spec.name, spec.classifier.kind):
        raise ConfigError(
            f"{kind!r} does not match the pipeline spec {spec.source} (name {spec.name!r}, "
            f"classifier kind {spec.classifier.kind!r})"
        )


# --- train ------------------------------------------------------------------
def train(features, kind: str = "rf", *, out=None, target: str = "instrument_family_str",
          pipeline=None, leaky_split: bool = False, seed: int = 0,
          n_jobs: int | None = None, epochs: int | None = None,
          frames: str | None = None, fit_all: bool = False,
          balance_tables: bool = False) -> TrainResult:
    """Train a pipeline with an honest split, report its test metrics, optionally save it.

    Parameters
    ----------
    features : path-like or DataFrame, or a list of them
        A feature directory written by :func:`featurekit.extract`, or a table
        loaded with :func:`featurekit.load_features`.  Several tables are
        trained on together; they must share one extraction config.
    kind : str, default="rf"
        A packaged pipeline (``rf``, ``svm``, ``hgb``, ``logreg``, ``ensemble``,
        ``mfcc40-rf``, ...; see :func:`featurekit.models.spec.available_pipelines`),
        or ``cnn``.
    out : path-like, optional
        Model directory to write (atomically; an earlier model featurekit
        wrote there is replaced, a directory holding anything else is refused).
    target : {"instrument_family_str", "instrument_source_str", "pitch", "label"}
        ``label``: the class of label-folder and manifest corpora
        (:mod:`featurekit.layouts`).
    pipeline : path-like or PipelineSpec, optional
        A user's TOML spec used instead of the packaged ``kind.toml``; ``kind``
        must then match its name or classifier kind (or be None).
    leaky_split : bool, default=False
        Use a random note-level split instead of an instrument-disjoint one.
        The metrics then say, in words, that the number is leaky.
    seed : int, default=0
        Seed of SMOTE, the classifier and (leaky only) the split.
    n_jobs : int, optional
        Cores to use: the forest classifiers' ``n_jobs`` and the OpenMP/BLAS
        threads of the others (HistGradientBoosting, SVM, the CNN's NumPy
        work, ...); -1: all cores.  Default: the spec's ``n_jobs`` and all cores.
        (JAX sizes its own CPU thread pool when it starts; set ``XLA_FLAGS``
        before the first import to cap the CNN's network itself.)
    epochs, frames
        KIND ``"cnn"`` only: the Keras CNN on the time-frequency frames of a
        directory extracted with ``--frames`` (``pip install 'featurekit[cnn]'``);
        maximum epochs and the frames kind expected.  See
        :func:`featurekit.cnn.train_cnn`.
    fit_all : bool, default=False
        Fit on every row of every table (all splits): no held-out rows, so
        the metrics hold no score (``held_out`` False) and say to score the
        model with :func:`evaluate` on notes it never saw.
    balance_tables : bool, default=False
        With several tables: repeat each table's training rows up to the
        largest table's count (before SMOTE), so a small real table weighs as
        much as a large rendered one (:func:`~featurekit.models.harness.balance_rows`).
        Measured on real NSynth dev instruments beside synth's default renders
        (README, "Recognition on real recordings"); off by default.

    Returns
    -------
    TrainResult

    Raises
    ------
    ConfigError, CorpusError, ModelError, OutputError
        Bad kind, spec, target, table or output directory.
    """
    if kind in MODEL_KINDS and pipeline is None:
        module, name = MODEL_KINDS[kind].split(":")
        model_kind = getattr(importlib.import_module(module), name)(frames=frames, epochs=epochs,
                                                                   seed=seed)
    else:
        if epochs is not None or frames is not None:
            raise ConfigError(f"epochs and frames apply to KIND 'cnn' only, not {kind!r}")
        spec = load_spec(pipeline if pipeline is not None else kind)
        _check_kind(kind, spec, pipeline)
        model_kind = PipelineKind(spec)
    return run_training(model_kind, features, out=out, target=target, leaky_split=leaky_split,
                        seed=seed, n_jobs=n_jobs, fit_all=fit_all,
                        balance_tables=balance_tables)


# --- evaluate ---------------------------------------------------------------
def _check_config(model: Model, table) -> None:
    cfg = table.attrs.get("featurekit")
    if not isinstance(cfg, dict):
        return
    mine = model.extraction_config.identity()
    theirs = ExtractionConfig.from_dict(cfg).identity()
    # frames never change feature columns; a model input checks its frames itself
    diff = sorted(k for k in set(mine) | set(theirs)
                  if mine.get(k) != theirs.get(k) and k not in ("preset", "frames"))
    if diff:
        pairs = ", ".join(f"{k}: model {mine.get(k)!r} vs table {theirs.get(k)!r}" for k in diff)
        hint = ""
        if "trim_db" in diff:
            hint = ("; re-extract with " + ("--no-trim" if mine.get("trim_db") is None
                                             else f"--trim-db {mine['trim_db']:g}"))
        elif "peak_db" in diff:
            hint = ("; re-extract with " + ("--no-normalise" if mine.get("peak_db") is None
                                             else f"--peak-db {mine['peak_db']:g}"))
        raise ConfigError(f"the table was extracted with a different config than the model "
                          f"({pairs}){hint}")


def _as_list(value, what) -> list | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",")] if isinstance(value, str) else [str(v) for v in value]
    items = [v for v in items if v]
    if not items:
        raise ConfigError(f"{what} is empty: name at least one")
    return items


def _subset(table, column, wanted, what):
    """Rows of ``table`` whose ``column`` is one of ``wanted`` (each value must occur)."""
    if column not in table.columns:
        raise ConfigError(f"the feature table has no {column!r} column to select {what} from")
    values = table[column].astype(str)
    present = set(values)
    unknown = [w for w in wanted if w not in present]
    if unknown:
        raise ConfigError(f"no note has {what} {unknown[0]!r}; the table's {what}s are "
                          f"{', '.join(sorted(present))}")
    return table[values.isin(wanted).to_numpy()]


def _true_labels(table, column, model: Model):
    """The true labels in ``column``, mapped to the model's label space (its label values)."""
    y = label_column(table, column)
    if column in TARGETS and column == model.target:
        return target_labels(table, column)
    by_text = {str(lab): lab for lab in model.labels}
    by_folded = {str(lab).strip().casefold(): lab for lab in model.labels}
    text = y.astype(str).to_numpy()
    return np.asarray([by_text.get(t, by_folded.get(t.strip().casefold(), t)) for t in text],
                      dtype=object)


def evaluate(model, features, *, out=None, target: str | None = None, split=None,
             families=None) -> EvaluationResult:
    """Score a saved model on the rows of a feature table.

    Parameters
    ----------
    model : Model or path-like
        A model or model directory.
    features : path-like or DataFrame, or a list of them
        Feature table(s) with the model's feature columns and the true labels.
    out : path-like, optional
        Directory to write ``metrics.json``, ``per_class.csv``,
        ``confusion.png`` and ``predictions.parquet`` to.
    target : str, optional
        The column holding the true labels (default: the model's target),
        e.g. ``label`` of a manifest corpus scored by a family model; its
        values are matched to the model's labels by their text (exactly, else
        ignoring case and surrounding spaces); others count as labels the
        model cannot predict (a warning says how many notes have them).
    split : str or list of str, optional
        Score only the rows of these values of the ``split`` column (e.g.
        ``"test"``; a comma-separated string works too).
    families : str or list of str, optional
        Score only these ``instrument_family_str`` values (e.g. ``"guitar,reed"``).

    Returns
    -------
    EvaluationResult
        Its ``metrics["split"]`` says what was scored (rows, target column,
        splits, families) and how many of the table's instruments the model
        saw in training (then the score is not instrument-disjoint).
    """
    model = load_model(model)
    column = model.target if target is None else str(target)
    splits = _as_list(split, "split")
    fams = _as_list(families, "families")
    sources = list(features) if isinstance(features, (list, tuple)) else [features]
    table = load_tables(sources, prepare=lambda t, src: t)
    if column not in table.columns:
        _true_labels(table, column, model)  # the one-line error, before frames are read
    _check_config(model, table)
    if splits is not None:
        table = _subset(table, SPLIT_COLUMN, splits, "split")
    if fams is not None:
        table = _subset(table, FAMILY_COLUMN, fams, "family")
    if len(sources) == 1:
        table = model.input.prepare(table, sources[0])
    else:
        table = load_tables(sources, prepare=model.input.prepare).loc[table.index]
    table = table.reset_index(drop=True)
    y = _true_labels(table, column, model)
    proba = model.predict_proba(table)
    unseen = [v for v in sort_labels(y) if v not in set(model.labels)]
    labels = model.labels + unseen  # test labels the model cannot predict come last
    proba = np.hstack([proba, np.zeros((len(table), len(unseen)))])
    idx = np.arange(len(table))
    predictions = prediction_frame(table, idx, y, proba, labels)

    if "train_instrument_ids" in model.meta:  # (library, instrument_str) identities
        seen = set(model.meta["train_instrument_ids"])
        keys = instrument_keys(table)
    else:  # models saved before the library column: bare names
        seen = set(model.meta.get("train_instruments", []))
        keys = table["instrument_str"].astype(str).to_numpy() if "instrument_str" in table else None
    instruments = set(keys) if keys is not None else set()
    overlap = len(instruments & seen)
    source = ", ".join("a DataFrame" if isinstance(f, pd.DataFrame) else str(f) for f in sources)
    scope = []
    if splits is not None:
        scope.append(f"split {', '.join(splits)}")
    if fams is not None:
        scope.append(f"families {', '.join(fams)}")
    n_unseen = int(np.isin(y, unseen).sum()) if unseen else 0
    warns = []
    if overlap:
        warns.append(f"{overlap} of {len(instruments)} instruments were seen in training, "
                     f"so the score is not instrument-disjoint")
    if n_unseen:
        warns.append(f"{n_unseen} notes have labels the model cannot predict "
                     f"({', '.join(str(v) for v in unseen[:5])})")
    info = {
        "kind": "evaluate", "leaky": overlap > 0,
        "train": f"saved model {model.path or ''} ({model.meta['split']['train']})".replace("  ", " "),
        "test": (f"{'all ' if not scope else ''}{len(table)} notes of {source}"
                 + (f" ({'; '.join(scope)})" if scope else "")
                 + f", {len(instruments)} instruments, true labels from column {column!r}"),
        "target_column": column,
        "splits": splits, "families": fams,
        "seen_instruments": overlap,
        "description": (
            f"saved model scored on {source}"
            + ("" if overlap else "; no instrument of this table was seen in training")
        ),
        "warnings": warns,
    }
    metrics = {"kind": model.kind, "target": model.target,
               **compute_metrics(y, predictions["predicted"].to_numpy(), labels, info)}
    out_path = None
    if out is not None:
        from ..fileio import staged_dir
        from .metrics import METRIC_FILES

        out_path = Path(out)
        with staged_dir(out_path, "report", legacy=METRIC_FILES) as tmp:
            write_metric_files(tmp, metrics, predictions)
    return EvaluationResult(metrics, predictions, out_path)


# --- predict ----------------------------------------------------------------
#: Input shorter than this (seconds) gets a "too short" warning.
MIN_PREDICT_SECONDS = 0.1
#: Input whose peak is below this (-80 dBFS) gets a "silent" warning.
SILENCE_PEAK = 1e-4


def _expand(paths) -> list[Path]:
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = list_audio_files(p)  # hidden files and folders skipped, like every corpus listing
            if not found:
                raise CorpusError(f"{p} contains no audio files ({', '.join(sorted(AUDIO_EXTENSIONS))})")
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            raise AudioError(f"{p}: no such file or directory")
    if not files:
        raise CorpusError("no input files given")
    return files


def input_warning(path, config: ExtractionConfig) -> str:
    """Why a prediction of the audio file ``path`` should not be trusted ("" when none).

    * shorter than :data:`MIN_PREDICT_SECONDS`: too short to recognise;
    * peak below :data:`SILENCE_PEAK` (-80 dBFS) in the analysed clip: silent;
    * longer than the model's clip (``config.duration``): only the first
      clip was used (``featurekit predict --timeline`` labels every window).
    """
    from ..audio import read_clip
    from ..segments import audio_duration

    try:
        duration = audio_duration(path)
    except AudioError:
        return ""
    if duration < MIN_PREDICT_SECONDS:
        return (f"too short to recognise ({duration * 1000:.1f} ms; padded with silence to the "
                f"model's {config.duration:g} s)")
    try:
        clip = read_clip(path, config.sample_rate, config.n_samples, trim_db=config.trim_db,
                         peak_db=config.peak_db)
    except AudioError:
        return ""
    if not clip.samples.size or float(np.max(np.abs(clip.samples))) < SILENCE_PEAK:
        return "silent (peak below -80 dBFS): the label means nothing"
    if duration > config.duration * 1.01:
        return (f"only the first {config.duration:g} s of {duration:.1f} s were used; "
                f"`featurekit predict MODEL FILE --timeline` labels every window")
    return ""


def predict(model, paths, *, top_k: int = 1, n_jobs: int = 1) -> PredictResult:
    """Predict the label of audio files with a saved model.

    The features computed are exactly the model's: its extraction config is
    stored in the model and audio is read, resampled and padded as in
    :func:`featurekit.extract`.

    Parameters
    ----------
    model : Model or path-like
    paths : path-like or list of path-like
        Audio files and/or folders (searched recursively for the endings of
        :data:`featurekit.corpus.AUDIO_EXTENSIONS`: WAV, FLAC, OGG, ...;
        hidden files and folders are skipped).
    top_k : int, default=1
        Number of best labels per file.
    n_jobs : int, default=1
        Parallel feature extraction (-1: all cores).

    Returns
    -------
    PredictResult
        Its ``warning`` column says when input was silent, too short, or
        longer than the model's clip (see :func:`input_warning`).

    Raises
    ------
    FeaturekitError
        Bad model, missing paths, or no file readable at all.
    """
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1:
        raise ConfigError(f"top_k must be a positive integer, got {top_k!r}")
    n_jobs = resolve_n_jobs(n_jobs)
    model = load_model(model)
    files = _expand(paths)
    from ..extraction import extract_files

    config = model.extraction_config
    feats, failures = extract_files([str(f) for f in files], config,
                                    n_jobs=1 if n_jobs is None else n_jobs)
    failures = failures[["path", "error"]].reset_index(drop=True) if len(failures) else \
        pd.DataFrame({"path": pd.Series(dtype=str), "error": pd.Series(dtype=str)})
    if len(feats) == 0:
        first = failures.iloc[0] if len(failures) else None
        raise AudioError(f"no file could be read"
                         + (f": {first['path']}: {first['error']}" if first is not None else ""))
    table = top_k_frame(model.predict_proba(feats), model.labels, top_k)
    table.insert(0, "path", feats["path"].astype(str).to_numpy())
    table["warning"] = [input_warning(p, config) for p in table["path"]]
    return PredictResult(table, failures)


def format_predictions(predictions: pd.DataFrame, fmt: str = "table") -> str:
    """Render :attr:`PredictResult.predictions` as ``table``, ``csv`` or ``json`` text.

    Probabilities are printed with 4 decimals; the text ends with a newline.
    """
    df = predictions.copy()
    if "warning" in df.columns and not df["warning"].astype(bool).any():
        df = df.drop(columns="warning")  # no warning: the columns of earlier versions
    for c in df.columns:
        if c.startswith("probability"):
            df[c] = df[c].round(4)
    if fmt == "csv":
        return df.to_csv(index=False, float_format="%.4f")
    if fmt == "json":
        return df.to_json(orient="records", indent=2).replace("\\/", "/") + "\n"
    if fmt == "table":
        return df.to_string(index=False, float_format=lambda v: f"{v:.4f}") + "\n"
    raise ConfigError(f"unknown format {fmt!r}; choose one of table, csv, json")
