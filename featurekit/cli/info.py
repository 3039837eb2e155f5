"""``featurekit info PATH [--format text|json]``: what a corpus, table or model holds."""

from __future__ import annotations

import json

import click


@click.command("info")
@click.argument("path", type=click.Path(path_type=str))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Human-readable text or one JSON object.")
def command(path, fmt):
    """Summarise PATH before running anything on it.

    \b
    PATH is one of
      a corpus      (NSynth jsonwav/TFRecords, label folders, a manifest):
                    layout, notes per split/family/source/label, sample rates
                    of a sample of files, listing problems;
      a feature table (an `extract --out` directory or one of its Parquet
                    files): rows, feature columns by group, config, failures;
      a model       (a `train --out` directory): kind, target, labels, split,
                    test metrics, features.

    \b
    Example:
      featurekit info ~/nsynth/nsynth-test.tfrecord
      featurekit info feats/ --format json
    """
    from ..summary import format_info, info

    summary = info(path)
    click.echo(json.dumps(summary, indent=2, sort_keys=True) if fmt == "json" else format_info(summary))
