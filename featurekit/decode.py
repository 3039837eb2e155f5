"""Decoding what libsndfile cannot: AAC/M4A, WMA, video containers (PyAV).

libsndfile (behind :mod:`soundfile`) reads WAV, FLAC, OGG/Vorbis, AIFF, MP3
and friends, but not AAC (``.m4a``, ``.aac``), WMA or the audio track of a
video container (``.mp4``, ``.mov``, ``.mkv``, ``.webm``).  PyAV, the Python
binding of FFmpeg whose wheels ship FFmpeg itself, decodes all of them; it is
an optional dependency (``pip install 'featurekit[formats]'``) imported only
when libsndfile has refused a file.

:func:`featurekit.audio.read_clip` calls :func:`decode_fallback` when
libsndfile fails, so extraction, prediction and timelines read every format
PyAV reads; folder listings add :func:`extra_suffixes` to the endings they
treat as audio.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import os

import numpy as np

from .errors import AudioError

#: Endings of files PyAV decodes and libsndfile does not (or not always).
PYAV_SUFFIXES = frozenset({
    ".m4a", ".m4b", ".mp4", ".aac", ".wma", ".wmv", ".asf", ".mp3", ".opus",
    ".mov", ".mkv", ".mka", ".webm", ".3gp", ".ac3", ".amr", ".ape", ".wv", ".avi",
})

#: The install hint shown when PyAV would be needed but is missing.
INSTALL_HINT = "pip install 'featurekit[formats]' (PyAV) to decode it"


@functools.lru_cache(maxsize=1)
def pyav_available() -> bool:
    """True when PyAV (``import av``) is installed."""
    return importlib.util.find_spec("av") is not None


def extra_suffixes() -> frozenset:
    """File endings that are audio only thanks to PyAV (empty without PyAV).

    Listing code adds these to the endings libsndfile reads.
    """
    return PYAV_SUFFIXES if pyav_available() else frozenset()


def _describe(path, container=None, stream=None) -> str:
    """``'.m4a (container mov,mp4,m4a,3gp,3g2,mj2, codec aac)'``: what the file is."""
    suffix = os.path.splitext(os.fspath(path))[1].lower() or "file without ending"
    parts = []
    if container is not None:
        parts.append(f"container {container.format.name}")
    if stream is not None:
        parts.append(f"codec {stream.codec_context.name}")
    return f"{suffix} ({', '.join(parts)})" if parts else suffix


def decode_with_pyav(path, start: float | None = None, seconds: float | None = None):
    """Decode the first audio stream of ``path`` with PyAV (FFmpeg).

    Parameters
    ----------
    path : str or path-like
        Any file FFmpeg reads: ``.m4a``/``.aac`` (AAC), ``.wma``, ``.opus``,
        ``.mp3``, video containers (``.mp4``, ``.mkv``, ``.webm``...).
    start : float, optional
        Seconds into the file where decoding starts (the container is
        seeked, then decoded frames before ``start`` are dropped).
    seconds : float, optional
        Decode at most this many seconds (from ``start``); ``None`` decodes
        to the end.

    Returns
    -------
    samples : ndarray, shape (n_samples, n_channels), float32
        In [-1, 1] for PCM-like sources, channels as stored.
    sample_rate : int
        Rate of the audio stream in Hz.

    Raises
    ------
    MissingDependencyError
        PyAV is not installed.
    AudioError
        The file holds no audio stream, or FFmpeg cannot decode it; the
        message names the ending, container and codec when known.
    """
    from .errors import MissingDependencyError

    try:
        import av
    except ImportError:
        raise MissingDependencyError(f"decoding {_describe(path)} needs PyAV: {INSTALL_HINT}") from None
    path = os.fspath(path)
    container = stream = None
    try:
        container = av.open(path, mode="r")
        try:
            if not container.streams.audio:
                raise AudioError(f"{_describe(path, container)} holds no audio stream")
            stream = container.streams.audio[0]
            rate = int(stream.codec_context.sample_rate or stream.rate or 0)
            if rate <= 0:
                raise AudioError(f"{_describe(path, container, stream)} has no sample rate")
            first = 0 if not start else int(round(float(start) * rate))
            wanted = None if seconds is None else int(math.ceil(float(seconds) * rate - 1e-9))
            if first > 0:
                container.seek(int(float(start) * av.time_base), backward=True, any_frame=False)
            # Planar float keeps every channel and sample as stored (no rate change).
            resampler = av.AudioResampler(format="fltp")
            chunks, pos, have = [], None, 0
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    block = out.to_ndarray()  # (channels, n)
                    if pos is None:  # position of the first decoded sample
                        pos = 0 if out.time is None or first == 0 else int(round(out.time * rate))
                    lo = max(0, first - pos)
                    pos += block.shape[1]
                    if lo >= block.shape[1]:
                        continue
                    block = block[:, lo:]
                    chunks.append(block)
                    have += block.shape[1]
                if wanted is not None and have >= wanted:
                    break
        finally:
            container.close()
    except (AudioError, MissingDependencyError):
        raise
    except Exception as exc:  # FFmpeg reports through many error types
        msg = getattr(exc, "strerror", None) or str(exc).splitlines()[0] or type(exc).__name__
        raise AudioError(f"cannot decode {_describe(path, container, stream)}: {msg}") from None
    if not chunks:
        layout = getattr(stream.codec_context, "layout", None)
        data = np.zeros((0, max(1, len(getattr(layout, "channels", ())))), np.float32)
    else:
        data = np.concatenate(chunks, axis=1).T
    if wanted is not None:
        data = data[:wanted]
    return np.ascontiguousarray(data, dtype=np.float32), rate


def _check_fallback(path, error: Exception) -> str:
    """libsndfile's reason; raises the final AudioError when PyAV is missing."""
    path = os.fspath(path)
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    reason = reason.replace(f"Error opening {path!r}: ", "")
    suffix = os.path.splitext(path)[1].lower()
    if not pyav_available():
        hint = f"; {suffix or 'this file'} needs PyAV: {INSTALL_HINT}" if (
            suffix in PYAV_SUFFIXES or "not recognised" in reason.lower()) else ""
        raise AudioError(f"not a readable audio file ({reason}{hint})")
    return reason


