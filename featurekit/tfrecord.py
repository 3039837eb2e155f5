"""NSynth as TFRecords, without TensorFlow.

NSynth is also distributed as ``nsynth-{train,valid,test}.tfrecord``: files
of ``tf.train.Example`` protocol buffers, one per note, holding the note's
metadata and its 64,000 audio samples.  This module reads them with the
standard library and NumPy only:

* **framing** (:func:`iter_records`): each record is ``uint64 length``,
  ``uint32 masked_crc32c(length)``, ``length`` bytes of data,
  ``uint32 masked_crc32c(data)`` (little-endian); both checksums are
  verified.  CRC-32C comes from the ``crc32c`` package when installed
  (``pip install 'featurekit[tfrecord]'``, hardware-accelerated) and from a
  pure-Python table otherwise (correct, but ~1000x slower);
* **protobuf** (:func:`parse_example`): ``Example{Features features = 1}``,
  ``Features{map<string, Feature> feature = 1}``, ``Feature{oneof:
  BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list =
  3}``, packed and unpacked repeated values alike;
* a **writer** (:func:`encode_example`, :func:`write_tfrecord`) for tests
  and small exports.

A TFRecord file, or a folder of them, is a corpus (:func:`read_nsynth_tfrecords`,
reached through :func:`featurekit.read_corpus`): listing walks the file
record by record, reading each record's metadata and seeking over its audio
(about a kilobyte read per note), checks the framing and the length CRCs,
and gives each note the same columns as the jsonwav layout.  Its ``path`` is a reference
``/abs/nsynth-test.tfrecord#<byte offset>`` that
:func:`featurekit.audio.read_clip` resolves with :func:`record_samples`, so
extraction reads each note's samples straight from the record, in any
worker, and resumes like any other corpus.
"""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path

import numpy as np

from .errors import AudioError, ConfigError, CorpusError

#: File endings read as TFRecord files (``.tfrecord``, ``.tfrecords``, ``.tfrecord-00000-of-00004``).
TFRECORD_RE = re.compile(r"\.tfrecords?(-\d+-of-\d+)?$")

#: Separator between a TFRecord file and a record's byte offset in a note's ``path``.
REF_SEP = "#"

_MASK_DELTA = 0xA282EAD8


# --- CRC-32C -----------------------------------------------------------------
def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = None


def _crc32c_python(data) -> int:
    global _TABLE
    if _TABLE is None:
        _TABLE = _crc_table()
    table, crc = _TABLE, 0xFFFFFFFF
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def crc32c(data) -> int:
    """CRC-32C (Castagnoli) of ``data`` (the ``crc32c`` package when installed)."""
    try:
        from crc32c import crc32c as fast
    except ImportError:
        return _crc32c_python(data)
    return fast(bytes(data) if isinstance(data, memoryview) else data)


