"""featurekit demo: the README's first command, end to end."""

import pytest
from click.testing import CliRunner

from featurekit.cli.main import cli

pytest.importorskip("tinysoundfont")


@pytest.mark.slow
def test_demo_runs_end_to_end_and_reports_honest_metrics(tmp_path):
    from featurekit.demo import run_demo

    result = run_demo(tmp_path / "demo", pitch_step=12, velocities=(100,), n_jobs=1, progress=False)
    assert result.metrics["split"]["shared_instruments"] == 0
    assert 0.0 <= result.metrics["macro_f1"] <= 1.0
    assert (tmp_path / "demo" / "model-rf" / "metrics.json").exists()
    assert result.importances is not None and len(result.importances)
    assert "no instrument in both" in result.summary()


def test_demo_help_explains_itself():
    res = CliRunner().invoke(cli, ["demo", "--help"])
    assert res.exit_code == 0 and "TimGM6mb" in res.output


def test_demo_bad_pitch_step_is_a_usage_error():
    res = CliRunner().invoke(cli, ["demo", "--pitch-step", "0"])
    assert res.exit_code != 0 and "Traceback" not in res.output
