"""The package's three layers and the notebooks' rules, checked on the source (no imports run).

Layers (see ``DEVELOPING.md`` and the :mod:`ibutils` docstring):

* **library**: every ``ibutils`` module outside ``studies/`` and ``publish/`` (``data/``, ``nets/``,
  ``mi/``, ``stats``, ``plots``, ...); it never imports a study or ``publish``.
* **studies**: ``ibutils/studies/<family>.py``, one module per notebook family; a study imports the
  library and ``publish`` but no other study, except the shared ``studies/_protocols``.
* **publish**: ``ibutils/publish/`` and the CLI ``ibutils/__main__.py``; imports neither the library
  nor the studies.

The package root ``ibutils/__init__.py`` is importable from every layer, so it imports no
``ibutils`` module itself.

Notebooks: ``notebooks/<family>_*.ipynb`` imports its own study ``ibutils.studies.<family>`` (the
longest study name the notebook's stem starts with), the library and ``publish``; no other study,
and no function or class is defined in a notebook (that code belongs in its study).

Every import statement counts, also one inside a function, and ``importlib.import_module("...")``
with a literal name; relative imports are resolved against the importing module.
"""
from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ibutils"
NOTEBOOKS = ROOT / "notebooks"
PARAMS = ROOT / "params"
STUDY_TESTS = ROOT / "tests" / "studies"

STUDIES = "ibutils.studies"
PUBLISH = "ibutils.publish"
PROTOCOLS = "ibutils.studies._protocols"
CLI = "ibutils.__main__"
# Pages with no study module of their own (they read the other pages' tables).
NOTEBOOKS_WITHOUT_STUDY = {"scorecard"}


@dataclass(frozen=True)
class Import:
    """One imported ``ibutils`` module: where (file, line) and what (absolute dotted name)."""

    path: Path
    line: int
    target: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}: imports {self.target}"


# --------------------------------------------------------------------------------------- modules
def module_name(path: Path) -> str:
    """``ibutils/mi/kde.py`` -> ``ibutils.mi.kde``; ``ibutils/mi/__init__.py`` -> ``ibutils.mi``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def package_files() -> tuple[Path, ...]:
    return tuple(sorted(PACKAGE.rglob("*.py")))


@cache
def known_modules() -> frozenset[str]:
    return frozenset(module_name(p) for p in package_files())


def layer(module: str) -> str:
    """The layer of an ``ibutils`` module: ``root``, ``library``, ``studies`` or ``publish``."""
    if module == "ibutils":
        return "root"
    if module == STUDIES or module.startswith(STUDIES + "."):
        return "studies"
    if module == PUBLISH or module.startswith(PUBLISH + ".") or module == CLI:
        return "publish"
    return "library"


def study_families() -> list[str]:
    """The study modules' names (``ibutils/studies/<family>.py``), without the private ``_*`` ones."""
    return sorted(p.stem for p in (PACKAGE / "studies").glob("*.py") if not p.stem.startswith("_"))


def _absolute(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    """The absolute module a ``from ... import`` names (relative levels resolved)."""
    if not node.level:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_in(tree: ast.AST, path: Path, importer: str = "", is_package: bool = False) -> list[Import]:
    """Every ``ibutils`` module ``tree`` imports, wherever the statement stands.

    ``from ibutils.studies import plane`` counts as importing ``ibutils.studies.plane`` (a module);
    ``from ibutils.mi import MIPair`` (not a module) as importing ``ibutils.mi``.
    """
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, importer, is_package)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((node.lineno, sub if sub in known_modules() else base))
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (isinstance(node.func, ast.Name) and node.func.id in {"import_module", "__import__"})
            )
        ):
            found.append((node.lineno, node.args[0].value))
    unique = dict.fromkeys(sorted(found, key=lambda f: f[0]))  # one entry per line and module, in order
    return [Import(path, line, name) for line, name in unique if name == "ibutils" or name.startswith("ibutils.")]


@cache
def package_imports() -> tuple[Import, ...]:
    out: list[Import] = []
    for path in package_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        out += imports_in(tree, path, module_name(path), path.name == "__init__.py")
    return tuple(out)


def _report(rule: str, bad: list[Import]) -> str:
    return f"{rule}; {len(bad)} offending import(s):\n  " + "\n  ".join(map(str, bad))


def test_imports_are_resolved():
    """The checks below see the package: relative imports resolve to modules that exist."""
    imports = package_imports()
    assert len(imports) > 50
    unknown = [i for i in imports if i.target not in known_modules()]
    assert not unknown, _report("import of an ibutils module that does not exist", unknown)


def test_package_root_imports_no_layer():
    bad = [i for i in package_imports() if layer(module_name(i.path)) == "root" and i.target != "ibutils"]
    assert not bad, _report("ibutils/__init__.py is imported by every layer, so it imports no ibutils module", bad)


def test_library_imports_neither_studies_nor_publish():
    bad = [i for i in package_imports()
           if layer(module_name(i.path)) == "library" and layer(i.target) in {"studies", "publish"}]
    assert not bad, _report("the library (data/, nets/, mi/, stats, plots, ...) never imports "
                            "ibutils.studies or ibutils.publish", bad)


def test_studies_import_no_other_study():
    bad = []
    for i in package_imports():
        importer = module_name(i.path)
        if layer(importer) != "studies" or layer(i.target) != "studies":
            continue
        own = i.target == importer or i.target.startswith(importer + ".")
        shared = i.target == PROTOCOLS or i.target.startswith(PROTOCOLS + ".")
        if not (own or shared):
            bad.append(i)
    assert not bad, _report("a study imports the library and publish but no other study (shared code "
                            "goes to ibutils.studies._protocols)", bad)


