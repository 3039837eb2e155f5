"""The on-disk feature table: Parquet shards, failures and a manifest.

Layout of an output directory ``DIR``::

    DIR/featurekit.json          what was computed (config, feature names, corpus)
    DIR/features/part-*.parquet  one row per note: metadata + float32 features
    DIR/failures/part-*.parquet  note_id, path, error

Shards are written to a temporary name and renamed, so a crash never leaves a
half-written shard; every shard carries the extraction config in its Parquet
key-value metadata (key ``featurekit``), so a table says how it was made even
when copied alone.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import ConfigError, CorpusError

MANIFEST = "featurekit.json"
FEATURES_DIR = "features"
FAILURES_DIR = "failures"
METADATA_KEY = b"featurekit"

#: Arrow types of the known metadata columns (shards must agree on them).
from .schema import ARROW_TYPES as KNOWN_TYPES, FAILURE_COLUMNS, is_feature_column  # noqa: E402


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

    The data go to a unique temporary file in the same directory, which is
    then renamed over ``path`` (atomic on POSIX and Windows).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = (df if isinstance(df, pa.Table)
             else pa.Table.from_pandas(df, schema=_schema(df), preserve_index=False))
    table = table.replace_schema_metadata({METADATA_KEY: json.dumps(metadata, sort_keys=True)})
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _shards(directory: Path) -> list[Path]:
    return sorted(directory.glob("part-*.parquet")) if directory.is_dir() else []


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
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{MANIFEST}.{uuid.uuid4().hex}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    os.replace(tmp, out / MANIFEST)


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
                "use another --out directory or delete it"
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


def done_note_ids(out) -> set:
    """note_ids already written to ``out`` as features or failures."""
    out = Path(out)
    done = set()
    for shard in _shards(out / FEATURES_DIR) + _shards(out / FAILURES_DIR):
        done.update(pq.read_table(shard, columns=["note_id"]).column(0).to_pylist())
    return done


def _read_dir(directory: Path, columns=None) -> pd.DataFrame | None:
    shards = _shards(directory)
    if not shards:
        return None
    tables = [pq.read_table(s, columns=columns) for s in shards]
    tables = [t for t in tables if t.num_rows] or tables[:1]
    return pa.concat_tables(tables, promote_options="default").to_pandas()


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
        df, meta = table.to_pandas(), table.schema.metadata or {}
    else:
        out = table_dir(path)
        if not out.exists():
            raise CorpusError(f"feature directory not found: {out}")
        df = _read_dir(out / FEATURES_DIR, columns)
        if df is None:
            raise CorpusError(f"no feature shards in {out / FEATURES_DIR}; run `featurekit extract` first")
        first = _shards(out / FEATURES_DIR)[0]
        meta = pq.read_schema(first).metadata or {}
    if "note_id" in df.columns:
        df = df.sort_values("note_id", kind="stable").reset_index(drop=True)
    if METADATA_KEY in meta:
        df.attrs["featurekit"] = json.loads(meta[METADATA_KEY])["config"]
    return df


def load_failures(path) -> pd.DataFrame:
    """The failures recorded in an extraction directory (``note_id, path, error``)."""
    out = table_dir(path)
    df = _read_dir(out / FAILURES_DIR)
    if df is None:
        return pd.DataFrame(columns=FAILURE_COLUMNS)
    return df.sort_values("note_id", kind="stable").reset_index(drop=True)
