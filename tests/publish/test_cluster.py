"""Dask distributed on a real LocalCluster (loopback, 2 worker processes, 1 thread each): sweep points as
tasks give the serial tables byte for byte, a killed worker costs a retry and never a partial page or cache
entry, and the point cache recomputes only what is missing (issue 19)."""
import math
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from ibutils.publish import cluster, pipeline

from .test_pipeline import make_root
from .tinybook import write_params

distributed = pytest.importorskip("distributed")  # a dev dependency: installed with '.[dev]', so this runs

#: A tiny plane setting: two points of one network configuration (one task each, a stack of its 2 seeds), 6 epochs.
POINTS = [dict(point="relu 0", activation="relu", initial_bias=0.0), dict(point="relu 0.5", activation="relu", initial_bias=0.5)]
SWEEP = dict(n_seeds=2, epochs=6, snapshots=[0, 3, 6], probe_every=3, histograms=True,
             estimators=[{"name": "bins", "kind": "binning", "bin_size": 0.07}])
TABLES = ("mi", "metrics", "activity", "grad_max", "points", "histograms")
TIMEOUT = 120  # seconds: no test waits longer for the cluster


@pytest.fixture(scope="module")
def client():
    # each worker advertises one (pretend) GPU, as `dask worker --resources GPU=1` on a GPU machine would
    with cluster.local_cluster(2, resources={"GPU": 1}) as lc, distributed.Client(lc, set_as_default=False) as c:
        c.wait_for_workers(2, timeout=TIMEOUT)
        yield c


@pytest.fixture(autouse=True)
def no_cluster_env(monkeypatch):
    monkeypatch.delenv(cluster.SCHEDULER_ENV, raising=False)
    monkeypatch.delenv(cluster.CACHE_ENV, raising=False)


@pytest.fixture(scope="module")
def serial(data_dir_module):
    from ibutils.studies import plane

    return plane.run_sweep(POINTS, **SWEEP)  # no cluster: the points' tasks run in this process's threads


@pytest.fixture(scope="module")
def data_dir_module():
    path = os.environ.get("IBUTILS_DATA_DIR")
    if not path or not Path(path).is_dir():
        pytest.skip("IBUTILS_DATA_DIR is not set to the data folder")
    return Path(path)


def assert_same_tables(a, b):
    for name in TABLES:
        x, y = getattr(a, name), getattr(b, name)
        assert x.to_csv(index=False) == y.to_csv(index=False), name  # byte-identical as saved
        pd.testing.assert_frame_equal(x, y, check_exact=True)
    assert a.snapshot_epochs == b.snapshot_epochs and a.dropped_seeds == b.dropped_seeds


def worker_pids(client) -> dict:
    return client.run(os.getpid)


def kill_tree(pid: int) -> None:
    """SIGKILL a worker process and what it started (a notebook kernel), as a crash would."""
    import psutil

    proc = psutil.Process(pid)
    for p in [*proc.children(recursive=True), proc]:
        try:
            p.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass


def kill_when_running(client, prefix: str, deadline: float) -> tuple[str, int]:
    """Wait until a task whose key starts with ``prefix`` runs on a worker, then kill that worker at once (the
    task takes seconds); its address and pid."""
    pids = worker_pids(client)
    while time.monotonic() < deadline:
        for addr, keys in client.processing().items():
            if any(str(k).startswith(prefix) for k in keys) and addr in pids:
                kill_tree(pids[addr])
                return addr, pids[addr]
        time.sleep(0.02)
    raise AssertionError(f"no task {prefix}* ran within the time limit")


# ----------------------------------------------------------------------------------------------- no cluster
def test_map_points_reports_failed_points_by_name_and_keeps_the_others(tmp_path, client):
    for c in (None, client):  # in this process, then on the cluster
        with pytest.raises(cluster.PointsFailed, match=r"1 of 3 points failed: b \(ValueError: math domain error\)") as err:
            cluster.map_points(math.sqrt, [4.0, -1.0, 9.0], names=["a", "b", "c"], client=c, cache=tmp_path / str(c is None),
                               retries=1, timeout=TIMEOUT)
        assert err.value.results == [2.0, None, 3.0] and list(err.value.failed) == ["b"]
        assert len(list((tmp_path / str(c is None)).glob("*.pkl"))) == 2  # the finished points are cached
    assert cluster.map_points(math.sqrt, [4.0, 9.0]) == [2.0, 3.0]
    with pytest.raises(ValueError, match="names"):
        cluster.map_points(math.sqrt, [4.0], names=["a", "b"])


