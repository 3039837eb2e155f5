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

Held-out rows (permutation methods)
    Rows of the table whose instrument the saved model was not trained on;
    for a model fitted on NSynth splits, those of its test split (``test``,
    else ``valid``) when the table has it, as in ``metrics.json``.  When the model was
    cross-validated and then refitted on all notes (one split: GroupKFold by
    instrument, or a leaky random split) and the table holds only notes it was
    trained on, the model's split is replayed: the pipeline is refitted on each
    fold's training rows and permuted on that fold's held-out rows, and the
    drops of all folds are pooled.  Training rows are never scored.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ConfigError, ModelError
from .features.catalogue import FEATURES, parse_column

__all__ = ["importances", "group_importances", "plot_importances", "importance_figure",
           "write_importances", "atomic_output", "METHODS", "SCORINGS", "GROUP_COLOURS"]

#: Methods :func:`importances` accepts.
METHODS = ("permutation", "group-permutation", "mdi")
#: Scores whose drop the permutation methods measure.
SCORINGS = ("balanced_accuracy", "f1_macro", "accuracy")
#: Matrix cells (rows x columns) per ``predict`` call when shuffled copies are stacked.
_MAX_BATCH_CELLS = 8_000_000

#: Feature family -> colour, in catalogue order (stable across plots).
_FAMILIES = list(dict.fromkeys(f.family for f in FEATURES.values()))
GROUP_COLOURS = {g: c for g, c in zip(_FAMILIES, (
    "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#e377c2"))}
_OTHER_COLOUR = "#7f7f7f"


# --- held-out rows ----------------------------------------------------------
@dataclass
class _Fold:
    """Rows to permute (``test``) and, for a replayed split, the rows to refit on."""

    test: np.ndarray
    train: np.ndarray | None = None  # None: use the saved, fitted pipeline


def _held_out(model, table, y) -> tuple[list[_Fold], str]:
    """Folds whose ``test`` rows the scored pipeline never trained on, and their description."""
    from .models.split import instrument_groups, plan_split

    split = model.meta.get("split", {})
    seen = set(model.meta.get("train_instruments") or [])
    has_instruments = any(c in table.columns for c in ("instrument_str", "instrument"))
    if seen and has_instruments:
        groups = instrument_groups(table)
        unseen = ~np.isin(groups, list(seen))
        where = ""
        if split.get("kind") == "nsynth" and "split" in table.columns:
            # The model's own test split when the table has it (as in metrics.json).
            names = table["split"].astype(str).to_numpy()
            test_name = next((s for s in ("test", "valid") if (unseen & (names == s)).any()), None)
            if test_name is not None:
                unseen &= names == test_name
                where = f"split '{test_name}': "
        rows = np.flatnonzero(unseen)
        if len(rows):
            return [_Fold(rows)], (f"{where}{len(rows)} notes from {len(np.unique(groups[rows]))} "
                                   f"instruments the saved model was not trained on")
    if split.get("kind") in ("group_kfold", "random"):
        plan = plan_split(table, y, leaky=split["kind"] == "random", seed=model.meta.get("seed", 0))
        folds = [_Fold(te, tr) for tr, te in plan.folds]
        what = (f"out-of-fold: the model's split replayed on this table "
                f"({plan.info['train']}); the pipeline is refitted on each fold's training "
                f"rows and permuted on its held-out rows")
        if plan.leaky:
            what += f". {plan.info['description']}"
        return folds, what
    raise ConfigError(
        "the table holds no held-out notes: every note comes from an instrument the model "
        "was trained on (" + split.get("train", "its training split") + "); pass the features "
        "of its test split, or of instruments it has not heard"
    )


def _check_labels(model, y, rows):
    ours = {str(v) for v in model.labels}
    theirs = {str(v) for v in np.unique(y[rows])}
    if not ours & theirs:
        raise ConfigError(
            f"the table's {model.target!r} labels ({', '.join(sorted(theirs)[:5])}"
            f"{', ...' if len(theirs) > 5 else ''}) share none with the model's "
            f"({', '.join(sorted(ours)[:5])}{', ...' if len(ours) > 5 else ''}): "
            f"a model of another target or corpus?"
        )


