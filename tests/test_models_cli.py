"""featurekit train / evaluate / predict commands: output equals the library's, bad input."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from models_helpers import make_table, write_spec, write_table_dir

import featurekit
from featurekit.cli.main import cli
from featurekit.models.metrics import format_metrics


@pytest.fixture(scope="module")
def feature_dir(tmp_path_factory):
    return write_table_dir(make_table(), tmp_path_factory.mktemp("cli") / "feats")


@pytest.fixture(scope="module")
def model_dir(feature_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli-model") / "m"
    featurekit.train(feature_dir, "logreg", out=out)
    return out


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _one_line_error(result, pattern):
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("featurekit: error: ")
    assert "Traceback" not in result.output
    assert pattern in lines[0]


def test_train_prints_the_library_metrics(feature_dir, tmp_path):
    out = tmp_path / "m"
    result = _run("train", "logreg", "--features", feature_dir, "--out", out)
    expected = featurekit.train(feature_dir, "logreg").metrics
    assert result.exit_code == 0
    assert result.stdout == format_metrics(expected, title=f"logreg -> {out}") + "\n"


def test_train_with_a_user_pipeline(feature_dir, tmp_path):
    spec = write_spec(tmp_path)
    result = _run("train", "fast", "--features", feature_dir, "--out", tmp_path / "m",
                  "--pipeline", spec)
    assert result.exit_code == 0 and featurekit.load_model(tmp_path / "m").kind == "fast"


def test_leaky_training_says_so_first(tmp_path):
    feats = write_table_dir(make_table(splits=("all",)), tmp_path / "feats")
    result = _run("train", "logreg", "--features", feats, "--out", tmp_path / "m",
                  "--leaky-random-split")
    assert result.stdout.splitlines()[1].startswith("WARNING: LEAKY")


def test_evaluate_prints_the_library_metrics(model_dir, feature_dir):
    result = _run("evaluate", model_dir, "--features", feature_dir)
    expected = featurekit.evaluate(model_dir, feature_dir).metrics
    assert result.exit_code == 0
    assert result.stdout == format_metrics(expected, title=f"logreg on {feature_dir}") + "\n"


def test_evaluate_writes_a_report(model_dir, feature_dir, tmp_path):
    _run("evaluate", model_dir, "--features", feature_dir, "--out", tmp_path / "r")
    assert (tmp_path / "r" / "metrics.json").is_file()


def test_evaluate_warns_when_instruments_were_seen_in_training(model_dir, feature_dir):
    metrics = featurekit.evaluate(model_dir, feature_dir).metrics
    assert metrics["split"]["seen_instruments"] > 0
    assert any("seen in training" in w for w in metrics["split"]["warnings"])


def test_unknown_kind_is_a_one_line_error(feature_dir, tmp_path):
    _one_line_error(_run("train", "forest", "--features", feature_dir, "--out", tmp_path / "m"),
                    "unknown pipeline 'forest'")


def test_missing_feature_dir_is_a_one_line_error(tmp_path):
    _one_line_error(_run("train", "rf", "--features", tmp_path / "nope", "--out", tmp_path / "m"),
                    "does not exist")
    assert not (tmp_path / "m").exists()


def test_empty_feature_dir_is_a_one_line_error(tmp_path):
    (tmp_path / "empty").mkdir()
    _one_line_error(_run("train", "rf", "--features", tmp_path / "empty", "--out", tmp_path / "m"),
                    "no feature shards")


def test_missing_target_is_a_one_line_error(feature_dir, tmp_path):
    _one_line_error(_run("train", "rf", "--features", feature_dir, "--out", tmp_path / "m",
                         "--target", "timbre"), "unknown target 'timbre'")


def test_single_class_target_is_a_one_line_error(tmp_path):
    feats = write_table_dir(make_table().assign(instrument_source_str="acoustic"), tmp_path / "f")
    _one_line_error(_run("train", "logreg", "--features", feats, "--out", tmp_path / "m",
                         "--target", "instrument_source_str"), "single class")
    assert not (tmp_path / "m").exists()


def test_unknown_toml_key_is_a_one_line_error(feature_dir, tmp_path):
    spec = write_spec(tmp_path, "[features]\npreset = \"default\"\ncolour = 1\n"
                                "[classifier]\nkind = \"rf\"\n")
    _one_line_error(_run("train", "rf", "--features", feature_dir, "--out", tmp_path / "m",
                         "--pipeline", spec), "unknown key 'features.colour'")


def test_evaluating_a_non_model_dir_is_a_one_line_error(feature_dir, tmp_path):
    _one_line_error(_run("evaluate", tmp_path, "--features", feature_dir),
                    "not a featurekit model directory")


def test_predicting_a_missing_file_is_a_one_line_error(model_dir, tmp_path):
    _one_line_error(_run("predict", model_dir, tmp_path / "nope.wav"), "no such file")


def _help(command):
    result = _run(command, "--help")
    assert result.exit_code == 0
    return " ".join(result.stdout.split())


def test_every_option_of_every_command_has_help():
    import click

    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        for param in cli.get_command(ctx, name).params:
            if isinstance(param, click.Option) and not param.hidden:
                assert param.help, f"featurekit {name} {param.opts[0]} has no help"


def test_predict_help_says_what_it_prints_and_its_exit_codes():
    text = _help("predict")
    assert "path, label, probability" in text and "label_2, probability_2" in text
    assert "Exit status: 0 every file predicted; 3 some files skipped" in text


def test_train_and_evaluate_help_name_their_inputs_and_outputs():
    train, evaluate = _help("train"), _help("evaluate")
    assert "--target COLUMN" in train and "DIR/metrics.json" in train and "model.skops" in train
    assert "`featurekit train --out` directory" in evaluate and "--out also writes" in evaluate