def decode_fallback(path, error: Exception, start: float | None, seconds: float):
    """What :func:`featurekit.audio.read_clip` does when libsndfile refused ``path``.

    Parameters
    ----------
    path : str
    error : Exception
        libsndfile's error (its first line ends up in the message).
    start : float or None
        Window start in seconds (``None``: the whole file).
    seconds : float
        Window length in seconds (used only with ``start``).

    Returns
    -------
    (data (frames, channels) float32, rate, complete)
        As ``read_clip``'s libsndfile path: ``complete`` is ``None`` without
        ``start``, else whether the file held the whole window.

    Raises
    ------
    AudioError
        "not a readable audio file (...)" naming libsndfile's reason and, when
        PyAV was tried, the ending/container/codec and FFmpeg's reason; with
        PyAV missing, how to install it.
    """
    reason = _check_fallback(path, error)
    try:
        data, rate = decode_with_pyav(path, start, None if start is None else seconds)
    except AudioError as exc:
        raise AudioError(f"not a readable audio file (libsndfile: {reason}; PyAV: {exc})") from None
    if start is not None:
        if data.shape[0] == 0:
            raise AudioError(f"window start {start:.3f} s is outside the file")
        return data, rate, data.shape[0] >= int(math.ceil(seconds * rate - 1e-9))
    return data, rate, None


def duration_with_pyav(path) -> float:
    """Duration (s) of the first audio stream, from the container (no decoding
    when the container states it), else by decoding.

    Raises
    ------
    AudioError
        As :func:`decode_with_pyav`.
    """
    import av

    try:
        with av.open(os.fspath(path)) as container:
            if container.streams.audio:
                stream = container.streams.audio[0]
                if stream.duration is not None and stream.time_base is not None:
                    return float(stream.duration * stream.time_base)
                if container.duration is not None:
                    return container.duration / av.time_base
    except Exception:  # fall through to decoding, which names the problem
        pass
    data, rate = decode_with_pyav(path)
    return data.shape[0] / rate


def duration_fallback(path, error: Exception) -> float:
    """What :func:`featurekit.segments.audio_duration` does when libsndfile
    refused ``path``: the duration from PyAV, or :class:`AudioError` worded as
    :func:`decode_fallback`'s."""
    reason = _check_fallback(path, error)
    try:
        duration = duration_with_pyav(path)
    except AudioError as exc:
        raise AudioError(f"not a readable audio file (libsndfile: {reason}; PyAV: {exc})") from None
    if not duration > 0:
        raise AudioError("no audio samples (header only)")
    return duration
