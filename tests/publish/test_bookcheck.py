"""The built-book check (issue 20, item 8): each defect on a small HTML page, and a clean page."""
from __future__ import annotations

import pytest

from ibutils.publish import bookcheck


def page(body: str, title: str = "Binning a tanh network: 30 bins", head: str = "") -> str:
    return (f"<html><head>{head}</head><body><nav><h1>A harmonics experiment</h1></nav>"
            f"<article class='bd-article'><h1>{title}<a class='headerlink' href='#'>#</a></h1>{body}</article></body></html>")


CLEAN = page("""
<p>The compression is <span class="pasted-text">0.123</span> bits; <code>ixt</code> is I(X;T); a failed page goes to
<code>book/executed/.failed/</code>.</p>
<div class="highlight-python notranslate"><div class="highlight"><pre>x = np.nan  # no -0.0</pre></div></div>
<div class="cell docutils container tag_hide-input"><details class="hide above-input"><summary>Show code</summary>
<div class="cell_input docutils container"><pre>x = np.nan\nsave_table(df, "mi")\n""" + "y = 1\n" * 30 + """</pre></div></details>
<div class="cell_output docutils container"><img src="_images/a.png"></div></div>
<table><caption>Table 1: claims</caption><tr><th>claim</th><td>a long claim that is not cut at all</td><td>0.000</td><td>-0.5</td>
<td>1e-05</td><td>2017-01</td></tr></table>
<figure><img src="_images/b.png"><figcaption>Fig. 1 the plane</figcaption></figure>
""")


def kinds(html: str) -> dict[str, int]:
    return bookcheck.check_page(html).counts()


def test_clean_page_has_no_defect():
    assert kinds(CLEAN) == {}


@pytest.mark.parametrize("body, kind, n", [
    ('<img src="_images/a.png"><figure><img src="_images/a.png"><figcaption>Fig. 1</figcaption></figure>',
     "duplicate_image", 1),
    ("<div class='cell_output'><pre>PosixPath('/tmp/book/executed/.x.abc/mi.csv')</pre></div>", "leaked_path", 1),
    ("<p>&lt;Figure size 640x480 with 1 Axes&gt;</p>", "leaked_path", 1),
    ("<table><tr><th>a</th></tr><tr><td>0.12345</td></tr></table><p>x</p>"
     "<table><tr><th>a</th></tr><tr><td>0.123</td></tr></table>", "duplicate_table", 1),
    ("<table><tr><td>the CNN/SG study's MLP compresses in the...</td><td>ok</td></tr></table>", "truncated_cell", 1),
    ("<table><tr><td>NaN</td><td>nan</td><td>Nanjing</td></tr></table>", "nan", 2),
    ("<table><tr><td>-0.000</td><td>\u22120.0</td><td>-0.001</td><td>-0.5</td></tr></table>", "negative_zero", 2),
    ("<p>the estimator `kde_test` drops</p>", "literal_backtick", 1),
    ("<figure><table><tr><td>1</td></tr></table><figcaption>Fig. 3 claims</figcaption></figure>", "table_as_figure", 1),
    ("<div class='cell docutils container'><div class='cell_input docutils container'><pre>" + "a = 1\n" * 20
     + "</pre></div></div>", "long_code", 1),
    ("<div class='cell docutils container tag_injected-parameters'><div class='cell_input docutils container'>"
     "<pre>seeds = [0, 1]</pre></div></div>", "injected_parameters", 1),
])
def test_each_defect_is_found(body, kind, n):
    assert kinds(page(body)) == {kind: n}


def test_cdn_mathjax_and_generic_title():
    html = page("<p>x</p>", title="A harmonics experiment",
                head='<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>')
    assert kinds(html) == {"cdn_mathjax": 1, "generic_title": 1}
    local = page("<p>x</p>", head='<script src="_static/mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML"></script>')
    assert kinds(local) == {}


def test_shared_titles_across_pages_and_cli(tmp_path, capsys):
    (tmp_path / "a.html").write_text(page("<p>one</p>", title="One setting"))
    (tmp_path / "b.html").write_text(page("<p>two</p>", title="One setting"))
    (tmp_path / "c.html").write_text(CLEAN)
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "x.html").write_text(page("<p>NaN</p>"))
    reports = bookcheck.check_book(tmp_path)
    assert [r.page for r in reports] == ["a.html", "b.html", "c.html"]
    assert bookcheck.totals(reports)["generic_title"] == (2, 2)
    assert bookcheck.main([str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "generic_title" in out and "FAILED" in out
    assert bookcheck.main([str(tmp_path), "--fail-on", "nan,leaked_path"]) == 0


def test_duplicate_images_compared_by_content(tmp_path):
    (tmp_path / "_images").mkdir()
    (tmp_path / "_images" / "a.png").write_bytes(b"png")
    (tmp_path / "_images" / "b.png").write_bytes(b"png")
    html = page('<img src="_images/a.png"><img src="_images/b.png">')
    assert bookcheck.check_page(html, "p.html", tmp_path).counts() == {"duplicate_image": 1}


def test_bad_input_raises(tmp_path):
    with pytest.raises(ValueError, match="root"):
        bookcheck.check_book(tmp_path / "missing")
    with pytest.raises(ValueError, match="root"):
        bookcheck.check_book(tmp_path)
    with pytest.raises(ValueError, match="fail-on"):
        (tmp_path / "a.html").write_text(CLEAN)
        bookcheck.main([str(tmp_path), "--fail-on", "typo"])
    with pytest.raises(ValueError, match="kind"):
        bookcheck.PageReport("p").add("typo", "x")


def test_rendered_math_counts_typeset_and_raw():
    dom = ('<span class="math">\\(x\\)</span><span class="MathJax_CHTML">x</span>'
           '<div class="math">\\[y\\]</div><mjx-container>y</mjx-container>')
    typeset, raw = bookcheck.rendered_math(dom)
    assert typeset == 2
    raw_dom = '<span class="math notranslate nohighlight">\\(I(X;T)\\)</span>'
    assert bookcheck.rendered_math(raw_dom) == (0, 1)
