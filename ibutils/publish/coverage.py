"""Which experiments of the source studies the book re-runs: one list, rendered where it is cited.

``book/coverage.yml`` is the only place that says which experiments are replicated, partly
replicated or not (yet); :func:`write_coverage` renders it into ``book/executed/coverage_<study>.md``
(one Markdown table per study, plus ``coverage_missing.md`` listing what is not yet re-run),
which ``book/debate.md`` and ``book/intro.md`` include. Chapters added later update the list.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from .page import atomic_path

STATUSES = ("replicated", "partly", "not yet")
COVERAGE_FILE = Path("book") / "coverage.yml"


def load_coverage(path: str | Path = COVERAGE_FILE) -> dict:
    """The coverage list, validated: every experiment has a ``name``, a ``status`` in :data:`STATUSES`,
    ``pages`` (executed page names) and, unless replicated, a ``why``."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: the coverage list is missing")
    data = yaml.safe_load(path.read_text()) or {}
    studies = data.get("studies")
    if not isinstance(studies, dict) or not studies:
        raise ValueError(f"{path}: expected a 'studies' mapping")
    for sid, study in studies.items():
        if "title" not in study or not isinstance(study.get("experiments"), list):
            raise ValueError(f"{path}: studies.{sid} needs 'title' and a list 'experiments'")
        for i, e in enumerate(study["experiments"]):
            where = f"{path}: studies.{sid}.experiments[{i}]"
            if not e.get("name"):
                raise ValueError(f"{where}: missing 'name'")
            if e.get("status") not in STATUSES:
                raise ValueError(f"{where}: status must be one of {STATUSES}, got {e.get('status')!r}")
            if e["status"] != "replicated" and not e.get("why"):
                raise ValueError(f"{where}: a status other than 'replicated' needs a 'why'")
            e.setdefault("pages", [])
    return studies


def _links(pages) -> str:
    return ", ".join(f"{{doc}}`{p} <executed/{p}>`" for p in pages) or "—"


def coverage_markdown(studies: dict, sid: str) -> str:
    """A Markdown table of one study's experiments: experiment, status, pages (links), note."""
    rows = ["| experiment | in this book | pages | note |", "|---|---|---|---|"]
    for e in studies[sid]["experiments"]:
        rows.append(f"| {e['name']} | {e['status']} | {_links(e['pages'])} | {e.get('why', '')} |")
    return "\n".join(rows) + "\n"


def missing_markdown(studies: dict) -> str:
    """A bullet list of every experiment not (yet) fully re-run, with its study and reason."""
    items = [f"- {s['title']}: {e['name']} ({e['status']}: {e['why']})"
             for s in studies.values() for e in s["experiments"] if e["status"] != "replicated"]
    return ("\n".join(items) if items else "- none: every experiment of the five studies is re-run") + "\n"


def write_coverage(root: str | Path = ".") -> list[Path]:
    """Render ``book/coverage.yml`` into ``book/executed/coverage_*.md`` (atomic writes); returns the paths.

    Page links are written relative to ``book/`` (``executed/<page>``): the fragments are included
    by pages in ``book/``, and an included file's links resolve from the including page.
    """
    root = Path(root)
    studies = load_coverage(root / COVERAGE_FILE)
    out_dir = root / "book" / "executed"
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    texts = {f"coverage_{sid}.md": coverage_markdown(studies, sid) for sid in studies}
    texts["coverage_missing.md"] = missing_markdown(studies)
    for name, text in texts.items():
        path = out_dir / name
        with atomic_path(path) as tmp:
            tmp.write_text(text)
        written.append(path)
    return written


__all__ = ["STATUSES", "load_coverage", "coverage_markdown", "missing_markdown", "write_coverage"]
