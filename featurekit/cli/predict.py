"""``featurekit predict MODEL_DIR PATH... [--top-k K] [--format table|csv|json]``.

With ``--timeline``: ``featurekit predict MODEL_DIR FILE --timeline
[--segment-seconds S] [--hop-seconds H] [--plot FILE.png]`` (see
:func:`featurekit.timeline.predict_timeline`).
"""

from __future__ import annotations

import click

from .options import jobs_option


@click.command("predict")
@click.argument("model_dir", type=click.Path())
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--top-k", "-k", default=1, show_default=True, type=click.IntRange(min=1),
              help="Best labels to print per file.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="Output format.")
@jobs_option(default=1, help="Parallel feature extraction: N workers, or -1 for all cores.")
@click.option("--timeline", is_flag=True,
              help="One long recording: a label per window, and the predominant one.")
@click.option("--segment-seconds", type=float, default=None,
              help="Timeline window length (default: the model's clip length).")
@click.option("--hop-seconds", type=float, default=None,
              help="Seconds between timeline windows (default: --segment-seconds).")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False),
              help="Draw the timeline into this image (e.g. timeline.png).")
@click.pass_context
def command(ctx, model_dir, paths, top_k, fmt, jobs, timeline, segment_seconds, hop_seconds,
            plot_file):
    """Predict the label of audio files (or folders of them) with the model in MODEL_DIR.

    MODEL_DIR is a `featurekit train --out` directory; PATHS are audio files
    (WAV, FLAC, OGG, ...) and folders, searched recursively.  The features
    computed are exactly the model's (its extraction config is stored in the
    model).

    \b
    Output (stdout, --format table|csv|json): one row per readable file:
      path, label, probability          the best label and its probability
      label_2, probability_2, ...       with --top-k K, the next K-1 labels
      warning                           only when some file has one
    Silent or too-short files, and files longer than the model's clip (only
    its first clip is used; see --timeline), get a warning on stderr and in
    the `warning` column.  Files that cannot be read are listed on stderr
    ("featurekit: skipped: PATH: why") and the others predicted.

    \b
    Exit status: 0 every file predicted; 3 some files skipped (listed on
    stderr); 1 bad arguments, an unusable model, or no file readable.

    \b
    --timeline cuts one long recording (any format libsndfile reads) into
    windows and prints start,end,label,probability per window, then the
    predominant label (highest duration-weighted mean probability); with
    --format csv that line goes to stderr, so stdout stays one CSV table.
    """
    if timeline or plot_file or segment_seconds is not None or hop_seconds is not None:
        return _timeline(model_dir, paths, fmt, jobs, timeline, segment_seconds, hop_seconds,
                         plot_file)
    from ..models.api import format_predictions, predict
    from .main import EXIT_PARTIAL

    result = predict(model_dir, list(paths), top_k=top_k, n_jobs=jobs)
    click.echo(format_predictions(result.predictions, fmt), nl=False)
    for path, warning in zip(result.predictions["path"], result.predictions["warning"]):
        if warning:
            click.echo(f"featurekit: warning: {path}: {warning}", err=True)
    for row in result.failures.itertuples(index=False):
        click.echo(f"featurekit: skipped: {row.path}: {row.error}", err=True)
    if len(result.failures):
        ctx.exit(EXIT_PARTIAL)


def _timeline(model_dir, paths, fmt, jobs, timeline, segment_seconds, hop_seconds, plot_file):
    from ..errors import ConfigError
    from ..timeline import format_timeline, plot_timeline, predict_timeline

    if not timeline:
        raise ConfigError("--segment-seconds, --hop-seconds and --plot need --timeline")
    if len(paths) != 1:
        raise ConfigError(f"--timeline takes one recording, got {len(paths)} paths")
    result = predict_timeline(model_dir, paths[0], segment_seconds, hop_seconds, n_jobs=jobs)
    click.echo(format_timeline(result, fmt), nl=False)
    if fmt == "csv":
        click.echo(result.summary(), err=True)
    if plot_file:
        plot_timeline(result, plot_file)
