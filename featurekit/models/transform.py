"""Per-note and per-pitch normalisation of feature columns.

Both transformers know the feature-column names they will receive (given at
construction by the pipeline builder), so they can find e.g. the estimated
pitch column inside a plain float matrix.

* :class:`NoteNormalizer` is stateless: each note is normalised with its own
  values only (level relative to its own peak, spectral shape in log-Hz and
  relative to its own estimated pitch), so it cannot leak anything between
  notes.
* :class:`PitchNormalizer` is fitted: it removes from every feature the part
  explained by the estimated pitch (a quadratic trend in log2 f0), learnt on the
  rows it is fitted on.  Inside a pipeline that is the training fold only, and
  at prediction time it uses only the note's own estimated pitch, never a
  label or metadata.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ..features import is_feature_column, parse_column

__all__ = ["NoteNormalizer", "PitchNormalizer", "PITCH_COLUMN"]

#: The estimated fundamental (log2 Hz, 0 when unpitched), used by both.
PITCH_COLUMN = "harmonic_f0__value__00"
_HZ_FEATURES = ("spectral_centroid", "spectral_bandwidth", "spectral_rolloff")
_LEVEL_STATS = ("mean", "median", "min", "max")


def _names(est, X, what) -> list:
    """The column names ``est`` works with: ``est.columns``, else the DataFrame's, else ``x0, x1, ...``."""
    if est.columns is not None:
        columns = [str(c) for c in est.columns]
        if len(columns) != X.shape[1]:
            raise ValueError(f"{what} got {X.shape[1]} columns but {len(columns)} column names")
        return columns
    if hasattr(est, "feature_names_in_"):
        return [str(c) for c in est.feature_names_in_]
    return [f"x{i}" for i in range(X.shape[1])]


class NoteNormalizer(TransformerMixin, BaseEstimator):
    """Level- and pitch-relative per-note features (stateless).

    * MFCC 0 (the note's log level) is made relative to the note's own peak
      (``mfcc__max__00``) when that column exists, and dropped otherwise; the
      RMS statistics are divided by the note's own RMS peak (or mean).
    * Hz-valued spectral statistics (centroid, bandwidth, roll-off) become
      log2 Hz, their spread a coefficient of variation, and each mean gets a
      pitch-relative twin ``log2(Hz) - log2(f0)`` (0 for unpitched notes).

    Every other column (including any that is not a feature column)
    passes through unchanged.

    Parameters
    ----------
    columns : list of str, optional
        Names of the input columns, in order; default: the DataFrame's column
        names seen by :meth:`fit` (a plain array's columns then all pass through).
    """

    def __init__(self, columns=None):
        self.columns = columns

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # NaN passes through (HistGradientBoosting handles it)
        return tags

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=[np.float32, np.float64], ensure_all_finite=False)
        columns = _names(self, X, "NoteNormalizer")
        pos = {c: i for i, c in enumerate(columns)}
        ops, names = [], []
        rms_ref = pos.get("temporal_rms__max__00", pos.get("temporal_rms__mean__00"))
        c0_ref = pos.get("mfcc__max__00")
        for i, c in enumerate(columns):
            if not is_feature_column(c):
                ops.append(("copy", i, None))
                names.append(c)
                continue
            _, feature, stat, idx = parse_column(c)
            if feature == "mfcc" and idx == 0 and stat in _LEVEL_STATS:
                if c0_ref is None or i == c0_ref:
                    continue  # absolute level: dropped
                ops.append(("sub", i, c0_ref))
            elif feature == "temporal_rms" and stat in (*_LEVEL_STATS, "std"):
                if rms_ref is None or i == rms_ref:
                    continue
                ops.append(("div", i, rms_ref))
            elif feature in _HZ_FEATURES and stat in _LEVEL_STATS:
                ops.append(("log2", i, None))
            elif feature in _HZ_FEATURES and stat == "std":
                ref = pos.get(f"{feature}__mean__00")
                ops.append(("div", i, ref) if ref is not None else ("log2", i, None))
            else:
                ops.append(("copy", i, None))
            names.append(c)
        f0 = pos.get(PITCH_COLUMN)
        if f0 is not None:
            for feature in _HZ_FEATURES:
                i = pos.get(f"{feature}__mean__00")
                if i is not None:
                    ops.append(("relf0", i, f0))
                    names.append(f"{feature}__relf0__00")
        self.ops_ = ops
        self.feature_names_out_ = np.asarray(names, dtype=object)
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float32, np.float64], reset=False,
                          ensure_all_finite=False)
        out = np.empty((X.shape[0], len(self.ops_)), dtype=X.dtype)
        for j, (op, i, ref) in enumerate(self.ops_):
            x = X[:, i]
            if op == "copy":
                out[:, j] = x
            elif op == "sub":
                out[:, j] = x - X[:, ref]
            elif op == "div":
                out[:, j] = x / np.maximum(np.abs(X[:, ref]), 1e-8)
            elif op == "log2":
                out[:, j] = np.log2(np.maximum(x, 1.0))
            else:  # relf0
                f0 = X[:, ref]
                out[:, j] = np.where(f0 > 0, np.log2(np.maximum(x, 1.0)) - f0, 0.0)
        return out

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        return self.feature_names_out_.copy()


