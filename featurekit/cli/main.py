"""The ``featurekit`` command: a thin shell over the library.

Each sub-command lives in its own module ``featurekit.cli.<module>`` exposing a
click command named ``command``; it parses arguments, calls one public library
function and prints.  Modules are imported only when their command runs, so
``featurekit --help`` stays fast.  Every :class:`~featurekit.errors.FeaturekitError`
becomes a one-line ``featurekit: error: ...`` on stderr and exit code 1.
"""

from __future__ import annotations

import importlib
import sys

import click

from .._version import __version__
from ..errors import FeaturekitError

#: command name -> (module, one-line help shown in ``featurekit --help``)
COMMANDS = {
    "demo": ("demo", "Render a small corpus, extract, train and report: the whole job in one go."),
    "synth": ("synth", "Render NSynth-format notes from General MIDI SoundFonts."),
    "extract": ("extract", "Extract clip-level features from a corpus into Parquet."),
    "train": ("train", "Train an honest SMOTE pipeline (rf, svm, hgb, logreg, ...) on a feature table."),
    "evaluate": ("evaluate", "Score a saved model on a feature table."),
    "predict": ("predict", "Predict the labels of audio files with a saved model."),
    "importances": ("importances", "Feature importances of a saved model, as a table and a plot."),
    "report": ("report", "One-page HTML/Markdown report of a saved model."),
    "compare": ("compare", "Compare saved models side by side."),
    "info": ("info", "Summarise a corpus, a feature table or a model (text or JSON)."),
}

#: Exit code when a run finished but some inputs failed (recorded, not fatal).
EXIT_PARTIAL = 3


class LazyGroup(click.Group):
    """A group whose sub-commands are imported on first use."""

    def list_commands(self, ctx):
        return [name for name in COMMANDS if self._available(name)]

    def _available(self, name):
        module = COMMANDS[name][0]
        return importlib.util.find_spec(f"featurekit.cli.{module}") is not None

    def get_command(self, ctx, name):
        if name not in COMMANDS or not self._available(name):
            return None
        module = importlib.import_module(f"featurekit.cli.{COMMANDS[name][0]}")
        return module.command

    def format_commands(self, ctx, formatter):
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except FeaturekitError as exc:
            click.echo(f"featurekit: error: {exc}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("featurekit: interrupted (finished work is kept; re-run to resume)", err=True)
            ctx.exit(130)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="featurekit")
def cli():
    """featurekit: recognise musical instruments with classical ML.

    \b
    Typical session:
      featurekit demo                                   # everything, on a rendered corpus
      featurekit extract /data/nsynth --out feats/      # NSynth -> Parquet features
      featurekit train rf --features feats/ --out models/rf
      featurekit predict models/rf my_note.wav

    Evaluation is instrument-disjoint by default (NSynth's official splits or
    GroupKFold by instrument).  Run `featurekit COMMAND --help` for details.
    """


def main(argv=None):
    """Console-script entry point."""
    return cli.main(args=argv, prog_name="featurekit")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
