"""Gravis UltraSound (GUS) patch sets, such as FreePats, as SoundFonts.

Timidity and WildMidi play General MIDI through sets of GUS ``.pat`` files
listed in a Timidity config (``/etc/timidity/freepats.cfg`` on Debian with
the ``freepats`` package).  FreePats' recordings are their own (a sample
source independent of FluidR3, TimGM6mb and OPL3), so
:func:`write_soundfont` turns the melodic bank of such a set into an ``.sf2``
that :func:`featurekit.synth.render_corpus` plays like any other SoundFont.

What is kept of each patch: its samples (8/16-bit, signed or unsigned,
ping-pong loops unrolled, reversed samples turned round), each sample's key
range (from its low/high frequency, gaps and ends filled by the nearest
sample), root pitch (Hz to key + cents), loop and sample rate, the keyboard
scaling, and the volume envelope as a SoundFont ADSR: attack from stage 0,
sustain at stage 2's offset (held notes) or none (notes that decay while
held), decay from stages 1-2, release from stage 3.  GUS envelope offsets are
read as a log scale of :data:`DB_PER_OFFSET` dB per unit and rates as
Timidity reads them.  Not kept: tremolo, vibrato, panning, layers after the
first and the config's ``amp=``/``pan=`` options (levels: the renderer only
scales down an instrument that would clip).
"""

from __future__ import annotations

import hashlib
import math
import os
import shlex
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import CorpusError, OutputError
from ..fileio import atomic_path

__all__ = ["PatchSample", "read_patch", "read_timidity_config", "write_soundfont",
           "is_gus_config", "cached_soundfont", "cache_dir", "DB_PER_OFFSET"]

#: dB of attenuation per GUS envelope-offset unit (0-255 spans 96 dB).
DB_PER_OFFSET = 96.0 / 256
_HEADER = b"GF1PATCH1"
_SAMPLES_AT, _WAVES_AT, _WAVE_HEADER = 198, 239, 96
_MODE_16BIT, _MODE_UNSIGNED, _MODE_LOOP, _MODE_PINGPONG, _MODE_REVERSE = 1, 2, 4, 8, 16
_MODE_SUSTAIN, _MODE_ENVELOPE = 32, 64
_GUS_RATE = 44_100  # the rate GUS envelope rates count in (Timidity's reference)
_CONVERTER = "gus2sf2-1"  # bump when write_soundfont's output changes: old caches are not reused


@dataclass(frozen=True)
class PatchSample:
    """One sample of a GUS patch.

    Attributes
    ----------
    data : ndarray, shape (n,), int16
        The waveform (ping-pong loops unrolled, reversed ones turned round).
    rate : int
        Sample rate (Hz).
    low_hz, high_hz, root_hz : float
        Frequency range the sample plays, and its recorded pitch (Hz).
    loop : tuple of int or None
        ``(start, end)`` sample indices of the sustain loop, end exclusive.
    sustain : bool
        The envelope holds at stage 2 while the key is down.
    envelope : tuple or None
        ``(rates, offsets)``, six GUS envelope stages each; None: no envelope.
    scale_factor : int
        Keyboard scaling, 1024 = one semitone per key, 0 = every key the root.
    """

    data: np.ndarray
    rate: int
    low_hz: float
    high_hz: float
    root_hz: float
    loop: tuple | None
    sustain: bool
    envelope: tuple | None
    scale_factor: int


