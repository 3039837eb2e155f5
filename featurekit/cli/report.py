"""``featurekit report MODEL_DIR [--features DIR] --out report.html|report.md``."""

from __future__ import annotations

import click

from .options import jobs_option


@click.command("report")
@click.argument("model_dir", type=click.Path())
@click.option("--features", "-f", type=click.Path(),
              help="Feature directory with held-out notes: adds permutation importances.")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False),
              help="Report file: .html (or .htm) or .md (Markdown).")
@click.option("--overwrite", is_flag=True,
              help="Replace --out even if featurekit did not write it (a report an earlier "
                   "run wrote is replaced anyway).")
@click.option("--method", "-m", "methods", multiple=True,
              help="Importance method to show (repeatable): permutation, group-permutation, "
                   "mdi.  Default: permutation and group-permutation with --features, "
                   "else mdi for tree models.")
@click.option("--top", default=20, show_default=True, type=click.IntRange(min=1),
              help="Features per importance plot and table.")
@click.option("--n-repeats", default=5, show_default=True, type=click.IntRange(min=1),
              help="Shuffles per feature (permutation methods).")
@click.option("--max-samples", default=20_000, show_default=True, type=click.IntRange(min=1),
              help="Held-out notes scored at most by the permutation methods (a seeded "
                   "subsample above it).")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the shuffles.")
@jobs_option("Blocks of shuffles scored in parallel (threads): N, or -1 for all cores.", default=None)
def command(model_dir, features, out, overwrite, methods, top, n_repeats, max_samples, seed,
            jobs):
    """Write a one-page report of the model in MODEL_DIR.

    The page holds the split description, the test metrics, the per-class
    table, the confusion matrix and importance plots.  Images are embedded
    (base64), so the file opens in a browser without a server.  An existing
    --out file is replaced only if featurekit wrote it (or with --overwrite).
    """
    from ..report import write_html_report

    path = write_html_report(model_dir, out, features=features, methods=methods or None,
                             top=top, n_repeats=n_repeats, seed=seed,
                             n_jobs=jobs, max_samples=max_samples,
                             overwrite=overwrite)
    click.echo(f"wrote {path}")
