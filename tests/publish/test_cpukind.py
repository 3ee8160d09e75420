import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from ibutils.publish import cpukind, pipeline

ROOT = Path(__file__).resolve().parents[2]


def _notebook(path: Path, source: str, committed: str, kind: str | None = None) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if kind:
        nb.metadata["ibutils"] = {"cpu_kind": kind}
    cell = nbformat.v4.new_code_cell(source)
    cell["id"] = "cell-0"
    cell.execution_count = 1
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=committed)]
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), cell]
    nb.cells[0]["id"] = "cell-1"
    nbformat.write(nb, path)
    return path


def _fresh(path: Path, text: str) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    return nb


def test_cpu_kind_reads_the_vector_extensions(monkeypatch):
    monkeypatch.setattr(cpukind.platform, "machine", lambda: "x86_64")
    assert cpukind.cpu_kind({"avx", "avx2", "avx512f"}) == "x86_64-avx512"
    assert cpukind.cpu_kind({"avx", "avx2", "fma"}) == "x86_64-avx2"
    assert cpukind.cpu_kind({"sse2"}) == "x86_64"
    monkeypatch.setattr(cpukind.platform, "machine", lambda: "aarch64")
    assert cpukind.cpu_kind() == "aarch64"


def test_a_record_holds_only_the_cells_that_differ_and_goes_stale_with_the_committed_outputs(tmp_path):
    nb_path = _notebook(tmp_path / "t.ipynb", "print(2)", "1\n")
    assert cpukind.record(nb_path, _fresh(nb_path, "1\n"), "k") is None  # the same outputs: nothing recorded
    path = cpukind.record(nb_path, _fresh(nb_path, "2\n"), "k")
    assert path == tmp_path / "cpu_kinds" / "k" / "t.json"
    doc = json.loads(path.read_text())
    assert list(doc["cells"]) == ["cell-0"] and doc["committed_cpu_kind"] == cpukind.BASE_KIND
    cell = nbformat.read(nb_path, as_version=4).cells[1]
    outputs, why = cpukind.recorded_outputs(nb_path, cell, "k")
    assert why == "" and outputs[0].text == "2\n"
    assert "absent" in cpukind.recorded_outputs(nb_path, cell, "other")[1]
    cell.outputs[0].text = "3\n"  # the notebook was refrozen on its own kind with other outputs
    assert cpukind.recorded_outputs(nb_path, cell, "k")[0] is None
    assert "stale" in cpukind.recorded_outputs(nb_path, cell, "k")[1]
    assert cpukind.record(nb_path, _fresh(nb_path, "1\n"), "k") is None and not path.exists()  # removed
    moved = _fresh(nb_path, "1\n")
    moved.cells[1].source = "print(3)"
    with pytest.raises(ValueError, match="t.ipynb"):
        cpukind.record(nb_path, moved, "k")


def test_freeze_records_another_kinds_outputs_and_rewrites_only_its_own_or_on_rebase(tmp_path, monkeypatch):
    monkeypatch.setattr(cpukind, "cpu_kind", lambda flags=None: "x86_64-test")
    nb_path = _notebook(tmp_path / "t.ipynb", "print(1)", "1\n")
    before = nb_path.read_bytes()
    assert pipeline.freeze(nb_path) is None  # this kind gives the committed outputs
    _notebook(nb_path, "print(1)", "0\n")
    before = nb_path.read_bytes()
    record = pipeline.freeze(nb_path)
    assert record == tmp_path / "cpu_kinds" / "x86_64-test" / "t.json" and nb_path.read_bytes() == before
    assert pipeline.freeze(nb_path, rebase=True) == nb_path and not record.exists()
    nb = nbformat.read(nb_path, as_version=4)
    assert cpukind.notebook_kind(nb) == "x86_64-test" and nb.cells[1].outputs[0].text == "1\n"
    assert pipeline.freeze(nb_path) == nb_path  # now its own kind: rewritten in place


def test_a_refreeze_on_the_own_kind_says_which_records_went_stale(tmp_path, monkeypatch, capsys):
    nb_path = _notebook(tmp_path / "t.ipynb", "print(1)", "0\n")
    cpukind.record(nb_path, _fresh(nb_path, "1\n"), "x86_64-other")
    assert cpukind.stale_records(nb_path) == {}
    monkeypatch.setattr(cpukind, "cpu_kind", lambda flags=None: cpukind.BASE_KIND)
    pipeline.freeze(nb_path)  # the committed output becomes 1: the other kind's record no longer applies
    assert cpukind.stale_records(nb_path) == {"x86_64-other": 1}
    assert "1 recorded cell(s) of CPU kind x86_64-other are now stale" in capsys.readouterr().err


@pytest.mark.parametrize("own, record, passes", [
    ("elsewhere", "2\n", True),     # another kind's notebook, this kind's outputs recorded: compared with them
    ("elsewhere", "3\n", False),    # ... and they must match exactly
    ("elsewhere", None, False),     # nothing recorded for this kind
    ("here", "2\n", False),         # the notebook is this kind's own: only its committed outputs count
])
def test_nbval_compares_with_this_kinds_record_through_the_notebooks_conftest(tmp_path, own, record, passes):
    """A real pytest --nbval run on a one-cell notebook whose committed output (1) is not what it prints (2)."""
    kind = cpukind.cpu_kind()
    shutil.copy(ROOT / "notebooks" / "conftest.py", tmp_path / "conftest.py")
    nb_path = _notebook(tmp_path / "one.ipynb", "print(2)", "1\n", kind=kind if own == "here" else "elsewhere")
    if record is not None:
        cpukind.record(nb_path, _fresh(nb_path, record), kind)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "--nbval", "-p", "no:cacheprovider",
                          "-p", "no:xdist", str(nb_path)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert (run.returncode == 0) == passes, run.stdout[-3000:]
    if record is None:
        assert f"this machine is {kind}" in run.stdout
