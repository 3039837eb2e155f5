"""End to end on rendered numpy tones: extract -> train -> evaluate -> predict WAVs."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from click.testing import CliRunner

import featurekit
from featurekit.cli.main import cli
from featurekit.models.api import format_predictions

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(tone_corpus, tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    featurekit.extract(tone_corpus, root / "feats", n_jobs=1, progress=False)
    result = CliRunner().invoke(cli, ["train", "rf", "--features", str(root / "feats"),
                                      "--out", str(root / "model"), "--n-jobs", "1"])
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="module")
def test_wavs(tone_corpus):
    return sorted((tone_corpus / "nsynth-test" / "audio").glob("*.wav"))


def test_training_on_extracted_tones_is_honest_and_accurate(trained):
    metrics = json.loads((trained / "model" / "metrics.json").read_text())
    assert metrics["split"]["kind"] == "nsynth" and metrics["split"]["shared_instruments"] == 0
    assert metrics["accuracy"] >= 0.8


def test_evaluate_on_the_extracted_table(trained):
    result = featurekit.evaluate(trained / "model", trained / "feats")
    assert result.metrics["n_test"] == len(featurekit.load_features(trained / "feats"))


def test_predict_csv_equals_the_library_result(trained, test_wavs):
    wavs = [str(p) for p in test_wavs[:3]]
    result = CliRunner().invoke(cli, ["predict", str(trained / "model"), *wavs, "--format", "csv"])
    expected = featurekit.predict(trained / "model", wavs)
    assert result.exit_code == 0
    assert result.stdout == format_predictions(expected.predictions, "csv")
    assert list(pd.read_csv(io.StringIO(result.stdout)).columns) == ["path", "label", "probability"]


def test_predict_matches_the_extracted_features(trained, test_wavs):
    """Features computed at predict time equal the table's: same prediction as evaluate."""
    table = featurekit.load_features(trained / "feats")
    model = featurekit.load_model(trained / "model")
    row = table[table["path"] == str(test_wavs[0])]
    expected = model.predict_table(row)["label"].iloc[0]
    assert featurekit.predict(model, test_wavs[0]).predictions["label"].iloc[0] == expected


def test_predict_a_folder_as_json_with_top_k(trained, test_wavs):
    folder = test_wavs[0].parent
    result = CliRunner().invoke(cli, ["predict", str(trained / "model"), str(folder),
                                      "--top-k", "2", "--format", "json"])
    rows = json.loads(result.stdout)
    assert len(rows) == len(test_wavs) and {"label_2", "probability_2"} <= set(rows[0])


def test_an_unreadable_wav_is_reported_and_the_rest_predicted(trained, test_wavs, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF....not audio")
    result = CliRunner().invoke(cli, ["predict", str(trained / "model"), str(test_wavs[0]),
                                      str(bad), "--format", "csv"])
    assert result.exit_code == 3
    # the run goes on, so this is not an error line
    assert result.stderr.startswith(f"featurekit: skipped: {bad}:") and result.stderr.count("\n") == 1
    assert len(pd.read_csv(io.StringIO(result.stdout))) == 1


def test_only_unreadable_wavs_is_a_one_line_error(trained, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"nope")
    result = CliRunner().invoke(cli, ["predict", str(trained / "model"), str(bad)])
    assert result.exit_code == 1 and "no file could be read" in result.stderr
    assert "Traceback" not in result.output


@pytest.fixture(scope="module")
def odd_wavs(tmp_path_factory):
    import numpy as np
    import soundfile as sf

    d = tmp_path_factory.mktemp("odd")
    sr = 16000
    t = np.arange(10 * sr) / sr
    files = {"silent.wav": np.zeros(4 * sr), "one-sample.wav": np.array([0.5]),
             "long.wav": 0.3 * np.sin(2 * np.pi * 440 * t)}
    for name, y in files.items():
        sf.write(d / name, y.astype(np.float32), sr)
    return {name: d / name for name in files}


def test_predict_warns_on_silent_short_and_long_input(trained, odd_wavs):
    result = featurekit.predict(trained / "model", [odd_wavs[n] for n in sorted(odd_wavs)])
    warning = dict(zip(result.predictions["path"].map(lambda p: p.rsplit("/", 1)[-1]),
                       result.predictions["warning"]))
    assert warning["silent.wav"].startswith("silent")
    assert warning["one-sample.wav"].startswith("too short")
    assert "--timeline" in warning["long.wav"] and "first 4 s of 10.0 s" in warning["long.wav"]


def test_predict_cli_prints_input_warnings(trained, odd_wavs, test_wavs):
    result = CliRunner().invoke(cli, ["predict", str(trained / "model"), str(odd_wavs["silent.wav"]),
                                      str(test_wavs[0])])
    assert result.exit_code == 0
    assert "featurekit: warning:" in result.stderr and "silent" in result.stderr
    assert "warning" in result.stdout.splitlines()[0]  # the column, as the library's frame


def test_predict_without_warnings_prints_no_warning_column(trained, test_wavs):
    expected = featurekit.predict(trained / "model", test_wavs[:2])
    assert (expected.predictions["warning"] == "").all()
    result = CliRunner().invoke(cli, ["predict", str(trained / "model"), *map(str, test_wavs[:2])])
    assert "warning" not in result.stdout and result.stderr == ""


def test_predict_skips_hidden_files_in_a_folder(trained, test_wavs, tmp_path):
    import shutil

    shutil.copy(test_wavs[0], tmp_path / "a.wav")
    (tmp_path / ".trash").mkdir()
    shutil.copy(test_wavs[1], tmp_path / ".trash" / "b.wav")
    shutil.copy(test_wavs[1], tmp_path / "._a.wav")  # macOS resource-fork twin
    result = featurekit.predict(trained / "model", tmp_path)
    assert [p.rsplit("/", 1)[-1] for p in result.predictions["path"]] == ["a.wav"]


def test_predict_json_keeps_slashes_unescaped(trained, test_wavs):
    result = CliRunner().invoke(cli, ["predict", str(trained / "model"), str(test_wavs[0]),
                                      "--format", "json"])
    assert "\\/" not in result.stdout and json.loads(result.stdout)[0]["path"] == str(test_wavs[0])
