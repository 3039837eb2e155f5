"""Honest splits: NSynth splits, GroupKFold by instrument, leaky only when asked."""

from __future__ import annotations

import numpy as np
import pytest
from models_helpers import make_table

from featurekit.errors import ConfigError
from featurekit.models.split import LEAKY_WARNING, plan_split


def _plan(table, **kw):
    return plan_split(table, table["instrument_family_str"].to_numpy(), **kw)


def test_nsynth_splits_fit_on_train_and_report_on_test():
    table = make_table()
    plan = _plan(table)
    (train, test), = plan.folds
    assert set(table["split"].iloc[train]) == {"train"} and set(table["split"].iloc[test]) == {"test"}
    assert plan.kind == "nsynth" and not plan.refit_all


def test_nsynth_valid_split_is_kept_for_selection_only():
    table = make_table(splits=("train", "valid", "test"))
    plan = _plan(table)
    (train, test), = plan.folds
    assert set(table["split"].iloc[plan.valid]) == {"valid"}
    assert not set(plan.valid) & (set(train) | set(test))


def test_nsynth_split_reports_disjoint_instruments():
    assert _plan(make_table()).info["shared_instruments"] == 0


def test_one_split_uses_instrument_disjoint_folds():
    table = make_table(splits=("all",))
    plan = _plan(table)
    inst = table["instrument_str"].to_numpy()
    assert plan.kind == "group_kfold" and plan.refit_all
    for train, test in plan.folds:
        assert not set(inst[train]) & set(inst[test])


def test_one_split_predicts_every_note_once():
    table = make_table(splits=("all",))
    tests = np.concatenate([te for _, te in _plan(table).folds])
    assert sorted(tests) == list(range(len(table)))


def test_random_split_only_when_asked_and_says_it_is_leaky():
    plan = _plan(make_table(splits=("all",)), leaky=True)
    assert plan.kind == "random" and plan.info["leaky"]
    assert plan.info["description"] == LEAKY_WARNING and "LEAKY" in LEAKY_WARNING


def test_single_instrument_table_cannot_be_split_honestly():
    table = make_table(splits=("all",), instruments_per_family=1, families=("guitar", "organ"))
    table["instrument_str"] = "one"
    with pytest.raises(ConfigError, match="instrument-disjoint evaluation needs >= 2 instruments"):
        _plan(table)
