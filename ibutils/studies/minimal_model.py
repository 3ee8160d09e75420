"""The minimal model of the Deep Bottleneck analyses (seed 000, section 9.1).

One input neuron feeds one hidden neuron, ``T = f(w X + b)`` with ``X ~ N(0, 1)``.
``T`` is a deterministic function of ``X``, so ``I(X;T) = H(T)``, here the plug-in
entropy of the binned output. Sweeping the weight ``w`` shows how much of the
"compression" in an information plane comes from an activation saturating under
a fixed binning, with no learning at all.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from .. import activations
from ..mi.entropy import binned_entropy_rows

#: Binning modes: one range over every weight (the seed's way) or each weight's own range.
MODES = ("global", "per_weight")


def weight_grid(start: float = 0.1, stop: float = 19.9, step: float = 0.1) -> np.ndarray:
    """The weights of the sweep, ``start, start + step, ..., stop`` (199 values by default)."""
    n = int(round((stop - start) / step)) + 1
    return np.round(start + step * np.arange(n), 10)


def sample_inputs(n_samples: int = 1000, seed: int = 0, draws: int = 2) -> list[np.ndarray]:
    """Consecutive draws of ``n_samples`` values of N(0, 1) from one seeded stream.

    The stream is NumPy's legacy ``RandomState(seed).randn``, the generator behind
    the seed study's ``np.random.seed(0)``: its first draw feeds the weight sweep
    and its second the bias extension, as in the seed.
    """
    rng = np.random.RandomState(seed)
    return [rng.randn(int(n_samples)) for _ in range(draws)]


def entropy_sweep(x: np.ndarray, weights: np.ndarray, names: Iterable[str], *, n_bins: int = 50,
                  mode: str = "global", biases: Sequence[float] = (0.0,)) -> pd.DataFrame:
    """H(T) in bits of ``T = f(w x + b)`` for every activation, bias and weight.

    Parameters
    ----------
    x : (N,) input samples.
    weights : (W,) weights.
    names : activation names from :mod:`ibutils.activations`.
    n_bins : number of equal-width intervals.
    mode : ``"global"``: the bins span the min..max of the outputs over all weights
        (for one activation and bias), as in the seed's first approach;
        ``"per_weight"``: each weight's outputs get bins over their own min..max.
    biases : the biases ``b``.

    Returns
    -------
    DataFrame with columns activation, saturation, bias, w, entropy.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    x = np.asarray(x, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    value_range = "global" if mode == "global" else "row"
    frames = []
    for name in names:
        act = activations.get(name)
        for b in biases:
            h = binned_entropy_rows(act(np.outer(weights, x) + b), n_bins, value_range)
            frames.append(pd.DataFrame({"activation": name, "saturation": act.saturation,
                                        "bias": float(b), "w": weights, "entropy": h}))
    return pd.concat(frames, ignore_index=True)


def trends(sweep: pd.DataFrame, tol: float = 0.1) -> pd.DataFrame:
    """Summarise each curve H(w): first, last, max, change and direction.

    ``direction`` is ``"falls"`` if H at the largest weight is more than ``tol`` bits
    below its maximum over the sweep, ``"rises"`` if the last value is more than
    ``tol`` above the first and within ``tol`` of the maximum, else ``"flat"``.
    """
    def one(g: pd.DataFrame) -> pd.Series:
        h = g.sort_values("w")["entropy"].to_numpy()
        first, last, top = h[0], h[-1], h.max()
        if top - last > tol:
            direction = "falls"
        elif last - first > tol:
            direction = "rises"
        else:
            direction = "flat"
        return pd.Series({"saturation": g["saturation"].iloc[0], "first": first, "last": last,
                          "max": top, "change": last - first, "direction": direction})

    keys = ["activation", "bias"]
    out = sweep.groupby(keys, sort=False)[["saturation", "w", "entropy"]].apply(one)
    return out.reset_index()


# --------------------------------------------------------------------------- the page
#: The input entropy the seed prints (sec. 9.1: 1,000 draws after ``np.random.seed(0)``, 50 bins).
SEED_INPUT_ENTROPY = 5.11
#: Draws behind each of the seed's curves (one sample) and training epochs (none: nothing is trained).
STUDY_SEEDS, STUDY_EPOCHS = 1, 0
SOURCE = "Deep Bottleneck 9.1"
#: The seed's setting behind its statements: its input entropy (one draw), its sweeps, its bias extension.
STUDY_SETTING = {"input": dict(n_samples=1000, n_bins=50, seed=0), "sweeps": dict(n_samples=1000, n_bins=50),
                 "bias": dict(bias_n_bins=5)}
#: Single-saturating activations the seed names as falling under per-weight bins (sec. 9.1.1).
STUDY_EXTRA_FALLS = ("elu", "softplus")
#: The three sweeps of the page: 50 bins over all weights, 50 bins per weight, the bias extension.
BINNINGS = ("global", "per_weight", "bias")
#: Per-curve quantities of :func:`curve_stats` that the page summarises over seeds.
QUANTITIES = ("drop", "rise", "spread", "excess")


def _names(names) -> str:
    return ", ".join(names) or "none"


def double_saturating(names) -> list[str]:
    """The double-saturating activations among ``names``, sorted."""
    return sorted(a for a in names if activations.get(a).saturation == "double")


def curve_stats(sweep: pd.DataFrame, h_input: float | None = None) -> pd.DataFrame:
    """Summarise each curve H(w) of :func:`entropy_sweep` (per ``seed``/``binning`` when present).

    The weight plays the part of training time: ``drop`` is :func:`ibutils.stats.compression`'s
    cross-fitted fall from the peak to the end value (the mean over the largest 10% of the
    weights), unbiased by the jitter of a binned curve; ``drop_max`` the plain maximum minus the
    last value. ``rise`` is the end value minus the value at the smallest weight, ``spread`` the
    range of the curve, and ``excess`` its maximum minus the input's entropy ``h_input`` (a
    column ``h_input`` of ``sweep`` takes precedence; NaN when neither is given).

    Returns
    -------
    One row per curve: the key columns (``seed``, ``binning`` when present, ``activation``,
    ``bias``), ``saturation``, ``first``, ``end``, ``drop``, ``drop_max``, ``rise``, ``max``,
    ``spread``, ``h_input``, ``excess``.
    """
    from ..stats import compression

    keys = [c for c in ("seed", "binning") if c in sweep.columns] + ["activation", "bias"]
    if "h_input" not in sweep.columns:
        sweep = sweep.assign(h_input=np.nan if h_input is None else float(h_input))
    d = sweep.assign(epoch=sweep["w"]).sort_values(keys + ["epoch"], kind="stable")
    comp = compression(d, value="entropy", by=keys)
    g = d.groupby(keys, sort=True)
    extra = pd.DataFrame({"saturation": g["saturation"].first(), "first": g["entropy"].first(),
                          "min": g["entropy"].min(), "h_input": g["h_input"].first()}).reset_index()
    out = comp.merge(extra, on=keys)
    out["rise"] = out["end"] - out["first"]
    out["spread"] = out["max"] - out["min"]
    out["excess"] = out["max"] - out["h_input"]
    return out[keys + ["saturation", "first", "end", "drop", "drop_max", "rise", "max", "spread", "h_input",
                       "excess"]]


def run_seeds(seeds, weights, names, *, n_samples: int = 1000, n_bins: int = 50, bias_values=(0.0,),
              bias_activations=("tanh", "relu"), bias_n_bins: int = 5) -> pd.DataFrame:
    """The page's three sweeps repeated over input draws, summarised per curve.

    For each seed, :func:`sample_inputs` gives two draws: the first is swept with ``n_bins`` bins
    over all weights (``binning="global"``) and per weight (``"per_weight"``), the second with
    ``bias_n_bins`` bins per weight for each bias (``"bias"``), as on the page.

    Returns
    -------
    :func:`curve_stats` of every curve, with ``seed`` and ``binning`` columns; ``h_input`` is the
    draw's own entropy with the same number of bins.
    """
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must not be empty")
    frames = []
    for s in seeds:  # a few draws; each sweep is vectorised over weights and samples
        x, xb = sample_inputs(n_samples, s, draws=2)
        h, hb = float(binned_entropy_rows(x, n_bins)[0]), float(binned_entropy_rows(xb, bias_n_bins)[0])
        for binning, mode in (("global", "global"), ("per_weight", "per_weight")):
            frames.append(entropy_sweep(x, weights, names, n_bins=n_bins, mode=mode)
                          .assign(seed=s, binning=binning, h_input=h))
        frames.append(entropy_sweep(xb, weights, bias_activations, n_bins=bias_n_bins, mode="per_weight",
                                    biases=bias_values).assign(seed=s, binning="bias", h_input=hb))
    return curve_stats(pd.concat(frames, ignore_index=True))


def seeds_summary(stats: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95% interval over seeds of :data:`QUANTITIES`, per binning, activation and bias:
    columns ``binning, activation, bias, quantity, n, mean, ci_low, ci_high``."""
    from ..stats import summarize

    by = ["binning", "activation", "bias"]
    out = pd.concat([summarize(stats, by, q).assign(quantity=q) for q in QUANTITIES], ignore_index=True)
    return out[by + ["quantity", "n", "mean", "ci_low", "ci_high"]]


def seeds_table(stats: pd.DataFrame, names=None) -> pd.DataFrame:
    """The page's table over seeds: per activation, the mean and 95% interval of the drop and the
    rise with bins over all weights, and of the drop and the excess over the input with per-weight
    bins (text ``"m [lo, hi]"``, bits); rows in the order of ``names`` (default: as in ``stats``)."""
    from ..publish.page import fmt_ci

    summ = seeds_summary(stats).query("binning != 'bias'")
    summ = summ.assign(text=[fmt_ci(r.mean, r.ci_low, r.ci_high) for r in summ.itertuples()],
                       column=summ.binning.str.replace("_", "-") + " " + summ.quantity)
    cols = ["global drop", "global rise", "per-weight drop", "per-weight excess"]
    order = list(names) if names is not None else list(dict.fromkeys(stats.query("binning != 'bias'").activation))
    out = summ.pivot(index="activation", columns="column", values="text").reindex(index=order, columns=cols)
    out.columns.name = None
    return out


def _effects(stats: pd.DataFrame, binning: str, quantity: str, names, *, bias: float = 0.0,
             margin: float, direction: int = 1) -> dict:
    """``{activation: (effect word, (mean, lo, hi))}`` of one quantity over seeds."""
    from ..publish import report
    from ..stats import mean_ci

    out = {}
    rows = stats[(stats["binning"] == binning) & (stats["bias"] == bias)]
    for a in names:
        v = rows.loc[rows["activation"] == a, quantity]
        mci = mean_ci(v)
        out[a] = (report.effect(mci, n=int(v.notna().sum()), margin=margin, direction=direction), mci)
    return out


def _supported(eff: dict) -> list[str]:
    return sorted(a for a, (e, _) in eff.items() if e == "supports")


def global_glue(trend: pd.DataFrame, names) -> dict:
    """Sentences on the one-draw curves with bins over all weights (glue key -> text), from
    :func:`trends`: which fall, which rise, and whether that is the seed's pattern (exactly the
    double-saturating functions fall, all others rise)."""
    double = double_saturating(names)
    others = sorted(set(names) - set(double))
    falls = sorted(trend.query("direction == 'falls'").activation)
    rises = sorted(trend.query("direction == 'rises'").activation)
    if falls == double and rises == others:
        pattern = "the pattern the study describes: exactly the double-saturating functions fall"
    else:
        odd = sorted((set(falls) ^ set(double)) | (set(others) - set(rises)))
        pattern = f"not quite the pattern the study describes (departing from it: {_names(odd)})"
    return {"global_falls": _names(falls), "global_rises": _names(rises), "global_pattern": pattern}


def own_glue(trend: pd.DataFrame, sweep: pd.DataFrame, names, h_input: float) -> dict:
    """Sentences on the one-draw curves with bins over each weight's own range (glue key -> value)."""
    double = double_saturating(names)
    falls = sorted(trend.query("direction == 'falls'").activation)
    flat = sorted(trend.query("direction == 'flat'").activation)
    missing = sorted(set(double) - set(falls))
    extra = [a for a in STUDY_EXTRA_FALLS if a in names]
    lin = sweep.query("activation == 'linear'").entropy
    top = float(sweep.entropy.max())
    return {
        "own_falls": _names(falls), "own_flat": _names(flat),
        "own_double_text": ("every double-saturating function falls" if not missing else
                            f"not every double-saturating function falls ({_names(missing)} does not)"),
        "own_study_extra_text": (f"{' and '.join(extra)} fall{'s' if len(extra) == 1 else ''} too"
                                 if extra and set(extra) <= set(falls) else
                                 f"of {_names(extra)}, only {_names(sorted(set(extra) & set(falls)))} fall"),
        "own_extra_falls": _names(sorted(set(falls) - set(double) - set(extra))),
        "own_max": round(top, 3),
        "own_max_vs_input": "exceeds" if top > h_input + 1e-9 else "does not exceed",
        "linear_mean": round(float(lin.mean()), 3) if len(lin) else "n/a",
        "linear_spread": round(float(lin.max() - lin.min()), 3) if len(lin) else "n/a",
    }


def bias_glue(trend: pd.DataFrame, bias_values) -> dict:
    """Sentences on the bias extension's one-draw curves (glue key -> value), from :func:`trends`
    of the bias sweep: ReLU without and with a positive bias, tanh's falls."""
    relu = trend.query("activation == 'relu'")
    pos = relu.query("bias > 0")
    b0 = relu.query("bias == 0").direction
    b0 = b0.iloc[0] if len(b0) else "not computed"
    dirs = set(pos.direction)
    turns = b0 == "flat" and dirs == {"falls"}
    return {
        "relu_b0_direction": b0,
        "relu_bias_direction": ("falls for every positive bias" if dirs == {"falls"} else
                                "is " + _names(sorted(dirs))),
        "relu_bias_change_lo": round(float(pos.change.min()), 3) if len(pos) else "n/a",
        "relu_bias_change_hi": round(float(pos.change.max()), 3) if len(pos) else "n/a",
        "tanh_bias_falls": int((trend.query("activation == 'tanh'").direction == "falls").sum()),
        "n_bias": len(list(bias_values)),
        "bias_finding_text": (
            "ours is that a bias alone turns ReLU's flat curve into a falling one, again with no learning: the "
            "bias pushes part of the samples into the flat side of the kink, where the bins can no longer tell "
            "them apart" if turns else
            "on this draw a bias does not turn ReLU's curve from flat into falling for every positive bias"),
    }


def seeds_glue(stats: pd.DataFrame, names, *, margin: float | None = None) -> dict:
    """Sentences on the sweeps repeated over draws (glue key -> value): the activations whose
    cross-fitted drop is significant (95% interval beyond ``margin``) under each binning, and
    ReLU's drop with a positive bias."""
    from ..publish import report
    from ..publish.page import fmt_ci

    margin = report.MARGIN_BITS if margin is None else float(margin)
    double = double_saturating(names)
    g = _supported(_effects(stats, "global", "drop", names, margin=margin))
    o = _supported(_effects(stats, "per_weight", "drop", names, margin=margin))
    biases = sorted(b for b in stats.query("binning == 'bias' and activation == 'relu'").bias.unique() if b > 0)
    relu = {b: _effects(stats, "bias", "drop", ["relu"], bias=b, margin=margin)["relu"] for b in biases}
    low = min(relu, key=lambda b: relu[b][1][0]) if relu else None
    single = sorted(set(o) - set(double))
    all_double = bool(double) and set(double) <= set(g)
    return {
        "mm_n_seeds": int(stats.seed.nunique()), "mm_margin": margin,
        "mm_global_drops": _names(g), "mm_own_drops": _names(o),
        "mm_own_single_drops": _names(single),
        "mm_relu_bias_drops": f"{sum(relu[b][0] == 'supports' for b in biases)} of {len(biases)}",
        "mm_relu_bias_smallest": (f"{fmt_ci(*relu[low][1])} bits (bias {low:g})" if low is not None else "n/a"),
        "mm_saturation_text": (
            "Compression in an information plane measured this way can therefore be produced by weight growth "
            "plus saturation alone, which is the core of Saxe et al.'s argument" if all_double else
            "Weight growth plus saturation does not make every double-saturating function's entropy fall here "
            f"(significant for {_names(sorted(set(double) & set(g)))} only)"),
        "mm_conclusion_text": (
            f"with bins that follow each weight's range, functions that saturate on one side only fall too "
            f"({_names(single)})" if single else
            "with bins that follow each weight's range, no function that saturates on one side only falls "
            "significantly"),
    }


def claims(h_input: float, stats: pd.DataFrame, names, *, n_samples: int = 1000, n_bins: int = 50,
           seed: int = 0, bias_n_bins: int = 5, margin: float | None = None) -> list[dict]:
    """The chapter's claims rows (rules: :mod:`ibutils.publish.report`).

    Parameters
    ----------
    h_input : entropy of the page's one draw, ``n_bins`` bins (the seed's draw when its seed is 0).
    stats : :func:`run_seeds` over the page's seeds.
    names : the activations swept.
    n_samples, n_bins : the page's sample size and histogram size (the seed's: 1,000 and 50).
    seed : the page's one draw (the seed's: 0, its ``np.random.seed(0)``).
    bias_n_bins : the bins of the bias extension (the seed's: 5).
    margin : smallest effect that counts, bits (default :data:`ibutils.publish.report.MARGIN_BITS`).

    Rows (effects per activation from the cross-fitted ``drop``, the ``rise``, the ``spread`` and
    the ``excess`` of :func:`curve_stats`, with their 95% intervals over seeds)
    ----
    1. The input entropy 5.11 bits: a yes/no fact about one fixed draw (``verdict``, within the
       printed precision, 0.005 bit).
    2. Global bins: H(T) falls for every double-saturating function (``verdict_all`` over them).
    3. Global bins: it rises for every other function, linear included (``verdict_all``).
    4. Global bins: it falls *only* for double-saturating functions (``verdict_none`` of the drop
       over the others).
    5. Per-weight bins: linear stays at the input entropy (``verdict_none`` of its spread).
    6. Per-weight bins: H(T) falls for every double-saturating function (``verdict_all``).
    7. Per-weight bins: elu and softplus fall too (``verdict_all`` over the two).
    8. Per-weight bins: some function exceeds the input's entropy (``verdict_any`` of the excess).
    9. A positive bias makes ReLU fall (5 bins per weight; ``verdict_all`` over the positive
       biases): a *demonstration*, since the seed states it as a motivation and shows plots only.

    Every row states the page's own setting; a row is compared with the seed only at the seed's
    setting (:data:`STUDY_SETTING`, :func:`ibutils.publish.report.verdict_at_setting`): row 1 at
    1,000 samples, 50 bins and seed 0, rows 2-8 at 1,000 samples and 50 bins, row 9 at 5 bins.
    Elsewhere its verdict is "different setting" (kept out of the tallies).
    """
    from ..publish import report
    from ..publish.page import fmt_ci

    margin = report.MARGIN_BITS if margin is None else float(margin)
    names = list(names)
    n = int(stats.seed.nunique())
    scale = dict(n_seeds=n, epochs=0, study_seeds=STUDY_SEEDS, study_epochs=STUDY_EPOCHS)
    double = double_saturating(names)
    others = sorted(set(names) - set(double))
    extra = [a for a in STUDY_EXTRA_FALLS if a in names]

    def eff(binning, q, units, **kw):
        return _effects(stats, binning, q, units, margin=margin, **kw)

    def worst(e: dict, label: str) -> str:  # the unit with the smallest mean, and the count supported
        if not e:
            return "no unit swept"
        a = min(e, key=lambda k: e[k][1][0])
        k = sum(v[0] == "supports" for v in e.values())
        return f"{label} significant in {k} of {len(e)}; smallest: {a} {fmt_ci(*e[a][1])} bits"

    g_drop, g_rise = eff("global", "drop", double), eff("global", "rise", others)
    g_other_drop = eff("global", "drop", others)
    o_drop, o_extra = eff("per_weight", "drop", double), eff("per_weight", "drop", extra)
    lin = eff("per_weight", "spread", ["linear"]) if "linear" in names else {}
    exc = eff("per_weight", "excess", names)
    top = max(exc, key=lambda k: exc[k][1][0]) if exc else None
    biases = sorted(b for b in stats.query("binning == 'bias' and activation == 'relu'").bias.unique() if b > 0)
    relu = {f"bias {b:g}": eff("bias", "drop", ["relu"], bias=b)["relu"] for b in biases}
    g_other_max = max(g_other_drop, key=lambda k: g_other_drop[k][1][0]) if g_other_drop else None
    run = dict(n_samples=int(n_samples), n_bins=int(n_bins), seed=int(seed), bias_n_bins=int(bias_n_bins))
    bins = f"{int(n_bins)} bins"
    rows = [
        dict(claim=f"Input entropy of {int(n_samples):,} N(0,1) samples (seed {int(seed)}), {bins}", source=SOURCE,
             reported=f"{SEED_INPUT_ENTROPY:.2f} bits (1,000 samples, seed 0, 50 bins)", measured=f"{h_input:.3f} bits",
             verdict=report.verdict(abs(h_input - SEED_INPUT_ENTROPY) < 0.005),
             n_seeds=None, epochs=0, study_seeds=STUDY_SEEDS, study_epochs=STUDY_EPOCHS,
             note="one fixed draw (the Deep Bottleneck analyses' np.random.seed(0) sample when the page's seed is 0): a check of "
                  "the computation, so seeds do not apply"),
        dict(claim=f"Bins over all weights ({bins}): H(T) falls for the double-saturating functions", source=SOURCE,
             reported="decreases for double-saturating functions", measured=worst(g_drop, "drop"),
             verdict=report.verdict_all(e for e, _ in g_drop.values()), **scale),
        dict(claim=f"Bins over all weights ({bins}): H(T) rises for the other functions, even linear", source=SOURCE,
             reported="increases otherwise, even for linear", measured=worst(g_rise, "rise"),
             verdict=report.verdict_all(e for e, _ in g_rise.values()), **scale),
        dict(claim=f"Bins over all weights ({bins}): H(T) falls only for the double-saturating functions", source=SOURCE,
             reported="decreases only for double-saturating functions",
             measured=(f"largest drop among the others: {g_other_max} {fmt_ci(*g_other_drop[g_other_max][1])} bits"
                       if g_other_max else "no unit swept"),
             verdict=report.verdict_none(e for e, _ in g_other_drop.values()), **scale),
        dict(claim=f"Per-weight bins ({bins}): H(T) of a linear unit stays at the input entropy", source=SOURCE,
             reported="constant, equal to the input entropy",
             measured=f"range over the weights {fmt_ci(*lin['linear'][1])} bits" if lin else "linear not swept",
             verdict=report.verdict_none(e for e, _ in lin.values()), **scale),
        dict(claim=f"Per-weight bins ({bins}): H(T) falls for the double-saturating functions", source=SOURCE,
             reported="decreases for double-saturating functions", measured=worst(o_drop, "drop"),
             verdict=report.verdict_all(e for e, _ in o_drop.values()), **scale),
        dict(claim=f"Per-weight bins ({bins}): H(T) also falls for elu and softplus (single-saturating)", source=SOURCE,
             reported="also decreases for elu and softplus", measured=worst(o_extra, "drop"),
             verdict=report.verdict_all(e for e, _ in o_extra.values()), **scale),
        dict(claim=f"Per-weight bins ({bins}): some functions reach a higher entropy than the input", source=SOURCE,
             reported="some maxima above the input's entropy",
             measured=(f"largest excess: {top} {fmt_ci(*exc[top][1])} bits; significant for "
                       f"{_names(_supported(exc))}" if top else "no unit swept"),
             verdict=report.verdict_any(e for e, _ in exc.values()), **scale),
        dict(claim=f"A positive bias makes ReLU's H(T) fall ({int(bias_n_bins)} bins per weight)", source=SOURCE + ".2",
             reported="motivation only (plots, no result stated)", measured=worst(relu, "drop"),
             verdict=report.verdict_all(e for e, _ in relu.values()), kind="demonstration", **scale,
             note="a demonstration: the Deep Bottleneck analyses state this as the motivation of its bias extension and shows "
                  "plots only"),
    ]
    settings = [STUDY_SETTING["input"]] + [STUDY_SETTING["sweeps"]] * 7 + [STUDY_SETTING["bias"]]
    return [report.verdict_at_setting(row, study, run) for row, study in zip(rows, settings)]
