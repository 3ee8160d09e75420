"""Teaching material (issue 20, item 7): learning goals and exercises on each chapter's first page.

Checks that can fail: every ``python -m ibutils run`` command a reader is told to type (exercises, hints)
names a real params file, profile and parameters with allowed values; every ``{exercise}`` has exactly one
``{solution}``, hidden by default; each chapter's first page has a "Learning goals" box and exercises.
"""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from ibutils.publish import pipeline
from ibutils.publish.params import ParamsError, parse_override

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PAGES = sorted((ROOT / "book").glob("*.md"))
#: Parts of ``_toc.yml`` whose first page teaches nothing of its own (how to run the book; reference).
NOT_CHAPTERS = ("Reading and rerunning the book", "Reference")
#: Chapter first pages owned by someone else and not yet given goals and exercises (remove when done).
NOT_YET: set[str] = set()
_RUN = re.compile(r"^(?:\.venv/bin/)?python -m ibutils run .*$", re.M)


def markdown_of(path: Path) -> str:
    """A notebook's markdown cells, or a Markdown page's text."""
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        return "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    return path.read_text(encoding="utf-8")


def check_run_command(line: str, root: Path = ROOT) -> None:
    """Raise ``ParamsError``/``ValueError`` unless ``line`` is a valid ``python -m ibutils run`` command for one setting."""
    argv = shlex.split(line)
    argv = argv[argv.index("run") + 1:]
    params = [a for i, a in enumerate(argv) if not a.startswith("-") and (i == 0 or argv[i - 1] not in ("-p", "--param",
                                                                                                      "--profile", "--jobs"))]
    if len(params) != 1:
        raise ValueError(f"command: expected one params file, got {params}: {line}")
    profile = argv[argv.index("--profile") + 1] if "--profile" in argv else "standard"
    overrides = dict(parse_override(argv[i + 1]) for i, a in enumerate(argv) if a in ("-p", "--param"))
    pipeline.resolve(root / params[0], profile, overrides, root / "notebooks")


def run_commands(text: str) -> list[str]:
    return [m.group(0).strip() for m in _RUN.finditer(text)]


def exercise_problems(text: str) -> list[str]:
    """What is wrong with the ``{exercise}``/``{solution}`` blocks of ``text`` (empty when nothing)."""
    labels = re.findall(r"^:{3,}\{exercise\}[^\n]*\n:label: (\S+)", text, re.M)
    solutions = re.findall(r"^:{3,}\{solution\} (\S+)\n((?::\w+:[^\n]*\n)*)", text, re.M)
    problems = [f"duplicate exercise label {x}" for x in sorted({x for x in labels if labels.count(x) > 1})]
    solved = [s for s, _ in solutions]
    problems += [f"exercise {x} has {solved.count(x)} solutions" for x in labels if solved.count(x) != 1]
    problems += [f"solution {s} has no exercise" for s in solved if s not in labels]
    problems += [f"solution {s} is not hidden (:class: dropdown)" for s, opts in solutions if "dropdown" not in opts]
    return problems


def chapter_first_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [Path(part["chapters"][0]["file"]).name for part in toc["parts"] if part["caption"] not in NOT_CHAPTERS]


def test_checks_catch_bad_commands_and_exercises():
    check_run_command(".venv/bin/python -m ibutils run params/minimal_model.yaml --profile quick -p n_bins=30")
    for bad in ("python -m ibutils run params/minimal_model.yaml --profile quick -p n_bins=1",
                "python -m ibutils run params/minimal_model.yaml -p no_such_key=3",
                "python -m ibutils run params/no_such_setting.yaml"):
        with pytest.raises((ParamsError, ValueError)):
            check_run_command(bad)
    good = "::::{exercise}\n:label: ex-a\n\nQ\n::::\n\n::::{solution} ex-a\n:class: dropdown\n\nA\n::::\n"
    assert exercise_problems(good) == []
    bad = good.replace(":class: dropdown\n", "") + "::::{exercise}\n:label: ex-b\n\nQ\n::::\n"
    assert exercise_problems(bad) == ["exercise ex-b has 0 solutions", "solution ex-a is not hidden (:class: dropdown)"]


@pytest.mark.parametrize("path", NOTEBOOKS + PAGES, ids=lambda p: p.name)
def test_commands_for_readers_are_valid(path):
    for line in run_commands(markdown_of(path)):
        check_run_command(line)


@pytest.mark.parametrize("path", NOTEBOOKS + PAGES, ids=lambda p: p.name)
def test_every_exercise_has_one_hidden_solution(path):
    assert exercise_problems(markdown_of(path)) == []


def test_exercise_labels_are_unique_across_the_book():
    labels = [x for p in NOTEBOOKS + PAGES for x in re.findall(r"^:label: (ex-\S+)", markdown_of(p), re.M)]
    assert len(labels) == len(set(labels))


@pytest.mark.parametrize("name", chapter_first_pages())
def test_chapter_first_pages_have_goals_and_exercises(name):
    if name in NOT_YET:
        pytest.skip(f"{name}: learning goals and exercises not written yet")
    text = markdown_of(ROOT / "notebooks" / f"{name}.ipynb")
    head = text.split("\n# ", 1)[-1] if not text.startswith("# ") else text
    assert re.search(r"^:{3,}\{admonition\} Learning goals$", head, re.M), f"{name}: no Learning goals box"
    goals = re.search(r"\{admonition\} Learning goals\n(.*?)\n:{3,}\n", head, re.S).group(1)
    assert 3 <= len(re.findall(r"^- ", goals, re.M)) <= 4, f"{name}: 3 or 4 goals expected"
    assert len(re.findall(r"^:{3,}\{exercise\}", text, re.M)) >= 2, f"{name}: fewer than 2 exercises"
