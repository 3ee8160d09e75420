"""Figures that read at page width (issue 20, item 5): the book's one layout rule, checked on the figure
functions the pages call, fed small constructed tables.

The rule (``ibutils.plots``): at most 3 panels with data a row (grids wrap), a figure at most 10 inches
wide, ONE colour bar when panels share an epoch colour scale (labelled in epochs on a log scale), and
panel titles in words (no internal name such as ``bin007_full`` or ``kde_test``).
"""
from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from ibutils import activations as registry  # noqa: E402
from ibutils import plots  # noqa: E402
from ibutils.publish import report  # noqa: E402
from ibutils.studies import activations as act_study  # noqa: E402
from ibutils.studies import background, batching_epochs, compression_rebuttal, graphs, harmonics, measuring_information, mnist, plane  # noqa: E402  # noqa: E402

#: What a panel title must not look like: snake_case, possibly with a number glued to the first word.
INTERNAL = re.compile(r"\b[a-z]+\d*_[a-z0-9_]+\b")
MAX_WIDTH_IN = 10.0
EPOCHS = [0, 1, 3, 10, 30, 100, 300]
#: Estimator names as the params files spell them (internal names).
ESTIMATORS = ["bin007_full", "kde_test", "kde_upper_0.1"]


def mi_table(estimators=ESTIMATORS, seeds=(0, 1, 2), layers=(1, 2, 3), **extra) -> pd.DataFrame:
    """A tidy MI table: I(X;T) rising then falling, I(T;Y) rising, per seed, epoch, layer and estimator."""
    rng = np.random.default_rng(0)
    rows = []
    for est in estimators:
        for s in seeds:
            for l in layers:
                for e in EPOCHS:
                    t = np.log10(e + 1) / np.log10(EPOCHS[-1] + 1)
                    rows.append(dict(seed=s, epoch=e, layer=l, estimator=est, ixt=12 - 2 * l - 2 * t * (t > 0.5)
                                     + 0.1 * rng.standard_normal(), ity=0.2 + 0.7 * t + 0.01 * rng.standard_normal()))
    return pd.DataFrame(rows).assign(**extra)


def data_axes(fig):
    """The axes that draw data (colour bars and emptied axes left out)."""
    out = []
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>" or not ax.get_visible() or not ax.axison:
            continue
        if ax.lines or ax.collections or ax.images or ax.patches:
            out.append(ax)
    return out


def max_per_row(fig) -> int:
    engine = fig.get_layout_engine()
    if engine is not None:  # settle the layout (constrained or tight) without rendering: positions are final
        engine.execute(fig)
    rows = {}
    for ax in data_axes(fig):
        y = round(ax.get_position().y0, 2)
        rows[y] = rows.get(y, 0) + 1
    return max(rows.values()) if rows else 0


def n_colorbars(fig) -> int:
    return sum(ax.get_label() == "<colorbar>" for ax in fig.axes)


def titles(fig) -> list[str]:
    out = [ax.get_title() for ax in fig.axes] + [t.get_text() for t in fig.texts]
    if fig._suptitle is not None:
        out.append(fig._suptitle.get_text())
    return [t for t in out if t]


def check(fig, *, shared_colour: bool = False):
    """The layout rule, on one figure."""
    assert fig.get_figwidth() <= MAX_WIDTH_IN + 1e-9, f"figure {fig.get_figwidth():.1f} in wide"
    assert max_per_row(fig) <= plots.MAX_COLS, f"{max_per_row(fig)} panels in a row"
    bad = [t for t in titles(fig) if INTERNAL.search(t)]
    assert not bad, f"internal names in titles: {bad}"
    if shared_colour:
        assert n_colorbars(fig) == 1, f"{n_colorbars(fig)} colour bars for one shared scale"
    plt.close(fig)


# ----------------------------------------------------------------------------- the helpers themselves
def test_panel_grid_wraps_at_three_and_fits_the_page():
    fig, axes = plots.panel_grid(13)
    assert len(axes) == 13 and len(fig.axes) == 13  # the two unused axes of the last row are removed
    assert fig.get_figwidth() <= MAX_WIDTH_IN
    for ax in axes:
        ax.plot([0, 1], [0, 1])
    assert max_per_row(fig) == 3
    with pytest.raises(ValueError, match="n"):
        plots.panel_grid(0)
    plt.close("all")


