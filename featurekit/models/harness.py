"""The one training harness behind every KIND: tables in, an honestly scored model out.

:func:`run_training` does what every model kind shares: load the feature
table(s) and the target labels, refuse a single-class target, plan the
honest split (:func:`~featurekit.models.split.plan_split`), run the fold loop
and the refit, compute the metrics, write the metadata and save the model
directory (:func:`finish_training`).  What differs between kinds (how rows
become an input array, how an estimator is fitted, what it adds to the
metadata) is a *model kind* object handed in, so this module imports no kind:

``name``
    The model's ``kind`` (``"rf"``, ``"cnn"``, ...).
``check()``
    Fail fast (e.g. a missing optional dependency), before anything is loaded.
``prepare(table, source)``
    The table with the rows' inputs added from the feature directory
    ``source`` (e.g. the CNN's frames); the table itself otherwise.
``model_input(table)``
    The :mod:`featurekit.models.inputs` adapter of the model.
``fit(X, y, rows, *, plan, table, seed, n_jobs)``
    ``(fitted estimator, chosen search parameters or None)`` on ``rows``.
``split_info(final, chosen)``
    Entries added to ``metrics["split"]`` (e.g. the search grid).
``meta(final)``
    Kind-specific metadata (``spec``, ``spec_text``, ``feature_columns``, ...).
``fingerprint(table, rows, target, X, columns)``
    The ``fingerprint`` entry (default: :func:`fingerprint`).
``save_extra(final)``
    ``None``, or a function writing what skops cannot hold into the model directory.

Both the classical pipelines (:mod:`featurekit.models.api`) and the CNN
(:mod:`featurekit.cnn.train`) run through it, so they filter the same
warnings, turn fit errors into the same one-line errors and honour ``n_jobs``
the same way.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._version import __version__
from ..config import ExtractionConfig
from ..errors import ConfigError, CorpusError, FeaturekitError, ModelError
from .artifact import MODEL_FORMAT, Model, check_model_dir, model_dir, save_model, top_k_frame
from .columns import (
    DEFAULT_LIBRARY,
    ID_COLUMNS,
    INSTRUMENT_COLUMN,
    LIBRARY_COLUMN,
    TARGETS,
)
from .metrics import compute_metrics, plain, sort_labels, write_metric_files
from .split import FIT_ALL_NOTE, fit_all_plan, plan_split

__all__ = [
    "TrainResult", "run_training", "finish_training", "load_table", "load_tables",
    "target_labels", "label_column", "config_dict", "fingerprint", "prediction_frame", "instruments_of",
    "instrument_keys", "fit_errors", "fit_context", "resolve_n_jobs", "thread_limit",
    "FIT_ALL_NOTE",
]



@dataclass
class TrainResult:
    """What :func:`featurekit.train` returns.

    Attributes
    ----------
    model : Model
        The fitted model (saved to ``out`` when given).
    metrics : dict
        Honest test metrics (as in ``metrics.json``).
    predictions : DataFrame
        The test predictions (as in ``predictions.parquet``; empty with ``fit_all``).
    out : Path or None
    """

    model: Model
    metrics: dict
    predictions: pd.DataFrame
    out: Path | None = None


# --- tables and labels --------------------------------------------------------
def load_table(features) -> pd.DataFrame:
    """A feature table from a directory, a DataFrame, or a list of them (see :func:`load_tables`)."""
    if isinstance(features, (list, tuple)):
        return load_tables(features)
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


def _name(source) -> str:
    return "a DataFrame" if isinstance(source, pd.DataFrame) else str(source)


def balance_rows(rows, table_id) -> np.ndarray:
    """Training rows with every table's rows repeated up to the largest table's count.

    Parameters
    ----------
    rows : array of int, shape (n_rows,)
        Row indices of the joined table (see :func:`load_tables`).
    table_id : array of int, shape (n_table_rows,)
        Which input table each row of the joined table came from.

    Returns
    -------
    ndarray of int
        ``rows``, in input-table order, where each table with rows among
        ``rows`` now has as many as the largest: its rows cycled in order
        (whole repeats, then the first rows again), so a 1,600-note real
        table trained beside 100,000 rendered notes weighs as much as they do.
    """
    rows = np.asarray(rows)
    ids = table_id[rows]
    present = np.unique(ids)
    target = max(int((ids == t).sum()) for t in present)
    return np.concatenate([np.resize(rows[ids == t], target) for t in present])


def load_tables(sources, prepare=None) -> pd.DataFrame:
    """Several feature tables as one, after checking they share one extraction config.

    Parameters
    ----------
    sources : list of path-like or DataFrame
    prepare : callable, optional
        ``prepare(table, source)`` applied to each table before they are
        joined (e.g. reading each directory's frames).

    Returns
    -------
    DataFrame
        The rows of every table in order (index reset), ``attrs["featurekit"]``
        the shared config.

    Raises
    ------
    ConfigError
        Two tables extracted with different configs (the message names the
        first difference) or a note in two tables (the same ``note_id`` and,
        when the tables have one, the same ``library``).
    """
    sources = list(sources)
    if not sources:
        raise CorpusError("no feature table given")
    tables = []
    for src in sources:
        t = load_table(src)
        tables.append(prepare(t, src) if prepare is not None else t)
    if len(tables) == 1:
        return tables[0]
    first = ExtractionConfig.from_dict(config_dict(tables[0])).identity()
    for src, t in zip(sources[1:], tables[1:]):
        other = ExtractionConfig.from_dict(config_dict(t)).identity()
        diff = sorted(k for k in set(first) | set(other) if first.get(k) != other.get(k))
        if diff:
            k = diff[0]
            raise ConfigError(
                f"{_name(src)} was extracted with {k} = {other.get(k)!r} but {_name(sources[0])} "
                f"with {k} = {first.get(k)!r}; tables trained on together need one extraction config"
            )
    attrs = dict(tables[0].attrs)
    table = pd.concat(tables, ignore_index=True)
    table.attrs = attrs
    if "note_id" in table.columns:
        # one note in two tables is an error; the same note_id in two libraries is not
        key = [c for c in (LIBRARY_COLUMN, "note_id") if c in table.columns]
        dup = table[key].astype(str).duplicated()
        if dup.any():
            raise ConfigError(f"note {table.loc[dup, 'note_id'].iloc[0]!r} is in more than one "
                              f"of the feature tables given")
    return table


def label_column(table, column) -> pd.Series:
    """The column of true labels, checked: present (else a hint at ``label``), no missing value."""
    if column not in table.columns:
        hint = (" (this table has a 'label' column: use target='label')"
                if "label" in table.columns and column != "label" else "")
        raise ConfigError(f"the feature table has no target column {column!r}{hint}")
    y = table[column]
    if y.isna().any():
        raise ConfigError(f"target column {column!r} has {int(y.isna().sum())} missing values")
    return y


def target_labels(table, target):
    """The target column as an int64 or object array, validated (known target, no missing values)."""
    if target not in TARGETS:
        raise ConfigError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
    y = label_column(table, target)
    if pd.api.types.is_integer_dtype(y) or pd.api.types.is_bool_dtype(y):
        return y.to_numpy(dtype=np.int64)
    return y.astype(str).to_numpy(dtype=object)


def config_dict(table) -> dict:
    """The extraction config stored with a table (the defaults, with a warning, when it has none)."""
    cfg = table.attrs.get("featurekit")
    if cfg is None:
        warnings.warn("the feature table carries no extraction config; assuming the defaults",
                      stacklevel=3)
        return ExtractionConfig().to_dict()
    cfg = ExtractionConfig.from_dict(cfg).to_dict() if isinstance(cfg, dict) else cfg
    return cfg


def fingerprint(table, columns, target, X=None) -> dict:
    """SHA-256 of the rows a model learns from (ids, features, target) and their shape.

    ``X`` (the input array, e.g. frames) is hashed too when given.
    """
    cols = [c for c in ("note_id",) if c in table.columns] + list(columns) + [target]
    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(table[cols], index=False).to_numpy().tobytes())
    h.update("\x00".join(cols).encode())
    n_features = len(columns)
    if X is not None:
        h.update(np.ascontiguousarray(X).tobytes())
        n_features = int(np.prod(X.shape[1:]))
    return {"sha256": h.hexdigest(), "n_rows": int(len(table)), "n_features": n_features}


def prediction_frame(table, idx, y_true, proba, labels, fold=None):
    """Predictions of the rows ``idx``: their id columns, ``true``, ``predicted``, ``probability``, ``proba__*``."""
    ids = {c: table[c].to_numpy()[idx] for c in ID_COLUMNS if c in table.columns}
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


def instrument_keys(table) -> np.ndarray | None:
    """Each row's instrument identity across corpora, or None without ``instrument_str``.

    ``instrument_str`` alone for tables without a ``library`` column (and rows
    of the default library, real NSynth); ``"library/instrument_str"``
    otherwise, so a rendered ``flute_acoustic_009`` never equals NSynth's.
    """
    if INSTRUMENT_COLUMN not in table.columns:
        return None
    names = table[INSTRUMENT_COLUMN].astype(str).to_numpy()
    if LIBRARY_COLUMN not in table.columns:
        return names
    lib = table[LIBRARY_COLUMN].astype(object).where(table[LIBRARY_COLUMN].notna(), DEFAULT_LIBRARY)
    lib = lib.astype(str).replace("", DEFAULT_LIBRARY).to_numpy()
    return np.where(lib == DEFAULT_LIBRARY, names, np.char.add(np.char.add(lib.astype(str), "/"),
                                                               names.astype(str)))


def instruments_of(table, rows, *, qualified: bool = False):
    """The sorted instruments of the rows ``rows``.

    ``instrument_str`` values (``meta["train_instruments"]``), or with
    ``qualified`` the identities across corpora of :func:`instrument_keys`
    (``meta["train_instrument_ids"]``).
    """
    if INSTRUMENT_COLUMN not in table.columns:
        return []
    keys = instrument_keys(table) if qualified else table[INSTRUMENT_COLUMN].astype(str).to_numpy()
    return sorted(pd.unique(keys[rows]).tolist())


# --- how fits run ---------------------------------------------------------------
def resolve_n_jobs(n_jobs) -> int | None:
    """``None`` (the default: all cores), else :func:`featurekit.distributed.worker_count`.

    Raises
    ------
    ConfigError
        0, a bool or a non-integer.
    """
    from ..distributed import worker_count

    return None if n_jobs is None else worker_count(n_jobs)


def thread_limit(n_jobs):
    """Cap OpenMP/BLAS threads at ``n_jobs`` (positive) for the fits; no cap for None."""
    if n_jobs is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=int(n_jobs))


@contextlib.contextmanager
def fit_errors(what):
    """Turn estimator errors (too few rows for a fold, bad data) into one-line ModelErrors.

    ``what`` names the model: a string, or anything with a ``name`` (a spec).
    """
    name = what if isinstance(what, str) else getattr(what, "name", str(what))
    try:
        yield
    except FeaturekitError:
        raise
    except (ValueError, np.linalg.LinAlgError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"fitting pipeline {name!r} failed: {msg}") from None


@contextlib.contextmanager
def fit_context(name, n_jobs):
    """Everything a fit runs under: quiet library warnings, one-line errors, thread caps."""
    with warnings.catch_warnings(), fit_errors(name), thread_limit(n_jobs):
        # estimators' chatter (e.g. "X has feature names", Keras' input-shape notes)
        warnings.filterwarnings("ignore", category=UserWarning,
                                module=r"(sklearn|imblearn|keras|jax)(\.|$)")
        yield


# --- training ---------------------------------------------------------------------
def run_training(kind, features, *, out=None, target: str = "instrument_family_str",
                 leaky_split: bool = False, seed: int = 0, n_jobs=None,
                 fit_all: bool = False, balance_tables: bool = False) -> TrainResult:
    """Train a model kind with an honest split (see the module docstring).

    Parameters are those of :func:`featurekit.train`; ``kind`` is a model
    kind object.
    """
    n_jobs = resolve_n_jobs(n_jobs)
    if fit_all and leaky_split:
        raise ConfigError("fit_all=True fits on every row, so there is no split to make leaky: "
                          "drop leaky_split=True")
    kind.check()
    if out is not None:
        check_model_dir(out)  # fail before the (long) fit
    sources = list(features) if isinstance(features, (list, tuple)) else [features]
    sizes = []  # rows of each input table, in order

    def prepare(t, src):
        t = kind.prepare(t, src)
        sizes.append(len(t))
        return t

    table = load_tables(sources, prepare=prepare)
    table_id = np.repeat(np.arange(len(sizes)), sizes)  # load_tables keeps every row, in order
    fit_rows = ((lambda rows: balance_rows(rows, table_id)) if balance_tables and len(sizes) > 1
                else (lambda rows: rows))
    y = target_labels(table, target)
    plan = (fit_all_plan(table, sources=[_name(s) for s in sources]) if fit_all
            else plan_split(table, y, leaky=leaky_split, seed=seed))
    model_in = kind.model_input(table)
    X = model_in.matrix(table)
    train_rows = plan.final_train
    if len(np.unique(y[train_rows])) < 2:
        raise ConfigError(f"target {target!r} has a single class "
                          f"({plain(y[train_rows][0])!r}) in the training rows: nothing to learn")
    labels = sort_labels(y)
    config = config_dict(table)

    start = time.perf_counter()
    parts, chosen, fold_model = [], [], None
    with fit_context(kind.name, n_jobs):
        for i, (tr, te) in enumerate(plan.folds):
            fold_model, params = kind.fit(X, y, fit_rows(tr), plan=plan, table=table, seed=seed,
                                          n_jobs=n_jobs)
            chosen.append(params)
            proba = _aligned_proba(fold_model, X[te], labels)
            parts.append(prediction_frame(table, te, y[te], proba, labels,
                                          fold=i if len(plan.folds) > 1 else None))
        if plan.refit_all:
            final, params = kind.fit(X, y, fit_rows(train_rows), plan=plan, table=table,
                                     seed=seed, n_jobs=n_jobs)
            chosen.append(params)
        else:
            final = fold_model
    fit_seconds = time.perf_counter() - start

    split_info = {**plan.info, **kind.split_info(final, chosen)}
    if balance_tables and len(sizes) > 1:
        counts = [int((table_id[train_rows] == t).sum()) for t in range(len(sizes))]
        split_info["balance"] = (f"tables balanced: the training rows of each table "
                                 f"({', '.join(f'{c:,}' for c in counts)}) repeated up to "
                                 f"the largest ({max(counts):,})")
    if parts:
        predictions = pd.concat(parts, ignore_index=True)
        scores = compute_metrics(predictions["true"].to_numpy(),
                                 predictions["predicted"].to_numpy(), labels, split_info)
    else:
        predictions = prediction_frame(table, np.arange(0), y[:0], np.zeros((0, len(labels))),
                                       labels)
        scores = no_score_metrics(split_info)
    metrics = {"kind": kind.name, "target": target, **scores}

    meta = {
        "format": MODEL_FORMAT,
        "featurekit_version": __version__,
        "kind": kind.name,
        "target": target,
        "labels": labels,
        "feature_columns": [],
        "input": model_in.to_dict(),
        "extraction_config": config,
        **kind.meta(final),
        "fingerprint": kind.fingerprint(table.iloc[train_rows], target, X[train_rows]),
        "train_instruments": instruments_of(table, train_rows),
        "train_instrument_ids": instruments_of(table, train_rows, qualified=True),
        "split": plan.info,
        "seed": seed,
        "fit_seconds": round(fit_seconds, 3),
        "_metrics": metrics,
    }
    return finish_training(Model(final, meta), metrics, predictions, out,
                           save_extra=kind.save_extra(final))


def no_score_metrics(split_info: dict) -> dict:
    """The metrics entries of a model without held-out rows (scores are NaN, ``held_out`` False)."""
    nan = float("nan")
    return {"n_test": 0, "held_out": False, "accuracy": nan, "balanced_accuracy": nan,
            "macro_f1": nan, "weighted_f1": nan, "per_class": {},
            "confusion": {"labels": [], "matrix": []}, "split": split_info}


def _aligned_proba(estimator, X, labels):
    from .artifact import align_proba_columns

    return align_proba_columns(estimator.predict_proba(X), estimator.classes_, labels)


def finish_training(model: Model, metrics: dict, predictions: pd.DataFrame, out=None,
                    save_extra=None) -> TrainResult:
    """Save a trained model with its report (atomically, if ``out``) and wrap the result.

    ``save_extra(directory)`` writes what skops cannot hold (e.g. a Keras network)
    into the staged directory before it replaces ``out``.
    """
    out_path = None
    if out is not None:
        out_path = Path(out)
        with model_dir(out_path) as tmp:
            save_model(model, tmp)
            if save_extra is not None:
                save_extra(tmp)
            write_metric_files(tmp, metrics, predictions)
        model.path = out_path
    return TrainResult(model, metrics, predictions, out_path)
