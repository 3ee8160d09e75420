"""The pipeline: params file -> executed notebook -> book.

``run_setting`` executes the notebook a params file names with papermill, at a
profile, and writes it where ``_toc.yml`` expects it (``book/executed/<stem>.ipynb``)
with the tidy results the notebook saved (``book/executed/<stem>/*.csv``). It is
cached by content: the key (:func:`compute_key`) hashes the notebook's code, the
resolved parameters, the code it runs (the library, the publish layer, the shared
study modules and the page's own study modules, found from its imports), the
versions of the packages that shape the numbers and the files it reads, so an
unchanged setting is not re-executed, and a change to one chapter's study
re-executes that chapter only. The parts of the key are stored in the executed
notebook, and :func:`status` says which settings are stale and why without
executing anything. Every write is atomic (a temporary name, then
:func:`os.replace`). ``run_settings`` runs many settings through any
:class:`concurrent.futures.Executor` (local processes by default; a Dask
``Client.get_executor()`` plugs in the same way), and ``build_book`` runs them
all and calls ``jupyter-book build``.
"""
from __future__ import annotations

import ast
import fnmatch
import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import posixpath
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Iterable

import nbformat

from .. import __version__
from . import page as _page
from . import reading, timings
from .page import atomic_path, current_umask, save_table  # noqa: F401  (re-exported: notebooks import them from here)
from .params import PROFILES, ParamsError, _show, resolve  # noqa: F401  (re-exported)

PACKAGE_DIR = Path(__file__).resolve().parent.parent
EXECUTED_DIR = Path("book") / "executed"
#: Re-exported, like ``save_table``: notebooks call ``ibutils.publish.pipeline.profile()``.
profile = _page.profile
#: Packages whose versions enter the cache key.
KEY_PACKAGES = ("numpy", "scipy", "pandas", "tensorflow-cpu", "tensorflow", "keras",
                "matplotlib", "seaborn", "papermill", "myst-nb")
#: Arguments for every kernel the pipeline starts: its log (the start-up warning "Kernel is running over TCP
#: without encryption", "KeyboardInterrupt caught in kernel" at every shutdown) stays out; notebook errors still come via papermill.
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]


# --------------------------------------------------------------- cache key
#: The parts of the cache key, in the order ``status`` explains them.
KEY_PARTS = ("notebook", "params", "code", "versions", "inputs")


def _file_hash(path: Path, name: str) -> str:
    h = hashlib.sha256()
    h.update(name.encode())
    h.update(path.read_bytes())
    return h.hexdigest()


def _strip_magics(source: str) -> str:
    """Cell source with IPython magics and shell escapes blanked (so :mod:`ast` can parse it)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


_STUDY_IMPORT = re.compile(r"^\s*(?:from\s+ibutils\.studies\.(\w+)\s+import"
                           r"|from\s+ibutils\.studies\s+import[ \t]+\(?([\w \t,]+)"
                           r"|import\s+ibutils\.studies\.(\w+))", re.MULTILINE)


def study_imports(source: str, *, relative: bool = False) -> set[str]:
    """Names of the study modules a piece of Python source imports.

    Recognised forms: ``from ibutils.studies import plane as sw``,
    ``from ibutils.studies.plane import x``, ``import ibutils.studies.plane`` and
    ``importlib.import_module("ibutils.studies.plane")``, at any depth (in a function too); with
    ``relative`` (the source of a study module itself) also ``from . import plane`` and
    ``from .plane import x``. Imported names need not be modules: callers keep those
    that are files in ``ibutils/studies/``. Source :mod:`ast` cannot parse falls back to
    a regular expression over the three absolute forms.
    """
    return set(_study_imports(source, relative))


@functools.lru_cache(maxsize=512)
def _study_imports(source: str, relative: bool) -> frozenset[str]:
    try:
        tree = ast.parse(_strip_magics(source))
    except SyntaxError:
        found = set()
        for m in _STUDY_IMPORT.finditer(source):
            if m.group(2):
                found |= {part.split()[0] for part in m.group(2).split(",") if part.strip()}
            else:
                found.add(m.group(1) or m.group(3))
        return frozenset(found)
    found: set[str] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"):
            parts = node.args[0].value.split(".")  # importlib.import_module("ibutils.studies.x")
            if parts[:2] == ["ibutils", "studies"] and len(parts) > 2:
                found.add(parts[2])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[:2] == ["ibutils", "studies"] and len(parts) > 2:
                    found.add(parts[2])
        elif isinstance(node, ast.ImportFrom):
            module = (node.module or "").split(".") if node.module else []
            if node.level == 0 and module[:2] == ["ibutils", "studies"]:
                if len(module) > 2:
                    found.add(module[2])
                else:
                    found |= {a.name for a in node.names}
            elif relative and node.level == 1:
                if module:
                    found.add(module[0])
                else:
                    found |= {a.name for a in node.names}
    return frozenset(found)


def _study_path(name: str, package_dir: Path) -> Path | None:
    base = package_dir / "studies"
    for cand in (base / f"{name}.py", base / name / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def notebook_studies(nb_path: Path, package_dir: Path | None = None) -> list[str]:
    """The study modules a notebook's code cells import, with the studies those import.

    Parameters
    ----------
    nb_path : Path
        The notebook.
    package_dir : Path, optional
        The :mod:`ibutils` package folder (default: the installed one).

    Returns
    -------
    list of str
        Module names under ``ibutils/studies/``, sorted. Shared private modules
        (``_protocols``) are left out: they are always part of the code hash. A
        notebook that imports no study gives an empty list.
    """
    package_dir = Path(package_dir or PACKAGE_DIR)
    nb = nbformat.read(nb_path, as_version=4)
    todo = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and "studies" in cell.source:
            todo |= study_imports(cell.source)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or name.startswith("_"):
            continue
        path = _study_path(name, package_dir)
        if path is None:
            continue
        seen.add(name)
        todo |= study_imports(path.read_text(), relative=True) - seen  # a study importing another
    return sorted(seen)


def code_files(studies: Iterable[str] = (), package_dir: Path | None = None) -> dict[str, Path]:
    """The source files whose content enters a page's code hash, by name relative to the package.

    The library (everything but ``studies/``), the publish layer, ``studies/__init__.py``,
    the shared private study modules (``studies/_*.py``, e.g. ``_protocols.py``) and the
    study modules named in ``studies``: a change to another chapter's study does not
    make this page stale.
    """
    package_dir = Path(package_dir or PACKAGE_DIR)
    keep = set(studies)
    out = {}
    for f in sorted(package_dir.rglob("*.py")):
        rel = f.relative_to(package_dir)
        if rel.parts[0] == "studies" and len(rel.parts) > 1:
            module = Path(rel.parts[1]).stem
            if not (module.startswith("_") or module in keep):
                continue
        out[rel.as_posix()] = f
    return out


def code_hash(studies: Iterable[str] = (), package_dir: Path | None = None) -> tuple[str, dict[str, str]]:
    """SHA-256 over :func:`code_files`, and a short hash of each file (to explain a change)."""
    h = hashlib.sha256()
    files = {}
    for name, f in code_files(studies, package_dir).items():
        digest = _file_hash(f, name)
        h.update(digest.encode())
        files[name] = digest[:12]
    return h.hexdigest(), files


def ibutils_source_hash() -> str:
    """SHA-256 over every source file of the installed :mod:`ibutils` package (all studies included)."""
    package_dir = PACKAGE_DIR
    studies = [Path(p.relative_to(package_dir / "studies").parts[0]).stem
               for p in (package_dir / "studies").rglob("*.py")]
    return code_hash(studies)[0]


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages in :data:`KEY_PACKAGES` that are installed."""
    return dict(_package_versions())


