"""``featurekit demo``: render -> extract -> train -> explain, with no download."""

from __future__ import annotations

import click

from .options import echo_warnings, jobs_option


@click.command("demo")
@click.option("--out", "-o", default="featurekit-demo", show_default=True, type=click.Path(file_okay=False),
              help="Output root. An earlier demo's outputs there are replaced; anything the demo "
                   "did not write is refused, and nothing is touched.")
@click.option("--soundfont", "soundfonts", multiple=True, metavar="PATH[:SPLIT]",
              help="SoundFont(s) to render instead of the bundled TimGM6mb.sf2; repeatable.")
@click.option("--pitch-step", default=3, show_default=True, type=click.IntRange(min=1),
              help="Semitones between rendered pitches (1 = every pitch, as NSynth).")
@jobs_option()
@click.option("--seed", default=0, show_default=True, type=int,
              help="Seed of the train/test deal of instruments, the forest and the importances.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def command(out, soundfonts, pitch_step, jobs, seed, quiet):
    """Run the whole featurekit job on a small corpus rendered on the spot.

    Renders NSynth-format notes from the General MIDI SoundFont that pip
    installed (TimGM6mb, via pretty_midi), whole instruments dealt to train or
    test; extracts the default features; trains a random forest with SMOTE;
    prints honest, instrument-disjoint test metrics and the feature families
    that matter most.  About 20 s of work on an idle 2-core machine (20 s
    measured on 2026-12-01; 64 s and 83 s on one shared with other jobs).

    \b
    Output (DIR = --out): DIR/corpus/, DIR/features/, DIR/model-rf/ and
    DIR/importances.csv, each marked as the demo's; a re-run replaces them,
    and refuses (exit 1, nothing touched) if any holds what it did not write.
    """
    from ..demo import run_demo

    with echo_warnings():
        result = run_demo(out, soundfonts=list(soundfonts) or None, pitch_step=pitch_step,
                          n_jobs=jobs, seed=seed, progress=not quiet)
    click.echo(result.summary())
