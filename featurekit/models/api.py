"""``featurekit.train`` / ``evaluate`` / ``predict`` / ``load_model``: the public model API.

The CLI commands ``featurekit train|evaluate|predict`` are thin wrappers over
these functions.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._version import __version__
from ..config import ExtractionConfig
from ..errors import AudioError, ConfigError, CorpusError, FeaturekitError, ModelError
from ..layouts import AUDIO_EXTENSIONS
from .artifact import (
    MODEL_FORMAT,
    Model,
    check_output_dir,
    load_model,
    save_model,
    staged_dir,
    top_k_frame,
)
from .metrics import compute_metrics, plain, write_report
from .pipeline import build_pipeline, search_grid
from .spec import PipelineSpec, load_spec, select_columns
from .split import inner_cv, plan_split

__all__ = ["train", "evaluate", "predict", "load_model", "format_predictions", "TrainResult", "EvaluationResult",
           "PredictResult", "TARGETS", "Model"]

#: Targets ``train`` accepts.
TARGETS = ("instrument_family_str", "instrument_source_str", "pitch", "label")
#: Metadata copied into ``predictions.parquet`` when present.
_ID_COLUMNS = ("note_id", "path", "split", "instrument_str", "pitch", "velocity",
               "group", "source_path", "start", "end")


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    model : Model
        The fitted model (saved to ``out`` when given).
    metrics : dict
        Honest test metrics (as in ``metrics.json``).
    predictions : DataFrame
        The test predictions (as in ``predictions.parquet``).
    out : Path or None
    """

    model: Model
    metrics: dict
    predictions: pd.DataFrame
    out: Path | None = None


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
        ``top_k`` > 1), one row per readable file, in input order.
    failures : DataFrame
        ``path, error`` for files that could not be read.
    """

    predictions: pd.DataFrame
    failures: pd.DataFrame


# --- helpers ----------------------------------------------------------------
def load_table(features) -> pd.DataFrame:
    if isinstance(features, pd.DataFrame):
        if len(features) == 0:
            raise CorpusError("the feature table holds no notes")
        return features
    from featurekit import load_features

    path = Path(features)
    if not path.exists():
        raise CorpusError(f"feature directory {path} does not exist")
    table = load_features(path)
    if len(table) == 0:
        raise CorpusError(f"feature directory {path} holds no notes")
    return table


def target_labels(table, target):
    if target not in TARGETS:
        raise ConfigError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
    if target not in table.columns:
        raise ConfigError(f"the feature table has no target column {target!r}")
    y = table[target]
    if y.isna().any():
        raise ConfigError(f"target column {target!r} has {int(y.isna().sum())} missing values")
    if pd.api.types.is_integer_dtype(y) or pd.api.types.is_bool_dtype(y):
        return y.to_numpy(dtype=np.int64)
    return y.astype(str).to_numpy(dtype=object)


def config_dict(table) -> dict:
    cfg = table.attrs.get("featurekit")
    if cfg is None:
        warnings.warn("the feature table carries no extraction config; assuming the defaults",
                      stacklevel=3)
        return ExtractionConfig().to_dict()
    cfg = ExtractionConfig.from_dict(cfg).to_dict() if isinstance(cfg, dict) else cfg
    return cfg


def fingerprint(table, columns, target) -> dict:
    """SHA-256 of the rows a model learns from (ids, features, target) and their shape."""
    cols = [c for c in ("note_id",) if c in table.columns] + list(columns) + [target]
    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(table[cols], index=False).to_numpy().tobytes())
    h.update("\x00".join(cols).encode())
    return {"sha256": h.hexdigest(), "n_rows": int(len(table)), "n_features": len(columns)}


def _fit(spec, columns, X, y, *, seed, n_jobs, selection=None):
    """Fit the spec's pipeline, selecting from its search grid first when it has one.

    ``selection`` is ``("valid", X_valid, y_valid)`` or ``("cv", cv, groups)``.
    Returns (fitted pipeline, chosen params or None).
    """
    from sklearn.base import clone
    from sklearn.metrics import get_scorer
    from sklearn.model_selection import GridSearchCV, ParameterGrid

    pipe = build_pipeline(spec, columns, seed=seed, n_jobs=n_jobs)
    grid = search_grid(spec)
    if not grid or selection is None:
        return pipe.fit(X, y), None
    if selection[0] == "valid":
        _, Xv, yv = selection
        scorer = get_scorer(spec.search.scoring)
        best, best_score = None, -np.inf
        for params in ParameterGrid(grid):
            cand = clone(pipe).set_params(**params).fit(X, y)
            score = scorer(cand, Xv, yv)
            if score > best_score:
                best, best_score, best_model = params, score, cand
        return best_model, _jsonable(best)
    _, cv, groups = selection
    search = GridSearchCV(pipe, grid, scoring=spec.search.scoring, cv=cv, refit=True,
                          error_score="raise")
    search.fit(X, y, groups=groups)
    return search.best_estimator_, _jsonable(search.best_params_)


def _jsonable(params):
    return {k: plain(v) for k, v in params.items()}


def _selection(spec, plan, table, X, y, train_idx, *, seed):
    if spec.search is None:
        return None
    if plan.valid is not None:
        return ("valid", X[plan.valid], y[plan.valid])
    cv, groups = inner_cv(table, train_idx, y[train_idx], leaky=plan.leaky,
                          n_splits=spec.search.cv, seed=seed)
    return ("cv", cv, groups)


def prediction_frame(table, idx, y_true, proba, labels, fold=None):
    ids = {c: table[c].to_numpy()[idx] for c in _ID_COLUMNS if c in table.columns}
    top = top_k_frame(proba, labels, 1)
    df = pd.DataFrame(ids)
    df["true"] = y_true
    df["predicted"] = top["label"].to_numpy()
    df["probability"] = top["probability"].to_numpy()
    if fold is not None:
        df["fold"] = fold
    for j, lab in enumerate(labels):
        df[f"proba__{lab}"] = proba[:, j]
    return df


def _check_kind(kind, spec: PipelineSpec, pipeline):
    if pipeline is not None and kind is not None and kind not in (spec.name, spec.classifier.kind):
        raise ConfigError(
            f"KIND {kind!r} does not match --pipeline {spec.source} (name {spec.name!r}, "
            f"classifier kind {spec.classifier.kind!r})"
        )


# --- train ------------------------------------------------------------------
def train(features, kind: str = "rf", *, out=None, target: str = "instrument_family_str",
          pipeline=None, leaky_split: bool = False, seed: int = 0,
          n_jobs: int | None = None, epochs: int | None = None,
          frames: str | None = None) -> TrainResult:
    """Train a pipeline with an honest split, report its test metrics, optionally save it.

    Parameters
    ----------
    features : path-like or DataFrame
        A feature directory written by :func:`featurekit.extract`, or a table
        loaded with :func:`featurekit.load_features`.
    kind : str, default="rf"
        A packaged pipeline (``rf``, ``svm``, ``hgb``, ``logreg``, ``ensemble``,
        ``mfcc40-rf``, ...; see :func:`featurekit.models.spec.available_pipelines`).
    out : path-like, optional
        Model directory to write (atomically; an earlier model there is replaced).
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
        threads of the others (HistGradientBoosting, SVM, ...).  Default:
        the spec's ``n_jobs`` and all cores.
    epochs, frames
        KIND ``"cnn"`` only: the Keras CNN on the time-frequency frames of a
        directory extracted with ``--frames`` (``pip install 'featurekit[cnn]'``);
        maximum epochs and the frames kind expected.  See
        :func:`featurekit.cnn.train_cnn`.

    Returns
    -------
    TrainResult

    Raises
    ------
    ConfigError, CorpusError, ModelError
        Bad kind, spec, target, table or output directory.
    """
    if kind == "cnn" and pipeline is None:  # optional Keras adapter, imported only here
        from ..cnn.train import train_cnn

        return train_cnn(features, out=out, target=target, frames=frames, epochs=epochs,
                         leaky_split=leaky_split, seed=seed)
    if epochs is not None or frames is not None:
        raise ConfigError(f"epochs and frames apply to KIND 'cnn' only, not {kind!r}")
    spec = load_spec(pipeline if pipeline is not None else kind)
    _check_kind(kind, spec, pipeline)
    if out is not None:
        check_output_dir(out)  # fail before the (long) fit
    table = load_table(features)
    y = target_labels(table, target)
    columns = select_columns(spec, table.columns)
    X = table[columns].to_numpy(dtype=np.float32)
    plan = plan_split(table, y, leaky=leaky_split, seed=seed)
    train_rows = plan.final_train
    if len(np.unique(y[train_rows])) < 2:
        raise ConfigError(f"target {target!r} has a single class "
                          f"({plain(y[train_rows][0])!r}) in the training rows: nothing to learn")
    labels = sorted({plain(v) for v in y}, key=lambda v: (str(type(v)), v))
    config = config_dict(table)

    start = time.perf_counter()
    parts, chosen, fold_model = [], [], None
    with warnings.catch_warnings(), fit_errors(spec), _thread_limit(n_jobs):
        warnings.filterwarnings("ignore", category=UserWarning, module="sklearn")
        for i, (tr, te) in enumerate(plan.folds):
            fold_model, params = _fit(spec, columns, X[tr], y[tr], seed=seed, n_jobs=n_jobs,
                                      selection=_selection(spec, plan, table, X, y, tr, seed=seed))
            chosen.append(params)
            proba = _align_proba(fold_model, X[te], labels)
            parts.append(prediction_frame(table, te, y[te], proba, labels,
                                           fold=i if len(plan.folds) > 1 else None))
        if plan.refit_all:
            final, params = _fit(spec, columns, X[train_rows], y[train_rows], seed=seed,
                                 n_jobs=n_jobs, selection=_selection(
                                     spec, plan, table, X, y, train_rows, seed=seed))
            chosen.append(params)
        else:
            final = fold_model
    fit_seconds = time.perf_counter() - start

    predictions = pd.concat(parts, ignore_index=True)
    split_info = dict(plan.info)
    if spec.search is not None:
        split_info["search"] = {"grid": spec.search.grid, "chosen": chosen}
    eval_labels = labels
    metrics = compute_metrics(predictions["true"].to_numpy(), predictions["predicted"].to_numpy(),
                              eval_labels, split_info)
    metrics = {"kind": spec.name, "target": target, **metrics}

    meta = {
        "format": MODEL_FORMAT,
        "featurekit_version": __version__,
        "kind": spec.name,
        "target": target,
        "labels": labels,
        "feature_columns": columns,
        "extraction_config": config,
        "spec": spec.to_dict(),
        "spec_text": spec.text,
        "fingerprint": fingerprint(table.iloc[train_rows], columns, target),
        "train_instruments": instruments_of(table, train_rows),
        "split": plan.info,
        "seed": seed,
        "fit_seconds": round(fit_seconds, 3),
        "_metrics": metrics,
    }
    return finish_training(Model(final, meta), metrics, predictions, out)


def finish_training(model: Model, metrics: dict, predictions: pd.DataFrame, out=None,
                    save_extra=None) -> TrainResult:
    """Save a trained model with its report (atomically, if ``out``) and wrap the result.

    ``save_extra(directory)`` writes what skops cannot hold (e.g. a Keras network)
    into the staged directory before it replaces ``out``.
    """
    out_path = None
    if out is not None:
        out_path = Path(out)
        with staged_dir(out_path) as tmp:
            save_model(model, tmp)
            if save_extra is not None:
                save_extra(tmp)
            write_report(tmp, metrics, predictions)
        model.path = out_path
    return TrainResult(model, metrics, predictions, out_path)


def _thread_limit(n_jobs):
    """Cap OpenMP/BLAS threads at ``n_jobs`` (positive) for the fits; no cap otherwise."""
    if n_jobs is None or n_jobs < 1:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=int(n_jobs))


@contextlib.contextmanager
def fit_errors(spec):
    """Turn estimator errors (too few rows for a fold, bad data) into one-line ModelErrors.

    ``spec`` is the :class:`PipelineSpec` fitted, or just its name.
    """
    name = getattr(spec, "name", spec)
    try:
        yield
    except FeaturekitError:
        raise
    except (ValueError, np.linalg.LinAlgError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"fitting pipeline {name!r} failed: {msg}") from None


def _align_proba(pipe, X, labels):
    from .artifact import align_proba_columns

    return align_proba_columns(pipe.predict_proba(X), pipe.classes_, labels)


def instruments_of(table, rows):
    if "instrument_str" not in table.columns:
        return []
    return sorted(table["instrument_str"].astype(str).iloc[rows].unique().tolist())


# --- evaluate ---------------------------------------------------------------
def _check_config(model: Model, table) -> None:
    cfg = table.attrs.get("featurekit")
    if not isinstance(cfg, dict):
        return
    mine = model.extraction_config.identity()
    theirs = ExtractionConfig.from_dict(cfg).identity()
    # frames never change feature columns; a CNN checks its frames kind itself
    diff = sorted(k for k in mine if mine[k] != theirs.get(k) and k not in ("preset", "frames"))
    if diff:
        pairs = ", ".join(f"{k}: model {mine[k]!r} vs table {theirs.get(k)!r}" for k in diff)
        raise ConfigError(f"the table was extracted with a different config than the model ({pairs})")


def evaluate(model, features, *, out=None) -> EvaluationResult:
    """Score a saved model on every row of a feature table.

    Parameters
    ----------
    model : Model or path-like
        A model or model directory.
    features : path-like or DataFrame
        Any feature table with the model's feature columns and target column.
    out : path-like, optional
        Directory to write ``metrics.json``, ``per_class.csv``,
        ``confusion.png`` and ``predictions.parquet`` to.

    Returns
    -------
    EvaluationResult
        Its ``metrics["split"]`` says how many of the table's instruments
        the model saw in training (then the score is not instrument-disjoint).
    """
    model = load_model(model)
    table = load_table(features)
    if model.target not in table.columns:
        raise ConfigError(f"the feature table has no target column {model.target!r}")
    _check_config(model, table)
    if model.meta.get("frames") and not isinstance(features, pd.DataFrame):  # a CNN
        from ..frames import attach_frames

        table = attach_frames(table, features, kind=model.meta["frames"]["kind"])
    y = target_labels(table, model.target)
    proba = model.predict_proba(table)
    unseen = sorted({plain(v) for v in y} - set(model.labels), key=lambda v: (str(type(v)), v))
    labels = model.labels + unseen  # test labels the model cannot predict come last
    proba = np.hstack([proba, np.zeros((len(table), len(unseen)))])
    idx = np.arange(len(table))
    predictions = prediction_frame(table, idx, y, proba, labels)

    seen = set(model.meta.get("train_instruments", []))
    instruments = set(table["instrument_str"].astype(str)) if "instrument_str" in table.columns else set()
    overlap = len(instruments & seen)
    source = str(features) if not isinstance(features, pd.DataFrame) else "a DataFrame"
    info = {
        "kind": "evaluate", "leaky": overlap > 0,
        "train": f"saved model {model.path or ''} ({model.meta['split']['train']})".replace("  ", " "),
        "test": f"all {len(table)} notes of {source} ({len(instruments)} instruments)",
        "seen_instruments": overlap,
        "description": (
            f"saved model scored on {source}; "
            + (f"WARNING: {overlap} of {len(instruments)} instruments were seen in training, "
               f"so the score is not instrument-disjoint" if overlap
               else "no instrument of this table was seen in training")
        ),
    }
    metrics = {"kind": model.kind, "target": model.target,
               **compute_metrics(y, predictions["predicted"].to_numpy(), labels, info)}
    out_path = None
    if out is not None:
        out_path = Path(out)
        with staged_dir(out_path, kind="report") as tmp:
            write_report(tmp, metrics, predictions)
    return EvaluationResult(metrics, predictions, out_path)


# --- predict ----------------------------------------------------------------
_AUDIO_SUFFIXES = AUDIO_EXTENSIONS  # what libsndfile reads: WAV, FLAC, OGG, ...


def _expand(paths) -> list[Path]:
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file()
                           and f.suffix.lower() in _AUDIO_SUFFIXES)
            if not found:
                raise CorpusError(f"{p} contains no audio files ({', '.join(sorted(_AUDIO_SUFFIXES))})")
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            raise AudioError(f"{p}: no such file or directory")
    if not files:
        raise CorpusError("no input files given")
    return files


def predict(model, paths, *, top_k: int = 1, n_jobs: int = 1) -> PredictResult:
    """Predict the label of WAV files with a saved model.

    The features computed are exactly the model's: its extraction config is
    stored in the model and audio is read, resampled and padded as in
    :func:`featurekit.extract`.

    Parameters
    ----------
    model : Model or path-like
    paths : path-like or list of path-like
        Audio files and/or folders (searched recursively for the endings of
        :data:`featurekit.layouts.AUDIO_EXTENSIONS`: WAV, FLAC, OGG, ...).
    top_k : int, default=1
        Number of best labels per file.
    n_jobs : int, default=1
        Parallel feature extraction.

    Returns
    -------
    PredictResult

    Raises
    ------
    FeaturekitError
        Bad model, missing paths, or no file readable at all.
    """
    if not isinstance(top_k, (int, np.integer)) or top_k < 1:
        raise ConfigError(f"top_k must be a positive integer, got {top_k!r}")
    model = load_model(model)
    files = _expand(paths)
    import featurekit

    feats, failures = featurekit.extract_files([str(f) for f in files], model.extraction_config,
                                    n_jobs=n_jobs)
    failures = failures[["path", "error"]].reset_index(drop=True) if len(failures) else \
        pd.DataFrame({"path": pd.Series(dtype=str), "error": pd.Series(dtype=str)})
    if len(feats) == 0:
        first = failures.iloc[0] if len(failures) else None
        raise AudioError(f"no file could be read"
                         + (f": {first['path']}: {first['error']}" if first is not None else ""))
    table = top_k_frame(model.predict_proba(feats), model.labels, top_k)
    table.insert(0, "path", feats["path"].astype(str).to_numpy())
    return PredictResult(table, failures)


def format_predictions(predictions: pd.DataFrame, fmt: str = "table") -> str:
    """Render :attr:`PredictResult.predictions` as ``table``, ``csv`` or ``json`` text.

    Probabilities are printed with 4 decimals; the text ends with a newline.
    """
    df = predictions.copy()
    for c in df.columns:
        if c.startswith("probability"):
            df[c] = df[c].round(4)
    if fmt == "csv":
        return df.to_csv(index=False, float_format="%.4f")
    if fmt == "json":
        return df.to_json(orient="records", indent=2) + "\n"
    if fmt == "table":
        return df.to_string(index=False, float_format=lambda v: f"{v:.4f}") + "\n"
    raise ConfigError(f"unknown format {fmt!r}; choose one of table, csv, json")
