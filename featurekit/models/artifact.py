"""Saved models: a skops file plus readable metadata, loaded against a trusted-type list.

Model directory layout::

    MODEL_DIR/
      model.skops          fitted imblearn Pipeline + metadata (skops, not pickle)
      model.json           the same metadata, readable without loading the model
      model.keras          the network, for KIND cnn only (featurekit.cnn)
      pipeline.toml        the pipeline spec it was trained with, verbatim
      metrics.json         honest test metrics, with a ``split`` entry
      per_class.csv        precision / recall / F1 / support per class
      confusion.png        confusion matrix (rows normalised)
      predictions.parquet  the test predictions

Directories are written into a temporary sibling and renamed at the end
(:func:`featurekit.fileio.staged_dir`), so a failed run never leaves something
that looks like a model, and a directory is replaced only when featurekit can
prove it wrote all of it (its owner marker, or only :data:`MODEL_DIR_FILES` in
a model directory of an older featurekit).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .._version import __version__
from ..config import FEATURE_VERSION, ExtractionConfig
from ..errors import ModelError
from ..fileio import (MODEL_META_FILE, check_replaceable, staged_dir, write_bytes_atomic,
                      write_text_atomic)
from .inputs import model_input
from .metrics import METRIC_FILES, plain

__all__ = ["Model", "save_model", "load_model", "model_dir", "check_model_dir", "TRUSTED_TYPES",
           "MODEL_FORMAT", "MODEL_DIR_FILES", "OUTPUT_KIND", "align_proba_columns", "top_k_frame"]

#: Bumped when the model directory or metadata layout changes incompatibly.
MODEL_FORMAT = 1

#: Types (beyond skops' own defaults: numpy, builtins, most of scikit-learn)
#: a model file may contain.  Anything else is refused at load time.
TRUSTED_TYPES = (
    "featurekit.cnn.estimator.KerasFramesClassifier",  # its network: model.keras
    "featurekit.models.resample.AdaptiveSMOTE",
    "featurekit.models.scalable_svm.ScalableSVC",
    "featurekit.models.transform.NoteNormalizer",
    "featurekit.models.transform.PitchNormalizer",
    "imblearn.pipeline.Pipeline",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
    "sklearn.utils._bunch.Bunch",
)

MODEL_FILE = "model.skops"
META_FILE = MODEL_META_FILE
SPEC_FILE = "pipeline.toml"
#: Owner-marker kind of a model directory (:mod:`featurekit.fileio`).
OUTPUT_KIND = "model"
#: Every file a model directory holds (``model.keras``: CNN only).
MODEL_DIR_FILES = (MODEL_FILE, META_FILE, SPEC_FILE, "model.keras", *METRIC_FILES)


class Model:
    """A fitted pipeline with everything needed to use it on new audio.

    Parameters
    ----------
    pipeline : imblearn.pipeline.Pipeline
        Fitted; receives the :attr:`feature_columns` of a table, in order.
    meta : dict
        Metadata (see :func:`featurekit.models.api.train`): ``target``,
        ``labels``, ``feature_columns``, ``extraction_config``, ``spec``,
        ``fingerprint``, ``featurekit_version``, ...
    path : Path or None
        Directory the model was loaded from or saved to.
    """

    def __init__(self, pipeline, meta: dict, path=None):
        self.pipeline = pipeline
        self.meta = meta
        self.path = Path(path) if path is not None else None
        self.input = model_input(meta)

    def __repr__(self):
        where = f", path={str(self.path)!r}" if self.path else ""
        return (f"Model(kind={self.kind!r}, target={self.target!r}, "
                f"labels={len(self.labels)}, features={len(self.feature_columns)}{where})")

    # --- metadata ---------------------------------------------------------
    @property
    def kind(self) -> str:
        return self.meta["kind"]

    @property
    def target(self) -> str:
        return self.meta["target"]

    @property
    def labels(self) -> list:
        return list(self.meta["labels"])

    @property
    def feature_columns(self) -> list:
        return list(self.meta["feature_columns"])

    @property
    def extraction_config(self) -> ExtractionConfig:
        return ExtractionConfig.from_dict(self.meta["extraction_config"])

    @property
    def metrics(self) -> dict | None:
        """``metrics.json`` of the model dir (None for an unsaved model without one)."""
        if self.meta.get("_metrics") is not None:
            return self.meta["_metrics"]
        if self.path is not None and (self.path / "metrics.json").is_file():
            return json.loads((self.path / "metrics.json").read_text(encoding="utf-8"))
        return None

    # --- prediction -------------------------------------------------------
    def feature_matrix(self, table: pd.DataFrame) -> np.ndarray:
        """The estimator's input for the rows of ``table`` (see :mod:`featurekit.models.inputs`)."""
        return self.input.matrix(table)

    def predict_proba(self, table: pd.DataFrame) -> np.ndarray:
        """Class probabilities, shape (n_rows, len(labels)), columns in :attr:`labels` order."""
        proba = self.pipeline.predict_proba(self.feature_matrix(table))
        return align_proba_columns(proba, self.pipeline.classes_, self.labels)

    def predict_table(self, table: pd.DataFrame, *, top_k: int = 1) -> pd.DataFrame:
        """Top-``k`` labels and probabilities per row of a feature table.

        Returns
        -------
        DataFrame
            ``label, probability`` (the best class), then ``label_2,
            probability_2`` ... up to ``top_k``, one row per table row.
        """
        return top_k_frame(self.predict_proba(table), self.labels, top_k)


