"""ScalableSVC: the exact RBF SVM on small data, Nystroem + least squares above the threshold."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import clone

from featurekit.models.scalable_svm import ScalableSVC


def rings(n, seed=0):
    """Two concentric rings (radius 1 and 2): separable by an RBF kernel, not by a line."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    angle = rng.uniform(0, 2 * np.pi, n)
    r = 1.0 + y + rng.normal(0, 0.1, n)
    return np.c_[r * np.cos(angle), r * np.sin(angle)], np.where(y, "outer", "inner")


def test_auto_uses_the_exact_svm_up_to_the_threshold():
    X, y = rings(200)
    assert ScalableSVC(exact_max_samples=200).fit(X, y).solver_ == "exact"


def test_auto_uses_nystroem_above_the_threshold():
    X, y = rings(201)
    assert ScalableSVC(exact_max_samples=200).fit(X, y).solver_ == "nystroem"


@pytest.mark.parametrize("solver", ["exact", "nystroem"])
def test_both_paths_learn_a_nonlinear_boundary(solver):
    X, y = rings(600)
    Xt, yt = rings(400, seed=1)
    est = ScalableSVC(solver=solver, n_components=100, random_state=0).fit(X, y)
    assert (est.predict(Xt) == yt).mean() > 0.97  # a linear model scores ~0.5 here
    assert est.decision_function(Xt).shape == (400,)


def test_gamma_scale_is_svcs_and_shared_by_both_paths():
    X, y = rings(300)
    a = ScalableSVC(solver="exact").fit(X, y)
    b = ScalableSVC(solver="nystroem", n_components=50).fit(X, y)
    assert a.gamma_ == b.gamma_ == pytest.approx(1 / (2 * X.var()))
    assert a.estimator_._gamma == pytest.approx(a.gamma_)


def test_clone_keeps_params_and_drops_fitted_state():
    est = ScalableSVC(C=3.0, n_components=10).fit(*rings(50))
    copy = clone(est)
    assert copy.get_params() == est.get_params() and not hasattr(copy, "solver_")


def test_bad_param_names_the_value():
    with pytest.raises(ValueError, match="solver"):
        ScalableSVC(solver="fast").fit(*rings(20))


def test_svm_pipeline_uses_it_and_saves_with_skops():
    sio = pytest.importorskip("skops.io")
    from featurekit.models.artifact import TRUSTED_TYPES
    from featurekit.models.pipeline import build_pipeline
    from featurekit.models.spec import load_spec

    X, y = rings(300)
    pipe = build_pipeline(load_spec("svm"), ["a", "b"], seed=0)
    pipe.set_params(smote="passthrough", classifier__estimator__solver="nystroem",
                    classifier__estimator__n_components=20)
    pipe.fit(X, y)
    data = sio.dumps(pipe)
    untrusted = [t for t in sio.get_untrusted_types(data=data) if t not in TRUSTED_TYPES]
    assert untrusted == []
    again = sio.loads(data, trusted=list(TRUSTED_TYPES))
    np.testing.assert_array_equal(again.predict_proba(X), pipe.predict_proba(X))


def test_train_says_which_svm_solver_it_used(tmp_path):
    from click.testing import CliRunner

    from featurekit.cli.main import cli
    from models_helpers import make_table, write_table_dir

    feats = write_table_dir(make_table(instruments_per_family=2), tmp_path / "f")
    res = CliRunner().invoke(cli, ["train", "svm", "--features", str(feats), "--out", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    assert "solver: exact" in res.stdout
    assert json.loads((tmp_path / "m" / "metrics.json").read_text())["split"]["solver"] == "exact"
