"""Synthetic NSynth-format corpora of numpy tones, for tests and benchmarks.

Like ``sklearn.datasets.make_classification``, :func:`make_tone_corpus`
builds a small labelled corpus with known structure, no download and no
SoundFont: each family gets its own harmonic recipe and envelope, each
instrument a seeded variation of it.  Use :mod:`featurekit.synth` for
realistic audio.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf

from .corpus import FAMILIES, SOURCES

#: ``library`` of the instruments :func:`make_tone_corpus` writes.
TONE_LIBRARY = "featurekit-tones"

#: (odd-harmonic weight, even-harmonic weight, spectral decay per harmonic,
#:  attack s, decay rate 1/s, noise level) per family.
_RECIPES = {
    "bass": (1.0, 0.8, 1.4, 0.01, 1.5, 0.00),
    "brass": (1.0, 1.0, 0.5, 0.06, 0.2, 0.01),
    "flute": (1.0, 0.3, 2.5, 0.08, 0.1, 0.05),
    "guitar": (1.0, 0.9, 1.0, 0.005, 2.0, 0.00),
    "keyboard": (1.0, 0.7, 1.2, 0.005, 1.0, 0.00),
    "mallet": (1.0, 0.1, 3.0, 0.002, 4.0, 0.01),
    "organ": (1.0, 1.0, 0.8, 0.03, 0.0, 0.00),
    "reed": (1.0, 0.15, 0.7, 0.04, 0.1, 0.02),
    "string": (1.0, 0.9, 0.7, 0.12, 0.15, 0.02),
    "synth_lead": (1.0, 1.0, 0.3, 0.01, 0.05, 0.00),
    "vocal": (1.0, 0.6, 1.6, 0.1, 0.1, 0.03),
}


def tone(pitch: int, velocity: int, family: str, rng: np.random.Generator,
         sample_rate: int = 16000, duration: float = 4.0, held: float = 3.0) -> np.ndarray:
    """One synthetic note, shape (duration * sample_rate,), float32 in [-1, 1]."""
    odd, even, slope, attack, decay, noise = _RECIPES[family]
    slope *= rng.uniform(0.8, 1.25)
    n = int(duration * sample_rate)
    t = np.arange(n) / sample_rate
    f0 = 440.0 * 2 ** ((pitch - 69) / 12)
    y = np.zeros(n)
    for k in range(1, 16):
        if k * f0 >= sample_rate / 2:
            break
        weight = (odd if k % 2 else even) * k ** -slope
        y += weight * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi))
    env = np.minimum(t / attack, 1.0) * np.exp(-decay * t)
    env *= np.where(t < held, 1.0, np.exp(-(t - held) * 12.0))
    y = y * env + noise * rng.standard_normal(n) * env
    y *= (velocity / 127.0) * 0.8 / max(np.abs(y).max(), 1e-9)
    return y.astype(np.float32)


def make_tone_corpus(root, *, families=("guitar", "organ", "reed"), instruments_per_family=4,
                     pitches=(48, 60, 72), velocities=(75, 127),
                     splits=("train", "test"), sample_rate=16000, seed=0,
                     library: str | None = TONE_LIBRARY) -> Path:
    """Write an NSynth jsonwav corpus of synthetic tones under ``root``.

    Every ``examples.json`` entry names ``library`` (default
    :data:`TONE_LIBRARY`), so these instruments are never mistaken for real
    NSynth ones of the same name; ``library=None`` leaves the field out (the
    reader then says ``"nsynth"``).

    Instruments are dealt to ``splits`` round-robin within each family, so
    no instrument is in two splits and every split has every family when
    ``instruments_per_family >= len(splits)``.

    Returns
    -------
    Path
        ``root`` (holding ``nsynth-<split>/examples.json`` and ``audio/``).
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    examples = {s: {} for s in splits}
    instrument = 0
    for family in families:
        source = SOURCES[instrument % 2]
        for number in range(instruments_per_family):
            split = splits[number % len(splits)]
            name = f"{family}_{source}_{number:03d}"
            inst_rng = np.random.default_rng(rng.integers(2**32))
            audio = root / f"nsynth-{split}" / "audio"
            audio.mkdir(parents=True, exist_ok=True)
            for pitch in pitches:
                for velocity in velocities:
                    note_str = f"{name}-{pitch:03d}-{velocity:03d}"
                    y = tone(pitch, velocity, family, inst_rng, sample_rate)
                    sf.write(audio / f"{note_str}.wav", y, sample_rate, subtype="PCM_16")
                    examples[split][note_str] = {
                        "note": len(examples[split]), "note_str": note_str,
                        "instrument": instrument, "instrument_str": name,
                        "instrument_family": FAMILIES.index(family),
                        "instrument_family_str": family,
                        "instrument_source": SOURCES.index(source),
                        "instrument_source_str": source,
                        "pitch": pitch, "velocity": velocity, "sample_rate": sample_rate,
                        "qualities": [0] * 10, "qualities_str": [],
                    }
                    if library is not None:
                        examples[split][note_str]["library"] = library
            instrument += 1
    for split, ex in examples.items():
        (root / f"nsynth-{split}").mkdir(parents=True, exist_ok=True)
        with open(root / f"nsynth-{split}" / "examples.json", "w") as fh:
            json.dump(ex, fh, indent=1)
    return root
