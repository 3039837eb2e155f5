"""Playing notes of a SoundFont with TinySoundFont (the work done in joblib workers).

Notes are rendered at :data:`RENDER_RATE` and resampled to 16 kHz with soxr:
TinySoundFont interpolates samples linearly with no anti-alias filter, so at
16 kHz bright synth harmonics would fold back below 8 kHz (measured: up to 8 dB
more inharmonic energy on a sawtooth lead).  Levels are NSynth's by default:
each clip written is scaled to a peak of :data:`NSYNTH_PEAK_DB`, as NSynth's
published notes are peak-normalised whatever their velocity (measured on the
1,999 real notes of ``shared/nsynth-test-dev``: median peak -1.1 dBFS, 5-95 %
-5 to -0.5 dBFS, at every velocity).  ``levels="synth"`` keeps the
synthesizer's levels instead: only an instrument whose loudest note would clip
is scaled down, as a whole, so its velocity layers keep their levels.
"""

from __future__ import annotations

import os
import struct

import numpy as np

from ..audio import NSYNTH_PEAK_DB
from ..errors import CorpusError, MissingRendererError
from . import gus

SAMPLE_RATE = 16_000  #: Hz, as NSynth
RENDER_RATE = 48_000  #: Hz, TinySoundFont's rate before anti-aliased resampling
HOLD_S, RELEASE_S = 3.0, 1.0  #: seconds the key is held, then released (NSynth's)
SILENCE_DB = -70.0  #: a note whose peak is below this (dBFS) is silent and dropped
#: ``render_instrument(levels=...)``: each clip at NSynth's peak, or the synthesizer's levels.
LEVELS = ("nsynth", "synth")
TINYSOUNDFONT_PIN = "tinysoundfont==0.3.7"

_CLIP = 32767 / 32768  # the largest level that 16-bit quantisation keeps unclipped
_LOADED: dict = {}  # path -> (Synth, sfid): one SoundFont per process, reused across tasks


def load(path: str):
    """Return ``(synth, sfid)``: a TinySoundFont synth with ``path`` loaded, cached.

    ``path`` may be a Timidity ``.cfg`` of a GUS patch set: its converted
    SoundFont (:func:`featurekit.synth.gus.cached_soundfont`) is loaded.

    Raises
    ------
    MissingRendererError
        TinySoundFont is not installed.
    CorpusError
        The file is not a SoundFont TinySoundFont can read.
    """
    if path not in _LOADED:
        try:
            import tinysoundfont
        except ImportError as exc:
            raise MissingRendererError(
                f"featurekit synth needs TinySoundFont: pip install --no-deps {TINYSOUNDFONT_PIN}"
            ) from exc
        _LOADED.clear()  # SoundFonts can be hundreds of MB: keep one per process
        synth = tinysoundfont.Synth(samplerate=RENDER_RATE)
        file = str(gus.cached_soundfont(path)) if gus.is_gus_config(path) else path
        try:
            _LOADED[path] = synth, synth.sfload(file)
        except Exception as exc:  # TinySoundFont raises a bare RuntimeError
            raise CorpusError(f"cannot load SoundFont {path}: {exc}") from None
    return _LOADED[path]


def unload() -> None:
    """Free the SoundFont cached in this process."""
    _LOADED.clear()