@functools.lru_cache(maxsize=1)
def _package_versions() -> tuple[tuple[str, str], ...]:
    out = {"python": sys.version.split()[0]}
    for name in KEY_PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return tuple(out.items())


def _json_hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def notebook_code_hash(nb_path: Path) -> str:
    """Hash of a notebook's cell sources and types (outputs and metadata excluded)."""
    nb = nbformat.read(nb_path, as_version=4)
    h = hashlib.sha256()
    for cell in nb.cells:
        h.update(cell.cell_type.encode())
        h.update(cell.source.encode())
    return h.hexdigest()


def inputs_hash(root: Path, patterns: Iterable[str], exclude: Path | None = None) -> str:
    """Hash of the files matching ``patterns`` under ``root`` (names and contents).

    Files inside ``exclude`` (the page's own results folder, which a pattern such as
    ``book/executed/harmonics_*/*.csv`` also matches for ``harmonics_summary``) are left out, so a
    page's own outputs never make it stale.
    """
    h = hashlib.sha256()
    exclude = exclude.resolve() if exclude is not None else None
    for pattern in patterns:
        for f in sorted(root.glob(pattern)):
            if exclude is not None and exclude in f.resolve().parents:
                continue
            if f.is_file():
                h.update(str(f.relative_to(root)).encode())
                h.update(f.read_bytes())
    return h.hexdigest()


@dataclass(frozen=True)
class CacheKey:
    """The content key of one execution and what it is made of.

    ``parts`` maps each of :data:`KEY_PARTS` to a hash: the notebook's code, the
    resolved parameters, the code (:func:`code_files`), the package versions and the
    files the params file lists as inputs. ``studies`` are the study modules in the
    code hash, ``files`` a short hash per code file and ``packages`` the versions,
    stored in the provenance so that ``status`` can say what changed.
    """

    parts: dict[str, str]
    studies: list[str]
    files: dict[str, str]
    packages: dict[str, str]

    @property
    def key(self) -> str:
        return _json_hash([self.parts[k] for k in KEY_PARTS])


def compute_key(nb_path: Path, parameters: dict[str, Any], inputs: str = "",
                package_dir: Path | None = None) -> CacheKey:
    """The :class:`CacheKey` of executing ``nb_path`` with ``parameters``.

    Parameters
    ----------
    nb_path : Path
        The notebook.
    parameters : dict
        The resolved parameters.
    inputs : str
        :func:`inputs_hash` of the files the notebook reads (``""`` if none).
    package_dir : Path, optional
        The :mod:`ibutils` package folder (default: the installed one).
    """
    studies = notebook_studies(nb_path, package_dir)
    code, files = code_hash(studies, package_dir)
    packages = package_versions()
    parts = {"notebook": notebook_code_hash(nb_path), "params": _json_hash(parameters), "code": code,
             "versions": _json_hash(packages), "inputs": inputs}
    return CacheKey(parts, studies, files, packages)


def cache_key(nb_path: Path, parameters: dict[str, Any], inputs: str = "") -> str:
    """Content key of one execution (see :func:`compute_key`)."""
    return compute_key(nb_path, parameters, inputs).key


def stale_reasons(old: dict[str, Any] | None, new: CacheKey, profile: str) -> list[str]:
    """Why a stored execution (its provenance ``old``) does not match ``new`` at ``profile``.

    Returns
    -------
    list of str
        Empty when the stored output is current. Otherwise ``["not executed"]``,
        ``["profile differs (quick)"]``, or the differing parts among
        :data:`KEY_PARTS`, ``code`` naming the changed files, e.g.
        ``["code (studies/plane.py)"]``; ``["key format"]`` for a notebook stored by
        an older pipeline that did not record the parts.
    """
    if not old:
        return ["not executed"]
    if old.get("profile") != profile:
        return [f"profile differs ({old.get('profile')})"]
    if old.get("cache_key") == new.key:
        return []
    parts = old.get("key_parts")
    if not isinstance(parts, dict):
        return ["key format"]
    reasons = []
    for part in KEY_PARTS:
        if parts.get(part) == new.parts[part]:
            continue
        if part == "code":
            before = old.get("code_files") or {}
            changed = sorted(n for n in set(before) | set(new.files) if before.get(n) != new.files.get(n))
            shown = ", ".join(changed[:3]) + (f", +{len(changed) - 3} more" if len(changed) > 3 else "")
            reasons.append(f"code ({shown})" if changed else "code")
        elif part == "versions":
            before = old.get("packages") or {}
            changed = sorted(n for n in set(before) | set(new.packages) if before.get(n) != new.packages.get(n))
            reasons.append(f"versions ({', '.join(changed)})" if changed else "versions")
        elif part == "params" and old.get("overrides"):
            reasons.append(f"params (executed with {override_args(old['overrides'])})")
        else:
            reasons.append(part)
    return reasons


