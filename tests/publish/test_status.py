"""The cache key's parts, the study modules a page runs, and ``python -m ibutils status``.

Execution is mocked (papermill's ``execute_notebook`` copies the notebook), and the code
that is hashed is a miniature ``ibutils`` package in a temporary folder, so these tests
start no kernel and do not depend on the real package's files.
"""
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from ibutils.__main__ import main
from ibutils.publish import pipeline

ROOT = Path(__file__).resolve().parents[2]

PACKAGE = {
    "__init__.py": '"""Package."""\n',
    "stats.py": '"""Library."""\n\ndef mean(x):\n    return sum(x) / len(x)\n',
    "publish/__init__.py": "",
    "publish/page.py": '"""Page helpers."""\n',
    "studies/__init__.py": '"""Studies."""\n',
    "studies/_protocols.py": '"""Shared protocols."""\n',
    "studies/alpha.py": '"""Alpha."""\nfrom . import gamma as g\n\ndef run():\n    return g.x\n',
    "studies/beta.py": '"""Beta."""\nfrom ._protocols import *  # noqa\n\nthing = 1\n',
    "studies/gamma.py": '"""Gamma, used by alpha."""\nx = 1\n',
    "studies/delta.py": '"""Delta, used by no page."""\n',
}
NOTEBOOKS = {  # name: code cell
    "a": "%matplotlib inline\nfrom ibutils.studies import alpha as al\nal.run()",
    "b": "from ibutils.studies.beta import thing\nprint(thing)",
    "c": "import math\nprint(math.pi)",
    "summary": "import pandas as pd",
}


