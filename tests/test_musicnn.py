"""MusiCNN embeddings: the NumPy forward pass against TensorFlow's, and their edges."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from featurekit.config import ExtractionConfig
from featurekit.errors import ConfigError, MissingDependencyError
from featurekit.features import musicnn

REFERENCE = Path(__file__).parent / "data" / "musicnn_reference.npz"
needs_weights = pytest.mark.skipif(importlib.util.find_spec("musicnn") is None,
                                   reason=f"musicnn weights not installed ({musicnn.INSTALL})")


def _signals() -> np.ndarray:
    """The two clips tests/data/musicnn_reference.npz was computed from (see below)."""
    t = np.arange(64000) / 16000
    tone = sum(np.sin(2 * np.pi * 440 * k * t) / k for k in range(1, 9)) * np.exp(-t) * 0.3
    noise = np.random.default_rng(0).standard_normal(64000) * 0.1
    return np.stack([tone, noise]).astype(np.float32)


@needs_weights
def test_checkpoint_holds_the_published_layer_shapes():
    w = musicnn.read_checkpoint(musicnn.weights_path())
    assert w["conv2d/kernel"].shape == (7, 38, 1, 204)  # timbral 7 x 0.4*96
    assert w["conv2d_2/kernel"].shape == (128, 1, 1, 51)  # temporal 128 frames
    assert w["conv2d_5/kernel"].shape == (7, 561, 1, 64)  # mid-end over the front-end's 561
    assert w["batch_normalization_9/moving_mean"].shape == (1506,)  # 753 max + 753 mean


@needs_weights
def test_forward_pass_matches_tensorflow():
    """Reference: musicnn 0.1.0's MTT_musicnn graph in TensorFlow 2.21 (tf_keras), fed
    librosa 0.11's log-mel of the same clips, its 'mean_pool' and 'max_pool' outputs."""
    ref = np.load(REFERENCE)
    mean, peak = musicnn.embed(_signals())
    assert np.abs(mean - ref["mean"]).max() < 1e-3 * np.abs(ref["mean"]).max()
    assert np.abs(peak - ref["max"]).max() < 1e-3 * np.abs(ref["max"]).max()


def test_log_mel_matches_librosa():
    librosa = pytest.importorskip("librosa")
    y = _signals()[:1]
    mel = librosa.feature.melspectrogram(y=y[0], sr=16000, n_fft=512, hop_length=256, n_mels=96)
    expected = np.log10(10000 * mel.T[:musicnn.N_FRAMES] + 1)
    assert np.allclose(musicnn.log_mel(y)[0], expected, atol=1e-4)


def test_short_clips_are_zero_padded_to_three_seconds():
    y = _signals()[:1, :8000]  # 0.5 s
    mel = musicnn.log_mel(y)
    assert mel.shape == (1, musicnn.N_FRAMES, musicnn.N_MELS)
    assert np.all(mel[0, 40:] == 0) and mel[0, :20].max() > 1  # silence past the end


def test_transfer_preset_needs_16khz():
    with pytest.raises(ConfigError, match="'musicnn_mean', which needs sample_rate=16000"):
        ExtractionConfig(preset="transfer", sample_rate=22050)


def test_missing_weights_name_the_install_command(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MissingDependencyError, match="pip install --no-deps musicnn==0.1.0"):
        musicnn.weights_path()


@needs_weights
def test_transfer_preset_columns_parse_into_the_musicnn_family():
    from featurekit.features import AnalysisPlan, compute_features, feature_names, parse_column

    plan = AnalysisPlan(ExtractionConfig(preset="transfer"))
    names = feature_names(plan)
    embedded = [parse_column(c) for c in names if c.startswith("musicnn")]
    assert len(embedded) == 2 * 753 and {c.group for c in embedded} == {"musicnn"}
    x = compute_features(_signals(), plan)
    first = names.index("musicnn_mean__value__00")
    assert np.allclose(x[:, first:first + 753], np.load(REFERENCE)["mean"], atol=1e-2)


def test_extract_without_the_weights_fails_before_writing(tone_corpus, tmp_path, monkeypatch):
    import featurekit as fk

    musicnn.load_weights.cache_clear()  # weights loaded by an earlier test
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MissingDependencyError, match="musicnn"):
        fk.extract(tone_corpus, tmp_path / "out", preset="transfer", n_jobs=1, progress=False)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.parquet"))


@pytest.fixture(scope="module")
def transfer_table(tone_corpus, tmp_path_factory):
    import featurekit as fk

    out = tmp_path_factory.mktemp("transfer") / "feats"
    fk.extract(tone_corpus, out, preset="transfer", n_jobs=1, progress=False)
    return out


@needs_weights
@pytest.mark.parametrize("kind", ["musicnn-logreg", "musicnn-vote"])
def test_the_musicnn_pipelines_train_on_a_transfer_table(transfer_table, kind):
    import featurekit as fk

    result = fk.train([transfer_table], kind, fit_all=True, seed=0)
    scored = fk.evaluate(result.model, transfer_table)
    assert len(scored.predictions) == len(fk.load_features(transfer_table))
    assert scored.metrics["accuracy"] > 0.5  # its own training rows, 3 well-separated families


def test_musicnn_logreg_on_a_default_table_says_which_preset(tone_corpus, tmp_path):
    import featurekit as fk

    fk.extract(tone_corpus, tmp_path / "feats", n_jobs=1, progress=False)
    with pytest.raises(ConfigError, match="--preset transfer"):
        fk.train([tmp_path / "feats"], "musicnn-logreg", fit_all=True)
