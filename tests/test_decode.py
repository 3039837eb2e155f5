"""Formats libsndfile cannot read (AAC in .m4a), decoded by the PyAV fallback.

The files are encoded by the tests themselves with PyAV's AAC encoder.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

import featurekit as fk
from featurekit import decode
from featurekit.audio import read_clip
from featurekit.errors import AudioError
from featurekit.layouts import read_label_folders

av = pytest.importorskip("av")

SR = 16000


def encode(path, y, sr=SR, fmt="mp4", codec="aac"):
    """Write ``y`` ((n,) mono or (n, 2) stereo float) as AAC in an MP4/M4A container."""
    y = np.asarray(y, np.float32)
    y2 = y[:, None] if y.ndim == 1 else y
    layout = "mono" if y2.shape[1] == 1 else "stereo"
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=sr, layout=layout)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(y2.T), format="fltp", layout=layout)
        frame.sample_rate = sr
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def tone(freq, seconds=1.0, sr=SR):
    t = np.arange(int(seconds * sr)) / sr
    return 0.5 * np.sin(2 * np.pi * freq * t)


def peak_hz(y, sr=SR):
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return np.fft.rfftfreq(len(y), 1 / sr)[np.argmax(spec)]


def test_libsndfile_refuses_m4a(tmp_path):
    """The premise: without the fallback this file is 'Format not recognised'."""
    p = encode(tmp_path / "a.m4a", tone(440))
    with pytest.raises(Exception, match="Format not recognised"):
        sf.read(p)


def test_read_clip_decodes_aac(tmp_path):
    p = encode(tmp_path / "a.m4a", tone(440))
    clip = read_clip(p, SR, SR)
    assert clip.samples.shape == (SR,)
    assert abs(peak_hz(clip.samples) - 440) < 2
    assert 0.4 < np.abs(clip.samples).max() < 0.6


def test_stereo_m4a_is_downmixed(tmp_path):
    y = np.stack([tone(440), tone(440)], axis=1)
    clip = read_clip(encode(tmp_path / "s.m4a", y), SR, SR)
    assert any("downmixed 2 channels" in n for n in clip.notes)


def test_other_rates_are_resampled(tmp_path):
    p = encode(tmp_path / "r.m4a", tone(1000, sr=44100), sr=44100)
    clip = read_clip(p, SR, SR)
    assert any("resampled from 44100 Hz" in n for n in clip.notes)
    assert abs(peak_hz(clip.samples) - 1000) < 2


def test_window_start_seeks_into_the_file(tmp_path):
    """440 Hz for 1 s then 880 Hz: a window from 1.2 s holds only 880 Hz."""
    y = np.concatenate([tone(440), tone(880)])
    p = encode(tmp_path / "two.m4a", y)
    clip = read_clip(p, SR, SR // 2, start=1.2)
    assert abs(peak_hz(clip.samples) - 880) < 3
    assert not clip.padded


def test_decode_with_pyav_shape_and_rate(tmp_path):
    y = np.stack([tone(440), tone(660)], axis=1)
    data, rate = decode.decode_with_pyav(encode(tmp_path / "s.m4a", y))
    assert rate == SR and data.dtype == np.float32 and data.shape[1] == 2
    assert abs(peak_hz(data[:SR, 0]) - 440) < 2 and abs(peak_hz(data[:SR, 1]) - 660) < 2


def test_undecodable_file_names_its_format(tmp_path):
    p = tmp_path / "broken.m4a"
    p.write_bytes(np.random.default_rng(0).bytes(4000))
    with pytest.raises(AudioError, match=r"not a readable audio file .*PyAV: cannot decode \.m4a"):
        read_clip(p, SR, SR)


def test_truncated_m4a_names_container(tmp_path):
    """A container FFmpeg recognises but cannot read through: the message names it."""
    good = encode(tmp_path / "good.m4a", tone(440))
    p = tmp_path / "cut.m4a"
    data = good.read_bytes()
    p.write_bytes(data[: len(data) // 3])
    try:
        clip = read_clip(p, SR, SR)
    except AudioError as exc:
        assert ".m4a" in str(exc)
    else:  # FFmpeg recovered what was there: the loss is reported as padding
        assert clip.padded


def test_missing_pyav_says_how_to_install(tmp_path, monkeypatch):
    p = encode(tmp_path / "a.m4a", tone(440))
    monkeypatch.setattr(decode, "pyav_available", lambda: False)
    with pytest.raises(AudioError, match=r"\.m4a needs PyAV: pip install 'featurekit\[formats\]'"):
        read_clip(p, SR, SR)
    assert ".m4a" not in decode.extra_suffixes()


def test_listing_includes_pyav_formats(tmp_path):
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        encode(tmp_path / label / "x.m4a", tone(440))
        encode(tmp_path / label / "y.aac", tone(440), fmt="adts")
    notes = read_label_folders(tmp_path).notes
    assert sorted(notes["note_id"]) == ["a/x.m4a", "a/y.aac", "b/x.m4a", "b/y.aac"]


def test_extract_reads_m4a_folder(tmp_path):
    root = tmp_path / "corpus"
    for label, freq in (("low", 220), ("high", 1760)):
        (root / label).mkdir(parents=True)
        encode(root / label / f"{label}.m4a", tone(freq))
        sf.write(root / label / f"{label}.wav", tone(freq), SR)
    result = fk.extract(root, tmp_path / "out", n_jobs=1, progress=False)
    assert result.n_failures == 0 and result.n_rows == 4
    df = fk.load_features(tmp_path / "out")
    by_id = df.set_index("note_id")
    # The AAC copy and the WAV of one tone give nearly the same pitch feature.
    for label in ("low", "high"):
        a = by_id.loc[f"{label}/{label}.m4a", "harmonic_f0__value__00"]
        b = by_id.loc[f"{label}/{label}.wav", "harmonic_f0__value__00"]
        assert abs(a - b) < 0.05


def test_segmenting_an_m4a(tmp_path):
    root = tmp_path / "corpus"
    (root / "x").mkdir(parents=True)
    encode(root / "x" / "long.m4a", tone(440, seconds=3.0))
    corpus = fk.read_corpus(root, segment_seconds=1.0)
    assert len(corpus.notes) == 3 and not corpus.problems


def test_wma_is_decoded(tmp_path):
    p = tmp_path / "a.wma"
    y = tone(440, sr=44100).astype(np.float32)
    with av.open(str(p), "w", format="asf") as out:
        stream = out.add_stream("wmav2", rate=44100, layout="mono")
        stream.bit_rate = 64000
        frame = av.AudioFrame.from_ndarray(y[None, :], format="fltp", layout="mono")
        frame.sample_rate = 44100
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    clip = read_clip(p, SR, SR // 2)
    assert abs(peak_hz(clip.samples) - 440) < 3


def _video(path, with_audio):
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("mpeg4", rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = out.add_stream("aac", rate=SR, layout="mono") if with_audio else None
        for _ in range(10):
            for packet in video.encode(av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8),
                                                                  format="rgb24")):
                out.mux(packet)
        if audio is not None:
            frame = av.AudioFrame.from_ndarray(tone(880).astype(np.float32)[None, :], format="fltp",
                                               layout="mono")
            frame.sample_rate = SR
            for packet in [*audio.encode(frame), *audio.encode(None)]:
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
    return path


def test_audio_track_of_a_video(tmp_path):
    clip = read_clip(_video(tmp_path / "v.mp4", with_audio=True), SR, SR)
    assert abs(peak_hz(clip.samples) - 880) < 2


def test_video_without_audio_says_so(tmp_path):
    with pytest.raises(AudioError, match=r"\.mp4 \(container .*\) holds no audio stream"):
        read_clip(_video(tmp_path / "silent.mp4", with_audio=False), SR, SR)
