"""The pipeline: params file -> executed notebook -> book.

``run_setting`` executes the notebook a params file names with papermill, at a
profile, and writes it where ``_toc.yml`` expects it (``book/executed/<stem>.ipynb``)
with the tidy results the notebook saved (``book/executed/<stem>/*.csv``). It is
cached by content: the key hashes the notebook's code, the resolved parameters,
the source of :mod:`ibutils` and the versions of the packages that shape the
numbers, so an unchanged setting is not re-executed. Every write is atomic (a
temporary name, then :func:`os.replace`). ``run_settings`` runs many settings
through any :class:`concurrent.futures.Executor` (local processes by default; a
Dask ``Client.get_executor()`` plugs in the same way), and ``build_book`` runs
them all and calls ``jupyter-book build``.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Iterable

import nbformat

from .. import __version__
from .params import PROFILES, ParamsError, resolve  # noqa: F401  (re-exported)

PACKAGE_DIR = Path(__file__).resolve().parent.parent
EXECUTED_DIR = Path("book") / "executed"
#: Packages whose versions enter the cache key.
KEY_PACKAGES = ("numpy", "scipy", "pandas", "tensorflow-cpu", "tensorflow", "keras",
                "matplotlib", "seaborn", "papermill", "myst-nb")


# --------------------------------------------------------------------------- I/O
@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; rename it to ``path`` on success.

    On an exception the temporary file (or folder) is removed and ``path`` is left
    as it was, so an interrupted run never leaves a half-written result.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_table(df, name: str) -> Path | None:
    """Save a tidy result table as CSV beside the executed notebook.

    When the pipeline executes a notebook it sets ``IBUTILS_RESULTS_DIR``; outside
    the pipeline (interactive use, nbval) this does nothing and returns ``None``.
    """
    out = os.environ.get("IBUTILS_RESULTS_DIR")
    if not out:
        return None
    path = Path(out) / f"{name}.csv"
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)
    return path


def profile() -> str:
    """The profile the pipeline is executing this notebook at ('defaults' outside it)."""
    return os.environ.get("IBUTILS_PROFILE", "defaults")


# ------------------------------------------------------------------ provenance
def ibutils_source_hash() -> str:
    """SHA-256 over the source files of the installed :mod:`ibutils` package."""
    h = hashlib.sha256()
    for f in sorted(PACKAGE_DIR.rglob("*.py")):
        h.update(str(f.relative_to(PACKAGE_DIR)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for name in KEY_PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def notebook_code_hash(nb_path: Path) -> str:
    """Hash of a notebook's cell sources and types (outputs and metadata excluded)."""
    nb = nbformat.read(nb_path, as_version=4)
    h = hashlib.sha256()
    for cell in nb.cells:
        h.update(cell.cell_type.encode())
        h.update(cell.source.encode())
    return h.hexdigest()


def inputs_hash(root: Path, patterns: Iterable[str]) -> str:
    """Hash of the files matching ``patterns`` under ``root`` (names and contents)."""
    h = hashlib.sha256()
    for pattern in patterns:
        for f in sorted(root.glob(pattern)):
            if f.is_file():
                h.update(str(f.relative_to(root)).encode())
                h.update(f.read_bytes())
    return h.hexdigest()


def cache_key(nb_path: Path, parameters: dict[str, Any], inputs: str = "") -> str:
    """Content key of one execution: notebook code, parameters, ibutils source, package versions
    and (optionally) the hash of the files the notebook reads."""
    payload = {
        "notebook": notebook_code_hash(nb_path),
        "parameters": parameters,
        "ibutils": ibutils_source_hash(),
        "packages": package_versions(),
        "inputs": inputs,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def git_commit(root: Path) -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "ibutils", "notebooks", "params"],
                               cwd=root, capture_output=True, text=True).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _provenance_markdown(info: dict[str, Any]) -> str:
    params = "\n".join(f"| `{k}` | `{json.dumps(v)}` |" for k, v in sorted(info["parameters"].items()))
    return (
        "```{admonition} How this page was made\n:class: dropdown\n\n"
        f"Executed by `python -m ibutils run {info['params_file']} --profile {info['profile']}` "
        f"with ibutils {info['ibutils_version']} (commit `{info['commit']}`) in "
        f"{info['wall_time_s']:.1f} s. Seeds: `{json.dumps(info['seeds'])}`.\n\n"
        "| parameter | value |\n|---|---|\n" + params + "\n```\n"
    )


