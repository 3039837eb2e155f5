"""Look before you run: what a corpus, a feature table or a model holds.

:func:`info` reads only what is cheap to read (listings, Parquet schemas and
a few columns, JSON metadata, the headers of a sample of audio files) and
returns a plain, JSON-serialisable dict; :func:`format_info` renders it as
text.  ``featurekit info PATH [--format json]`` prints either.

(The module is ``featurekit.summary``, not ``featurekit.info``: a submodule
named ``info`` would be bound over the function ``featurekit.info`` whenever
it is imported.)
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from .errors import CorpusError

#: Audio files whose headers are read to report sample rates.
RATE_SAMPLE = 20

#: Metadata columns counted per value when present.
COUNTED = ("split", "instrument_family_str", "instrument_source_str", "label", "library")


def _counts(series) -> dict:
    return {str(k): int(v) for k, v in series.value_counts().sort_index().items()}


def _kind(path: Path) -> str:
    """``"model"``, ``"table"`` or ``"corpus"``."""
    if path.is_dir() and (path / "model.json").is_file():
        return "model"
    if path.is_dir() and ((path / "featurekit.json").is_file() or (
            path.name == "features" and (path.parent / "featurekit.json").is_file())):
        return "table"
    if path.is_file() and path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        try:
            meta = pq.read_schema(path).metadata or {}
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise CorpusError(f"{path} is not a readable Parquet file ({exc})") from None
        return "table" if b"featurekit" in meta else "corpus"
    return "corpus"


def info(path) -> dict:
    """Summarise a corpus, a feature table or a model directory.

    Parameters
    ----------
    path : path-like
        A corpus (anything :func:`featurekit.read_corpus` reads), an
        extraction output directory (or one of its Parquet files), or a
        model directory written by ``featurekit train``.

    Returns
    -------
    dict
        Always ``kind`` (``"corpus"``, ``"table"``, ``"model"``) and ``path``.
        A corpus adds ``layout``, ``n_notes``, ``n_problems``, ``problems``
        (the first five), ``counts`` (notes per split, family, source, label,
        library where present), ``n_instruments`` and ``sample_rates``
        (rate -> files, from the headers of up to :data:`RATE_SAMPLE` files
        spread over the corpus; ``"missing"`` and ``"unreadable"`` count
        the others).  A table
        adds ``n_rows``, ``n_failures``, ``failures`` (the first five),
        ``n_features``, ``feature_groups`` (group -> columns),
        ``metadata_columns``, ``counts``, ``config`` and ``selection``.  A
        model adds ``model_kind``, ``target``, ``labels``, ``n_features``,
        ``feature_groups``, ``config``, ``split``, ``metrics`` (accuracy,
        balanced accuracy, macro-F1, test rows), ``n_train_instruments``,
        ``featurekit_version``.

    Raises
    ------
    CorpusError
        ``path`` does not exist or is none of the three.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise CorpusError(f"no such file or directory: {path}")
    kind = _kind(path)
    summary = {"model": _model_info, "table": _table_info, "corpus": _corpus_info}[kind](path)
    return {"kind": kind, "path": str(path), **summary}


def _groups(columns) -> dict:
    from .features import is_feature_column, parse_column

    return dict(Counter(parse_column(c).group for c in columns if is_feature_column(c)))


# --- corpus ----------------------------------------------------------------------
def _rate(path: str):
    """Sample rate (Hz) of one note's audio, ``"missing"`` or ``"unreadable"``."""
    import os

    import soundfile as sf

    from .tfrecord import record_samples

    try:
        stored = record_samples(path)
        if stored is not None:
            return stored[1]
        if not os.path.exists(path):
            return "missing"
        return int(sf.info(path).samplerate)
    except Exception:  # libsndfile refused it: try PyAV's stream header
        pass
    from .decode import pyav_available

    if not pyav_available():
        return "unreadable"
    try:
        import av

        with av.open(path) as container:
            return int(container.streams.audio[0].codec_context.sample_rate)
    except Exception:  # FFmpeg raises many types; the file is simply unreadable
        return "unreadable"


