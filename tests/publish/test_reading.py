"""Reading mode (issue 20, item 1): which cells are folded, removed, and which outputs dropped."""
from __future__ import annotations

import nbformat
import pytest

from ibutils.publish import reading

v4 = nbformat.v4


def glue_out():
    return v4.new_output("display_data", data={"application/papermill.record/text/plain": "1"})


def result(text, html=None):
    data = {"text/plain": text}
    if html:
        data["text/html"] = html
    return v4.new_output("execute_result", data=data, execution_count=1)


def notebook():
    nb = v4.new_notebook()
    params = v4.new_code_cell("seeds = [0]", metadata={"tags": ["parameters"]})
    injected = v4.new_code_cell("seeds = [0, 1]", metadata={"tags": ["injected-parameters"]})
    guard = v4.new_code_cell("check_injected(globals())", metadata={"tags": ["remove-input"]})
    setup = v4.new_code_cell("import numpy as np")
    glue_only = v4.new_code_cell('glue("x", 1, display=False)', outputs=[glue_out()])
    path = v4.new_code_cell('glue("x", 1, display=False)\nsave_table(df, "mi")',
                            outputs=[glue_out(), result("PosixPath('/tmp/x/mi.csv')")])
    table_also_glued = v4.new_code_cell('glue("tab", comp.round(3), display=False)\ncomp',
                                        outputs=[glue_out(), result("  a\n0 1", "<table></table>")])
    shown = v4.new_code_cell("tab", outputs=[result("  a\n0 1", "<table></table>")])
    mixed = v4.new_code_cell('print("hello")\nsave_table(df, "t")',
                             outputs=[v4.new_output("stream", name="stdout", text="hello\n"), result("PosixPath('/tmp/t.csv')")])
    warn = v4.new_code_cell("run = go()\nrun", outputs=[v4.new_output("stream", name="stderr", text="warning\n"),
                                                       result("HarmonicsRun(seeds=3, snapshots=12)")])
    nb.cells = [v4.new_markdown_cell("# T"), params, injected, guard, setup, glue_only, path, table_also_glued, shown, mixed, warn]
    return nb


def tags(nb):
    return [c.metadata.get("tags", []) for c in nb.cells if c.cell_type == "code"]


def test_reading_mode_tags_each_kind_of_cell():
    nb = notebook()
    assert reading.apply(nb) > 0
    assert tags(nb) == [["parameters", "remove-cell"], ["injected-parameters", "remove-cell"], ["remove-input"],
                        ["remove-cell"], ["remove-cell"], ["remove-cell"], ["remove-cell"], ["hide-input"], ["hide-input"],
                        ["remove-cell"]]
    assert len(nb.cells[9].outputs) == 2  # committed notebooks keep their outputs (nbval)
    assert reading.apply(nb) == 0  # idempotent


def test_pipeline_mode_drops_the_redundant_value_only():
    nb = notebook()
    reading.apply(nb, drop_outputs=True)
    assert [o.output_type for o in nb.cells[9].outputs] == ["stream"]
    assert [o.output_type for o in nb.cells[8].outputs] == ["execute_result"]  # shown once: kept


def test_author_tags_and_semicolons_are_respected():
    nb = v4.new_notebook()
    nb.cells = [v4.new_code_cell("comp", metadata={"tags": ["remove-output"]}, outputs=[result("x", "<table></table>")]),
                v4.new_code_cell("save_table(df, 'a');", outputs=[v4.new_output("stream", name="stdout", text="ok\n")])]
    reading.apply(nb, drop_outputs=True)
    assert tags(nb) == [["remove-output"], ["hide-input"]]


def test_bad_input_raises():
    with pytest.raises(ValueError, match="nb"):
        reading.apply({"metadata": {}})


def test_title_banner_and_summary_box(tmp_path):
    import pandas as pd

    nb = notebook()
    nb.cells[0].source = "(label)=\n# A harmonics experiment\n\nText."
    claims = pd.DataFrame({"claim": ["I(X;T) falls"], "verdict": ["reproduced"], "measured": ["drop 1.2 bits"]})
    reading.apply(nb, title="Harmonics: tanh, 30 bins", profile="quick", parameters={"n_seeds": 2, "epochs": 300},
                  command="python -m ibutils run params/h.yaml --profile quick", claims=claims)
    src = nb.cells[0].source
    assert src.startswith("(label)=\n# Harmonics: tanh, 30 bins\n")
    assert "quick profile: 2 seeds, 300 epochs" in src and "--profile paper" in src
    assert "I(X;T) falls: **reproduced** (measured: drop 1.2 bits)" in src
    assert "The question: do the claims of \u201cHarmonics: tanh, 30 bins\u201d hold in this book's runs?" in src
    assert reading.apply(nb, title="Harmonics: tanh, 30 bins", profile="quick", parameters={"n_seeds": 2, "epochs": 300},
                         command="python -m ibutils run params/h.yaml --profile quick", claims=claims) == 0
    assert reading.banner_markdown("paper", {"seeds": [0, 1]}) == ""
    assert "standard profile: 3 seeds" in reading.banner_markdown("standard", {"seeds": [0, 1, 2]})
    (tmp_path / "p.yaml").write_text("title: 'One page'\nnotebook: x\n")
    assert reading.params_title(tmp_path / "p.yaml") == "One page"
    assert reading.params_title(tmp_path / "missing.yaml") == ""
    assert reading.read_claims(tmp_path / "none.csv") is None