# --- scores -----------------------------------------------------------------
class _Scorer:
    """Scores from confusion matrices (thousands of shuffles: sklearn's checks would dominate).

    Conventions match :mod:`featurekit.models.metrics`: balanced accuracy is
    the mean recall and macro-F1 the mean F1 over the classes present in ``y``.
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

    def _confusion(self, pred_codes):
        return np.bincount(self.codes * self.k + pred_codes,
                           minlength=self.k * self.k).reshape(self.k, self.k)

    def __call__(self, pred):
        """(score, per-class recalls or None) of predictions ``pred``."""
        cm = self._confusion(self.index.get_indexer(np.asarray(pred, dtype=object)))
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


def _unit_drops(pipeline, X, scorer, units, base):
    """Score drops of shuffles ``units`` = [(rng key, column indices)], predicted in one call.

    ``base`` is (score, per-class recalls or None) of the unshuffled rows.
    """
    n = len(X)
    big = np.tile(X, (len(units), 1))
    for u, (key, cols) in enumerate(units):
        perm = np.random.default_rng(key).permutation(n)
        big[u * n:(u + 1) * n, cols] = X[np.ix_(perm, cols)]
    pred = np.asarray(pipeline.predict(big)).reshape(len(units), n)
    drops, cls_drops = [], []
    for p in pred:
        score, recalls = scorer(p)
        drops.append(base[0] - score)
        if recalls is not None:
            cls_drops.append(base[1] - recalls)
    return np.array(drops), (np.array(cls_drops) if base[1] is not None else None)


def _permutation(model, table, y, column_sets, *, n_repeats, seed, n_jobs, scoring, per_class):
    """Pooled score drops: (n_sets, n_draws) and, with per_class, (n_sets, n_draws, n_classes).

    Every (column set, repeat) shuffle of a fold is one "unit" with its own
    seed ``[seed, fold, set, repeat]``; units are stacked into batches of at
    most ``_MAX_BATCH_CELLS`` values so a small held-out set costs few
    ``predict`` calls, and the result does not depend on batching or ``n_jobs``.
    """
    from sklearn.base import clone
    from sklearn.utils.parallel import Parallel, delayed

    X = model.feature_matrix(table)
    folds, description = _held_out(model, table, y)
    _check_labels(model, y, np.concatenate([f.test for f in folds]))
    classes = model.labels if per_class else None
    drops, cls_drops, bases = [], [], []
    for k, fold in enumerate(folds):
        pipe = model.pipeline
        if fold.train is not None:
            pipe = _refit(clone(model.pipeline), X[fold.train], y[fold.train], model)
        Xt = X[fold.test]
        scorer = _Scorer(y[fold.test], model.labels, scoring, classes)
        base = scorer(pipe.predict(Xt))
        bases.append(base[0])
        units = [([seed, k, i, r], cols) for i, cols in enumerate(column_sets)
                 for r in range(n_repeats)]
        size = max(1, _MAX_BATCH_CELLS // max(Xt.size, 1))
        if n_jobs not in (None, 1):  # at least a few batches per worker
            size = min(size, max(1, -(-len(units) // (4 * _n_workers(n_jobs)))))
        # Threads: predict is numpy/Cython work that releases the GIL, and nothing is
        # pickled; joblib.parallel_config(backend=...) overrides the preference.
        out = Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(_unit_drops)(pipe, Xt, scorer, units[b:b + size], base)
            for b in range(0, len(units), size))
        d = np.concatenate([o[0] for o in out]).reshape(len(column_sets), n_repeats)
        drops.append(d)
        if per_class:
            c = np.concatenate([o[1] for o in out])
            cls_drops.append(c.reshape(len(column_sets), n_repeats, len(classes)))
    info = {"rows": description, "n_rows": int(sum(len(f.test) for f in folds)),
            "n_folds": len(folds), "baseline_score": float(np.mean(bases))}
    return (np.concatenate(drops, axis=1),
            np.concatenate(cls_drops, axis=1) if per_class else None, info)


def _n_workers(n_jobs):
    from joblib import cpu_count

    return max(1, cpu_count() + 1 + n_jobs if n_jobs < 0 else n_jobs)


def _refit(pipe, X, y, model):
    import warnings
    from types import SimpleNamespace

    from .models import fit_errors

    with warnings.catch_warnings(), fit_errors(SimpleNamespace(name=model.kind)):
        warnings.filterwarnings("ignore", category=UserWarning, module="sklearn")
        return pipe.fit(X, y)


# --- MDI --------------------------------------------------------------------
def _classifier_inputs(model) -> list[str]:
    """Names of the columns the classifier step receives."""
    names = np.asarray(model.feature_columns, dtype=object)
    for _, step in model.pipeline.steps[:-1]:
        try:
            out = step.get_feature_names_out(names)
        except (AttributeError, TypeError, ValueError):
            continue
        names = np.asarray(out, dtype=object)
    return [str(n) for n in names]


def _mdi(model):
    clf = model.pipeline.steps[-1][1]
    if not hasattr(clf, "feature_importances_"):
        raise ModelError(
            f"MDI needs a tree ensemble (rf, extratrees); model {model.kind!r} has a "
            f"{type(clf).__name__}: use method='permutation'"
        )
    names = _classifier_inputs(model)
    mean = np.asarray(clf.feature_importances_, dtype=float)
    if len(names) != len(mean):
        names = [f"input_{i}" for i in range(len(mean))]
    trees = getattr(clf, "estimators_", None)
    if trees is not None and all(hasattr(t, "feature_importances_") for t in trees):
        std = np.std([t.feature_importances_ for t in trees], axis=0)
    else:
        std = np.full(len(mean), np.nan)
    return names, mean, std


# --- public API -------------------------------------------------------------
def _group_of(name: str) -> str:
    try:
        return parse_column(name).group
    except ValueError:
        return "other"


def _column_sets(model, groups):
    """(row names, row groups, column index arrays) for the permutation methods."""
    columns = model.feature_columns
    if groups is None:
        singles = [np.array([i]) for i in range(len(columns))]
        return columns, [_group_of(c) for c in columns], singles
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


def importances(model, table=None, method: str = "permutation", *, n_repeats: int = 5,
                seed: int = 0, n_jobs: int | None = None, scoring: str = "balanced_accuracy",
                per_class: bool = False, groups="family") -> pd.DataFrame:
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
        Seed of the shuffles; the result does not depend on ``n_jobs``.
    n_jobs : int, optional
        Batches of shuffles scored in parallel (joblib, threads by default).
    scoring : {"balanced_accuracy", "f1_macro", "accuracy"}, default="balanced_accuracy"
        The score whose drop is the importance.
    per_class : bool, default=False
        Permutation methods only: one row per (feature, class), the importance
        being the drop of that class's recall (their mean over classes is the
        drop of balanced accuracy).
    groups : "family" or dict, default="family"
        ``"group-permutation"`` only: permute each feature family together, or
        each named list of columns of a ``{name: [columns]}`` mapping.

    Returns
    -------
    DataFrame
        Columns ``feature`` (column name, or the family for
        ``group-permutation``), ``group`` (feature family), ``importance_mean``,
        ``importance_std``, ``n_columns`` (+ ``class`` with ``per_class``),
        sorted by ``importance_mean`` descending (within each class).
        ``df.attrs["importance"]`` records the method, scoring, baseline score,
        seed, repeats and which rows were scored.

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
    from .models import load_table, target_labels
    from .models.artifact import load_model

    _check_args(method, n_repeats, seed, scoring, per_class)
    model = load_model(model)
    if not explainable(model):
        raise ModelError(f"importances explain models of feature columns; model "
                         f"{model.kind!r} reads time-frequency frames")
    attrs = {"method": method, "model": str(model.path) if model.path else None,
             "kind": model.kind, "target": model.target}
    if method == "mdi":
        names, mean, std = _mdi(model)
        df = pd.DataFrame({"feature": names, "group": [_group_of(n) for n in names],
                           "importance_mean": mean, "importance_std": std, "n_columns": 1})
        fitted_on = model.meta.get("split", {}).get("model", "its fit")
        attrs.update(rows=f"training rows of the saved model ({fitted_on})",
                     scoring="impurity decrease (MDI)")
        return _finish(df, attrs, per_class=False)

    if table is None:
        raise ConfigError(f"method {method!r} needs a feature table to permute "
                          f"(--features DIR / features=...)")
    table = load_table(table)
    y = target_labels(table, model.target)
    if method == "permutation":
        names, fams, sets = _column_sets(model, None)
    else:
        names, fams, sets = _column_sets(model, groups)
    drops, cls_drops, info = _permutation(model, table, y, sets, n_repeats=n_repeats, seed=seed,
                                          n_jobs=n_jobs, scoring=scoring, per_class=per_class)
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


def group_importances(df: pd.DataFrame) -> pd.DataFrame:
    """Per-family totals of a per-feature importance frame.

    Parameters
    ----------
    df : DataFrame
        Output of :func:`importances` (``permutation`` or ``mdi``).

    Returns
    -------
    DataFrame
        ``group``, ``importance`` (sum of ``importance_mean``), ``n_features``,
        ``top_feature``, sorted by ``importance`` descending.  Summed
        single-feature permutation drops understate correlated families; use
        ``method="group-permutation"`` for a family's joint importance.
    """
    keys = ["class", "group"] if "class" in df.columns else ["group"]
    ordered = df.sort_values("importance_mean", ascending=False, kind="stable")
    out = ordered.groupby(keys, sort=False).agg(
        importance=("importance_mean", "sum"), n_features=("feature", "size"),
        top_feature=("feature", "first")).reset_index()
    by, ascending = (["class", "importance"], [True, False]) if "class" in keys else \
        (["importance"], [False])
    return out.sort_values(by, ascending=ascending, kind="stable").reset_index(drop=True)


# --- plots ------------------------------------------------------------------
def _colour(group):
    return GROUP_COLOURS.get(group, _OTHER_COLOUR)


def _bars(ax, names, values, errors, groups, *, fontsize):
    """Horizontal bars, largest on top, coloured by family."""
    y = np.arange(len(names))[::-1]
    values = np.asarray(values, dtype=float)
    errors = None if errors is None else np.asarray(errors, dtype=float)
    ax.barh(y, values, xerr=None if errors is None or np.isnan(errors).all() else errors,
            color=[_colour(g) for g in groups], ecolor="#444444", capsize=2)
    ax.set_yticks(y, list(names), fontsize=fontsize)
    ax.axvline(0, color="black", lw=0.6)


def importance_figure(df: pd.DataFrame, *, top: int = 20, totals: pd.DataFrame | None = None,
                      title: str | None = None):
    """A matplotlib Figure: the top-``top`` features coloured by family, and family totals.

    Parameters
    ----------
    df : DataFrame
        Output of :func:`importances` (not ``per_class``).  A
        ``group-permutation`` frame (one row per family) gets a single panel.
    top : int, default=20
    totals : DataFrame, optional
        A ``group-permutation`` frame for the family panel (recommended with
        ``permutation``: the sum of many small single-feature drops is mostly
        noise and misses what correlated features share).  Default: the sum
        of ``df`` per family (:func:`group_importances`), exact for MDI.
    title : str, optional
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    if "class" in df.columns:
        raise ConfigError("plot a per-class frame one class at a time: df[df['class'] == c]")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ConfigError(f"top must be a positive integer, got {top!r}")
    attrs = df.attrs.get("importance", {})
    method = attrs.get("method")
    head = df.head(int(top))
    height = max(3.0, 0.28 * len(head) + 1.5)
    if method == "group-permutation":
        fig = Figure(figsize=(8, height + 0.4))
        ax = fig.subplots()
        _bars(ax, head["feature"], head["importance_mean"], head["importance_std"],
              head["group"], fontsize=9)
        ax.set_title("feature families", fontsize=10)
    else:
        fig = Figure(figsize=(12, height))
        ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
        # MDI's std is the spread across trees (large, not an uncertainty): no error bars.
        _bars(ax, head["feature"], head["importance_mean"],
              None if method == "mdi" else head["importance_std"], head["group"], fontsize=8)
        ax.set_title(f"top {len(head)} features", fontsize=10)
        if len(head) and not head["importance_mean"].abs().gt(0).any():
            ax.text(0.5, 0.5, "no single shuffle changed the score:\ncorrelated features "
                    "stand in for each other\n(see method 'group-permutation')",
                    transform=ax.transAxes, ha="center", va="center", fontsize=9,
                    color="#444444")
        present = list(dict.fromkeys(head["group"]))
        ax.legend(handles=[Patch(color=_colour(g), label=g) for g in present], fontsize=8,
                  loc="lower right", title="family", title_fontsize=8)
        if totals is not None:
            _bars(ax2, [f"{f} ({k})" for f, k in zip(totals["feature"], totals["n_columns"])],
                  totals["importance_mean"], totals["importance_std"], totals["group"],
                  fontsize=9)
            ax2.set_title("families shuffled together (group-permutation)", fontsize=10)
            scoring = totals.attrs.get("importance", {}).get("scoring", "score")
            ax2.set_xlabel(f"drop in {scoring} (held-out rows)")
        else:
            sums = group_importances(df)
            _bars(ax2, [f"{g} ({k})" for g, k in zip(sums["group"], sums["n_features"])],
                  sums["importance"], None, sums["group"], fontsize=9)
            ax2.set_title("family totals" + (" (sum of noisy single drops)"
                                             if method == "permutation" else ""), fontsize=10)
            ax2.set_xlabel("sum over the family's features")
    ax.set_xlabel(_xlabel(attrs))
    fig.suptitle(title or _title(attrs), fontsize=11)
    fig.tight_layout()
    return fig


