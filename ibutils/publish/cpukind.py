"""The CPU kind a notebook's committed outputs come from, and the outputs other CPU kinds give.

A trained network's numbers depend on the CPU kind that trained it: oneDNN, XLA and OpenBLAS pick their
kernels (and so the order in which they add) by the instructions a CPU has, and the sum of the same terms
in another order differs in its last bits, which training then carries into the visible digits. On the
machines this project runs on two kinds occur, with AVX-512 and without (AVX2), and they disagree on most
trained pages. So each notebook states the kind its committed outputs were made on (metadata
``ibutils.cpu_kind``; :data:`BASE_KIND` when absent), and for every other kind seen a file
``notebooks/cpu_kinds/<kind>/<notebook>.json`` holds the outputs of the cells that came out otherwise there.
nbval (``notebooks/conftest.py``) compares a cell with the committed outputs, then, on a machine of
another kind, with that kind's recorded outputs, both exactly.

A recorded cell applies only while the cell's source and its committed outputs are those it was recorded
against (their SHA-256 digests are stored with it): a notebook refrozen on its own kind with new outputs
makes the other kinds' records for those cells stale, and nbval says so rather than compare with them.
"""
from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path

import nbformat

#: The kind of the machines the committed outputs were first frozen on (CI's, until 2026-11-29).
BASE_KIND = "x86_64-avx2"
FOLDER = "cpu_kinds"


def cpu_kind(flags: set[str] | None = None) -> str:
    """This machine's CPU kind as far as the numbers are concerned: ``x86_64-avx512``, ``x86_64-avx2``,
    ``x86_64`` (neither), or the machine name elsewhere (``aarch64``, ``arm64``).

    Parameters
    ----------
    flags : set of str, optional
        The CPU's feature flags (default: read from ``/proc/cpuinfo``, else from NumPy's runtime
        dispatch table).
    """
    machine = platform.machine().lower()
    if machine not in ("x86_64", "amd64"):
        return machine
    if flags is None:
        flags = _flags()
    if "avx512f" in flags:
        return "x86_64-avx512"
    if "avx2" in flags:
        return "x86_64-avx2"
    return "x86_64"


def _flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    from numpy._core._multiarray_umath import __cpu_features__  # macOS, Windows: NumPy's own reading

    return {name.lower() for name, present in __cpu_features__.items() if present}


def notebook_kind(nb: nbformat.NotebookNode) -> str:
    """The CPU kind a notebook's committed outputs were made on."""
    return nb.metadata.get("ibutils", {}).get("cpu_kind", BASE_KIND)


def record_path(nb_path: str | Path, kind: str) -> Path:
    """Where the outputs of ``kind`` for notebook ``nb_path`` are recorded."""
    nb_path = Path(nb_path)
    return nb_path.parent / FOLDER / kind / f"{nb_path.stem}.json"


def digest(value) -> str:
    """SHA-256 of a cell's source (a string) or outputs (a list), as stored in the records."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _outputs(cell) -> list:
    return json.loads(json.dumps(cell.get("outputs", [])))


def _key(cell) -> str:
    """A cell's key in a record: its id (``cell-<i>`` after a freeze), else the digest of its source."""
    return cell.get("id") or digest(cell.source)


def _applies(entry: dict, cell) -> bool:
    """Whether a recorded ``entry`` was made against ``cell``'s present source and committed outputs."""
    return entry["source_sha256"] == digest(cell.source) and entry["committed_sha256"] == digest(_outputs(cell))


def record(nb_path: str | Path, fresh: nbformat.NotebookNode, kind: str) -> Path | None:
    """Record the cells of ``fresh`` (the notebook at ``nb_path`` executed on a machine of ``kind``) whose
    outputs differ from the committed ones. Writes atomically; removes the record when no cell differs.

    Returns the record's path, or ``None`` when every cell matched.
    """
    from .page import atomic_path

    nb_path = Path(nb_path)
    committed = nbformat.read(nb_path, as_version=4)
    if [c.source for c in committed.cells] != [c.source for c in fresh.cells]:
        raise ValueError(f"{nb_path}: the executed notebook's cells are not the committed ones")
    cells = {}
    for old, new in zip(committed.cells, fresh.cells):
        if old.cell_type == "code" and _outputs(old) != _outputs(new):
            cells[_key(old)] = {
                "source_sha256": digest(old.source), "committed_sha256": digest(_outputs(old)),
                "outputs": _outputs(new)}
    path = record_path(nb_path, kind)
    if not cells:
        path.unlink(missing_ok=True)
        return None
    doc = {"notebook": nb_path.name, "cpu_kind": kind, "committed_cpu_kind": notebook_kind(committed),
           "cells": cells}
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return path


def recorded_outputs(nb_path: str | Path, cell, kind: str) -> tuple[list | None, str]:
    """The outputs ``kind`` gives for ``cell`` of the notebook at ``nb_path``, and why there are none.

    Returns
    -------
    outputs : list of NotebookNode or None
        ``None`` when nothing applicable is recorded.
    why : str
        Empty when outputs are returned, else a sentence for the test report.
    """
    path = record_path(nb_path, kind)
    if not path.is_file():
        return None, f"no outputs are recorded for CPU kind {kind} ({path} is absent)"
    entry = json.loads(path.read_text())["cells"].get(_key(cell))
    if entry is None:
        return None, f"{path} records no outputs for this cell"
    if not _applies(entry, cell):
        return None, (f"{path} is stale for this cell: it was recorded against another source or other "
                      f"committed outputs; refreeze on a {kind} machine (python -m ibutils freeze)")
    return [nbformat.from_dict(o) for o in entry["outputs"]], ""


def stale_records(nb_path: str | Path) -> dict[str, int]:
    """For each other kind with a record of the notebook at ``nb_path``: how many of its recorded cells no
    longer apply (their cell's source or committed outputs changed since). Kinds with none stale are left out."""
    nb_path = Path(nb_path)
    nb = nbformat.read(nb_path, as_version=4)
    cells = {_key(c): c for c in nb.cells}
    out = {}
    for path in sorted((nb_path.parent / FOLDER).glob(f"*/{nb_path.stem}.json")):
        entries = json.loads(path.read_text())["cells"]
        n = sum(1 for key, e in entries.items() if key not in cells or not _applies(e, cells[key]))
        if n:
            out[path.parent.name] = n
    return out
