"""Honest bands and reader tables (issue 20, items 3 and 4)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ibutils import plots  # noqa: E402
from ibutils.publish import report  # noqa: E402


def summary(n, lo, hi):
    return pd.DataFrame({"n": n, "mean": 0.5, "ci_low": lo, "ci_high": hi})


def band_limits(ax):
    verts = np.concatenate([p.get_paths()[0].vertices for p in ax.collections])
    return verts[:, 1].min(), verts[:, 1].max()


def test_min_band_seeds_is_the_rule_books():
    assert plots.MIN_BAND_SEEDS == report.MIN_SEEDS


def test_band_is_clipped_to_the_quantitys_range():
    fig, ax = plt.subplots()
    assert plots.band(ax, [1, 2, 3], summary([5, 5, 5], [-4.0, 0.2, 0.3], [4.0, 0.8, 1.5]), "C0", quantity="accuracy")
    lo, hi = band_limits(ax)
    assert lo == 0.0 and hi == 1.0
    fig2, ax2 = plt.subplots()
    plots.band(ax2, [1, 2], summary([3, 3], [-30.0, 1.0], [40.0, 2.0]), "C0", quantity="ixt", hi=12.0)
    assert band_limits(ax2) == (0.0, 12.0)
    plt.close("all")


def test_no_band_below_three_seeds_and_a_note():
    fig, ax = plt.subplots()
    drawn = plots.band(ax, [1, 2], summary([2, 2], [-1.0, -1.0], [2.0, 2.0]), "C0", quantity="error")
    assert not drawn and not ax.collections
    plots.no_band_note(ax, drawn)
    assert any("fewer than 3 seeds" in t.get_text() for t in ax.texts)
    # Mixed: points with 2 seeds get no band (NaN), the others do.
    fig2, ax2 = plt.subplots()
    assert plots.band(ax2, [1, 2, 3], summary([2, 3, 3], [-1.0, 0.1, 0.2], [2.0, 0.4, 0.5]), "C0", quantity="error")
    plt.close("all")


def test_mi_curves_clip_and_skip():
    mi = pd.DataFrame({"seed": [0, 1, 0, 1], "epoch": [0, 0, 1, 1], "layer": 1, "ixt": [0.0, 9.0, 0.1, 8.0]})
    fig = plots.mi_curves(mi)
    assert not fig.axes[0].collections  # 2 seeds: no band
    assert any("fewer than" in t.get_text() for t in fig.axes[0].texts)
    plt.close("all")


def test_table_html_for_readers():
    df = pd.DataFrame({"ixt": [-0.0001, 1.23456, np.nan, -0.0], "n_seeds": [3.0, 2.0, np.nan, 1.0],
                       "claim": ["x" * 80, "b", None, "c"]})
    html = plots.table_html(df)
    assert "x" * 80 in html  # not cut at 50 characters
    assert "NaN" not in html and "None" not in html and "nan" not in html
    assert "-0.000" not in html and ">0.000<" in html
    assert "I(X;T) [bits]" in html and ">seeds<" in html and "n_seeds" not in html
    assert ">3<" in html  # integral floats as integers
    assert html.startswith('<div class="table-wrapper ibutils-scroll">')
    assert plots.no_negative_zero("-0.000 and -0.001 and -0.0 and x-0") == "0.000 and -0.001 and 0.0 and x-0"
    assert plots.readable_header("share_compressing") == "share of runs compressing"
    assert plots.readable_header("drop_max") == "drop max" and plots.readable_header(3) == 3


def test_reader_tables_only_in_pipeline_pages():
    from ibutils.publish import page

    assert plots.PIPELINE_ENV == page.PROFILE_ENV
