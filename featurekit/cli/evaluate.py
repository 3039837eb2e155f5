"""``featurekit evaluate MODEL_DIR --features DIR [--target COLUMN] [--split S] [--families F]``."""

from __future__ import annotations

import click

from .options import cli_wording


@click.command("evaluate")
@click.argument("model_dir", type=click.Path())
@click.option("--features", "-f", required=True, multiple=True, type=click.Path(),
              help="Feature directory to score the model on (repeat for several).")
@click.option("--target", default=None, metavar="COLUMN",
              help="Column holding the true labels (default: the model's target), e.g. "
                   "`label` of a manifest; matched to the model's labels by their text.")
@click.option("--split", "split", default=None, metavar="NAMES",
              help="Score only these values of the split column, e.g. test (comma-separated).")
@click.option("--families", default=None, metavar="NAMES",
              help="Score only these instrument families, e.g. guitar,reed.")
@click.option("--out", "-o", type=click.Path(), default=None,
              help="Write metrics.json, per_class.csv, confusion.png and "
                   "predictions.parquet into this directory.")
def command(model_dir, features, target, split, families, out):
    """Score the saved model in MODEL_DIR on a feature table; print what was scored.

    MODEL_DIR is a `featurekit train --out` directory; --features a
    `featurekit extract --out` directory holding the model's feature columns.
    The metrics are printed on stdout, with a warning when some scored
    instruments were seen in training; --out also writes them to files.
    """
    from ..models.api import evaluate
    from ..models.metrics import format_metrics

    with cli_wording({"target='label'": "--target label"}):
        result = evaluate(model_dir, list(features) if len(features) > 1 else features[0],
                          out=out, target=target, split=split, families=families)
    click.echo(format_metrics(result.metrics,
                              title=f"{result.metrics['kind']} on {', '.join(features)}"))
