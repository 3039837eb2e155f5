"""``featurekit.importances``: which features a saved model relies on, as a DataFrame.

Three methods:

* ``"permutation"``: shuffle one feature column of the **held-out** rows at a
  time and measure how much the score drops (``n_repeats`` shuffles, seeded).
  Works for every model, and measures what the model uses on notes of
  instruments it never heard.
* ``"group-permutation"``: shuffle a whole feature family (all MFCCs, all
  spectral-shape statistics, ...) at once, with one row permutation shared by
  the family's columns.  Single-column permutation understates correlated
  families: the model reads a shuffled MFCC from its correlated neighbours.
* ``"mdi"``: mean decrease in impurity of a tree ensemble (``rf``,
  ``extratrees``).  Free to compute, but measured on the *training* rows and
  biased towards continuous, high-variance features; it ranks what the trees
  split on, not what generalises.  Its feature names are the classifier's
  inputs, i.e. after per-note normalisation (e.g. ``spectral_centroid__relf0__00``).

This module is the DataFrame-facing wrapper; the parts live in
:mod:`featurekit.inspection`: the engine (:func:`~featurekit.inspection.permutation_importance`,
a pure function of estimator, X, y and column groups, like sklearn's), the
held-out rows (:mod:`~featurekit.inspection.heldout`, read from the model's
``predictions.parquet``), the plots and the output-file rule.

Held-out rows (permutation methods)
    The notes the saved model reported on, listed with their ``note_id`` in
    its ``predictions.parquet``: for a model fitted on NSynth splits, its test
    split, scored with the saved pipeline; for a cross-validated model
    (refitted on all notes), each fold's notes, scored by the pipeline refitted
    on the other folds' notes.  A table holding none of them is scored on its
    notes of instruments the model was not trained on.  Training rows are
    never scored.

Size
    Above ``max_samples`` held-out notes (default 20,000) a seeded, uniform
    subsample of that many is scored (from as few replayed folds as hold that
    many, each fold costing one refit); ``df.attrs["importance"]["rows"]``
    says so.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .errors import ConfigError, ModelError
from .features.catalogue import parse_column
from .fileio import atomic_path
from .inspection.engine import MAX_SAMPLES, SCORINGS, mdi_importance, permutation_importance
from .inspection.heldout import held_out_folds, limit_rows
from .inspection.outputs import check_output_file, check_suffix
from .inspection.plots import (
    GROUP_COLOURS,
    PLOT_SUFFIXES,
    check_plot_path,
    family_totals,
    importance_figure,
    plot_importances,
)

__all__ = ["importances", "group_importances", "plot_importances", "importance_figure",
           "write_importances", "check_table_path", "check_plot_path", "explainable",
           "METHODS", "SCORINGS", "MAX_SAMPLES", "GROUP_COLOURS", "PLOT_SUFFIXES",
           "TABLE_SUFFIXES"]

#: Methods :func:`importances` accepts.
METHODS = ("permutation", "group-permutation", "mdi")
#: Table formats :func:`write_importances` writes, by file suffix.
TABLE_SUFFIXES = (".csv", ".parquet")

#: Per-family totals of a per-feature frame (see :func:`featurekit.inspection.plots.family_totals`).
group_importances = family_totals


def _group_of(name: str) -> str:
    try:
        return parse_column(name).group
    except ValueError:
        return "other"


def _column_sets(columns, groups):
    """(row names, row families, column position arrays) of the permuted units."""
    if groups is None:
        return list(columns), [_group_of(c) for c in columns], [np.array([i]) for i in
                                                                range(len(columns))]
    if groups == "family":
        mapping = {}
        for c in columns:
            mapping.setdefault(_group_of(c), []).append(c)
    elif isinstance(groups, dict):
        mapping = {str(k): list(v) for k, v in groups.items()}
    else:
        raise ConfigError(f"groups must be 'family' or a dict of name -> columns, got {groups!r}")
    pos = {c: i for i, c in enumerate(columns)}
    sets = []
    for name, cols in mapping.items():
        unknown = [c for c in cols if c not in pos]
        if unknown or not cols:
            raise ConfigError(f"group {name!r} names {unknown[0] if unknown else 'no column'}"
                              f"{' which is not a feature column of the model' if unknown else ''}")
        sets.append(np.array([pos[c] for c in cols]))
    return list(mapping), list(mapping), sets


def explainable(model) -> bool:
    """True for models of feature columns (not a CNN on time-frequency frames)."""
    return not model.meta.get("frames") and hasattr(model.pipeline, "steps")


def _check_args(method, n_repeats, seed, scoring, per_class):
    if method not in METHODS:
        raise ConfigError(f"unknown importance method {method!r}; "
                          f"choose one of {', '.join(METHODS)}")
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, (int, np.integer)) or n_repeats < 1:
        raise ConfigError(f"n_repeats must be a positive integer, got {n_repeats!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
    if scoring not in SCORINGS:
        raise ConfigError(f"unknown scoring {scoring!r}; choose one of {', '.join(SCORINGS)}")
    if per_class and method == "mdi":
        raise ConfigError("per_class importances need a permutation method, not 'mdi'")


def _check_labels(model, y):
    ours = {str(v) for v in model.labels}
    theirs = {str(v) for v in np.unique(y)}
    if not ours & theirs:
        raise ConfigError(
            f"the table's {model.target!r} labels ({', '.join(sorted(theirs)[:5])}"
            f"{', ...' if len(theirs) > 5 else ''}) share none with the model's "
            f"({', '.join(sorted(ours)[:5])}{', ...' if len(ours) > 5 else ''}): "
            f"a model of another target or corpus?"
        )


def _refit(model, X, y):
    import warnings

    from sklearn.base import clone

    from .models import fit_errors

    with warnings.catch_warnings(), fit_errors(model.kind):
        warnings.filterwarnings("ignore", category=UserWarning, module="sklearn")
        return clone(model.pipeline).fit(X, y)


def _permutation(model, table, y, sets, *, n_repeats, seed, n_jobs, scoring, per_class,
                 max_samples):
    """Drops pooled over the held-out folds: (n_sets, n_draws) [, (n_sets, n_draws, n_classes)]."""
    folds, rows = held_out_folds(model, table)
    folds, cut = limit_rows(folds, max_samples, seed)
    _check_labels(model, y[np.concatenate([f.test for f in folds])])
    # Only the rows scored or refitted on become a matrix (4k of a 306k NSynth table).
    needed = np.unique(np.concatenate([f.test for f in folds]
                                      + [f.train for f in folds if f.train is not None]))
    X = model.feature_matrix(table.iloc[needed])
    drops, cls_drops, bases = [], [], []
    for k, fold in enumerate(folds):
        test, train = np.searchsorted(needed, fold.test), fold.train
        pipe = model.pipeline if train is None else \
            _refit(model, X[np.searchsorted(needed, train)], y[train])
        res = permutation_importance(pipe, X[test], y[fold.test], groups=sets,
                                     scoring=scoring, n_repeats=n_repeats, random_state=[seed, k],
                                     n_jobs=n_jobs, labels=model.labels, per_class=per_class)
        drops.append(res.importances)
        bases.append(res.baseline_score)
        if per_class:
            cls_drops.append(res.importances_per_class)
    info = {"rows": rows + (f"; {cut}" if cut else ""),
            "n_rows": int(sum(len(f.test) for f in folds)), "n_folds": len(folds),
            "baseline_score": float(np.mean(bases)), "max_samples": max_samples}
    return (np.concatenate(drops, axis=1),
            np.concatenate(cls_drops, axis=1) if per_class else None, info)


def importances(model, table=None, method: str = "permutation", *, n_repeats: int = 5,
                seed: int = 0, n_jobs: int | None = None, scoring: str = "balanced_accuracy",
                per_class: bool = False, groups="family",
                max_samples: int | float | None = MAX_SAMPLES) -> pd.DataFrame:
    """Feature importances of a saved model, one row per feature (or feature family).

    Parameters
    ----------
    model : Model or path-like
        A model or model directory written by :func:`featurekit.train`.
    table : DataFrame or path-like, optional
        A feature table or directory holding the model's feature and target
        columns; required by the permutation methods, which score its held-out
        rows only (see the module docstring).  Ignored by ``"mdi"``.
    method : {"permutation", "group-permutation", "mdi"}, default="permutation"
    n_repeats : int, default=5
        Shuffles per feature (or family); ``importance_std`` is their spread.
    seed : int, default=0
        Seed of the shuffles and of the subsample; the result does not depend
        on ``n_jobs``.
    n_jobs : int, optional
        Blocks of shuffles scored in parallel (joblib, threads by default);
        ``-1``: all cores.
    scoring : {"balanced_accuracy", "f1_macro", "accuracy"}, default="balanced_accuracy"
        The score whose drop is the importance.
    per_class : bool, default=False
        Permutation methods only: one row per (feature, class), the importance
        being the drop of that class's recall (their mean over classes is the
        drop of balanced accuracy).
    groups : "family" or dict, default="family"
        ``"group-permutation"`` only: permute each feature family together, or
        each named list of columns of a ``{name: [columns]}`` mapping.
    max_samples : int, float or None, default=20000
        Held-out notes scored at most: above it, a seeded uniform subsample
        (an int: that many notes; a float: that fraction; None: all).

    Returns
    -------
    DataFrame
        Columns ``feature`` (column name, or the family for
        ``group-permutation``), ``group`` (feature family), ``importance_mean``,
        ``importance_std``, ``n_columns`` (+ ``class`` with ``per_class``),
        sorted by ``importance_mean`` descending (within each class).
        ``df.attrs["importance"]`` records the method, scoring, baseline score,
        seed, repeats and which rows were scored (``rows``, ``n_rows``).

    Raises
    ------
    ConfigError
        Unknown method or scoring, a table without the target or without
        held-out rows, or labels that share nothing with the model's.
    ModelError
        Not a model directory, a table missing model columns, MDI on a
        non-tree model.

    Examples
    --------
    >>> df = featurekit.importances("models/rf", "feats/", method="group-permutation")
    >>> df.head()  # doctest: +SKIP
    """
    from .models import load_model, load_table, target_labels

    _check_args(method, n_repeats, seed, scoring, per_class)
    model = load_model(model)
    if not explainable(model):
        raise ModelError(f"importances explain models of feature columns; model "
                         f"{model.kind!r} reads time-frequency frames")
    attrs = {"method": method, "model": str(model.path) if model.path else None,
             "kind": model.kind, "target": model.target}
    if method == "mdi":
        try:
            res = mdi_importance(model.pipeline, model.feature_columns)
        except ModelError as exc:
            raise ModelError(f"model {model.kind!r}: {exc}") from None
        names = res.feature_names
        df = pd.DataFrame({"feature": names, "group": [_group_of(n) for n in names],
                           "importance_mean": res.importances_mean,
                           "importance_std": res.importances_std, "n_columns": 1})
        fitted_on = model.meta.get("split", {}).get("model", "its fit")
        attrs.update(rows=f"training rows of the saved model ({fitted_on})",
                     scoring="impurity decrease (MDI)")
        return _finish(df, attrs, per_class=False)

    if table is None:
        raise ConfigError(f"method {method!r} needs a feature table to permute "
                          f"(pass features=DIR, a table holding the model's held-out notes)")
    table = load_table(table)
    y = target_labels(table, model.target)
    names, fams, sets = _column_sets(model.feature_columns,
                                     None if method == "permutation" else groups)
    drops, cls_drops, info = _permutation(model, table, y, sets, n_repeats=n_repeats, seed=seed,
                                          n_jobs=n_jobs, scoring=scoring, per_class=per_class,
                                          max_samples=max_samples)
    attrs.update(info, scoring=scoring, n_repeats=int(n_repeats), seed=int(seed))
    sizes = [len(s) for s in sets]
    if not per_class:
        df = pd.DataFrame({"feature": names, "group": fams, "importance_mean": drops.mean(axis=1),
                           "importance_std": drops.std(axis=1), "n_columns": sizes})
        return _finish(df, attrs, per_class=False)
    parts = []
    for k, label in enumerate(model.labels):
        d = cls_drops[:, :, k]
        if np.isnan(d).all():
            continue  # class absent from the held-out rows
        with np.errstate(invalid="ignore"):
            parts.append(pd.DataFrame({
                "class": label, "feature": names, "group": fams,
                "importance_mean": np.nanmean(d, axis=1), "importance_std": np.nanstd(d, axis=1),
                "n_columns": sizes}))
    return _finish(pd.concat(parts, ignore_index=True), attrs, per_class=True,
                   class_order=model.labels)


def _finish(df, attrs, *, per_class, class_order=None):
    if per_class:
        rank = {c: i for i, c in enumerate(class_order)}
        df = df.assign(_c=df["class"].map(rank)).sort_values(
            ["_c", "importance_mean", "feature"], ascending=[True, False, True],
            kind="stable").drop(columns="_c")
    else:
        df = df.sort_values(["importance_mean", "feature"], ascending=[False, True], kind="stable")
    df = df.reset_index(drop=True)
    df.attrs["importance"] = attrs
    return df


def check_table_path(path):
    """Raise :class:`ConfigError` unless ``path`` ends in ``.csv`` or ``.parquet``."""
    return check_suffix(path, TABLE_SUFFIXES, "write importances to")


def write_importances(df: pd.DataFrame, path, *, overwrite: bool = False):
    """Write an importance frame to ``path`` (``.csv`` or ``.parquet``), atomically.

    The Parquet file keeps ``df.attrs`` (method, scoring, rows scored...).  An
    existing ``path`` is replaced only if featurekit wrote it, or with
    ``overwrite=True`` (see :mod:`featurekit.inspection.outputs`).
    """
    path = check_output_file(check_table_path(path), overwrite=overwrite)
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".csv":
            df.to_csv(tmp, index=False)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            # df.attrs under pandas' own key (restored by pandas >= 2.1 on read),
            # written explicitly so every supported pandas leaves featurekit's mark.
            table = pa.Table.from_pandas(df, preserve_index=False)
            meta = dict(table.schema.metadata or {})
            meta[b"PANDAS_ATTRS"] = json.dumps(df.attrs, default=str).encode()
            pq.write_table(table.replace_schema_metadata(meta), tmp)
    return path