def override_args(overrides: dict[str, Any] | None) -> str:
    """``-p key=value`` arguments, quoted for a shell, as a user types them."""
    return " ".join(f"-p {shlex.quote(f'{k}={_show(v)}')}" for k, v in (overrides or {}).items())


def run_command(params_file: str, profile: str, overrides: dict[str, Any] | None = None) -> str:
    """The command that re-executes a setting, overrides included."""
    extra = override_args(overrides)
    return f"python -m ibutils run {params_file} --profile {profile}" + (f" {extra}" if extra else "")


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
        f"Executed by `{info.get('command') or run_command(info['params_file'], info['profile'])}` "
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


class SettingInterrupted(SettingFailed):
    """A setting was stopped by Ctrl-C; nothing was written to the book (its partial notebook went to
    ``book/executed/.failed/``)."""


class Interrupted(RuntimeError):
    """``run``/``book`` was stopped by Ctrl-C; the message says which settings were interrupted."""


@dataclass(frozen=True)
class RunReport:
    """What happened to one setting: ``status`` is ``"executed"`` or ``"cached"``; ``expected`` the
    stored wall time of its last run at this profile (``None`` when never run)."""

    name: str
    status: str
    seconds: float
    output: str
    expected: float | None = None
    overrides: dict = field(default_factory=dict)

    def line(self) -> str:
        """One clean line for the terminal."""
        took = timings.fmt_seconds(self.seconds) if self.status == "executed" else "-"
        last = f"  (last time {timings.fmt_seconds(self.expected)})" if self.status == "executed" and self.expected else ""
        return f"{self.name:<36} {self.status:<9} {took:>11}{last}  -> {self.output}"


def output_path(params_path: str | Path, root: Path) -> Path:
    return root / EXECUTED_DIR / f"{Path(params_path).stem}.ipynb"


