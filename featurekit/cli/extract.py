"""``featurekit extract``: corpus -> Parquet feature table."""

from __future__ import annotations

import click

from .. import corpus as corpus_mod
from ..audio import NSYNTH_PEAK_DB
from ..features.catalogue import PRESETS
from ..layouts import LAYOUTS
from .options import JOBS_HELP, cluster_options, jobs_option


def _names(ctx, param, value):
    """Accept repeated options and comma-separated lists alike."""
    if not value:
        return None
    return [v.strip() for item in value for v in item.split(",") if v.strip()]


@click.command("extract")
@click.argument("corpus", type=click.Path(path_type=str))
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False),
              help="Output directory (created; re-run the same command to resume).")
@click.option("--preset", default="default", show_default=True, type=click.Choice(sorted(PRESETS)),
              help="Feature preset: mfcc40 (classic 40 mean MFCCs), default, transfer "
                   "(default + MusiCNN embeddings, for real recordings; needs pip install "
                   "--no-deps musicnn==0.1.0), full.")
@click.option("--frames", type=click.Choice(["mfcc", "logmel"]), default=None, is_flag=False,
              flag_value="mfcc",
              help="Also store one time-frequency matrix per note for `featurekit train cnn`: "
                   "mfcc (20 MFCCs x 20 steps; the default when --frames has no value) or "
                   "logmel (64 mel bands x 64 steps).")
@click.option("--trim-db", type=click.FloatRange(min=0, min_open=True, max=200, max_open=True),
              default=40.0, show_default=True,
              help="Start each clip at its note: skip leading audio more than this many dB "
                   "below the file's loudest 10 ms (recordings that begin with silence).")
@click.option("--no-trim", is_flag=True,
              help="Read every file from its first sample (as tables made before --trim-db).")
@click.option("--peak-db", type=click.FloatRange(min=-120, min_open=True, max=0),
              default=NSYNTH_PEAK_DB, show_default=True,
              help="Scale each clip to this peak level in dBFS, as NSynth's notes are "
                   "(peak-normalised whatever their velocity), so soft notes and quiet "
                   "recordings are analysed at the level models are trained at.")
@click.option("--no-normalise", is_flag=True,
              help="Keep each clip's level as read (as tables made before --peak-db).")
@jobs_option(JOBS_HELP + " With --backend dask: workers of the local cluster "
             "(ignored with --scheduler).")
@click.option("--families", multiple=True, callback=_names,
              help=f"Keep only these families (comma-separated): {', '.join(corpus_mod.FAMILIES)}.")
@click.option("--sources", multiple=True, callback=_names,
              help="Keep only these sources: acoustic, electronic, synthetic.")
@click.option("--exclude-sources", multiple=True, callback=_names,
              help="Drop these sources, e.g. --exclude-sources synthetic.")
@click.option("--layout", default="auto", show_default=True, type=click.Choice(LAYOUTS),
              help="How to read CORPUS: nsynth, folders (CORPUS/<label>/*.wav), "
                   "manifest (CSV/Parquet: path,label[,group][,split]); auto detects.")
@click.option("--segment-seconds", type=float, default=None,
              help="Cut each file into windows of this many seconds: one row per window "
                   "(source_path, start, end); sets the clip length.")
@click.option("--hop-seconds", type=float, default=None,
              help="Seconds between window starts (default: --segment-seconds, no overlap).")
@click.option("--chunk-size", default=256, show_default=True, type=click.IntRange(min=1),
              help="Notes per task and per Parquet shard.")
@cluster_options("Where the work runs (joblib backend)", local="a local cluster of --jobs workers",
                 note="CORPUS and --out must be on storage all workers see at the same paths.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def command(corpus, out, preset, frames, trim_db, no_trim, peak_db, no_normalise, jobs, families,
            sources, exclude_sources, layout, segment_seconds, hop_seconds, chunk_size, backend,
            scheduler, quiet):
    """Extract clip-level features of every note in CORPUS into Parquet.

    CORPUS is an NSynth jsonwav root (nsynth-train/, nsynth-valid/,
    nsynth-test/, each with examples.json and audio/), one such split
    directory, a folder of NSynth-named WAVs (labels from the names), a
    folder per label (CORPUS/<label>/*.wav|flac|ogg, as GTZAN or IRMAS ship),
    or a CSV/Parquet manifest with columns path,label[,group][,split] (paths
    relative to the manifest). Any sample rate, channel count and length.
    With --segment-seconds, long recordings give one row per window; a
    leftover end of at least half a window is padded, a shorter one dropped.

    \b
    Output (DIR = --out):
      DIR/features/part-*.parquet   one row per note: NSynth metadata + features
      DIR/failures/part-*.parquet   notes that could not be read, with the reason
      DIR/frames/part-*.parquet     with --frames: note_id + one (F, T) matrix per note
      DIR/featurekit.json           what was computed (config, feature names)

    Feature columns are named <feature>__<statistic>__<NN>, e.g. mfcc__mean__03.
    Interrupted runs resume: re-run the same command.

    \b
    Exit status: 0 all notes extracted; 3 finished, but some notes are recorded
    failures (listed on stderr; the same on every re-run); 1 bad arguments or
    unusable input; 130 interrupted (Ctrl-C: finished shards are kept, re-run
    to resume).

    \b
    Example:
      featurekit extract ~/nsynth --out feats --exclude-sources synthetic
      featurekit extract ~/IRMAS-TrainingData --out irmas --segment-seconds 3
      featurekit extract /shared/nsynth --out /shared/feats --scheduler tcp://head:8786
    """
    from ..extraction import extract

    result = extract(corpus, out, preset=preset, frames=frames,
                     trim_db=None if no_trim else trim_db,
                     peak_db=None if no_normalise else peak_db, n_jobs=jobs, families=families,
                     sources=sources, exclude_sources=exclude_sources, layout=layout,
                     segment_seconds=segment_seconds, hop_seconds=hop_seconds,
                     chunk_size=chunk_size, backend=backend, scheduler=scheduler,
                     progress=not quiet)
    click.echo(result.summary(failures=False))
    if result.n_failures:
        click.echo(result.failures_summary(), err=True)
    raise SystemExit(result.exit_code)