class PitchNormalizer(TransformerMixin, BaseEstimator):
    """Remove each feature's quadratic trend in estimated pitch (fitted).

    For pitched rows (estimated f0 > 0) every column ``j`` becomes
    ``x_j - (a_j + b_j f + c_j f**2)`` with ``f`` the standardised log2 f0 and
    the coefficients fitted by least squares on the rows seen by :meth:`fit`;
    unpitched rows have the fitted mean removed.  The pitch column itself is
    kept as it is, so the classifier still sees the pitch.

    Parameters
    ----------
    columns : list of str, optional
        Names of the input columns, in order (default: the DataFrame's column
        names seen by :meth:`fit`); the pitch column is the one named
        ``harmonic_f0__value__00``.
    degree : int, default=2
        Degree of the polynomial trend.
    pitch_index : int, optional
        Position of the pitch column (log2 Hz, 0 when unpitched) when no
        column is named ``harmonic_f0__value__00`` (e.g. a plain array).
    """

    pitch_index = None  # models saved before the parameter existed

    def __init__(self, columns=None, degree=2, pitch_index=None):
        self.columns = columns
        self.degree = degree
        self.pitch_index = pitch_index

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # NaN passes through (HistGradientBoosting handles it)
        return tags

    def _design(self, f):
        z = (f - self.f0_mean_) / self.f0_scale_
        return np.vander(z, self.degree + 1, increasing=True)

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_all_finite=False)
        columns = _names(self, X, "PitchNormalizer")
        if not (isinstance(self.degree, int) and 0 <= self.degree <= 5):
            raise ValueError(f"degree must be an int in [0, 5], got {self.degree!r}")
        if PITCH_COLUMN in columns:
            self.pitch_index_ = columns.index(PITCH_COLUMN)
        elif self.pitch_index is not None and 0 <= self.pitch_index < X.shape[1]:
            self.pitch_index_ = int(self.pitch_index)
        else:
            raise ValueError(f"PitchNormalizer needs the column {PITCH_COLUMN!r} "
                             f"(or pitch_index, the position of the pitch column)")
        self.columns_ = columns
        f = X[:, self.pitch_index_].astype(np.float64)
        pitched = f > 0
        self.mean_ = X.mean(axis=0, dtype=np.float64)
        fp = f[pitched]
        self.f0_mean_ = float(fp.mean()) if len(fp) else 0.0
        self.f0_scale_ = float(fp.std()) if len(fp) > 1 and fp.std() > 0 else 1.0
        if len(fp) > self.degree:
            A = self._design(fp)
            coef, *_ = np.linalg.lstsq(A, X[pitched].astype(np.float64), rcond=None)
        else:
            coef = np.zeros((self.degree + 1, X.shape[1]))
            coef[0] = self.mean_
        coef[:, self.pitch_index_] = 0.0
        self.coef_ = coef
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False,
                          ensure_all_finite=False)
        f = X[:, self.pitch_index_].astype(np.float64)
        pitched = f > 0
        trend = self._design(np.where(pitched, f, self.f0_mean_)) @ self.coef_
        trend[~pitched] = self.mean_
        trend[:, self.pitch_index_] = 0.0
        return (X - trend).astype(X.dtype, copy=False)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        return np.asarray(self.columns_, dtype=object)
