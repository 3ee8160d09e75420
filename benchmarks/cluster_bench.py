"""The plane chapter through a Dask LocalCluster with per-point tasks, against the serial executor (issue 19).

Run: ``python benchmarks/cluster_bench.py [--profile quick] [--jobs 2] [--settings plane_bias ...] [--write book/full_scale_bench.md]``.

Both runs execute the chapter "What else moves the plane" (``params/plane_*.yaml``: five sweeps and the
overview page) at the profile, forced, in two fresh copies of the book's ``notebooks/`` and ``params/``
(nothing under this repository's ``book/executed/`` is touched):

1. **serial** (the baseline): ``--executor serial``, one page at a time, each sweep's points trained in
   the page's kernel (one stacked ensemble of its seeds per point, two points at a time in threads).
2. **LocalCluster**: ``--executor dask`` with ``--jobs`` worker processes of one thread each
   (:func:`ibutils.publish.cluster.local_cluster`); pages are tasks, and every sweep point is a Dask task
   of its own (:func:`ibutils.studies.plane.run_sweep` finds the cluster through ``IBUTILS_SCHEDULER``,
   which the executor sets for the pages' kernels).

Printed: wall seconds, CPU seconds (this process and every process it started, kernels and workers
included: ``RUSAGE_CHILDREN`` after they ended), the 1-minute load average before and after each run (the
machine may be shared: a load above the core count means the wall times are stretched), the speed-up
(serial wall / cluster wall) and which tables differ between the two runs (both do the same float32
arithmetic, one stack per point, so only tables of measured times may differ). ``--write`` puts the
table into a Markdown file that ``book/full_scale.md`` includes.
"""
from __future__ import annotations

import argparse
import filecmp
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from ibutils.publish import cluster, pipeline

ROOT = Path(__file__).resolve().parents[1]


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _copy_book(dest: Path, settings: list[str]) -> list[Path]:
    shutil.copytree(ROOT / "notebooks", dest / "notebooks")
    (dest / "params").mkdir()
    for p in sorted((ROOT / "params").glob("plane_*.yaml")):
        if not settings or p.stem in settings:
            shutil.copy(p, dest / "params" / p.name)
    return sorted(Path("params") / p.name for p in (dest / "params").glob("*.yaml"))


def run(kind: str, profile: str, jobs: int, workdir: Path, settings: list[str]) -> dict:
    root = workdir / kind
    root.mkdir()
    paths = _copy_book(root, settings)
    load0, cpu0, t0 = os.getloadavg()[0], _cpu(), time.perf_counter()
    executor = cluster.dask_executor(jobs) if kind == "cluster" else pipeline.make_executor("serial")
    try:
        reports = pipeline.run_settings(paths, profile, root=root, executor=executor, force=True, progress=False)
    finally:
        executor.shutdown(wait=True)
    wall, cpu = time.perf_counter() - t0, _cpu() - cpu0
    return dict(kind=kind, root=root, wall=wall, cpu=cpu, load_before=load0, load_after=os.getloadavg()[0],
                pages=len(reports), names=[r.name for r in reports])


def differing_tables(a: Path, b: Path) -> tuple[int, list[str]]:
    files = sorted(p.relative_to(a) for p in (a / "book" / "executed").rglob("*.csv"))
    differ = [str(f.relative_to("book/executed")) for f in files if not (b / f).is_file() or not filecmp.cmp(a / f, b / f, shallow=False)]
    return len(files), differ


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", default="quick")
    ap.add_argument("--jobs", type=int, default=2, help="LocalCluster workers (1 thread each)")
    ap.add_argument("--write", default=None, help="write the result table (Markdown) to this file")
    ap.add_argument("--settings", nargs="*", default=[], help="only these plane settings (default: the whole chapter)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ibutils-cluster-bench-") as tmp:
        serial = run("serial", args.profile, args.jobs, Path(tmp), args.settings)
        dask = run("cluster", args.profile, args.jobs, Path(tmp), args.settings)
        n_tables, differ = differing_tables(serial["root"], dask["root"])
    speedup = serial["wall"] / dask["wall"]
    cpu_ratio = dask["cpu"] / serial["cpu"]
    same = n_tables - len(differ)
    for r in (serial, dask):
        print(f"{r['kind']:<8} {r['pages']} pages: {r['wall']:.1f} wall-s, {r['cpu']:.1f} CPU-s, "
              f"load {r['load_before']:.1f} -> {r['load_after']:.1f}")
    print(f"speed-up (serial wall / LocalCluster wall, {args.jobs} workers): {speedup:.2f}x; "
          f"CPU-s ratio (cluster / serial): {cpu_ratio:.2f}")
    print(f"tables byte-identical: {same} of {n_tables}" + (f"; differ: {', '.join(differ)}" if differ else ""))
    if args.write:
        rows = [f"| {'serial executor (baseline)' if r is serial else f'LocalCluster, {args.jobs} workers, per-point tasks'} | "
                f"{r['wall']:.0f} | {r['cpu']:.0f} | {r['load_before']:.1f} to {r['load_after']:.1f} |" for r in (serial, dask)]
        text = "\n".join([
            f"| {'the plane chapter' if not args.settings else ', '.join(f'`{n}`' for n in serial['names'])} at "
            f"`{args.profile}` ({serial['pages']} page{'s' if serial['pages'] != 1 else ''}, forced) | wall s | CPU s | load (1 min) |",
            "|---|---:|---:|---|", *rows, "",
            f"Speed-up: **{speedup:.2f}x** (serial wall time / LocalCluster wall time); the cluster used "
            f"{cpu_ratio:.2f}x the CPU seconds of the serial run. Tables byte-identical between the two runs: "
            f"{same} of {n_tables}" + (f" (differ: {', '.join(f'`{d}`' for d in differ)})" if differ else "") + ". "
            f"Measured by `python benchmarks/cluster_bench.py --profile {args.profile} --jobs {args.jobs}"
            f"{' --settings ' + ' '.join(args.settings) if args.settings else ''} --write ...` "
            f"on {os.cpu_count()} CPU cores.", ""])
        with pipeline.atomic_path(args.write) as t:
            Path(t).write_text(text)
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