@pytest.mark.parametrize("name, words", [
    ("bin007_full", "binning, bin size 0.07, all inputs"), ("kde_test", "KDE upper bound, test inputs"),
    ("kde_upper", "KDE upper bound"), ("kde_lower_0.1", "KDE lower bound, noise variance 0.1"),
    ("kde_lo_1e-1", "KDE lower bound, noise variance 0.1"), ("ksg_k3", "KSG, k = 3"), ("ksg3", "KSG, k = 3"),
    ("bins30", "binning, 30 bins"), ("binning 0.01", "binning, bin size 0.01"), ("upper 0.1",
                                                                                "KDE upper bound, noise variance 0.1"),
    ("leaky_relu", "leaky ReLU"), (3, "layer 3"), ("4-bit", "4-bit quantized"), ("relu 0.2", "ReLU 0.2"),
    ("kde_upper_layerwise", "KDE upper bound, a variance per layer"), ("GCN, kde_lower_0.1",
                                                                      "GCN, KDE lower bound, noise variance 0.1"),
    ("tanh (double)", "tanh (double)"),
])
def test_panel_title_in_words(name, words):
    assert plots.panel_title(name) == words
    assert not INTERNAL.search(plots.panel_title(name))


def test_epoch_colour_scale_is_logarithmic_and_labelled_in_epochs():
    from matplotlib.colors import LogNorm

    norm = plots.epoch_norm([0, 10, 1000])
    assert isinstance(norm, LogNorm) and norm.vmin == 1.0 and norm.vmax == 1001.0  # epoch + 1: epoch 0 shows
    fig = plots.info_plane(mi_table(["bins"]))
    cb = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"][0]
    labels = [t.get_text() for t in cb.get_yticklabels()]
    assert "0" in labels and "100" in labels and "epoch" in cb.get_ylabel()
    assert not any("." in t for t in labels)  # epochs, not log10(epoch + 1)
    plt.close("all")


def test_layer_labels_do_not_overlap():
    mi = mi_table(["bins"])
    mi.loc[:, "ixt"] = 5.0 + 0.001 * mi.layer  # every layer ends at (almost) the same point
    fig = plots.info_plane(mi)
    fig.canvas.draw()
    ax = fig.axes[0]
    boxes = [t.get_window_extent() for t in ax.texts]
    assert len(boxes) == 3
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    plt.close("all")


def test_verdict_colours_are_the_rule_books():
    assert tuple(plots.VERDICT_COLORS) == report.VERDICTS


# ----------------------------------------------------------------------------- the library's figures
def test_library_figures_follow_the_rule():
    mi = mi_table()
    check(plots.info_plane(mi, estimator="bin007_full", title="bin007_full"))
    check(plots.planes_grid([(e, mi[mi.estimator == e]) for e in ESTIMATORS * 2]), shared_colour=True)
    check(plots.activation_shapes(registry.NAMES))
    sweep = pd.DataFrame([dict(w=w, entropy=np.log2(1 + w), saturation=registry.get(a).saturation, activation=a)
                          for a in registry.NAMES for w in (0.5, 1.0, 2.0)])
    check(plots.facet_lines(sweep, x="w", y="entropy", hue="saturation", col="activation"))
    check(plots.mi_curves(mi, estimator="kde_test", title="kde_test"))


def test_verdict_chart_from_claims_at_quick():
    claims = pd.DataFrame({"chapter": ["A", "A", "B", "C", "C"], "verdict": ["inconclusive", "reproduced",
                                                                             "inconclusive", "contradicted",
                                                                             "different setting"],
                           "kind": "replication", "profile": "quick", "n_seeds": [2, 3, 2, 3, 3]})
    fig = plots.verdict_chart(claims)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].startswith("A") and "quick, 2-3 seeds" in labels[0] and "quick, 2 seeds" in labels[1]
    assert sum(len(c.patches) for c in ax.containers) == 4 * 3 or len(ax.patches) >= 4
    check(fig)
    check(plots.verdict_chart(claims.iloc[:0]))  # nothing executed yet: a figure that says so


def test_plane_animation_is_small_and_deterministic():
    mi = mi_table(["bins"])
    anim = plots.plane_animation(mi, max_frames=5)
    html = plots.animation_html(anim)
    assert html == plots.animation_html(plots.plane_animation(mi, max_frames=5))
    assert html.count("data:image/png") == 5
    assert "http" not in html and "fa fa-" not in html  # nothing fetched from the network (an offline book)
    assert len(html) < 400_000
    with pytest.raises(ValueError, match="no rows"):
        plots.plane_animation(mi, estimator="nothing")


