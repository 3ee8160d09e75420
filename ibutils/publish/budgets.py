"""Budgets per profile: each chapter's measured wall time at each profile, rendered for ``book/reproduce.md``.

The pipeline stores the wall time of every successful run of a setting (``wall_time_s`` in the
executed notebook's metadata, :func:`ibutils.publish.pipeline.read_provenance`) and records it in
the committed ``book/budgets.yml`` (:mod:`ibutils.publish.timings`, profile -> setting ->
seconds, date, cores), since ``book/executed/`` is not committed. :func:`write_budgets` sums those
times per chapter (the parts of ``_toc.yml``) into ``book/executed/budgets.md`` (atomic write),
which ``book/reproduce.md`` includes; a profile never run here reads "not measured". The totals
are compared with the book's targets on 2 cores (:data:`TARGETS_S`, issue 23).
"""
from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path

import pandas as pd
import yaml

from . import timings
from .page import atomic_path, results_root

PROFILES = ("quick", "standard", "paper")
#: wall-time targets of a whole-book run on 2 cores, seconds (quick: the CI build)
TARGETS_S = {"quick": 8 * 60, "standard": 45 * 60, "paper": 3 * 3600}
BUDGETS_PAGE = Path("book") / "executed" / "budgets.md"


def chapters(root: str | Path = ".") -> list[tuple[str, list[str]]]:
    """``(caption, [setting, ...])`` for each part of ``_toc.yml`` that has executed pages, in order
    (none without a ``_toc.yml``)."""
    path = Path(root) / "_toc.yml"
    if not path.is_file():
        return []
    toc = yaml.safe_load(path.read_text()) or {}
    out = []
    for part in toc.get("parts", []):
        pages = [Path(c["file"]).name for c in part.get("chapters", []) if str(c.get("file", "")).startswith("book/executed/")]
        if pages:
            out.append((str(part.get("caption", "")), pages))
    return out


def _fmt(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.2f} h"


def _cell(entries: list[dict | None]) -> tuple[str, float | None]:
    got = [e for e in entries if e and e.get("seconds") is not None]
    if not got:
        return "not measured", None
    total = float(sum(float(e["seconds"]) for e in got))
    text = _fmt(total) + ("" if len(got) == len(entries) else f" ({len(got)} of {len(entries)} pages)")
    return text, total


def budgets_markdown(root: str | Path = ".") -> str:
    """The Markdown table: one row per chapter, one column per profile, then totals and targets."""
    stored = timings.read(root)
    parts = chapters(root)
    header = "| chapter | " + " | ".join(f"`{p}`" for p in PROFILES) + " |"
    rows = [header, "|---|" + "---|" * len(PROFILES)]
    complete = {p: True for p in PROFILES}
    totals = {p: 0.0 for p in PROFILES}
    for caption, pages in parts:
        cells = []
        for p in PROFILES:
            entries = [stored.get(p, {}).get(page) for page in pages]
            text, total = _cell(entries)
            cells.append(text)
            totals[p] += total or 0.0
            complete[p] &= all(e and e.get("seconds") is not None for e in entries)
        rows.append(f"| {caption} | " + " | ".join(cells) + " |")
    all_pages = [page for _, pages in parts for page in pages]
    total_cells, verdicts = [], []
    for p in PROFILES:
        text, total = _cell([stored.get(p, {}).get(page) for page in all_pages])
        total_cells.append(f"**{text}**")
        if total is None:
            verdicts.append(f"<= {_fmt(TARGETS_S[p])}: not measured")
        elif complete[p]:
            verdicts.append(f"<= {_fmt(TARGETS_S[p])}: {'met' if total <= TARGETS_S[p] else 'not met'}")
        else:
            verdicts.append(f"<= {_fmt(TARGETS_S[p])}: incomplete" + (" (already over)" if total > TARGETS_S[p] else ""))
    rows.append("| **whole book** (sum of the pages' wall times) | " + " | ".join(total_cells) + " |")
    rows.append("| target on 2 cores | " + " | ".join(verdicts) + " |")
    when = []
    for p in PROFILES:
        entries = [stored.get(p, {}).get(page) for page in all_pages]
        got = [e for e in entries if e]
        if got:
            dates = sorted({str(e.get("date", "")) for e in got})
            cores = sorted({int(e.get("cores", 0)) for e in got})
            span = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
            when.append(f"`{p}` measured {span} on {', '.join(map(str, cores))} CPU cores")
        else:
            when.append(f"`{p}` not measured on this machine yet")
    return "\n".join(rows) + "\n\n" + "; ".join(when) + ".\n"


def harvest(root: str | Path = ".") -> int:
    """Record in ``book/budgets.yml`` the wall time (``wall_time_s``) of every executed notebook whose
    provenance has no entry there yet (a run without ``-p`` overrides; the date is the notebook's
    modification date, the cores this machine's). Returns how many entries were added."""
    root = Path(root)
    stored = timings.read(root)
    added = 0
    for nb in sorted((root / "book" / "executed").glob("*.ipynb")):
        try:
            info = json.loads(nb.read_text()).get("metadata", {}).get("ibutils") or {}
        except (OSError, ValueError):
            continue
        profile, seconds = info.get("profile"), info.get("wall_time_s")
        if profile not in PROFILES or seconds is None or info.get("overrides") or nb.stem in stored.get(profile, {}):
            continue
        date = _dt.date.fromtimestamp(nb.stat().st_mtime).isoformat()
        timings.record(root, profile, nb.stem, float(seconds), date=date, cores=os.cpu_count())
        added += 1
    return added


def write_budgets(root: str | Path = ".") -> Path:
    """Render :func:`budgets_markdown` into ``book/executed/budgets.md`` (atomic write) after
    :func:`harvest`; returns the path."""
    root = Path(root)
    harvest(root)
    path = root / BUDGETS_PAGE
    path.parent.mkdir(parents=True, exist_ok=True)
    text = budgets_markdown(root)
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return path


__all__ = ["PROFILES", "TARGETS_S", "BUDGETS_PAGE", "chapters", "budgets_markdown", "harvest", "write_budgets"]


def page_times(pages: list[str], results_dir: str | Path | None = None) -> pd.DataFrame:
    """Each page's last stored wall time at each profile (``book/budgets.yml``), for an overview page.

    Parameters
    ----------
    pages : the settings, in the order shown.
    results_dir : where the settings' results are (:func:`ibutils.publish.page.results_root`); the
        timings file is two folders above it. ``""`` (the committed notebooks' default, for nbval):
        not available, so the table is empty (stored timings change with every run).

    Returns
    -------
    pandas.DataFrame
        ``page`` and one column per profile (``"12.3 min"``, ``"not measured"``), then a ``total`` row
        (the sum of the measured pages, with how many of them were measured).
    """
    cols = ["page", *PROFILES]
    res = results_root(results_dir)
    if res is None:
        return pd.DataFrame(columns=cols)
    stored = timings.read(Path(res).resolve().parent.parent)
    rows = []
    for page in pages:
        rows.append(dict(page=page, **{p: _cell([stored.get(p, {}).get(page)])[0] for p in PROFILES}))
    rows.append(dict(page="total", **{p: _cell([stored.get(p, {}).get(page) for page in pages])[0] for p in PROFILES}))
    return pd.DataFrame(rows, columns=cols)
