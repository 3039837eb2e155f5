"""The permutation-importance engine: pure functions of (estimator, X, y), no file I/O.

:func:`permutation_importance` is shaped like
:func:`sklearn.inspection.permutation_importance` and returns the same
:class:`~sklearn.utils.Bunch`; it adds column *groups* (a family's columns
permuted together, with one row permutation shared by the group), per-class
recall drops, and scores computed from confusion matrices (thousands of
shuffles: sklearn's input checks would dominate).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ConfigError

__all__ = ["permutation_importance", "mdi_importance", "subsample_rows", "ConfusionScorer",
           "SCORINGS", "MAX_SAMPLES"]

#: Scores whose drop :func:`permutation_importance` measures.
SCORINGS = ("balanced_accuracy", "f1_macro", "accuracy")
#: Default cap on the rows scored by :func:`featurekit.importances` (a seeded subsample above it).
MAX_SAMPLES = 20_000
#: Matrix cells (rows x columns) per ``predict`` call when shuffled copies are stacked.
BLOCK_CELLS = 4_000_000


class ConfusionScorer:
    """Scores of predicted labels from one confusion matrix.

    Conventions match :mod:`featurekit.models.metrics`: balanced accuracy is
    the mean recall and macro-F1 the mean F1 over the classes present in ``y``.

    Parameters
    ----------
    y : array-like, shape (n_rows,)
        True labels.
    labels : sequence
        Every label the estimator may predict.
    scoring : {"balanced_accuracy", "f1_macro", "accuracy"}
    classes : sequence, optional
        Classes whose recall ``__call__`` also returns, in this order.
    """

    def __init__(self, y, labels, scoring, classes=None):
        self.index = pd.Index(pd.unique(np.concatenate(
            [np.asarray(labels, dtype=object), np.asarray(y, dtype=object)])))
        self.k = len(self.index)
        self.codes = self.index.get_indexer(np.asarray(y, dtype=object))
        self.present = np.bincount(self.codes, minlength=self.k) > 0
        self.scoring = scoring
        self.class_pos = (None if classes is None
                          else self.index.get_indexer(np.asarray(classes, dtype=object)))

    def __call__(self, pred):
        """(score, per-class recalls or None) of predictions ``pred``, shape (n_rows,)."""
        codes = self.index.get_indexer(np.asarray(pred, dtype=object))
        cm = np.bincount(self.codes * self.k + codes,
                         minlength=self.k * self.k).reshape(self.k, self.k)
        tp = np.diag(cm).astype(float)
        support, predicted = cm.sum(axis=1), cm.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            recall = tp / support
            f1 = np.where(support + predicted > 0, 2 * tp / (support + predicted), 0.0)
        if self.scoring == "accuracy":
            score = tp.sum() / cm.sum()
        elif self.scoring == "balanced_accuracy":
            score = recall[self.present].mean()
        else:
            score = f1[self.present].mean()
        return float(score), (None if self.class_pos is None else recall[self.class_pos])


def subsample_rows(n_rows: int, max_samples, random_state=0) -> np.ndarray:
    """Sorted positions of the rows scored: all of them, or a seeded subsample.

    Parameters
    ----------
    n_rows : int
    max_samples : int, float or None
        ``None``: every row.  An int: at most that many rows.  A float in
        (0, 1]: that fraction of the rows.
    random_state : int or sequence of int
        Seed of the draw, ``np.random.default_rng([*random_state, 2**32 - 1])``.

    Returns
    -------
    ndarray of int, shape (min(n_rows, max_samples),)
        Drawn without replacement, uniformly, sorted.
    """
    if max_samples is None:
        return np.arange(n_rows)
    if isinstance(max_samples, bool) or not isinstance(max_samples, (int, np.integer, float)):
        raise ConfigError(f"max_samples must be a positive integer, a fraction in (0, 1] or "
                          f"None, got {max_samples!r}")
    if isinstance(max_samples, float):
        if not 0 < max_samples <= 1:
            raise ConfigError(f"max_samples as a fraction must be in (0, 1], got {max_samples!r}")
        size = max(1, int(round(max_samples * n_rows)))
    else:
        if max_samples < 1:
            raise ConfigError(f"max_samples must be a positive integer, got {max_samples!r}")
        size = int(max_samples)
    if size >= n_rows:
        return np.arange(n_rows)
    rng = np.random.default_rng([*_entropy(random_state), 2**32 - 1])
    return np.sort(rng.choice(n_rows, size=size, replace=False))


def _entropy(random_state) -> list:
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return [int(random_state)]
    return [int(v) for v in random_state]


def _column_groups(groups, n_columns):
    if groups is None:
        return [np.array([j]) for j in range(n_columns)]
    sets = [np.asarray(g, dtype=np.intp).reshape(-1) for g in
            (groups.values() if isinstance(groups, dict) else groups)]
    for g in sets:
        if len(g) == 0 or g.min() < 0 or g.max() >= n_columns:
            raise ConfigError(f"a column group must list column positions in 0..{n_columns - 1}, "
                              f"got {g.tolist()}")
    return sets


def _score_block(estimator, X, scorer, units):
    """Scores of the shuffles ``units`` = [(seed, column positions)], one predict call.

    A block holds ``len(units)`` stacked copies of ``X``; each copy has only its
    unit's columns permuted (in place), so a block costs one allocation.
    """
    n = len(X)
    block = np.empty((len(units) * n, X.shape[1]), dtype=X.dtype)
    for u, (key, cols) in enumerate(units):
        part = block[u * n:(u + 1) * n]
        part[...] = X
        perm = np.random.default_rng(key).permutation(n)
        part[:, cols] = X[np.ix_(perm, cols)]
    pred = np.asarray(estimator.predict(block)).reshape(len(units), n)
    return [scorer(p) for p in pred]


def _workers(n_jobs) -> int:
    from ..distributed import worker_count

    return 1 if n_jobs is None else worker_count(n_jobs)


def permutation_importance(estimator, X, y, *, groups=None, scoring="balanced_accuracy",
                           n_repeats=5, random_state=0, n_jobs=None, max_samples=None,
                           labels=None, per_class=False):
    """Drop of a score when columns (or groups of columns) of ``X`` are shuffled.

    Parameters
    ----------
    estimator : fitted classifier
        Anything with ``predict(X)``; predictions are compared to ``y``.
    X : ndarray, shape (n_rows, n_columns)
        Rows the estimator was **not** trained on.
    y : array-like, shape (n_rows,)
    groups : sequence or dict of column-position arrays, optional
        Columns shuffled together, with one row permutation per group and
        repeat; default: each column alone.  A dict's keys name the groups
        (the result follows its order).
    scoring : {"balanced_accuracy", "f1_macro", "accuracy"}, default="balanced_accuracy"
    n_repeats : int, default=5
        Shuffles per group.
    random_state : int or sequence of int, default=0
        Shuffle ``r`` of group ``i`` uses ``np.random.default_rng([*random_state, i, r])``,
        so the result depends neither on ``n_jobs`` nor on how shuffles are batched.
    n_jobs : int, optional
        Blocks of shuffles predicted in parallel (joblib threads; estimators'
        predict releases the GIL).  ``-1``: all cores.
    max_samples : int, float or None, default=None
        Score a seeded subsample of the rows (see :func:`subsample_rows`).
    labels : sequence, optional
        Labels the estimator may predict (default ``estimator.classes_``).
    per_class : bool, default=False
        Also return each class's recall drop.

    Returns
    -------
    sklearn.utils.Bunch
        ``importances`` (n_groups, n_repeats) drops, ``importances_mean`` and
        ``importances_std`` (n_groups,), ``baseline_score`` (float),
        ``sample_indices`` (rows of ``X`` scored); with ``per_class``,
        ``importances_per_class`` (n_groups, n_repeats, n_classes) recall
        drops and ``classes``.
    """
    from sklearn.utils import Bunch
    from sklearn.utils.parallel import Parallel, delayed

    if scoring not in SCORINGS:
        raise ConfigError(f"unknown scoring {scoring!r}; choose one of {', '.join(SCORINGS)}")
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, (int, np.integer)) or n_repeats < 1:
        raise ConfigError(f"n_repeats must be a positive integer, got {n_repeats!r}")
    X = np.asarray(X)
    y = np.asarray(y)
    rows = subsample_rows(len(X), max_samples, random_state)
    X, y = X[rows], y[rows]
    sets = _column_groups(groups, X.shape[1])
    labels = list(getattr(estimator, "classes_", np.unique(y)) if labels is None else labels)
    classes = labels if per_class else None
    scorer = ConfusionScorer(y, labels, scoring, classes)
    base, base_recall = scorer(estimator.predict(X))

    seed = _entropy(random_state)
    units = [([*seed, i, r], cols) for i, cols in enumerate(sets) for r in range(n_repeats)]
    size = max(1, BLOCK_CELLS // max(X.size, 1))
    workers = _workers(n_jobs)
    if workers > 1:  # at least a few blocks per worker
        size = min(size, max(1, -(-len(units) // (4 * workers))))
    out = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(_score_block)(estimator, X, scorer, units[b:b + size])
        for b in range(0, len(units), size))
    scores = [s for block in out for s in block]
    drops = base - np.array([s for s, _ in scores]).reshape(len(sets), n_repeats)
    result = Bunch(importances=drops, importances_mean=drops.mean(axis=1),
                   importances_std=drops.std(axis=1), baseline_score=base,
                   sample_indices=rows)
    if per_class:
        recalls = np.array([r for _, r in scores]).reshape(len(sets), n_repeats, len(labels))
        result.importances_per_class = base_recall - recalls
        result.classes = labels
    return result


def mdi_importance(pipeline, feature_names):
    """Mean decrease in impurity of a fitted tree ensemble at the end of ``pipeline``.

    MDI is measured on the **training** rows while the trees grow, and is
    biased towards continuous, high-variance features: it ranks what the
    trees split on, not what generalises to unseen instruments (use
    :func:`permutation_importance` on held-out rows for that).

    Parameters
    ----------
    pipeline : fitted Pipeline (or a bare tree ensemble)
    feature_names : sequence of str
        Columns the pipeline receives; they are passed through the steps'
        ``get_feature_names_out`` to name the classifier's inputs.

    Returns
    -------
    sklearn.utils.Bunch
        ``importances_mean`` (n_inputs,) summing to 1, ``importances_std``
        (spread across trees, NaN when unknown) and ``feature_names`` (the
        classifier's inputs, e.g. after per-note normalisation).

    Raises
    ------
    ModelError
        The final estimator has no ``feature_importances_``.
    """
    from sklearn.utils import Bunch

    from ..errors import ModelError

    steps = getattr(pipeline, "steps", [("clf", pipeline)])
    clf = steps[-1][1]
    if not hasattr(clf, "feature_importances_"):
        raise ModelError(f"MDI needs a tree ensemble (rf, extratrees); this model has a "
                         f"{type(clf).__name__}: use method='permutation'")
    names = np.asarray(feature_names, dtype=object)
    for _, step in steps[:-1]:
        try:
            names = np.asarray(step.get_feature_names_out(names), dtype=object)
        except (AttributeError, TypeError, ValueError):
            continue
    mean = np.asarray(clf.feature_importances_, dtype=float)
    names = [str(n) for n in names] if len(names) == len(mean) else \
        [f"input_{i}" for i in range(len(mean))]
    trees = getattr(clf, "estimators_", None)
    if trees is not None and all(hasattr(t, "feature_importances_") for t in trees):
        std = np.std([t.feature_importances_ for t in trees], axis=0)
    else:
        std = np.full(len(mean), np.nan)
    return Bunch(importances_mean=mean, importances_std=std, feature_names=names)