def test_player_icons_are_in_dejavu_sans():
    """The player's button symbols exist in DejaVu Sans (shipped with matplotlib), so they do not render as
    empty boxes offline, as the media-control symbols U+23EE-23F8 did in headless Chromium here."""
    from fontTools.ttLib import TTFont
    from matplotlib import font_manager

    cmap = TTFont(font_manager.findfont("DejaVu Sans", fallback_to_default=False)).getBestCmap()
    missing = [hex(ord(c)) for text in plots._PLAYER_ICONS.values() for c in text if ord(c) not in cmap]
    assert not missing


def test_plane_animation_title_fits_the_figure():
    """A long setting title is drawn once, wrapped to the figure's width; the frame's epoch stays short."""
    mi = mi_table(["bins"])
    title = "tanh, minibatches of 256, 30 bins on [-1, 1] (plain and Shwartz-Ziv & Tishby's rule), a long setting"
    anim = plots.plane_animation(mi, max_frames=3, title=title)
    anim._init_draw()
    fig = anim._fig
    fig.draw_without_rendering()
    sup = fig._suptitle
    assert sup.get_text().replace("\n", " ") == title and "\n" in sup.get_text()
    box = sup.get_window_extent()
    assert box.x0 >= 0 and box.x1 <= fig.bbox.x1  # inside the figure, not cut at its edges
    assert fig.axes[0].get_title().startswith("epoch ")


# ----------------------------------------------------------------------------- the studies' figures
def test_plane_figures_follow_the_rule():
    points = ["relu 0", "relu 0.2", "relu 1", "relu 2", "tanh 0"]
    mi = pd.concat([mi_table(["bins"], point=p) for p in points], ignore_index=True)
    check(plane.plane_grid(mi, estimator="bins", points=points, ncols=5), shared_colour=True)
    vals = [0.01, 0.1, 1.0]
    est = pd.concat([mi_table([f"{k} {v:g}"], point="tanh") for k in plane.ESTIMATOR_KINDS for v in vals])
    check(plane.estimator_grid(est, point="tanh", values=vals), shared_colour=True)
    hist = pd.DataFrame([dict(seed=0, layer=1, epoch=e, **{f"b{i:02d}": (i + e) % 7 for i in range(10)})
                         for e in EPOCHS])
    pts = pd.DataFrame({"point": points, "seed": 0})
    check(plane.histogram_figure(hist, pts, layer=1, show=points), shared_colour=True)


def test_mnist_graphs_harmonics_activations_planes_follow_the_rule():
    mi = mi_table()
    check(mnist.planes_figure(mi, ESTIMATORS, h_y=1.0), shared_colour=True)
    g = pd.concat([mi_table(ESTIMATORS, key=k) for k in ("gcn", "fcn")], ignore_index=True)
    check(graphs.planes_figure(g, ["gcn", "fcn"], ESTIMATORS), shared_colour=True)
    check(harmonics.planes_figure(mi, ESTIMATORS), shared_colour=True)
    cohort = pd.concat([mi_table(["kde"], activation=a) for a in ("tanh", "relu", "leaky_relu", "hard_sigmoid")])
    check(act_study.planes_figure(cohort, ["tanh", "relu", "leaky_relu", "hard_sigmoid"], by="activation"),
          shared_colour=True)
    check(act_study.planes_figure(mi, ESTIMATORS), shared_colour=True)
    check(act_study.seed_planes_figure(mi[mi.estimator == "kde_test"], [0, 1, 2]), shared_colour=True)


def test_harmonics_max_activation_and_headline():
    mi = mi_table(["bins"], seeds=(0, 1, 2, 3))
    rm = pd.DataFrame({"seed": [0, 1, 2, 3], "max_activation": [1.0, 2.0, 3.0, 4.0]})
    act = pd.DataFrame([dict(seed=s, layer=l, epoch=e, max_abs=1.0 + e / 100) for s in range(4) for l in (1, 2, 3)
                        for e in EPOCHS])
    fig, stats = harmonics.plot_max_activation(rm, act, harmonics.split_by_max_activation(mi, rm), 3)
    assert set(stats) == {"small", "large"}
    check(fig, shared_colour=True)
    setting = pd.DataFrame([dict(activation="tanh", main_estimator="bins", n_seeds=4, epochs=300, profile="quick",
                                 err_test=0.1)])
    results = {"harmonics_tishby_tanh": {"setting": setting, "compression": pd.DataFrame({"x": [1]}), "mi": mi},
               "harmonics_saxe_relu": {"setting": None, "compression": None, "mi": None}}
    fig = harmonics.headline_figure(results)
    assert len(fig.axes) == 3  # two panels (one says "not run yet") and one colour bar
    check(fig, shared_colour=True)


