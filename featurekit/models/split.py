"""Honest train/test splits: instrument-disjoint unless a leak is asked for by name.

* A table with NSynth splits (``split`` holds ``train`` and ``test`` and/or
  ``valid``): fit on ``train``, select hyper-parameters on ``valid`` when
  present, report on ``test`` (or on ``valid`` when there is no ``test``).
* A table with one split: ``GroupKFold`` by instrument; every note is predicted
  by a model that never heard its instrument, and the saved model is refitted
  on all rows.
* ``leaky=True`` only: a random, stratified note-level ``StratifiedKFold``.
  Notes of one instrument then sit on both sides, and the split's description
  says, in words, that the score is leaky.
* ``fit_all`` (:func:`fit_all_plan`): no split at all; the model is fitted on
  every row and has no held-out score (score it with ``featurekit evaluate``).

The group of a row is the first of :data:`~featurekit.models.columns.GROUP_COLUMNS`
the table has.  Label-folder corpora get one group per audio file (the
``group`` column is the file), which keeps windows of one file together but
not the notes of one instrument: the split description says so in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, StratifiedKFold

from ..errors import ConfigError
from .columns import GROUP_COLUMNS, GROUP_MEANING, SPLIT_COLUMN
from .metrics import plain

__all__ = ["SplitPlan", "plan_split", "fit_all_plan", "instrument_groups", "group_column",
           "describe_groups", "inner_cv", "LEAKY_WARNING", "FILE_GROUPS_WARNING",
           "FIT_ALL_NOTE"]

#: Shown (and stored in metrics.json) whenever a random note-level split is used.
LEAKY_WARNING = (
    "LEAKY: random note-level split - notes of the same instrument are in both train "
    "and test, so this number overstates accuracy on unseen instruments"
)
#: Shown when every group is a single audio file (label-folder corpora).
FILE_GROUPS_WARNING = (
    "each group is a single audio file (column 'group' of a label-folder corpus), so notes of "
    "one instrument or recording session can sit on both sides of the split and the score may "
    "overstate accuracy on unseen instruments; to group by instrument or session, extract from "
    "a manifest CSV with a `group` column (path,label,group)"
)
#: What ``metrics.json`` and the CLI say of a model fitted on every row.
FIT_ALL_NOTE = ("fitted on every row (every split): there is no held-out score; score the model "
                "on notes it never saw with `featurekit evaluate MODEL --features DIR`")
MAX_FOLDS = 5


@dataclass
class SplitPlan:
    """How a table is split for training and reporting.

    Attributes
    ----------
    kind : {"nsynth", "group_kfold", "random", "fit_all"}
    folds : list of (train_idx, test_idx)
        Row positions; the test rows of all folds are reported.
    valid : ndarray or None
        Rows for hyper-parameter selection (NSynth ``valid``), never reported.
    refit_all : bool
        True when the saved model is refitted on all rows after the folds
        (cross-validation); False when the saved model is the fold model.
    info : dict
        The ``split`` entry of ``metrics.json``.
    """

    kind: str
    folds: list
    valid: np.ndarray | None
    refit_all: bool
    info: dict = field(default_factory=dict)

    @property
    def leaky(self) -> bool:
        return self.kind == "random"

    @property
    def final_train(self) -> np.ndarray:
        """Rows the saved model is fitted on."""
        if self.refit_all and not self.folds:  # fit_all
            return np.asarray(self.info["rows"])
        if self.refit_all:
            return np.unique(np.concatenate([np.concatenate(f) for f in self.folds]))
        return self.folds[0][0]


def group_column(table: pd.DataFrame) -> str:
    """The column that holds each row's evaluation group (first of ``GROUP_COLUMNS``).

    ``group`` when present (tables of label-folder or manifest corpora: the
    source recording, so windows of one file never straddle train and test,
    or the manifest's own group), else the instrument (``instrument_str``,
    else ``instrument``).
    """
    for col in GROUP_COLUMNS:
        if col in table.columns:
            return col
    raise ConfigError(
        "the table has no group/instrument_str/instrument column, so an instrument-disjoint "
        "split is impossible (pass leaky_split=True to accept a leaky one)"
    )


def instrument_groups(table: pd.DataFrame) -> np.ndarray:
    """The evaluation group of each row (the values of :func:`group_column`, as str)."""
    return table[group_column(table)].astype(str).to_numpy()


def _groups_are_files(table: pd.DataFrame, column: str) -> bool:
    """True when every group of ``column`` holds a single audio file (``source_path``/``path``)."""
    if column != "group":
        return False
    for file_col in ("source_path", "path"):
        if file_col in table.columns:
            per_group = table.groupby(table[column].astype(str))[file_col].nunique()
            return bool((per_group <= 1).all())
    return False


def describe_groups(table: pd.DataFrame) -> dict:
    """What the groups of ``table`` are, in words.

    Returns
    -------
    dict
        ``column`` (the group column), ``unit`` (singular noun: ``instrument``,
        ``file`` or ``group``), ``disjoint`` (``instrument-disjoint``, ...),
        ``by`` (``instrument``, ``file (column 'group')``, ``column 'group'``)
        and ``warning`` (:data:`FILE_GROUPS_WARNING` or None).
    """
    column = group_column(table)
    if _groups_are_files(table, column):
        return {"column": column, "unit": "file", "by": "audio file (column 'group')",
                "disjoint": "file-disjoint, not instrument-disjoint", "warning": FILE_GROUPS_WARNING}
    unit = GROUP_MEANING[column]
    if unit == "instrument":
        return {"column": column, "unit": unit, "by": "instrument",
                "disjoint": "instrument-disjoint", "warning": None}
    return {"column": column, "unit": unit, "by": f"column {column!r}",
            "disjoint": f"{column!r}-disjoint", "warning": None}


def _describe_rows(groups, idx, unit="instrument"):
    n = len(np.unique(groups[idx]))
    return f"{len(idx)} notes from {n} {unit}{'s' if n != 1 else ''}"


def fit_all_plan(table: pd.DataFrame, *, sources=()) -> SplitPlan:
    """The plan of a model fitted on every row of ``table`` (no held-out rows, no score)."""
    n = len(table)
    splits = sorted(set(table[SPLIT_COLUMN].astype(str))) if SPLIT_COLUMN in table.columns else []
    what = f"all {n} notes" + (f" of {', '.join(sources)}" if sources else "") \
        + (f" (splits {', '.join(splits)})" if splits else "")
    info = {
        "kind": "fit_all", "leaky": False, "held_out": False,
        "train": what,
        "test": "none (no held-out rows)",
        "model": f"saved model fitted on {what}",
        "description": FIT_ALL_NOTE,
        "rows": list(range(n)),
    }
    plan = SplitPlan("fit_all", [], None, True, info)
    return plan


def plan_split(table: pd.DataFrame, y, *, leaky: bool = False, seed: int = 0) -> SplitPlan:
    """Decide the honest split for ``table``.

    Parameters
    ----------
    table : DataFrame
        Feature table with a ``split`` column and instrument metadata.
    y : ndarray
        Target labels, one per row.
    leaky : bool
        Use a random note-level split (says so in the plan's description).
    seed : int
        Shuffling seed of the random split.

    Returns
    -------
    SplitPlan

    Raises
    ------
    ConfigError
        When no honest split is possible (e.g. a single instrument).
    """
    n = len(table)
    y = np.asarray(y)
    splits = (table["split"].astype(str).to_numpy() if "split" in table.columns
              else np.full(n, "all"))
    names = set(np.unique(splits))

    if leaky:
        counts = pd.Series(y).value_counts()
        k = int(min(MAX_FOLDS, counts.min()))
        if k < 2:
            raise ConfigError(
                f"a random split needs >= 2 notes of every class; class {counts.idxmin()!r} has 1"
            )
        cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        folds = list(cv.split(np.zeros(n), y))
        info = {
            "kind": "random", "leaky": True, "n_folds": k,
            "train": f"random note-level {k}-fold split of all {n} notes (each fold: ~{n - n // k})",
            "test": f"out-of-fold predictions for all {n} notes",
            "model": f"saved model refitted on all {n} notes",
            "description": LEAKY_WARNING,
            "warnings": [LEAKY_WARNING],
        }
        return SplitPlan("random", folds, None, True, info)

    groups = instrument_groups(table)
    grouping = describe_groups(table)
    unit = grouping["unit"]
    warns = [grouping["warning"]] if grouping["warning"] else []
    if "train" in names and names & {"test", "valid"}:
        train = np.flatnonzero(splits == "train")
        test_name = "test" if "test" in names else "valid"
        test = np.flatnonzero(splits == test_name)
        valid = np.flatnonzero(splits == "valid") if test_name == "test" and "valid" in names else None
        shared = sorted(set(groups[train]) & set(groups[test]))
        if shared:
            warns.append(f"{len(shared)} {unit}s appear in both 'train' and '{test_name}', so the "
                         f"score is partly leaky")
        info = {
            "kind": "nsynth", "leaky": False,
            "group_column": grouping["column"],
            "train": f"split 'train': {_describe_rows(groups, train, unit)}",
            "test": f"split '{test_name}': {_describe_rows(groups, test, unit)}",
            "selection": (f"split 'valid': {_describe_rows(groups, valid, unit)}" if valid is not None
                          else f"inner GroupKFold by {grouping['by']} on 'train' (only if a search "
                               f"grid is set)"),
            "model": "saved model is the one fitted on 'train'",
            "shared_instruments": len(shared),
            "description": (
                f"fit on NSynth split 'train', report on '{test_name}'"
                + ("" if shared else f"; train and test {unit}s are disjoint")
            ),
            "warnings": warns,
        }
        return SplitPlan("nsynth", [(train, test)], valid, False, info)

    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise ConfigError(
            f"the table has one split and {n_groups} {unit}: "
            f"{'an' if grouping['disjoint'][0] in 'aeiou' else 'a'} {grouping['disjoint']} "
            f"evaluation needs >= 2 {unit}s (a leaky random split is possible with "
            f"leaky_split=True)"
        )
    k = min(MAX_FOLDS, n_groups)
    folds = list(GroupKFold(n_splits=k).split(np.zeros(n), y, groups))
    per_class = pd.DataFrame({"y": y, "g": groups}).groupby("y")["g"].nunique()
    lonely = [plain(c) for c in per_class.index[per_class < 2]]
    info = {
        "kind": "group_kfold", "leaky": False, "n_folds": k,
        "group_column": grouping["column"],
        "train": f"GroupKFold by {grouping['by']}, {k} folds over "
                 f"{_describe_rows(groups, np.arange(n), unit)}",
        "test": f"out-of-fold predictions for all {n} notes, each from a model that never saw "
                f"its {unit}",
        "model": f"saved model refitted on all {n} notes",
        "classes_with_one_instrument": lonely,
        "description": (
            f"{k}-fold cross-validation grouped by {grouping['by']} ({grouping['disjoint']})"
            + (f"; {len(lonely)} classes have a single {unit} and cannot be predicted "
               f"when it is held out" if lonely else "")
        ),
        "warnings": warns,
    }
    if len(names) > 1:
        info["description"] += f"; the split column's values {sorted(names)} are not NSynth splits and were ignored"
    return SplitPlan("group_kfold", folds, None, True, info)


def inner_cv(table: pd.DataFrame, idx, y, *, leaky: bool, n_splits: int, seed: int):
    """CV splitter and groups for hyper-parameter search on the rows ``idx``."""
    if leaky:
        return StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed), None
    groups = instrument_groups(table)[idx]
    k = min(n_splits, len(np.unique(groups)))
    if k < 2:
        raise ConfigError("hyper-parameter search needs >= 2 training groups (instruments)")
    return GroupKFold(n_splits=k), groups
