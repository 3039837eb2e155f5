"""``featurekit evaluate MODEL_DIR --features DIR``."""

from __future__ import annotations

import click


@click.command("evaluate")
@click.argument("model_dir", type=click.Path())
@click.option("--features", "-f", required=True, type=click.Path(),
              help="Feature directory to score the model on (every note is used).")
@click.option("--out", "-o", type=click.Path(), default=None,
              help="Write metrics.json, per_class.csv, confusion.png and "
                   "predictions.parquet into this directory.")
def command(model_dir, features, out):
    """Score the saved model in MODEL_DIR on a feature table."""
    from ..models.api import evaluate
    from ..models.metrics import format_metrics

    result = evaluate(model_dir, features, out=out)
    click.echo(format_metrics(result.metrics, title=f"{result.metrics['kind']} on {features}"))
