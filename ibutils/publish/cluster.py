"""Dask distributed as the engine for scale-out: pages and sweep points as tasks on a cluster.

Two levels, one cluster (``pip install 'ibutils[cluster]'``, i.e. ``dask[distributed]``):

* **pages**: ``python -m ibutils book --executor dask [--scheduler tcp://HOST:PORT]`` (and ``run``)
  sends each stale setting to a worker (:class:`DaskExecutor`). The worker executes the notebook in
  a private temporary folder and sends the notebook and its tables back; only the client writes
  ``book/executed/`` (atomically, :func:`ibutils.publish.pipeline.commit_shipped`), so a worker that
  dies loses a task (Dask reruns it elsewhere), never a half-written page. Without ``--scheduler`` a
  :func:`local_cluster` on this machine runs ``--jobs`` worker processes with one thread each.
* **points**: :func:`map_points` runs a function over a sweep's points (the settings of a sweep, the
  configurations of the plane chapter's sweeps; shards of seeds would fit the same way but are not
  split anywhere yet), one task each. With no cluster it runs in this process,
  exactly as a loop would; with a Dask client (a parameter, the scheduler named by
  ``IBUTILS_SCHEDULER``, or the cluster the code already runs on) each point is a
  ``client.submit(..., retries=N, pure=False)``; a failed point is reported by name
  (:class:`PointsFailed`) without losing the others, and finished points are cached by content in
  a folder (``IBUTILS_POINT_CACHE``) so a rerun after a failure redoes only what is missing.

The page tasks tell their notebooks' kernels the scheduler's address (``IBUTILS_SCHEDULER``), so a
page's points go to the same cluster; a page task waiting for its points leaves its worker slot
(:func:`distributed.secede`), so pages never starve their own points.

This module imports :mod:`distributed` only when a cluster is used; the publish layer never imports
the studies: a study passes its (module-level, picklable) point function in.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from .page import atomic_path

#: The scheduler address a page's points go to (``tcp://HOST:PORT``); set for the kernels of pages run
#: by ``--executor dask``, or by hand to send a notebook's points to a running cluster.
SCHEDULER_ENV = "IBUTILS_SCHEDULER"
#: The folder :func:`map_points` caches finished points in (none: no point cache).
CACHE_ENV = "IBUTILS_POINT_CACHE"
#: Dask resources every point task asks for, e.g. ``GPU=1`` (comma-separated ``NAME=amount``): such a task
#: runs only on a worker started with ``--resources GPU=1`` (one GPU each), one at a time per GPU. Page tasks
#: ask for none (a page waiting for its points would hold the GPU its points need).
RESOURCES_ENV = "IBUTILS_POINT_RESOURCES"
#: Retries of a failed point task (Dask's ``retries``); a worker that dies does not count (Dask
#: reschedules its tasks, up to ``distributed.scheduler.allowed-failures`` times).
RETRIES = 2
#: Environment variables forwarded to the workers of a :func:`local_cluster`: every ``IBUTILS_*``
#: (the data folder ``IBUTILS_DATA_DIR``, ``IBUTILS_OFFLINE``, ...) and these.
FORWARD = ("MPLBACKEND", "TF_CPP_MIN_LOG_LEVEL", "PYTHONHASHSEED", "CUDA_VISIBLE_DEVICES")
INSTALL_HINT = "pip install 'ibutils[cluster]' (or: pip install 'dask[distributed]')"


def require_distributed():
    """The :mod:`distributed` module, or an :class:`ImportError` naming the package to install."""
    try:
        import distributed
    except ImportError as err:
        raise ImportError(f"the Dask executor needs the package 'distributed', which is not installed: {INSTALL_HINT}") from err
    return distributed


def worker_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The client's environment variables that matter on a worker: ``IBUTILS_*`` and :data:`FORWARD`.

    A remote worker does not get them: start it with the same variables (``IBUTILS_DATA_DIR`` above
    all; see ``book/full_scale.md``)."""
    environ = os.environ if environ is None else environ
    return {k: v for k, v in environ.items() if k.startswith("IBUTILS_") or k in FORWARD}


def local_cluster(n_workers: int = 2, **kwargs):
    """A :class:`distributed.LocalCluster` on loopback: ``n_workers`` processes with one thread each,
    no dashboard, the client's :func:`worker_env` forwarded (``kwargs`` win)."""
    distributed = require_distributed()
    opts = dict(n_workers=int(n_workers), threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None, env=worker_env())
    opts.update(kwargs)
    return distributed.LocalCluster(**opts)


