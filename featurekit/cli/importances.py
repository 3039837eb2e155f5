"""``featurekit importances MODEL_DIR --features DIR --method M --out FILE [--plot FILE.png]``."""

from __future__ import annotations

import click

from .options import cli_wording, jobs_option


@click.command("importances")
@click.argument("model_dir", type=click.Path())
@click.option("--features", "-f", type=click.Path(),
              help="Feature directory holding held-out notes (required by the permutation "
                   "methods; e.g. the features the model was trained and tested on).")
@click.option("--method", "-m", default="permutation", show_default=True,
              help="permutation | group-permutation | mdi (described above).")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False),
              help="Table to write: FILE.csv or FILE.parquet.")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False),
              help="Bar plot: FILE.png (.svg, .pdf). Top features coloured by family, and "
                   "per-family importance (for permutation: families shuffled together).")
@click.option("--overwrite", is_flag=True,
              help="Replace --out/--plot files even if featurekit did not write them "
                   "(files an earlier run wrote are replaced anyway).")
@click.option("--top", default=20, show_default=True, type=click.IntRange(min=1),
              help="Features printed and plotted.")
@click.option("--n-repeats", default=5, show_default=True, type=click.IntRange(min=1),
              help="Shuffles per feature (permutation methods).")
@click.option("--max-samples", default=20_000, show_default=True, type=click.IntRange(min=1),
              help="Held-out notes scored at most; above it, a seeded subsample of that many "
                   "(said in the output).")
@click.option("--scoring", default="balanced_accuracy", show_default=True,
              help="Score whose drop is measured: balanced_accuracy, f1_macro or accuracy.")
@click.option("--per-class", is_flag=True,
              help="One row per feature and class: the drop of that class's recall.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the shuffles.")
@jobs_option("Blocks of shuffles scored in parallel (threads): N, or -1 for all cores.", default=None)
def command(model_dir, features, method, out, plot_file, overwrite, top, n_repeats, max_samples,
            scoring, per_class, seed, jobs):
    """Which features the model in MODEL_DIR relies on: a table (and a plot).

    \b
    permutation        shuffle one feature column at a time on held-out notes
                       (the notes the model reported on, from its
                       predictions.parquet; for a cross-validated model, each
                       fold scored by the pipeline refitted on the others)
                       and measure the score's drop. Honest, but understates
                       families of correlated features: a shuffled MFCC is
                       read from its neighbours.
    group-permutation  shuffle a whole feature family (mfcc, spectral,
                       envelope, harmonic, temporal, chroma, mel) at once.
    mdi                mean decrease in impurity of a tree ensemble (rf,
                       extratrees): free, but measured on TRAINING rows and
                       biased towards continuous, high-variance features; it
                       shows what the trees split on, not what generalises.
                       Names are the classifier's inputs (after per-note
                       normalisation). --features is not needed.

    An existing --out or --plot file is replaced only if featurekit wrote it
    (or with --overwrite).
    """
    from ..errors import ConfigError
    from ..importance import (
        check_plot_path,
        check_table_path,
        importances,
        plot_importances,
        write_importances,
    )
    from ..inspection.outputs import check_output_file

    n_jobs = jobs
    check_output_file(check_table_path(out), overwrite=overwrite)
    if plot_file:
        check_output_file(check_plot_path(plot_file), overwrite=overwrite)
        if per_class:
            raise ConfigError("--plot draws overall importances; drop --per-class to plot")
    with cli_wording({"features=DIR": "--features DIR"}):
        df = importances(model_dir, features, method=method, n_repeats=n_repeats, seed=seed,
                         n_jobs=n_jobs, scoring=scoring, per_class=per_class,
                         max_samples=max_samples)
    write_importances(df, out, overwrite=overwrite)
    if plot_file:
        # The family panel of a single-feature plot: families shuffled together.
        totals = None if method != "permutation" else importances(
            model_dir, features, method="group-permutation", n_repeats=n_repeats, seed=seed,
            n_jobs=n_jobs, scoring=scoring, max_samples=max_samples)
        plot_importances(df, plot_file, top=top, totals=totals, overwrite=overwrite)
    info = df.attrs["importance"]
    shown = df.groupby("class", sort=False).head(top) if per_class else df.head(top)
    click.echo(shown.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    click.echo(f"{method} importances of {info['kind']} -> {info['target']}: "
               f"{info['rows']}", err=True)
    click.echo(f"wrote {out}" + (f" and {plot_file}" if plot_file else ""), err=True)
