"""Parallel, streaming, resumable feature extraction.

:func:`extract` lists a corpus, skips the notes an earlier run already wrote,
cuts the rest into chunks and hands each chunk to a joblib worker.  A worker
reads its notes, computes all features from one STFT per note (vectorised
across the chunk), and writes its own Parquet shard (plus a failures shard)
atomically; the driver only collects counts.  Memory therefore stays bounded
by ``n_jobs`` chunks whatever the corpus size, a crash loses only the chunks
in flight, and re-running the same command resumes.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from . import table
from .audio import prefetch, read_clip
from .config import ExtractionConfig
from .corpus import read_corpus
from .segments import check_segment_args
from .distributed import joblib_backend, worker_count
from .errors import AudioError, ConfigError, OutputError
from .fileio import MODEL_META_FILE
from .features.analysis import AnalysisPlan
from .features.engine import BATCH_SIZE, compute_features, feature_names

#: Notes per chunk (one task, one shard): ~0.5 s of work, ~20 MB of audio.
CHUNK_SIZE = 256


@dataclass
class ExtractResult:
    """Summary of an extraction run.

    Attributes
    ----------
    out : Path
        Output directory.
    n_listed : int
        Notes in the corpus after filters.
    n_skipped : int
        Notes already in the table from an earlier run (resumed).
    n_written : int
        Notes whose features this run wrote.
    n_failed_run : int
        Notes this run recorded as failures.
    n_rows, n_failures : int
        Totals in the table after the run.
    seconds : float
        Wall time of this run.
    failures : pandas.DataFrame
        All failures recorded in ``out`` (note_id, path, error).
    """

    out: Path
    n_listed: int = 0
    n_skipped: int = 0
    n_written: int = 0
    n_failed_run: int = 0
    n_rows: int = 0
    n_failures: int = 0
    seconds: float = 0.0
    failures: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=table.FAILURE_COLUMNS))

    @property
    def exit_code(self) -> int:
        """0 when every note is in the table, 3 when some are recorded failures.

        The rule depends on the whole table, not on this run, so re-running a
        finished extraction gives the same code.
        """
        return 3 if self.n_failures else 0

    def summary(self, failures: bool = True) -> str:
        """Human-readable multi-line summary; ``failures=False`` leaves out
        :meth:`failures_summary` (the CLI prints that on stderr)."""
        rate = self.n_written / self.seconds if self.seconds else 0.0
        lines = [
            f"featurekit extract: {self.n_rows} notes in {self.out / table.FEATURES_DIR}",
            f"  this run: {self.n_written} written, {self.n_failed_run} failed, "
            f"{self.n_skipped} already done (resumed), {self.seconds:.1f} s ({rate:.0f} notes/s)",
        ]
        if self.n_failures and failures:
            lines.append(self.failures_summary())
        return "\n".join(lines)

    def failures_summary(self) -> str:
        """The recorded failures (first five) and where the rest are; empty if none."""
        if not self.n_failures:
            return ""
        lines = [f"  {self.n_failures} failures recorded in {self.out / table.FAILURES_DIR}:"]
        for _, row in self.failures.head(5).iterrows():
            lines.append(f"    {row['note_id']}: {row['error']}")
        if self.n_failures > 5:
            lines.append(f"    ... (featurekit.load_failures({str(self.out)!r}) lists all)")
        return "\n".join(lines)


def _read_notes(paths, config: ExtractionConfig, starts=None):
    """Decode clips (windows from ``starts`` s when given); returns
    (ok indices, clips (k, n), padded, notes, {index: error}).

    Clips are written straight into one preallocated (len(paths), n) float32
    array (no list of clips stacked into a second copy)."""
    ok, padded, notes, errors = [], [], [], {}
    y = np.empty((len(paths), config.n_samples), np.float32)
    for i, path in enumerate(paths):
        try:
            clip = read_clip(path, config.sample_rate, config.n_samples,
                             None if starts is None else starts[i], trim_db=config.trim_db,
                             peak_db=config.peak_db)
        except AudioError as exc:
            errors[i] = str(exc)
            continue
        except Exception as exc:  # never let one file stop a run
            errors[i] = f"unexpected {type(exc).__name__}: {exc}".splitlines()[0]
            continue
        y[len(ok)] = clip.samples
        ok.append(i)
        padded.append(clip.padded)
        notes.append("; ".join(clip.notes))
    return ok, y[: len(ok)], padded, notes, errors


def _features_or_errors(y, plan, errors, ok):
    """Features (and frames, or None) of a batch; if the batch fails, fall back note by note.

    Runs with one BLAS thread: workers must not oversubscribe the cores, and a
    fixed thread count keeps results bit-identical however notes are chunked.
    Returns (features, frames or None, kept indices).
    """
    with threadpool_limits(limits=1):
        try:
            return (*compute_features(y, plan, return_frames=True), ok)
        except Exception:
            rows, mats, kept = [], [], []
            for j, i in enumerate(ok):
                try:
                    x, f = compute_features(y[j : j + 1], plan, return_frames=True)
                    rows.append(x[0])
                    mats.append(f)
                    kept.append(i)
                except Exception as exc:
                    errors[i] = f"feature computation failed: {type(exc).__name__}: {exc}".splitlines()[0]
            width = len(feature_names(plan))
            x = np.stack(rows) if rows else np.zeros((0, width), np.float32)
            frames = None
            if plan.config.frames is not None:
                from .frames import frame_shape

                frames = (np.concatenate(mats) if mats
                          else np.zeros((0, *frame_shape(plan.config)), np.float32))
            return x, frames, kept


#: glibc ``mallopt`` settings of worker processes: keep freed blocks of up to
#: 32 MiB (the per-batch STFT temporaries) in the heap instead of unmapping
#: them, so the next batch does not page-fault fresh zeroed memory in.
#: Measured on a worker: kernel time 1.3 -> 0.5 ms per note, same user time.
WORKER_MALLOPT = {-3: 32 << 20,   # M_MMAP_THRESHOLD
                  -1: 256 << 20,  # M_TRIM_THRESHOLD
                  -2: 64 << 20}   # M_TOP_PAD
_allocator_tuned = False


def _tune_worker_allocator() -> None:
    """Apply :data:`WORKER_MALLOPT` once, in a worker process only (never the caller's)."""
    global _allocator_tuned
    if _allocator_tuned:
        return
    _allocator_tuned = True
    import multiprocessing
    import sys

    if sys.platform != "linux" or multiprocessing.current_process().name == "MainProcess":
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        for option, value in WORKER_MALLOPT.items():
            libc.mallopt(option, value)
    except (OSError, AttributeError):  # not glibc: keep the defaults
        pass


def process_chunk(records: pd.DataFrame, plan: AnalysisPlan, out, shard_name: str, manifest: dict):
    """Extract one chunk of notes and write its shards (runs in a worker).

    Parameters
    ----------
    records : pandas.DataFrame or dict of pandas.Series
        Corpus rows (metadata, ``path``, ``note_id``), as a frame or as its
        columns (what :func:`extract` sends: a plain dict travels inline with
        the task, where Dask would scatter a frame to one worker and lose it
        with that worker).
    plan : AnalysisPlan
    out : path-like
        Output directory (shared storage when workers are remote).
    shard_name : str
        File name of the shard(s) this chunk writes.
    manifest : dict
        Stored in each shard's Parquet metadata.

    Returns
    -------
    (int, int)
        Notes written, notes failed.
    """
    _tune_worker_allocator()
    out = Path(out)
    records = pd.DataFrame(records).reset_index(drop=True)
    starts = records["start"].tolist() if "start" in records else None  # segmented corpus
    paths = records["path"].tolist()
    # Decode and compute BATCH_SIZE notes at a time: the clip array (8 MiB)
    # stays below glibc's mmap threshold, so it is reused from the heap
    # instead of page-faulted in fresh for every chunk (a 256-note array is
    # 64 MiB), and a worker never holds a whole chunk of audio.
    ok, padded, notes, errors, xs, mats, kept = [], [], [], {}, [], [], []
    prefetch(paths[:BATCH_SIZE])
    for lo in range(0, len(paths), BATCH_SIZE):
        prefetch(paths[lo + BATCH_SIZE : lo + 2 * BATCH_SIZE])  # read while this batch computes
        b_ok, y, b_padded, b_notes, b_errors = _read_notes(
            paths[lo : lo + BATCH_SIZE], plan.config,
            None if starts is None else starts[lo : lo + BATCH_SIZE])
        b_x, b_frames, b_kept = _features_or_errors(y, plan, b_errors, b_ok)
        ok += [lo + i for i in b_ok]
        padded += b_padded
        notes += b_notes
        errors.update({lo + i: msg for i, msg in b_errors.items()})
        xs.append(b_x)
        mats.append(b_frames)
        kept += [lo + i for i in b_kept]
    x = np.concatenate(xs) if xs else np.zeros((0, len(feature_names(plan))), np.float32)
    frames = None
    if plan.config.frames is not None and mats:
        frames = np.concatenate(mats)
    pos = {i: j for j, i in enumerate(ok)}
    if kept and frames is not None:  # first: the feature shard marks the notes done
        from .frames import write_frames

        write_frames(records["note_id"].iloc[kept], frames, out, shard_name, manifest)
    if kept:
        rows = records.iloc[kept].reset_index(drop=True)
        rows["padded"] = [padded[pos[i]] for i in kept]
        rows["notes"] = [notes[pos[i]] for i in kept]
        table.write_shard(table.feature_shard(rows, x, feature_names(plan)),
                          out / table.FEATURES_DIR / shard_name, manifest)
    if errors:
        fail = pd.DataFrame(
            [(records.at[i, "note_id"], records.at[i, "path"], msg) for i, msg in sorted(errors.items())],
            columns=table.FAILURE_COLUMNS,
        )
        table.write_shard(fail, out / table.FAILURES_DIR / shard_name, manifest)
    return len(kept), len(errors)


def _shard_name(note_ids) -> str:
    """Deterministic, content-addressed shard name for a chunk of notes."""
    digest = hashlib.sha1("\n".join(note_ids).encode()).hexdigest()[:16]
    return f"part-{digest}.parquet"


#: ``extract(trim_db=..., peak_db=...)`` default: keep the config's value.
FROM_CONFIG = "config"


def extract(corpus, out, *, preset: str = "default", config: ExtractionConfig | None = None,
            frames: str | None = None, trim_db=FROM_CONFIG, peak_db=FROM_CONFIG,
            n_jobs: int = -1, families=None, sources=None, exclude_sources=None,
            layout: str = "auto", segment_seconds=None, hop_seconds=None,
            chunk_size: int = CHUNK_SIZE, backend: str | None = None,
            scheduler: str | None = None, progress: bool = True) -> ExtractResult:
    """Extract features of every note of ``corpus`` into a Parquet table at ``out``.

    Parameters
    ----------
    corpus : path-like
        NSynth jsonwav root, one split directory, a folder of NSynth-named
        WAVs, a folder-per-label corpus or a CSV/Parquet manifest (see
        :func:`featurekit.read_corpus`).
    out : path-like
        Output directory (created).  Re-running with the same arguments resumes;
        a different configuration or note selection is an error.
    preset : str
        Feature preset (``mfcc40``, ``default``, ``full``); ignored if ``config`` is given.
    config : ExtractionConfig, optional
        Full control over what is computed.
    frames : {"mfcc", "logmel"}, optional
        Also store one time-frequency matrix per note in ``out/frames/``
        (overrides ``config.frames``; see :mod:`featurekit.frames`).
    trim_db : float or None, optional
        Skip each file's leading audio more than ``trim_db`` dB below its
        loudest 10 ms, so clips start at the note (``None``: read from the
        first sample). Default: ``config.trim_db`` (40 dB). Windows
        (``segment_seconds``) are never trimmed.
    peak_db : float or None, optional
        Scale each clip to a peak of ``peak_db`` dBFS, as NSynth's notes are
        (``None``: keep the level as read). Default: ``config.peak_db``
        (-1.1 dBFS).
    n_jobs : int
        Worker processes; negative counts from the number of cores (-1 = all).
        With ``backend="dask"`` and no scheduler, the workers of the local
        cluster; with a scheduler, ignored (the cluster sets the parallelism).
    families, sources, exclude_sources : list of str, optional
        Note selection by NSynth family / source names.
    layout : {"auto", "nsynth", "folders", "manifest"}
        How to read ``corpus`` (see :mod:`featurekit.layouts`).
    segment_seconds, hop_seconds : float, optional
        Cut each file into windows of ``segment_seconds`` every
        ``hop_seconds`` (default: no overlap), one row per window with
        ``source_path``, ``start``, ``end`` (see :mod:`featurekit.segments`).
        ``segment_seconds`` sets the clip length (``config.duration``).
    chunk_size : int
        Notes per task and per shard.
    backend : str, optional
        joblib backend: ``None`` (joblib's active one, loky processes by
        default), ``"loky"``, ``"threading"``, ``"dask"``, or a registered
        one such as ``"ray"``; see :func:`featurekit.distributed.joblib_backend`.
    scheduler : str, optional
        Dask scheduler address (``"tcp://host:8786"``; implies ``"dask"``).
        Without it, ``"dask"`` starts a local cluster of ``n_jobs`` workers.
        Workers write the shards themselves: ``corpus`` and ``out`` must be
        on storage every worker sees under the same path.
    progress : bool
        Show a progress bar (notes/s and ETA) on stderr.

    Returns
    -------
    ExtractResult
    """
    from joblib import Parallel, delayed

    t0 = time.perf_counter()
    config = config or ExtractionConfig(preset=preset)
    if frames is not None:
        config = replace(config, frames=frames)
    if trim_db != FROM_CONFIG:
        config = replace(config, trim_db=trim_db)
    if peak_db != FROM_CONFIG:
        config = replace(config, peak_db=peak_db)
    if segment_seconds is not None or hop_seconds is not None:
        segment_seconds, hop_seconds = check_segment_args(segment_seconds, hop_seconds)
        config = replace(config, duration=segment_seconds)
    n_jobs = worker_count(n_jobs)
    if chunk_size < 1:
        raise ConfigError(f"chunk_size must be >= 1, got {chunk_size!r}")
    runner = joblib_backend(backend, scheduler, n_workers=n_jobs)
    out = Path(out).expanduser()
    if (out / MODEL_META_FILE).is_file():
        raise OutputError(f"refusing to write a feature table into {out}: it is a featurekit "
                          f"model directory (it holds {MODEL_META_FILE}); choose another output directory")
    # Nothing to do? A finished run left a done record; if the corpus listing
    # and the table's files are unchanged since, answer without listing.
    key = {"config": config.identity(), "corpus": str(Path(corpus).expanduser().resolve()),
           "layout": layout, "families": sorted(families) if families else None,
           "sources": sorted(sources) if sources else None,
           "exclude_sources": sorted(exclude_sources) if exclude_sources else None}
    stamp = _listing_stamp(corpus, segment_seconds is not None)
    record = table.read_done_record(out)
    if stamp is not None and record is not None and record.get("key") == key \
            and record.get("listing") == stamp:
        table.remove_stale_temporaries(out)
        failures = table.load_failures(out)
        return ExtractResult(out=out, n_listed=record["n_listed"], n_skipped=record["n_listed"],
                             n_rows=record["n_rows"], n_failures=len(failures), failures=failures,
                             seconds=time.perf_counter() - t0)
    listing = read_corpus(corpus, families=families, sources=sources,
                          exclude_sources=exclude_sources, layout=layout,
                          segment_seconds=segment_seconds, hop_seconds=hop_seconds)
    plan = AnalysisPlan(config)
    manifest = {
        "config": config.identity(),
        "selection": {
            "corpus": str(listing.root), "layout": listing.layout,
            "families": sorted(families) if families else None,
            "sources": sorted(sources) if sources else None,
            "exclude_sources": sorted(exclude_sources) if exclude_sources else None,
            **({"segment_seconds": segment_seconds, "hop_seconds": hop_seconds}
               if segment_seconds is not None else {}),
        },
        "feature_names": feature_names(plan),
    }
    table.check_manifest(out, manifest)
    table.remove_done_record(out)
    table.write_manifest(out, {**manifest, "featurekit_version": config.to_dict()["featurekit_version"]})
    shard_meta = {"config": config.to_dict(), "selection": manifest["selection"]}

    table.remove_stale_temporaries(out)
    table.recover(out / table.FEATURES_DIR)
    table.recover(out / table.FAILURES_DIR)
    done = table.done_note_ids(out)
    done_set = set(done) if listing.problems else set()
    problems = [p for p in listing.problems if p[0] not in done_set]
    if problems:
        fail = pd.DataFrame(problems, columns=table.FAILURE_COLUMNS)
        table.write_shard(fail, out / table.FAILURES_DIR / _shard_name(fail["note_id"]), shard_meta)
    todo = np.flatnonzero(~listing.isin(done))
    result = ExtractResult(out=out, n_listed=len(listing), n_skipped=len(listing) - len(todo),
                           n_failed_run=len(problems))
    del done, done_set
    n_chunks = -(-len(todo) // chunk_size)
    # Workers may run on other machines: give them absolute paths (corpus readers
    # resolve record paths) and plain data (see process_chunk).  Chunks are cut
    # lazily, as the pool asks for tasks: only ~2 * n_jobs exist at a time.
    shared_out = out.absolute()

    def tasks():
        for lo in range(0, len(todo), chunk_size):
            c = listing.take(todo[lo : lo + chunk_size])
            yield delayed(process_chunk)(c.to_dict("series"), plan, shared_out,
                                         _shard_name(c["note_id"]), shard_meta)

    bar = _progress(len(todo), progress)
    try:
        if n_chunks:
            with runner:
                parallel = Parallel(n_jobs=min(n_jobs, n_chunks),
                                    return_as="generator_unordered", pre_dispatch="2*n_jobs")
                for written, failed in parallel(tasks()):
                    result.n_written += written
                    result.n_failed_run += failed
                    bar.update(written + failed)
                    if result.n_failed_run:
                        bar.set_postfix(failed=result.n_failed_run, refresh=False)
    finally:
        bar.close()
    del listing, todo
    # One run, one table: merge the chunks' shards into a few large files
    # (frames shards keep the feature shards' names, so a table with frames stays as written).
    if config.frames is None:
        table.compact(out / table.FEATURES_DIR)
    table.compact(out / table.FAILURES_DIR)
    result.failures = table.load_failures(out)
    result.n_failures = len(result.failures)
    result.n_rows = table.count_rows(out)
    if stamp is not None:
        table.write_done_record(out, {"key": key, "listing": stamp, "n_listed": result.n_listed,
                                      "n_rows": result.n_rows, "n_failures": result.n_failures})
    result.seconds = time.perf_counter() - t0
    return result


def _listing_stamp(corpus, segmented: bool) -> list | None:
    """(path, mtime_ns, size) of everything an NSynth listing of ``corpus`` reads, or None.

    An NSynth corpus is listed from its ``examples.json`` files, so their
    stamps (and those of the split and audio directories, which change when
    a file is added, removed or renamed) tell whether a listing would differ
    from the last one.  Other layouts and segmented runs: None (always list).
    """
    if segmented:
        return None
    try:
        root = Path(corpus).expanduser().resolve()
        if not root.is_dir():
            return None
        splits = sorted(d for d in root.glob("nsynth-*") if d.is_dir())
        if not splits and (root / "examples.json").is_file():
            splits = [root]
        if not splits:
            return None
        paths = [root] + [p for d in splits for p in (d, d / "examples.json", d / "audio")]
        return [[str(p), st.st_mtime_ns, st.st_size]
                for p, st in ((p, p.stat()) for p in paths if p.exists())]
    except OSError:
        return None


def _progress(total, enabled):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="note", disable=not enabled or total == 0,
                desc="extracting", smoothing=0.1, dynamic_ncols=True)


def extract_files(paths, config: ExtractionConfig, n_jobs: int = 1, starts=None):
    """Features of individual audio files, computed exactly as :func:`extract` does.

    Parameters
    ----------
    paths : list of path-like
    config : ExtractionConfig
    n_jobs : int
        Worker processes (1 computes in this process).
    starts : list of float, optional
        Per path, the start (s) of the window of ``config.duration`` to
        analyse (as a segmented extraction does); default: each file's start.

    Returns
    -------
    features : pandas.DataFrame
        Column ``path`` (and ``start`` when ``starts`` is given) then the
        feature columns, one row per readable file, in input order; when
        ``config.frames`` is set, a last column ``frames`` holds each file's
        (F, T) matrix (see :mod:`featurekit.frames`).
    failures : pandas.DataFrame
        ``path, error`` for files that could not be read.
    """
    from joblib import Parallel, delayed

    paths = [str(p) for p in paths]
    starts = None if starts is None else [float(s) for s in starts]
    plan = AnalysisPlan(config)
    names = feature_names(plan)
    chunks = [(i, paths[i : i + CHUNK_SIZE], None if starts is None else starts[i : i + CHUNK_SIZE])
              for i in range(0, len(paths), CHUNK_SIZE)]

    def run(offset, chunk, chunk_starts):
        ok, y, _, _, errors = _read_notes(chunk, config, chunk_starts)
        x, frames, kept = _features_or_errors(y, plan, errors, ok)
        return [offset + i for i in kept], x, [(chunk[i], e) for i, e in sorted(errors.items())], frames

    results = Parallel(n_jobs=worker_count(n_jobs))(delayed(run)(*c) for c in chunks)
    kept = [i for r in results for i in r[0]]
    x = np.concatenate([r[1] for r in results]) if results else np.zeros((0, len(names)), np.float32)
    meta = pd.DataFrame({"path": [paths[i] for i in kept]})
    if starts is not None:
        meta["start"] = np.array([starts[i] for i in kept], dtype=np.float64)
    features = pd.concat([meta, pd.DataFrame(x, columns=names)], axis=1)
    if config.frames is not None:
        from .frames import FRAMES_COLUMN

        features[FRAMES_COLUMN] = [m for r in results for m in r[3]]
    failures = pd.DataFrame([f for r in results for f in r[2]], columns=["path", "error"])
    return features, failures