def render_note(synth, pitch: int, velocity: int) -> np.ndarray:
    """Render one NSynth note on channel 0 of ``synth`` (its program already selected).

    Parameters
    ----------
    synth : tinysoundfont.Synth
    pitch, velocity : int
        MIDI note number and velocity (1-127).

    Returns
    -------
    ndarray, shape (64000,), float32
        Mono (mean of the two channels) at :data:`SAMPLE_RATE`, full scale 1.0:
        the key held :data:`HOLD_S` s, then released for :data:`RELEASE_S` s.
    """
    import soxr

    synth.noteon(0, pitch, velocity)
    held = np.frombuffer(synth.generate(int(HOLD_S * RENDER_RATE)), np.float32)
    synth.noteoff(0, pitch)
    released = np.frombuffer(synth.generate(int(RELEASE_S * RENDER_RATE)), np.float32)
    # sounds-off fades voices out in 10 ms: render that away so nothing bleeds into the next note
    synth.sounds_off(0)
    synth.generate(RENDER_RATE // 20)
    stereo = np.concatenate([held, released])
    mono = (stereo[0::2] + stereo[1::2]) * np.float32(0.5)
    return soxr.resample(mono, RENDER_RATE, SAMPLE_RATE, quality="HQ")


def is_silent(note: np.ndarray) -> bool:
    """Whether a note's peak is below :data:`SILENCE_DB`."""
    return float(np.max(np.abs(note))) < 10 ** (SILENCE_DB / 20)


def probe(path: str, notes: list) -> list:
    """Check presets of bank 0 of one SoundFont.

    Parameters
    ----------
    path : str
        The SoundFont.
    notes : list of (program, pitch, velocity)
        One test note per GM program.

    Returns
    -------
    list of (str or None, bool)
        Per program: the preset's name (``None`` if absent) and whether its
        test note is silent.
    """
    synth, sfid = load(path)
    found = []
    for program, pitch, velocity in notes:
        name = synth.sfpreset_name(sfid, 0, program)
        if name is not None:
            synth.program_select(0, sfid, 0, program)
        found.append((name, name is not None and is_silent(render_note(synth, pitch, velocity))))
    return found


#: Suffix of a short copy's note_str (``<prefix>-<pitch>-<velocity>-short``).
SHORT_SUFFIX = "-short"


def render_instrument(path: str, program: int, notes: list, prefix: str, audio_dir: str,
                      augment_seed: int | None = None, short_seed: int | None = None,
                      short_fraction: float = 1.0, levels: str = "nsynth") -> dict:
    """Render one instrument and write its notes as ``<prefix>-<pitch>-<velocity>.wav``.

    Parameters
    ----------
    path : str
        The SoundFont.
    program : int
        GM program (bank 0).
    notes : list of (pitch, velocity)
    prefix : str
        The NSynth ``instrument_str``.
    audio_dir : str
        Folder the WAV files are written to.
    augment_seed : int, optional
        Pass every (non-silent) note through a random recording chain of
        :func:`featurekit.synth.augment.augment_note`, seeded per note by
        ``note_seed(augment_seed, prefix, pitch, velocity)``; None: dry renders.
    short_seed : int, optional
        Also write a short copy of a share ``short_fraction`` of the notes
        (:func:`featurekit.synth.augment.cut_short`, 0.3-1.5 s, seeded by
        ``note_seed(short_seed, prefix, pitch, velocity, 1)``; which notes: a
        draw from ``note_seed(..., 2)``) as ``<prefix>-<pitch>-<velocity>-short.wav``;
        None: none.
    short_fraction : float
        Share of the notes (0-1) given a short copy.
    levels : {"nsynth", "synth"}
        ``"nsynth"``: every clip written (a short copy too, after its fade) is
        scaled to a peak of :data:`NSYNTH_PEAK_DB`, after the recording chain
        if any (so its gain step has no effect), as NSynth normalised its notes.
        ``"synth"``: the synthesizer's levels, the instrument scaled down as a
        whole only if its loudest note would clip.

    Returns
    -------
    dict
        ``notes`` written (silent ones are dropped), ``short_notes`` (the notes
        with a short copy), ``silent_notes`` (count) and ``gain_db``: with
        ``levels="synth"`` the anti-clipping gain applied to the whole
        instrument (<= 0), with ``"nsynth"`` the median gain of its full-length
        notes.
    """
    synth, sfid = load(path)
    synth.program_select(0, sfid, 0, program)
    audio = {note: render_note(synth, *note) for note in notes}
    kept = {note: x for note, x in audio.items() if not is_silent(x)}
    if augment_seed is not None:
        from .augment import augment_note, note_seed

        kept = {note: augment_note(x, SAMPLE_RATE, note_seed(augment_seed, prefix, *note))
                for note, x in kept.items()}
    peak = max((float(np.max(np.abs(x))) for x in kept.values()), default=0.0)
    instrument_gain = min(1.0, _CLIP / peak) if peak else 1.0

    def gain(x):  # the factor that takes clip x to its written level
        return instrument_gain if levels == "synth" else _peak_gain(x)

    short, gains = [], []
    for (pitch, velocity), x in kept.items():
        name = f"{prefix}-{pitch:03d}-{velocity:03d}"
        gains.append(gain(x))
        write_wav(os.path.join(audio_dir, f"{name}.wav"), _pcm(x, gains[-1]))
        if short_seed is not None and short_fraction > 0:
            from .augment import cut_short, note_seed

            chosen = np.random.default_rng(note_seed(short_seed, prefix, pitch, velocity, 2))
            if chosen.random() < short_fraction:
                y = cut_short(x, SAMPLE_RATE, note_seed(short_seed, prefix, pitch, velocity, 1))
                write_wav(os.path.join(audio_dir, f"{name}{SHORT_SUFFIX}.wav"), _pcm(y, gain(y)))
                short.append((pitch, velocity))
    summary_gain = instrument_gain if levels == "synth" or not gains else float(np.median(gains))
    return {"notes": sorted(kept), "short_notes": sorted(short),
            "silent_notes": len(audio) - len(kept),
            "gain_db": round(20 * float(np.log10(summary_gain)), 3)}


def _peak_gain(x: np.ndarray) -> float:
    """The factor that brings the peak of ``x`` to :data:`NSYNTH_PEAK_DB` (1 for silence)."""
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    return 10 ** (NSYNTH_PEAK_DB / 20) / peak if peak > 0 else 1.0


def _pcm(x: np.ndarray, gain: float) -> np.ndarray:
    """``x`` scaled by ``gain`` as 16-bit PCM."""
    return np.rint(x * (gain * 32767)).astype("<i2")


def write_wav(path: str, pcm: np.ndarray) -> None:
    """Write 16-bit mono PCM with NSynth's plain 44-byte RIFF header.

    Ten times faster than ``soundfile.write`` for short notes, and byte-stable.
    """
    data = pcm.astype("<i2", copy=False).tobytes()
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(data), b"WAVE", b"fmt ", 16,
                         1, 1, SAMPLE_RATE, 2 * SAMPLE_RATE, 2, 16, b"data", len(data))
    with open(path, "wb") as f:
        f.write(header + data)
