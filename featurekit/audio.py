"""Reading one audio file into a fixed-length mono clip.

Every readable oddity is repaired the way users expect and *reported* in a
short note (stereo downmixed, resampled, padded, non-finite samples zeroed);
anything that cannot honestly become a clip raises :class:`AudioError` with a
one-line reason, which the extractor records as a failure.
"""

from __future__ import annotations

import math
import os
import struct
from dataclasses import dataclass

import numpy as np

from .errors import AudioError

#: Reason given for a file whose header declares no samples.
NO_SAMPLES = "no audio samples (header only)"
#: Block length (s) of the level envelope :func:`leading_silence` reads.
ONSET_BLOCK_SECONDS = 0.01


def leading_silence(y: np.ndarray, sample_rate: int, top_db: float) -> int:
    """Samples before a recording's first sound, to skip so a clip starts at its note.

    The level envelope is the RMS of consecutive 10 ms blocks
    (:data:`ONSET_BLOCK_SECONDS`). The note starts in the first block at most
    ``top_db`` dB below the loudest block; within it (and the block before),
    at the first sample whose magnitude reaches that level. Everything
    skipped is quieter than ``top_db`` dB below the loudest block's RMS.

    Parameters
    ----------
    y : ndarray, shape (n_samples,), float
        Mono audio.
    sample_rate : int
        Hz.
    top_db : float
        Threshold in dB below the loudest block (> 0). A noise floor less
        than ``top_db`` below the peak is taken for sound: nothing is skipped.

    Returns
    -------
    int
        Samples to skip: 0 when the sound starts within the first 10 ms
        (NSynth's notes start at their onset) or for digital silence.
    """
    block = max(1, int(round(ONSET_BLOCK_SECONDS * sample_rate)))
    n = len(y) // block
    if n == 0:
        return 0
    power = np.mean(np.square(y[: n * block].reshape(n, block), dtype=np.float64), axis=1)
    peak = power.max()
    if peak <= 0:
        return 0
    threshold = peak * 10 ** (-top_db / 10)
    first = int(np.argmax(power >= threshold))
    lo = max(0, first - 1) * block
    # A block whose mean power reaches the threshold has a sample whose square does.
    start = lo + int(np.argmax(np.square(y[lo:(first + 1) * block], dtype=np.float64) >= threshold))
    return start if start >= block else 0


@dataclass
class Clip:
    """A decoded clip.

    Attributes
    ----------
    samples : ndarray, shape (n_samples,), float32
        Mono audio at the configured rate, padded or cut to the clip length.
    padded : bool
        True when the source was shorter than the clip and zeros were added.
    notes : list of str
        Human-readable repairs applied (empty for a clean NSynth note).
    """

    samples: np.ndarray
    padded: bool
    notes: list


def _wav_declared_bytes(path) -> tuple[int, int] | None:
    """Return (declared data bytes, available data bytes) of a RIFF/WAVE file.

    libsndfile silently clips a truncated file to what is present, so the
    header is read here to tell a truncated file from a short one.  Returns
    ``None`` when the file is not a plain RIFF WAVE (other formats, RF64).
    """
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        pos = 12
        while pos + 8 <= size:
            fh.seek(pos)
            chunk = fh.read(8)
            if len(chunk) < 8:
                return None
            cid, clen = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"data":
                return clen, size - pos - 8
            pos += 8 + clen + (clen & 1)
    return None


def _read_window(path: str, start: float, seconds: float):
    """Frames ``[start, start + seconds)`` of ``path`` (only those are decoded).

    Returns (data (frames, channels) float32, rate, complete): ``complete`` is
    False when the file ends inside the window.
    """
    import soundfile as sf

    with sf.SoundFile(path) as fh:
        rate = fh.samplerate
        first = int(round(start * rate))
        if not 0 <= first < fh.frames:
            raise AudioError(
                f"window start {start:.3f} s is outside the file (0 to {fh.frames / rate:.3f} s)"
            )
        wanted = int(math.ceil(seconds * rate - 1e-9))
        fh.seek(first)
        data = fh.read(wanted, dtype="float32", always_2d=True)
    return data, rate, data.shape[0] >= wanted


