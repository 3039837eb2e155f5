"""Pipeline building blocks: SMOTE inside the pipeline, normalisers, builder."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from models_helpers import FAST_SPEC, VOTE_SPEC, make_table, write_spec

from featurekit.models.pipeline import build_pipeline
from featurekit.models.resample import AdaptiveSMOTE, class_cap
from featurekit.models.spec import load_spec, select_columns
from featurekit.models.transform import PITCH_COLUMN, NoteNormalizer, PitchNormalizer


@pytest.fixture(scope="module")
def table():
    return make_table()


def _xy(table, spec):
    cols = select_columns(spec, table.columns)
    return cols, table[cols].to_numpy(np.float32), table["instrument_family_str"].to_numpy()


def test_smote_step_comes_after_the_scaler_and_before_the_classifier(table):
    spec = load_spec("rf")
    cols, _, _ = _xy(table, spec)
    names = [n for n, _ in build_pipeline(spec, cols).steps]
    assert names == ["scaler", "smote", "classifier"]


def test_normalisers_come_first(table, tmp_path):
    spec = load_spec(write_spec(tmp_path, FAST_SPEC.replace("per_note = true",
                                                            "per_note = true\npitch = true")))
    cols, X, y = _xy(table, spec)
    pipe = build_pipeline(spec, cols).fit(X, y)
    assert [n for n, _ in pipe.steps][:2] == ["note_norm", "pitch_norm"]


def test_smote_balances_the_rows_the_classifier_is_fitted_on(table):
    spec = load_spec("logreg")
    cols, X, y = _xy(table, spec)
    pipe = build_pipeline(spec, cols)
    seen = {}
    clf = pipe.named_steps["classifier"]
    original_fit = clf.fit

    def spy(X_fit, y_fit, **kw):
        seen.update(Counter(y_fit))
        return original_fit(X_fit, y_fit, **kw)

    clf.fit = spy
    pipe.fit(X, y)
    assert len(set(seen.values())) == 1 and sum(seen.values()) > len(y)


def test_prediction_does_not_resample(table):
    spec = load_spec("logreg")
    cols, X, y = _xy(table, spec)
    pipe = build_pipeline(spec, cols).fit(X, y)
    assert pipe.predict_proba(X[:7]).shape == (7, 3)


def test_adaptive_smote_caps_k_for_small_classes():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(23, 4))
    y = np.array(["a"] * 20 + ["b"] * 3)
    sm = AdaptiveSMOTE(k_neighbors=5, random_state=0)
    _, y_res = sm.fit_resample(X, y)
    assert Counter(y_res)["b"] == 20 and sm.k_neighbors_ == {"b": 2}


def test_adaptive_smote_leaves_single_note_classes_alone():
    X = np.arange(22, dtype=float).reshape(11, 2)
    y = np.array(["a"] * 10 + ["b"])
    sm = AdaptiveSMOTE(random_state=0)
    X_res, y_res = sm.fit_resample(X, y)
    assert len(y_res) == 11 and sm.skipped_classes_ == ["b"]


def test_adaptive_smote_keeps_float32():
    X = np.random.default_rng(0).normal(size=(30, 3)).astype(np.float32)
    y = np.array(["a"] * 20 + ["b"] * 10)
    X_res, _ = AdaptiveSMOTE(random_state=0).fit_resample(X, y)
    assert X_res.dtype == np.float32


def test_smote_budget_balances_the_classes_at_the_cap():
    rng = np.random.default_rng(0)
    y = np.repeat(np.array(["bass", "flute", "vocal"]), [600, 120, 30])
    X = rng.normal(size=(len(y), 3))
    sm = AdaptiveSMOTE(max_samples=600, random_state=0)
    _, y_res = sm.fit_resample(X, y)
    assert sm.cap_ == 200 and Counter(y_res) == {"bass": 200, "flute": 200, "vocal": 200}


def test_smote_budget_under_samples_large_classes_to_real_rows_only():
    X = np.arange(100, dtype=float).reshape(50, 2)
    y = np.array(["a"] * 40 + ["b"] * 10)
    X_res, y_res = AdaptiveSMOTE(max_samples=20, random_state=0).fit_resample(X, y)
    kept_a = X_res[y_res == "a"]
    assert len(kept_a) == 10 and len(np.unique(kept_a[:, 0])) == 10
    assert set(kept_a[:, 0]) <= set(X[:40, 0])


def test_smote_budget_above_the_balanced_size_changes_nothing():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    y = np.array(["a"] * 30 + ["b"] * 10)
    plain = AdaptiveSMOTE(random_state=0).fit_resample(X, y)
    capped = AdaptiveSMOTE(max_samples=60, random_state=0)
    got = capped.fit_resample(X, y)
    assert capped.cap_ is None
    np.testing.assert_array_equal(got[0], plain[0])
    np.testing.assert_array_equal(got[1], plain[1])


@given(st.dictionaries(st.sampled_from("abcdefgh"), st.integers(1, 500), min_size=1),
       st.integers(1, 3000))
def test_class_cap_is_the_largest_cap_that_fits_the_budget(targets, budget):
    cap = class_cap(targets, budget)
    total = lambda c: sum(min(t, c) for t in targets.values())  # noqa: E731
    if cap is None:
        assert total(max(targets.values())) <= budget
    elif cap > 1:
        assert total(cap) <= budget < total(cap + 1)


def test_note_normalizer_is_row_wise(table):
    cols = [c for c in table.columns if "__" in c]
    X = table[cols].to_numpy(np.float32)
    nn = NoteNormalizer(columns=cols).fit(X)
    np.testing.assert_allclose(nn.transform(X)[5:6], nn.transform(X[5:6]))


def test_note_normalizer_drops_absolute_level_and_adds_pitch_relative_features(table):
    cols = [c for c in table.columns if "__" in c]
    names = list(NoteNormalizer(columns=cols).fit(table[cols].to_numpy()).get_feature_names_out())
    assert "mfcc__mean__00" not in names and "temporal_rms__mean__00" not in names
    assert "spectral_centroid__relf0__00" in names


def test_pitch_normalizer_removes_a_quadratic_pitch_trend():
    rng = np.random.default_rng(0)
    f0 = rng.uniform(6, 11, 200)
    X = np.column_stack([f0, 3 + 2 * f0 - 0.5 * f0**2, rng.normal(size=200)])
    cols = [PITCH_COLUMN, "mfcc__mean__01", "mfcc__mean__02"]
    out = PitchNormalizer(columns=cols).fit_transform(X)
    assert np.abs(out[:, 1]).max() < 1e-8
    np.testing.assert_allclose(out[:, 0], f0)


def test_pitch_normalizer_uses_only_what_it_was_fitted_on():
    rng = np.random.default_rng(1)
    cols = [PITCH_COLUMN, "mfcc__mean__01"]
    train = np.column_stack([rng.uniform(6, 11, 100), rng.normal(size=100)])
    test = np.column_stack([rng.uniform(6, 11, 10), rng.normal(5, 1, size=10)])
    pn = PitchNormalizer(columns=cols).fit(train)
    first = pn.transform(test)
    pn2 = PitchNormalizer(columns=cols).fit(train)
    pn2.transform(np.vstack([test, test * 3]))  # transforming more rows changes nothing
    np.testing.assert_allclose(pn2.transform(test), first)
    assert first[:, 1].mean() > 3  # the test rows' offset is not removed


def test_an_ensemble_member_with_its_own_features_is_fitted_on_those_columns_only(table, tmp_path):
    spec = load_spec(write_spec(tmp_path, VOTE_SPEC))
    cols, X, y = _xy(table, spec)
    vote = build_pipeline(spec, cols).fit(X, y).named_steps["classifier"]
    logreg, rf = vote.estimators_
    assert logreg.n_features_in_ == len(cols)
    assert rf.named_steps["rf"].n_features_in_ == sum(c.startswith("mfcc") for c in cols)