def test_tables_glued_as_figures_get_table_captions():
    nb = v4.new_notebook()
    rec = v4.new_output("display_data", data={"application/papermill.record/text/html": "<table></table>"},
                        metadata={"scrapbook": {"name": "tab_claims", "mime_prefix": "application/papermill.record/"}})
    img = v4.new_output("display_data", data={"application/papermill.record/image/png": "iVBOR"},
                        metadata={"scrapbook": {"name": "fig_a", "mime_prefix": "application/papermill.record/"}})
    nb.cells = [v4.new_code_cell("glue(...)", outputs=[rec, img]),
                v4.new_markdown_cell("```{glue:figure} tab_claims\nThe claims\nand verdicts.\n```\n\n"
                                     "```{glue:figure} fig_a\n:name: fig-a\nA figure.\n```")]
    assert reading.caption_tables(nb) == 1
    md = nb.cells[1].source
    assert md.startswith("**Table.** The claims and verdicts.\n\n```{glue} tab_claims\n```")
    assert "```{glue:figure} fig_a\n:name: fig-a\nA figure.\n```" in md
    assert reading.caption_tables(nb) == 0


def test_figure_shown_and_glued_is_shown_once():
    nb = v4.new_notebook()
    rec = v4.new_output("display_data", data={"application/papermill.record/image/png": "iVBORabc"},
                        metadata={"scrapbook": {"name": "fig_a"}})
    shown = v4.new_output("display_data", data={"image/png": "iVBORabc", "text/plain": "<Figure>"})
    other = v4.new_output("display_data", data={"image/png": "iVBORxyz", "text/plain": "<Figure>"})
    nb.cells = [v4.new_code_cell("glue('fig_a', fig)\ndisplay(fig)", outputs=[rec, shown]),
                v4.new_code_cell("display(fig)\ndisplay(fig2)", outputs=[shown, other])]
    reading.apply(nb, drop_outputs=True)
    assert tags(nb) == [["remove-cell"], ["hide-input"]]
    assert [o.data["image/png"] for o in nb.cells[1].outputs] == ["iVBORxyz"]


def test_glossary_terms_linked_once_in_prose(tmp_path):
    (tmp_path / "g.md").write_text("# G\n\n```{glossary}\nbinning\n  Cutting.\n\nadaptive binning\n  Moving.\n\n"
                                   "$\\beta$\nbeta\n  B.\n```\n")
    terms = reading.glossary_terms(tmp_path / "g.md")
    assert terms == ["adaptive binning", "binning", "beta"]
    nb = v4.new_notebook()
    nb.cells = [v4.new_markdown_cell("# Binning\n\nAdaptive binning and `binning` and $binning$; binning again.\n"
                                     "```python\nbinning = 1\n```\nLater binning.")]
    assert reading.link_terms(nb, terms) == 2
    assert nb.cells[0].source == ("# Binning\n\n{term}`Adaptive binning <adaptive binning>` and `binning` and $binning$; "
                                  "{term}`binning <binning>` again.\n```python\nbinning = 1\n```\nLater binning.")


def test_tidy_table_html():
    html = "<table><tr><td>NaN</td><td>-0.000</td><td>-0.001</td><td>x-0</td><td>1e-05</td><td>None</td></tr></table>"
    assert reading.tidy_table_html(html) == ("<table><tr><td>\u2013</td><td>0.000</td><td>-0.001</td><td>x-0</td><td>1e-05</td>"
                                             "<td>\u2013</td></tr></table>")


def test_glued_negative_zero_is_written_as_zero():
    nb = v4.new_notebook()
    rec = v4.new_output("display_data", data={"application/papermill.record/text/plain": "'L1 -0.000 [-0.002, 0.001]'"},
                        metadata={"scrapbook": {"name": "t"}})
    nb.cells = [v4.new_code_cell("glue('t', s)", outputs=[rec])]
    reading.apply(nb, drop_outputs=True)
    assert nb.cells[0].outputs[0].data["application/papermill.record/text/plain"] == "'L1 0.000 [-0.002, 0.001]'"