def check_audio_file(path) -> str:
    """The path as a string, if it names a non-empty file.

    Raises
    ------
    AudioError
        ``"file not found"`` or ``"empty file (0 bytes)"``.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise AudioError("file not found")
    if os.path.getsize(path) == 0:
        raise AudioError("empty file (0 bytes)")
    return path


def unreadable(exc: Exception) -> AudioError:
    """The :class:`AudioError` for a file libsndfile refused (first line of its message)."""
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return AudioError(f"not a readable audio file ({msg})")


def audio_duration(path) -> float:
    """Duration in seconds of an audio file, from its header (no decoding).

    Raises
    ------
    AudioError
        Missing, empty or unreadable file, or one without samples (the same
        checks and messages as :func:`read_clip`).
    """
    import soundfile as sf

    path = check_audio_file(path)
    try:
        info = sf.info(path)
    except Exception as exc:  # libsndfile raises several types
        from .decode import duration_fallback  # AAC, WMA, video containers (PyAV)

        return duration_fallback(path, exc)
    if info.frames <= 0 or info.samplerate <= 0:
        raise AudioError(NO_SAMPLES)
    return info.frames / info.samplerate


def prefetch(paths) -> None:
    """Ask the kernel to start reading ``paths`` into the page cache, without waiting.

    Extraction calls it for the next batch of notes before computing the
    current one, so decoding a corpus larger than memory (NSynth: 39 GB)
    overlaps disk reads with computation.  A no-op where
    ``os.posix_fadvise`` does not exist; files that cannot be opened are
    skipped (reading them reports the error).
    """
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY)
        except (OSError, TypeError, ValueError):
            continue
        try:
            advise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        except OSError:
            pass
        finally:
            os.close(fd)


#: dBFS: the median peak of NSynth's published notes (at every velocity), the level
#: ``extract`` scales clips to and ``synth`` renders at by default.
NSYNTH_PEAK_DB = -1.1
#: dBFS: a clip whose peak is below this is not scaled by :func:`scale_to_peak`.
QUIET_PEAK_DB = -70.0


def scale_to_peak(y: np.ndarray, peak_db: float) -> np.ndarray:
    """``y`` scaled so that its largest absolute sample is ``peak_db`` dBFS.

    Parameters
    ----------
    y : ndarray, shape (n,)
        Samples, full scale 1.0.
    peak_db : float
        Target peak in dBFS (<= 0).

    Returns
    -------
    ndarray, shape (n,), float32
        The scaled samples; ``y`` itself if its peak is below
        :data:`QUIET_PEAK_DB` (digital silence, or a window of near-silence
        whose noise would otherwise be amplified to full level).
    """
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak < 10 ** (QUIET_PEAK_DB / 20):
        return y
    return (y * np.float32(10 ** (peak_db / 20) / peak)).astype(np.float32)


def read_clip(path, sample_rate: int, n_samples: int, start: float | None = None,
              trim_db: float | None = None, peak_db: float | None = None) -> Clip:
    """Decode ``path`` to a mono float32 clip of ``n_samples`` at ``sample_rate``.

    Parameters
    ----------
    path : str or path-like
        Any format libsndfile reads (WAV 8/16/24/32-bit and float, FLAC, OGG...).
    sample_rate : int
        Target rate in Hz; other rates are resampled (soxr, high quality).
    n_samples : int
        Target length; shorter audio is zero-padded at the end, longer is cut.
    start : float, optional
        Read the window of ``n_samples / sample_rate`` seconds starting here
        (seconds into the file), decoding only its frames; it is padded (and
        flagged) only where the file ends inside it.  ``None`` reads the file
        from its beginning.
    trim_db : float, optional
        When reading from the beginning, skip the leading audio quieter than
        ``trim_db`` dB below the loudest 10 ms (:func:`leading_silence`), so
        the clip starts at the note (as NSynth's notes do). ``None``: keep it.
    peak_db : float, optional
        Scale the clip (after trimming, padding and cutting) so that its peak
        is ``peak_db`` dBFS (NSynth's notes are peak-normalised); a clip
        peaking below :data:`QUIET_PEAK_DB` (-70 dBFS) is left as it is.
        ``None``: the level as read.

    Raises
    ------
    AudioError
        Missing, unreadable, empty, header-only or truncated file; a window
        starting outside the file.
    """
    import soundfile as sf

    path = os.fspath(path)
    from .tfrecord import record_samples  # a note inside an NSynth TFRecord: "FILE.tfrecord#OFFSET"

    stored = record_samples(path)
    if stored is None:
        path = check_audio_file(path)
    complete = None
    try:
        if stored is not None:
            data, rate = stored
        elif start is None:
            data, rate = sf.read(path, dtype="float32", always_2d=True)
        else:
            data, rate, complete = _read_window(path, float(start), n_samples / sample_rate)
    except AudioError:
        raise
    except Exception as exc:  # libsndfile raises several types
        from .decode import decode_fallback  # AAC, WMA, video containers (PyAV)

        data, rate, complete = decode_fallback(path, exc, start, n_samples / sample_rate)
    if data.shape[0] == 0:
        raise AudioError(NO_SAMPLES)
    if path.lower().endswith(".wav"):
        declared = _wav_declared_bytes(path)
        if declared is not None and declared[0] > declared[1] + 1:
            raise AudioError(
                f"truncated WAV: header declares {declared[0]} data bytes, "
                f"file holds {declared[1]}"
            )
    notes = []
    if data.shape[1] > 1:
        notes.append(f"downmixed {data.shape[1]} channels")
        y = data.mean(axis=1)
    else:
        y = data[:, 0]
    bad = ~np.isfinite(y)
    if bad.any():
        notes.append(f"zeroed {int(bad.sum())} non-finite samples")
        y = np.where(bad, 0.0, y).astype(np.float32)
    if rate != sample_rate:
        import soxr

        notes.append(f"resampled from {rate} Hz")
        y = soxr.resample(y, rate, sample_rate, quality="HQ").astype(np.float32)
    if trim_db is not None and start is None:
        skip = leading_silence(y, sample_rate, trim_db)
        if skip:
            notes.append(f"trimmed {skip / sample_rate:.2f} s of leading silence")
            y = y[skip:]
    padded = False
    if complete and abs(y.shape[0] - n_samples) <= 2:
        y = np.pad(y[:n_samples], (0, max(0, n_samples - y.shape[0])))  # rounding only
    elif y.shape[0] < n_samples:
        notes.append(f"padded from {y.shape[0] / sample_rate:.3f} s")
        y = np.pad(y, (0, n_samples - y.shape[0]))
        padded = True
    elif y.shape[0] > n_samples:
        notes.append(f"cut from {y.shape[0] / sample_rate:.3f} s")
        y = y[:n_samples]
    if peak_db is not None:
        y = scale_to_peak(y, peak_db)
    return Clip(np.ascontiguousarray(y, dtype=np.float32), padded, notes)
