"""Feature catalogue: analytic signals, librosa agreement, invariants."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from featurekit.config import ExtractionConfig
from featurekit.features import (
    FEATURES, PRESETS, AnalysisPlan, compute_features, feature_names, parse_column,
)
from featurekit.features.analysis import Analysis

SR = 16000
N = 64000
T = np.arange(N) / SR


@pytest.fixture(scope="module")
def plan():
    return AnalysisPlan(ExtractionConfig())


def features(y, plan):
    return dict(zip(feature_names(plan), compute_features(np.atleast_2d(y), plan)[0]))


def sine(freq, amp=0.5):
    return (amp * np.sin(2 * np.pi * freq * T)).astype(np.float32)


@pytest.fixture(scope="module")
def noise():
    return (0.1 * np.random.default_rng(0).standard_normal(N)).astype(np.float32)


@pytest.mark.parametrize("freq", [220.0, 1000.0, 3000.0])
def test_pure_tone_centroid_is_its_frequency(plan, freq):
    assert features(sine(freq), plan)["spectral_centroid__mean__00"] == pytest.approx(freq, rel=0.02)


@pytest.mark.parametrize("freq", [55.0, 261.63, 440.0, 1760.0])
def test_pure_tone_f0_is_its_frequency(plan, freq):
    f = features(sine(freq), plan)
    assert 2 ** f["harmonic_f0__value__00"] == pytest.approx(freq, rel=0.01)
    assert f["harmonic_harmonicity__value__00"] > 0.9


def test_noise_is_flat_and_inharmonic(plan, noise):
    f = features(noise, plan)
    assert f["spectral_flatness__mean__00"] > 0.3
    assert f["harmonic_harmonicity__value__00"] < 0.5
    assert features(sine(440), plan)["spectral_flatness__mean__00"] < 0.01


def test_silence_gives_finite_values(plan):
    x = compute_features(np.zeros((1, N), np.float32), plan)
    assert np.isfinite(x).all()


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_is_finite_on_tone_noise_and_silence(preset, noise):
    p = AnalysisPlan(ExtractionConfig(preset=preset))
    x = compute_features(np.stack([sine(440), noise, np.zeros(N, np.float32)]), p)
    assert x.shape == (3, len(feature_names(p)))
    assert x.dtype == np.float32 and np.isfinite(x).all()


def test_mfcc_matches_librosa(plan, noise):
    y = noise + sine(330)
    ref = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=20, n_fft=1024, hop_length=512, n_mels=64)
    a = Analysis(y[None], plan)
    np.testing.assert_allclose(a.mfcc[0].T, ref, rtol=1e-3, atol=1e-2)


def test_mfcc_delta_matches_librosa(plan, noise):
    y = noise * np.linspace(0, 1, N, dtype=np.float32)
    mfcc = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=20, n_fft=1024, hop_length=512, n_mels=64)
    a = Analysis(y[None], plan)
    np.testing.assert_allclose(a.mfcc_delta[0].T, librosa.feature.delta(mfcc), rtol=1e-3, atol=1e-2)


@pytest.mark.parametrize("name, ref", [
    ("spectral_centroid", librosa.feature.spectral_centroid),
    ("spectral_bandwidth", librosa.feature.spectral_bandwidth),
    ("spectral_rolloff", librosa.feature.spectral_rolloff),
    ("spectral_contrast", librosa.feature.spectral_contrast),
])
def test_spectral_shape_matches_librosa(plan, noise, name, ref):
    y = noise + sine(700)
    expected = ref(y=y, sr=SR, n_fft=1024, hop_length=512)
    got = FEATURES[name].func(Analysis(y[None], plan))[0].T
    np.testing.assert_allclose(got, expected, rtol=2e-3, atol=1e-2)


def test_flatness_matches_librosa(plan, noise):
    y = noise + sine(700)
    expected = librosa.feature.spectral_flatness(y=y, n_fft=1024, hop_length=512)
    got = FEATURES["spectral_flatness"].func(Analysis(y[None], plan))[0].T
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-6)


def test_chroma_matches_librosa(plan, noise):
    y = noise + sine(440)
    expected = librosa.feature.chroma_stft(y=y, sr=SR, n_fft=1024, hop_length=512, tuning=0.0)
    got = FEATURES["chroma"].func(Analysis(y[None], plan))[0].T
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-4)


def test_rms_and_zcr_match_librosa(plan, noise):
    y = noise + sine(440)
    a = Analysis(y[None], plan)
    rms = librosa.feature.rms(y=y, frame_length=1024, hop_length=512)
    np.testing.assert_allclose(FEATURES["temporal_rms"].func(a)[0].T, rms, rtol=1e-3, atol=1e-6)
    zcr = librosa.feature.zero_crossing_rate(y, frame_length=1024, hop_length=512)
    # librosa pads the edges by repeating samples; interior frames are identical.
    np.testing.assert_allclose(FEATURES["temporal_zcr"].func(a)[0].T[:, 2:-2], zcr[:, 2:-2], atol=2e-3)


def test_attack_time_of_a_linear_ramp(plan):
    ramp = np.clip(T / 0.2, 0, 1).astype(np.float32) * sine(440)
    # 10 % -> 90 % of a 200 ms linear ramp takes 160 ms (4 ms blocks).
    assert features(ramp, plan)["envelope_attack_time__value__00"] == pytest.approx(0.16, abs=0.01)


def test_decay_slope_of_an_exponential(plan):
    y = sine(440) * np.exp(-T * np.log(10) / 2).astype(np.float32)  # -10 dB/s
    assert features(y, plan)["envelope_decay_slope__value__00"] == pytest.approx(-10, rel=0.05)


def test_odd_harmonics_raise_odd_even_ratio(plan):
    square_ish = sum(sine(220 * k, 0.5 / k) for k in (1, 3, 5, 7))
    saw_ish = sum(sine(220 * k, 0.5 / k) for k in range(1, 8))
    f_sq, f_saw = features(square_ish, plan), features(saw_ish, plan)
    assert f_sq["harmonic_odd_even__value__00"] > f_saw["harmonic_odd_even__value__00"] + 1


def test_batch_and_single_give_same_values(plan, noise):
    batch = np.stack([sine(440), noise, sine(1000) + noise])
    together = compute_features(batch, plan)
    alone = np.concatenate([compute_features(b[None], plan) for b in batch])
    np.testing.assert_array_equal(together, alone)


@settings(max_examples=15, deadline=None)
@given(gain=st.floats(0.05, 4.0), freq=st.floats(100.0, 4000.0))
def test_gain_does_not_change_normalised_features(gain, freq):
    plan = AnalysisPlan(ExtractionConfig())
    y = sine(freq, 0.2) + 0.01 * np.sin(2 * np.pi * 3.3 * freq * T).astype(np.float32)
    a, b = features(y, plan), features(y * gain, plan)
    for name in ("spectral_centroid__mean__00", "spectral_bandwidth__mean__00",
                 "spectral_flatness__mean__00", "harmonic_f0__value__00",
                 "envelope_attack_time__value__00", "chroma__mean__09"):
        assert b[name] == pytest.approx(a[name], rel=1e-3, abs=1e-4), name


@settings(max_examples=20, deadline=None)
@given(st.lists(st.floats(-1, 1, allow_nan=False), min_size=1, max_size=64))
def test_any_bounded_signal_gives_finite_features(values):
    plan = AnalysisPlan(ExtractionConfig(preset="mfcc40"))
    y = np.resize(np.asarray(values, np.float32), N)
    assert np.isfinite(compute_features(y[None], plan)).all()


def test_default_preset_covers_the_required_families(plan):
    groups = {parse_column(c).group for c in feature_names(plan)}
    assert {"mfcc", "spectral", "chroma", "temporal", "envelope", "harmonic"} <= groups
    names = {parse_column(c).feature for c in feature_names(plan)}
    assert {"mfcc_delta", "spectral_contrast", "temporal_zcr", "temporal_rms"} <= names
    assert sum(c.startswith("mfcc__mean__") for c in feature_names(plan)) >= 20


def test_mfcc40_preset_is_forty_mfcc_means():
    cols = feature_names(AnalysisPlan(ExtractionConfig(preset="mfcc40")))
    assert cols == [f"mfcc__mean__{i:02d}" for i in range(40)]


def test_parse_column_roundtrip():
    c = parse_column("mfcc_delta__std__03")
    assert (c.group, c.feature, c.statistic, c.index) == ("mfcc", "mfcc_delta", "std", 3)
    assert str(c) == "mfcc_delta__std__03"
    with pytest.raises(ValueError):
        parse_column("pitch")


def test_every_catalogue_entry_is_documented():
    for f in FEATURES.values():
        assert f.doc and f.unit and f.family == f.name.split("_")[0]


def test_pure_tone_energy_is_all_in_the_first_partial(plan):
    f = features(sine(440), plan)
    assert f["harmonic_partials__value__00"] == pytest.approx(0.0, abs=0.1)
    assert f["harmonic_partials__value__01"] < -40


def test_onset_and_tail_mfccs_see_different_timbres(plan, noise):
    # Noise burst for the first 0.3 s, then a pure tone: the onset is noisy, the tail tonal.
    y = np.where(T < 0.3, noise * 3, sine(440))
    f = features(y.astype(np.float32), plan)
    onset = np.array([f[f"mfcc_onset__value__{i:02d}"] for i in range(1, 20)])
    tail = np.array([f[f"mfcc_tail__value__{i:02d}"] for i in range(1, 20)])
    tone_only = features(sine(440), plan)
    tone_tail = np.array([tone_only[f"mfcc_tail__value__{i:02d}"] for i in range(1, 20)])
    assert np.abs(onset - tail).max() > 10
    np.testing.assert_allclose(tail, tone_tail, atol=1.0)