def masked_crc(data) -> int:
    """TFRecord's masked CRC-32C: ``rotate_right(crc, 15) + 0xa282ead8``."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


# --- framing -----------------------------------------------------------------
def _read_length(fh, offset: int, where: str):
    """Read the 12-byte record header at ``offset`` (the file position): the data length.

    ``None`` at end of file.

    Raises
    ------
    CorpusError
        A truncated header, or a length that fails its CRC (framing is lost).
    """
    head = fh.read(12)
    if not head:
        return None
    if len(head) < 12:
        raise CorpusError(f"{where}: truncated record header at byte {offset}")
    length, length_crc = struct.unpack("<QI", head)
    if masked_crc(head[:8]) != length_crc:
        raise CorpusError(f"{where}: corrupt record length at byte {offset} (CRC mismatch)")
    return length


def _read_record(fh, offset: int, where: str):
    """Read the record at ``offset``: (data or None, next offset, error or None).

    ``None`` at end of file.  A data CRC mismatch gives data ``None`` and the
    error; the framing stays intact, so reading can go on.

    Raises
    ------
    CorpusError
        Truncated header or data, or a corrupt length (framing is lost).
    """
    length = _read_length(fh, offset, where)
    if length is None:
        return None
    data = fh.read(length)
    tail = fh.read(4)
    if len(data) < length or len(tail) < 4:
        raise CorpusError(f"{where}: truncated record at byte {offset} "
                          f"(declares {length} bytes, file ends first)")
    nxt = offset + 16 + length
    if masked_crc(data) != struct.unpack("<I", tail)[0]:
        return None, nxt, f"corrupt record data at byte {offset} (CRC mismatch)"
    return data, nxt, None


def _records(path):
    """Yield (offset, data or None, error or None) for every record, streaming."""
    path = Path(path)
    with open(path, "rb") as fh:
        offset = 0
        while True:
            got = _read_record(fh, offset, str(path))
            if got is None:
                return
            data, nxt, error = got
            yield offset, data, error
            offset = nxt


#: Map entries larger than this are skipped unread when only metadata is wanted.
SKIP_BYTES = 16384


def _file_varint(fh):
    result = shift = 0
    while True:
        b = fh.read(1)
        if not b:
            raise ValueError("truncated varint")
        result |= (b[0] & 0x7F) << shift
        if not b[0] & 0x80:
            return result
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")


def _metadata_bytes(fh, start: int, length: int, skip) -> bytes:
    """The record's Example with the ``skip`` features left out, read from ``fh``.

    Walks Example -> Features -> map entries on the file; an entry larger
    than :data:`SKIP_BYTES` whose key is in ``skip`` (the 64,000 audio
    samples) is seeked over, so listing reads about a kilobyte per note.
    Returns a serialized Example holding the other entries.
    """
    end = start + length
    fh.seek(start)
    kept = []
    while fh.tell() < end:
        key = _file_varint(fh)
        size = _file_varint(fh) if key & 7 == 2 else None
        if size is None:
            raise ValueError("unexpected field in tf.train.Example")
        if key >> 3 != 1:  # not Example.features: skip it
            fh.seek(size, 1)
            continue
        features_end = fh.tell() + size
        while fh.tell() < features_end:
            ekey = _file_varint(fh)
            esize = _file_varint(fh)
            if ekey != (1 << 3 | 2):
                fh.seek(esize, 1)
                continue
            entry_start = fh.tell()
            if esize > SKIP_BYTES:
                head = fh.read(min(esize, 256))
                name = next((bytes(v) for f, w, v in _fields_prefix(head) if f == 1 and w == 2), None)
                if name is not None and name.decode("utf-8", "replace") in skip:
                    fh.seek(entry_start + esize)
                    continue
                fh.seek(entry_start)
            kept.append(_delimited(1, fh.read(esize)))
        if fh.tell() != features_end:
            raise ValueError("map entry runs past the Features message")
    if fh.tell() != end:
        raise ValueError("field runs past the record")
    return _delimited(1, b"".join(kept))


def _fields_prefix(buf):
    """Like :func:`_fields` on a message prefix: stops at the first field cut off."""
    try:
        yield from _fields(memoryview(buf))
    except ValueError:
        return


def _headers(path, skip):
    """Yield (offset, metadata Example bytes or None, error or None) per record.

    Checks the framing and each length's CRC, not the data's (the data CRC
    is checked when the note's audio is read, :func:`record_samples`).
    """
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        offset = 0
        while offset < size:
            fh.seek(offset)
            length = _read_length(fh, offset, str(path))  # not None: offset < size
            nxt = offset + 16 + length
            if nxt > size:
                raise CorpusError(f"{path}: truncated record at byte {offset} "
                                  f"(declares {length} bytes, file ends first)")
            try:
                yield offset, _metadata_bytes(fh, offset + 12, length, skip), None
            except ValueError as exc:
                yield offset, None, f"malformed record at byte {offset} ({exc})"
            offset = nxt


def iter_records(path):
    """Yield ``(byte offset, data)`` for each record of a TFRecord file, streaming.

    Raises
    ------
    CorpusError
        A truncated file, a corrupt record length, or a record whose data
        fails its CRC.
    """
    for offset, data, error in _records(path):
        if error:
            raise CorpusError(f"{path}: {error}")
        yield offset, data


def write_tfrecord(path, records) -> Path:
    """Write ``records`` (iterable of bytes) as a TFRecord file, atomically.

    Returns
    -------
    Path
    """
    from .fileio import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        for data in records:
            head = struct.pack("<Q", len(data))
            fh.write(head + struct.pack("<I", masked_crc(head)))
            fh.write(data)
            fh.write(struct.pack("<I", masked_crc(data)))
    return path


# --- protobuf: tf.train.Example ---------------------------------------------
def _varint(buf, pos):
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")


def _fields(buf):
    """Yield (field number, wire type, value) of a message; value is an int
    (varint, fixed) or a memoryview (length-delimited)."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos : pos + 8], pos + 8
        elif wire == 2:
            size, pos = _varint(buf, pos)
            if pos + size > end:
                raise ValueError("length-delimited field runs past the message")
            value, pos = buf[pos : pos + size], pos + size
        elif wire == 5:
            value, pos = buf[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if pos > end:
            raise ValueError("field runs past the message")
        yield field, wire, value


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _parse_feature(buf):
    """One ``Feature``: list of bytes, float32 ndarray or list of int."""
    for field, wire, value in _fields(buf):
        if wire != 2:
            continue
        if field == 1:  # BytesList
            return [bytes(v) for f, w, v in _fields(value) if f == 1 and w == 2]
        if field == 2:  # FloatList: packed (wire 2) and/or unpacked (wire 5)
            parts = [np.frombuffer(v, dtype="<f4") for f, w, v in _fields(value) if f == 1]
            return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)
        if field == 3:  # Int64List: packed (wire 2) and/or unpacked (wire 0)
            out = []
            for f, w, v in _fields(value):
                if f != 1:
                    continue
                if w == 0:
                    out.append(_signed(v))
                elif len(v) and max(v) < 0x80:  # every value fits one byte (flags, small ints)
                    out.extend(v)
                else:
                    pos = 0
                    while pos < len(v):
                        n, pos = _varint(v, pos)
                        out.append(_signed(n))
            return out
    return []


def parse_example(data, skip=()) -> dict:
    """Decode a serialized ``tf.train.Example``.

    Parameters
    ----------
    data : bytes or memoryview
    skip : collection of str
        Feature names left undecoded (absent from the result), e.g.
        ``{"audio"}`` when only the metadata is wanted.

    Returns
    -------
    dict
        ``{name: value}`` with value a list of bytes (``bytes_list``), a
        float32 ndarray (``float_list``) or a list of int (``int64_list``).

    Raises
    ------
    ValueError
        Malformed protobuf.
    """
    buf = memoryview(data)
    out = {}
    for field, wire, features in _fields(buf):
        if field != 1 or wire != 2:
            continue
        for f, w, entry in _fields(features):
            if f != 1 or w != 2:
                continue
            key, value = None, None
            for ef, ew, ev in _fields(entry):
                if ef == 1 and ew == 2:
                    key = bytes(ev).decode("utf-8")
                elif ef == 2 and ew == 2:
                    value = ev
            if key is not None and key not in skip:
                out[key] = _parse_feature(value) if value is not None else []
    return out


def _key(field, wire):
    return _enc_varint(field << 3 | wire)


def _enc_varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _delimited(field, payload: bytes) -> bytes:
    return _key(field, 2) + _enc_varint(len(payload)) + payload


def _encode_feature(value, packed: bool) -> bytes:
    if isinstance(value, (str, bytes)):
        value = [value]
    if isinstance(value, (int, np.integer)):
        value = [int(value)]
    if isinstance(value, (float, np.floating)):
        value = np.asarray([value], np.float32)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        arr = value.astype("<f4").ravel()
        body = (_delimited(1, arr.tobytes()) if packed
                else b"".join(_key(1, 5) + struct.pack("<f", v) for v in arr))
        return _delimited(2, body)
    value = list(value)
    if all(isinstance(v, (str, bytes)) for v in value):
        body = b"".join(_delimited(1, v.encode("utf-8") if isinstance(v, str) else v) for v in value)
        return _delimited(1, body)
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        if packed:
            body = _delimited(1, b"".join(_enc_varint(int(v)) for v in value)) if value else b""
        else:
            body = b"".join(_key(1, 0) + _enc_varint(int(v)) for v in value)
        return _delimited(3, body)
    if all(isinstance(v, (float, np.floating)) for v in value):
        return _encode_feature(np.asarray(value, np.float32), packed)
    raise TypeError(f"cannot encode {value!r:.60} as a tf.train.Feature")


def encode_example(features: dict, *, packed: bool = True) -> bytes:
    """Serialize ``{name: value}`` as a ``tf.train.Example``.

    Values: ``str``/``bytes`` or a list of them (``bytes_list``); ``int`` or a
    list of int (``int64_list``); a float ndarray, float or list of float
    (``float_list``).  ``packed=False`` writes repeated numbers unpacked
    (as older writers did), to test readers.
    """
    entries = b"".join(
        _delimited(1, _delimited(1, name.encode("utf-8")) + _delimited(2, _encode_feature(v, packed)))
        for name, v in features.items())
    return _delimited(1, entries)


# --- NSynth corpora ------------------------------------------------------------
#: Metadata of an NSynth Example: (field, kind) with kind "int", "str", "ints", "strs".
NSYNTH_FIELDS = [
    ("note_str", "str"), ("instrument", "int"), ("instrument_str", "str"),
    ("instrument_family", "int"), ("instrument_family_str", "str"),
    ("instrument_source", "int"), ("instrument_source_str", "str"),
    ("pitch", "int"), ("velocity", "int"), ("qualities", "ints"), ("qualities_str", "strs"),
]


def is_tfrecord(path) -> bool:
    """True for a file name ending like a TFRecord (``x.tfrecord``, ``x.tfrecord-00000-of-00004``)."""
    return bool(TFRECORD_RE.search(Path(path).name))


def tfrecord_files(root) -> list[Path]:
    """The TFRecord files a corpus path stands for (empty: not a TFRecord corpus).

    ``root`` is one TFRecord file, or a folder holding TFRecord files and no
    jsonwav markers (``nsynth-*/`` folders, ``examples.json``, ``audio/``).
    """
    root = Path(root).expanduser()
    if root.is_file():
        return [root] if is_tfrecord(root) else []
    if not root.is_dir():
        return []
    if (root / "examples.json").exists() or (root / "audio").is_dir() or any(
            d.is_dir() for d in root.glob("nsynth-*")):
        return []
    return sorted(p for p in root.iterdir() if p.is_file() and is_tfrecord(p)
                  and not p.name.startswith("."))


def is_tfrecord_corpus(root) -> bool:
    """True when :func:`featurekit.read_corpus` reads ``root`` as NSynth TFRecords."""
    return bool(tfrecord_files(root))


def split_of(path) -> str:
    """NSynth split named in a TFRecord file name (``nsynth-valid.tfrecord`` -> ``valid``)."""
    m = re.search(r"(?:^|[-_.])(train|valid|test)(?:[-_.]|$)", Path(path).name)
    return m.group(1) if m else TFRECORD_RE.sub("", Path(path).name)


def _row(example: dict) -> dict:
    row = {}
    for name, kind in NSYNTH_FIELDS:
        value = example[name]
        if kind == "str":
            row[name] = value[0].decode("utf-8")
        elif kind == "int":
            row[name] = int(value[0])
        elif kind == "ints":
            row[name] = [int(v) for v in value]
        else:
            row[name] = [v.decode("utf-8") for v in value]
    library = example.get("library")
    row["library"] = library[0].decode("utf-8") if library else "nsynth"
    return row


def read_nsynth_tfrecords(root, families=None, sources=None, exclude_sources=None, *,
                          segment_seconds=None, hop_seconds=None):
    """List the notes of NSynth TFRecord files, streaming (one record at a time).

    Parameters
    ----------
    root : path-like
        A TFRecord file or a folder of them (:func:`tfrecord_files`).
    families, sources, exclude_sources : collection of str, optional
        Keep only these families / sources, drop those sources (names
        already validated by :func:`featurekit.read_corpus`).
    segment_seconds, hop_seconds : None
        Refused: each record is one whole note.

    Returns
    -------
    notes : pandas.DataFrame
        One row per record: ``note_id`` (``<file name>/<note_str>``),
        ``split`` (from the file name), the NSynth metadata, ``library``
        (the record's, else ``"nsynth"``) and ``path``
        (``<abs file>#<byte offset>``, see :func:`record_samples`).
    problems : list of (note_id, path, error)
        Malformed records, records lacking NSynth fields, repeated notes.
        (A record whose data fails its CRC becomes a failure when its
        audio is read: listing does not read the audio.)
    base : Path
        The folder (or the file) the corpus was read from.

    Raises
    ------
    CorpusError
        No TFRecord file, no record at all, or a file whose framing is
        broken (truncated, a corrupt length).
    ConfigError
        ``segment_seconds`` or ``hop_seconds`` given.
    """
    import pandas as pd

    check_no_segments(segment_seconds, hop_seconds)

    files = tfrecord_files(root)
    if not files:
        raise CorpusError(f"no TFRecord files in {root}")
    base = Path(root).expanduser().resolve()
    rows, problems, seen, n_records = [], [], set(), 0
    for file in files:
        file = file.resolve()
        split = split_of(file)
        for offset, data, error in _headers(file, skip={"audio"}):
            n_records += 1
            ref = f"{file}{REF_SEP}{offset}"
            where = f"{file.name}{REF_SEP}{offset}"
            if error:
                problems.append((where, ref, error))
                continue
            try:
                row = _row(parse_example(data, skip={"audio"}))
            except (KeyError, IndexError, ValueError, UnicodeDecodeError) as exc:
                reason = f"missing field {exc}" if isinstance(exc, (KeyError, IndexError)) else str(exc)
                problems.append((where, ref, f"not an NSynth Example ({reason})"))
                continue
            note_id = f"{file.name}/{row['note_str']}"
            if note_id in seen:
                problems.append((where, ref, f"note {row['note_str']!r} appears twice in {file.name}"))
                continue
            if families is not None and row["instrument_family_str"] not in families:
                continue
            if sources is not None and row["instrument_source_str"] not in sources:
                continue
            if exclude_sources and row["instrument_source_str"] in exclude_sources:
                continue
            seen.add(note_id)
            rows.append({"note_id": note_id, "split": split, **row, "path": ref})
    if not n_records:
        raise CorpusError(f"no records in {root}")
    return pd.DataFrame(rows), problems, base


def check_no_segments(segment_seconds, hop_seconds):
    """TFRecord notes are whole clips: windows are refused with a clear message."""
    if segment_seconds is not None or hop_seconds is not None:
        raise ConfigError("segment_seconds/hop_seconds do not apply to NSynth TFRecords "
                          "(each record is one 4-s note)")


def is_record_path(path) -> bool:
    """True for a record reference ``<file>.tfrecord#<offset>`` (not an existing file)."""
    path = os.fspath(path)
    head, sep, tail = path.rpartition(REF_SEP)
    return bool(sep) and tail.isdigit() and is_tfrecord(head) and not os.path.exists(path)


def record_samples(path):
    """Audio of the note a record reference points to.

    Parameters
    ----------
    path : str
        ``<file>.tfrecord#<byte offset>`` (the ``path`` column of a TFRecord
        corpus).

    Returns
    -------
    (samples, sample_rate) : (ndarray (n, 1) float32, int), or None
        ``None`` when ``path`` is not a record reference (a plain file).

    Raises
    ------
    AudioError
        Missing file, a record that fails its CRC or holds no ``audio``.
    """
    path = os.fspath(path)
    if not is_record_path(path):
        return None
    file, _, offset = path.rpartition(REF_SEP)
    if not os.path.exists(file):
        raise AudioError("file not found")
    try:
        with open(file, "rb") as fh:
            fh.seek(int(offset))
            got = _read_record(fh, int(offset), file)
        if got is None:
            raise ValueError(f"no record at byte {offset}")
        if got[2]:
            raise ValueError(got[2])
        example = parse_example(got[0])
    except (CorpusError, ValueError) as exc:
        raise AudioError(f"unreadable TFRecord record: {exc}") from None
    audio = example.get("audio")
    if not isinstance(audio, np.ndarray) or audio.size == 0:
        raise AudioError("TFRecord record holds no 'audio' float list")
    rate = example.get("sample_rate") or [16000]
    return audio.reshape(-1, 1), int(rate[0])
