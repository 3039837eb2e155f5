"""featurekit.extract_features: features of arrays in memory, equal to extract's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

import featurekit as fk
from featurekit.config import ExtractionConfig
from featurekit.errors import ConfigError

SR = 16000


def clips(n=5, seconds=1.5, sr=SR):
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * sr)) / sr
    out = []
    for i in range(n):
        f0 = 110 * 2 ** (i / 2)
        y = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6)) * np.exp(-2 * t)
        out.append(0.2 * y + 0.01 * rng.standard_normal(len(t)))
    return np.stack(out).astype(np.float32)


@pytest.mark.parametrize("sr", [SR, 22050])
def test_equals_what_extract_writes(tmp_path, sr):
    """WAVs extracted to a table == extract_features on the same samples
    (also when the audio must be resampled and padded)."""
    y = clips(sr=sr)
    root = tmp_path / "corpus" / "tones"
    root.mkdir(parents=True)
    for i, row in enumerate(y):
        sf.write(root / f"{i}.wav", row, sr, subtype="FLOAT")
    fk.extract(tmp_path / "corpus", tmp_path / "out", n_jobs=1, progress=False)
    table = fk.load_features(tmp_path / "out").sort_values("note_id", key=lambda s: s.map(
        lambda n: int(n.split("/")[-1].split(".")[0]))).reset_index(drop=True)
    ours = fk.extract_features(y, sr)
    assert isinstance(ours, pd.DataFrame) and ours.shape[0] == len(y)
    np.testing.assert_allclose(table[ours.columns].to_numpy(), ours.to_numpy(), rtol=1e-5, atol=1e-5)


def test_one_clip_is_a_series_equal_to_its_batch_row():
    y = clips(3)
    batch = fk.extract_features(y, SR, preset="mfcc40")
    one = fk.extract_features(y[1], SR, preset="mfcc40")
    assert isinstance(one, pd.Series) and list(one.index) == list(batch.columns)
    np.testing.assert_allclose(one.to_numpy(), batch.iloc[1].to_numpy(), rtol=1e-6, atol=1e-6)


def test_config_sets_what_is_computed():
    config = ExtractionConfig(preset="mfcc40", duration=1.0, n_mfcc=13)
    one = fk.extract_features(clips(1)[0], SR, config=config)
    assert list(one.index) == [f"mfcc__mean__{i:02d}" for i in range(13)]


def test_pitch_of_an_analytic_tone():
    """harmonic_f0 is log2(f0): a 440 Hz sine reads 8.78."""
    y = np.sin(2 * np.pi * 440 * np.arange(SR) / SR)
    assert fk.extract_features(y, SR)["harmonic_f0__value__00"] == pytest.approx(np.log2(440), abs=0.01)


@pytest.mark.parametrize("y, sr, match", [
    (np.zeros((2, 3, 4)), SR, "shape"),
    (np.zeros(0), SR, "shape"),
    (np.zeros(SR), 0, "sr must be a positive integer"),
    (np.zeros(SR), 16000.5, "sr must be a positive integer"),
])
def test_bad_input_is_named(y, sr, match):
    with pytest.raises(ConfigError, match=match):
        fk.extract_features(y, sr)