def _corpus_info(path: Path) -> dict:
    from .corpus import read_corpus

    corpus = read_corpus(path)
    notes = corpus.notes
    counts = {c: _counts(notes[c]) for c in COUNTED if c in notes.columns and notes[c].notna().any()}
    paths = notes["path"].drop_duplicates().tolist()
    step = max(1, len(paths) // RATE_SAMPLE)
    rates = Counter()
    for p in paths[::step][:RATE_SAMPLE]:
        rates[str(_rate(p))] += 1
    instruments = "instrument_str" if "instrument_str" in notes.columns else "group"
    return {
        "layout": corpus.layout,
        "root": str(corpus.root),
        "n_notes": int(len(notes)),
        "n_problems": len(corpus.problems),
        "problems": [{"note_id": n, "error": e} for n, _, e in corpus.problems[:5]],
        "counts": counts,
        "n_instruments": int(notes[instruments].nunique()) if instruments in notes.columns else None,
        "sample_rates": dict(rates),
        "n_rate_sampled": int(sum(rates.values())),
    }


# --- feature table ----------------------------------------------------------------
def _table_info(path: Path) -> dict:
    import pyarrow.parquet as pq

    from .table import load_failures, load_features, read_manifest, table_dir

    if path.is_file():
        schema = pq.read_schema(path)
        meta = json.loads((schema.metadata or {})[b"featurekit"])
        manifest = {"config": meta.get("config"), "selection": meta.get("selection")}
        failures = None
    else:
        out = table_dir(path)
        manifest = read_manifest(out) or {}
        shards = sorted((out / "features").glob("part-*.parquet"))
        if not shards:
            raise CorpusError(f"no feature shards in {out / 'features'}; run `featurekit extract` first")
        schema = pq.read_schema(shards[0])
        failures = load_failures(out)
        path = out
    columns = schema.names
    wanted = ["note_id", *[c for c in COUNTED if c in columns]]
    meta_df = load_features(path, columns=[c for c in wanted if c in columns])
    features = [c for c in columns if "__" in c]
    return {
        "n_rows": int(len(meta_df)),
        "n_failures": None if failures is None else int(len(failures)),
        "failures": [] if failures is None else [
            {"note_id": r.note_id, "error": r.error} for r in failures.head(5).itertuples()],
        "n_features": len(features),
        "feature_groups": _groups(features),
        "metadata_columns": [c for c in columns if "__" not in c],
        "counts": {c: _counts(meta_df[c]) for c in COUNTED if c in meta_df.columns},
        "config": manifest.get("config"),
        "selection": manifest.get("selection"),
    }


# --- model -------------------------------------------------------------------------
def _model_info(path: Path) -> dict:
    try:
        meta = json.loads((path / "model.json").read_text(encoding="utf-8"))
        metrics_file = path / "metrics.json"
        metrics = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.is_file() else {}
    except (OSError, ValueError) as exc:
        raise CorpusError(f"{path} holds an unreadable model.json/metrics.json ({exc})") from None
    columns = meta.get("feature_columns") or []
    return {
        "model_kind": meta.get("kind"),
        "target": meta.get("target"),
        "labels": meta.get("labels"),
        "n_features": len(columns),
        "feature_groups": _groups(columns),
        "config": meta.get("extraction_config"),
        "split": meta.get("split") or metrics.get("split"),
        "metrics": {k: metrics[k] for k in ("n_test", "accuracy", "balanced_accuracy", "macro_f1")
                    if k in metrics},
        "n_train_instruments": len(meta.get("train_instruments") or []) or None,
        "featurekit_version": meta.get("featurekit_version"),
    }


# --- text --------------------------------------------------------------------------
def _line_counts(counts: dict, indent="  ") -> list[str]:
    lines = []
    for name, values in counts.items():
        shown = ", ".join(f"{k} {v}" for k, v in list(values.items())[:12])
        more = f", ... ({len(values)} values)" if len(values) > 12 else ""
        lines.append(f"{indent}{name}: {shown}{more}")
    return lines


def _config_line(config) -> str:
    if not config:
        return "  config: (none stored)"
    keys = ("preset", "sample_rate", "duration", "n_fft", "hop_length", "n_mels", "n_mfcc", "frames",
            "trim_db", "peak_db")
    return "  config: " + ", ".join(f"{k}={config[k]}" for k in keys if config.get(k) is not None)


def format_info(summary: dict) -> str:
    """Human-readable text of an :func:`info` dict (a few lines per section)."""
    kind = summary["kind"]
    lines = [f"{summary['path']}: {kind}"]
    if kind == "corpus":
        lines.append(f"  layout: {summary['layout']}")
        lines.append(f"  notes: {summary['n_notes']}"
                     + (f", instruments: {summary['n_instruments']}" if summary.get("n_instruments") else ""))
        lines.extend(_line_counts(summary["counts"]))
        rates = ", ".join(f"{k} Hz: {v}" if k.isdigit() else f"{k}: {v}"
                          for k, v in summary["sample_rates"].items())
        lines.append(f"  sample rates ({summary['n_rate_sampled']} files read): {rates or '-'}")
        if summary["n_problems"]:
            lines.append(f"  problems while listing: {summary['n_problems']}")
            lines.extend(f"    {p['note_id']}: {p['error']}" for p in summary["problems"])
    elif kind == "table":
        lines.append(f"  rows: {summary['n_rows']}"
                     + ("" if summary["n_failures"] is None else f", failures: {summary['n_failures']}"))
        groups = ", ".join(f"{g} {n}" for g, n in summary["feature_groups"].items())
        lines.append(f"  feature columns: {summary['n_features']} ({groups})")
        lines.append(f"  metadata columns: {', '.join(summary['metadata_columns'])}")
        lines.extend(_line_counts(summary["counts"]))
        lines.append(_config_line(summary["config"]))
        if summary.get("selection"):
            sel = {k: v for k, v in summary["selection"].items() if v is not None}
            lines.append("  selection: " + ", ".join(f"{k}={v}" for k, v in sel.items()))
        lines.extend(f"    failed {f['note_id']}: {f['error']}" for f in summary["failures"])
    else:
        labels = summary.get("labels") or []
        lines.append(f"  model: {summary['model_kind']}, target {summary['target']} "
                     f"({len(labels)} labels: {', '.join(map(str, labels[:11]))}"
                     f"{', ...' if len(labels) > 11 else ''})")
        groups = ", ".join(f"{g} {n}" for g, n in summary["feature_groups"].items())
        lines.append(f"  features: {summary['n_features']} ({groups})")
        lines.append(_config_line(summary["config"]))
        split = summary.get("split") or {}
        if split:
            text = split.get("description") or ", ".join(
                f"{k}={v}" for k, v in split.items() if isinstance(v, (str, int, float)))
            lines.append(f"  split: {text}")
        if summary.get("n_train_instruments"):
            lines.append(f"  trained on {summary['n_train_instruments']} instruments")
        m = summary.get("metrics") or {}
        if m:
            lines.append("  test: " + ", ".join(
                f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in m.items()))
    return "\n".join(lines)