def find_root(start: str | Path = ".") -> Path:
    """The book's repository root: ``start`` or the nearest folder above it holding ``params/`` and
    ``notebooks/``. Raises :class:`ParamsError` saying to run from the repository root otherwise."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / "params").is_dir() and (folder / "notebooks").is_dir():
            return folder
    raise ParamsError(f"{start}: not inside the book's repository (no params/ and notebooks/ here or above); "
                      "run python -m ibutils from the repository root")


def params_relative(path: str | Path, root: Path, cwd: str | Path | None = None) -> Path:
    """A params file given on the command line (relative to ``cwd``, or absolute), relative to ``root``.

    Raises :class:`ParamsError` when it does not lie in the repository's ``params/`` folder.
    """
    given = Path(path)
    full = (Path(cwd or Path.cwd()) / given).resolve() if not given.is_absolute() else given.resolve()
    if not full.is_file() and not given.is_absolute() and (root / given).is_file():
        full = (root / given).resolve()  # already relative to the root
    try:
        rel = full.relative_to(root)
    except ValueError:
        raise ParamsError(f"{path}: outside the book's repository {root}; a setting is a params file in "
                          f"{root / 'params'} (copy it there to run it)") from None
    if rel.parts[:1] != ("params",) or rel.suffix != ".yaml":
        raise ParamsError(f"{path}: not a params file (expected params/<setting>.yaml under {root})")
    return rel


# ------------------------------------------------------- progress of a running notebook
_ENGINE = "ibutils"
_engine_registered = False


def _write_progress(path: str | None, **info: Any) -> None:
    if not path:
        return
    tmp = f"{path}.tmp"
    try:
        with open(tmp, "w") as fh:
            json.dump(info, fh)
        os.replace(tmp, path)
    except OSError:  # a worker on another machine: the client's progress folder is not there
        pass


def read_progress(path: str | Path) -> dict[str, Any] | None:
    """What :func:`run_setting` wrote to its ``progress_file``: ``done``, ``total`` (code cells) and
    ``start`` (a time stamp); ``None`` before it started."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def _register_engine() -> None:
    """A papermill engine that counts executed code cells into a progress file (``progress_file=``)."""
    global _engine_registered
    if _engine_registered:
        return
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class ProgressEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, progress_file=None, kernel_env=None, **kwargs):
            total = sum(c.cell_type == "code" for c in nb_man.nb.cells)
            state = {"done": 0, "total": total, "start": time.time()}
            _write_progress(progress_file, **state)
            complete = nb_man.cell_complete

            def cell_complete(cell, cell_index=None, **kw):
                complete(cell, cell_index=cell_index, **kw)
                if cell.cell_type == "code":
                    state["done"] += 1
                    _write_progress(progress_file, **state)

            nb_man.cell_complete = cell_complete
            if kernel_env is None:
                return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
            # NBClientEngine's body, with the kernel's environment given (not os.environ, which settings
            # running in threads of one process, e.g. on a Dask worker, would share)
            log_output = kwargs.pop("log_output", False)
            start_timeout, execution_timeout = kwargs.pop("start_timeout", 60), kwargs.pop("execution_timeout", None)
            stdout_file, stderr_file = kwargs.pop("stdout_file", None), kwargs.pop("stderr_file", None)
            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(safe_kwargs, timeout=execution_timeout or kwargs.get("timeout"),
                                        startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                                        log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
            return PapermillNotebookClient(nb_man, **final_kwargs).execute(env=kernel_env)

    papermill_engines.register(_ENGINE, ProgressEngine)
    _engine_registered = True


_interrupts = {"armed": False, "hit": False}


#: Loggers that report the kernel's shutdown after Ctrl-C: nbclient's "Kernel died while waiting for execute reply"
#: (through papermill's logger) and asyncio's "Task exception was never retrieved" with a ``DeadKernelError``
#: traceback, printed when the abandoned polling task is collected, sometimes before and sometimes after the clean
#: "interrupted" message.
SHUTDOWN_LOGGERS = ("papermill", "asyncio")


def _silence_shutdown() -> None:
    """After Ctrl-C: the kernel is being shut down on purpose, so its death is not an error to report. The loggers
    of :data:`SHUTDOWN_LOGGERS` stay silent for the rest of the process (a process that was interrupted is about to
    end, and the messages can come at any later garbage collection)."""
    for name in SHUTDOWN_LOGGERS:
        logging.getLogger(name).disabled = True


def _on_sigint(signum, frame):  # in a worker: interrupt the setting that runs, once; ignore otherwise
    if _interrupts["armed"] and not _interrupts["hit"]:
        _interrupts["hit"] = True
        # at once: Ctrl-C reaches the kernel too, and nbclient may report its death before the interrupt is handled
        _silence_shutdown()
        raise KeyboardInterrupt


def _worker_init() -> None:
    """Initialiser of the pipeline's worker processes: Ctrl-C stops the setting a worker runs (cleanly, in
    :func:`run_setting`) and is ignored between settings, so no worker prints a traceback."""
    signal.signal(signal.SIGINT, _on_sigint)


@dataclass(frozen=True)
class SettingPlan:
    """What executing one setting needs, resolved on the client: the params file (relative to ``root``),
    the profile, the overrides, the notebook, its resolved parameters, the output path and the
    :class:`CacheKey`; ``cached`` when the stored output is current."""

    rel_params: Path
    profile: str
    overrides: dict
    nb_path: Path
    parameters: dict
    out: Path
    key: CacheKey
    root: Path
    expected: float | None
    cached: bool

    def cached_report(self) -> RunReport:
        return RunReport(self.rel_params.stem, "cached", 0.0, str(self.out.relative_to(self.root)), self.expected,
                         self.overrides)


def plan_setting(params_path: str | Path, profile: str = "standard", overrides: dict[str, Any] | None = None,
                 *, root: str | Path = ".") -> SettingPlan:
    """Resolve a setting and its cache key (reads the repository, writes nothing)."""
    root = Path(root).resolve()
    rel_params = params_relative(Path(params_path), root, root)
    overrides = dict(overrides or {})
    spec, nb_path, parameters = resolve(root / rel_params, profile, overrides, root / "notebooks")
    out = output_path(rel_params, root)
    key = compute_key(nb_path, parameters, inputs_hash(root, spec.inputs, out.with_suffix("")))
    old = read_provenance(out) if out.exists() else None
    return SettingPlan(rel_params, profile, overrides, nb_path, parameters, out, key, root,
                       timings.expected(root, profile, rel_params.stem), not stale_reasons(old, key, profile))


def run_setting(params_path: str | Path, profile: str = "standard", overrides: dict[str, Any] | None = None,
                *, force: bool = False, root: str | Path = ".", progress_file: str | None = None) -> RunReport:
    """Execute one setting with papermill (unless its cached output is current).

    Parameters
    ----------
    params_path : path of the params file, relative to ``root`` or absolute.
    profile : one of ``quick``, ``standard``, ``paper``.
    overrides : parameter values that win over the params file (``-p key=value``); they are
        recorded in the executed notebook's metadata and its "How this page was made" note.
    force : execute even when the cached output is current.
    root : the repository root (holds ``notebooks/``, ``params/`` and ``book/``).
    progress_file : a file to keep ``{"done", "total", "start"}`` in while the notebook runs
        (code cells executed; see :func:`read_progress`).

    A successful run without overrides stores its wall time (:mod:`ibutils.publish.timings`).
    On an error (:class:`SettingFailed`) or Ctrl-C (:class:`SettingInterrupted`) the book is left as
    it was and the partial notebook goes to ``book/executed/.failed/``. :func:`run_setting_remote`
    and :func:`commit_shipped` split the same work between a cluster worker and the client.
    """
    plan = plan_setting(params_path, profile, overrides, root=root)
    if not force and plan.cached:
        return plan.cached_report()
    out = plan.out
    out.parent.mkdir(parents=True, exist_ok=True)
    results_dir = out.with_suffix("")
    with atomic_path(out) as tmp_nb:
        tmp_results, seconds = _execute(plan, tmp_nb, out.parent, progress_file,
                                        keep_failed=lambda tmp: _keep_failed(tmp, out))
        _swap_in(tmp_results, results_dir)
    return _finish(plan, seconds)


def _swap_in(tmp_results: Path, results_dir: Path) -> None:
    """Put a page's finished tables folder in place of its old one, inside the notebook's
    :func:`atomic_path` (whose rename follows); the temporary folder is removed whatever happens."""
    try:
        if results_dir.exists():
            shutil.rmtree(results_dir)
        os.replace(tmp_results, results_dir)
    finally:
        if tmp_results.exists():
            shutil.rmtree(tmp_results)


def _finish(plan: SettingPlan, seconds: float) -> RunReport:
    if not plan.overrides:
        timings.record(plan.root, plan.profile, plan.rel_params.stem, seconds)
    return RunReport(plan.rel_params.stem, "executed", seconds, str(plan.out.relative_to(plan.root)), plan.expected,
                     plan.overrides)


def _execute(plan: SettingPlan, tmp_nb: Path, folder: Path, progress_file: str | None, *, keep_failed,
             env: dict[str, str] | None = None) -> tuple[Path, float]:
    """Execute ``plan``'s notebook into ``tmp_nb`` (provenance added) and its tables into a new temporary
    folder in ``folder``; return that folder and the wall time. On an error or Ctrl-C the folder is removed,
    ``keep_failed(tmp_nb)`` keeps the partial notebook (it returns where) and :class:`SettingFailed` or
    :class:`SettingInterrupted` is raised. ``env``: extra environment variables of the kernel (the kernel gets
    its own environment; ``os.environ`` is not changed)."""
    import papermill as pm
    from nbclient.exceptions import DeadKernelError

    _register_engine()
    root, rel_params, key = plan.root, plan.rel_params, plan.key
    tmp_results = Path(tempfile.mkdtemp(prefix=f".{plan.out.stem}.", dir=folder))
    os.chmod(tmp_results, 0o777 & ~current_umask())  # mkdtemp's 0700 -> what mkdir would give
    # the kernel's environment: where save_table writes, the profile, and (on a Dask worker) the scheduler
    kernel_env = {**os.environ, **(env or {}), "IBUTILS_RESULTS_DIR": str(tmp_results), "IBUTILS_PROFILE": plan.profile}
    start = time.perf_counter()
    _interrupts.update(armed=True, hit=False)
    ok = False
    try:
        try:
            pm.execute_notebook(str(plan.nb_path), str(tmp_nb), parameters=plan.parameters, cwd=str(root),
                                kernel_name="python3", progress_bar=False, log_output=False, engine_name=_ENGINE,
                                progress_file=progress_file, kernel_env=kernel_env, extra_arguments=list(KERNEL_ARGS))
        except pm.PapermillExecutionError as err:
            failed = keep_failed(tmp_nb)
            raise SettingFailed(f"{rel_params}: cell {err.exec_count} raised {err.ename}: {err.evalue} "
                                f"(partial notebook: {failed.relative_to(root)})") from None
        except (KeyboardInterrupt, DeadKernelError) as err:  # Ctrl-C, or the kernel dying from it first
            if isinstance(err, DeadKernelError) and not _interrupts["hit"]:
                raise
            _interrupts["armed"] = False
            _silence_shutdown()
            failed = keep_failed(tmp_nb)
            progress = read_progress(progress_file) if progress_file else None
            where = f" after {progress['done']}/{progress['total']} cells" if progress else ""
            raise SettingInterrupted(f"{rel_params}: interrupted{where} (partial notebook: "
                                     f"{failed.relative_to(root)})") from None
        _interrupts["armed"] = False
        seconds = time.perf_counter() - start
        nb = nbformat.read(tmp_nb, as_version=4)
        # Reading mode (issue 20): code folded, set-up cells removed, each output once, the page's own title,
        # a banner below the paper profile and the page's claims in a box (ibutils.publish.reading).
        reading.apply(nb, drop_outputs=True, title=reading.params_title(root / rel_params), profile=plan.profile,
                      parameters=plan.parameters, command=run_command(str(rel_params), plan.profile, plan.overrides),
                      claims=reading.read_claims(tmp_results / "claims.csv"),
                      terms=reading.glossary_terms(root / "book" / "glossary.md"))
        info = {
            "cache_key": key.key,
            "key_parts": key.parts,
            "studies": key.studies,
            "code_files": key.files,
            "packages": key.packages,
            "params_file": str(rel_params),
            "profile": plan.profile,
            "overrides": plan.overrides,
            "command": run_command(str(rel_params), plan.profile, plan.overrides),
            "parameters": plan.parameters,
            "seeds": {k: v for k, v in plan.parameters.items() if "seed" in k},
            "ibutils_version": __version__,
            "commit": git_commit(root),
            "wall_time_s": round(seconds, 2),
        }
        nb.metadata["ibutils"] = info
        nb.cells.append(nbformat.v4.new_markdown_cell(_provenance_markdown(info)))
        nbformat.write(nb, tmp_nb)
        ok = True
        return tmp_results, seconds
    finally:
        _interrupts["armed"] = False
        if not ok and tmp_results.exists():
            shutil.rmtree(tmp_results)


@dataclass(frozen=True)
class Shipped:
    """A setting executed on a cluster worker, sent back to the client: the executed notebook and its
    tables as bytes (``tables``: file name -> content), or ``error`` (the message of the
    :class:`SettingFailed`, ``interrupted`` for Ctrl-C) with the partial notebook in ``failed``."""

    plan: SettingPlan
    notebook: bytes = b""
    tables: dict = field(default_factory=dict)
    seconds: float = 0.0
    error: str = ""
    interrupted: bool = False
    failed: bytes = b""


def run_setting_remote(plan: SettingPlan, progress_file: str | None = None, env: dict[str, str] | None = None) -> Shipped:
    """Execute ``plan`` where this runs (a cluster worker) into a private temporary folder and return
    the results as bytes: the worker writes nothing under ``book/``; :func:`commit_shipped` (on the
    client) does, atomically. A worker that dies loses this task, never a half-written page. The worker
    reads the repository at ``plan.root`` (the same path as on the client: a shared or identical checkout).
    ``env``: extra environment variables of the notebook's kernel (e.g. ``IBUTILS_SCHEDULER``)."""
    work = Path(tempfile.mkdtemp(prefix=f"ibutils-{plan.out.stem}-"))
    kept: list[bytes] = []

    def keep(tmp: Path) -> Path:
        kept.append(tmp.read_bytes() if tmp.exists() else b"")
        return plan.out.parent / ".failed" / plan.out.name

    try:
        tmp_nb = work / plan.out.name
        try:
            tmp_results, seconds = _execute(plan, tmp_nb, work, progress_file, keep_failed=keep, env=env)
        except SettingFailed as err:
            return Shipped(plan, error=str(err), interrupted=isinstance(err, SettingInterrupted),
                           failed=kept[0] if kept else b"")
        tables = {f.name: f.read_bytes() for f in sorted(tmp_results.iterdir()) if f.is_file()}
        return Shipped(plan, tmp_nb.read_bytes(), tables, seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def commit_shipped(shipped: Shipped) -> RunReport:
    """Write what :func:`run_setting_remote` sent back (on the client, atomically: the tables to a temporary
    folder renamed into place, the notebook through :func:`atomic_path`); a failure keeps the partial notebook
    in ``book/executed/.failed/`` and raises :class:`SettingFailed` (:class:`SettingInterrupted`)."""
    plan = shipped.plan
    out = plan.out
    out.parent.mkdir(parents=True, exist_ok=True)
    if shipped.error:
        failed = out.parent / ".failed" / out.name
        failed.parent.mkdir(exist_ok=True)
        failed.write_bytes(shipped.failed)
        raise (SettingInterrupted if shipped.interrupted else SettingFailed)(shipped.error)
    results_dir = out.with_suffix("")
    tmp_results = Path(tempfile.mkdtemp(prefix=f".{results_dir.name}.", dir=out.parent))
    os.chmod(tmp_results, 0o777 & ~current_umask())
    try:
        for name, data in shipped.tables.items():
            (tmp_results / name).write_bytes(data)
            os.chmod(tmp_results / name, 0o666 & ~current_umask())
        with atomic_path(out) as tmp_nb:
            tmp_nb.write_bytes(shipped.notebook)
            _swap_in(tmp_results, results_dir)
    finally:
        if tmp_results.exists():
            shutil.rmtree(tmp_results)
    return _finish(plan, shipped.seconds)


def _keep_failed(tmp_nb: Path, out: Path) -> Path:
    """Copy a failed or interrupted execution's partial notebook to ``book/executed/.failed/``."""
    failed = out.parent / ".failed" / out.name
    failed.parent.mkdir(exist_ok=True)
    if tmp_nb.exists():
        shutil.copyfile(tmp_nb, failed)
    return failed


def discover(root: str | Path = ".") -> list[Path]:
    """All params files of the book, relative to ``root``, in name order."""
    root = Path(root)
    return sorted(p.relative_to(root) for p in (root / "params").glob("*.yaml"))


@dataclass(frozen=True)
class SettingStatus:
    """Whether one setting's executed page is current, without executing it.

    ``state`` is ``cached``, ``stale`` or ``invalid`` (the params file does not
    validate); ``reasons`` say why a setting is stale (see :func:`stale_reasons`)
    or what is wrong with it.
    """

    name: str
    state: str
    reasons: tuple[str, ...] = ()

    def line(self) -> str:
        return f"{self.name:<36} {self.state:<7} {', '.join(self.reasons)}".rstrip()


def _feeds(stem: str, patterns: Iterable[str], root: Path) -> bool:
    """Whether the outputs of setting ``stem`` match one of the input ``patterns``."""
    executed = EXECUTED_DIR.as_posix()
    page, folder = f"{executed}/{stem}.ipynb", f"{executed}/{stem}"
    existing = [f.relative_to(root).as_posix() for f in (root / folder).glob("*") if f.is_file()]
    for pattern in patterns:
        if fnmatch.fnmatchcase(page, pattern) or any(fnmatch.fnmatchcase(f, pattern) for f in existing):
            return True
        # not executed yet: its tables are unknown, so a pattern for files in its folder counts
        if not existing and fnmatch.fnmatchcase(folder, posixpath.dirname(pattern) or "."):
            return True
    return False


def status(profile: str = "standard", *, root: str | Path = ".", paths: Iterable[str | Path] | None = None,
           package_dir: Path | None = None) -> list[SettingStatus]:
    """Which settings ``book`` (or ``run``) would execute at ``profile``, and why.

    Parameters
    ----------
    profile : str
        The profile to compare with (one of :data:`PROFILES`).
    root : str or Path
        The repository root.
    paths : iterable of paths, optional
        Params files; default: all of them (:func:`discover`), as ``book`` runs them.
    package_dir : Path, optional
        The :mod:`ibutils` package folder whose code is hashed (default: the installed one).

    Returns
    -------
    list of SettingStatus
        One per params file, in name order. Nothing is executed or written. A
        setting of a later stage whose inputs are the outputs of a stale setting is
        stale too (``inputs (upstream stale: ...)``): ``book`` re-executes it after them.
    """
    if profile not in PROFILES:
        raise ParamsError(f"unknown profile {profile!r} (valid: {', '.join(PROFILES)})")
    root = Path(root).resolve()
    paths = [Path(p) for p in (discover(root) if paths is None else paths)]
    out: dict[str, SettingStatus] = {}
    staged: list[tuple[int, Path, Any, Path, dict]] = []
    for p in paths:
        name = p.stem
        try:
            spec, nb_path, parameters = resolve(p if p.is_absolute() else root / p, profile, None, root / "notebooks")
        except ParamsError as err:
            out[name] = SettingStatus(name, "invalid", (str(err),))
            continue
        staged.append((spec.stage, p, spec, nb_path, parameters))
    stale_by_stage: dict[int, list[str]] = {}
    for stage, p, spec, nb_path, parameters in sorted(staged, key=lambda t: (t[0], t[1].stem)):
        name = p.stem
        target = output_path(p, root)
        key = compute_key(nb_path, parameters, inputs_hash(root, spec.inputs, target.with_suffix("")), package_dir)
        reasons = stale_reasons(read_provenance(target) if target.exists() else None, key, profile)
        upstream = [s for st, names in stale_by_stage.items() if st < stage for s in names
                    if _feeds(s, spec.inputs, root)]
        if upstream and "inputs" not in reasons and reasons != ["not executed"]:
            reasons.append(f"inputs (upstream stale: {', '.join(sorted(upstream))})")
        if reasons:
            stale_by_stage.setdefault(stage, []).append(name)
        out[name] = SettingStatus(name, "stale" if reasons else "cached", tuple(reasons))
    return [out[p.stem] for p in paths]


def make_executor(kind: str = "processes", jobs: int | None = None, scheduler: str | None = None) -> Executor:
    """An executor for settings: ``processes`` (default), ``serial`` or ``dask``.

    Any :class:`concurrent.futures.Executor` works; ``dask`` is
    :func:`ibutils.publish.cluster.dask_executor`: the Dask scheduler at ``scheduler``
    (``tcp://HOST:PORT``), else a ``LocalCluster`` of ``jobs`` worker processes with one thread each
    (needs ``pip install 'ibutils[cluster]'``; an :class:`ImportError` says so). The local process pools
    start their workers with :func:`_worker_init`, so Ctrl-C stops them without tracebacks.
    """
    if scheduler and kind != "dask":
        raise ValueError(f"scheduler={scheduler!r} needs the dask executor (got {kind!r})")
    jobs = jobs or max(1, (os.cpu_count() or 2) // 2)
    if kind == "processes":
        return ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"), initializer=_worker_init)
    if kind == "serial":
        return ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"), initializer=_worker_init)
    if kind == "dask":
        from .cluster import dask_executor  # imports distributed (optional dependency)

        return dask_executor(jobs, scheduler)
    raise ValueError(f"unknown executor {kind!r} (valid: processes, serial, dask)")


class _Progress:
    """The live progress of the settings that run: one status line on a terminal, nothing in a log."""

    def __init__(self, folder: Path, expected: dict[str, float | None], total: int, stream=None, live=None):
        self.folder, self.expected, self.total, self.done = folder, expected, total, 0
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.shown = False

    def file(self, name: str) -> str:
        return str(self.folder / f"{name}.json")

    def status(self, running: Iterable[str]) -> str:
        parts = []
        for name in running:
            p = read_progress(self.file(name))
            if not p:
                continue
            elapsed = time.time() - float(p.get("start", time.time()))
            exp = self.expected.get(name)
            if exp is None:
                eta = "no stored time"
            elif elapsed <= exp:
                eta = f"~{timings.fmt_seconds(exp - elapsed)} left"
            else:
                eta = f"the last run took {timings.fmt_seconds(exp)}"
            parts.append(f"{name} {p.get('done', 0)}/{p.get('total', '?')} cells, {timings.fmt_seconds(elapsed)} "
                         f"({eta})")
        return f"[{self.done}/{self.total} done] " + ("; ".join(parts) or "starting")

    def show(self, running: Iterable[str]) -> None:
        if not self.live:
            return
        width = shutil.get_terminal_size((100, 20)).columns - 1
        self.stream.write("\r\033[K" + self.status(running)[:width])
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.live and self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False

    def print(self, line: str) -> None:
        self.clear()
        print(line, flush=True)


def run_settings(paths: Iterable[str | Path], profile: str = "standard", *, force: bool = False,
                 root: str | Path = ".", executor: Executor | None = None, jobs: int | None = None,
                 progress: bool = True, overrides: dict[str, Any] | None = None) -> list[RunReport]:
    """Run many settings in parallel; validate all of them first, stop on the first error.

    Parameters
    ----------
    paths : params files (relative to ``root`` or absolute).
    profile, force, root : as for :func:`run_setting`.
    executor : where the settings run (default: :func:`make_executor`).
    jobs : workers of the default executor.
    progress : show the live progress of the running settings (cells done / total and the time left
        from the stored timings) on a terminal, and print one line per setting as it ends.
    overrides : ``-p`` values, for a single setting only.

    Raises
    ------
    SettingFailed : a notebook raised (the others are stopped; nothing half-written is left).
    Interrupted : Ctrl-C; the running settings are stopped cleanly, their partial notebooks are in
        ``book/executed/.failed/``.
    """
    root = Path(root).resolve()
    paths = [params_relative(p, root, root) for p in paths]
    if overrides and len(paths) != 1:
        raise ParamsError("-p overrides apply to one params file at a time")
    stages: dict[int, list[Path]] = {}
    for p in paths:  # validate everything before running anything
        spec, _, _ = resolve(root / p, profile, overrides, root / "notebooks")
        stages.setdefault(spec.stage, []).append(p)
    own = executor is None
    executor = executor or make_executor(jobs=jobs)
    folder = Path(tempfile.mkdtemp(prefix="ibutils-progress-"))
    stored = timings.read(root).get(profile, {})
    bar = _Progress(folder, {p.stem: (stored.get(p.stem) or {}).get("seconds") for p in paths}, len(paths),
                    live=None if progress else False)
    reports: list[RunReport] = []
    futures: dict[Future, str] = {}
    try:
        for stage in sorted(stages):
            order = timings.longest_first(stages[stage], stored)  # longest stored wall time first
            if getattr(executor, "remote", False):  # a cluster: workers execute, the client writes the book
                futures = {}
                for p in order:
                    plan = plan_setting(p, profile, overrides, root=root)
                    if plan.cached and not force:
                        reports.append(plan.cached_report())
                        bar.done += 1
                        if progress:
                            bar.print(reports[-1].line())
                    else:
                        futures[executor.submit(run_setting_remote, plan, bar.file(p.stem))] = p.stem
            else:
                futures = {executor.submit(run_setting, p, profile, overrides, force=force, root=root,
                                           progress_file=bar.file(p.stem)): p.stem for p in order}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for fut in done:
                    report = fut.result()  # a failure propagates: the others are stopped below
                    if isinstance(report, Shipped):
                        report = commit_shipped(report)
                    reports.append(report)
                    bar.done += 1
                    if progress:
                        bar.print(report.line())
                if pending:
                    bar.show(futures[f] for f in pending if f.running())
        bar.clear()
    except KeyboardInterrupt:
        bar.clear()
        raise Interrupted(_stop(executor, futures, own)) from None
    except BaseException:
        bar.clear()
        _stop(executor, futures, own)  # stop the others (cleanly, as on Ctrl-C); report the first failure
        raise
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(folder, ignore_errors=True)
    return sorted(reports, key=lambda r: r.name)


def _stop(executor: Executor, futures: dict[Future, str], own: bool) -> str:
    """After Ctrl-C: cancel what has not started, interrupt what runs, wait for it to clean up."""
    for fut in futures:
        fut.cancel()
    running = [f for f in futures if f.running()]
    for proc in list((getattr(executor, "_processes", None) or {}).values()):  # a signal to the workers only
        try:
            os.kill(proc.pid, signal.SIGINT)
        except (OSError, AttributeError):
            pass
    lines = []
    for fut in running:
        try:
            fut.result(timeout=60)
            lines.append(f"{futures[fut]}: finished")
        except SettingFailed as err:
            lines.append(str(err))
        except BaseException as err:  # noqa: BLE001  (a worker that died: say so, no traceback)
            lines.append(f"{futures[fut]}: stopped ({type(err).__name__})")
    if own:
        executor.shutdown(wait=True, cancel_futures=True)
    return "; ".join(lines) or "no setting was running"


def downstream(paths: Iterable[str | Path], profile: str = "standard", *, root: str | Path = ".",
               package_dir: Path | None = None) -> list[Path]:
    """The settings whose ``inputs`` read the outputs of ``paths`` (directly or through others)
    and are stale at ``profile`` now: the overview pages and the scorecard to re-execute after
    ``run`` so the book is consistent. Params files relative to ``root``, in stage and name order."""
    root = Path(root).resolve()
    ran = {Path(p).stem for p in paths}
    specs = {}
    for p in discover(root):
        try:
            specs[p] = resolve(root / p, profile, None, root / "notebooks")[0]
        except ParamsError:
            continue
    feeds = set(ran)
    found: list[Path] = []
    for p, spec in sorted(specs.items(), key=lambda t: (t[1].stage, t[0].stem)):
        if p.stem in ran:
            continue
        if any(_feeds(s, spec.inputs, root) for s in feeds):
            feeds.add(p.stem)
            found.append(p)
    if not found:
        return []
    stale = {s.name for s in status(profile, root=root, paths=found, package_dir=package_dir) if s.state != "cached"}
    return [p for p in found if p.stem in stale]


@dataclass(frozen=True)
class Estimate:
    """Expected wall time of one stale setting at a profile (``None``: never run there)."""

    name: str
    seconds: float | None
    date: str = ""
    cores: int | None = None

    def line(self) -> str:
        where = f"  (last run {self.date}, {self.cores} cores)" if self.seconds is not None and self.date else ""
        return f"{self.name:<36} {timings.fmt_seconds(self.seconds):>12}{where}"


def estimate(profile: str = "standard", *, root: str | Path = ".", paths: Iterable[str | Path] | None = None,
             package_dir: Path | None = None) -> list[Estimate]:
    """The expected wall time of every setting ``book`` (or ``run`` of ``paths``) would execute at
    ``profile``: the stale ones (:func:`status`), each with the stored time of its last run there
    (:mod:`ibutils.publish.timings`; ``None`` where it never ran). Nothing is executed."""
    root = Path(root).resolve()
    stored = timings.read(root).get(profile, {})
    out = []
    for st in status(profile, root=root, paths=paths, package_dir=package_dir):
        if st.state == "cached":
            continue
        entry = stored.get(st.name) or {}
        out.append(Estimate(st.name, entry.get("seconds"), str(entry.get("date", "")), entry.get("cores")))
    return out


def build_book(profile: str = "standard", *, root: str | Path = ".", force: bool = False, jobs: int | None = None,
               strict: bool = False, executor: Executor | None = None) -> Path:
    """Run every setting in ``params/`` at ``profile``, render the coverage list
    (:func:`ibutils.publish.coverage.write_coverage`) and build the HTML book.

    Returns the path of the book's ``index.html``.
    """
    from .budgets import write_budgets
    from .coverage import write_coverage

    root = Path(root).resolve()
    reports = run_settings(discover(root), profile, force=force, root=root, jobs=jobs, executor=executor)
    executed = sum(r.status == "executed" for r in reports)
    print(f"{executed} executed, {len(reports) - executed} cached (profile {profile})", flush=True)
    write_coverage(root)  # the coverage tables book/debate.md and book/intro.md include
    write_budgets(root)  # the budgets table book/reproduce.md includes (issue 23)
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(root), "--quiet"]
    if strict:
        cmd += ["-W", "--keep-going"]
    if subprocess.run(cmd, cwd=root).returncode != 0:
        raise SettingFailed("jupyter-book build failed (see its messages above)")
    return root / "_build" / "html" / "index.html"


def freeze(nb_path: str | Path, *, root: str | Path = ".", rebase: bool = False) -> Path | None:
    """Execute a committed notebook with its own defaults and keep its outputs for nbval.

    Volatile metadata (papermill timings, execution timestamps) is removed, so the
    committed file changes only when its code or its outputs change. On a machine of the
    CPU kind the committed outputs come from (:mod:`ibutils.publish.cpukind`), the notebook
    is rewritten in place; on another kind its outputs are recorded for that kind instead
    (``notebooks/cpu_kinds/<kind>/``), and the notebook is left as it is, unless ``rebase``
    makes this machine's kind the notebook's own (other kinds' records then go stale).

    Returns
    -------
    Path or None
        The file written: the notebook, the kind's record, or ``None`` when this kind's
        outputs equal the committed ones (no record is needed; a stale one is removed).
    """
    import papermill as pm

    from . import cpukind

    nb_path = Path(nb_path)
    here = cpukind.cpu_kind()
    committed = nbformat.read(nb_path, as_version=4)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / nb_path.name
        pm.execute_notebook(str(nb_path), str(out), cwd=str(nb_path.parent), kernel_name="python3",
                            progress_bar=False, log_output=False, extra_arguments=list(KERNEL_ARGS))
        nb = nbformat.read(out, as_version=4)
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
    if not (rebase or cpukind.notebook_kind(committed) == here):
        return cpukind.record(nb_path, nb, here)
    nb.metadata["ibutils"] = {"cpu_kind": here}
    with atomic_path(nb_path) as tmp:
        nbformat.write(nb, tmp)
    cpukind.record_path(nb_path, here).unlink(missing_ok=True)
    for kind, n in cpukind.stale_records(nb_path).items():
        print(f"{nb_path}: {n} recorded cell(s) of CPU kind {kind} are now stale; refreeze on such a machine "
              "(DEVELOPING.md, 'Outputs across CPU kinds')", file=sys.stderr, flush=True)
    return nb_path
