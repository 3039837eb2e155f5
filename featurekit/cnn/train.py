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

import json

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..frames import FRAMES_COLUMN, attach_frames, frames_kind
from ..models.harness import TrainResult, fingerprint, run_training
from ..models.metrics import plain_dict
from ..models.split import instrument_groups
from .backend import import_keras
from .estimator import KerasFramesClassifier
from .inputs import FramesInput

__all__ = ["train_cnn", "cnn_kind", "CnnKind", "KIND"]

#: The KIND name of the CNN in ``featurekit train``.
KIND = "cnn"


def _spec_text(params: dict, kind: str, shape) -> str:
    lines = ["# featurekit CNN (Keras 3): see featurekit.cnn.estimator.KerasFramesClassifier",
             "[pipeline]", 'name = "cnn"', "", "[frames]", f'kind = "{kind}"',
             f"shape = [{shape[0]}, {shape[1]}]", "", "[classifier.params]"]
    for key, value in params.items():
        if value is None:
            continue
        lines.append(f"{key} = {json.dumps(list(value) if isinstance(value, tuple) else value)}")
    return "\n".join(lines) + "\n"


class CnnKind:
    """The CNN as a model kind of :func:`featurekit.models.harness.run_training`.

    Parameters
    ----------
    frames : {"mfcc", "logmel"}, optional
        The frames kind expected; default: whatever the table holds.
    params : dict
        :class:`KerasFramesClassifier` parameters (``random_state`` included).
    """

    name = KIND

    def __init__(self, frames=None, params=None):
        self.frames = frames
        self.estimator = KerasFramesClassifier(**(params or {}))
        self.kind = None
        self.shape = None

    def check(self) -> None:
        import_keras()  # fail fast, before loading anything, when the extra is missing
        self.estimator.check_params()

    def prepare(self, table: pd.DataFrame, source) -> pd.DataFrame:
        """``table`` with a ``frames`` column: read from the directory ``source``, or checked."""
        if isinstance(source, pd.DataFrame):
            if FRAMES_COLUMN not in table.columns:
                raise ConfigError("the DataFrame has no 'frames' column; pass the feature directory "
                                  "(extracted with --frames) or use featurekit.frames.attach_frames")
            cfg = table.attrs.get("featurekit") or {}
            kind = cfg.get("frames") or self.frames
            first = np.asarray(table[FRAMES_COLUMN].iloc[0], dtype=np.float32)
            if first.ndim != 2:
                raise ConfigError(f"each 'frames' cell must be an (F, T) array, got shape {first.shape}")
            shape = tuple(int(v) for v in first.shape)
            where = "the table"
        else:
            kind, shape = frames_kind(source)
            where = str(source)
        if self.frames is not None and kind != self.frames:
            raise ConfigError(f"{where} holds {kind!r} frames, not {self.frames!r}; extract with "
                              f"--frames {self.frames} into a new directory")
        if self.kind is not None and (kind, shape) != (self.kind, self.shape):
            raise ConfigError(f"{where} holds {kind!r} frames of shape {shape}, but the first "
                              f"table {self.kind!r} frames of shape {self.shape}")
        self.kind, self.shape = kind, shape
        return table if isinstance(source, pd.DataFrame) else attach_frames(table, source)

    def model_input(self, table) -> FramesInput:
        return FramesInput(self.kind, self.shape)

    def fit(self, X, y, rows, *, plan, table, seed, n_jobs):
        from sklearn.base import clone

        groups = None if plan.leaky else instrument_groups(table)
        valid = None if plan.valid is None else (X[plan.valid], y[plan.valid])
        fitted = clone(self.estimator).fit(X[rows], y[rows], validation_data=valid,
                                           groups=None if groups is None else groups[rows])
        return fitted, None

    def split_info(self, final, chosen) -> dict:
        return {"early_stopping": final.validation_,
                "epochs": {"run": final.n_epochs_, "best": final.best_epoch_, "max": final.epochs}}

    def meta(self, final) -> dict:
        params = plain_dict(final.get_params())
        keras = import_keras()
        shape = self.shape
        return {
            "feature_columns": [],
            "frames": {"kind": self.kind, "shape": list(shape)},
            "spec": {"name": KIND,
                     "description": f"Keras CNN on {self.kind} frames {shape[0]}x{shape[1]}",
                     "classifier": {"kind": KIND, "params": params},
                     "features": {"frames": self.kind}},
            "spec_text": _spec_text(params, self.kind, shape),
            "keras": {"version": keras.__version__, "backend": keras.backend.backend()},
        }

    def fingerprint(self, table, target, X) -> dict:
        return fingerprint(table, [], target, X=X)

    def save_extra(self, final):
        return final.save_network


def cnn_kind(*, frames=None, epochs=None, seed=0, params=None) -> CnnKind:
    """The :class:`CnnKind` of ``featurekit.train(features, "cnn", frames=..., epochs=..., seed=...)``."""
    params = dict(params or {})
    if epochs is not None:
        params["epochs"] = epochs
    params.setdefault("random_state", seed)
    return CnnKind(frames=frames, params=params)


def train_cnn(features, *, out=None, target: str = "instrument_family_str",
              frames: str | None = None, epochs: int | None = None, leaky_split: bool = False,
              seed: int = 0, params: dict | None = None, n_jobs: int | None = None,
              fit_all: bool = False) -> TrainResult:
    """Train the CNN on stored frames with the classical pipelines' split and metrics.

    Parameters
    ----------
    features : path-like or DataFrame, or a list of them
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
    n_jobs, fit_all
        As :func:`featurekit.train` (``n_jobs`` caps the OpenMP/BLAS threads).

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
    kind = cnn_kind(frames=frames, epochs=epochs, seed=seed, params=params)
    return run_training(kind, features, out=out, target=target, leaky_split=leaky_split,
                        seed=seed, n_jobs=n_jobs, fit_all=fit_all)