def _xlabel(attrs):
    if attrs.get("method") == "mdi":
        return "mean decrease in impurity (training rows)"
    if attrs.get("scoring"):
        return f"drop in {attrs['scoring']} when shuffled (held-out rows)"
    return "importance"


def _title(attrs):
    if not attrs:
        return "feature importances"
    line = f"{attrs.get('kind', 'model')} -> {attrs.get('target', '')}: {attrs.get('method')}"
    if "n_rows" in attrs:
        line += (f"\n{attrs['n_rows']} held-out notes, {attrs.get('n_repeats')} repeats, "
                 f"baseline {attrs.get('scoring')} {attrs.get('baseline_score', float('nan')):.3f}")
    return line


#: Image formats :func:`plot_importances` writes, by file suffix.
PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def check_plot_path(path):
    """Raise :class:`ConfigError` unless ``path`` ends in ``.png``, ``.svg`` or ``.pdf``."""
    path = Path(path)
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise ConfigError(f"cannot plot to {path}: the file name must end in "
                          f"{', '.join(PLOT_SUFFIXES)}")
    return path


def plot_importances(df: pd.DataFrame, path, *, top: int = 20,
                     totals: pd.DataFrame | None = None, title: str | None = None):
    """Write :func:`importance_figure` to ``path`` (PNG, SVG or PDF) and return the path."""
    path = check_plot_path(path)
    fig = importance_figure(df, top=top, totals=totals, title=title)
    try:
        fig.savefig(path, dpi=110)
    except OSError as exc:
        raise ConfigError(f"cannot write plot {path}: {exc.strerror or exc}") from None
    return path


