"""Extraction on Dask: a real LocalCluster of worker processes, no mocks.

The dask table must equal the loky table row for row; resume, failures and
a worker killed mid-run must behave as with the local backend.  Tests that
need ``dask.distributed`` skip without the ``featurekit[dask]`` extra; the
argument checks run everywhere.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import featurekit as fk
from featurekit.cli.main import cli
from featurekit.distributed import THREAD_VARIABLES, ClusterError, joblib_backend, thread_caps
from featurekit.testing import make_tone_corpus

CHUNK = 6  # 72 notes -> 12 tasks: several per worker


def same_table(a, b):
    pd.testing.assert_frame_equal(fk.load_features(a), fk.load_features(b))
    pd.testing.assert_frame_equal(fk.load_failures(a), fk.load_failures(b))


def local_cluster(**config):
    distributed = pytest.importorskip("dask.distributed")
    import dask

    with dask.config.set(config):  # the scheduler reads its config when created
        return distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                        dashboard_address=None,
                                        scheduler_kwargs={"dashboard_address": ":0"})


@pytest.fixture(scope="module")
def cluster():
    with local_cluster() as c:
        yield c


@pytest.fixture(scope="module")
def loky_table(tone_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("loky")
    fk.extract(tone_corpus, out, n_jobs=2, chunk_size=CHUNK, progress=False)
    return out


def extract_while_killing_a_worker(cluster, corpus, out):
    """Run extract on ``cluster`` in a thread and SIGKILL a worker once shards appear.

    Returns the run's result or the exception it raised.
    """
    from dask.distributed import Client

    with Client(cluster, set_as_default=False) as client:
        client.wait_for_workers(2)
        pids = list(client.run(os.getpid).values())
    outcome = []

    def run():
        try:
            outcome.append(fk.extract(corpus, out, chunk_size=2, progress=False,
                                      scheduler=cluster.scheduler_address))
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while time.time() < deadline and not list((out / "features").glob("part-*.parquet")):
        time.sleep(0.01)
    os.kill(pids[0], signal.SIGKILL)
    thread.join(timeout=60)
    assert not thread.is_alive(), "extraction hung after a worker was killed"
    return outcome[0]


# --- the same table as the local backend ---------------------------------------
def test_dask_table_equals_loky_table(cluster, tone_corpus, loky_table, tmp_path):
    result = fk.extract(tone_corpus, tmp_path, chunk_size=CHUNK, progress=False,
                        backend="dask", scheduler=cluster.scheduler_address)
    assert result.n_written == result.n_rows == 72 and result.exit_code == 0
    same_table(tmp_path, loky_table)


def test_local_cluster_is_started_capped_and_closed(tone_corpus, loky_table, tmp_path):
    pytest.importorskip("dask.distributed")
    with joblib_backend("dask", n_workers=2) as client:
        workers = client.scheduler_info()["workers"].values()
        assert [w["nthreads"] for w in workers] == [1, 1]
        caps = client.run(lambda: {k: os.environ.get(k) for k in thread_caps(2)})
        assert all(env == thread_caps(2) for env in caps.values())
        profiling = client.run(lambda: __import__("dask").config.get("distributed.worker.profile.enabled"))
        assert not any(profiling.values())  # no dashboard to show it
        # backend=None runs on whatever joblib_backend set up around the call
        fk.extract(tone_corpus, tmp_path, chunk_size=CHUNK, progress=False)
        assert len(client.run(os.getpid)) == 2
    assert client.status == "closed"
    same_table(tmp_path, loky_table)


def test_resume_and_failures_match_the_local_backend(cluster, tmp_path):
    corpus = make_tone_corpus(tmp_path / "c", families=("organ",), instruments_per_family=2,
                              pitches=(48, 60, 72), velocities=(100,))
    audio = corpus / "nsynth-test" / "audio"
    next(audio.glob("*.wav")).write_bytes(b"I am not a wav file\n")
    loky = fk.extract(corpus, tmp_path / "loky", n_jobs=2, chunk_size=2, progress=False)
    dask_first = fk.extract(corpus, tmp_path / "dask", chunk_size=2, progress=False,
                            scheduler=cluster.scheduler_address)
    assert loky.exit_code == dask_first.exit_code == 3 and dask_first.n_failures == 1
    same_table(tmp_path / "dask", tmp_path / "loky")
    # lose two shards: a re-run on the cluster redoes exactly those notes
    shards = sorted((tmp_path / "dask" / "features").glob("part-*.parquet"))
    lost = sum(len(pd.read_parquet(s, columns=["note_id"])) for s in shards[:2])
    for shard in shards[:2]:
        shard.unlink()
    again = fk.extract(corpus, tmp_path / "dask", chunk_size=2, progress=False,
                       scheduler=cluster.scheduler_address)
    assert again.n_written == lost and again.n_skipped == 6 - lost and again.exit_code == 3
    same_table(tmp_path / "dask", tmp_path / "loky")


def test_cli_on_a_scheduler(cluster, tone_corpus, loky_table, tmp_path):
    res = CliRunner().invoke(cli, ["extract", str(tone_corpus), "--out", str(tmp_path), "-q",
                                   "--chunk-size", str(CHUNK), "--backend", "dask",
                                   "--scheduler", cluster.scheduler_address])
    assert res.exit_code == 0, res.output
    assert "72 written" in res.output
    same_table(tmp_path, loky_table)


@pytest.mark.slow
def test_training_runs_on_the_cluster_and_matches_local(cluster, loky_table, tmp_path):
    from dask.distributed import Client, get_task_stream

    from featurekit.models.api import train

    packaged = Path(fk.__file__).parent / "pipelines" / "rf.toml"
    spec = tmp_path / "rf.toml"  # the packaged forest, fewer trees
    spec.write_text(packaged.read_text().replace("n_estimators = 300", "n_estimators = 40"))
    local = train(loky_table, "rf", pipeline=spec, seed=0)
    with Client(cluster, set_as_default=False) as client, get_task_stream(client) as stream:
        res = CliRunner().invoke(cli, ["train", "rf", "--features", str(loky_table), "--pipeline",
                                       str(spec), "--out", str(tmp_path / "rf"),
                                       "--scheduler", cluster.scheduler_address])
    assert res.exit_code == 0, res.output
    assert any("_parallel_build_trees" in task["key"] for task in stream.data)  # trees fit on workers
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "rf" / "predictions.parquet"),
                                  local.predictions)


# --- workers dying --------------------------------------------------------------
@pytest.mark.slow
def test_killed_worker_is_replaced_and_the_run_completes(cluster, tone_corpus, loky_table, tmp_path):
    # tasks carry their data, so Dask reruns a dead worker's task elsewhere
    result = extract_while_killing_a_worker(cluster, tone_corpus, tmp_path)
    assert isinstance(result, fk.ExtractResult), result
    assert result.n_rows == 72
    same_table(tmp_path, loky_table)


@pytest.mark.slow
def test_run_failed_by_a_killed_worker_completes_on_rerun(tone_corpus, loky_table, tmp_path):
    # with no retries allowed, the killed worker's task fails the run (instead of hanging)
    with local_cluster(**{"distributed.scheduler.allowed-failures": 0}) as strict:
        failed = extract_while_killing_a_worker(strict, tone_corpus, tmp_path)
        assert isinstance(failed, ClusterError) and "re-run" in str(failed)
        assert 0 < len(fk.load_features(tmp_path)) < 72
        rerun = fk.extract(tone_corpus, tmp_path, chunk_size=2, progress=False,
                           scheduler=strict.scheduler_address)
    # tasks running when the run failed still finish: resume counts what is on disk
    assert 0 < rerun.n_skipped < 72 and rerun.n_written == 72 - rerun.n_skipped
    assert rerun.n_rows == 72 and rerun.exit_code == 0
    same_table(tmp_path, loky_table)


# --- argument checks (no dask needed) ------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    ({"backend": "dusk"}, "unknown backend 'dusk'"),
    ({"backend": 3}, "got 3"),
    ({"backend": "loky", "scheduler": "tcp://head:8786"}, "needs backend 'dask', got backend 'loky'"),
    ({"scheduler": "  "}, "got '  '"),
    ({"backend": "dask", "n_workers": 0}, "n_workers must be a positive integer, got 0"),
])
def test_bad_arguments_name_the_value(kwargs, message):
    if kwargs.get("backend") == "dask":
        pytest.importorskip("dask.distributed")
    with pytest.raises(fk.ConfigError, match=message.replace("(", r"\(")):
        joblib_backend(**kwargs)


def test_bad_backend_fails_before_any_work(tone_corpus, tmp_path):
    with pytest.raises(fk.ConfigError, match="'dusk'"):
        fk.extract(tone_corpus, tmp_path / "o", backend="dusk", progress=False)
    assert not (tmp_path / "o").exists()


def test_missing_dask_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # as if not installed
    with pytest.raises(fk.ConfigError, match=r"pip install 'featurekit\[dask\]'"):
        joblib_backend("dask")


@pytest.mark.skipif(importlib.util.find_spec("ray") is not None, reason="ray is installed")
def test_uninstalled_ray_backend_says_what_to_install():
    with pytest.raises(fk.ConfigError, match="backend 'ray' needs ray; install with pip install ray"):
        joblib_backend("ray")


def test_threading_backend_gives_the_same_table(tone_corpus, loky_table, tmp_path):
    fk.extract(tone_corpus, tmp_path, n_jobs=2, chunk_size=CHUNK, backend="threading", progress=False)
    same_table(tmp_path, loky_table)


def test_thread_caps_follow_loky_rule():
    assert thread_caps(4, cores=16)["OMP_NUM_THREADS"] == "4"
    assert set(thread_caps(32, cores=16).values()) == {"1"}
    assert set(thread_caps(1)) == set(THREAD_VARIABLES)
