"""``featurekit predict MODEL_DIR PATH... [--top-k K] [--format table|csv|json]``."""

from __future__ import annotations

import click


@click.command("predict")
@click.argument("model_dir", type=click.Path())
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--top-k", "-k", default=1, show_default=True, type=click.IntRange(min=1),
              help="Best labels to print per file.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("--n-jobs", default=1, show_default=True, type=int,
              help="Parallel feature extraction.")
@click.pass_context
def command(ctx, model_dir, paths, top_k, fmt, n_jobs):
    """Predict the label of WAV files (or folders of them) with the model in MODEL_DIR.

    The features computed are exactly the model's (its extraction config is
    stored in the model).  Files that cannot be read are reported on stderr and
    the exit code is 3.
    """
    from ..models.api import format_predictions, predict
    from .main import EXIT_PARTIAL

    result = predict(model_dir, list(paths), top_k=top_k, n_jobs=n_jobs)
    click.echo(format_predictions(result.predictions, fmt), nl=False)
    for row in result.failures.itertuples(index=False):
        click.echo(f"featurekit: error: {row.path}: {row.error}", err=True)
    if len(result.failures):
        ctx.exit(EXIT_PARTIAL)