def test_point_tasks_ask_for_the_resources_named(client, monkeypatch):
    assert cluster.parse_resources(" GPU=1, MEMORY=4e9") == {"GPU": 1.0, "MEMORY": 4e9} and cluster.parse_resources("") == {}
    for bad in ("GPU", "GPU=0", "GPU=x", "=1"):
        with pytest.raises(ValueError, match="IBUTILS_POINT_RESOURCES.*NAME=amount"):
            cluster.parse_resources(bad)
    monkeypatch.setenv(cluster.RESOURCES_ENV, "GPU=1")  # the default comes from the environment
    assert cluster.map_points(math.sqrt, [4.0, 9.0], client=client, timeout=TIMEOUT) == [2.0, 3.0]
    # a point asking for more than any worker has never runs: it waits (here: until the timeout)
    monkeypatch.setenv(cluster.RESOURCES_ENV, "GPU=2")
    with pytest.raises(TimeoutError):
        cluster.map_points(math.sqrt, [16.0], client=client, timeout=3)
    assert cluster.map_points(math.sqrt, [25.0], client=client, resources={"GPU": 1}, timeout=TIMEOUT) == [5.0]


def test_missing_distributed_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(ImportError, match=r"'distributed'.*pip install 'ibutils\[cluster\]'"):
        pipeline.make_executor("dask", 1)
    with pytest.raises(ValueError, match="needs the dask executor"):
        pipeline.make_executor("processes", 1, scheduler="tcp://127.0.0.1:1")


def test_worker_env_forwards_the_data_folder(client, monkeypatch):
    started_with = os.environ.get("IBUTILS_DATA_DIR")  # the workers started with the client's variables
    assert set(client.run(os.environ.get, "IBUTILS_DATA_DIR").values()) == {started_with}
    monkeypatch.setenv("IBUTILS_DATA_DIR", "/somewhere")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("UNRELATED_VARIABLE", "x")
    env = cluster.worker_env()
    assert env["IBUTILS_DATA_DIR"] == "/somewhere" and env["MPLBACKEND"] == "Agg" and "UNRELATED_VARIABLE" not in env


# ------------------------------------------------------------------------------------------ plane sweeps
def test_points_as_tasks_give_the_serial_tables_byte_for_byte(client, serial):
    from ibutils.studies import plane

    with distributed.get_task_stream(client) as ts:
        run = plane.run_sweep(POINTS, client=client, **SWEEP)  # one task per point
    assert_same_tables(run, serial)
    names = sorted(t["key"] for t in ts.data if str(t["key"]).startswith("point-"))
    assert len(names) == 2 and names[0].startswith("point-relu 0-") and names[1].startswith("point-relu 0.5-")


def test_point_cache_recomputes_only_the_missing_point(client, serial, tmp_path, monkeypatch):
    from ibutils.studies import plane

    version = cluster.code_version  # the real one, tested below
    # the key's code version, fixed: an edit of the library during the test must not change it
    monkeypatch.setattr(cluster, "code_version", lambda fn: "v1")

    plane.run_sweep(POINTS, client=client, cache=tmp_path, **SWEEP)
    entries = sorted(tmp_path.glob("*.pkl"), key=lambda p: p.stat().st_mtime)
    assert len(entries) == 2
    kept = {p.name: p.stat().st_mtime_ns for p in entries}
    entries[0].unlink()
    with distributed.get_task_stream(client) as ts:
        run = plane.run_sweep(POINTS, client=client, cache=tmp_path, **SWEEP)
    assert len([t for t in ts.data if str(t["key"]).startswith("point-")]) == 1  # only the deleted point ran
    assert_same_tables(run, serial)
    assert entries[0].exists() and (tmp_path / entries[1].name).stat().st_mtime_ns == kept[entries[1].name]
    # and without a cluster the cache serves both points: nothing trains
    assert_same_tables(plane.run_sweep(POINTS, cache=tmp_path, **SWEEP), serial)
    # the key: the function, the point's settings (seeds included) and the code version
    k = cluster.point_key(plane.train_task, {"seed": 0}, "v1")
    assert k != cluster.point_key(plane.train_task, {"seed": 1}, "v1") != cluster.point_key(plane.train_task, {"seed": 0}, "v2")
    assert len(version(plane.train_task)) == 64 and version(plane.train_task) != version(math.sqrt)




