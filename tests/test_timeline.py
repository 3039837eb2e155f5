"""Long recordings: training on label folders of windows, and window-by-window prediction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from click.testing import CliRunner

import featurekit as fk
from featurekit.cli.main import cli
from featurekit.models.split import plan_split
from featurekit.testing import tone
from featurekit.timeline import TIMELINE_COLUMNS, format_timeline, plot_timeline, predict_timeline

FAMILIES = ("guitar", "organ", "reed")


def melody(family, pitches, rng, note_seconds=1.0, rate=16000):
    """Notes of one tone family back to back, ``note_seconds`` each."""
    return np.concatenate([tone(int(p), 100, family, rng, sample_rate=rate, duration=note_seconds,
                                held=0.8 * note_seconds) for p in pitches])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Label folders of 6-note melodies, cut into 1 s windows, and a logreg on ``label``."""
    tmp = tmp_path_factory.mktemp("timeline")
    rng = np.random.default_rng(0)
    for family in FAMILIES:
        (tmp / "corpus" / family).mkdir(parents=True)
        for i in range(4):
            sf.write(tmp / "corpus" / family / f"{i}.wav", melody(family, rng.integers(48, 72, 6), rng), 16000)
    fk.extract(tmp / "corpus", tmp / "feats", segment_seconds=1.0, n_jobs=1, progress=False)
    result = fk.train(tmp / "feats", "logreg", target="label", out=tmp / "model")
    rng = np.random.default_rng(9)
    song = np.concatenate([melody("organ", [50, 55, 60, 62], rng),
                           melody("guitar", [50, 55, 60, 62, 64, 66], rng),
                           melody("reed", [60, 62], rng)])
    # a 44.1 kHz stereo FLAC: the timeline reads what extraction reads
    import soxr

    song = soxr.resample(song, 16000, 44100)
    sf.write(tmp / "song.flac", np.stack([song, song], axis=1), 44100)
    return tmp, result


def test_training_on_windows_groups_by_source_file(trained):
    tmp, result = trained
    table = fk.load_features(tmp / "feats")
    assert len(table) == 3 * 4 * 6 and result.model.target == "label"
    plan = plan_split(table, table["label"].to_numpy())
    assert plan.kind == "group_kfold"
    for train, test in plan.folds:  # no file's windows on both sides
        assert not set(table["source_path"].iloc[train]) & set(table["source_path"].iloc[test])
    assert result.metrics["accuracy"] > 0.9


def test_timeline_follows_the_music(trained):
    tmp, _ = trained
    timeline = predict_timeline(tmp / "model", tmp / "song.flac")
    w = timeline.windows
    assert list(w.columns) == TIMELINE_COLUMNS and len(w) == 12
    np.testing.assert_allclose(w["start"], np.arange(12.0))
    np.testing.assert_allclose(w["end"], np.arange(1.0, 13.0))
    assert list(w["label"]) == ["organ"] * 4 + ["guitar"] * 6 + ["reed"] * 2
    assert timeline.predominant == "guitar" and 0.4 < timeline.predominant_probability < 0.6
    assert timeline.probabilities.shape == (12, 3)
    np.testing.assert_allclose(timeline.probabilities.sum(axis=1), 1.0, rtol=1e-6)
    assert timeline.failures.empty


def test_timeline_windows_follow_segment_and_hop(trained):
    tmp, _ = trained
    overlapping = predict_timeline(tmp / "model", tmp / "song.flac", hop_seconds=0.5)
    np.testing.assert_allclose(overlapping.windows["start"], np.arange(0, 11.01, 0.5))
    longer = predict_timeline(tmp / "model", tmp / "song.flac", segment_seconds=3.0)
    assert list(longer.windows["end"]) == [3.0, 6.0, 9.0, 12.0]


def test_plot_writes_an_image(trained, tmp_path):
    tmp, _ = trained
    fig = plot_timeline(predict_timeline(tmp / "model", tmp / "song.flac"), tmp_path / "t.png")
    assert (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG" and len(fig.axes) == 2


def test_unreadable_recording_is_an_audio_error(trained, tmp_path):
    tmp, _ = trained
    (tmp_path / "bad.wav").write_bytes(b"RIFF....WAVEjunk")
    with pytest.raises(fk.AudioError, match="not a readable audio file"):
        predict_timeline(tmp / "model", tmp_path / "bad.wav")


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_cli_timeline_equals_the_library(trained, tmp_path, fmt):
    tmp, _ = trained
    res = CliRunner().invoke(cli, ["predict", str(tmp / "model"), str(tmp / "song.flac"), "--timeline",
                                   "--format", fmt, "--plot", str(tmp_path / "t.png")])
    assert res.exit_code == 0, res.output
    lib = predict_timeline(tmp / "model", tmp / "song.flac")
    assert res.stdout == format_timeline(lib, fmt)
    assert (tmp_path / "t.png").exists()
    if fmt == "csv":
        parsed = pd.read_csv(pd.io.common.StringIO(res.stdout))
        assert list(parsed.columns) == TIMELINE_COLUMNS and len(parsed) == 12
        assert res.stderr.startswith("predominant: guitar")


@pytest.mark.parametrize("args, message", [
    (["--plot", "x.png"], "need --timeline"),
    (["--timeline", "SONG"], "takes one recording, got 2"),
    (["--timeline", "--segment-seconds", "0"], "segment_seconds must be a positive"),
])
def test_cli_timeline_bad_input_is_one_line(trained, args, message):
    tmp, _ = trained
    args = [a.replace("SONG", str(tmp / "song.flac")) for a in args]
    res = CliRunner().invoke(cli, ["predict", str(tmp / "model"), str(tmp / "song.flac"), *args])
    assert res.exit_code == 1 and message in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_predict_finds_flac_files_in_folders(trained, tmp_path):
    import shutil

    tmp, _ = trained
    shutil.copy(tmp / "song.flac", tmp_path / "song.flac")
    result = fk.predict(tmp / "model", tmp_path)  # a folder with one FLAC and no WAV
    assert [p.endswith("song.flac") for p in result.predictions["path"]] == [True]