def align_proba_columns(proba, classes, labels):
    """Reorder/extend probability columns from ``classes`` to ``labels``."""
    out = np.zeros((proba.shape[0], len(labels)), dtype=np.float64)
    pos = {plain(c): i for i, c in enumerate(labels)}
    for j, c in enumerate(classes):
        out[:, pos[plain(c)]] = proba[:, j]
    return out


def top_k_frame(proba: np.ndarray, labels: list, top_k: int) -> pd.DataFrame:
    """``label, probability, label_2, probability_2, ...`` from a probability matrix."""
    k = max(1, min(int(top_k), len(labels)))
    # Stable order: ties go to the earlier label.
    order = np.argsort(-proba, axis=1, kind="stable")[:, :k]
    labels_arr = np.asarray(labels, dtype=object)
    cols = {}
    for r in range(k):
        suffix = "" if r == 0 else f"_{r + 1}"
        cols[f"label{suffix}"] = labels_arr[order[:, r]]
        cols[f"probability{suffix}"] = np.take_along_axis(proba, order[:, r:r + 1], axis=1)[:, 0]
    df = pd.DataFrame(cols)
    if all(isinstance(lab, (int, np.integer)) for lab in labels):
        for r in range(k):
            col = "label" if r == 0 else f"label_{r + 1}"
            df[col] = df[col].astype("int64")
    return df


# --- writing ----------------------------------------------------------------
def check_model_dir(target) -> Path:
    """Raise :class:`~featurekit.errors.OutputError` unless ``target`` may become a model directory.

    ``target`` may be missing, empty, or a model directory featurekit wrote
    (with nothing a user added: a ``notes.txt`` put there refuses it).
    """
    return check_replaceable(target, OUTPUT_KIND, legacy=MODEL_DIR_FILES)


def model_dir(target):
    """:func:`featurekit.fileio.staged_dir` of a model directory (see :func:`check_model_dir`)."""
    return staged_dir(target, OUTPUT_KIND, legacy=MODEL_DIR_FILES)


def save_model(model: Model, directory) -> None:
    """Write ``model.skops``, ``model.json`` and ``pipeline.toml`` into ``directory``.

    Each file is written atomically; use :func:`model_dir` for the directory.
    """
    import skops.io as sio

    d = Path(directory)
    meta = {k: v for k, v in model.meta.items() if not k.startswith("_")}
    write_bytes_atomic(d / MODEL_FILE, sio.dumps({"format": MODEL_FORMAT, "pipeline": model.pipeline,
                                                  "meta_json": json.dumps(meta, sort_keys=True)}))
    write_text_atomic(d / META_FILE, json.dumps(meta, indent=2, sort_keys=True) + "\n")
    write_text_atomic(d / SPEC_FILE, meta.get("spec_text", ""))


# --- reading ----------------------------------------------------------------
def _incompatible(meta: dict) -> str | None:
    fmt = meta.get("format")
    version = meta.get("featurekit_version", "unknown")
    if fmt != MODEL_FORMAT:
        return (f"model format {fmt} (saved by featurekit {version}); this featurekit "
                f"{__version__} reads format {MODEL_FORMAT}: retrain it or use featurekit {version}")
    fv = meta.get("extraction_config", {}).get("feature_version")
    if fv != FEATURE_VERSION:
        return (f"feature version {fv} (saved by featurekit {version}); this featurekit "
                f"{__version__} computes feature version {FEATURE_VERSION}: retrain it or use "
                f"featurekit {version}")
    return None


def load_model(path) -> Model:
    """Load a model directory written by :func:`featurekit.train`.

    Only the types in skops' defaults and :data:`TRUSTED_TYPES` are
    reconstructed; a file naming anything else is refused.

    Raises
    ------
    ModelError
        Not a model directory, incompatible featurekit version, untrusted
        types, or a corrupt file.
    """
    import skops.io as sio

    if isinstance(path, Model):
        return path
    d = Path(path)
    if not d.is_dir():
        raise ModelError(f"{d} is not a featurekit model directory (no such directory)")
    meta_path, model_path = d / META_FILE, d / MODEL_FILE
    if not meta_path.is_file() or not model_path.is_file():
        raise ModelError(f"{d} is not a featurekit model directory (no {META_FILE}/{MODEL_FILE})")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("not an object")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelError(f"{meta_path} is corrupt ({exc})") from None
    problem = _incompatible(meta)
    if problem:
        raise ModelError(f"{d}: incompatible model: {problem}")
    try:
        untrusted = sio.get_untrusted_types(file=model_path)
    except Exception as exc:  # zip or schema errors
        raise ModelError(f"{model_path} is not a readable skops file ({exc})") from None
    refused = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if refused:
        raise ModelError(f"refusing to load {model_path}: untrusted types "
                         f"{', '.join(refused)}")
    try:
        obj = sio.load(model_path, trusted=list(untrusted))
    except Exception as exc:
        raise ModelError(f"{model_path} cannot be loaded ({type(exc).__name__}: {exc})") from None
    if not isinstance(obj, dict) or obj.get("format") != MODEL_FORMAT or "pipeline" not in obj:
        raise ModelError(f"{model_path} does not hold a featurekit model")
    stored = json.loads(obj["meta_json"])
    if stored != meta:
        raise ModelError(f"{d}: {META_FILE} does not match {MODEL_FILE} (edited by hand?)")
    if hasattr(obj["pipeline"], "attach_files"):  # weights kept beside it (featurekit.cnn)
        obj["pipeline"].attach_files(d)
    return Model(obj["pipeline"], stored, path=d)
