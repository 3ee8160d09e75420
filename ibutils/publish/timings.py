"""Stored wall times: how long each setting took at each profile, for ETAs and ``estimate``.

One committed file, ``book/budgets.yml``, maps profile -> setting -> the last successful run::

    standard:
      minimal_model: {seconds: 41.3, date: '2026-11-28', cores: 2}

The pipeline records a setting after every successful execution without ``-p`` overrides
(:func:`record`, under a lock, written atomically, so parallel settings do not lose each
other's entries); ``python -m ibutils run`` shows an ETA from it while a setting runs, and
``python -m ibutils estimate`` sums it over the stale settings (:func:`expected`). ``cores`` is the
machine's CPU count then: a machine with fewer cores takes longer.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import os
from pathlib import Path
from typing import Any, Iterator

import yaml

from .page import atomic_path

BUDGETS_FILE = Path("book") / "budgets.yml"
HEADER = ("# Wall time of the last successful run of each setting at each profile (seconds), written by\n"
          "# `python -m ibutils run` / `book`; read by `python -m ibutils estimate` and the progress ETA.\n")


def read(root: str | Path = ".") -> dict[str, dict[str, dict[str, Any]]]:
    """The stored timings, ``{profile: {setting: {"seconds", "date", "cores"}}}`` (empty when none)."""
    path = Path(root) / BUDGETS_FILE
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        return {}
    except yaml.YAMLError as err:
        raise ValueError(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping profile -> setting -> timing")
    return {str(p): {str(k): dict(v) for k, v in (s or {}).items() if isinstance(v, dict)}
            for p, s in data.items() if isinstance(s, dict)}


def seconds_of(entry: dict[str, Any] | None) -> float | None:
    """The seconds of one stored entry (``{"seconds": ...}``); ``None`` when absent or not a number."""
    try:
        return float(entry["seconds"]) if entry else None
    except (KeyError, TypeError, ValueError):
        return None


def expected(root: str | Path, profile: str, setting: str) -> float | None:
    """Seconds the last stored run of ``setting`` at ``profile`` took (``None`` when never run)."""
    return seconds_of(read(root).get(profile, {}).get(setting))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def record(root: str | Path, profile: str, setting: str, seconds: float, *, date: str | None = None,
           cores: int | None = None) -> None:
    """Store ``setting``'s wall time at ``profile`` (replacing the previous one)."""
    path = Path(root) / BUDGETS_FILE
    with _locked(path):
        data = read(root)
        data.setdefault(profile, {})[setting] = {
            "seconds": round(float(seconds), 1),
            "date": date or _dt.date.today().isoformat(),
            "cores": int(cores or os.cpu_count() or 1),
        }
        ordered = {p: dict(sorted(data[p].items())) for p in sorted(data)}
        with atomic_path(path) as tmp:
            tmp.write_text(HEADER + yaml.safe_dump(ordered, sort_keys=False, default_flow_style=None, width=120))


def longest_first(names, stored: dict[str, dict[str, Any]]) -> list:
    """``names`` (setting names, or paths whose ``stem`` is one) ordered longest stored wall time first.

    The pipeline hands a stage's settings to its workers in this order: longest processing time
    first (Graham 1969) keeps a long setting from starting last while the other workers idle.
    Settings never timed come first (they may be long); ties keep their given order.

    Parameters
    ----------
    names : iterable of str or Path
    stored : ``{setting: {"seconds": ...}}``, one profile of :func:`read`
    """
    def seconds(name) -> float:
        s = seconds_of(stored.get(getattr(name, "stem", name)))
        return float("inf") if s is None else s

    return sorted(names, key=lambda n: -seconds(n))


def fmt_seconds(seconds: float | None) -> str:
    """``"unknown"``, ``"42 s"``, ``"3 min 5 s"`` or ``"2 h 03 min"``."""
    if seconds is None:
        return "unknown"
    s = int(round(float(seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"
