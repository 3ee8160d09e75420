from pathlib import Path

import pytest

from ibutils.publish import coverage

ROOT = Path(__file__).resolve().parents[2]


def test_the_books_coverage_list_is_valid_and_names_real_pages():
    studies = coverage.load_coverage(ROOT / "book" / "coverage.yml")
    assert {"seed000", "seed001", "seed002", "seed003", "seed004"} <= set(studies)  # plus later work (lorenzen2022)
    toc = (ROOT / "_toc.yml").read_text()
    for s in studies.values():
        for e in s["experiments"]:
            for page in e["pages"]:
                assert f"book/executed/{page}\n" in toc + "\n", f"{e['name']}: page {page} is not in _toc.yml"


def test_write_coverage_renders_tables_and_the_missing_list(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "coverage.yml").write_text(
        "studies:\n  s1:\n    title: A study\n    experiments:\n"
        "      - {name: E1, status: replicated, pages: [p1]}\n"
        "      - {name: E2, status: not yet, pages: [], why: later}\n")
    paths = coverage.write_coverage(tmp_path)
    assert sorted(p.name for p in paths) == ["coverage_missing.md", "coverage_s1.md"]
    table = (tmp_path / "book" / "executed" / "coverage_s1.md").read_text()
    assert "| E1 | replicated | {doc}`p1 <executed/p1>` |  |" in table
    assert "A study: E2 (not yet: later)" in (tmp_path / "book" / "executed" / "coverage_missing.md").read_text()


@pytest.mark.parametrize("bad, match", [
    ("studies: {}", "studies"),
    ("studies:\n  s: {title: T, experiments: [{name: E, status: maybe}]}", "status"),
    ("studies:\n  s: {title: T, experiments: [{name: E, status: partly}]}", "why"),
    ("studies:\n  s: {title: T, experiments: [{status: partly, why: x}]}", "name"),
])
def test_bad_coverage_lists_name_the_key(tmp_path, bad, match):
    f = tmp_path / "coverage.yml"
    f.write_text(bad)
    with pytest.raises(ValueError, match=match):
        coverage.load_coverage(f)
    with pytest.raises(ValueError, match="missing"):
        coverage.load_coverage(tmp_path / "nope.yml")
