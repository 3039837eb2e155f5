"""The on-disk feature table: Parquet shards, failures and a manifest.

Layout of an output directory ``DIR``::

    DIR/featurekit.json          what was computed (config, feature names, corpus)
    DIR/features/part-*.parquet  one row per note: metadata + float32 features
    DIR/failures/part-*.parquet  note_id, path, error

Each chunk of a run writes its own small shard (``part-<16 hex>.parquet``);
when a run finishes, :func:`compact` merges them into a few large files
(``part-c<hash>-NNNN.parquet``, row groups of 64k rows), so ``DIR/features`` is
one fast ``read_parquet`` call for pandas, polars and duckdb alike.  Every
row lives in exactly one data file (:func:`data_files`), also after a crash
at any moment.  Files are written to a temporary name and renamed, so a crash
never leaves a half-written file; every shard carries the extraction config in its Parquet
key-value metadata (key ``featurekit``), so a table says how it was made even
when copied alone.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .errors import ConfigError, CorpusError
from .fileio import atomic_path, write_json_atomic

MANIFEST = "featurekit.json"
FEATURES_DIR = "features"
FAILURES_DIR = "failures"
METADATA_KEY = b"featurekit"

#: Arrow types of the known metadata columns (shards must agree on them).
from .schema import ARROW_TYPES as KNOWN_TYPES, FAILURE_COLUMNS, is_feature_column  # noqa: E402


def feature_shard(rows: pd.DataFrame, x: np.ndarray, names: list) -> pa.Table:
    """One shard as an Arrow table: metadata ``rows`` then the float32 features ``x``.

    Parameters
    ----------
    rows : DataFrame, n rows
        Note metadata (corpus columns, ``padded``, ``notes``).
    x : ndarray, shape (n, len(names))
        Feature values (cast to float32).
    names : list of str
        Feature column names.
    """
    meta = pa.Table.from_pandas(rows, schema=_schema(rows), preserve_index=False)
    cols = np.ascontiguousarray(np.asarray(x, dtype=np.float32).T)  # one contiguous row per column
    return pa.Table.from_arrays(meta.columns + [pa.array(c) for c in cols],
                                names=meta.column_names + list(names))


def _schema(df: pd.DataFrame) -> pa.Schema:
    fields = []
    for name, dtype in df.dtypes.items():
        if name in KNOWN_TYPES:
            fields.append(pa.field(name, KNOWN_TYPES[name]))
        elif dtype == np.float32 or is_feature_column(name):
            fields.append(pa.field(name, pa.float32()))
        else:
            fields.append(pa.field(name, pa.Schema.from_pandas(df[[name]], preserve_index=False).field(name).type))
    return pa.schema(fields)


def write_shard(df: pd.DataFrame, path, metadata: dict) -> Path:
    """Write ``df`` (a DataFrame or a pyarrow Table) to ``path`` atomically, with ``metadata`` as JSON.

    The data go to a temporary file in the same directory, which is then
    renamed over ``path`` (:func:`featurekit.fileio.atomic_path`).
    """
    path = Path(path)
    table = (df if isinstance(df, pa.Table)
             else pa.Table.from_pandas(df, schema=_schema(df), preserve_index=False))
    table = table.replace_schema_metadata({METADATA_KEY: json.dumps(metadata, sort_keys=True)})
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, **_write_options(table.schema))
    return path


def _write_options(schema: pa.Schema) -> dict:
    """Parquet options: LZ4, dictionaries and statistics only where they pay.

    Float features are near-incompressible: dictionary-encoding them (pyarrow's
    default) costs ~8x the write and read time for bigger files.  Strings
    (note_id, paths, labels) compress well.  Statistics are kept for
    ``note_id`` (compaction orders shards by them).
    """
    return {"compression": "lz4",
            "use_dictionary": [f.name for f in schema if not pa.types.is_floating(f.type)],
            "write_statistics": [n for n in ("note_id",) if n in schema.names]}


#: A shard one chunk wrote: ``part-<16 hex digits>.parquet``.
SHARD_RE = re.compile(r"^part-[0-9a-f]{16}\.parquet$")
#: The journal of a compaction in progress (``_`` : Parquet readers skip it).
JOURNAL = "_compaction.json"
#: Rows per row group and per file of a compacted table.
COMPACT_ROW_GROUP = 65_536
COMPACT_FILE_ROWS = 262_144


def _journal(directory: Path) -> dict | None:
    p = directory / JOURNAL
    if not p.is_file():
        return None
    try:
        journal = json.loads(p.read_text())
        return {"inputs": list(journal["inputs"]), "outputs": list(journal["outputs"])}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _shards(directory: Path) -> list[Path]:
    """The data files of ``directory``: each note in exactly one of them.

    A compaction that was interrupted is resolved here, without touching
    the disk: once every compacted file exists they replace the shards they
    were made from; otherwise the shards stand and the partial outputs are
    ignored (:func:`recover` then deletes the losers).
    """
    if not directory.is_dir():
        return []
    files = sorted(directory.glob("part-*.parquet"))
    journal = _journal(directory)
    if journal is not None:
        names = {p.name for p in files}
        drop = set(journal["inputs"] if set(journal["outputs"]) <= names else journal["outputs"])
        files = [p for p in files if p.name not in drop]
    return files


def recover(directory) -> None:
    """Finish or undo a compaction of ``directory`` that a crash interrupted.

    Only files the journal names (all written by featurekit) are deleted:
    the inputs when every output exists (the outputs hold their rows), the
    outputs otherwise.
    """
    directory = Path(directory)
    journal = _journal(directory)
    if journal is None:
        (directory / JOURNAL).unlink(missing_ok=True)
        return
    keep = {p.name for p in _shards(directory)}
    for name in journal["inputs"] + journal["outputs"]:
        if name not in keep:
            (directory / name).unlink(missing_ok=True)
    (directory / JOURNAL).unlink(missing_ok=True)


def _unified_schema(schemas) -> pa.Schema:
    schema = pa.unify_schemas(schemas, promote_options="permissive")
    return schema.with_metadata(schemas[0].metadata)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    if table.schema.equals(schema):
        return table
    columns = [table.column(f.name).cast(f.type) if f.name in table.column_names
               else pa.nulls(table.num_rows, f.type) for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


def _first_id(meta: pq.FileMetaData) -> str:
    """Smallest note_id of a shard, from its footer statistics ('' if unknown)."""
    try:
        col = meta.schema.names.index("note_id")
        stats = [meta.row_group(g).column(col).statistics for g in range(meta.num_row_groups)]
        return min(s.min for s in stats if s is not None and s.has_min_max)
    except (ValueError, TypeError):
        return ""


def compact(directory, *, file_rows: int = COMPACT_FILE_ROWS,
            row_group_size: int = COMPACT_ROW_GROUP) -> list[Path]:
    """Merge the small per-chunk shards of ``directory`` into few large files.

    Crash-safe and duplicate-free at every instant for featurekit's readers:
    a journal naming inputs and outputs is written first, then each output
    atomically, then the inputs are deleted and the journal last (see
    :func:`_shards`, :func:`recover`).  Shards are taken in ``note_id``
    order (so a table extracted in one run ends up sorted) and streamed:
    memory holds one row group at a time.

    Returns
    -------
    list of Path
        The compacted files written (empty when there was nothing to merge).
    """
    directory = Path(directory)
    recover(directory)
    small = [p for p in _shards(directory) if SHARD_RE.match(p.name)]
    if len(small) < 2:
        return []
    # Keep only what ordering and grouping need, not every footer (1,195
    # shards of ~230 columns at NSynth scale: memory that grows with the
    # corpus); the shards' schemas are nearly always one and the same.
    info, schemas = [], []
    for p in small:
        m = pq.read_metadata(p)
        info.append((_first_id(m), p.name, m.num_rows, p))
        s = m.schema.to_arrow_schema()
        if not any(s.equals(t, check_metadata=True) for t in schemas):
            schemas.append(s)
        del m
    info.sort(key=lambda t: t[:2])
    small = [t[3] for t in info]
    schema = _unified_schema(schemas)
    groups, rows = [[]], 0  # shards of each output file
    for _, _, num_rows, p in info:
        if rows and rows + num_rows > file_rows:
            groups.append([])
            rows = 0
        groups[-1].append(p)
        rows += num_rows
    digest = hashlib.sha1("\n".join(p.name for p in small).encode()).hexdigest()[:12]
    outputs = [f"part-c{digest}-{k:04d}.parquet" for k in range(len(groups))]
    write_json_atomic(directory / JOURNAL, {"inputs": [p.name for p in small], "outputs": outputs})
    written = []
    for name, group in zip(outputs, groups):
        with atomic_path(directory / name) as tmp:
            with pq.ParquetWriter(tmp, schema, **_write_options(schema)) as writer:
                buffer, n = [], 0
                for p in group:
                    t = _conform(pq.read_table(p, use_threads=False), schema)
                    buffer.append(t)
                    n += t.num_rows
                    if n >= row_group_size:
                        writer.write_table(pa.concat_tables(buffer), row_group_size=row_group_size)
                        buffer, n = [], 0
                if buffer:
                    writer.write_table(pa.concat_tables(buffer), row_group_size=row_group_size)
        written.append(directory / name)
    for p in small:
        p.unlink(missing_ok=True)
    (directory / JOURNAL).unlink(missing_ok=True)
    return written


def data_files(path) -> list[Path]:
    """The Parquet files that make up the table in ``path`` (DIR, DIR/features or DIR/failures).

    Each row is in exactly one of them, also after an interrupted run; the
    same files are what ``pandas.read_parquet(DIR/features)`` and friends read
    once a run has finished.
    """
    path = Path(path).expanduser()
    if path.name in (FEATURES_DIR, FAILURES_DIR) and path.is_dir():
        return _shards(path)
    return _shards(table_dir(path) / FEATURES_DIR)


def table_dir(path) -> Path:
    """The output directory a user means by ``path`` (DIR or DIR/features)."""
    path = Path(path).expanduser()
    if path.name == FEATURES_DIR and (path.parent / MANIFEST).exists():
        return path.parent
    return path


def read_manifest(out) -> dict | None:
    """The manifest of an output directory, or ``None`` if there is none."""
    p = Path(out) / MANIFEST
    if not p.exists():
        return None
    try:
        return json.loads(p.read_text())
    except ValueError as exc:
        raise CorpusError(f"{p} is not valid JSON ({exc})") from None


def write_manifest(out, manifest: dict) -> None:
    write_json_atomic(Path(out) / MANIFEST, manifest)


def check_manifest(out, manifest: dict) -> None:
    """Refuse to mix runs: the stored manifest must equal ``manifest`` (ignoring run details)."""
    old = read_manifest(out)
    if old is None:
        if _shards(Path(out) / FEATURES_DIR) or _shards(Path(out) / FAILURES_DIR):
            raise ConfigError(f"{out} holds feature shards but no {MANIFEST}; use an empty --out")
        return
    for key in ("config", "selection"):
        if old.get(key) != manifest.get(key):
            diff = _describe_diff(old.get(key) or {}, manifest.get(key) or {})
            raise ConfigError(
                f"{out} was extracted with a different {key} ({diff}); "
                "write to another output directory (featurekit never deletes a table)"
            )


def _describe_diff(old: dict, new: dict) -> str:
    keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    return ", ".join(f"{k}: {old.get(k)!r} there vs {new.get(k)!r} now" for k in keys[:4])


def remove_stale_temporaries(out) -> int:
    """Delete half-written shard files left by a killed run; returns how many.

    They never hold a complete shard (a shard only gets its real name once it
    is fully written), so the notes they were for are simply redone.
    """
    stale = [p for p in Path(out).glob("*/.part-*.tmp") if p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)


#: What a finished run leaves so that re-running it answers "nothing to do" at once.
DONE_RECORD = "featurekit-done.json"


def _data_stamp(out: Path) -> dict:
    return {p.relative_to(out).as_posix(): p.stat().st_size
            for p in sorted(out.glob("*/part-*.parquet"))}


def write_done_record(out, record: dict) -> None:
    """Record that a run finished, with the name and size of every data file it left."""
    out = Path(out)
    write_json_atomic(out / DONE_RECORD, {**record, "files": _data_stamp(out)})


def read_done_record(out) -> dict | None:
    """The done record of ``out``, or None when there is none or the data files changed since."""
    out = Path(out)
    p = out / DONE_RECORD
    if not p.is_file() or any(out.glob(f"*/{JOURNAL}")):
        return None
    try:
        record = json.loads(p.read_text())
    except (OSError, ValueError):
        return None
    try:
        return record if isinstance(record, dict) and record.get("files") == _data_stamp(out) else None
    except OSError:
        return None


def remove_done_record(out) -> None:
    """Forget that a run finished (a run that may change the table starts)."""
    (Path(out) / DONE_RECORD).unlink(missing_ok=True)


def count_rows(path) -> int:
    """Rows of the feature table in ``path`` (DIR or DIR/features), from the Parquet footers."""
    return sum(pq.read_metadata(f).num_rows for f in data_files(path))


def done_note_ids(out) -> np.ndarray:
    """note_ids already written to ``out`` as features or failures (sorted, unique, str).

    Reads only the ``note_id`` column of the few compacted files (plus the
    shards of an unfinished run), so it stays cheap at NSynth scale.
    """
    out = Path(out)
    files = _shards(out / FEATURES_DIR) + _shards(out / FAILURES_DIR)
    if not files:
        return np.array([], dtype=object)
    ids = ds.dataset([str(f) for f in files], format="parquet").to_table(
        columns=["note_id"], use_threads=True).column(0)
    return np.unique(ids.to_numpy(zero_copy_only=False).astype(object))


def _read_files(files, columns=None) -> pa.Table | None:
    if not files:
        return None
    schemas = [pq.read_schema(f) for f in files]
    schema = _unified_schema(schemas)
    return ds.dataset([str(f) for f in files], format="parquet", schema=schema).to_table(
        columns=columns, use_threads=True)


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    meta = table.schema.metadata or {}
    df = table.to_pandas(use_threads=True, split_blocks=True, self_destruct=True)
    if "note_id" in df.columns and not df["note_id"].is_monotonic_increasing:
        df = df.sort_values("note_id", kind="stable").reset_index(drop=True)
    if METADATA_KEY in meta:
        df.attrs["featurekit"] = json.loads(meta[METADATA_KEY])["config"]
    return df


def load_features(path, columns=None) -> pd.DataFrame:
    """Load a feature table written by :func:`featurekit.extract`.

    Parameters
    ----------
    path : path-like
        The extraction output directory (or its ``features/`` folder, or a
        single Parquet file).
    columns : list of str, optional
        Read only these columns (Parquet is columnar: this is cheap).

    Returns
    -------
    pandas.DataFrame
        One row per note, sorted by ``note_id``; feature columns are float32.
        ``df.attrs["featurekit"]`` holds the extraction config (a dict).

    Raises
    ------
    CorpusError
        ``path`` is missing or holds no feature shards.
    """
    path = Path(path).expanduser()
    if path.is_file():
        table = pq.read_table(path, columns=columns)
    else:
        out = table_dir(path)
        if not out.exists():
            raise CorpusError(f"feature directory not found: {out}")
        table = _read_files(_shards(out / FEATURES_DIR), columns)
        if table is None:
            raise CorpusError(f"no feature shards in {out / FEATURES_DIR}; run `featurekit extract` first")
    return _to_pandas(table)


def load_failures(path) -> pd.DataFrame:
    """The failures recorded in an extraction directory (``note_id, path, error``)."""
    table = _read_files(_shards(table_dir(path) / FAILURES_DIR))
    if table is None:
        return pd.DataFrame(columns=FAILURE_COLUMNS)
    df = _to_pandas(table)
    df.attrs.pop("featurekit", None)
    return df.reset_index(drop=True)
