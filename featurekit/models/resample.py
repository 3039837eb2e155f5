"""SMOTE that copes with small classes in a training fold.

Honest, instrument-disjoint folds can leave a class with only a handful of
notes in a training fold (and ``--target pitch`` has many small classes), where
plain :class:`imblearn.over_sampling.SMOTE` fails because ``k_neighbors`` is
larger than the class.  :class:`AdaptiveSMOTE` lowers ``k`` per class to what
the class supports and leaves single-note classes as they are.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from scipy import sparse
from imblearn.over_sampling import SMOTE
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import _safe_indexing

__all__ = ["AdaptiveSMOTE"]


class AdaptiveSMOTE(SMOTE):
    """SMOTE with ``k_neighbors`` capped per class at ``class size - 1``.

    Parameters
    ----------
    sampling_strategy : str, default="auto"
        As :class:`imblearn.over_sampling.SMOTE`.
    random_state : int, RandomState or None
    k_neighbors : int, default=5
        Upper bound on the neighbours used to interpolate; a class with ``n``
        notes uses ``min(k_neighbors, n - 1)``; classes with one note are not
        over-sampled.

    Attributes
    ----------
    k_neighbors_ : dict
        Neighbours used per over-sampled class.
    skipped_classes_ : list
        Classes too small to over-sample.
    """

    def _fit_resample(self, X, y):
        counts = Counter(y.tolist())
        X_parts, y_parts = [X], [y]
        self.k_neighbors_ = {}
        self.skipped_classes_ = []
        for label, n_new in self.sampling_strategy_.items():
            if n_new == 0:
                continue
            n = counts[label]
            if n < 2:
                self.skipped_classes_.append(label)
                continue
            k = min(self.k_neighbors, n - 1)
            self.k_neighbors_[label] = k
            idx = np.flatnonzero(y == label)
            X_class = _safe_indexing(X, idx)
            nn = NearestNeighbors(n_neighbors=k + 1).fit(X_class)
            nns = nn.kneighbors(X_class, return_distance=False)[:, 1:]
            X_new, y_new = self._make_samples(X_class, y.dtype, label, X_class, nns, n_new, 1.0)
            X_parts.append(X_new.astype(X.dtype, copy=False))
            y_parts.append(y_new)
        if sparse.issparse(X):
            return sparse.vstack(X_parts, format=X.format), np.hstack(y_parts)
        return np.vstack(X_parts), np.hstack(y_parts)
