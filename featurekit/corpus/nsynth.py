"""NSynth corpora: jsonwav roots, single splits and folders of NSynth-named files.

Layouts
-------
* an NSynth root holding ``nsynth-train/``, ``nsynth-valid/``, ``nsynth-test/``
  (each ``examples.json`` + ``audio/<note_str>.wav``);
* one such split directory;
* a folder of NSynth-named files (``guitar_acoustic_012-060-100.wav``), labels
  parsed from the names.

Audio may be WAV or FLAC (``audio/<note_str>.flac``, as in
``nsynth-test-dev``): a note whose ``.wav`` and ``.flac`` both exist is
recorded as a failure naming both files, never guessed.  Every row carries
``library``: the ``examples.json`` entry's ``library`` field (written by
``featurekit synth``), else :data:`featurekit.schema.DEFAULT_LIBRARY`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import CorpusError
from ..schema import DEFAULT_LIBRARY, NSYNTH_COLUMNS
from .base import (
    LAYOUT_HELP,
    NSYNTH_AUDIO_EXTENSIONS,
    Corpus,
    parse_note_str,
    relative_id,
)

__all__ = ["read_nsynth", "NSYNTH_COLUMNS"]


def _split_name(directory: Path) -> str:
    name = directory.name
    return name[len("nsynth-"):] if name.startswith("nsynth-") else name


def _note_files(folder: Path) -> dict[str, list[str]]:
    """``{stem: [file names]}`` of the NSynth audio (WAV, FLAC) directly in ``folder``."""
    found: dict[str, list[str]] = {}
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return found
    for name in names:
        stem, ext = os.path.splitext(name)
        if ext.lower() in NSYNTH_AUDIO_EXTENSIONS and not name.startswith("."):
            found.setdefault(stem, []).append(name)
    return found


class _AudioNames:
    """Which NSynth audio files a folder holds, for looking notes up by stem.

    Holds a set of the file names (not a dict of lists: 289,205 names in
    one NSynth split); endings in other cases (``.WAV``) are the exception.
    """

    def __init__(self, folder: Path):
        try:
            self.names = set(os.listdir(folder))
        except OSError:
            self.names = set()
        self.other_case: dict[str, list[str]] = {}
        for name in sorted(self.names):
            stem, ext = os.path.splitext(name)
            if ext not in NSYNTH_AUDIO_EXTENSIONS and ext.lower() in NSYNTH_AUDIO_EXTENSIONS \
                    and not name.startswith("."):
                self.other_case.setdefault(stem, []).append(name)

    def get(self, stem: str) -> list[str]:
        """File names of note ``stem`` (sorted, as ``_note_files`` lists them)."""
        found = [n for n in (stem + ext for ext in NSYNTH_AUDIO_EXTENSIONS) if n in self.names]
        if self.other_case:
            found += self.other_case.get(stem, [])
        return sorted(found) if len(found) > 1 else found


def _both_formats(files: list[str]) -> str:
    return (f"both {' and '.join(files)} exist for one note; keep one of them "
            "(featurekit does not guess which)")


def _library(ex: dict) -> str:
    value = ex.get("library")
    if value is None or not str(value).strip():
        return DEFAULT_LIBRARY
    return str(value).strip()


def iter_json_object(path, chunk_chars: int = 1 << 20):
    """Yield the ``(key, value)`` pairs of the JSON object in file ``path``, one at a time.

    NSynth's train ``examples.json`` is 120 MB holding 289,205 entries;
    ``json.load`` would build all of them at once (~800 MB of Python objects).
    This reads ``chunk_chars`` characters at a time and decodes entry by
    entry, so memory holds one chunk and one entry.  A key that occurs twice
    is yielded twice.

    Raises
    ------
    ValueError
        The file is not one JSON object (``json.JSONDecodeError`` is one).
    OSError
        It cannot be read.
    """
    decoder = json.JSONDecoder()
    with open(path, encoding="utf-8") as fh:
        buf, pos, eof = "", 0, False

        def more() -> bool:
            nonlocal buf, pos, eof
            if eof:
                return False
            data = fh.read(chunk_chars)
            eof = not data
            buf, pos = buf[pos:] + data, 0
            return not eof

        def skip_ws() -> None:
            nonlocal pos
            while True:
                while pos < len(buf) and buf[pos] in " \t\n\r":
                    pos += 1
                if pos < len(buf) or not more():
                    return

        def expect(chars: str) -> str:
            skip_ws()
            if pos >= len(buf) or buf[pos] not in chars:
                found = repr(buf[pos]) if pos < len(buf) else "end of file"
                raise ValueError(f"expected {' or '.join(map(repr, chars))}, found {found}")
            return buf[pos]

        def value():
            nonlocal pos
            skip_ws()
            while True:
                try:
                    obj, end = decoder.raw_decode(buf, pos)
                except json.JSONDecodeError:
                    if more():
                        continue
                    raise
                if not eof and isinstance(obj, (int, float)) \
                        and all(c in "0123456789.eE+-" for c in buf[end:]):
                    more()  # the number may go on in the next chunk ("0" of "0.5")
                    continue
                pos = end
                return obj

        more()
        expect("{")
        pos += 1
        if expect('}"') == "}":
            return
        while True:
            key = value()
            expect(":")
            pos += 1
            yield key, value()
            sep = expect(",}")
            pos += 1
            if sep == "}":
                return
            expect('"')


#: Arrow types of a listing as the NSynth reader holds it: repeated strings
#: dictionary-encoded, small integers narrow, no ``path`` (it is
#: ``root/note_id``).  :meth:`Corpus.take` and :attr:`Corpus.notes` give the
#: schema's types (:data:`featurekit.schema.ARROW_TYPES`) back.
_LISTING_TYPES = {
    "note_id": pa.string(), "split": pa.dictionary(pa.int32(), pa.string()),
    "note_str": pa.string(), "library": pa.dictionary(pa.int32(), pa.string()),
    "instrument": pa.int64(), "instrument_str": pa.dictionary(pa.int32(), pa.string()),
    "instrument_family": pa.int16(), "instrument_family_str": pa.dictionary(pa.int32(), pa.string()),
    "instrument_source": pa.int16(), "instrument_source_str": pa.dictionary(pa.int32(), pa.string()),
    "pitch": pa.int16(), "velocity": pa.int16(), "qualities": pa.list_(pa.int8()),
    "qualities_str": pa.list_(pa.string()),
}
_LISTING_COLUMNS = [c for c in NSYNTH_COLUMNS if c != "path"]
_BATCH_ROWS = 8192


def _check_ranges(row: dict) -> None:
    """Raise ValueError if an integer of ``row`` does not fit its :data:`_LISTING_TYPES` type."""
    for name in ("instrument", "instrument_family", "instrument_source", "pitch", "velocity"):
        bits = _LISTING_TYPES[name].bit_width
        if not -(1 << (bits - 1)) <= row[name] < 1 << (bits - 1):
            raise ValueError(f"{name} {row[name]} is out of range")
    if any(not -128 <= q < 128 for q in row["qualities"]):
        raise ValueError(f"a quality in {row['qualities']} is out of range")


class _Rows:
    """Rows appended one by one, kept as Arrow record batches of :data:`_BATCH_ROWS`."""

    def __init__(self):
        self.batches: list = []
        self.cols: dict = {c: [] for c in _LISTING_COLUMNS}

    def append(self, row: dict) -> None:
        for c, values in self.cols.items():
            values.append(row[c])
        if len(self.cols["note_id"]) >= _BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.cols["note_id"]:
            arrays = []
            for c in _LISTING_COLUMNS:
                typ = _LISTING_TYPES[c]
                if pa.types.is_dictionary(typ):
                    arrays.append(pa.array(self.cols[c], pa.string()).dictionary_encode())
                else:
                    arrays.append(pa.array(self.cols[c], typ))
            self.batches.append(pa.RecordBatch.from_arrays(arrays, names=_LISTING_COLUMNS))
            self.cols = {c: [] for c in _LISTING_COLUMNS}

    def table(self) -> pa.Table:
        self.flush()
        schema = pa.schema([(c, _LISTING_TYPES[c]) for c in _LISTING_COLUMNS])
        if not self.batches:
            return schema.empty_table()
        return pa.Table.from_batches(self.batches, schema=schema).unify_dictionaries()


def _read_examples(split_dir: Path, root: Path, problems: list) -> pa.Table:
    """The rows of one NSynth split directory (``examples.json`` + ``audio/``)."""
    split = _split_name(split_dir)
    audio = split_dir / "audio"
    meta_path = split_dir / "examples.json"
    files = _AudioNames(audio)
    prefix = relative_id(audio, root) + "/"  # note_id = prefix + file name (relative_id, fast)
    first = len(problems)
    rows = _Rows()
    try:
        entries = iter_json_object(meta_path)
        for key, ex in entries:
            present = files.get(key)
            name = present[0] if len(present) == 1 else f"{key}.wav"
            if len(present) > 1:
                path = audio / name
                problems.append((relative_id(path, root), str(path), _both_formats(present)))
                continue
            try:
                row = {
                    "note_str": str(ex.get("note_str", key)),
                    "library": _library(ex),
                    "instrument": int(ex["instrument"]),
                    "instrument_str": str(ex["instrument_str"]),
                    "instrument_family": int(ex["instrument_family"]),
                    "instrument_family_str": str(ex["instrument_family_str"]),
                    "instrument_source": int(ex["instrument_source"]),
                    "instrument_source_str": str(ex["instrument_source_str"]),
                    "pitch": int(ex["pitch"]),
                    "velocity": int(ex["velocity"]),
                    "qualities": [int(q) for q in ex.get("qualities", [])],
                    "qualities_str": [str(q) for q in ex.get("qualities_str", [])],
                }
                _check_ranges(row)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                path = audio / name
                problems.append((relative_id(path, root), str(path),
                                 f"bad examples.json entry {key!r}: {type(exc).__name__} {exc}"))
                continue
            row["note_id"] = prefix + name
            row["split"] = split
            rows.append(row)
    except (OSError, ValueError) as exc:
        # A malformed file is not read in part: its rows so far are dropped
        # with the problems they raised, and labels come from the file names.
        reason = str(exc).splitlines()[0]
        del problems[first:]
        problems.append((relative_id(meta_path, root), str(meta_path),
                         f"malformed examples.json ({reason}); labels taken from file names"))
        rows = _Rows()
        for row in _read_named_files(audio, root, split, problems, recursive=True):
            rows.append(row)
    return rows.table()


def _read_named_files(folder: Path, root: Path, split: str, problems: list,
                      recursive: bool) -> list[dict]:
    """Rows for NSynth-named WAV/FLAC files in ``folder`` (labels from names)."""
    if not folder.is_dir():
        return []
    dirs = [Path(d) for d, _, _ in os.walk(folder)] if recursive else [folder]
    rows = []
    for directory in sorted(dirs):
        if any(part.startswith(".") for part in directory.relative_to(folder).parts):
            continue
        for stem, names in sorted(_note_files(directory).items()):
            path = directory / names[0]
            if len(names) > 1:
                problems.append((relative_id(path, root), str(path), _both_formats(names)))
                continue
            try:
                row = parse_note_str(stem)
            except ValueError as exc:
                problems.append((relative_id(path, root), str(path), str(exc)))
                continue
            row.update(library=DEFAULT_LIBRARY, note_id=relative_id(path, root), split=split,
                       path=str(path))
            rows.append(row)
    return rows


def read_nsynth(root, families=None, sources=None, excluded=()) -> Corpus:
    """Rows of the NSynth layouts (root, one split, NSynth-named files).

    Parameters
    ----------
    root : path-like
    families, sources : set of str, optional
        Keep only these families / sources (already validated).
    excluded : set of str
        Drop these sources.

    Returns
    -------
    Corpus
        Rows :data:`~featurekit.schema.NSYNTH_COLUMNS`; layout ``"nsynth"``,
        ``"nsynth-split"`` or ``"nsynth-wavs"`` (named files, WAV or FLAC).

    Raises
    ------
    CorpusError
        ``root`` is not a folder, or it holds no notes at all (the message
        lists every layout featurekit reads).
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise CorpusError(f"corpus directory not found: {root}")
    root = root.resolve()
    problems: list = []
    split_dirs = sorted(d for d in root.glob("nsynth-*") if d.is_dir())
    if split_dirs:
        layout = "nsynth"
        tables = [_read_examples(d, root, problems) for d in split_dirs]
    elif (root / "examples.json").exists() or (root / "audio").is_dir():
        layout = "nsynth-split"
        tables = [_read_examples(root, root, problems)]
    else:
        layout = "nsynth-wavs"
        rows = _Rows()
        for row in _read_named_files(root, root, "all", problems, recursive=True):
            rows.append(row)
        tables = [rows.table()]
    notes = pa.concat_tables(tables).unify_dictionaries() if len(tables) > 1 else tables[0]
    del tables
    if notes.num_rows == 0 and not problems:
        raise CorpusError(f"no notes found in {root}: {LAYOUT_HELP}")
    keep = None
    for column, names, inside in (("instrument_family_str", families, True),
                                  ("instrument_source_str", sources, True),
                                  ("instrument_source_str", excluded or None, False)):
        if names is not None:
            hit = pc.is_in(notes.column(column).cast(pa.string()),
                           value_set=pa.array(sorted(names), pa.string()))
            hit = hit if inside else pc.invert(hit)
            keep = hit if keep is None else pc.and_(keep, hit)
    if keep is not None:
        notes = notes.filter(keep)
    # One row per note_id (the first listed), in note_id order: the order a
    # run's chunks and its compacted table follow, whatever the file order.
    order = pc.sort_indices(notes, sort_keys=[("note_id", "ascending")])
    notes = notes.take(order)
    ids = notes.column("note_id")
    if notes.num_rows > 1:
        repeat = pc.equal(ids.slice(1), ids.slice(0, notes.num_rows - 1))
        if pc.any(repeat).as_py():
            notes = notes.filter(pa.concat_arrays([pa.array([True]),
                                                   pc.invert(repeat).combine_chunks()]))
    # The copies made while sorting are free again: give them back to the
    # system now rather than holding them through a whole extraction.
    pa.default_memory_pool().release_unused()
    return Corpus(notes, problems, root, layout)