def test_activations_headline_and_cohort():
    rows = [dict(row=r, layer=l, n=n, mean=m, ci_low=m - 0.05, ci_high=m + 0.05, share_compressing=0.5, setting="s")
            for r, n, m in (("tanh / kde_upper", 3, 0.5), ("relu / adaptive30", 3, 0.0), ("elu / bin007_full", 2, 0.3))
            for l in (1, 2)]
    allc = act_study.with_effects(pd.DataFrame(rows), margin=0.1)
    fig = act_study.headline_figure(allc)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == 3 and not any(INTERNAL.search(t) for t in labels)
    check(fig)
    check(act_study.headline_figure(allc.iloc[:0]))
    comp = pd.DataFrame([dict(activation=a, layer=l, n=3, mean=0.2, ci_low=0.15, ci_high=0.25)
                         for a in ("tanh", "leaky_relu") for l in (1, 2)])
    cohort = pd.concat([mi_table(["kde"], activation=a) for a in ("tanh", "relu")])
    check(act_study.cohort_figure(comp, cohort, {"tanh": "double", "leaky_relu": "none"}))


def test_other_multi_panel_figures_follow_the_rule():
    gr = pd.DataFrame([dict(model=m, regime=r, seed=s, layer=l, epoch=e, grad_mean=1.0 / (e + 1), grad_std=0.1,
                            accuracy=0.5, split=sp)
                       for m in ("gcn", "fcn") for r in ("140/1000", "full_supervised") for s in (0, 1, 2)
                       for l in (1, 2) for e in (1, 10, 100) for sp in ("train", "eval")])
    check(graphs.snr_figure(gr))
    check(graphs.accuracy_figure(gr))
    curves = pd.DataFrame([dict(quantity=q, layer=l, seed=s, step=k, mi=k / 100)
                           for q in ("ixt", "ity") for l in (1, 2, 3) for s in (0, 1) for k in (0, 50, 100)])
    check(graphs.mine_figure(curves, "Cora GCN"))
    tab = pd.DataFrame([dict(layer=1, n_bins=nb, b=b, epoch=e, ixt=1.0, seed=0)
                        for nb in (10, 30, 100, 256, 1000) for b in (1, 5) for e in (1, 10, 100)])
    check(batching_epochs.plot_batching(tab, 1))
    check(batching_epochs.plot_schedules(mi_table(["bins"]), {f"delta_skip {i}": [0, 10, 300] for i in range(5)},
                                         seed=0))
    acts = ["tanh", "relu", "leaky_relu", "hard_sigmoid"]
    counts = pd.DataFrame([dict(activation=a, seed=0, layer=l, epoch=e, exact_ixt=1.0, bin_ixt=0.5)
                           for a in acts for l in (1, 2) for e in EPOCHS])
    check(compression_rebuttal.plot_exact_vs_binned(counts, acts))
    att = pd.DataFrame([dict(activation=a, seed=0, layer=l, epoch=10, merges_saturation=1, merges_zero=2,
                             merges_other=3) for a in acts for l in (1, 2)])
    check(compression_rebuttal.plot_attribution(att, acts))
    sweeps = pd.DataFrame([dict(parameter=p, value=v, ixt=1.0) for p in ("n_bins", "bin_size", "kde_upper",
                                                                         "kde_lower") for v in (0.1, 1.0)])
    check(measuring_information.plot_free_parameter(sweeps, 1.0))
    check(background.plot_derivatives(registry.NAMES, ncols=4))


# ----------------------------------------------------------------------------- the exact chapter
def test_exact_figures_follow_the_rule():
    from ibutils.studies import exact

    frames = []
    for bits in ("4-bit", "8-bit", "float"):
        t = mi_table(estimators=["exact", "kde_up_1e-3", "ksg3", "bins30"], activation="tanh")
        frames.append(t.assign(bits=bits))
    mi = pd.concat(frames, ignore_index=True)
    check(exact.plot_planes(mi, activation="tanh"), shared_colour=True)
    fig = exact.plot_overlay(mi, activation="tanh", bits="4-bit", estimators=["kde_up_1e-3", "ksg3", "bins30", "exact"])
    assert [ax.get_title() for ax in data_axes(fig)][:2] == ["KDE upper bound, noise variance 0.001", "KSG, k = 3"]
    check(fig)
