"""Glossary links (issue 20, item 7): every ``{term}`` target in the book's prose is a glossary term.

The targets are checked in the committed notebooks' markdown, in the notebooks as the build shows them
(after :func:`ibutils.publish.reading.link_terms` has linked the first use of each term), and in the
hand-written pages ``book/*.md``, which must already link the first use of each term themselves.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ibutils.publish import reading

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "book" / "glossary.md"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PAGES = sorted(p for p in (ROOT / "book").glob("*.md") if p.name not in ("glossary.md", "bibliography.md"))
_ROLE = re.compile(r"\{term\}`([^`]*)`")


def glossary_entries(text: str) -> set[str]:
    """Every term of the ``{glossary}`` block of ``text``, aliases and symbols included, lower-cased."""
    if "```{glossary}" not in text:
        raise ValueError("glossary: no ```{glossary} block")
    block = text.split("```{glossary}", 1)[1].split("\n```", 1)[0]
    return {line.strip().lower() for line in block.split("\n") if line.strip() and not line[0].isspace()}


def term_targets(text: str) -> list[str]:
    """The target of every ``{term}`` role in ``text``: the part in ``<...>`` if given, else the text."""
    out = []
    for body in _ROLE.findall(text):
        m = re.search(r"<([^<>]+)>\s*$", body)
        out.append((m.group(1) if m else body).strip())
    return out


def unknown_targets(text: str, entries: set[str]) -> list[str]:
    """The ``{term}`` targets in ``text`` that are not glossary entries (compared case-insensitively)."""
    return [t for t in term_targets(text) if t.lower() not in entries]


def markdown_of(path: Path) -> str:
    """The prose of a page: a notebook's markdown cells, or a Markdown file's text."""
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        return "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def entries():
    return glossary_entries(GLOSSARY.read_text(encoding="utf-8"))


def test_targets_are_parsed_and_unknown_ones_found():
    entries = glossary_entries("# G\n\n```{glossary}\nDPI\ndata-processing inequality\n  The DPI.\n\n$T$\n  A layer.\n```\n")
    assert entries == {"dpi", "data-processing inequality", "$t$"}
    text = "The {term}`DPI`, the {term}`inequality <Data-processing inequality>`, {term}`layers <layer>` and {term}`foo`."
    assert term_targets(text) == ["DPI", "Data-processing inequality", "layer", "foo"]
    assert unknown_targets(text, entries) == ["layer", "foo"]
    with pytest.raises(ValueError, match="glossary"):
        glossary_entries("# No block here\n")


def test_glossary_has_the_book_terms(entries):
    for t in ("information plane", "mutual information", "compression phase", "binning", "kde bounds", "dpi"):
        assert t in entries
    assert {t.lower() for t in reading.glossary_terms(GLOSSARY)} <= entries  # the build links only to real entries


@pytest.mark.parametrize("path", NOTEBOOKS + PAGES, ids=lambda p: p.name)
def test_every_term_link_has_a_glossary_entry(path, entries):
    assert unknown_targets(markdown_of(path), entries) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_links_the_build_adds_have_glossary_entries(path, entries):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        cell["source"] = "".join(cell["source"])
    reading.link_terms(nb, reading.glossary_terms(GLOSSARY))
    text = "\n\n".join(c["source"] for c in nb["cells"] if c["cell_type"] == "markdown")
    assert unknown_targets(text, entries) == []


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_book_pages_link_the_first_use_of_each_term(path):
    nb = {"cells": [{"cell_type": "markdown", "source": path.read_text(encoding="utf-8")}]}
    added = reading.link_terms(nb, reading.glossary_terms(GLOSSARY))
    assert added == 0, f"{path.name}: {added} glossary terms used but not linked; run reading.link_terms on the page"
