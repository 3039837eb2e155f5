"""SMOTE that copes with small classes in a training fold, and with large corpora.

Honest, instrument-disjoint folds can leave a class with only a handful of
notes in a training fold (and ``--target pitch`` has many small classes), where
plain :class:`imblearn.over_sampling.SMOTE` fails because ``k_neighbors`` is
larger than the class.  :class:`AdaptiveSMOTE` lowers ``k`` per class to what
the class supports and leaves single-note classes as they are.

At NSynth scale, balancing every family up to the largest one multiplies the
rows: the train split's 289,205 notes (bass 65,474, synth_lead 5,501) become
~720,000, and the forests and boosting then fit 2.5x the rows.  With
``max_samples`` the balanced set is capped: no class is given more than the
per-class ``cap_`` at which the total fits ``max_samples``; larger classes are
randomly under-sampled to it, smaller ones SMOTE-d up to it.  Below the cap
nothing changes.
"""

from __future__ import annotations

import numbers
from collections import Counter

import numpy as np
from scipy import sparse
from imblearn.over_sampling import SMOTE
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import Interval

__all__ = ["AdaptiveSMOTE", "class_cap"]


def class_cap(targets: dict, max_samples: int | None) -> int | None:
    """The largest per-class count at which ``sum(min(target, cap))`` fits ``max_samples``.

    Parameters
    ----------
    targets : dict
        Class -> rows it would have after over-sampling (original + new).
    max_samples : int or None
        Budget for the resampled set; None: no cap.

    Returns
    -------
    int or None
        None when the targets already fit (or no budget is given); else the
        cap, at least 1 (a budget smaller than the number of classes still
        keeps one row of each).
    """
    if max_samples is None or sum(targets.values()) <= max_samples:
        return None
    sizes = sorted(targets.values())
    left, n_left = max_samples, len(sizes)
    for size in sizes:  # water-filling: classes under the cap keep their target
        if size * n_left > left:
            return max(left // n_left, 1)
        left -= size
        n_left -= 1
    return max(sizes)  # pragma: no cover  (the sum fitted: returned above)


class AdaptiveSMOTE(SMOTE):
    """SMOTE with ``k_neighbors`` capped per class at ``class size - 1`` and an optional size budget.

    Parameters
    ----------
    sampling_strategy : str, default="auto"
        As :class:`imblearn.over_sampling.SMOTE`.
    random_state : int, RandomState or None
    k_neighbors : int, default=5
        Upper bound on the neighbours used to interpolate; a class with ``n``
        notes uses ``min(k_neighbors, n - 1)``; classes with one note are not
        over-sampled.
    max_samples : int or None, default=None
        Most rows the resampled set may have.  When balancing would exceed
        it, every class is limited to the same cap (:func:`class_cap`):
        classes above it are under-sampled at random (without replacement),
        classes below it over-sampled to at most the cap.  None: no budget.

    Attributes
    ----------
    k_neighbors_ : dict
        Neighbours used per over-sampled class.
    skipped_classes_ : list
        Classes too small to over-sample.
    cap_ : int or None
        The per-class cap applied (None: the budget was not reached).
    counts_ : dict
        Rows per class in the resampled set.
    """

    _parameter_constraints = {
        **SMOTE._parameter_constraints,
        "max_samples": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }

    def __init__(self, *, sampling_strategy="auto", random_state=None, k_neighbors=5,
                 max_samples=None):
        super().__init__(sampling_strategy=sampling_strategy, random_state=random_state,
                         k_neighbors=k_neighbors)
        self.max_samples = max_samples

    def _fit_resample(self, X, y):
        counts = Counter(y.tolist())
        targets = {label: n + self.sampling_strategy_.get(label, 0) for label, n in counts.items()}
        self.cap_ = class_cap(targets, self.max_samples)
        X_parts, y_parts = [X], [y]
        if self.cap_ is not None:  # under-sample the classes above the cap (real rows only)
            rng = check_random_state(self.random_state)
            parts = []
            for label in sorted(counts, key=str):
                idx = np.flatnonzero(y == label)
                if len(idx) > self.cap_:
                    idx = np.sort(rng.choice(idx, self.cap_, replace=False))
                parts.append(idx)
            keep = np.sort(np.concatenate(parts))
            X_parts, y_parts = [_safe_indexing(X, keep)], [y[keep]]
        self.k_neighbors_ = {}
        self.skipped_classes_ = []
        for label, n_new in self.sampling_strategy_.items():
            if self.cap_ is not None:
                n_new = max(min(targets[label], self.cap_) - counts[label], 0)
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
        y_out = np.hstack(y_parts)
        self.counts_ = dict(Counter(y_out.tolist()))
        if sparse.issparse(X):
            return sparse.vstack(X_parts, format=X.format), y_out
        return np.vstack(X_parts), y_out
