"""Issue 11 (model side): what a split, an evaluation and a prediction say is what they are."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from models_helpers import SEARCH_SPEC, make_table, write_spec, write_table_dir

import featurekit
from featurekit.cli.main import cli
from featurekit.errors import ConfigError
from featurekit.models.split import FILE_GROUPS_WARNING, plan_split


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _one_line_error(result, text):
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0] == f"featurekit: error: {text}", lines


def _folder_table():
    """A label-folder table: one group per file (group = note_id), no instrument column."""
    table = make_table(splits=("all",)).drop(columns=["instrument_str", "instrument"])
    table["label"] = table["instrument_family_str"]
    table["group"] = table["note_id"]
    return table


def test_file_groups_are_described_as_files_not_instruments():
    table = _folder_table()
    plan = plan_split(table, table["label"].to_numpy())
    assert "(instrument-disjoint)" not in plan.info["description"]
    assert "grouped by audio file" in plan.info["description"]
    assert f"{len(table)} notes from {len(table)} files" in plan.info["train"]
    assert plan.info["warnings"] == [FILE_GROUPS_WARNING]
    assert "manifest" in FILE_GROUPS_WARNING and "both sides" in FILE_GROUPS_WARNING


def test_manifest_groups_are_described_by_their_column():
    table = _folder_table()
    table["group"] = make_table(splits=("all",))["instrument_str"]  # several files per group
    plan = plan_split(table, table["label"].to_numpy())
    assert "grouped by column 'group'" in plan.info["description"]
    assert plan.info["warnings"] == [] and "12 groups" in plan.info["train"]


def test_train_prints_the_file_group_warning_once(tmp_path):
    feats = write_table_dir(_folder_table(), tmp_path / "f")
    result = _run("train", "logreg", "--features", feats, "--out", tmp_path / "m", "--target", "label")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("each group is a single audio file") == 1


def _with_library(table, library):
    table = table.copy()
    table["library"] = library
    return table


def test_seen_instruments_compare_library_and_name():
    rendered = _with_library(make_table(), "TimGM6mb")
    model = featurekit.train(rendered, "logreg").model
    assert model.meta["train_instrument_ids"][0].startswith("TimGM6mb/")
    assert "/" not in model.meta["train_instruments"][0]  # bare names, as before
    real = make_table()  # same instrument_str values, no library column: NSynth's
    assert featurekit.evaluate(model, real).metrics["split"]["seen_instruments"] == 0
    assert featurekit.evaluate(model, _with_library(real, None)).metrics["split"]["seen_instruments"] == 0
    assert featurekit.evaluate(model, rendered).metrics["split"]["seen_instruments"] == 9  # train


def test_evaluate_prints_each_warning_once(tmp_path):
    table = make_table()
    feats = write_table_dir(table, tmp_path / "f")
    featurekit.train(feats, "logreg", out=tmp_path / "m")
    result = _run("evaluate", tmp_path / "m", "--features", feats)
    assert result.exit_code == 0
    assert result.stdout.count("WARNING") == 1 and "; WARNING" not in result.stdout
    assert result.stdout.count("seen in training") == 1


def test_leaky_training_prints_its_warning_once(tmp_path):
    feats = write_table_dir(make_table(splits=("all",)), tmp_path / "f")
    result = _run("train", "logreg", "--features", feats, "--out", tmp_path / "m",
                  "--leaky-random-split")
    assert result.stdout.count("LEAKY") == 1


@pytest.mark.parametrize("flag", ["--jobs", "--n-jobs", "-j"])
def test_zero_jobs_is_a_one_line_error(tmp_path, flag):
    feats = write_table_dir(make_table(), tmp_path / "f")
    _one_line_error(_run("train", "logreg", "--features", feats, "--out", tmp_path / "m", flag, "0"),
                    "--jobs must be a non-zero integer (N workers, or -1 for all cores, -2 for all but one), got '0'")


def test_n_jobs_is_a_hidden_alias_of_jobs(tmp_path):
    help_text = _run("train", "--help").stdout
    assert "--jobs" in help_text and "--n-jobs" not in help_text
    feats = write_table_dir(make_table(), tmp_path / "f")
    assert _run("train", "logreg", "--features", feats, "--out", tmp_path / "m",
                "--n-jobs", "1").exit_code == 0


def test_library_rejects_zero_jobs():
    with pytest.raises(ConfigError, match="n_jobs must be a positive number of workers or negative"):
        featurekit.train(make_table(), "logreg", n_jobs=0)


def test_train_help_documents_the_search_grid():
    help_text = _run("train", "--help").stdout
    assert "[search.grid]" in help_text and "docs/pipelines.md" in help_text


def test_train_prints_the_chosen_grid_point(tmp_path):
    feats = write_table_dir(make_table(), tmp_path / "f")
    result = _run("train", "logreg", "--features", feats, "--out", tmp_path / "m",
                  "--pipeline", write_spec(tmp_path, SEARCH_SPEC))
    chosen = featurekit.load_model(tmp_path / "m").metrics["split"]["search"]["chosen"][-1]
    assert f"search: chose C={chosen['classifier__C']!r}" in result.stdout


def test_a_missing_target_suggests_target_label(tmp_path):
    table = _folder_table().drop(columns=["instrument_family_str"])
    feats = write_table_dir(table, tmp_path / "f")
    result = _run("train", "rf", "--features", feats, "--out", tmp_path / "m")
    assert result.exit_code == 1 and "--target label" in result.stderr


# --- one wording per audience: library messages name parameters, the CLI names flags
def _no_groups_table():
    return make_table(splits=("all",)).drop(columns=["instrument_str", "instrument"])


def _one_group_table():
    return make_table(splits=("all",)).assign(instrument_str="one", instrument=0)


def _library_error(table, **kwargs):
    with pytest.raises(ConfigError) as err:
        featurekit.train(table, "logreg", **kwargs)
    assert " --" not in str(err.value) and "(--" not in str(err.value), err.value
    return str(err.value)


def _cli_error(tmp_path, table, *flags):
    feats = write_table_dir(table, tmp_path / "f")
    result = _run("train", "logreg", "--features", feats, "--out", tmp_path / "m", *flags)
    assert result.exit_code == 1, result.output
    assert "=True" not in result.stderr and "target='" not in result.stderr, result.stderr
    return result.stderr


def test_library_missing_target_hint_names_the_parameter():
    assert "use target='label'" in _library_error(
        _folder_table().drop(columns=["instrument_family_str"]))


def test_evaluate_missing_target_hint_names_the_flag(tmp_path):
    featurekit.train(make_table(), "logreg", out=tmp_path / "m")
    feats = write_table_dir(_folder_table().drop(columns=["instrument_family_str"]), tmp_path / "f")
    result = _run("evaluate", tmp_path / "m", "--features", feats)
    assert result.exit_code == 1 and "use --target label)" in result.stderr, result.stderr
    assert "target='" not in result.stderr


@pytest.mark.parametrize("table", [_no_groups_table, _one_group_table])
def test_library_leaky_split_hint_names_the_parameter(table):
    assert "leaky_split=True" in _library_error(table())


@pytest.mark.parametrize("table", [_no_groups_table, _one_group_table])
def test_cli_leaky_split_hint_names_the_flag(tmp_path, table):
    assert "--leaky-random-split" in _cli_error(tmp_path, table())


def test_fit_all_with_leaky_split_names_parameters_in_the_library():
    text = _library_error(make_table(), fit_all=True, leaky_split=True)
    assert "fit_all=True" in text and "leaky_split=True" in text


def test_fit_all_with_leaky_split_names_flags_in_the_cli(tmp_path):
    text = _cli_error(tmp_path, make_table(), "--fit-all", "--leaky-random-split")
    assert "--fit-all" in text and "--leaky-random-split" in text


def test_kind_and_pipeline_mismatch_names_no_flag(tmp_path):
    with pytest.raises(ConfigError) as err:
        featurekit.train(make_table(), "svm", pipeline=write_spec(tmp_path))
    assert "KIND" not in str(err.value) and "--pipeline" not in str(err.value)
