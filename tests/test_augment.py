"""featurekit.synth.augment: each step on analytic signals, and the seeded chain."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from featurekit.synth import augment as A

SR = 16_000


def _sine(freq, seconds=1.0, amp=0.5):
    t = np.arange(int(seconds * SR)) / SR
    return amp * np.sin(2 * np.pi * freq * t)


def _db(y, x):
    """Level of y over x (dB), ignoring the first 0.1 s (filter transients)."""
    y, x = y[SR // 10:], x[SR // 10:]
    return 20 * np.log10(np.sqrt(np.mean(y ** 2)) / np.sqrt(np.mean(x ** 2)))


def test_rir_direct_path_and_decay():
    h = A.room_impulse_response(SR, 0.5, rng=np.random.default_rng(0), n_early=0)
    assert h[0] == 1.0 and len(h) == int(np.ceil(0.5 * SR)) + 1
    # 60 dB in rt60: the tail's energy between 0.2 and 0.3 s is ~12 dB below 0.1-0.2 s
    e = [np.sum(h[int(a * SR):int((a + 0.1) * SR)] ** 2) for a in (0.1, 0.2)]
    assert 10 * np.log10(e[0] / e[1]) == pytest.approx(12, abs=1.5)


def test_rir_rejects_non_positive_rt60():
    with pytest.raises(ValueError, match="rt60"):
        A.room_impulse_response(SR, 0.0, rng=np.random.default_rng(0))


def test_reverberate_keeps_length_and_rms():
    x = _sine(440)
    y = A.reverberate(x, A.room_impulse_response(SR, 0.8, rng=np.random.default_rng(1)), 0.0)
    assert y.shape == x.shape
    assert np.sqrt(np.mean(y ** 2)) == pytest.approx(np.sqrt(np.mean(x ** 2)), rel=1e-6)


@pytest.mark.parametrize("low_db,high_db", [(6.0, 0.0), (0.0, -6.0), (-4.0, 5.0)])
def test_shelves_set_the_gain_far_below_and_above_their_corners(low_db, high_db):
    low, high = _sine(40, 2.0), _sine(7500, 2.0)
    assert _db(A.shelf_eq(low, SR, low_db, high_db, 300, 2000), low) == pytest.approx(low_db, abs=0.5)
    assert _db(A.shelf_eq(high, SR, low_db, high_db, 300, 2000), high) == pytest.approx(high_db,
                                                                                       abs=0.5)


def test_bandpass_passes_the_band_and_cuts_outside():
    mid, low = _sine(1000), _sine(20)
    assert _db(A.bandpass(mid, SR, 100, 6000), mid) == pytest.approx(0, abs=0.5)
    assert _db(A.bandpass(low, SR, 100, 6000), low) < -25


def test_noise_floor_at_the_asked_snr():
    x = _sine(440, 2.0)
    y = A.add_noise(x, 30.0, rng=np.random.default_rng(0), color=1.0)
    assert _db(y - x, x) == pytest.approx(-30.0, abs=0.5)


def test_noise_snr_counts_only_the_sounding_part():
    x = np.concatenate([_sine(440, 0.5), np.zeros(SR * 3)])
    noise = A.add_noise(x, 20.0, rng=np.random.default_rng(0), color=0.0) - x
    note_rms = np.sqrt(np.mean(x[: SR // 2] ** 2))
    assert 20 * np.log10(note_rms / np.sqrt(np.mean(noise ** 2))) == pytest.approx(20, abs=0.5)


def test_gain():
    assert A.apply_gain(np.ones(4), -20.0) == pytest.approx(0.1 * np.ones(4))


@pytest.mark.parametrize("cents", [-30.0, 12.0, 100.0])
def test_detune_shifts_the_frequency(cents):
    y = A.detune(_sine(500, 4.0), cents)
    spectrum = np.abs(np.fft.rfft(y[: 2 * SR] * np.hanning(2 * SR), 16 * SR))
    peak = np.argmax(spectrum) * SR / (16 * SR)
    assert 1200 * np.log2(peak / 500) == pytest.approx(cents, abs=2)


def test_shorten_hold():
    x = np.ones(SR * 4)
    y = A.shorten_hold(x, SR, hold_s=1.0, release_s=0.5)
    assert np.all(y[:SR] == 1.0)
    assert 20 * np.log10(y[int(1.5 * SR)]) == pytest.approx(-60, abs=0.1)
    assert np.all(np.diff(y) <= 0)


def test_augment_note_is_seeded():
    x = _sine(440, 4.0).astype(np.float32)
    seed = A.note_seed(0, "flute_synthetic_000", 69, 100)
    a, b = A.augment_note(x, SR, seed), A.augment_note(x, SR, seed)
    c = A.augment_note(x, SR, A.note_seed(1, "flute_synthetic_000", 69, 100))
    assert a.dtype == np.float32 and a.shape == x.shape
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_note_seed_is_stable_across_processes():
    # crc32, not Python's salted hash(): the same list on every run
    assert A.note_seed(3, "bass_synthetic_000", 40, 25, 1) == [3, 2062474522, 40, 25, 1]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), amp=st.floats(0.0, 1.0))
def test_augmented_notes_are_finite_and_in_range(seed, amp):
    x = (_sine(220, 1.0, amp)).astype(np.float32)
    y = A.augment_note(x, SR, seed)
    assert y.shape == x.shape and np.all(np.isfinite(y)) and np.max(np.abs(y)) <= 1.0


def test_render_instrument_augments_when_seeded(tmp_path):
    pytest.importorskip("tinysoundfont")
    from featurekit.synth import bundled_soundfont, render

    path = str(bundled_soundfont())
    dry, wet, wet2 = tmp_path / "dry", tmp_path / "wet", tmp_path / "wet2"
    for d, seed in ((dry, None), (wet, 0), (wet2, 0)):
        d.mkdir()
        render.render_instrument(path, 0, [(60, 100)], "keyboard_acoustic_000", str(d),
                                 augment_seed=seed)
    name = "keyboard_acoustic_000-060-100.wav"
    assert (wet / name).read_bytes() == (wet2 / name).read_bytes()
    assert (wet / name).read_bytes() != (dry / name).read_bytes()


@pytest.mark.slow
def test_synth_cli_augment_flag_changes_notes_and_is_reproducible(tmp_path):
    pytest.importorskip("tinysoundfont")
    from click.testing import CliRunner

    from featurekit.cli.main import cli

    args = ["synth", "-s", "bundled", "--programs", "0", "--velocities", "100",
            "--pitch-step", "24", "--jobs", "1", "-q"]
    runner = CliRunner()
    for name, extra in (("dry", []), ("wet", ["--augment"]), ("wet2", ["--augment"])):
        result = runner.invoke(cli, args + ["--out", str(tmp_path / name)] + extra)
        assert result.exit_code == 0, result.output
    notes = {name: {p.name: p.read_bytes() for p in (tmp_path / name).rglob("*.wav")}
             for name in ("dry", "wet", "wet2")}
    assert notes["wet"] == notes["wet2"]
    assert notes["wet"].keys() == notes["dry"].keys()
    assert all(notes["wet"][k] != notes["dry"][k] for k in notes["dry"])


@given(st.integers(0, 2**32 - 1))
def test_a_short_copy_is_the_notes_start_cut_to_0_3_to_1_5_s_and_faded(seed):
    from featurekit.synth.augment import cut_short

    x = np.ones(64000, np.float32)
    y = cut_short(x, 16000, seed)
    assert 0.3 * 16000 <= len(y) <= 1.5 * 16000
    assert np.all(y[:-320] == 1) and y[-1] == 0 and np.all(np.diff(y[-320:]) <= 0)
