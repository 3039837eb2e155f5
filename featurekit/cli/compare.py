"""``featurekit compare MODEL_DIR... [--format table|csv|json] [--sort-by METRIC]``."""

from __future__ import annotations

import click


@click.command("compare")
@click.argument("model_dirs", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("--sort-by", default=None,
              help="Sort by a metric, best first: macro_f1, balanced_accuracy, accuracy, "
                   "n_test or fit_seconds (fastest first). Models of a leaky split always "
                   "come after the honest ones.")
@click.option("--allow-mixed-targets", is_flag=True,
              help="List models of different targets together (not comparable).")
def command(model_dirs, fmt, sort_by, allow_mixed_targets):
    """Print saved models side by side: kind, target, split, test metrics, fit time.

    Only model.json and metrics.json are read.  A note goes to stderr when
    the models were not scored on the same notes.
    """
    from ..compare import compare_models, format_comparison

    df = compare_models(list(model_dirs), sort_by=sort_by,
                        allow_mixed_targets=allow_mixed_targets)
    click.echo(format_comparison(df, fmt), nl=False)
    if df.attrs["n_leaky"]:
        click.echo(f"featurekit: note: {df.attrs['n_leaky']} of {len(df)} models were scored on "
                   f"a LEAKY random split (split column): their scores are inflated"
                   + (" and they are listed after the honest ones" if sort_by else ""), err=True)
    if not df.attrs["same_test"]:
        click.echo("featurekit: note: the models were not scored on the same notes "
                   "(see the split and test columns); compare their numbers with care", err=True)
