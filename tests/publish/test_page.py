"""What notebooks call: saving and reading tables, the profile, intervals as text and glue."""
import math

import pandas as pd
import pytest

from ibutils.publish import page, pipeline


@pytest.fixture
def no_pipeline(monkeypatch):
    monkeypatch.delenv("IBUTILS_RESULTS_DIR", raising=False)
    monkeypatch.delenv("IBUTILS_PROFILE", raising=False)


def test_pipeline_and_report_reexport_the_page_helpers():
    from ibutils.publish import report

    assert pipeline.save_table is page.save_table and pipeline.profile is page.profile
    assert pipeline.atomic_path is page.atomic_path and report.save_table is page.save_table


def test_save_table_and_profile_outside_and_inside_the_pipeline(tmp_path, monkeypatch, no_pipeline):
    assert page.save_table(pd.DataFrame({"a": [1]}), "t") is None
    assert page.profile() == "defaults"
    monkeypatch.setenv("IBUTILS_RESULTS_DIR", str(tmp_path / "setting"))
    monkeypatch.setenv("IBUTILS_PROFILE", "quick")
    path = page.save_table(pd.DataFrame({"a": [1, 2]}), "t")
    assert path == tmp_path / "setting" / "t.csv" and path.read_text().split() == ["a", "1", "2"]
    assert page.profile() == "quick"
    assert [p.name for p in (tmp_path / "setting").iterdir()] == ["t.csv"]  # no temporary left


def write(root, setting, table, df):
    (root / setting).mkdir(parents=True, exist_ok=True)
    df.to_csv(root / setting / f"{table}.csv", index=False)


def test_read_table_explicit_folder_missing_and_not_available(tmp_path, no_pipeline):
    write(tmp_path, "a", "mi", pd.DataFrame({"x": [1, 2]}))
    got = page.read_table("a", "mi", tmp_path)
    assert list(got.x) == [1, 2]
    assert page.read_table("a", "mi", str(tmp_path)).equals(got)
    assert page.read_table("a", "other", tmp_path) is None      # table not saved
    assert page.read_table("b", "mi", tmp_path) is None         # setting not executed
    assert page.read_table("a", "mi", "") is None               # the notebooks' "not available"
    assert page.read_table("a", "mi") is None                   # outside the pipeline: no default folder


def test_read_table_defaults_to_the_pipelines_executed_folder(tmp_path, monkeypatch):
    executed = tmp_path / "book" / "executed"
    write(executed, "a", "mi", pd.DataFrame({"x": [3]}))
    # the pipeline points IBUTILS_RESULTS_DIR at a temporary folder beside the others
    monkeypatch.setenv("IBUTILS_RESULTS_DIR", str(executed / ".summary.abc123"))
    assert list(page.read_table("a", "mi").x) == [3]
    assert page.results_root() == executed.resolve()


def test_read_tables_stacks_with_a_setting_column(tmp_path, no_pipeline):
    write(tmp_path, "a", "mi", pd.DataFrame({"x": [1, 2]}))
    write(tmp_path, "c", "mi", pd.DataFrame({"x": [5]}))
    write(tmp_path, "d", "mi", pd.DataFrame({"setting": ["own"], "x": [7]}))
    got = page.read_tables({"a": "label A", "b": "label B", "c": "C", "d": "D"}, "mi", tmp_path)
    assert list(got.columns) == ["setting", "x"]
    assert list(got.setting) == ["a", "a", "c", "own"] and list(got.x) == [1, 2, 5, 7]
    assert page.read_tables(["a"], "nope", tmp_path) is None
    assert page.read_tables([], "mi", tmp_path) is None
    assert page.read_tables(["a"], "mi", "") is None


@pytest.mark.parametrize("args, kw, text", [
    ((0.1234, 0.1, 0.15), {}, "0.123 [0.100, 0.150]"),
    ((1, 0.5, 1.5), {"nd": 1}, "1.0 [0.5, 1.5]"),
    ((2.0, 1.0, 3.0), {"nd": 0, "unit": " bits"}, "2 [1, 3] bits"),
    ((float("nan"), 0.0, 1.0), {}, "n/a"),
    ((None, None, None), {}, "n/a"),
    ((0.5, float("nan"), float("nan")), {}, "0.500 [n/a]"),
    ((float("inf"), 0.0, 1.0), {}, "n/a"),
])
def test_fmt_ci(args, kw, text):
    assert page.fmt_ci(*args, **kw) == text


def test_glue_ci_glues_rounded_ends_and_na(monkeypatch):
    import myst_nb

    glued = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=True: glued.update({name: (value, display)}))
    text = page.glue_ci("acc", (0.91234, 0.9, 0.92468))
    assert text == "0.912 [0.900, 0.925]"
    assert glued == {"acc": (0.912, False), "acc_lo": (0.9, False), "acc_hi": (0.925, False)}
    glued.clear()
    assert page.glue_ci("drop", (0.25, float("nan"), math.inf), nd=1) == "0.2 [n/a]"
    assert glued == {"drop": (0.2, False), "drop_lo": ("n/a", False), "drop_hi": ("n/a", False)}
    glued.clear()
    assert page.glue_ci("none", (float("nan"),) * 3) == "n/a"
    assert {k: v for k, (v, _) in glued.items()} == {"none": "n/a", "none_lo": "n/a", "none_hi": "n/a"}


def test_publish_imports_neither_the_library_nor_the_studies():
    import ast
    from pathlib import Path

    for name in ("page.py", "pipeline.py", "params.py"):
        tree = ast.parse((Path(page.__file__).parent / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1 or node.names[0].name == "__version__", (name, ast.dump(node))
                assert not (node.module or "").startswith("ibutils.") or (node.module or "").startswith(
                    "ibutils.publish"), (name, node.module)


def test_rounded_drops_negative_zero_and_keeps_text():
    from ibutils.publish.page import rounded

    df = pd.DataFrame({"name": ["a", "b"], "x": [-1e-9, -0.12345], "n": [1, 2]})
    out = rounded(df)
    assert str(out.x.iloc[0]) == "0.0" and out.x.iloc[1] == -0.123
    assert list(out.name) == ["a", "b"] and list(out.n) == [1, 2]
    assert "-0.000" not in out.to_html(float_format="%.3f")