def test_a_killed_worker_costs_a_retry_not_the_result(client, serial, tmp_path):
    from ibutils.studies import plane

    out: dict = {}
    t = threading.Thread(daemon=True, target=lambda: out.setdefault("run", plane.run_sweep(POINTS, client=client, cache=tmp_path,
                                                                                **SWEEP)))
    before = worker_pids(client)
    with distributed.get_task_stream(client) as ts:
        t.start()
        addr, killed = kill_when_running(client, "point-relu", time.monotonic() + TIMEOUT)
        t.join(TIMEOUT)
    assert not t.is_alive() and "run" in out
    assert_same_tables(out["run"], serial)
    assert killed in before.values()
    finished = {x["worker"] for x in ts.data if str(x["key"]).startswith("point-")}
    assert addr not in finished  # the killed worker's point ran again elsewhere
    client.wait_for_workers(2, timeout=TIMEOUT)  # the nanny restarted the worker
    assert killed not in worker_pids(client).values()
    # the cache holds whole entries only: no temporary file of the killed task
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".pkl", ".pkl"]


# ------------------------------------------------------------------------------------------------- pages
SLOW_PAGE = """\
import time
import pandas as pd
from ibutils.publish.pipeline import save_table
save_table(pd.DataFrame({"v": [1, 2]}), "first")
time.sleep(wait)
save_table(pd.DataFrame({"v": [scale * i for i in range(n)]}), "values")
"""


def test_pages_on_the_cluster_only_the_client_writes_and_a_killed_worker_leaves_no_partial_page(client, tmp_path, monkeypatch):
    # the client computes the cache key (the plan) for the remote page: fix its code hash, so an edit of the
    # library while the test runs cannot make the page stale
    monkeypatch.setattr(pipeline, "code_hash", lambda studies=(), package_dir=None: ("fixed", {}))
    root = make_root(tmp_path)
    nb = nbformat.read(root / "notebooks" / "tiny.ipynb", as_version=4)
    nb.cells[1].source += "wait = 0.0\n"
    nb.cells[2].source = SLOW_PAGE
    nbformat.write(nb, root / "notebooks" / "tiny.ipynb")
    write_params(root, {"notebook": "tiny", "parameters": {"n": 4, "wait": 4.0},
                        "profiles": {"quick": {"n": 2}, "standard": {}, "paper": {}}})
    executed = root / "book" / "executed"
    for old in Path(tempfile.gettempdir()).glob("ibutils-tiny-*"):  # a killed worker's private folder
        shutil.rmtree(old, ignore_errors=True)
    executor = cluster.DaskExecutor(client, retries=1)
    out: dict = {}
    t = threading.Thread(daemon=True, target=lambda: out.setdefault("reports", pipeline.run_settings(
        ["params/tiny.yaml"], "quick", root=root, executor=executor, progress=False)))
    t.start()
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and not list(Path(tempfile.gettempdir()).glob("ibutils-tiny-*/.tiny.*/first.csv")):
        time.sleep(0.05)  # the page runs on a worker and has written its first table (in the worker's folder)
    assert not executed.exists() or not any(executed.rglob("*.csv"))  # nothing in the book yet
    addr, killed = kill_when_running(client, "_on_worker", deadline)
    t.join(TIMEOUT)
    assert not t.is_alive() and out["reports"][0].status == "executed"
    assert killed not in worker_pids(client).values()
    # one whole page and its tables; no temporary or partial file
    assert sorted(p.relative_to(executed).as_posix() for p in executed.rglob("*")) == [
        "tiny", "tiny.ipynb", "tiny/first.csv", "tiny/values.csv"]
    assert (executed / "tiny" / "values.csv").read_text() == "v\n0.0\n2.0\n"
    assert nbformat.read(executed / "tiny.ipynb", as_version=4).metadata["ibutils"]["profile"] == "quick"
    # cached on the client: the cluster is not asked again
    with distributed.get_task_stream(client) as ts:
        again = pipeline.run_settings(["params/tiny.yaml"], "quick", root=root, executor=executor, progress=False)
    assert again[0].status == "cached" and not ts.data
    for old in Path(tempfile.gettempdir()).glob("ibutils-tiny-*"):
        shutil.rmtree(old, ignore_errors=True)
