"""featurekit's features as a scikit-learn transformer.

:class:`FeatureExtractor` turns audio (a list of file paths, or a 2-D array
of equal-length clips) into featurekit's feature matrix inside any
scikit-learn or imbalanced-learn pipeline::

    from imblearn.pipeline import make_pipeline
    pipe = make_pipeline(FeatureExtractor(), SMOTE(), RandomForestClassifier())
    cross_val_score(pipe, paths, y, groups=groups, cv=GroupKFold(n_splits=3))

It is stateless: ``fit`` only validates the parameters and records the
output column names, so fitting inside cross-validation costs nothing and no
audio of a test fold can leak into training.
"""

from __future__ import annotations

import os

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .errors import AudioError, ConfigError


def _is_paths(X) -> bool:
    """True for a list-like of str / path-like (not an array of numbers)."""
    import scipy.sparse

    if scipy.sparse.issparse(X):
        return False
    if isinstance(X, (str, os.PathLike)):
        return False
    if hasattr(X, "columns") and len(getattr(X, "columns", ())) == 1:  # one-column frame
        X = X.iloc[:, 0]
    try:
        items = list(X) if not hasattr(X, "ndim") or X.ndim == 1 else None
    except TypeError:
        return False
    return bool(items) and all(isinstance(p, (str, os.PathLike)) for p in items)


class FeatureExtractor(TransformerMixin, BaseEstimator):
    """Audio -> featurekit feature matrix, as a scikit-learn transformer.

    Parameters
    ----------
    preset : str, default="default"
        Feature preset (``mfcc40``, ``default``, ``full`` or a registered one).
    sample_rate : int, default=16000
        Analysis rate in Hz.  Files are resampled to it; array input is taken
        to be at this rate.
    clip_seconds : float, default=4.0
        Clip length: audio is zero-padded or cut to it (NSynth notes: 4 s).
    n_jobs : int, default=1
        Worker processes (joblib; -1 uses all cores).  Not part of what is
        computed: any value gives the same matrix.

    Attributes
    ----------
    config_ : ExtractionConfig
        What is computed (store it with the model).
    feature_names_out_ : ndarray of str, shape (n_features_out,)
        Output column names, ``<feature>__<statistic>__<NN>``
        (:func:`featurekit.parse_column` parses them).
    n_features_in_ : int
        Samples per clip of array input (set only when fitted on an array).

    Notes
    -----
    ``transform`` accepts either

    * a list (or 1-D array, Series, one-column DataFrame) of audio file
      paths in any format :func:`featurekit.audio.read_clip` reads; a file
      that cannot be read raises :class:`~featurekit.errors.AudioError`
      naming it (dropping its row would misalign ``y``);
    * a 2-D numeric array, shape ``(n_clips, n_samples)``, of mono clips at
      ``sample_rate``; non-finite values are rejected (``ValueError``).

    The output is float32, shape ``(n_clips, n_features_out)``; with
    ``set_output(transform="pandas")`` a DataFrame whose columns are
    :meth:`get_feature_names_out`.
    """

    def __init__(self, preset="default", sample_rate=16000, clip_seconds=4.0, n_jobs=1):
        self.preset = preset
        self.sample_rate = sample_rate
        self.clip_seconds = clip_seconds
        self.n_jobs = n_jobs

    # -- scikit-learn protocol ------------------------------------------------
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True  # file paths
        tags.requires_fit = True
        tags.transformer_tags.preserves_dtype = ["float32"]  # output is always float32
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"X_types": ["2darray", "string"], "preserves_dtype": [np.float32],
                "stateless": True}

    def fit(self, X, y=None):
        """Validate the parameters and record the output columns.

        Parameters
        ----------
        X : list of path-like, or array-like of shape (n_clips, n_samples)
        y : ignored

        Returns
        -------
        self
        """
        from .config import ExtractionConfig
        from .features import AnalysisPlan, feature_names

        if isinstance(self.n_jobs, bool) or not isinstance(self.n_jobs, (int, np.integer)) \
                or self.n_jobs == 0:
            raise ConfigError(f"n_jobs must be a non-zero integer, got {self.n_jobs!r}")
        self.config_ = ExtractionConfig(preset=self.preset, sample_rate=self.sample_rate,
                                        duration=float(self.clip_seconds))
        self.feature_names_out_ = np.asarray(feature_names(AnalysisPlan(self.config_)), dtype=object)
        if _is_paths(X):
            for name in ("n_features_in_", "feature_names_in_"):
                self.__dict__.pop(name, None)
        else:
            validate_data(self, X, reset=True, dtype=np.float32)
        return self

    def transform(self, X):
        """Feature matrix of ``X``.

        Parameters
        ----------
        X : list of path-like, or array-like of shape (n_clips, n_samples)

        Returns
        -------
        ndarray, shape (n_clips, n_features_out), float32

        Raises
        ------
        AudioError
            A listed file cannot be read (the message names the file).
        ValueError
            An array that is not 2-D, holds non-finite values, or whose clip
            length differs from the one seen in ``fit``.
        """
        check_is_fitted(self, "feature_names_out_")
        if _is_paths(X):
            return self._transform_paths(X)
        from .arrays import feature_matrix

        X = validate_data(self, X, reset=False, dtype=np.float32)
        return feature_matrix(X, self.config_.sample_rate, self.config_, n_jobs=self.n_jobs)

    def _transform_paths(self, X):
        from .extraction import extract_files

        if hasattr(X, "columns"):
            X = X.iloc[:, 0]
        paths = [os.fspath(p) for p in X]
        features, failures = extract_files(paths, self.config_, n_jobs=self.n_jobs)
        if len(failures):
            first = failures.iloc[0]
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            raise AudioError(f"cannot read {first['path']}: {first['error']}{more}")
        return features[list(self.feature_names_out_)].to_numpy(dtype=np.float32)

    def get_feature_names_out(self, input_features=None):
        """Output column names (``<feature>__<statistic>__<NN>``).

        Parameters
        ----------
        input_features : array-like of str, optional
            Only checked against the input seen in ``fit`` (the outputs do
            not depend on input names).

        Returns
        -------
        ndarray of str (object dtype), shape (n_features_out,)
        """
        check_is_fitted(self, "feature_names_out_")
        if input_features is not None:
            n_in = getattr(self, "n_features_in_", None)
            if n_in is not None and len(input_features) != n_in:
                raise ValueError(
                    f"input_features should have length equal to number of features ({n_in}), "
                    f"got {len(input_features)}")
            names_in = getattr(self, "feature_names_in_", None)
            if names_in is not None and list(input_features) != list(names_in):
                raise ValueError("input_features is not equal to feature_names_in_")
        return self.feature_names_out_.copy()