def read_provenance(path: Path) -> dict[str, Any] | None:
    """The ``ibutils`` metadata the pipeline stored in an executed notebook, if any."""
    try:
        return nbformat.read(path, as_version=4).metadata.get("ibutils")
    except (OSError, ValueError):
        return None


# --------------------------------------------------------------------- running
class SettingFailed(RuntimeError):
    """A notebook raised while the pipeline executed it; nothing was written to the book."""


@dataclass(frozen=True)
class RunReport:
    """What happened to one setting."""

    name: str
    status: str  # "executed" or "cached"
    seconds: float
    output: str


def output_path(params_path: str | Path, root: Path) -> Path:
    return root / EXECUTED_DIR / f"{Path(params_path).stem}.ipynb"


def run_setting(params_path: str | Path, profile: str = "standard", overrides: dict[str, Any] | None = None,
                *, force: bool = False, root: str | Path = ".") -> RunReport:
    """Execute one setting with papermill (unless its cached output is current).

    Parameters
    ----------
    params_path : path of the params file, relative to ``root`` or absolute.
    profile : one of ``quick``, ``standard``, ``paper``.
    overrides : parameter values that win over the params file (``-p key=value``).
    force : execute even when the cached output is current.
    root : the repository root (holds ``notebooks/``, ``params/`` and ``book/``).
    """
    import papermill as pm

    root = Path(root).resolve()
    params_path = Path(params_path)
    rel_params = params_path.resolve().relative_to(root) if params_path.is_absolute() else params_path
    spec, nb_path, parameters = resolve(root / rel_params, profile, overrides, root / "notebooks")
    out = output_path(rel_params, root)
    key = cache_key(nb_path, parameters, inputs_hash(root, spec.inputs))
    old = read_provenance(out) if out.exists() else None
    if not force and old and old.get("cache_key") == key:
        return RunReport(rel_params.stem, "cached", 0.0, str(out.relative_to(root)))

    results_dir = out.with_suffix("")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_results = Path(tempfile.mkdtemp(prefix=f".{results_dir.name}.", dir=out.parent))
    env_backup = {k: os.environ.get(k) for k in ("IBUTILS_RESULTS_DIR", "IBUTILS_PROFILE")}
    os.environ["IBUTILS_RESULTS_DIR"] = str(tmp_results)
    os.environ["IBUTILS_PROFILE"] = profile
    start = time.perf_counter()
    try:
        with atomic_path(out) as tmp_nb:
            try:
                pm.execute_notebook(str(nb_path), str(tmp_nb), parameters=parameters, cwd=str(root),
                                    kernel_name="python3", progress_bar=False, log_output=False)
            except pm.PapermillExecutionError as err:
                failed = out.parent / ".failed" / out.name
                failed.parent.mkdir(exist_ok=True)
                shutil.copyfile(tmp_nb, failed)
                raise SettingFailed(f"{rel_params}: cell {err.exec_count} raised {err.ename}: {err.evalue} "
                                    f"(partial notebook: {failed.relative_to(root)})") from None
            seconds = time.perf_counter() - start
            nb = nbformat.read(tmp_nb, as_version=4)
            info = {
                "cache_key": key,
                "params_file": str(rel_params),
                "profile": profile,
                "parameters": parameters,
                "seeds": {k: v for k, v in parameters.items() if "seed" in k},
                "ibutils_version": __version__,
                "commit": git_commit(root),
                "wall_time_s": round(seconds, 2),
            }
            nb.metadata["ibutils"] = info
            nb.cells.append(nbformat.v4.new_markdown_cell(_provenance_markdown(info)))
            nbformat.write(nb, tmp_nb)
            if results_dir.exists():
                shutil.rmtree(results_dir)
            os.replace(tmp_results, results_dir)
    finally:
        for k, v in env_backup.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if tmp_results.exists():
            shutil.rmtree(tmp_results)
    return RunReport(rel_params.stem, "executed", seconds, str(out.relative_to(root)))


def discover(root: str | Path = ".") -> list[Path]:
    """All params files of the book, relative to ``root``, in name order."""
    root = Path(root)
    return sorted(p.relative_to(root) for p in (root / "params").glob("*.yaml"))


