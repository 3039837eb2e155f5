"""Feature catalogue: analytic signals, librosa agreement, invariants."""

from __future__ import annotations

import re
from pathlib import Path

import librosa
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import featurekit as fk
from featurekit.audio import read_clip
from featurekit.config import ExtractionConfig
from featurekit.errors import ConfigError
from featurekit.features import (
    FEATURES, PRESETS, AnalysisPlan, Preset, compute_features, feature_names, make_preset,
    parse_column, register, register_preset,
)
from featurekit.features.analysis import Analysis

DATA = Path(__file__).parent / "data"

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


def _presets():
    """Every preset; those holding MusiCNN features only where its weights are installed."""
    import importlib.util

    missing = importlib.util.find_spec("musicnn") is None
    return [pytest.param(name, marks=pytest.mark.skipif(
                missing and any(f.startswith("musicnn") for f in PRESETS[name]),
                reason="musicnn weights not installed")) for name in sorted(PRESETS)]


@pytest.mark.parametrize("preset", _presets())
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


@pytest.mark.parametrize("name", ["pitch", "mfcc__mean", "mfcc__mean__x", "__mean__00"])
def test_parse_column_raises_the_packages_error_naming_the_column(name):
    for parse in (parse_column, fk.parse_column):
        with pytest.raises(ConfigError, match=re.escape(repr(name))):
            parse(name)


def test_every_column_parses_to_a_catalogue_feature_of_its_module_family(plan):
    """Column names alone give back the feature and the family whose module defines it."""
    cols = feature_names(AnalysisPlan(ExtractionConfig(preset="full")))
    family_of_module = {"mfcc": {"mfcc", "mel"}, "spectral": {"spectral", "chroma"},
                        "temporal": {"temporal"}, "envelope": {"envelope"},
                        "harmonic": {"harmonic"}}
    for c in cols:
        parsed = parse_column(c)
        func = FEATURES[parsed.feature].func
        assert parsed.group in family_of_module[func.__module__.rsplit(".", 1)[1]], c
    # "full" is every hand-made feature: the MusiCNN embeddings need optional weights
    handmade = {f for f in FEATURES if FEATURES[f].family != "musicnn"}
    assert {parse_column(c).feature for c in cols} == handmade


def test_every_feature_function_documents_its_output_shape():
    for f in FEATURES.values():
        doc = f.func.__doc__ or ""
        assert "Returns" in doc and "shape (B," in doc, f.name


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


# --- values must not drift -----------------------------------------------------
REFERENCE_NOTES = ["flute_acoustic_009-048-127.wav", "mallet_acoustic_012-048-127.wav"]


@pytest.mark.parametrize("preset", ["default", "full", "mfcc40"])
def test_values_of_two_real_notes_are_unchanged(preset):
    """Saved (tests/data/feature-values-v2.npz) before features/ was split by family."""
    ref = np.load(DATA / "feature-values-v2.npz")
    p = AnalysisPlan(ExtractionConfig(preset=preset))
    y = np.stack([read_clip(DATA / "nsynth-sample" / n, 16000, 64000).samples for n in REFERENCE_NOTES])
    assert feature_names(p) == ref[f"{preset}_names"].tolist()
    np.testing.assert_allclose(compute_features(y, p), ref[f"{preset}_values"], rtol=1e-5, atol=1e-5)


# --- presets and the registry ----------------------------------------------------
def test_preset_order_is_the_presets_not_the_registrys():
    p = make_preset("rev", ["temporal_rms", "envelope_crest", "mfcc"])
    assert list(p) == ["temporal_rms", "envelope_crest", "mfcc"]
    assert dict(p) == {"temporal_rms": ("mean", "std"), "envelope_crest": ("value",),
                       "mfcc": ("mean", "std")}


@pytest.mark.parametrize("features, match", [
    (["mfcc", "spectral_peakiness", "chroma_x"], "unknown features 'spectral_peakiness', 'chroma_x'"),
    ({"mfcc": ("mean", "average")}, "mfcc: 'average'"),
    ({"envelope_crest": ("mean",)}, "envelope_crest: 'mean'"),
    ({"mfcc": ()}, "mfcc \\(no statistics"),
    ([], "selects no features"),
])
def test_bad_presets_raise_config_error_naming_the_bad_names(features, match):
    with pytest.raises(ConfigError, match=match):
        make_preset("bad", features)


def test_packaged_presets_are_validated_presets():
    assert all(isinstance(p, Preset) for p in PRESETS.values())
    assert PRESETS["mfcc40"].n_mfcc == 40 and ExtractionConfig(preset="full").mfcc_count == 40


