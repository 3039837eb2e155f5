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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, StratifiedKFold

from ..errors import ConfigError
from ..schema import GROUP_COLUMNS

__all__ = ["SplitPlan", "plan_split", "instrument_groups", "inner_cv", "LEAKY_WARNING"]

#: Shown (and stored in metrics.json) whenever a random note-level split is used.
LEAKY_WARNING = (
    "LEAKY: random note-level split - notes of the same instrument are in both train "
    "and test, so this number overstates accuracy on unseen instruments"
)
MAX_FOLDS = 5


@dataclass
class SplitPlan:
    """How a table is split for training and reporting.

    Attributes
    ----------
    kind : {"nsynth", "group_kfold", "random"}
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
        if self.refit_all:
            return np.unique(np.concatenate([np.concatenate(f) for f in self.folds]))
        return self.folds[0][0]


def instrument_groups(table: pd.DataFrame) -> np.ndarray:
    """The evaluation group of each row.

    ``group`` when present (tables of label-folder or manifest corpora: the
    source recording, so windows of one file never straddle train and test,
    or the manifest's own group), else the instrument (``instrument_str``,
    else ``instrument``).
    """
    for col in GROUP_COLUMNS:
        if col in table.columns:
            return table[col].astype(str).to_numpy()
    raise ConfigError(
        "the table has no group/instrument_str/instrument column, so an instrument-disjoint "
        "split is impossible (pass leaky_split=True / --leaky-random-split to accept a leaky one)"
    )


def _describe_rows(groups, idx):
    return f"{len(idx)} notes from {len(np.unique(groups[idx]))} instruments"


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
        }
        return SplitPlan("random", folds, None, True, info)

    groups = instrument_groups(table)
    if "train" in names and names & {"test", "valid"}:
        train = np.flatnonzero(splits == "train")
        test_name = "test" if "test" in names else "valid"
        test = np.flatnonzero(splits == test_name)
        valid = np.flatnonzero(splits == "valid") if test_name == "test" and "valid" in names else None
        shared = sorted(set(groups[train]) & set(groups[test]))
        info = {
            "kind": "nsynth", "leaky": False,
            "train": f"split 'train': {_describe_rows(groups, train)}",
            "test": f"split '{test_name}': {_describe_rows(groups, test)}",
            "selection": (f"split 'valid': {_describe_rows(groups, valid)}" if valid is not None
                          else "inner GroupKFold by instrument on 'train' (only if a search grid is set)"),
            "model": "saved model is the one fitted on 'train'",
            "shared_instruments": len(shared),
            "description": (
                f"fit on NSynth split 'train', report on '{test_name}'"
                + (f"; WARNING: {len(shared)} instruments appear in both, so the score is "
                   f"partly leaky" if shared else "; train and test instruments are disjoint")
            ),
        }
        return SplitPlan("nsynth", [(train, test)], valid, False, info)

    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise ConfigError(
            f"the table has one split and {n_groups} instrument: an instrument-disjoint "
            f"evaluation needs >= 2 instruments (a leaky random split is possible with "
            f"--leaky-random-split)"
        )
    k = min(MAX_FOLDS, n_groups)
    folds = list(GroupKFold(n_splits=k).split(np.zeros(n), y, groups))
    per_class = pd.DataFrame({"y": y, "g": groups}).groupby("y")["g"].nunique()
    lonely = [_plain(c) for c in per_class.index[per_class < 2]]
    info = {
        "kind": "group_kfold", "leaky": False, "n_folds": k,
        "train": f"GroupKFold by instrument, {k} folds over {_describe_rows(groups, np.arange(n))}",
        "test": f"out-of-fold predictions for all {n} notes, each from a model that never saw its instrument",
        "model": f"saved model refitted on all {n} notes",
        "classes_with_one_instrument": lonely,
        "description": (
            f"{k}-fold cross-validation grouped by instrument (instrument-disjoint)"
            + (f"; {len(lonely)} classes have a single instrument and cannot be predicted "
               f"when it is held out" if lonely else "")
        ),
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
        raise ConfigError("hyper-parameter search needs >= 2 training instruments")
    return GroupKFold(n_splits=k), groups


def _plain(v):
    return v.item() if hasattr(v, "item") else v
