"""``train_cnn``: the CNN KIND of :func:`featurekit.train`, on the classical pipelines' terms.

Everything but the estimator is shared with the other KINDs: the split
(:func:`featurekit.models.split.plan_split`: NSynth train/valid/test, else
GroupKFold by instrument, leaky only by name), the metrics and report files
(:mod:`featurekit.models.metrics`), and the model directory
(:mod:`featurekit.models.artifact`), which gains ``model.keras`` beside
``model.skops``.  So ``featurekit compare`` puts a CNN and an RF trained on
one table side by side on the same test notes.
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings

import numpy as np
import pandas as pd

from .._version import __version__
from ..errors import ConfigError
from ..frames import FRAMES_COLUMN, attach_frames, frames_matrix
from ..models.api import (
    TrainResult,
    config_dict,
    instruments_of,
    target_labels,
    prediction_frame,
    load_table,
    finish_training,
    fingerprint,
)
from ..models.artifact import (
    MODEL_FORMAT,
    Model,
    align_proba_columns,
    check_output_dir,
)
from ..models.metrics import compute_metrics, plain
from ..models.split import instrument_groups, plan_split
from .backend import import_keras
from .estimator import KerasFramesClassifier

__all__ = ["train_cnn", "KIND"]

#: The KIND name of the CNN in ``featurekit train``.
KIND = "cnn"


def _frames_input(features, table: pd.DataFrame, frames: str | None):
    """(table with a ``frames`` column, frames kind, (F, T)) of a directory or DataFrame."""
    if isinstance(features, pd.DataFrame):
        if FRAMES_COLUMN not in table.columns:
            raise ConfigError("the DataFrame has no 'frames' column; pass the feature directory "
                              "(extracted with --frames) or use featurekit.frames.attach_frames")
        cfg = table.attrs.get("featurekit") or {}
        kind = cfg.get("frames") or frames
        if frames is not None and kind != frames:
            raise ConfigError(f"the table holds {kind!r} frames, not {frames!r}")
        first = np.asarray(table[FRAMES_COLUMN].iloc[0], dtype=np.float32)
        if first.ndim != 2:
            raise ConfigError(f"each 'frames' cell must be an (F, T) array, got shape {first.shape}")
        return table, kind, tuple(int(v) for v in first.shape)
    from ..frames import frames_kind

    kind, shape = frames_kind(features)
    if frames is not None and kind != frames:
        raise ConfigError(f"{features} holds {kind!r} frames, not {frames!r}; extract with "
                          f"--frames {frames} into a new directory")
    return attach_frames(table, features), kind, shape


def _spec_text(params: dict, kind: str, shape) -> str:
    lines = ["# featurekit CNN (Keras 3): see featurekit.cnn.estimator.KerasFramesClassifier",
             "[pipeline]", 'name = "cnn"', "", "[frames]", f'kind = "{kind}"',
             f"shape = [{shape[0]}, {shape[1]}]", "", "[classifier.params]"]
    for key, value in params.items():
        if value is None:
            continue
        lines.append(f"{key} = {json.dumps(list(value) if isinstance(value, tuple) else value)}")
    return "\n".join(lines) + "\n"


def train_cnn(features, *, out=None, target: str = "instrument_family_str",
              frames: str | None = None, epochs: int | None = None, leaky_split: bool = False,
              seed: int = 0, params: dict | None = None) -> TrainResult:
    """Train the CNN on stored frames with the classical pipelines' split and metrics.

    Parameters
    ----------
    features : path-like or DataFrame
        A feature directory extracted with ``frames`` (``featurekit extract
        --frames``), or a table with a ``frames`` column of (F, T) arrays
        (:func:`featurekit.frames.attach_frames`).
    out : path-like, optional
        Model directory to write (atomically): ``model.keras`` plus the
        files of every featurekit model (``model.skops``, ``model.json``,
        ``metrics.json``, ``confusion.png``, ...).
    target : str
        As :func:`featurekit.train`.
    frames : {"mfcc", "logmel"}, optional
        The frames kind expected; default: whatever the table holds.
    epochs : int, optional
        Maximum epochs (default :class:`KerasFramesClassifier`'s, 40);
        early stopping ends sooner.
    leaky_split : bool
        Random note-level split (the metrics say it is leaky).
    seed : int
        Seeds the network, the shuffling and the early-stopping holdout.
    params : dict, optional
        Further :class:`KerasFramesClassifier` parameters (``filters``,
        ``dense``, ``batch_size``, ``patience``, ...).

    Returns
    -------
    TrainResult
        ``model.kind`` is ``"cnn"``; ``model.meta["frames"]`` holds the
        frames kind and shape.

    Notes
    -----
    Early stopping watches NSynth's ``valid`` split when the table has one,
    else a holdout of whole training instruments; the reported test rows
    are never used for it.  With GroupKFold every fold trains a network and
    the saved one is refitted on all rows (as for the other KINDs).
    """
    import_keras()  # fail fast, before loading anything, when the extra is missing
    if out is not None:
        check_output_dir(out)
    params = dict(params or {})
    if epochs is not None:
        params["epochs"] = epochs
    params.setdefault("random_state", seed)
    estimator = KerasFramesClassifier(**params)
    estimator._check_params()

    table = load_table(features)
    y = target_labels(table, target)
    table, kind, shape = _frames_input(features, table, frames)
    X = frames_matrix(table, shape)
    plan = plan_split(table, y, leaky=leaky_split, seed=seed)
    groups = None if plan.leaky else instrument_groups(table)
    train_rows = plan.final_train
    if len(np.unique(y[train_rows])) < 2:
        raise ConfigError(f"target {target!r} has a single class "
                          f"({plain(y[train_rows][0])!r}) in the training rows: nothing to learn")
    labels = sorted({plain(v) for v in y}, key=lambda v: (str(type(v)), v))

    def fit(rows):
        from sklearn.base import clone

        valid = None if plan.valid is None else (X[plan.valid], y[plan.valid])
        return clone(estimator).fit(X[rows], y[rows], validation_data=valid,
                                    groups=None if groups is None else groups[rows])

    start = time.perf_counter()
    parts, fitted = [], None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)
        for i, (tr, te) in enumerate(plan.folds):
            fitted = fit(tr)
            proba = align_proba_columns(fitted.predict_proba(X[te]), fitted.classes_, labels)
            parts.append(prediction_frame(table, te, y[te], proba, labels,
                                           fold=i if len(plan.folds) > 1 else None))
        final = fit(train_rows) if plan.refit_all else fitted
    fit_seconds = time.perf_counter() - start

    predictions = pd.concat(parts, ignore_index=True)
    split_info = {**plan.info, "early_stopping": final.validation_,
                  "epochs": {"run": final.n_epochs_, "best": final.best_epoch_,
                             "max": final.epochs}}
    metrics = compute_metrics(predictions["true"].to_numpy(), predictions["predicted"].to_numpy(),
                              labels, split_info)
    metrics = {"kind": KIND, "target": target, **metrics}

    fp = fingerprint(table.iloc[train_rows], [], target)
    digest = hashlib.sha256(fp["sha256"].encode())
    digest.update(np.ascontiguousarray(X[train_rows]).tobytes())
    fp = {**fp, "sha256": digest.hexdigest(), "n_features": int(shape[0] * shape[1])}
    est_params = {k: plain(v) for k, v in final.get_params().items()}
    keras = import_keras()
    meta = {
        "format": MODEL_FORMAT,
        "featurekit_version": __version__,
        "kind": KIND,
        "target": target,
        "labels": labels,
        "feature_columns": [],
        "frames": {"kind": kind, "shape": list(shape)},
        "extraction_config": config_dict(table),
        "spec": {"name": KIND, "description": f"Keras CNN on {kind} frames {shape[0]}x{shape[1]}",
                 "classifier": {"kind": KIND, "params": est_params},
                 "features": {"frames": kind}},
        "spec_text": _spec_text(est_params, kind, shape),
        "keras": {"version": keras.__version__, "backend": keras.backend.backend()},
        "fingerprint": fp,
        "train_instruments": instruments_of(table, train_rows),
        "split": plan.info,
        "seed": seed,
        "fit_seconds": round(fit_seconds, 3),
        "_metrics": metrics,
    }
    return finish_training(Model(final, meta), metrics, predictions, out,
                           save_extra=final.save_network)