def test_a_registered_feature_and_preset_can_be_extracted():
    @register("spectral_peak", kind="frames", unit="Hz")
    def spectral_peak(a):
        """Frequency of the loudest bin, shape (B, T, 1), Hz."""
        return a.plan.freqs[np.argmax(a.power, axis=-1)][..., None]

    try:
        register_preset(make_preset("peak_test", {"spectral_peak": ("median",)}))
        p = AnalysisPlan(ExtractionConfig(preset="peak_test"))
        assert feature_names(p) == ["spectral_peak__median__00"]
        assert compute_features(sine(1000)[None], p)[0, 0] == pytest.approx(1000, abs=16)
        with pytest.raises(ConfigError, match="already registered"):
            register("spectral_peak", kind="frames", unit="Hz")(spectral_peak)
    finally:
        FEATURES.pop("spectral_peak", None)
        PRESETS.pop("peak_test", None)


@pytest.mark.parametrize("name", ["Spectral", "a__b", "_x", "x-y", ""])
def test_register_refuses_malformed_names(name):
    with pytest.raises(ConfigError, match="bad feature name"):
        register(name, kind="clip", unit="s")


# --- analytic checks of the features not covered above -----------------------------
def sine500(envelope):
    """A 500 Hz sine (two periods per 4 ms envelope block) under ``envelope`` (0..1)."""
    return (np.asarray(envelope) * np.sin(2 * np.pi * 500 * T)).astype(np.float32)