def connect(scheduler: str | None = None, jobs: int | None = None):
    """A :class:`distributed.Client`: of the scheduler at ``scheduler`` (``tcp://HOST:PORT``), else of a new
    :func:`local_cluster` with ``jobs`` workers (default: half the CPU cores, at least 1), which closes
    with the client."""
    distributed = require_distributed()
    if scheduler:
        return distributed.Client(scheduler, set_as_default=False)
    jobs = jobs or max(1, (os.cpu_count() or 2) // 2)
    cluster = local_cluster(jobs)
    client = distributed.Client(cluster, set_as_default=False)
    client._ibutils_cluster = cluster  # closed by DaskExecutor.shutdown
    return client


def _on_worker(fn: Callable, *args, **kwargs):
    """Run ``fn`` in a task that leaves its worker's thread slot while it waits (a page waiting for its
    points), with ``IBUTILS_SCHEDULER`` in its notebook kernel's environment (``env=`` of ``fn``)."""
    from distributed import get_worker, rejoin, secede

    worker = get_worker()
    env = dict(kwargs.pop("env", None) or {})
    env.setdefault(SCHEDULER_ENV, worker.scheduler.address)
    secede()
    try:
        return fn(*args, env=env, **kwargs)
    finally:
        rejoin()


class DaskExecutor(Executor):
    """A :class:`concurrent.futures.Executor` over a Dask client: each ``submit(fn, ...)`` is one task
    that runs ``fn(..., env=...)`` seceded (:func:`_on_worker`), not pure, with ``retries``. ``shutdown``
    closes the client and the local cluster it started. ``remote`` tells :func:`ibutils.publish.pipeline.run_settings`
    to execute pages with :func:`ibutils.publish.pipeline.run_setting_remote` and write them on the client."""

    remote = True

    def __init__(self, client, retries: int = 1):
        self.client, self.retries = client, retries
        self._inner = client.get_executor(pure=False, retries=retries)

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return self._inner.submit(_on_worker, fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._inner.shutdown(wait=wait)
        cluster = getattr(self.client, "_ibutils_cluster", None)
        self.client.close()
        if cluster is not None:
            cluster.close()


def dask_executor(jobs: int | None = None, scheduler: str | None = None) -> DaskExecutor:
    """The executor of ``--executor dask``: the scheduler at ``scheduler``, else a :func:`local_cluster`."""
    return DaskExecutor(connect(scheduler, jobs))


# ------------------------------------------------------------------------------------------ points
class PointsFailed(RuntimeError):
    """Some points of :func:`map_points` failed; ``failed`` maps their names to the error, ``results`` holds
    the others' results (``None`` for the failed), which are cached: a rerun computes only the failed ones."""

    def __init__(self, failed: dict[str, str], results: list):
        self.failed, self.results = failed, results
        names = ", ".join(f"{k} ({v})" for k, v in failed.items())
        super().__init__(f"{len(failed)} of {len(results)} points failed: {names}")


def code_version(fn: Callable) -> str:
    """Hash of the code ``fn`` runs: the library and publish layer, the shared study modules and ``fn``'s
    own study module (:func:`ibutils.publish.pipeline.code_hash`); other functions: their module's file."""
    from .pipeline import code_hash

    module = getattr(fn, "__module__", "") or ""
    parts = module.split(".")
    if parts[:2] == ["ibutils", "studies"] and len(parts) > 2:
        return code_hash([parts[2]])[0]
    path = getattr(sys.modules.get(module), "__file__", None)
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else module


def point_key(fn: Callable, point: Any, version: str) -> str:
    """Content key of one point: the function's name, the point's settings (seeds included) and ``version``."""
    text = json.dumps([f"{fn.__module__}.{fn.__qualname__}", point, version], sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def find_client(client=None):
    """The Dask client to use and whether the caller owns it (closes it): ``client`` if given; else one
    connected to ``IBUTILS_SCHEDULER``; else the client of the Dask worker this runs on; else ``None``
    (run here). :mod:`distributed` is imported only in the first two cases or when already loaded."""
    if client is not None:
        return client, False
    address = os.environ.get(SCHEDULER_ENV)
    if address:
        distributed = require_distributed()
        return distributed.Client(address, set_as_default=False), True
    if "distributed" in sys.modules:
        from distributed import get_client, get_worker

        try:
            get_worker()
        except ValueError:
            return None, False
        return get_client(), False
    return None, False


def parse_resources(text: str | None, name: str = RESOURCES_ENV) -> dict[str, float]:
    """``"GPU=1,MEMORY=4e9"`` -> ``{"GPU": 1.0, "MEMORY": 4e9}`` (Dask's worker ``--resources`` syntax);
    empty or ``None`` -> ``{}``. A malformed entry raises :class:`ValueError` naming ``name``."""
    out: dict[str, float] = {}
    for part in (text or "").replace(" ", "").split(","):
        if not part:
            continue
        key, sep, value = part.partition("=")
        try:
            amount = float(value)
        except ValueError:
            amount = float("nan")
        if not sep or not key or not amount > 0:
            raise ValueError(f"{name}: {part!r} is not NAME=amount with a positive amount (e.g. GPU=1)")
        out[key] = amount
    return out


def map_points(fn: Callable[[Any], Any], points: Sequence[Any], *, names: Sequence[str] | None = None, client=None,
               cache: str | Path | None = None, retries: int = RETRIES, threads: int = 1,
               version: str | None = None, timeout: float | None = None,
               resources: Mapping[str, float] | None = None) -> list:
    """``[fn(p) for p in points]``, one task per point, on a Dask cluster when there is one.

    Parameters
    ----------
    fn : callable
        A module-level function (workers import it by name) of one point, returning a picklable result.
    points : sequence
        The points' settings (JSON-like: they and the code enter the cache key).
    names : sequence of str, optional
        A name per point, for errors (default ``point 0``, ...).
    client : distributed.Client, optional
        Default: :func:`find_client` (``IBUTILS_SCHEDULER``, or the cluster this runs on); none: run here.
    cache : folder, optional
        Cache of finished points (default: ``IBUTILS_POINT_CACHE``; none: no cache). The key is
        :func:`point_key` of the point and ``version``; entries are pickles written atomically.
    retries : int
        Dask retries of a point that raised.
    threads : int
        Without a cluster: points run in this many threads (1: in order, in this thread).
    version : str, optional
        The code version in the key (default :func:`code_version` of ``fn``).
    timeout : float, optional
        Seconds to wait for the cluster's points (``None``: no limit).
    resources : mapping, optional
        Dask resources each point task asks for on a cluster (default: ``IBUTILS_POINT_RESOURCES``, e.g.
        ``GPU=1``; none: any worker). Ignored without a cluster.

    Returns
    -------
    list
        The results, in the order of ``points``.

    Raises
    ------
    PointsFailed
        Naming every point that raised (after its retries); the others are computed and cached.
    """
    points = list(points)
    names = [f"point {i}" for i in range(len(points))] if names is None else [str(n) for n in names]
    if len(names) != len(points):
        raise ValueError(f"names: {len(names)} names for {len(points)} points")
    cache = cache if cache is not None else os.environ.get(CACHE_ENV) or None
    folder = Path(cache) if cache else None
    keys: list[str | None] = [None] * len(points)
    results: list = [None] * len(points)
    todo = list(range(len(points)))
    if folder is not None:
        version = version if version is not None else code_version(fn)
        keys = [point_key(fn, p, version) for p in points]
        todo = []
        for i, k in enumerate(keys):
            f = folder / f"{k}.pkl"
            try:
                results[i] = pickle.loads(f.read_bytes())
            except (OSError, pickle.UnpicklingError, EOFError):
                todo.append(i)
    failed: dict[str, str] = {}

    def done(i: int, value: Any) -> None:
        results[i] = value
        if folder is not None:
            with atomic_path(folder / f"{keys[i]}.pkl") as tmp:
                tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    resources = dict(resources) if resources is not None else parse_resources(os.environ.get(RESOURCES_ENV))
    client, own = find_client(client) if todo else (None, False)
    try:
        if client is not None:
            from distributed import as_completed

            futures = {client.submit(fn, points[i], retries=retries, pure=False, resources=resources or None,
                                     key=f"point-{names[i]}-{os.urandom(4).hex()}"): i for i in todo}
            for fut in as_completed(list(futures), loop=client.loop, timeout=timeout):
                i = futures[fut]
                try:
                    done(i, fut.result())
                except Exception as err:  # noqa: BLE001  (reported by name below; the others go on)
                    failed[names[i]] = f"{type(err).__name__}: {err}"
        elif threads > 1 and len(todo) > 1:
            with ThreadPoolExecutor(min(threads, len(todo))) as pool:
                futures = {pool.submit(fn, points[i]): i for i in todo}
                for fut, i in futures.items():
                    try:
                        done(i, fut.result())
                    except Exception as err:  # noqa: BLE001
                        failed[names[i]] = f"{type(err).__name__}: {err}"
        else:
            for i in todo:
                try:
                    done(i, fn(points[i]))
                except Exception as err:  # noqa: BLE001
                    failed[names[i]] = f"{type(err).__name__}: {err}"
    finally:
        if own:
            client.close()
    if failed:
        raise PointsFailed(failed, results)
    return results