def read_patch(path) -> list[PatchSample]:
    """Read the samples of the first layer of a GUS ``.pat`` file.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    list of PatchSample
        In file order.

    Raises
    ------
    CorpusError
        Not a GUS patch, or truncated (the message names the file).
    """
    path = Path(path)
    raw = path.read_bytes()
    if not raw.startswith(_HEADER) or len(raw) < _WAVES_AT:
        raise CorpusError(f"{path}: not a GUS patch (no GF1PATCH header)")
    samples, at = [], _WAVES_AT
    for _ in range(raw[_SAMPLES_AT]):
        head = raw[at:at + _WAVE_HEADER]
        if len(head) < _WAVE_HEADER:
            raise CorpusError(f"{path}: truncated GUS patch")
        size, loop_start, loop_end = struct.unpack_from("<III", head, 8)
        rate, = struct.unpack_from("<H", head, 20)
        low, high, root = (v / 1000 for v in struct.unpack_from("<III", head, 22))
        rates, offsets, modes = tuple(head[37:43]), tuple(head[43:49]), head[55]
        scale_factor, = struct.unpack_from("<H", head, 58)
        body = raw[at + _WAVE_HEADER:at + _WAVE_HEADER + size]
        if len(body) < size:
            raise CorpusError(f"{path}: truncated GUS patch")
        at += _WAVE_HEADER + size
        if modes & _MODE_16BIT:
            data = np.frombuffer(body[:size // 2 * 2], "<u2" if modes & _MODE_UNSIGNED else "<i2")
            data = (data.astype(np.int32) - (32768 if modes & _MODE_UNSIGNED else 0))
            loop_start, loop_end = loop_start // 2, loop_end // 2
        else:
            data = np.frombuffer(body, np.uint8 if modes & _MODE_UNSIGNED else np.int8)
            data = (data.astype(np.int32) - (128 if modes & _MODE_UNSIGNED else 0)) * 256
        data = data.astype(np.int16)
        if modes & _MODE_REVERSE:
            data = data[::-1].copy()
        loop = None
        if modes & _MODE_LOOP and 0 <= loop_start < loop_end <= len(data):
            if modes & _MODE_PINGPONG:  # forward then back, as one forward loop
                back = data[loop_start + 1:loop_end - 1][::-1]
                data = np.concatenate([data[:loop_end], back, data[loop_end:]])
                loop_end += len(back)
            loop = (int(loop_start), int(loop_end))
        samples.append(PatchSample(data=data, rate=int(rate), low_hz=low, high_hz=high,
                                   root_hz=root, loop=loop, sustain=bool(modes & _MODE_SUSTAIN),
                                   envelope=(rates, offsets) if modes & _MODE_ENVELOPE else None,
                                   scale_factor=int(scale_factor)))
    if not samples:
        raise CorpusError(f"{path}: GUS patch with no samples")
    return samples


def read_timidity_config(path) -> dict[int, Path]:
    """The melodic patches (bank 0) of a Timidity config.

    Reads ``dir``, ``bank N`` / ``drumset N`` sections and ``PROGRAM FILE
    [options]`` lines (``#`` starts a comment; ``source`` lines are followed,
    relative to the including file).

    Returns
    -------
    dict
        GM program (0-127) -> the ``.pat`` file (its ``.pat`` suffix added
        when the config omits it), for programs whose file exists.

    Raises
    ------
    CorpusError
        The config cannot be read.
    """
    programs: dict[int, Path] = {}
    _read_config(Path(path), programs, dirs=[Path(path).parent], depth=0)
    return programs


def _read_config(path: Path, programs: dict, dirs: list, depth: int) -> None:
    if depth > 8:
        raise CorpusError(f"{path}: Timidity configs 'source' each other too deeply")
    try:
        lines = path.read_text(encoding="latin-1").splitlines()
    except OSError as exc:
        raise CorpusError(f"cannot read Timidity config {path}: {exc.strerror}") from None
    melodic = False
    for line in lines:
        try:
            words = shlex.split(line.split("#", 1)[0])
        except ValueError:
            continue
        if not words:
            continue
        if words[0] == "dir" and len(words) > 1:
            dirs.insert(0, Path(words[1]) if Path(words[1]).is_absolute()
                        else path.parent / words[1])
        elif words[0] == "source" and len(words) > 1:
            _read_config(path.parent / words[1], programs, dirs, depth + 1)
        elif words[0] in ("bank", "drumset") and len(words) > 1:
            melodic = words[0] == "bank" and words[1] == "0"
        elif melodic and words[0].isdigit() and len(words) > 1 and int(words[0]) < 128:
            name = words[1] if words[1].endswith(".pat") else words[1] + ".pat"
            for folder in dirs:
                if (folder / name).is_file():
                    programs.setdefault(int(words[0]), folder / name)
                    break


def _stage_seconds(rate: int, start: int, end: int) -> float:
    """Seconds a GUS envelope stage takes from offset ``start`` to ``end`` (Timidity's rates)."""
    step = (rate & 0x3F) << (3 * (3 - (rate >> 6)))
    if step == 0:
        return 20.0
    return abs(end - start) * 8192 / step / _GUS_RATE


def _timecents(seconds: float) -> int:
    return int(round(1200 * math.log2(min(max(seconds, 0.001), 20.0))))


def _envelope_generators(sample: PatchSample) -> list:
    """SoundFont volume-envelope generators ``[(oper, amount), ...]`` for a GUS envelope."""
    if sample.envelope is None:  # played as recorded; a short release
        return [(38, _timecents(0.1))]
    rates, offsets = sample.envelope
    peak = max(offsets[0], 1)
    gens = [(34, _timecents(_stage_seconds(rates[0], 0, offsets[0])))]
    if sample.sustain:
        level = offsets[2]
        drop_db = max(0.0, (peak - level) * DB_PER_OFFSET)
        decay = _stage_seconds(rates[1], offsets[0], offsets[1]) + \
            _stage_seconds(rates[2], offsets[1], offsets[2])
        # a SoundFont decay time is for a 100 dB fall; the sustain level is in centibels
        gens += [(36, _timecents(decay * 100 / drop_db if drop_db > 0 else 0.001)),
                 (37, int(round(min(drop_db, 144.0) * 10)))]
        release = _stage_seconds(rates[3], level, 0) * 100 / max(level * DB_PER_OFFSET, 1.0)
    else:  # the envelope runs on while held: a decay to silence
        span = _stage_seconds(rates[1], offsets[0], offsets[1]) + \
            _stage_seconds(rates[2], offsets[1], offsets[2]) + \
            _stage_seconds(rates[3], offsets[2], 0)
        gens += [(36, _timecents(span * 100 / max(peak * DB_PER_OFFSET, 1.0))), (37, 1440)]
        release = _stage_seconds(rates[3], peak, 0) * 100 / max(peak * DB_PER_OFFSET, 1.0)
    return gens + [(38, _timecents(release))]


def _key_of(hz: float) -> float:
    return 69 + 12 * math.log2(max(hz, 1e-3) / 440.0)


def _key_ranges(samples: list) -> list:
    """``(sample index, low key, high key)`` runs covering keys 0-127."""
    owner = []
    for key in range(128):
        hz = 440.0 * 2 ** ((key - 69) / 12)
        inside = [i for i, s in enumerate(samples) if s.low_hz <= hz <= s.high_hz]
        owner.append(inside[0] if inside else
                     min(range(len(samples)), key=lambda i: abs(_key_of(samples[i].root_hz) - key)))
    runs, start = [], 0
    for key in range(1, 129):
        if key == 128 or owner[key] != owner[start]:
            runs.append((owner[start], start, key - 1))
            start = key
    return runs


def _name(text: str) -> bytes:
    return text.encode("ascii", "replace")[:19].ljust(20, b"\0")


def _chunk(tag: bytes, body: bytes) -> bytes:
    return tag + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def write_soundfont(config, out, name: str | None = None, *, overwrite: bool = False) -> Path:
    """Write the melodic bank of a GUS patch set as a SoundFont 2 file.

    Parameters
    ----------
    config : str or Path
        A Timidity config (e.g. ``/etc/timidity/freepats.cfg``).
    out : str or Path
        The ``.sf2`` to write (atomically: a crash leaves no partial file).
    name : str, optional
        The bank's name inside the file (default: the config's stem).
    overwrite : bool, default=False
        Replace an existing ``out`` (else an error: featurekit does not
        overwrite files it may not have written).

    Returns
    -------
    Path
        ``out``; every program of bank 0 with a readable patch is a preset
        of bank 0 with that program number.

    Raises
    ------
    CorpusError
        No readable patch in the config's bank 0.
    OutputError
        ``out`` exists and ``overwrite`` is False.
    """
    config, out = Path(config), Path(out)
    if out.exists() and not overwrite:
        raise OutputError(f"{out} exists; pass overwrite=True to replace it")
    patches = {}
    for program, path in sorted(read_timidity_config(config).items()):
        try:
            patches[program] = (path.stem, read_patch(path))
        except CorpusError:
            continue
    if not patches:
        raise CorpusError(f"{config}: no readable GUS patch in bank 0")
    smpl, shdr, inst, ibag, igen, phdr, pbag, pgen = [], [], [], [], [], [], [], []
    at = 0
    for program, (stem, samples) in patches.items():
        first = len(shdr)
        for k, s in enumerate(samples):
            key = _key_of(s.root_hz)
            root = min(max(int(round(key)), 0), 127)
            loop = s.loop or (0, len(s.data))
            shdr.append(struct.pack("<20sIIIIIBbHH", _name(f"{stem[:15]}-{k}"), at,
                                    at + len(s.data), at + loop[0], at + loop[1], s.rate,
                                    root, int(round((root - key) * 100)), 0, 1))
            smpl += [s.data, np.zeros(46, np.int16)]
            at += len(s.data) + 46
        inst.append(struct.pack("<20sH", _name(stem), len(ibag)))
        for index, low, high in _key_ranges(samples):
            s = samples[index]
            ibag.append(struct.pack("<HH", len(igen), 0))
            gens = [(43, low | high << 8)] + _envelope_generators(s)
            if s.scale_factor != 1024:
                gens.append((56, int(round(100 * s.scale_factor / 1024))))
            gens += [(54, 1 if s.loop else 0), (53, first + index)]
            igen += [struct.pack("<HH" if oper == 43 else "<Hh", oper, amount)
                     for oper, amount in gens]
        phdr.append(struct.pack("<20sHHHIII", _name(stem), program, 0, len(pbag), 0, 0, 0))
        pbag.append(struct.pack("<HH", len(pgen), 0))
        pgen.append(struct.pack("<HH", 41, len(inst) - 1))
    phdr.append(struct.pack("<20sHHHIII", _name("EOP"), 0, 0, len(pbag), 0, 0, 0))
    pbag.append(struct.pack("<HH", len(pgen), 0))
    pgen.append(struct.pack("<HH", 0, 0))
    inst.append(struct.pack("<20sH", _name("EOI"), len(ibag)))
    ibag.append(struct.pack("<HH", len(igen), 0))
    igen.append(struct.pack("<HH", 0, 0))
    shdr.append(struct.pack("<20sIIIIIBbHH", _name("EOS"), 0, 0, 0, 0, 0, 0, 0, 0, 0))
    mod = struct.pack("<HHhHH", 0, 0, 0, 0, 0)
    info = (_chunk(b"ifil", struct.pack("<HH", 2, 1)) + _chunk(b"isng", b"EMU8000\0")
            + _chunk(b"INAM", (name or config.stem).encode("ascii", "replace") + b"\0"))
    pdta = b"".join(_chunk(tag, b"".join(rows)) for tag, rows in (
        (b"phdr", phdr), (b"pbag", pbag), (b"pmod", [mod]), (b"pgen", pgen),
        (b"inst", inst), (b"ibag", ibag), (b"imod", [mod]), (b"igen", igen),
        (b"shdr", shdr)))
    sdta = _chunk(b"smpl", np.concatenate(smpl).astype("<i2").tobytes())
    body = b"sfbk" + b"".join(_chunk(b"LIST", tag + data) for tag, data in (
        (b"INFO", info), (b"sdta", sdta), (b"pdta", pdta)))
    with atomic_path(out) as tmp:
        Path(tmp).write_bytes(_chunk(b"RIFF", body))
    return out


def is_gus_config(path) -> bool:
    """Whether ``path`` names a Timidity config (``.cfg``) rather than a SoundFont."""
    return Path(path).suffix.lower() == ".cfg"


def cache_dir() -> Path:
    """Where converted patch sets are kept: ``$XDG_CACHE_HOME/featurekit/gus``
    (``~/.cache/featurekit/gus``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "featurekit" / "gus"


def cached_soundfont(config) -> Path:
    """The SoundFont of a GUS patch set, converted once (:func:`write_soundfont`).

    The file is ``cache_dir()/<key>/<config stem>.sf2``, so its stem (the
    rendered notes' ``library``) is the config's, e.g. ``freepats``; ``key``
    digests the config, the size and time of each patch it lists and the
    converter version, so an edited set is converted again.  Only files
    featurekit wrote there are ever replaced.

    Raises
    ------
    CorpusError
        The config lists no readable patch.
    """
    config = Path(config)
    key = hashlib.sha256(_CONVERTER.encode() + config.read_bytes())
    for program, path in sorted(read_timidity_config(config).items()):
        st = path.stat()
        key.update(f"{program}:{path}:{st.st_size}:{st.st_mtime_ns}".encode())
    out = cache_dir() / key.hexdigest()[:16] / f"{config.stem}.sf2"
    if not out.is_file():
        write_soundfont(config, out)
    return out