def test_spectral_flux_of_a_level_step_is_the_step_in_db(plan):
    # A 512-sample periodic noise repeats every hop: steady frames are identical (flux 0);
    # a +12 dB gain step raises every mel band by 12 dB, so the flux sums to 12 dB.
    period = np.random.default_rng(1).standard_normal(512) * 0.1
    step = 62 * 512
    y = (np.tile(period, N // 512) * np.where(np.arange(N) < step, 1, 10 ** (12 / 20))).astype(np.float32)
    flux = FEATURES["spectral_flux"].func(Analysis(y[None], plan))[0, :, 0]
    assert np.abs(flux[3:60]).max() < 1e-4 and np.abs(flux[66:-3]).max() < 1e-4
    assert flux[3:-3].sum() == pytest.approx(12.0, abs=0.05)


def test_mfcc_delta2_matches_librosa(plan, noise):
    y = noise * np.linspace(0, 1, N, dtype=np.float32) ** 2
    mfcc = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=20, n_fft=1024, hop_length=512, n_mels=64)
    a = Analysis(y[None], plan)
    np.testing.assert_allclose(a.mfcc_delta2[0].T, librosa.feature.delta(mfcc, order=2),
                               rtol=1e-3, atol=1e-3)


def test_log_attack_time_of_a_linear_ramp_and_of_an_instant_onset(plan):
    ramp = features(sine500(np.clip(T / 0.2, 0, 1)), plan)
    assert ramp["envelope_log_attack_time__value__00"] == pytest.approx(np.log10(0.16), abs=0.02)
    instant = features(sine500(np.ones(N)), plan)
    assert instant["envelope_log_attack_time__value__00"] == pytest.approx(np.log10(0.004), abs=1e-4)


def test_peak_time_of_a_triangle_envelope(plan):
    f = features(sine500(np.interp(T, [0, 1.002, 3, 4], [0, 1, 0, 0])), plan)
    assert f["envelope_peak_time__value__00"] == pytest.approx(1.0, abs=0.004)


def test_temporal_centroid_of_a_linear_swell(plan):
    # Envelope t/4 over 4 s: centroid = int t^2 dt / int t dt = 8/3 s.
    f = features(sine500(T / 4), plan)
    assert f["envelope_temporal_centroid__value__00"] == pytest.approx(8 / 3, abs=0.005)


def test_effective_duration_of_an_exponential_decay(plan):
    # exp(-t) stays above 40 % of its peak for ln(2.5) s.
    f = features(sine500(np.exp(-T)), plan)
    assert f["envelope_effective_duration__value__00"] == pytest.approx(np.log(2.5), abs=0.008)


def test_sustain_ratio_of_a_level_drop(plan):
    # Full level for 0.3 s, then half: the 0.5-1.5 s window after the peak sits at half.
    f = features(sine500(np.where(T < 0.3, 1.0, 0.5)), plan)
    assert f["envelope_sustain_ratio__value__00"] == pytest.approx(0.5, abs=1e-3)


def test_release_time_of_a_linear_fade_out(plan):
    # 1 s fade from full to 0: from 50 % (1.5 s) to 5 % (1.95 s) takes 0.45 s.
    f = features(sine500(np.interp(T, [0, 1, 2, 4], [1, 1, 0, 0])), plan)
    assert f["envelope_release_time__value__00"] == pytest.approx(0.45, abs=0.008)


def test_crest_of_a_burst_is_clip_over_burst_length(plan):
    f = features(sine500(np.where(T < 1.0, 1.0, 0.0)), plan)
    assert f["envelope_crest__value__00"] == pytest.approx(4.0, rel=1e-3)


@pytest.mark.parametrize("snr_db, tol", [(0, 0.5), (10, 0.5), (20, 1.5)])
def test_hnr_of_a_sine_in_white_noise_is_its_snr(plan, snr_db, tol):
    # Harmonicity is the periodic share of the power, S / (S + N): HNR = 10 log10(S/N).
    rng = np.random.default_rng(snr_db)
    y = sine(440) + rng.standard_normal(N).astype(np.float32) * np.sqrt(0.125 / 10 ** (snr_db / 10))
    assert features(y.astype(np.float32), plan)["harmonic_hnr__value__00"] == pytest.approx(snr_db, abs=tol)


#: A 250 Hz tone (harmonics on STFT bins 16 k) with partial amplitudes 1/k, k = 1..10,
#: faded in and out over 100 ms so that edge frames add no broadband leakage.
K = np.arange(1, 11)
FADE = np.sin(np.pi / 2 * np.clip(np.minimum(T, 4 - T) / 0.1, 0, 1)) ** 2


def partial_tone(amplitudes, harmonics=K):
    y = sum(a * np.sin(2 * np.pi * 250 * k * T) for a, k in zip(amplitudes, harmonics))
    return (0.3 * FADE * y).astype(np.float32)


@pytest.fixture(scope="module")
def saw_like(plan):
    return features(partial_tone(1 / K), plan)


def test_tristimulus_and_partials_of_known_partial_amplitudes(saw_like):
    power = (1 / K) ** 2
    share = power / power.sum()
    tri = [saw_like[f"harmonic_tristimulus__value__{i:02d}"] for i in range(3)]
    np.testing.assert_allclose(tri, [share[0], share[1:4].sum(), share[4:].sum()], atol=1e-4)
    levels = [saw_like[f"harmonic_partials__value__{i:02d}"] for i in range(10)]
    np.testing.assert_allclose(levels, 10 * np.log10(share), atol=0.01)


def test_odd_even_ratio_of_known_partials_and_of_a_square_wave(plan, saw_like):
    power = (1 / K) ** 2
    expected = np.log10(power[2::2].sum() / power[1::2].sum())  # harmonics 3,5,7,9 over 2,...,10
    assert saw_like["harmonic_odd_even__value__00"] == pytest.approx(expected, abs=0.005)
    square = features(partial_tone(1 / K[::2], K[::2]), plan)  # no even harmonics at all
    assert square["harmonic_odd_even__value__00"] == pytest.approx(6.0)  # the upper clip


def test_brightness_is_the_amplitude_weighted_mean_harmonic_number(plan, saw_like):
    # Magnitude centroid / f0 = sum k A_k / sum A_k (Hann leakage is symmetric about each partial).
    a = 1 / K
    assert saw_like["harmonic_brightness__value__00"] == pytest.approx(np.log2((K * a).sum() / a.sum()), abs=0.005)
    assert features(partial_tone([1.0], [2]), plan)["harmonic_brightness__value__00"] == pytest.approx(0, abs=1e-3)


@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.0])
def test_harmonic_energy_ratio_of_a_sine_in_white_noise(plan, sigma):
    # On-bin 500 Hz sine, amplitude 0.5, Hann n=1024: peak-bin power P = (0.5 n / 4)^2, its
    # main lobe 1.5 P; white noise adds s = sigma^2 3n/8 per bin over 513 bins.  The ten partial
    # peaks catch P + 10 s, so the ratio is 3 (P + 10 s) / (1.5 P + 513 s).
    n = 1024
    p, s = (0.5 * n / 4) ** 2, sigma**2 * 3 * n / 8
    y = sine(500) + np.random.default_rng(7).standard_normal(N).astype(np.float32) * sigma
    got = features(y.astype(np.float32), plan)["harmonic_energy_ratio__value__00"]
    assert got == pytest.approx(3 * (p + 10 * s) / (1.5 * p + 513 * s), rel=0.05)
    assert features(sine(500), plan)["harmonic_energy_ratio__value__00"] == pytest.approx(1.0)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), n_bins=st.integers(1, 80), block=st.integers(1, 40),
       roll=st.sampled_from([0.5, 0.85, 0.99, 1.0]))
def test_blocked_rolloff_is_the_first_bin_reaching_the_share(data, n_bins, block, roll):
    from featurekit.features.spectral import rolloff_bins

    # small integers: every partial sum is exact in float32, so both agree bit for bit
    mag = np.array(data.draw(st.lists(st.lists(st.integers(0, 9), min_size=n_bins, max_size=n_bins),
                                      min_size=1, max_size=4)), dtype=np.float32)
    cum = np.cumsum(mag, axis=-1)
    expected = np.argmax(cum >= np.float32(roll) * cum[..., -1:], axis=-1)
    assert (rolloff_bins(mag, roll, block) == expected).all()
