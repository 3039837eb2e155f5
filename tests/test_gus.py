"""GUS patch sets (FreePats) as SoundFonts: reading .pat files, converting, rendering."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tinysoundfont")

from featurekit.errors import CorpusError  # noqa: E402
from featurekit.synth import gus, render, render_corpus  # noqa: E402

RATE = 32_000
LOOP16 = 1 | 4 | 32 | 64  # 16-bit, looping, sustain, envelope


def _tone(hz: float, seconds: float = 0.5, second_harmonic: float = 0.0) -> np.ndarray:
    """A tone of whole periods (so a loop over all of it is seamless), int16."""
    periods = max(1, round(hz * seconds))
    n = round(periods * RATE / hz)
    phase = 2 * np.pi * periods * np.arange(n) / n
    x = np.sin(phase) + second_harmonic * np.sin(2 * phase)
    return (0.5 * 32767 * x / np.abs(x).max()).astype(np.int16)


def _wave(data: np.ndarray, low: float, high: float, root: float, modes: int = LOOP16,
          loop=None, rates=(63, 63, 63, 60, 63, 63), offsets=(240, 240, 240, 0, 0, 0)):
    body = data.tobytes() if modes & 1 else data.astype(np.uint8).tobytes()
    width = 2 if modes & 1 else 1
    start, end = loop if loop is not None else (0, len(data))
    head = (b"w\0\0\0\0\0\0" + bytes([0])
            + struct.pack("<IIIH", len(body), start * width, end * width, RATE)
            + struct.pack("<IIIhB", int(low * 1000), int(high * 1000), int(root * 1000), 0, 7)
            + bytes(rates) + bytes(offsets) + bytes(6) + bytes([modes])
            + struct.pack("<HH", 60, 1024) + bytes(36))
    assert len(head) == 96
    return head + body


def _write_pat(path: Path, waves: list) -> Path:
    header = (b"GF1PATCH110\0" + b"ID#000002\0" + b"test".ljust(60, b"\0")
              + bytes([1, 14, 0]) + struct.pack("<HHI", len(waves), 127, 0) + bytes(36))
    instrument = struct.pack("<H", 0) + b"test".ljust(16, b"\0") + struct.pack("<IB", 0, 1) + bytes(40)
    layer = bytes([0, 0]) + struct.pack("<IB", 0, len(waves)) + bytes(40)
    assert len(header) == 129 and len(header + instrument + layer) == 239
    path.write_bytes(header + instrument + layer + b"".join(waves))
    return path


def _f0(x: np.ndarray, sr: int = 16_000) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spec) * sr / len(x))


@pytest.fixture()
def patch_set(tmp_path):
    """A config: program 0 a pure 220 Hz tone for 150-400 Hz and a 880 Hz tone with a
    strong second harmonic for 600-1200 Hz; a drum kit and a missing patch besides."""
    low = _wave(_tone(220), 150, 400, 220)
    high = _wave(_tone(880, second_harmonic=1.0), 600, 1200, 880)
    _write_pat(tmp_path / "tone.pat", [low, high])
    _write_pat(tmp_path / "kick.pat", [low])
    (tmp_path / "set.cfg").write_text(
        "dir .\n# a comment\ndrumset 0\n 35 kick\n\nbank 0\n 0 tone amp=120\n 5 missing.pat\n")
    return tmp_path / "set.cfg"


def test_read_patch_reads_16bit_samples_loops_and_pitch(tmp_path):
    data = _tone(440)
    path = _write_pat(tmp_path / "a.pat", [_wave(data, 300, 600, 440, loop=(10, 400))])
    (s,) = gus.read_patch(path)
    assert np.array_equal(s.data, data)
    assert (s.rate, s.loop, s.root_hz, s.sustain) == (RATE, (10, 400), 440.0, True)


def test_read_patch_centres_8bit_unsigned_samples(tmp_path):
    data = np.array([0, 128, 255], np.uint8)
    path = _write_pat(tmp_path / "a.pat", [_wave(data, 300, 600, 440, modes=2)])
    assert gus.read_patch(path)[0].data.tolist() == [-32768, 0, 127 * 256]


def test_read_patch_unrolls_pingpong_loops_forward(tmp_path):
    data = np.arange(10, dtype=np.int16)
    path = _write_pat(tmp_path / "a.pat", [_wave(data, 300, 600, 440, modes=LOOP16 | 8,
                                                 loop=(2, 6))])
    (s,) = gus.read_patch(path)
    # forward 2..5, then back 4..3, looping to 2: one forward loop over [2, 8)
    assert s.data.tolist() == [0, 1, 2, 3, 4, 5, 4, 3, 6, 7, 8, 9] and s.loop == (2, 8)


def test_read_patch_rejects_other_files(tmp_path):
    (tmp_path / "x.pat").write_bytes(b"RIFF....")
    with pytest.raises(CorpusError, match="x.pat: not a GUS patch"):
        gus.read_patch(tmp_path / "x.pat")


def test_timidity_config_lists_only_existing_melodic_patches(patch_set):
    assert gus.read_timidity_config(patch_set) == {0: patch_set.parent / "tone.pat"}


def _render(sf2: Path, pitch: int) -> np.ndarray:
    synth, sfid = render.load(str(sf2))
    synth.program_select(0, sfid, 0, 0)
    return render.render_note(synth, pitch, 100)


def test_converted_patch_plays_each_key_at_its_pitch(patch_set, tmp_path):
    sf2 = gus.write_soundfont(patch_set, tmp_path / "set.sf2")
    for pitch, hz in ((57, 220.0), (64, 329.6), (81, 880.0)):
        assert _f0(_render(sf2, pitch)[8000:40000]) == pytest.approx(hz, rel=0.01)


def test_keys_outside_every_range_play_the_nearest_sample(patch_set, tmp_path):
    sf2 = gus.write_soundfont(patch_set, tmp_path / "set.sf2")

    def second_harmonic_share(x, hz):
        spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
        band = lambda f: spec[int(f * len(x) / 16000) - 3:int(f * len(x) / 16000) + 4].max()
        return band(2 * hz) / band(hz)

    low = _render(sf2, 45)[8000:40000]  # 110 Hz: below both ranges, nearest root 220 Hz
    high = _render(sf2, 93)[8000:40000]  # 1760 Hz: above both, nearest root 880 Hz
    assert second_harmonic_share(low, 110) < 0.05 and second_harmonic_share(high, 1760) > 0.5


def test_sustained_patch_holds_then_releases(patch_set, tmp_path):
    x = _render(gus.write_soundfont(patch_set, tmp_path / "set.sf2"), 57)
    rms = lambda a, b: 20 * np.log10(np.sqrt(np.mean(x[int(a * 16000):int(b * 16000)] ** 2)) + 1e-12)
    assert abs(rms(0.5, 1.0) - rms(2.5, 3.0)) < 1.0  # held: level kept
    assert rms(3.75, 4.0) < rms(2.5, 3.0) - 40  # released within the note's last second


def test_render_corpus_plays_a_timidity_config(patch_set, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    result = render_corpus([patch_set], tmp_path / "out", programs=[0, 5], velocities=(100,),
                           pitch_step=12, test_fraction=0, valid_fraction=0, n_jobs=1,
                           progress=False)
    examples = json.loads((tmp_path / "out" / "nsynth-train" / "examples.json").read_text())
    assert result.n_notes == len(examples) > 0
    assert {e["library"] for e in examples.values()} == {"set"}
    assert {e["instrument_family_str"] for e in examples.values()} == {"keyboard"}
    (cached,) = (tmp_path / "cache" / "featurekit" / "gus").glob("*/set.sf2")
    assert cached == gus.cached_soundfont(patch_set)  # converted once, then reused


def test_a_program_missing_from_a_patch_set_is_a_corpus_error(patch_set, tmp_path, monkeypatch):
    from featurekit.music import render_melody

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert len(render_melody(patch_set, 0, [57, 60])) > 0  # a .cfg plays where an .sf2 does
    with pytest.raises(CorpusError, match="no preset for GM program 5"):
        render_melody(patch_set, 5, [60])


def test_write_soundfont_does_not_replace_an_existing_file(patch_set, tmp_path):
    from featurekit.errors import OutputError

    (tmp_path / "mine.sf2").write_bytes(b"user data")
    with pytest.raises(OutputError, match="exists"):
        gus.write_soundfont(patch_set, tmp_path / "mine.sf2")
    assert (tmp_path / "mine.sf2").read_bytes() == b"user data"
    gus.write_soundfont(patch_set, tmp_path / "mine.sf2", overwrite=True)
    assert (tmp_path / "mine.sf2").read_bytes()[:4] == b"RIFF"
