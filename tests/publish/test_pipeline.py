"""The params files, the content cache, atomic outputs and the CLI."""
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from ibutils.publish import params, pipeline

ROOT = Path(__file__).resolve().parents[2]

TINY_PARAMS = """\
scale = 2.0
label = "x"
n = 3
fail = False
"""
TINY_CODE = """\
import pandas as pd
from ibutils.publish.pipeline import save_table
if fail:
    raise RuntimeError("asked to fail")
values = [scale * i for i in range(n)]
save_table(pd.DataFrame({"v": values}), "values")
print(label, sum(values))
"""


def make_root(tmp_path: Path) -> Path:
    """A miniature book: one notebook and one params file."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "params").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = nbformat.v4.new_code_cell(TINY_PARAMS)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Tiny"), cell, nbformat.v4.new_code_cell(TINY_CODE)]
    nbformat.write(nb, tmp_path / "notebooks" / "tiny.ipynb")
    write_params(tmp_path, {"notebook": "tiny", "parameters": {"n": 4},
                            "profiles": {"quick": {"n": 2}, "standard": {}, "paper": {"n": 10}}})
    return tmp_path


def write_params(root: Path, spec: dict, name: str = "tiny") -> Path:
    path = root / "params" / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


# ------------------------------------------------------------------ validation
def test_notebook_defaults_are_parsed(tmp_path):
    root = make_root(tmp_path)
    assert params.notebook_defaults(root / "notebooks" / "tiny.ipynb") == {
        "scale": 2.0, "label": "x", "n": 3, "fail": False}


def test_resolution_order(tmp_path):
    root = make_root(tmp_path)
    p = root / "params" / "tiny.yaml"
    _, _, r = params.resolve(p, "standard", notebooks_dir=root / "notebooks")
    assert r["n"] == 4 and r["scale"] == 2.0
    _, _, r = params.resolve(p, "quick", {"n": 7}, notebooks_dir=root / "notebooks")
    assert r["n"] == 7
    _, _, r = params.resolve(p, "paper", notebooks_dir=root / "notebooks")
    assert r["n"] == 10


@pytest.mark.parametrize("spec, key", [
    ({"notebook": "tiny", "profiles": {"quick": {}, "standard": {}, "paper": {}}, "colour": 1}, "colour"),
    ({"notebook": "nope", "profiles": {"quick": {}, "standard": {}, "paper": {}}}, "notebook"),
    ({"notebook": "tiny", "profiles": {"quick": {}, "standard": {}, "paper": {}, "huge": {}}}, "profiles.huge"),
    ({"notebook": "tiny", "profiles": {"quick": {}, "standard": {}}}, "profiles"),
    ({"notebook": "tiny", "parameters": {"n": "three"},
      "profiles": {"quick": {}, "standard": {}, "paper": {}}}, "parameters"),
    ({"notebook": "tiny", "parameters": {"bins": 3},
      "profiles": {"quick": {}, "standard": {}, "paper": {}}}, "parameters"),
    ({"notebook": "tiny", "profiles": {"quick": {"fail": 1}, "standard": {}, "paper": {}}}, "profiles.quick"),
    ({"notebook": 3, "profiles": {"quick": {}, "standard": {}, "paper": {}}}, "notebook"),
])
def test_invalid_params_name_file_and_key(tmp_path, spec, key):
    root = make_root(tmp_path)
    path = write_params(root, spec, "bad")
    with pytest.raises(params.ParamsError) as err:
        params.resolve(path, "standard", notebooks_dir=root / "notebooks")
    msg = str(err.value)
    assert "bad.yaml" in msg and key in msg and "\n" not in msg


def test_malformed_yaml_and_unknown_profile(tmp_path):
    root = make_root(tmp_path)
    bad = root / "params" / "broken.yaml"
    bad.write_text("notebook: [tiny\n")
    with pytest.raises(params.ParamsError, match="broken.yaml: not valid YAML"):
        params.resolve(bad, "standard", notebooks_dir=root / "notebooks")
    with pytest.raises(params.ParamsError, match="unknown profile 'huge'"):
        params.resolve(root / "params" / "tiny.yaml", "huge", notebooks_dir=root / "notebooks")


def test_cli_rejects_bad_params_with_exit_code_2_and_runs_nothing(tmp_path):
    root = make_root(tmp_path)
    write_params(root, {"notebook": "tiny", "parameters": {"bins": 3},
                        "profiles": {"quick": {}, "standard": {}, "paper": {}}}, "bad")
    proc = subprocess.run([sys.executable, "-m", "ibutils", "run", "params/tiny.yaml", "params/bad.yaml"],
                          cwd=root, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("error: params/bad.yaml: key 'parameters'")
    assert not (root / "book").exists()  # validated before anything ran, the good one included


def test_cli_override_parsing():
    assert params.parse_override("n=5") == ("n", 5)
    assert params.parse_override("xs=[1, 2]") == ("xs", [1, 2])
    with pytest.raises(params.ParamsError):
        params.parse_override("n5")


# ----------------------------------------------------------- execution, cache
def test_cache_hit_miss_force_and_results(tmp_path):
    root = make_root(tmp_path)
    r1 = pipeline.run_setting("params/tiny.yaml", "quick", root=root)
    assert r1.status == "executed"
    out = root / "book" / "executed" / "tiny.ipynb"
    info = pipeline.read_provenance(out)
    assert info["profile"] == "quick" and info["parameters"]["n"] == 2
    nb = nbformat.read(out, as_version=4)
    assert "How this page was made" in nb.cells[-1].source
    assert (root / "book" / "executed" / "tiny" / "values.csv").read_text().split() == ["v", "0.0", "2.0"]

    assert pipeline.run_setting("params/tiny.yaml", "quick", root=root).status == "cached"
    assert pipeline.run_setting("params/tiny.yaml", "quick", {"n": 3}, root=root).status == "executed"
    assert pipeline.run_setting("params/tiny.yaml", "quick", {"n": 3}, root=root).status == "cached"
    assert pipeline.run_setting("params/tiny.yaml", "quick", {"n": 3}, root=root, force=True).status == "executed"
    # a change to the notebook's code is a miss too
    nb_path = root / "notebooks" / "tiny.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[2].source += "\nprint('changed')"
    nbformat.write(nb, nb_path)
    assert pipeline.run_setting("params/tiny.yaml", "quick", {"n": 3}, root=root).status == "executed"


def test_failed_run_leaves_previous_output_untouched(tmp_path):
    root = make_root(tmp_path)
    pipeline.run_setting("params/tiny.yaml", "quick", root=root)
    out = root / "book" / "executed" / "tiny.ipynb"
    before = out.read_bytes()
    with pytest.raises(pipeline.SettingFailed, match="RuntimeError: asked to fail"):
        pipeline.run_setting("params/tiny.yaml", "quick", {"fail": True}, root=root)
    assert out.read_bytes() == before
    assert (root / "book" / "executed" / "tiny" / "values.csv").exists()
    leftovers = [p.name for p in (root / "book" / "executed").iterdir() if p.name.startswith(".")
                 and p.name != ".failed"]
    assert leftovers == []


def test_atomic_path_removes_temporary_on_error(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(ZeroDivisionError):
        with pipeline.atomic_path(target) as tmp:
            tmp.write_text("half")
            1 / 0
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_save_table_only_writes_inside_pipeline(tmp_path, monkeypatch):
    import pandas as pd

    monkeypatch.delenv("IBUTILS_RESULTS_DIR", raising=False)
    assert pipeline.save_table(pd.DataFrame({"a": [1]}), "t") is None
    monkeypatch.setenv("IBUTILS_RESULTS_DIR", str(tmp_path))
    path = pipeline.save_table(pd.DataFrame({"a": [1]}), "t")
    assert path.read_text().split() == ["a", "1"]


# -------------------------------------------------------------- the real book
def test_every_params_file_of_the_book_is_valid():
    files = pipeline.discover(ROOT)
    assert files, "no params files found"
    for path in files:
        for profile in params.PROFILES:
            params.resolve(ROOT / path, profile, notebooks_dir=ROOT / "notebooks")


def test_toc_lists_every_setting():
    toc = (ROOT / "_toc.yml").read_text()
    for path in pipeline.discover(ROOT):
        assert f"book/executed/{path.stem}" in toc, f"{path} is not in _toc.yml"


def test_wall_times_reads_the_provenance_and_skips_pages_not_run(tmp_path):
    from ibutils.publish.report import wall_times

    root = make_root(tmp_path)
    pipeline.run_setting("params/tiny.yaml", "quick", root=root)
    res = str(root / "book" / "executed")
    t = wall_times(res, ["tiny", "never_run"])
    assert list(t.page) == ["tiny", "total"]
    assert list(t.profile) == ["quick", "quick"]
    assert t.wall_time_s.iloc[0] > 0 and t.wall_time_s.iloc[1] == t.wall_time_s.iloc[0]
    assert wall_times("", ["tiny"]).empty and wall_times(res, ["never_run"]).empty
