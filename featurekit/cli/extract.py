"""``featurekit extract``: corpus -> Parquet feature table."""

from __future__ import annotations

import click

from .. import corpus as corpus_mod
from ..features.catalogue import PRESETS


def _names(ctx, param, value):
    """Accept repeated options and comma-separated lists alike."""
    if not value:
        return None
    return [v.strip() for item in value for v in item.split(",") if v.strip()]


@click.command("extract")
@click.argument("corpus", type=click.Path(file_okay=False, path_type=str))
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False),
              help="Output directory (created; re-run the same command to resume).")
@click.option("--preset", default="default", show_default=True, type=click.Choice(sorted(PRESETS)),
              help="Feature preset: mfcc40 (classic 40 mean MFCCs), default, full.")
@click.option("--jobs", "-j", default=-1, show_default=True, type=int,
              help="Worker processes; -1 uses all cores.")
@click.option("--families", multiple=True, callback=_names,
              help=f"Keep only these families (comma-separated): {', '.join(corpus_mod.FAMILIES)}.")
@click.option("--sources", multiple=True, callback=_names,
              help="Keep only these sources: acoustic, electronic, synthetic.")
@click.option("--exclude-sources", multiple=True, callback=_names,
              help="Drop these sources, e.g. --exclude-sources synthetic.")
@click.option("--chunk-size", default=256, show_default=True, type=click.IntRange(min=1),
              help="Notes per task and per Parquet shard.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def command(corpus, out, preset, jobs, families, sources, exclude_sources, chunk_size, quiet):
    """Extract clip-level features of every note in CORPUS into Parquet.

    CORPUS is an NSynth jsonwav root (nsynth-train/, nsynth-valid/,
    nsynth-test/, each with examples.json and audio/), one such split
    directory, or a folder of NSynth-named WAVs (labels from the names).

    \b
    Output (DIR = --out):
      DIR/features/part-*.parquet   one row per note: NSynth metadata + features
      DIR/failures/part-*.parquet   notes that could not be read, with the reason
      DIR/featurekit.json           what was computed (config, feature names)

    Feature columns are named <feature>__<statistic>__<NN>, e.g. mfcc__mean__03.
    Interrupted runs resume: re-run the same command.

    \b
    Exit status: 0 all notes extracted; 3 finished, but some notes are recorded
    failures (the same on every re-run); 1 bad arguments or unusable input.

    \b
    Example:
      featurekit extract ~/nsynth --out feats --exclude-sources synthetic
    """
    from ..extraction import extract

    result = extract(corpus, out, preset=preset, n_jobs=jobs, families=families,
                     sources=sources, exclude_sources=exclude_sources,
                     chunk_size=chunk_size, progress=not quiet)
    click.echo(result.summary())
    raise SystemExit(result.exit_code)
