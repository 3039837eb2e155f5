"""featurekit.importances / group_importances / plot_importances and `featurekit importances`."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from models_helpers import make_table

import featurekit
from featurekit.cli.main import cli
from featurekit.errors import ConfigError, ModelError
from featurekit.features.catalogue import parse_column
from featurekit.inspection.engine import ConfusionScorer
from featurekit.importance import (
    group_importances,
    importance_figure,
    importances,
    plot_importances,
    write_importances,
)

#: Only the envelope family carries the class; every other column is noise.
SIGNAL_GROUP = "envelope"

SPEC = """
[pipeline]
name = "tiny-{kind}"
description = "small {kind} for tests"
[features]
preset = "default"
exclude = ["chroma"]
[normalise]
per_note = true
[scaler]
kind = "standard"
[smote]
enabled = true
[classifier]
kind = "{kind}"
[classifier.params]
{params}
"""
PARAMS = {"rf": "n_estimators = 20\nn_jobs = 1", "logreg": "C = 1.0"}


def signal_table(splits=("train", "test"), seed=0) -> pd.DataFrame:
    """make_table without signal, plus a strong per-family offset on the envelope columns."""
    table = make_table(signal=0.0, splits=splits, seed=seed)
    cols = [c for c in table.columns if c.startswith(f"{SIGNAL_GROUP}_")]
    rng = np.random.default_rng(seed + 1)
    for family in table["instrument_family_str"].unique():
        rows = table["instrument_family_str"] == family
        table.loc[rows, cols] += rng.normal(0, 3, len(cols)).astype(np.float32)
    return table


def tiny_spec(directory, kind):
    """Write the spec of a small, fast ``kind`` ("rf" or "logreg") pipeline; return its path."""
    path = directory / f"{kind}.toml"
    path.write_text(SPEC.format(kind=kind, params=PARAMS[kind]))
    return path


def train_tiny(tmp_path_factory, kind, table, name, **kwargs):
    """Train a small ``kind`` model on ``table`` into a temporary model dir."""
    spec = tiny_spec(tmp_path_factory.mktemp("spec"), kind)
    out = tmp_path_factory.mktemp("models") / name
    return featurekit.train(table, None, pipeline=spec, out=out, **kwargs).model


@pytest.fixture(scope="module")
def table():
    return signal_table()


@pytest.fixture(scope="module")
def rf(tmp_path_factory, table):
    return train_tiny(tmp_path_factory, "rf", table, "rf")


@pytest.fixture(scope="module")
def logreg(tmp_path_factory, table):
    return train_tiny(tmp_path_factory, "logreg", table, "logreg")


@pytest.fixture(scope="module")
def perm(rf, table):
    return importances(rf, table, "permutation")


@pytest.fixture(scope="module")
def grouped(rf, table):
    return importances(rf, table, "group-permutation")


@pytest.fixture(scope="module")
def feature_dir(tmp_path_factory, table):
    from featurekit.table import FEATURES_DIR, write_shard

    d = tmp_path_factory.mktemp("feats")
    write_shard(table, d / FEATURES_DIR / "part-00000.parquet",
                {"config": table.attrs["featurekit"]})
    return d


# --- the frame --------------------------------------------------------------
def test_permutation_has_one_row_per_model_column(perm, rf):
    assert sorted(perm["feature"]) == sorted(rf.feature_columns)
    assert {"feature", "group", "importance_mean", "importance_std"} <= set(perm.columns)


def test_rows_are_sorted_by_importance_descending(perm):
    assert perm["importance_mean"].is_monotonic_decreasing


def test_group_is_the_family_parsed_from_the_column_name(perm):
    assert perm["group"].tolist() == [parse_column(f).group for f in perm["feature"]]


def test_group_permutation_finds_the_informative_family(grouped):
    assert grouped["feature"].iloc[0] == SIGNAL_GROUP
    assert grouped["importance_mean"].iloc[0] > 0.2
    assert (grouped["importance_mean"].iloc[1:].abs() < 0.1).all()


def test_group_permutation_has_one_row_per_family(grouped, rf):
    families = {parse_column(c).group for c in rf.feature_columns}
    assert set(grouped["feature"]) == families
    counts = pd.Series([parse_column(c).group for c in rf.feature_columns]).value_counts()
    assert grouped.set_index("feature")["n_columns"].to_dict() == counts.to_dict()


def test_custom_groups_are_permuted_together(rf, table):
    env = [c for c in rf.feature_columns if c.startswith("envelope_")]
    df = importances(rf, table, "group-permutation", groups={"env": env, "first": env[:1]})
    assert df["feature"].tolist()[0] == "env"


def test_same_seed_gives_the_same_result(rf, table, perm):
    pd.testing.assert_frame_equal(importances(rf, table, "permutation"), perm)


def test_result_does_not_depend_on_n_jobs(rf, table, grouped):
    pd.testing.assert_frame_equal(importances(rf, table, "group-permutation", n_jobs=2), grouped)


def test_attrs_record_method_and_rows(grouped, table):
    info = grouped.attrs["importance"]
    assert info["method"] == "group-permutation"
    assert info["n_rows"] == int((table["split"] == "test").sum())
    assert info["scoring"] == "balanced_accuracy" and info["n_repeats"] == 5


# --- held-out rows only -----------------------------------------------------
def test_training_rows_do_not_change_the_result(rf, table, grouped):
    test_only = table[table["split"] == "test"].reset_index(drop=True)
    test_only.attrs = table.attrs
    pd.testing.assert_frame_equal(importances(rf, test_only, "group-permutation"), grouped)


def test_a_table_of_training_notes_only_is_refused(rf, table):
    train_only = table[table["split"] == "train"].reset_index(drop=True)
    with pytest.raises(ConfigError, match="no held-out notes"):
        importances(rf, train_only, "permutation")


def test_a_cross_validated_model_is_scored_out_of_fold(tmp_path_factory):
    one_split = signal_table(splits=("all",))
    model = train_tiny(tmp_path_factory, "rf", one_split, "rf-cv")
    df = importances(model, one_split, "group-permutation", n_repeats=2)
    info = df.attrs["importance"]
    assert info["n_folds"] == model.meta["split"]["n_folds"]
    assert info["n_rows"] == len(one_split)
    assert "out-of-fold" in info["rows"]
    assert df["feature"].iloc[0] == SIGNAL_GROUP


# --- per class --------------------------------------------------------------
def test_per_class_drops_average_to_the_balanced_accuracy_drop(rf, table, grouped):
    per_class = importances(rf, table, "group-permutation", per_class=True)
    mean = per_class.groupby("feature")["importance_mean"].mean()
    overall = grouped.set_index("feature")["importance_mean"]
    np.testing.assert_allclose(mean[overall.index], overall, atol=1e-12)


def test_per_class_frame_has_every_class(rf, table):
    per_class = importances(rf, table, "group-permutation", per_class=True, n_repeats=1)
    assert per_class["class"].unique().tolist() == rf.labels


@pytest.mark.parametrize("scoring", ["balanced_accuracy", "f1_macro", "accuracy"])
def test_scores_match_sklearn(scoring):
    from sklearn.metrics import get_scorer

    rng = np.random.default_rng(0)
    y = rng.choice(np.array(["a", "b", "c"], dtype=object), 50)
    pred = rng.choice(np.array(["a", "b", "d"], dtype=object), 50)  # "d": never true
    ours, _ = ConfusionScorer(y, ["a", "b", "c", "d"], scoring)(pred)
    func = get_scorer(scoring)._score_func
    kwargs = ({"labels": np.unique(y), "average": "macro", "zero_division": 0}
              if scoring == "f1_macro" else {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "y_pred contains classes not in y_true"
        expected = func(y, pred, **kwargs)
    assert ours == pytest.approx(expected)


# --- MDI --------------------------------------------------------------------
def test_mdi_uses_the_classifier_inputs(rf):
    df = importances(rf, method="mdi")
    assert df["importance_mean"].sum() == pytest.approx(1.0)
    assert any("__relf0__" in f for f in df["feature"])  # made by per-note normalisation


def test_mdi_of_a_non_tree_model_is_refused(logreg):
    with pytest.raises(ModelError, match="MDI needs a tree ensemble"):
        importances(logreg, method="mdi")


# --- bad input --------------------------------------------------------------
def test_unknown_method_is_named(rf, table):
    with pytest.raises(ConfigError, match="'shap'"):
        importances(rf, table, "shap")


def test_permutation_needs_a_table(rf):
    with pytest.raises(ConfigError, match="needs a feature table"):
        importances(rf, None, "permutation")


def test_a_table_missing_model_columns_is_refused(rf, table):
    with pytest.raises(ModelError, match="lacks 1 feature columns"):
        importances(rf, table.drop(columns=rf.feature_columns[3]), "permutation")


def test_a_table_without_the_target_is_refused(rf, table):
    with pytest.raises(ConfigError, match="instrument_family_str"):
        importances(rf, table.drop(columns="instrument_family_str"), "permutation")


def test_labels_of_another_target_are_refused(rf, table):
    other = table.assign(instrument_family_str=table["instrument_source_str"])
    with pytest.raises(ConfigError, match="share none with the model's"):
        importances(rf, other, "permutation")


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_n_repeats_must_be_a_positive_integer(rf, table, bad):
    with pytest.raises(ConfigError, match="n_repeats"):
        importances(rf, table, n_repeats=bad)


def test_seed_must_be_a_non_negative_integer(rf, table):
    with pytest.raises(ConfigError, match="seed must be a non-negative integer, got -1"):
        importances(rf, table, seed=-1)


# --- totals, plots, files ---------------------------------------------------
def test_group_importances_sum_each_family(perm):
    totals = group_importances(perm).set_index("group")["importance"]
    expected = perm.groupby("group")["importance_mean"].sum()
    pd.testing.assert_series_equal(totals.sort_index(), expected.sort_index(), check_names=False)


def test_plot_has_a_totals_panel_for_features(perm):
    assert len(importance_figure(perm, top=5).axes) == 2


def test_plot_family_panel_can_show_group_permutation(perm, grouped):
    ax = importance_figure(perm, totals=grouped).axes[1]
    labels = {t.get_position()[1]: t.get_text() for t in ax.get_yticklabels()}
    assert labels[max(labels)].startswith(SIGNAL_GROUP)  # the top bar


def test_plot_has_one_panel_for_families(grouped):
    assert len(importance_figure(grouped).axes) == 1


def test_plot_importances_writes_a_png(perm, tmp_path):
    path = plot_importances(perm, tmp_path / "imp.png", top=10)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_refuses_an_unknown_image_suffix(perm, tmp_path):
    with pytest.raises(ConfigError, match="imp.bmp"):
        plot_importances(perm, tmp_path / "imp.bmp")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_written_table_reads_back(perm, tmp_path, suffix):
    path = write_importances(perm, tmp_path / f"imp{suffix}")
    back = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, perm, check_exact=False, check_dtype=False)


def test_public_api_exposes_importances():
    assert featurekit.importances is importances


# --- CLI --------------------------------------------------------------------
def test_cli_writes_the_library_result(rf, feature_dir, grouped, tmp_path):
    out = tmp_path / "imp.csv"
    res = CliRunner().invoke(cli, ["importances", str(rf.path), "--features", str(feature_dir),
                                   "--method", "group-permutation", "--out", str(out)])
    assert res.exit_code == 0, res.output
    pd.testing.assert_frame_equal(pd.read_csv(out), grouped, check_exact=False, check_dtype=False)
    assert res.stdout.splitlines()[1].split()[0] == SIGNAL_GROUP


def test_cli_writes_a_plot(rf, tmp_path):
    res = CliRunner().invoke(cli, ["importances", str(rf.path), "--method", "mdi", "--out",
                                   str(tmp_path / "mdi.parquet"), "--plot",
                                   str(tmp_path / "mdi.png"), "--top", "5"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "mdi.png").stat().st_size > 0
    assert len(res.stdout.splitlines()) == 6  # header + top 5


@pytest.mark.parametrize("args, message", [
    (["--method", "shap"], "unknown importance method 'shap'"),
    (["--out", "imp.txt"], "imp.txt"),
    (["--plot", "imp.bmp"], "imp.bmp"),
])
def test_cli_bad_input_is_one_line(rf, feature_dir, tmp_path, args, message):
    base = {"--method": "permutation", "--out": str(tmp_path / "imp.csv")}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    argv = ["importances", str(rf.path), "--features", str(feature_dir)]
    for flag, value in base.items():
        argv += [flag, value]
    res = CliRunner().invoke(cli, argv)
    assert res.exit_code == 1
    assert res.stderr.count("\n") == 1 and message in res.stderr


def test_cli_refuses_a_directory_that_is_not_a_model(feature_dir, tmp_path):
    res = CliRunner().invoke(cli, ["importances", str(feature_dir), "--features",
                                   str(feature_dir), "--out", str(tmp_path / "x.csv")])
    assert res.exit_code == 1 and "not a featurekit model directory" in res.stderr


# --- the engine (pure: estimator, X, y in; a Bunch out) ----------------------
class _FirstColumn:
    """A fitted 'classifier' that reads column 0 only: label 'a' when it is positive."""

    classes_ = np.array(["a", "b"], dtype=object)

    def predict(self, X):
        return np.where(np.asarray(X)[:, 0] > 0, "a", "b").astype(object)


def _first_column_data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    return X, _FirstColumn().predict(X)


def test_engine_returns_sklearns_bunch_shape():
    from featurekit.inspection import permutation_importance

    X, y = _first_column_data()
    res = permutation_importance(_FirstColumn(), X, y, n_repeats=3)
    assert res.importances.shape == (4, 3)
    np.testing.assert_array_equal(res.importances_mean, res.importances.mean(axis=1))
    np.testing.assert_array_equal(res.importances_std, res.importances.std(axis=1))
    assert res.baseline_score == 1.0


def test_engine_gives_unread_columns_exactly_zero():
    from featurekit.inspection import permutation_importance

    X, y = _first_column_data()
    res = permutation_importance(_FirstColumn(), X, y, n_repeats=3)
    assert (res.importances[1:] == 0).all()
    assert res.importances_mean[0] > 0.3  # a shuffled sign gets ~half the rows wrong


def test_engine_permutes_a_group_together():
    from featurekit.inspection import permutation_importance

    X, y = _first_column_data()
    res = permutation_importance(_FirstColumn(), X, y, groups={"first": [0, 1], "rest": [2, 3]},
                                 n_repeats=2)
    assert res.importances.shape == (2, 2)
    assert res.importances_mean[0] > 0.3 and (res.importances[1] == 0).all()


def test_engine_does_not_depend_on_n_jobs_or_blocks(monkeypatch):
    from featurekit.inspection import engine

    X, y = _first_column_data()
    one = engine.permutation_importance(_FirstColumn(), X, y, n_repeats=4, random_state=3)
    many = engine.permutation_importance(_FirstColumn(), X, y, n_repeats=4, random_state=3,
                                         n_jobs=2)
    np.testing.assert_array_equal(one.importances, many.importances)


def test_engine_max_samples_scores_a_seeded_subsample():
    from featurekit.inspection import permutation_importance

    X, y = _first_column_data()
    a = permutation_importance(_FirstColumn(), X, y, max_samples=50, random_state=1)
    b = permutation_importance(_FirstColumn(), X, y, max_samples=50, random_state=1)
    assert len(a.sample_indices) == 50 and np.all(np.diff(a.sample_indices) > 0)
    np.testing.assert_array_equal(a.sample_indices, b.sample_indices)
    np.testing.assert_array_equal(a.importances, b.importances)


@pytest.mark.parametrize("bad", [0, -3, 1.5, "all"])
def test_engine_refuses_a_bad_max_samples(bad):
    from featurekit.inspection import subsample_rows

    with pytest.raises(ConfigError, match="max_samples"):
        subsample_rows(10, bad)


# --- held-out rows come from predictions.parquet, size cap -------------------
def test_held_out_rows_are_the_notes_of_predictions_parquet(rf, table):
    from featurekit.inspection.heldout import held_out_folds

    shuffled = table.sample(frac=1, random_state=0).reset_index(drop=True)
    shuffled["split"] = "whatever"  # no split to replay: the model's own record decides
    folds, _ = held_out_folds(rf, shuffled)
    scored = set(shuffled["note_id"].iloc[np.concatenate([f.test for f in folds])])
    assert scored == set(pd.read_parquet(rf.path / "predictions.parquet")["note_id"])


def test_a_cross_validated_model_replays_the_saved_folds(tmp_path_factory):
    from featurekit.inspection.heldout import held_out_folds

    one_split = signal_table(splits=("all",))
    model = train_tiny(tmp_path_factory, "rf", one_split, "rf-cv-folds")
    preds = pd.read_parquet(model.path / "predictions.parquet")
    folds, _ = held_out_folds(model, one_split.iloc[::-1].reset_index(drop=True))
    flipped = one_split.iloc[::-1].reset_index(drop=True)
    for fold in folds:
        ids = set(flipped["note_id"].iloc[fold.test])
        assert len(set(preds.loc[preds["note_id"].isin(ids), "fold"])) == 1
        assert not ids & set(flipped["note_id"].iloc[fold.train])


def test_max_samples_scores_a_seeded_subsample_and_says_so(rf, table):
    a = importances(rf, table, "group-permutation", n_repeats=1, max_samples=10)
    b = importances(rf, table, "group-permutation", n_repeats=1, max_samples=10)
    assert a.attrs["importance"]["n_rows"] == 10
    assert "seeded subsample of 10" in a.attrs["importance"]["rows"]
    pd.testing.assert_frame_equal(a, b)


def test_a_subsample_of_a_cross_validated_model_uses_few_folds(tmp_path_factory):
    one_split = signal_table(splits=("all",))
    model = train_tiny(tmp_path_factory, "rf", one_split, "rf-cv-few")
    df = importances(model, one_split, "group-permutation", n_repeats=1, max_samples=5)
    assert df.attrs["importance"]["n_folds"] == 1 and df.attrs["importance"]["n_rows"] == 5


# --- no global state --------------------------------------------------------
def test_plots_do_not_switch_the_matplotlib_backend(perm, tmp_path):
    import matplotlib

    before = matplotlib.get_backend()
    matplotlib.use("svg")
    try:
        importance_figure(perm, top=3)
        plot_importances(perm, tmp_path / "imp.png", top=3)
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(before)


# --- output files: never replace what featurekit did not write ---------------
def _imp_argv(rf, tmp_path, *extra):
    return ["importances", str(rf.path), "--method", "mdi", "--out", str(tmp_path / "imp.csv"),
            *extra]


def test_cli_refuses_to_replace_a_users_file(rf, tmp_path):
    mine = tmp_path / "imp.csv"
    mine.write_text("my own numbers\n")
    res = CliRunner().invoke(cli, _imp_argv(rf, tmp_path))
    assert res.exit_code == 1 and res.stderr.count("\n") == 1
    assert "refusing to replace" in res.stderr and mine.read_text() == "my own numbers\n"


def test_cli_refuses_to_replace_a_users_image(rf, tmp_path):
    img = tmp_path / "imp.png"
    img.write_bytes(b"\x89PNG\r\n\x1a\nholiday photo")
    res = CliRunner().invoke(cli, _imp_argv(rf, tmp_path, "--plot", str(img)))
    assert res.exit_code == 1 and "refusing to replace" in res.stderr
    assert img.read_bytes().endswith(b"holiday photo") and not (tmp_path / "imp.csv").exists()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_cli_replaces_its_own_output(rf, tmp_path, suffix):
    argv = ["importances", str(rf.path), "--method", "mdi", "--out",
            str(tmp_path / f"imp{suffix}"), "--plot", str(tmp_path / "imp.svg")]
    assert CliRunner().invoke(cli, argv).exit_code == 0
    res = CliRunner().invoke(cli, argv)
    assert res.exit_code == 0, res.output


def test_cli_overwrite_replaces_a_users_file(rf, tmp_path):
    (tmp_path / "imp.csv").write_text("my own numbers\n")
    res = CliRunner().invoke(cli, _imp_argv(rf, tmp_path, "--overwrite"))
    assert res.exit_code == 0, res.output
    assert pd.read_csv(tmp_path / "imp.csv").columns[0] == "feature"


# --- --jobs -----------------------------------------------------------------
@pytest.mark.parametrize("flag, value", [("--jobs", "0"), ("--n-jobs", "0"), ("--jobs", "x")])
def test_cli_jobs_must_be_a_non_zero_integer(rf, tmp_path, flag, value):
    res = CliRunner().invoke(cli, _imp_argv(rf, tmp_path, flag, value))
    assert res.exit_code == 1 and res.stderr.count("\n") == 1
    assert (f"--jobs must be a non-zero integer (N workers, or -1 for all cores, -2 for all but one), "
            f"got {value!r}" in res.stderr)


def test_cli_n_jobs_is_a_hidden_alias_of_jobs(rf, table, feature_dir, tmp_path, grouped):
    res = CliRunner().invoke(cli, ["importances", str(rf.path), "-f", str(feature_dir), "-m",
                                   "group-permutation", "-o", str(tmp_path / "i.csv"),
                                   "--n-jobs", "2"])
    assert res.exit_code == 0, res.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "i.csv"), grouped, check_exact=False,
                                  check_dtype=False)
    help_text = CliRunner().invoke(cli, ["importances", "--help"]).stdout
    assert "--jobs" in help_text and "--n-jobs" not in help_text


def test_cli_help_points_up_to_the_method_descriptions():
    help_text = CliRunner().invoke(cli, ["importances", "--help"]).stdout
    assert "see below" not in help_text
    assert help_text.index("group-permutation  shuffle") < help_text.index("--method")


@pytest.mark.parametrize("max_samples, n_folds", [(50, 1), (100, 1), (150, 2), (450, 5)])
def test_limit_rows_draws_from_as_few_folds_as_hold_the_sample(max_samples, n_folds):
    from featurekit.inspection.heldout import Fold, limit_rows

    folds = [Fold(np.arange(i * 100, (i + 1) * 100), np.arange(3)) for i in range(5)]
    kept, note = limit_rows(folds, max_samples, seed=0)
    assert len(kept) == n_folds and sum(len(f.test) for f in kept) == max_samples
    assert f"from {n_folds} of the 5 folds" in note


def test_limit_rows_keeps_everything_under_the_cap():
    from featurekit.inspection.heldout import Fold, limit_rows

    folds = [Fold(np.arange(10))]
    assert limit_rows(folds, 20, seed=0) == (folds, "")


def test_cli_names_the_flag_when_a_permutation_needs_features(rf, tmp_path):
    res = CliRunner().invoke(cli, ["importances", str(rf.path), "--method", "permutation",
                                   "--out", str(tmp_path / "imp.csv")])
    assert res.exit_code == 1 and res.stderr.count("\n") == 1
    assert "--features DIR" in res.stderr and "features=" not in res.stderr