def test_publish_imports_neither_library_nor_studies():
    bad = [i for i in package_imports()
           if layer(module_name(i.path)) == "publish" and layer(i.target) in {"library", "studies"}]
    assert not bad, _report("ibutils.publish (and the CLI ibutils.__main__) imports neither the library "
                            "nor the studies", bad)


# ------------------------------------------------------------------------------------- notebooks
def notebook_paths() -> list[Path]:
    return sorted(p for p in NOTEBOOKS.glob("*.ipynb") if not p.name.startswith("."))  # not the atomic-write temporaries


def family_of(stem: str) -> str | None:
    """The study a notebook belongs to: the longest study name equal to its stem or a ``<name>_`` prefix."""
    matches = [f for f in study_families() if stem == f or stem.startswith(f + "_")]
    return max(matches, key=len) if matches else None


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


@cache
def code_cells(path: Path) -> tuple[tuple[int, ast.Module], ...]:
    """The notebook's code cells, parsed, numbered from 1 among all cells; IPython magics blanked."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    out = []
    for number, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        source = _source(cell)
        if source.lstrip().startswith("%%"):
            continue  # a cell magic: not Python
        lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
        out.append((number, ast.parse("\n".join(lines), filename=f"{path.name}, cell {number}")))
    return tuple(out)


def _where(path: Path, cell: int, line: int) -> str:
    return f"{path.relative_to(ROOT)}, cell {cell}, line {line}"


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.stem)
def test_notebook_imports_only_its_study_library_and_publish(path):
    family = family_of(path.stem)
    own = f"{STUDIES}.{family}" if family else None
    bad = []
    for cell, tree in code_cells(path):
        for i in imports_in(tree, path):
            kind = layer(i.target)
            if kind == "studies" and not (own and (i.target == own or i.target.startswith(own + "."))):
                bad.append(f"{_where(path, cell, i.line)}: imports {i.target}")
    allowed = f"its own study {own}" if own else "no study (it has no study module)"
    assert not bad, (f"{path.name} may import {allowed}, the library and ibutils.publish; "
                     f"{len(bad)} offending import(s):\n  " + "\n  ".join(bad))


def _definitions(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append((node.lineno, f"def {node.name}"))
        elif isinstance(node, ast.ClassDef):
            found.append((node.lineno, f"class {node.name}"))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Lambda):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found.append((node.lineno, " = ".join(ast.unparse(t) for t in targets) + " = lambda ..."))
    return found


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.stem)
def test_notebook_defines_no_function_or_class(path):
    family = family_of(path.stem)
    home = f"ibutils/studies/{family}.py" if family else "a study or library module"
    bad = [f"{_where(path, cell, line)}: {what}"
           for cell, tree in code_cells(path) for line, what in _definitions(tree)]
    assert not bad, (f"{path.name} defines code that belongs in {home}; {len(bad)} definition(s):\n  "
                     + "\n  ".join(bad))


# ----------------------------------------------------------------------------------- naming rule
def test_every_notebook_has_a_study_family():
    orphans = [p.name for p in notebook_paths()
               if family_of(p.stem) is None and p.stem not in NOTEBOOKS_WITHOUT_STUDY]
    assert not orphans, (f"notebooks with no ibutils/studies/<family>.py (name the page <family>_*.ipynb, "
                         f"or list it in NOTEBOOKS_WITHOUT_STUDY): {orphans}")


@pytest.mark.parametrize("family", study_families())
def test_every_study_has_pages_params_and_tests(family):
    """Naming rule: page family = study module = params prefix = test file."""
    problems = []
    pages = [p for p in notebook_paths() if family_of(p.stem) == family]
    if not pages:
        problems.append(f"no notebooks/{family}.ipynb or notebooks/{family}_*.ipynb")
    if not any(p.stem == family or p.stem.startswith(family + "_") for p in PARAMS.glob("*.yaml")):
        problems.append(f"no params/{family}.yaml or params/{family}_*.yaml")
    if not (STUDY_TESTS / f"test_{family}.py").is_file():
        problems.append(f"no tests/studies/test_{family}.py")
    assert not problems, f"ibutils/studies/{family}.py: " + "; ".join(problems)


# ------------------------------------------------------------------------ the checker checks itself
def test_import_resolution_on_constructed_source():
    source = (
        "import numpy\n"
        "from . import _protocols\n"
        "from .. import plots, __version__\n"
        "from ..mi import kde, MIPair\n"
        "from ..studies import plane\n"
        "def f():\n"
        "    from ..publish.report import verdict\n"
        "    import ibutils.studies.mnist as m\n"
        "    return importlib.import_module('ibutils.studies.harmonics')\n"
    )
    path = PACKAGE / "studies" / "example.py"
    got = [i.target for i in imports_in(ast.parse(source), path, "ibutils.studies.example")]
    assert got == ["ibutils.studies._protocols" if PROTOCOLS in known_modules() else "ibutils.studies",
                   "ibutils.plots", "ibutils", "ibutils.mi.kde", "ibutils.mi", "ibutils.studies.plane",
                   "ibutils.publish.report", "ibutils.studies.mnist", "ibutils.studies.harmonics"]
    assert [layer(t) for t in ["ibutils", "ibutils.mi.kde", "ibutils.studies", "ibutils.publish.page",
                               "ibutils.__main__"]] == ["root", "library", "studies", "publish", "publish"]


def test_family_is_the_longest_study_prefix():
    families = set(study_families())
    if {"plane", "compression_rebuttal", "background"} <= families:
        assert family_of("plane_bias") == "plane"
        assert family_of("compression_rebuttal") == "compression_rebuttal"
        assert family_of("background_ib") == "background"
    assert family_of("scorecard") is None
    assert family_of("planetary") is None  # a prefix must end at an underscore
