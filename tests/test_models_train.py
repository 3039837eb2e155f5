"""featurekit.train: metrics, model dir, determinism, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from models_helpers import SEARCH_SPEC, make_table, write_spec

import featurekit
from featurekit.errors import ConfigError, ModelError, OutputError
from featurekit.models import harness
from featurekit.models.artifact import MODEL_FILE
from featurekit.models.metrics import plain

SEARCH = SEARCH_SPEC

SMALL_RF = """
[features]
preset = "default"
[classifier]
kind = "rf"
[classifier.params]
n_estimators = 20
max_features = 0.5
n_jobs = 2
"""

NO_SMOTE = """
[features]
preset = "default"
[smote]
enabled = false
[classifier]
kind = "logreg"
[classifier.params]
class_weight = "balanced"
"""


@pytest.fixture(scope="module")
def table():
    return make_table()


@pytest.fixture(scope="module")
def trained(table, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "rf"
    return featurekit.train(table, "rf", out=out, n_jobs=1)


def test_metrics_hold_the_required_entries(trained):
    m = trained.metrics
    assert {"accuracy", "balanced_accuracy", "macro_f1", "per_class", "confusion", "split"} <= set(m)
    assert set(m["per_class"]["guitar"]) == {"precision", "recall", "f1", "support"}


def test_split_entry_says_what_was_trained_and_tested_on(trained):
    split = trained.metrics["split"]
    assert split["kind"] == "nsynth" and "'train'" in split["train"] and "'test'" in split["test"]


def test_model_dir_has_model_and_report_files(trained):
    names = {p.name for p in trained.out.iterdir()}
    assert {"model.skops", "model.json", "pipeline.toml", "metrics.json", "per_class.csv",
            "confusion.png", "predictions.parquet"} <= names


def test_metrics_file_equals_returned_metrics(trained):
    assert json.loads((trained.out / "metrics.json").read_text()) == trained.metrics


def test_test_predictions_are_saved(trained):
    df = pd.read_parquet(trained.out / "predictions.parquet")
    assert set(df["split"]) == {"test"} and {"note_id", "true", "predicted", "probability"} <= set(df.columns)


def test_model_metadata_travels_with_the_model(trained, table):
    meta = featurekit.load_model(trained.out).meta
    assert meta["extraction_config"]["preset"] == "default"
    assert meta["labels"] == sorted(table["instrument_family_str"].unique())
    assert meta["featurekit_version"] == featurekit.__version__
    assert len(meta["fingerprint"]["sha256"]) == 64


def test_same_seed_and_table_give_the_same_metrics(table, tmp_path):
    spec = write_spec(tmp_path, SMALL_RF)
    a = featurekit.train(table, None, pipeline=spec, seed=3).metrics
    b = featurekit.train(table, None, pipeline=spec, seed=3).metrics
    assert a == b


def test_one_split_table_is_cross_validated_by_instrument(tmp_path):
    result = featurekit.train(make_table(splits=("all",)), "logreg")
    assert result.metrics["split"]["kind"] == "group_kfold"
    assert result.metrics["n_test"] == len(result.predictions)


def test_leaky_split_says_so_in_the_metrics():
    result = featurekit.train(make_table(splits=("all",)), "logreg", leaky_split=True)
    assert "LEAKY" in result.metrics["split"]["description"]


@pytest.mark.parametrize("target", ["instrument_source_str", "pitch"])
def test_other_targets_train(table, target):
    result = featurekit.train(table, "logreg", target=target)
    assert set(result.model.labels) == {plain(v) for v in table[target].unique()}


def test_unknown_target_is_refused(table):
    with pytest.raises(ConfigError, match="unknown target 'colour'"):
        featurekit.train(table, "logreg", target="colour")


def test_missing_target_column_is_refused(table):
    with pytest.raises(ConfigError, match="no target column 'pitch'"):
        featurekit.train(table.drop(columns="pitch"), "logreg", target="pitch")


def test_single_class_target_is_refused(table):
    one = table.assign(instrument_source_str="acoustic")
    with pytest.raises(ConfigError, match="single class"):
        featurekit.train(one, "logreg", target="instrument_source_str")


def test_kind_must_match_a_user_pipeline(table, tmp_path):
    with pytest.raises(ConfigError, match="does not match"):
        featurekit.train(table, "svm", pipeline=write_spec(tmp_path))


def test_user_pipeline_file_is_used_and_saved(table, tmp_path):
    spec = write_spec(tmp_path)
    result = featurekit.train(table, None, pipeline=spec, out=tmp_path / "m")
    assert result.model.kind == "fast"
    assert (tmp_path / "m" / "pipeline.toml").read_text() == spec.read_text()


def test_class_weights_replace_smote(table, tmp_path):
    result = featurekit.train(table, None, pipeline=write_spec(tmp_path, NO_SMOTE))
    assert "smote" not in result.model.pipeline.named_steps


def test_a_reached_smote_budget_is_reported(table, tmp_path):
    from featurekit.models.metrics import format_metrics

    spec = write_spec(tmp_path, SMALL_RF.replace("[classifier]", "[smote]\nmax_samples = 30\n[classifier]"))
    result = featurekit.train(table, None, pipeline=spec)
    assert "max_samples=30: 30 rows, at most 10 per class" in result.metrics["split"]["resampling"]
    assert "resampling: SMOTE capped at max_samples=30" in format_metrics(result.metrics)


def test_search_selects_on_the_valid_split(tmp_path):
    table = make_table(splits=("train", "valid", "test"))
    result = featurekit.train(table, None, pipeline=write_spec(tmp_path, SEARCH))
    assert result.metrics["split"]["search"]["chosen"][0] in ({"classifier__C": 0.001},
                                                                {"classifier__C": 1.0})
    assert "valid" in result.metrics["split"]["selection"]


def test_search_without_valid_uses_inner_group_folds(table, tmp_path):
    result = featurekit.train(table, None, pipeline=write_spec(tmp_path, SEARCH))
    assert len(result.metrics["split"]["search"]["chosen"]) == 1


def test_failed_save_leaves_nothing_behind(table, tmp_path, monkeypatch):
    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(harness, "write_metric_files", boom)
    with pytest.raises(OSError):
        featurekit.train(table, "logreg", out=tmp_path / "m")
    assert list(tmp_path.iterdir()) == []


def test_retraining_replaces_an_earlier_model(table, tmp_path):
    featurekit.train(table, "logreg", out=tmp_path / "m")
    featurekit.train(table, "logreg", out=tmp_path / "m", seed=1)
    assert featurekit.load_model(tmp_path / "m").meta["seed"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_a_non_model_directory_is_not_overwritten(table, tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "thesis.tex").write_text("precious")
    with pytest.raises(OutputError, match="refusing to replace"):
        featurekit.train(table, "logreg", out=tmp_path / "m")
    assert (tmp_path / "m" / "thesis.tex").read_text() == "precious"


def test_a_model_directory_with_a_users_file_is_not_replaced(table, tmp_path):
    featurekit.train(table, "logreg", out=tmp_path / "m")
    (tmp_path / "m" / "notes.txt").write_text("my notes")
    with pytest.raises(OutputError, match="notes.txt"):
        featurekit.train(table, "logreg", out=tmp_path / "m", seed=1)
    assert (tmp_path / "m" / "notes.txt").read_text() == "my notes"
    assert featurekit.load_model(tmp_path / "m").meta["seed"] == 0


def test_a_model_directory_of_an_older_featurekit_is_replaced(table, tmp_path):
    featurekit.train(table, "logreg", out=tmp_path / "m")
    (tmp_path / "m" / ".featurekit-output.json").unlink()  # written before owner markers
    featurekit.train(table, "logreg", out=tmp_path / "m", seed=1)
    assert featurekit.load_model(tmp_path / "m").meta["seed"] == 1


def test_unfittable_data_is_a_one_line_model_error(tmp_path):
    table = make_table()
    cols = [c for c in table.columns if "__" in c]
    table[cols] = np.nan
    with pytest.raises(ModelError, match="fitting pipeline 'logreg' failed"):
        featurekit.train(table, "logreg")


class _ProbeKind:
    """A model kind for the harness that records what its fits ran under."""

    name = "probe"

    def __init__(self, fail=False):
        self.fail, self.threads, self.columns = fail, [], None

    def check(self):
        pass

    def prepare(self, table, source):
        return table

    def model_input(self, table):
        from featurekit.models.inputs import ColumnInput

        self.columns = [c for c in table.columns if "__" in c][:5]
        return ColumnInput(self.columns)

    def fit(self, X, y, rows, *, plan, table, seed, n_jobs):
        from sklearn.linear_model import LogisticRegression
        from threadpoolctl import threadpool_info

        self.threads.append({i["num_threads"] for i in threadpool_info()})
        if self.fail:
            raise ValueError("too few rows\nsecond line")
        return LogisticRegression().fit(X[rows], y[rows]), None

    def split_info(self, final, chosen):
        return {}

    def meta(self, final):
        return {"feature_columns": self.columns}

    def fingerprint(self, table, target, X):
        return harness.fingerprint(table, self.columns, target)

    def save_extra(self, final):
        return None


def test_the_harness_caps_threads_at_n_jobs_for_any_kind():
    kind = _ProbeKind()
    harness.run_training(kind, make_table(), n_jobs=1)
    assert kind.threads and all(t <= {1} for t in kind.threads)


def test_the_harness_turns_any_kinds_fit_error_into_one_line():
    with pytest.raises(ModelError, match=r"fitting pipeline 'probe' failed: too few rows$"):
        harness.run_training(_ProbeKind(fail=True), make_table())


def test_cnn_n_jobs_is_validated_like_every_kind():
    with pytest.raises(ConfigError, match="n_jobs must be a positive number of workers or negative"):
        featurekit.train(make_table(), "cnn", n_jobs=0)


def test_a_search_whose_every_validation_score_is_nan_still_returns_a_model(tmp_path, monkeypatch):
    import sklearn.metrics

    monkeypatch.setattr(sklearn.metrics, "get_scorer", lambda name: lambda est, X, y: float("nan"))
    table = make_table(splits=("train", "valid", "test"))
    result = featurekit.train(table, None, pipeline=write_spec(tmp_path, SEARCH))
    assert result.metrics["split"]["search"]["chosen"] == [{"classifier__C": 0.001}]
