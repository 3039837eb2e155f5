"""Several tables, --fit-all, and evaluate on a target column or a subset (issues 14, 15)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from models_helpers import make_table, write_table_dir

import featurekit
from featurekit.config import ExtractionConfig
from featurekit.errors import ConfigError
from featurekit.cli.main import cli


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _two_tables(tmp_path):
    a = make_table(seed=0)
    b = make_table(seed=1, families=("guitar", "organ", "reed"))
    b["note_id"] = "b/" + b["note_id"]
    b["instrument_str"] = "b_" + b["instrument_str"]
    return write_table_dir(a, tmp_path / "a"), write_table_dir(b, tmp_path / "b"), len(a), len(b)


def test_train_on_two_tables_uses_every_row(tmp_path):
    a, b, na, nb = _two_tables(tmp_path)
    result = featurekit.train([a, b], "logreg")
    assert result.model.meta["fingerprint"]["n_rows"] + result.metrics["n_test"] == na + nb


def test_tables_with_different_configs_are_a_one_line_error(tmp_path):
    a = write_table_dir(make_table(), tmp_path / "a")
    other = make_table()
    other["note_id"] = "x/" + other["note_id"]
    other.attrs["featurekit"] = ExtractionConfig(hop_length=256).to_dict()
    b = write_table_dir(other, tmp_path / "b")
    result = _run("train", "logreg", "--features", a, "--features", b, "--out", tmp_path / "m")
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert line.count("\n") == 0 and "hop_length = 256" in line and "hop_length = 512" in line


def test_fit_all_fits_every_split_and_says_there_is_no_held_out_score(tmp_path):
    a, b, na, nb = _two_tables(tmp_path)
    result = _run("train", "logreg", "--features", a, "--features", b, "--out", tmp_path / "m",
                  "--fit-all")
    assert result.exit_code == 0, result.output
    assert "no held-out score" in result.stdout and "featurekit evaluate" in result.stdout
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert metrics["held_out"] is False and metrics["n_test"] == 0 and math.isnan(metrics["macro_f1"])
    assert "featurekit evaluate" in metrics["split"]["description"]
    model = featurekit.load_model(tmp_path / "m")
    assert model.meta["fingerprint"]["n_rows"] == na + nb  # test split rows too


def test_fit_all_with_a_leaky_split_is_refused():
    with pytest.raises(ConfigError, match="fit_all"):
        featurekit.train(make_table(), "logreg", fit_all=True, leaky_split=True)


@pytest.fixture(scope="module")
def family_model(tmp_path_factory):
    d = tmp_path_factory.mktemp("fam")
    featurekit.train(make_table(), "logreg", out=d / "m")
    return d / "m"


def test_evaluate_on_a_label_column(family_model, tmp_path):
    table = make_table().drop(columns=["instrument_family_str"])
    table["label"] = make_table()["instrument_family_str"].str.capitalize()  # "Guitar"
    feats = write_table_dir(table, tmp_path / "f")
    result = _run("evaluate", family_model, "--features", feats, "--target", "label")
    assert result.exit_code == 0, result.output
    assert "true labels from column 'label'" in result.stdout
    metrics = featurekit.evaluate(family_model, feats, target="label").metrics
    assert metrics["split"]["target_column"] == "label" and metrics["n_test"] == len(table)
    assert metrics["accuracy"] > 0.5  # the labels were mapped onto the model's


def test_evaluate_a_split_and_families_subset(family_model, tmp_path):
    table = make_table()
    feats = write_table_dir(table, tmp_path / "f")
    result = featurekit.evaluate(family_model, feats, split="test", families="guitar,reed")
    wanted = table[(table["split"] == "test") & table["instrument_family_str"].isin(["guitar", "reed"])]
    assert result.metrics["n_test"] == len(wanted)
    assert set(result.predictions["true"]) == {"guitar", "reed"}
    assert result.metrics["split"]["seen_instruments"] == 0
    out = _run("evaluate", family_model, "--features", feats, "--split", "test",
               "--families", "guitar,reed")
    assert f"{len(wanted)} notes of" in out.stdout and "split test; families guitar, reed" in out.stdout


@pytest.mark.parametrize("option, value, message", [
    ("--families", "flute", "no note has family 'flute'"),
    ("--split", "valid", "no note has split 'valid'"),
    ("--target", "nope", "no target column 'nope'"),
])
def test_bad_subsets_are_one_line_errors(family_model, tmp_path, option, value, message):
    feats = write_table_dir(make_table(), tmp_path / "f")
    result = _run("evaluate", family_model, "--features", feats, option, value)
    assert result.exit_code == 1 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_one_note_id_in_two_libraries_is_two_notes(tmp_path):
    renders, real = make_table(), make_table(seed=1)
    renders["library"], real["library"] = "FluidR3_GM", "nsynth"
    result = featurekit.train([renders, real], "logreg", fit_all=True)
    assert result.model.meta["fingerprint"]["n_rows"] == len(renders) + len(real)
    real["library"] = "FluidR3_GM"
    with pytest.raises(ConfigError, match="is in more than one of the feature tables"):
        featurekit.train([renders, real], "logreg", fit_all=True)


def test_balance_rows_repeats_each_table_up_to_the_largest():
    from featurekit.models.harness import balance_rows

    table_id = np.array([0] * 6 + [1] * 2)
    got = balance_rows(np.array([0, 2, 3, 4, 5, 6, 7]), table_id)
    assert list(got) == [0, 2, 3, 4, 5, 6, 7, 6, 7, 6]


def test_balanced_tables_fit_the_small_table_as_often_as_the_large(tmp_path):
    a, b, na, nb = _two_tables(tmp_path)
    small = write_table_dir(featurekit.load_features(b).iloc[:12].copy(), tmp_path / "small")
    result = _run("train", "logreg", "--features", a, "--features", small, "--out", tmp_path / "m",
                  "--fit-all", "--balance-tables")
    assert result.exit_code == 0, result.output
    assert f"tables balanced: the training rows of each table ({na:,}, 12) repeated up to " \
           f"the largest ({na:,})" in result.stdout
    model = featurekit.load_model(tmp_path / "m")
    assert model.meta["fingerprint"]["n_rows"] == na + 12  # the notes, not the repeats


def test_balanced_tables_change_the_fit():
    renders, real = make_table(seed=0), make_table(seed=1, signal=0.5).iloc[:20].copy()
    real["note_id"] = "real/" + real["note_id"]
    real["instrument_str"] = "real_" + real["instrument_str"]
    plain = featurekit.train([renders, real], "logreg", fit_all=True).model
    balanced = featurekit.train([renders, real], "logreg", fit_all=True, balance_tables=True).model
    coef = lambda m: m.pipeline.named_steps["classifier"].coef_  # noqa: E731
    assert not np.allclose(coef(plain), coef(balanced))


def test_a_model_of_untrimmed_notes_refuses_a_trimmed_table_and_says_how_to_re_extract():
    trimmed = make_table()
    untrimmed = trimmed.copy()
    untrimmed.attrs = {"featurekit": {k: v for k, v in trimmed.attrs["featurekit"].items()
                                      if k != "trim_db"}}  # a table from before trim_db
    model = featurekit.train(untrimmed, "logreg", fit_all=True).model
    with pytest.raises(ConfigError, match=r"trim_db: model None vs table 40.0\); re-extract with "
                                          r"--no-trim"):
        featurekit.evaluate(model, trimmed)


def test_a_model_of_unnormalised_notes_refuses_a_normalised_table_and_says_how_to_re_extract():
    normalised = make_table()
    kept = normalised.copy()
    kept.attrs = {"featurekit": {k: v for k, v in normalised.attrs["featurekit"].items()
                                 if k != "peak_db"}}  # a table from before peak_db
    model = featurekit.train(kept, "logreg", fit_all=True).model
    with pytest.raises(ConfigError, match=r"peak_db: model None vs table -1.1\); re-extract with "
                                          r"--no-normalise"):
        featurekit.evaluate(model, normalised)
