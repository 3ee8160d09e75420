"""ibutils.publish.budgets: the per-chapter wall-time table of book/reproduce.md (issue 23)."""
import json

import yaml

from ibutils.publish import budgets, timings


def _book(tmp_path, stored):
    (tmp_path / "book" / "executed").mkdir(parents=True)
    toc = {"format": "jb-book", "root": "book/intro", "parts": [
        {"caption": "Reading", "chapters": [{"file": "book/reproduce"}]},
        {"caption": "Alpha", "chapters": [{"file": "book/executed/a1"}, {"file": "book/executed/a2"}]},
        {"caption": "Beta", "chapters": [{"file": "book/executed/b1"}]}]}
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump(toc))
    for profile, settings in stored.items():
        for name, seconds in settings.items():
            timings.record(tmp_path, profile, name, seconds, date="2026-11-28", cores=2)


def test_table_sums_chapters_and_says_not_measured(tmp_path):
    _book(tmp_path, {"quick": {"a1": 30.0, "a2": 90.0, "b1": 200.0}, "standard": {"a1": 600.0}})
    text = budgets.budgets_markdown(tmp_path)
    assert "| Alpha | 2.0 min | 10.0 min (1 of 2 pages) | not measured |" in text
    assert "| Beta | 3.3 min | not measured | not measured |" in text
    assert "**5.3 min**" in text and "<= 8.0 min: met" in text
    assert "<= 45.0 min: incomplete" in text and "<= 3.00 h: not measured" in text
    assert "`quick` measured 2026-11-28 on 2 CPU cores" in text and "`paper` not measured" in text
    assert "Reading" not in text  # parts without executed pages have no row


def test_target_not_met_and_atomic_write(tmp_path):
    _book(tmp_path, {"quick": {"a1": 400.0, "a2": 90.0, "b1": 10.0}})
    path = budgets.write_budgets(tmp_path)
    assert path == tmp_path / budgets.BUDGETS_PAGE
    assert "<= 8.0 min: not met" in path.read_text()
    assert not list(path.parent.glob("*.tmp*"))


def test_harvest_reads_provenance_once(tmp_path):
    _book(tmp_path, {})
    meta = {"ibutils": {"profile": "standard", "wall_time_s": 123.4, "overrides": {}}}
    (tmp_path / "book" / "executed" / "b1.ipynb").write_text(json.dumps({"metadata": meta, "cells": []}))
    over = {"ibutils": {"profile": "standard", "wall_time_s": 9.0, "overrides": {"seed": 1}}}
    (tmp_path / "book" / "executed" / "a1.ipynb").write_text(json.dumps({"metadata": over, "cells": []}))
    assert budgets.harvest(tmp_path) == 1
    assert timings.read(tmp_path)["standard"]["b1"]["seconds"] == 123.4
    assert "a1" not in timings.read(tmp_path)["standard"]  # a run with -p overrides is not a budget
    assert budgets.harvest(tmp_path) == 0


def test_without_toc(tmp_path):
    (tmp_path / "book").mkdir()
    assert "not measured" in budgets.budgets_markdown(tmp_path)


def test_page_times_for_an_overview(tmp_path):
    _book(tmp_path, {"quick": {"a1": 30.0, "a2": 90.0}, "standard": {"a1": 600.0}})
    t = budgets.page_times(["a1", "a2"], tmp_path / "book" / "executed")
    assert list(t.columns) == ["page", "quick", "standard", "paper"]
    assert t.iloc[0].tolist() == ["a1", "30 s", "10.0 min", "not measured"]
    assert t.iloc[-1].tolist() == ["total", "2.0 min", "10.0 min (1 of 2 pages)", "not measured"]
    assert budgets.page_times(["a1"], "").empty  # outside the pipeline (nbval): nothing to read
