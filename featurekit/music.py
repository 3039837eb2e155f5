"""Short pieces of music from General MIDI SoundFonts: melodies and two-instrument mixes.

Test data for recognition beyond single notes.  A *melody* is one GM program
playing a random walk on the C-major scale; a *mix* is a melody with a second
program's melody underneath, ``second_db`` quieter (RMS), so the first is the
predominant instrument, as in IRMAS.  Labels are the NSynth families of
``featurekit/data/gm_nsynth.csv`` (:func:`featurekit.synth.load_gm_table`).
Rendering reuses :mod:`featurekit.synth.render` (TinySoundFont at 48 kHz,
resampled to 16 kHz with soxr).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ConfigError, CorpusError

#: Scale degrees (semitones above C) melodies walk on.
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
#: Melodies stay inside this MIDI range (and the instrument's own range).
MELODY_RANGE = (48, 84)
#: Fraction of each note's time the key is held (the rest is its release).
LEGATO = 0.9

#: Columns of the manifest :func:`render_music_corpus` writes (``library``: the
#: SoundFont's file stem, read into the table's ``library`` column).
MUSIC_COLUMNS = ["path", "label", "group", "split", "kind", "library", "program",
                 "second_label", "second_program"]


def random_melody(rng: np.random.Generator, n_notes: int, low: int, high: int) -> list[int]:
    """MIDI pitches of a random walk on :data:`MAJOR_SCALE` within ``[low, high]``.

    Steps are -2..+2 scale degrees; the walk reflects off the range's ends.
    """
    scale = [p for p in range(low, high + 1) if p % 12 in MAJOR_SCALE]
    if not scale:
        raise ConfigError(f"no C-major pitch in [{low}, {high}]")
    i = int(rng.integers(len(scale)))
    pitches = []
    for _ in range(n_notes):
        pitches.append(scale[i])
        i = int(np.clip(i + rng.integers(-2, 3), 0, len(scale) - 1))
    return pitches


def render_melody(soundfont, program: int, pitches, *, note_seconds: float = 0.5,
                  velocity: int = 100) -> np.ndarray:
    """One GM program playing ``pitches`` one after another.

    Parameters
    ----------
    soundfont : path-like
        A General MIDI SoundFont (.sf2/.sf3); bank 0 is used.
    program : int
        GM program number (0-127).
    pitches : sequence of int
        MIDI note numbers, each held :data:`LEGATO` of ``note_seconds``.
    note_seconds : float
        Time per note in seconds.
    velocity : int
        MIDI velocity (1-127).

    Returns
    -------
    ndarray, shape (round(len(pitches) * note_seconds * 16000),), float32
        Mono at 16 kHz, full scale 1.0; the last note's release is cut at the end.
    """
    import soxr

    from .synth.render import RENDER_RATE, SAMPLE_RATE, load

    if not 0 <= int(program) <= 127:
        raise ConfigError(f"GM program must be in 0..127, got {program!r}")
    synth, sfid = load(os.fspath(soundfont))
    try:
        synth.program_select(0, sfid, 0, int(program))
    except RuntimeError:  # TinySoundFont's only signal for a preset absent from bank 0
        raise CorpusError(f"{os.fspath(soundfont)} has no preset for GM program {int(program)} "
                          "in bank 0") from None
    step = int(round(note_seconds * RENDER_RATE))
    held = int(round(LEGATO * step))
    parts = []
    for pitch in pitches:
        synth.noteon(0, int(pitch), int(velocity))
        parts.append(np.frombuffer(synth.generate(held), np.float32))
        synth.noteoff(0, int(pitch))
        parts.append(np.frombuffer(synth.generate(step - held), np.float32))
    synth.sounds_off(0)
    synth.generate(RENDER_RATE // 20)  # let the voices die so nothing bleeds into the next melody
    stereo = np.concatenate(parts)
    mono = (stereo[0::2] + stereo[1::2]) * np.float32(0.5)
    y = soxr.resample(mono, RENDER_RATE, SAMPLE_RATE, quality="HQ").astype(np.float32)
    n = int(round(len(pitches) * note_seconds * SAMPLE_RATE))
    return np.pad(y[:n], (0, max(0, n - len(y))))


def _rms(y: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(y, dtype=np.float64))))


def mix(lead: np.ndarray, second: np.ndarray, *, second_db: float = -12.0) -> np.ndarray:
    """``lead`` with ``second`` underneath, ``second_db`` dB (RMS) relative to ``lead``.

    Parameters
    ----------
    lead, second : ndarray, shape (n,)
        Mono signals at the same rate; the shorter is zero-padded.
    second_db : float
        Level of ``second`` relative to ``lead`` (negative: quieter).

    Returns
    -------
    ndarray, shape (max(len),), float32
        The sum, scaled down as a whole if its peak would exceed 0.99.
    """
    n = max(len(lead), len(second))
    lead = np.pad(np.asarray(lead, np.float64), (0, n - len(lead)))
    second = np.pad(np.asarray(second, np.float64), (0, n - len(second)))
    gain = 10 ** (second_db / 20) * _rms(lead) / max(_rms(second), 1e-12)
    y = lead + gain * second
    peak = float(np.max(np.abs(y))) if n else 0.0
    return (y * min(1.0, 0.99 / peak) if peak > 0 else y).astype(np.float32)


def render_music_corpus(root, soundfonts: dict, programs, *, melodies: int = 2, mixes: int = 0,
                        notes: int = 8, note_seconds: float = 0.5, second_db: float = -12.0,
                        seed: int = 0) -> Path:
    """Write melodies and mixes as label folders plus a manifest.

    Parameters
    ----------
    root : path-like
        Output folder: ``ROOT/<label>/<soundfont>-<program>-<kind><i>.wav``
        (16 kHz mono 16-bit) and ``ROOT/music.csv`` (:data:`MUSIC_COLUMNS`).
    soundfonts : dict of path-like -> str
        Each SoundFont and the split its pieces go to (e.g. ``"train"``,
        ``"test"``): holding a SoundFont out tests unseen instruments.
    programs : sequence of int
        GM programs played; the label is the program's NSynth family.
    melodies, mixes : int
        Pieces per (SoundFont, program): solo melodies, and mixes with a
        random program of another label underneath.
    notes, note_seconds : int, float
        Notes per piece and seconds per note.
    second_db : float
        Level of a mix's second instrument relative to its lead (dB RMS).
    seed : int

    Returns
    -------
    Path
        The manifest ``ROOT/music.csv``; its ``group`` is the lead instrument
        (``<soundfont>:<program>``), so grouped evaluation never hears a test
        instrument in training.
    """
    import soundfile as sf

    from .synth.gm import load_gm_table

    table = load_gm_table()
    programs = [int(p) for p in programs]
    unknown = [p for p in programs if p not in table.index]
    if unknown:
        raise ConfigError(f"GM programs {unknown} have no NSynth family; see featurekit/data/gm_nsynth.csv")
    labels = {p: table.at[p, "family"] for p in programs}
    if mixes and len(set(labels.values())) < 2:
        raise ConfigError("mixes need programs of at least two labels")
    names = [Path(f).stem for f in soundfonts]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"SoundFonts must have distinct names (they name the files); {twice} repeat")
    root = Path(root)
    rng = np.random.default_rng(seed)
    rows = []

    def melody(sf_path, program):
        low = max(MELODY_RANGE[0], int(table.at[program, "pitch_min"]))
        high = min(MELODY_RANGE[1], int(table.at[program, "pitch_max"]))
        return render_melody(sf_path, program, random_melody(rng, notes, low, high),
                             note_seconds=note_seconds)

    for sf_path, split in soundfonts.items():
        name = Path(sf_path).stem
        for program in programs:
            label = labels[program]
            (root / label).mkdir(parents=True, exist_ok=True)
            others = [p for p in programs if labels[p] != label]
            for kind, count in (("melody", melodies), ("mix", mixes)):
                for i in range(count):
                    second = int(rng.choice(others)) if kind == "mix" else None
                    y = melody(sf_path, program)
                    if second is not None:
                        y = mix(y, melody(sf_path, second), second_db=second_db)
                    rel = f"{label}/{name}-{program:03d}-{kind}{i}.wav"
                    sf.write(root / rel, y, 16000, subtype="PCM_16")
                    rows.append((rel, label, f"{name}:{program}", split, kind, name, program,
                                 labels[second] if second is not None else "", second if second is not None else -1))
    manifest = root / "music.csv"
    pd.DataFrame(rows, columns=MUSIC_COLUMNS).to_csv(manifest, index=False)
    return manifest
