"""``featurekit train KIND --features DIR [--features DIR ...] --out MODEL_DIR``."""

from __future__ import annotations

import click

from ..models.spec import available_pipelines
from .options import cli_wording, cluster_options, jobs_option

#: Library parameter wording in error messages -> this command's flags.
FLAGS = {"target='label'": "--target label", "leaky_split=True": "--leaky-random-split",
         "fit_all=True": "--fit-all", "balance_tables=True": "--balance-tables"}

_EPILOG = f"""KIND: one of {', '.join(available_pipelines())}, or cnn (Keras CNN on --frames;
pip install 'featurekit[cnn]').

\b
Search grids: a pipeline TOML (--pipeline FILE) may hold a [search] table;
every combination of its [search.grid] values is tried on training rows only
(NSynth's valid split, else an inner GroupKFold by instrument) and the best
is refitted; the chosen point is printed and stored in metrics.json:
  [search]
  cv = 3                      # inner folds (no valid split)
  scoring = "f1_macro"        # or balanced_accuracy, accuracy
  [search.grid]
  C = [0.1, 1.0, 10.0]        # classifier parameters by name
  smote__k_neighbors = [3, 5] # other steps: STEP__PARAM
See docs/pipelines.md."""


@click.command("train", epilog=_EPILOG)
@click.argument("kind")
@click.option("--features", "-f", "features", required=True, multiple=True, type=click.Path(),
              help="Feature directory written by `featurekit extract`; repeat to train on "
                   "several tables at once (they must share one extraction config).")
@click.option("--out", "-o", required=True, type=click.Path(),
              help="Model directory to write (replaced atomically if featurekit wrote a model "
                   "there; any other content is refused).")
@click.option("--target", default="instrument_family_str", show_default=True, metavar="COLUMN",
              help="instrument_family_str, instrument_source_str, pitch, or label "
                   "(label-folder/manifest corpora; grouped by their group column).")
@click.option("--pipeline", "pipeline_file", type=click.Path(),
              help="Your own pipeline spec (TOML) instead of the packaged KIND.toml.")
@click.option("--leaky-random-split", is_flag=True,
              help="Random note-level split instead of an instrument-disjoint one. "
                   "Leaky: the metrics say so.")
@click.option("--fit-all", is_flag=True,
              help="Fit on every row of every table (all splits). There is then no held-out "
                   "score: score the model with `featurekit evaluate` on notes it never saw.")
@click.option("--balance-tables", is_flag=True,
              help="With several --features: repeat each table's training rows up to the "
                   "largest table's count, so a small real table weighs as much as a large "
                   "rendered one.")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
@jobs_option(help="Cores to use (forests' n_jobs, OpenMP/BLAS threads): N, or -1 for all cores (-2 all but one, ...).")
@cluster_options("Where the parallel parts (forest fitting, grid search) run",
                 local="a local cluster (one worker per core)")
@click.option("--epochs", type=click.IntRange(min=1), default=None,
              help="cnn: maximum epochs (default 40; early stopping on the valid split or "
                   "held-out training instruments ends sooner).")
@click.option("--frames", type=click.Choice(["mfcc", "logmel"]), default=None,
              help="cnn: the frames kind to train on (default: what `extract --frames` stored).")
def command(kind, features, out, target, pipeline_file, leaky_random_split, fit_all,
            balance_tables, seed, jobs,
            epochs, frames, backend, scheduler):
    """Train pipeline KIND with an honest split; write the model and its test metrics.

    \b
    NSynth splits: fit on train (valid for any model selection), report on test.
    One split: GroupKFold by instrument (or by the group column of label-folder
    and manifest corpora), then the saved model is fitted on all notes.
    SMOTE runs inside the pipeline, so it only ever sees training rows.
    KIND cnn trains a Keras CNN on the frames of `featurekit extract --frames`,
    on the same split, with class weights instead of SMOTE.

    \b
    Output (DIR = --out; the metrics are also printed):
      DIR/model.skops, model.json   the fitted pipeline and its metadata
      DIR/pipeline.toml             the pipeline spec it was trained with
      DIR/metrics.json              honest test metrics and what the split was
      DIR/per_class.csv, confusion.png, predictions.parquet
    Use it with `featurekit evaluate`, `predict`, `importances` and `report`.
    """
    from ..distributed import joblib_backend
    from ..models.api import train
    from ..models.metrics import format_metrics

    cluster = joblib_backend(backend, scheduler)  # checked before the (long) load and fit

    with cluster, cli_wording(FLAGS):
        result = train(list(features) if len(features) > 1 else features[0], kind, out=out,
                       target=target, pipeline=pipeline_file, leaky_split=leaky_random_split,
                       seed=seed, n_jobs=jobs, epochs=epochs, frames=frames, fit_all=fit_all,
                       balance_tables=balance_tables)
    click.echo(format_metrics(result.metrics, title=f"{result.model.kind} -> {out}"))