def notebook(code: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell("n = 1")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Page"), params, nbformat.v4.new_code_cell(code)]
    return nb


def params_file(root: Path, name: str, **extra) -> None:
    spec = {"notebook": name, "profiles": {"quick": {}, "standard": {"n": 2}, "paper": {"n": 3}}, **extra}
    (root / "params" / f"{name}.yaml").write_text(yaml.safe_dump(spec))


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A miniature book (4 settings) and package, with papermill mocked; returns (root, package)."""
    pkg = tmp_path / "pkg"
    for name, text in PACKAGE.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(text)
    root = tmp_path / "book_root"
    (root / "notebooks").mkdir(parents=True)
    (root / "params").mkdir()
    for name, code in NOTEBOOKS.items():
        nbformat.write(notebook(code), root / "notebooks" / f"{name}.ipynb")
        params_file(root, name)
    params_file(root, "summary", stage=2, inputs=["book/executed/a/*.csv"])
    monkeypatch.setattr(pipeline, "PACKAGE_DIR", pkg)

    import papermill

    def fake_execute(input_path, output_path, **kwargs):
        nbformat.write(nbformat.read(input_path, as_version=4), output_path)

    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)
    return root, pkg


def run_all(root: Path, profile: str = "quick") -> dict[str, str]:
    """Run every setting in stage order, as ``book`` does (in this process); name -> status."""
    paths = sorted(pipeline.discover(root), key=lambda p: (p.stem == "summary", p.stem))
    return {p.stem: pipeline.run_setting(p, profile, root=root).status for p in paths}


def state(root: Path, profile: str = "quick") -> dict[str, str]:
    return {s.name: (s.state + (": " + ", ".join(s.reasons) if s.reasons else ""))
            for s in pipeline.status(profile, root=root)}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


# -------------------------------------------------------------- study modules
def test_study_imports_forms():
    src = ("from ibutils.studies import plane as sw, mnist\nfrom ibutils.studies.weighted_binning import A\n"
           "import ibutils.studies.harmonics\nimport ibutils.stats\nfrom ibutils import studies\n"
           "def f():\n    import importlib\n    return importlib.import_module('ibutils.studies.late')\n")
    assert pipeline.study_imports(src) == {"plane", "mnist", "weighted_binning", "harmonics", "late"}
    assert pipeline.study_imports("from . import gamma\nfrom .beta import x\nfrom .. import stats") == set()
    assert pipeline.study_imports("from . import gamma\nfrom .beta import x\nfrom .. import stats",
                                  relative=True) == {"gamma", "beta"}
    # cells that are not Python (magics are blanked; anything else falls back to a pattern)
    assert pipeline.study_imports("%time x = 1\nfrom ibutils.studies import plane as sw") == {"plane"}
    assert pipeline.study_imports("x = (\nfrom ibutils.studies import plane as sw, mnist") == {"plane", "mnist"}


def test_notebook_studies_follow_study_imports_and_skip_unknown_names(project):
    root, pkg = project
    nbs = root / "notebooks"
    assert pipeline.notebook_studies(nbs / "a.ipynb") == ["alpha", "gamma"]   # alpha imports gamma
    assert pipeline.notebook_studies(nbs / "b.ipynb") == ["beta"]             # _protocols is always hashed
    assert pipeline.notebook_studies(nbs / "c.ipynb") == []
    nbformat.write(notebook("from ibutils.studies import NOT_A_MODULE, beta"), nbs / "x.ipynb")
    assert pipeline.notebook_studies(nbs / "x.ipynb") == ["beta"]


def test_code_files_are_library_publish_shared_and_own_studies(project):
    _, pkg = project
    assert set(pipeline.code_files([], pkg)) == {"__init__.py", "stats.py", "publish/__init__.py",
                                                 "publish/page.py", "studies/__init__.py", "studies/_protocols.py"}
    assert set(pipeline.code_files(["beta"], pkg)) - set(pipeline.code_files([], pkg)) == {"studies/beta.py"}


def test_code_files_of_the_real_package():
    files = pipeline.code_files(["plane"], ROOT / "ibutils")
    assert {"studies/plane.py", "studies/__init__.py", "stats.py", "publish/pipeline.py"} <= set(files)
    assert not {"studies/mnist.py", "studies/weighted_binning.py"} & set(files)
    assert "plane" in pipeline.notebook_studies(ROOT / "notebooks" / "plane_bias.ipynb", ROOT / "ibutils")


# --------------------------------------------------------------------- status
def test_status_before_and_after_a_run(project):
    root, _ = project
    assert set(state(root).values()) == {"stale: not executed"}
    assert run_all(root) == dict.fromkeys(["a", "b", "c", "summary"], "executed")
    assert set(state(root).values()) == {"cached"}
    info = pipeline.read_provenance(root / "book" / "executed" / "a.ipynb")
    assert set(info["key_parts"]) == set(pipeline.KEY_PARTS) and info["studies"] == ["alpha", "gamma"]
    assert "studies/gamma.py" in info["code_files"] and "studies/beta.py" not in info["code_files"]
    assert run_all(root) == dict.fromkeys(["a", "b", "c", "summary"], "cached")


def test_a_docstring_in_one_study_makes_only_its_pages_stale(project):
    root, pkg = project
    run_all(root)
    edit(pkg / "studies" / "beta.py", '"""Beta."""', '"""Beta, with a better docstring."""')
    assert state(root) == {"a": "cached", "b": "stale: code (studies/beta.py)", "c": "cached", "summary": "cached"}
    # and the pipeline agrees: only b is executed again
    assert run_all(root) == {"a": "cached", "b": "executed", "c": "cached", "summary": "cached"}

    edit(pkg / "studies" / "gamma.py", "x = 1", "x = 2")  # a study that alpha imports
    assert state(root) == {"a": "stale: code (studies/gamma.py)", "b": "cached", "c": "cached",
                           "summary": "stale: inputs (upstream stale: a)"}
    run_all(root)
    (pkg / "studies" / "delta.py").write_text('"""Delta, edited."""\n')  # a study no page imports
    (pkg / "studies" / "epsilon.py").write_text('"""A new study."""\n')
    assert set(state(root).values()) == {"cached"}


def test_shared_and_library_code_make_every_page_stale(project):
    root, pkg = project
    run_all(root)
    edit(pkg / "studies" / "_protocols.py", "Shared", "Common")
    st = state(root)
    assert st.pop("summary") == "stale: code (studies/_protocols.py), inputs (upstream stale: a)"
    assert set(st.values()) == {"stale: code (studies/_protocols.py)"}
    run_all(root)
    edit(pkg / "stats.py", "Library", "The library")
    st = state(root)
    assert st.pop("summary") == "stale: code (stats.py), inputs (upstream stale: a)"
    assert set(st.values()) == {"stale: code (stats.py)"}


def test_status_names_notebook_params_versions_profile_and_invalid(project, monkeypatch):
    root, _ = project
    run_all(root)
    st = state(root, "standard")
    assert st.pop("summary") == "stale: profile differs (quick), inputs (upstream stale: a)"
    assert set(st.values()) == {"stale: profile differs (quick)"}
    nb_path = root / "notebooks" / "c.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[2].source += "\nprint('more')"
    nbformat.write(nb, nb_path)
    params_file(root, "b", parameters={"n": 5})
    st = state(root)
    assert (st["a"], st["b"], st["c"]) == ("cached", "stale: params", "stale: notebook")
    versions = pipeline.package_versions()
    monkeypatch.setattr(pipeline, "package_versions", lambda: {**versions, "numpy": "0.0.1"})
    assert state(root)["a"] == "stale: versions (numpy)"
    (root / "params" / "bad.yaml").write_text("notebook: nope\nprofiles: {quick: {}, standard: {}, paper: {}}\n")
    bad = state(root)["bad"]
    assert bad.startswith("invalid: ") and "unknown notebook 'nope'" in bad


def test_inputs_changed_by_hand(project):
    root, _ = project
    run_all(root)
    (root / "book" / "executed" / "a" / "extra.csv").write_text("x\n1\n")
    assert state(root)["summary"] == "stale: inputs"


def test_cli_status(project, capsys):
    root, pkg = project
    run_all(root)
    edit(pkg / "studies" / "beta.py", '"""Beta."""', '"""Beta!"""')
    assert main(["status", "--profile", "quick", "--root", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["a", "cached"]
    assert lines[1].split(None, 2) == ["b", "stale", "code (studies/beta.py)"]
    assert lines[-1] == "3 cached, 1 stale (profile quick)"


def test_cli_status_runs_as_a_module(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "params").mkdir()
    nbformat.write(notebook("print(1)"), tmp_path / "notebooks" / "one.ipynb")
    params_file(tmp_path, "one")
    proc = subprocess.run([sys.executable, "-m", "ibutils", "status", "--root", str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].split(None, 2) == ["one", "stale", "not executed"]
    assert not (tmp_path / "book").exists()  # status writes nothing


def test_inputs_hash_leaves_out_the_pages_own_results(tmp_path):
    """A summary whose input glob also matches its own folder (harmonics_* -> harmonics_summary) is not
    made stale by the tables it writes itself."""
    from ibutils.publish.pipeline import inputs_hash

    run, own = tmp_path / "book" / "executed" / "h_run", tmp_path / "book" / "executed" / "h_summary"
    run.mkdir(parents=True)
    own.mkdir()
    (run / "mi.csv").write_text("a\n1\n")
    before = inputs_hash(tmp_path, ["book/executed/h_*/*.csv"], own)
    (own / "claims.csv").write_text("x\n")
    assert inputs_hash(tmp_path, ["book/executed/h_*/*.csv"], own) == before
    assert inputs_hash(tmp_path, ["book/executed/h_*/*.csv"]) != before
    (run / "mi.csv").write_text("a\n2\n")
    assert inputs_hash(tmp_path, ["book/executed/h_*/*.csv"], own) != before
