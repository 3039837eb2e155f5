"""Are two SoundFonts near-copies?  Waveform correlation of a few probe notes.

Sample libraries get copied, trimmed and re-packaged: Debian's ``sf_GMbank``
plays TimGM6mb's samples, and MuseScore_General reuses FluidR3's.  A
train/test split with one of such a pair on each side is not disjoint, however
different the file names are.  :func:`soundfont_similarity` plays the same
probe notes (program, pitch, velocity) from two SoundFonts and counts how
many are the same recording by their :func:`waveform_correlation`: the same
sample played by the same synthesizer correlates almost perfectly (at least
:data:`SAME_RECORDING`), two independent recordings of an instrument do not
(their phases, vibrato and tuning drift apart within milliseconds).  Two
SoundFonts sharing at least :data:`NEAR_COPY_SHARE` of the probe notes are
near-copies.  The measured pairwise values for the Debian SoundFonts are in
``docs/synth.md``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import NearCopyWarning
from . import render

__all__ = ["PROBE_PROGRAMS", "PROBE_PITCHES", "PROBE_VELOCITY", "PROBE_SECONDS", "MAX_LAG",
           "SAME_RECORDING", "NEAR_COPY_SHARE", "Similarity", "waveform_correlation",
           "probe_waveforms", "soundfont_similarity", "near_copies", "warn_near_copies"]

#: GM programs probed: pianos, guitars, bass, violin, strings, trumpet, sax,
#: oboe (sampled in every General MIDI bank, and rich in partials).
PROBE_PROGRAMS = (0, 4, 24, 25, 32, 40, 48, 56, 65, 68)
#: MIDI pitches probed per program.
PROBE_PITCHES = (55, 67)
#: MIDI velocity of the probe notes.
PROBE_VELOCITY = 100
#: Seconds of each probe note compared (from the note-on, at 16 kHz).
PROBE_SECONDS = 1.0
#: Largest lag searched, in samples at 16 kHz (0.25 ms): the same sample played
#: by two SoundFonts lines up within it; searching a whole period of a note
#: (2-4 ms) would let any two steady tones of one pitch line up.
MAX_LAG = 4
#: Probe-note correlation at or above which two notes are the same recording
#: (measured 2026-12-01: independent libraries reach at most 0.66, shared
#: samples 0.95-1.00; see docs/synth.md).
SAME_RECORDING = 0.95
#: Share of probe notes that are the same recording at or above which two
#: SoundFonts are near-copies (independent Debian SoundFonts: 0.00; the
#: lowest near-copy pair, TimGM6mb vs sf_GMbank: 0.35).
NEAR_COPY_SHARE = 0.1


@dataclass(frozen=True)
class Similarity:
    """How alike two SoundFonts' probe notes are (see :func:`soundfont_similarity`).

    Attributes
    ----------
    shared : float
        Share of the common probe notes whose correlation is at least
        :data:`SAME_RECORDING` (0-1).
    median : float
        Median probe-note correlation.
    n_notes : int
        Probe notes both SoundFonts play.
    """

    shared: float
    median: float
    n_notes: int

    @property
    def near_copy(self) -> bool:
        """Whether :attr:`shared` reaches :data:`NEAR_COPY_SHARE`."""
        return self.n_notes > 0 and self.shared >= NEAR_COPY_SHARE


def waveform_correlation(a, b, max_lag: int = MAX_LAG) -> float:
    """Largest normalised cross-correlation of two waveforms over small lags.

    Parameters
    ----------
    a, b : array_like, shape (n,) and (m,)
        Mono waveforms at the same sample rate; the first ``min(n, m)``
        samples are compared.
    max_lag : int
        Lags ``-max_lag .. max_lag`` (samples) are tried.

    Returns
    -------
    float
        ``max_k sum_t a[t] b[t+k] / (||a|| ||b||)``, in [-1, 1]: 1 for the same
        waveform (shifted by at most ``max_lag``), about 0 for unrelated
        ones; NaN if either is silent.
    """
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    norm = np.sqrt(np.dot(a, a) * np.dot(b, b))
    if n == 0 or norm == 0:
        return float("nan")
    best = -np.inf
    for k in range(-max_lag, max_lag + 1):
        c = np.dot(a[max(0, -k):n - max(0, k)], b[max(0, k):n - max(0, -k)]) if abs(k) < n else 0.0
        best = max(best, c)
    return float(best / norm)


def probe_waveforms(path, programs=PROBE_PROGRAMS, pitches=PROBE_PITCHES,
                    velocity: int = PROBE_VELOCITY, seconds: float = PROBE_SECONDS) -> dict:
    """Play the probe notes of one SoundFont (bank 0).

    Parameters
    ----------
    path : str or Path
        The SoundFont.
    programs, pitches : sequence of int
        GM programs and MIDI pitches: ``len(programs) * len(pitches)`` notes.
    velocity : int
    seconds : float
        Length kept of each note, from the note-on.

    Returns
    -------
    dict of (program, pitch) to ndarray, shape (round(seconds * 16000),), float32
        The notes the SoundFont has (absent presets and silent notes are left out).
    """
    synth, sfid = render.load(str(path))
    n = int(round(seconds * render.SAMPLE_RATE))
    notes = {}
    for program in programs:
        if synth.sfpreset_name(sfid, 0, program) is None:
            continue
        synth.program_select(0, sfid, 0, program)
        for pitch in pitches:
            x = render.render_note(synth, pitch, velocity)
            if not render.is_silent(x):
                notes[program, pitch] = x[:n]
    return notes


def soundfont_similarity(a: dict, b: dict, max_lag: int = MAX_LAG) -> Similarity:
    """Compare the probe notes of two SoundFonts.

    Parameters
    ----------
    a, b : dict of (program, pitch) to ndarray
        :func:`probe_waveforms` of each SoundFont.
    max_lag : int
        See :func:`waveform_correlation`.

    Returns
    -------
    Similarity
        Share of shared recordings and median correlation over the probe notes
        both play; ``near_copy`` when the share reaches :data:`NEAR_COPY_SHARE`.
    """
    values = np.array([waveform_correlation(a[k], b[k], max_lag) for k in sorted(set(a) & set(b))])
    values = values[np.isfinite(values)]
    if not len(values):
        return Similarity(0.0, float("nan"), 0)
    return Similarity(float(np.mean(values >= SAME_RECORDING)), float(np.median(values)),
                      len(values))


def near_copies(probes: dict, pairs) -> list:
    """The pairs of SoundFonts that are near-copies.

    Parameters
    ----------
    probes : dict of str to dict
        :func:`probe_waveforms` per SoundFont name.
    pairs : iterable of (str, str)
        The pairs to check (keys of ``probes``).

    Returns
    -------
    list of (str, str, Similarity)
        One entry per near-copy pair, in the order given.
    """
    found = []
    for a, b in pairs:
        s = soundfont_similarity(probes[a], probes[b])
        if s.near_copy:
            found.append((a, b, s))
    return found


def warn_near_copies(found, stacklevel: int = 3) -> None:
    """Emit one :class:`~featurekit.errors.NearCopyWarning` per pair of :func:`near_copies`."""
    for a, b, s in found:
        warnings.warn(f"{Path(a).name} and {Path(b).name} are near-copies ({s.shared:.0%} of "
                      f"{s.n_notes} probe notes are the same recording): their instruments on "
                      "different splits share samples, so train and test are not disjoint; "
                      "put both on one split", NearCopyWarning, stacklevel=stacklevel)