def make_executor(kind: str = "processes", jobs: int | None = None) -> Executor:
    """An executor for settings: ``processes`` (default), ``serial`` or ``dask``.

    Any :class:`concurrent.futures.Executor` works; ``dask`` uses
    ``distributed.Client().get_executor()`` (install ``distributed`` first).
    """
    jobs = jobs or max(1, (os.cpu_count() or 2) // 2)
    if kind == "processes":
        return ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"))
    if kind == "serial":
        return ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
    if kind == "dask":
        from distributed import Client  # optional dependency

        return Client(n_workers=jobs, threads_per_worker=1, processes=True).get_executor()
    raise ValueError(f"unknown executor {kind!r} (valid: processes, serial, dask)")


def run_settings(paths: Iterable[str | Path], profile: str = "standard", *, force: bool = False,
                 root: str | Path = ".", executor: Executor | None = None, jobs: int | None = None,
                 progress: bool = True) -> list[RunReport]:
    """Run many settings in parallel; validate all of them first, fail on the first error.

    Prints one line per setting (name, status, seconds) under a progress bar.
    """
    from tqdm.auto import tqdm

    root = Path(root).resolve()
    paths = [Path(p) for p in paths]
    stages: dict[int, list[Path]] = {}
    for p in paths:  # validate everything before running anything
        spec, _, _ = resolve(root / p if not p.is_absolute() else p, profile, None, root / "notebooks")
        stages.setdefault(spec.stage, []).append(p)
    own = executor is None
    executor = executor or make_executor(jobs=jobs)
    reports: list[RunReport] = []
    try:
        with tqdm(total=len(paths), desc=f"settings ({profile})", disable=not progress, file=sys.stderr) as bar:
            for stage in sorted(stages):
                futures = [executor.submit(run_setting, p, profile, None, force=force, root=root)
                           for p in stages[stage]]
                for fut in as_completed(futures):
                    try:
                        report = fut.result()
                    except BaseException:
                        for other in futures:  # stop what has not started; report the first failure
                            other.cancel()
                        raise
                    reports.append(report)
                    bar.write(f"{report.name:<36} {report.status:<9} {report.seconds:8.1f} s")
                    bar.update()
    finally:
        if own:
            executor.shutdown(cancel_futures=True)
    return sorted(reports, key=lambda r: r.name)


def build_book(profile: str = "standard", *, root: str | Path = ".", force: bool = False, jobs: int | None = None,
               strict: bool = False, executor: Executor | None = None) -> Path:
    """Run every setting in ``params/`` at ``profile`` and build the HTML book.

    Returns the path of the book's ``index.html``.
    """
    root = Path(root).resolve()
    run_settings(discover(root), profile, force=force, root=root, jobs=jobs, executor=executor)
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(root), "--quiet"]
    if strict:
        cmd += ["-W", "--keep-going"]
    if subprocess.run(cmd, cwd=root).returncode != 0:
        raise SettingFailed("jupyter-book build failed (see its messages above)")
    return root / "_build" / "html" / "index.html"


def freeze(nb_path: str | Path, *, root: str | Path = ".") -> Path:
    """Execute a committed notebook in place with its own defaults (for nbval).

    Volatile metadata (papermill timings, execution timestamps) is removed, so the
    committed file changes only when its code or its outputs change.
    """
    import papermill as pm

    nb_path = Path(nb_path)
    with atomic_path(nb_path) as tmp:
        pm.execute_notebook(str(nb_path), str(tmp), cwd=str(nb_path.parent), kernel_name="python3",
                            progress_bar=False, log_output=False)
        nb = nbformat.read(tmp, as_version=4)
        nb.metadata.pop("papermill", None)
        count = 0
        for i, cell in enumerate(nb.cells):
            cell.metadata.pop("papermill", None)
            cell.metadata.pop("execution", None)
            cell["id"] = f"cell-{i}"
            if cell.cell_type == "code":
                count += 1  # nbval needs counts on cells with outputs; make them sequential
                cell.execution_count = count
                for output in cell.outputs:
                    if output.get("output_type") == "execute_result":
                        output["execution_count"] = count
        nbformat.write(nb, tmp)
    return nb_path