# --- files ------------------------------------------------------------------
#: Table formats :func:`write_importances` writes, by file suffix.
TABLE_SUFFIXES = (".csv", ".parquet")


def check_table_path(path):
    """Raise :class:`ConfigError` unless ``path`` ends in ``.csv`` or ``.parquet``."""
    path = Path(path)
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise ConfigError(f"cannot write importances to {path}: the file name must end in "
                          f"{' or '.join(TABLE_SUFFIXES)}")
    return path


@contextlib.contextmanager
def atomic_output(path):
    """Yield a temporary file name beside ``path``; on success it replaces ``path``.

    On error the temporary file is removed and ``path`` is untouched; an
    unwritable destination becomes a one-line :class:`ConfigError`.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        yield tmp
        os.chmod(tmp, _file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _file_mode(path):
    """The mode a new ``path`` would get from ``open`` (mkstemp's is 0600), or its own."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_importances(df: pd.DataFrame, path):
    """Write an importance frame to ``path`` (``.csv`` or ``.parquet``), atomically.

    The Parquet file keeps ``df.attrs`` (method, scoring, rows scored...).
    """
    path = check_table_path(path)
    with atomic_output(path) as tmp:
        if path.suffix.lower() == ".csv":
            df.to_csv(tmp, index=False)
        else:
            df.to_parquet(tmp, index=False)
    return path
