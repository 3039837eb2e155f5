"""featurekit.cli.options: the one --jobs option and the CLI helpers every command shares."""

import warnings

import click
import pytest
from click.testing import CliRunner

from featurekit.cli.main import LazyGroup
from featurekit.cli.options import (check_jobs, cli_wording, cluster_options, echo_warnings,
                                     jobs_option)
from featurekit.errors import ConfigError, FeaturekitWarning, OutputError


@pytest.mark.parametrize("value, jobs", [(1, 1), ("4", 4), (-1, -1), ("-2", -2)])
def test_check_jobs_accepts_non_zero_integers(value, jobs):
    assert check_jobs(value) == jobs


@pytest.mark.parametrize("value", [0, "0", "x", "1.5", 1.5, None, True, ""])
def test_check_jobs_refuses_anything_else_naming_it(value):
    with pytest.raises(ConfigError, match=r"--jobs must be a non-zero integer .* got " + repr(value).replace("(", r"\(")):
        check_jobs(value)


class _Group(LazyGroup):
    """featurekit's error handling, with commands registered the plain click way."""

    get_command = click.Group.get_command
    list_commands = click.Group.list_commands


def _group():
    @click.group(cls=_Group)
    def group():
        pass

    @group.command("run")
    @jobs_option()
    def run(jobs):
        click.echo(f"jobs={jobs}")

    return group


@pytest.mark.parametrize("args, shown", [([], "jobs=-1"), (["-j", "2"], "jobs=2"),
                                         (["--jobs", "3"], "jobs=3"), (["--n-jobs", "2"], "jobs=2"),
                                         (["-j", "2", "--n-jobs", "2"], "jobs=2")])
def test_jobs_option_and_its_hidden_alias(args, shown):
    res = CliRunner().invoke(_group(), ["run", *args])
    assert res.exit_code == 0 and res.output.strip() == shown


def test_jobs_and_n_jobs_that_disagree_are_one_line_error():
    res = CliRunner().invoke(_group(), ["run", "-j", "2", "--n-jobs", "3"])
    assert res.exit_code == 1 and res.output.count("\n") == 1 and "disagree" in res.output


def test_n_jobs_is_hidden_from_help():
    out = CliRunner().invoke(_group(), ["run", "--help"]).output
    assert "--jobs" in out and "--n-jobs" not in out


def test_echo_warnings_prints_featurekit_warnings_as_one_stderr_line():
    @click.command()
    def cmd():
        with echo_warnings():
            warnings.warn("two SoundFonts are near-copies", FeaturekitWarning)

    res = CliRunner().invoke(cmd)
    assert res.exit_code == 0 and res.stdout == ""
    assert res.stderr == "featurekit: warning: two SoundFonts are near-copies\n"


def test_echo_warnings_passes_other_warnings_on_once():
    # shown while still recording, a foreign warning (joblib's "A worker stopped ...")
    # was recorded again and again: featurekit synth grew to 23 GB and was killed
    with warnings.catch_warnings(record=True) as outer:
        warnings.simplefilter("always")
        with echo_warnings():
            warnings.warn("a worker stopped", UserWarning)
    assert [str(w.message) for w in outer] == ["a worker stopped"]


def test_cli_wording_names_the_flag_not_the_parameter():
    with pytest.raises(OutputError, match=r"^x exists; pass --overwrite to replace it$"):
        with cli_wording({"overwrite=True": "--overwrite"}):
            raise OutputError("x exists; pass overwrite=True to replace it")


def test_cluster_options_pass_backend_and_scheduler_and_document_them():
    @click.command()
    @cluster_options("Where it runs", local="a local cluster of 2", note="Shared paths only.")
    def run(backend, scheduler):
        click.echo(f"{backend} {scheduler}")

    res = CliRunner().invoke(run, ["--backend", "dask", "--scheduler", "tcp://h:1"])
    assert res.exit_code == 0 and res.output.strip() == "dask tcp://h:1"
    text = " ".join(CliRunner().invoke(run, ["--help"]).output.split())
    assert text.index("--backend") < text.index("--scheduler")
    assert "Where it runs: loky local processes (default)" in text
    assert "starts a local cluster of 2. Shared paths only." in text
