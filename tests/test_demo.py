"""featurekit demo: the README's first command, end to end."""

from pathlib import Path

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
    # a second run replaces the first run's outputs (each carries the demo's marker)
    again = run_demo(tmp_path / "demo", pitch_step=12, velocities=(100,), n_jobs=1, progress=False)
    assert again.metrics["macro_f1"] == result.metrics["macro_f1"]


def test_demo_help_explains_itself():
    res = CliRunner().invoke(cli, ["demo", "--help"])
    assert res.exit_code == 0 and "TimGM6mb" in res.output


def test_demo_bad_pitch_step_is_a_usage_error():
    res = CliRunner().invoke(cli, ["demo", "--pitch-step", "0"])
    assert res.exit_code != 0 and "Traceback" not in res.output


# --- the demo replaces only what it provably wrote (issue 11: data loss) -------------------
def _snapshot(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _refused(out):
    before = _snapshot(out)
    res = CliRunner().invoke(cli, ["demo", "--out", str(out), "-q", "-j", "1"])
    assert res.exit_code == 1, res.output
    assert len(res.output.strip().splitlines()) == 1 and "refusing" in res.output
    assert _snapshot(out) == before  # nothing touched
    assert not (out / "corpus").exists()  # refused before any work started
    return res.output


def test_demo_refuses_a_user_file_in_features(tmp_path):
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "keep.txt").write_text("mine")
    assert "features" in _refused(tmp_path)


def test_demo_refuses_a_feature_table_it_did_not_write(tmp_path):
    import shutil

    from featurekit import extract

    extract(Path(__file__).parent / "data" / "nsynth-sample", tmp_path / "real", n_jobs=1,
            progress=False)
    shutil.copytree(tmp_path / "real", tmp_path / "demo" / "features")
    _refused(tmp_path / "demo")


def test_demo_refuses_a_model_or_importances_it_did_not_write(tmp_path):
    (tmp_path / "model-rf").mkdir()
    (tmp_path / "model-rf" / "model.json").write_text("{}")
    assert "model-rf" in _refused(tmp_path)
    (tmp_path / "model-rf" / "model.json").unlink()
    (tmp_path / "importances.csv").write_text("group,importance_mean\n")
    assert "importances.csv" in _refused(tmp_path)


def test_demo_accepts_outputs_marked_as_its_own(tmp_path):
    from featurekit.demo import OUTPUT_KINDS, check_outputs
    from featurekit.errors import OutputError
    from featurekit.fileio import mark_output

    for name in ("corpus", "features", "model-rf"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "part.bin").write_bytes(b"x")
        mark_output(tmp_path / name, OUTPUT_KINDS[name])
    (tmp_path / "importances.csv").write_text("x\n")
    mark_output(tmp_path, OUTPUT_KINDS["root"], files=["importances.csv"])
    check_outputs(tmp_path)
    (tmp_path / "features" / "keep.txt").write_text("added by the user")
    with pytest.raises(OutputError, match="keep.txt"):
        check_outputs(tmp_path)


def test_demo_help_promises_only_what_it_does():
    res = CliRunner().invoke(cli, ["demo", "--help"])
    text = " ".join(res.output.split())
    assert "did not write is refused" in text and "replaced if it holds" not in text


def test_readme_and_demo_help_give_the_same_measured_time():
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    helptext = " ".join(CliRunner().invoke(cli, ["demo", "--help"]).output.split())
    assert "about 30 s" not in readme and "a minute or two" not in helptext
    assert "about 20 s" in readme.lower() and "about 20 s" in helptext.lower()
    assert "64 s and 83 s" in readme and "64 s and 83 s" in helptext


def test_readme_install_is_the_ci_install():
    root = Path(__file__).parents[1]
    readme, ci = (root / "README.md").read_text(), (root / ".ci" / "run").read_text()
    first = next(line for line in readme.splitlines() if line.startswith("python3 -m venv"))
    first = first.replace('"', "")
    ci_plain = ci.replace('"', "").replace("python -m pip", "pip").replace(" --quiet", "")
    for part in ("pip install --no-deps tinysoundfont==0.3.7",
                 "pip install -e .[test,dask,cnn,formats,tfrecord]"):
        assert part in first and part in ci_plain
    assert "\npython -m pytest -q\n" in ci


def test_demo_refusal_is_worded_for_library_and_cli_alike(tmp_path):
    from featurekit.demo import check_outputs
    from featurekit.errors import OutputError

    (tmp_path / "importances.csv").write_text("group,importance_mean\n")
    with pytest.raises(OutputError) as err:
        check_outputs(tmp_path)
    assert "--out" not in str(err.value) and "another output directory" in str(err.value)
