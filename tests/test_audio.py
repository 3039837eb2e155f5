"""Reading unusual and broken audio files."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given
from hypothesis import strategies as st

from featurekit.audio import read_clip
from featurekit.errors import AudioError

SR, N = 16000, 64000


def tone(n=N, sr=SR, freq=440.0):
    return (0.5 * np.sin(2 * np.pi * freq * np.arange(n) / sr)).astype(np.float32)


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_reads_every_wav_sample_format(tmp_path, subtype):
    p = tmp_path / "a.wav"
    sf.write(p, tone(), SR, subtype=subtype)
    clip = read_clip(p, SR, N)
    assert clip.samples.dtype == np.float32 and clip.samples.shape == (N,)
    np.testing.assert_allclose(clip.samples, tone(), atol=2e-2)
    assert not clip.padded and clip.notes == []


def test_stereo_is_downmixed(tmp_path):
    p = tmp_path / "s.wav"
    sf.write(p, np.stack([tone(), np.zeros(N, np.float32)], axis=1), SR)
    clip = read_clip(p, SR, N)
    np.testing.assert_allclose(clip.samples, tone() / 2, atol=1e-4)
    assert "downmixed 2 channels" in clip.notes


def test_other_rate_is_resampled(tmp_path):
    p = tmp_path / "r.wav"
    sf.write(p, tone(n=44100 * 4, sr=44100), 44100)
    clip = read_clip(p, SR, N)
    assert clip.samples.shape == (N,)
    spectrum = np.abs(np.fft.rfft(clip.samples))
    assert np.argmax(spectrum) * SR / N == pytest.approx(440, abs=1)
    assert "resampled from 44100 Hz" in clip.notes


def test_short_note_is_padded_and_flagged(tmp_path):
    p = tmp_path / "short.wav"
    sf.write(p, tone(n=8000), SR)
    clip = read_clip(p, SR, N)
    assert clip.padded and clip.samples.shape == (N,)
    assert np.all(clip.samples[8000:] == 0)


def test_non_finite_samples_are_zeroed(tmp_path):
    y = tone()
    y[100:110] = np.nan
    y[200] = np.inf
    p = tmp_path / "nan.wav"
    sf.write(p, y, SR, subtype="FLOAT")
    clip = read_clip(p, SR, N)
    assert np.isfinite(clip.samples).all()
    assert any("non-finite" in n for n in clip.notes)


def test_missing_file(tmp_path):
    with pytest.raises(AudioError, match="not found"):
        read_clip(tmp_path / "nope.wav", SR, N)


def test_empty_file(tmp_path):
    (tmp_path / "e.wav").write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        read_clip(tmp_path / "e.wav", SR, N)


def test_text_file_named_wav(tmp_path):
    (tmp_path / "t.wav").write_text("this is not audio\n" * 10)
    with pytest.raises(AudioError, match="not a readable audio file"):
        read_clip(tmp_path / "t.wav", SR, N)


def test_header_only_wav(tmp_path):
    p = tmp_path / "full.wav"
    sf.write(p, tone(), SR, subtype="PCM_16")
    (tmp_path / "h.wav").write_bytes(p.read_bytes()[:44])
    with pytest.raises(AudioError):
        read_clip(tmp_path / "h.wav", SR, N)


def test_truncated_wav(tmp_path):
    p = tmp_path / "full.wav"
    sf.write(p, tone(), SR, subtype="PCM_16")
    (tmp_path / "cut.wav").write_bytes(p.read_bytes()[:50000])
    with pytest.raises(AudioError, match="truncated"):
        read_clip(tmp_path / "cut.wav", SR, N)


def test_random_bytes(tmp_path):
    (tmp_path / "x.wav").write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(AudioError):
        read_clip(tmp_path / "x.wav", SR, N)


def test_error_messages_are_one_line(tmp_path):
    (tmp_path / "t.wav").write_text("nope")
    with pytest.raises(AudioError) as info:
        read_clip(tmp_path / "t.wav", SR, N)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("kind", ["missing", "empty", "text", "header"])
def test_audio_duration_refuses_what_read_clip_refuses_with_the_same_reason(tmp_path, kind):
    from featurekit.audio import audio_duration

    p = tmp_path / "x.wav"
    if kind == "empty":
        p.write_bytes(b"")
    elif kind == "text":
        p.write_text("this is not audio\n" * 10)
    elif kind == "header":
        sf.write(tmp_path / "full.wav", tone(), SR, subtype="PCM_16")
        p.write_bytes((tmp_path / "full.wav").read_bytes()[:44])
    with pytest.raises(AudioError) as from_clip:
        read_clip(p, SR, N)
    with pytest.raises(AudioError) as from_header:
        audio_duration(p)
    assert str(from_header.value) == str(from_clip.value)


def test_audio_duration_of_a_flac_file(tmp_path):
    from featurekit.audio import audio_duration

    sf.write(tmp_path / "a.flac", tone()[:24000], SR)
    assert audio_duration(tmp_path / "a.flac") == pytest.approx(1.5)


def test_prefetch_skips_what_it_cannot_open_and_changes_nothing(tmp_path):
    from featurekit.audio import prefetch

    f = tmp_path / "a.wav"
    f.write_bytes(b"RIFF")
    prefetch([str(f), str(tmp_path / "missing.wav"), str(tmp_path), "x.tfrecord#12"])
    assert f.read_bytes() == b"RIFF"


# --- leading silence --------------------------------------------------------
def _gapped(gap_s, sr=SR, floor_db=None, seed=0):
    """``gap_s`` of silence (or a noise floor at ``floor_db`` dBFS) before a decaying tone."""
    t = np.arange(N) / sr
    note = tone() * np.exp(-t)
    y = np.concatenate([np.zeros(int(round(gap_s * sr)), np.float32), note])
    if floor_db is not None:
        y = y + np.random.default_rng(seed).standard_normal(len(y)) * 10 ** (floor_db / 20)
    return y.astype(np.float32)


@given(st.floats(0.0, 1.5))
def test_leading_silence_skips_the_gap_and_nothing_audible(gap_s):
    from featurekit.audio import leading_silence

    y = _gapped(gap_s)
    skip = leading_silence(y, SR, 40.0)
    gap = int(round(gap_s * SR))
    loudest = np.sqrt(np.mean(np.square(y[gap:gap + 160])))  # the note's first 10 ms are its loudest
    assert np.abs(y[:skip]).max(initial=0) < loudest * 10 ** (-40 / 20)  # nothing audible is cut
    assert skip >= gap or gap < 160  # the whole gap, when it is at least one 10 ms block


def test_a_note_that_starts_at_once_is_not_trimmed():
    from featurekit.audio import leading_silence

    assert leading_silence(_gapped(0.0), SR, 40.0) == 0


def test_a_noise_floor_closer_than_top_db_to_the_peak_counts_as_sound():
    from featurekit.audio import leading_silence

    y = _gapped(0.3, floor_db=-20)  # the tone peaks near -6 dBFS: floor 14 dB below
    assert leading_silence(y, SR, 40.0) == 0
    assert leading_silence(_gapped(0.3, floor_db=-80), SR, 40.0) > 0.25 * SR


def test_digital_silence_is_not_trimmed():
    from featurekit.audio import leading_silence

    assert leading_silence(np.zeros(N, np.float32), SR, 40.0) == 0


def test_read_clip_with_trim_starts_at_the_note_and_says_so(tmp_path):
    p = tmp_path / "late.wav"
    sf.write(p, np.concatenate([_gapped(0.5), np.zeros(SR // 10, np.float32)]), SR,
             subtype="FLOAT")
    clip = read_clip(p, SR, N, trim_db=40.0)
    note = _gapped(0.0)  # starts with sin(0) = 0: the clip starts at the next sample
    np.testing.assert_array_equal(clip.samples[:N - 1], note[1:])
    assert "trimmed 0.50 s of leading silence" in clip.notes
    assert not clip.padded  # 4.6 s of file: 4 s remain after the gap
    assert not read_clip(p, SR, N).samples[:int(0.5 * SR)].any()  # without trim_db: kept


def test_a_window_read_is_never_trimmed(tmp_path):
    p = tmp_path / "late.wav"
    sf.write(p, _gapped(0.5), SR, subtype="FLOAT")
    clip = read_clip(p, SR, SR, start=0.0, trim_db=40.0)
    assert not any(n.startswith("trimmed") for n in clip.notes)


# --- peak level (ExtractionConfig.peak_db) ----------------------------------
@given(st.floats(-60, 0), st.floats(-40, -0.1))
def test_scale_to_peak_sets_the_peak_whatever_the_level(level_db, peak_db):
    from featurekit.audio import scale_to_peak

    y = _gapped(0.0) * np.float32(10 ** (level_db / 20))
    out = scale_to_peak(y, peak_db)
    assert 20 * np.log10(np.abs(out).max()) == pytest.approx(peak_db, abs=1e-3)
    np.testing.assert_allclose(out / np.abs(out).max(), y / np.abs(y).max(), atol=1e-6)


def test_scale_to_peak_leaves_silence_and_near_silence_alone():
    from featurekit.audio import scale_to_peak

    assert not scale_to_peak(np.zeros(N, np.float32), -1.0).any()
    hum = np.float32(10 ** (-80 / 20)) * _gapped(0.0)  # a window of a noise floor, -80 dBFS
    np.testing.assert_array_equal(scale_to_peak(hum, -1.0), hum)


def test_read_clip_scales_a_quiet_file_to_the_peak(tmp_path):
    p = tmp_path / "quiet.wav"
    sf.write(p, 0.01 * _gapped(0.0), SR, subtype="FLOAT")
    clip = read_clip(p, SR, N, peak_db=-1.1)
    assert 20 * np.log10(np.abs(clip.samples).max()) == pytest.approx(-1.1, abs=1e-3)
    assert np.abs(read_clip(p, SR, N).samples).max() == pytest.approx(0.01 * np.abs(_gapped(0.0)).max())
