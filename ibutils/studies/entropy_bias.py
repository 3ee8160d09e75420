"""Entropy bias of activation functions (Deep Bottleneck documentation, sec. 9.4).

Notes: checklist_seed000.md sec. 4.15. 4,096 samples of ``U[-1, 1]`` (float32) stand in
for a hidden layer's pre-activations; each of the 11 activations of
:mod:`ibutils.activations` is applied and the plug-in entropy of a histogram of the
outputs is compared with the input's. The seed bins the input with ``plt.hist(u, bins=50)``
(50 equal intervals from min to max; 5.634 bits for seed 0) but the outputs with the
*edges* ``np.linspace(min, max, 50)``, i.e. 49 intervals, so even the identity "loses"
``log2(50/49)``-ish bits. :func:`histogram_entropy` implements both. The toy
:func:`copy_neighbour` ("simplifying" a representation) repeatedly copies every second
nonzero value onto its predecessor's value and shuffles.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import activations

#: The order of the seed's list of activation functions (its random draws follow it).
SEED_ORDER = ("sigmoid", "tanh", "relu", "softsign", "softplus", "hard_sigmoid", "selu", "relu6", "elu",
              "leaky_relu", "linear")


def uniform_sample(n_samples: int = 4096, rng=None) -> np.ndarray:
    """``n_samples`` draws of ``U[-1, 1]`` as float32 (the seed: ``np.random.seed(0)``)."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise ValueError(f"n_samples must be an integer >= 2, got {n_samples!r}")
    rng = np.random.RandomState(0) if rng is None else rng
    return rng.uniform(-1, 1, (int(n_samples),)).astype(np.float32)


def histogram_entropy(values, n: int = 50, *, rule: str = "intervals", edges=None) -> float:
    """Plug-in entropy (bits) of a histogram of ``values`` between their min and max.

    Parameters
    ----------
    values : array
    n : int
        ``rule="intervals"``: ``n`` equal intervals (``plt.hist(v, bins=n)``, the seed's
        input binning); ``rule="edges"``: ``n`` edges ``np.linspace(min, max, n)``, i.e.
        ``n - 1`` intervals (the seed's output binning).
    edges : array, optional
        Explicit edges (overrides ``n`` and ``rule``); values outside are dropped, as
        ``np.histogram`` does.
    """
    v = np.asarray(values).ravel()
    if v.size == 0 or not np.all(np.isfinite(v)):
        raise ValueError("values must be a non-empty finite array")
    if edges is None:
        if rule not in ("intervals", "edges"):
            raise ValueError(f"rule must be 'intervals' or 'edges', got {rule!r}")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
            raise ValueError(f"n must be an integer >= 2, got {n!r}")
        edges = int(n) if rule == "intervals" else np.linspace(v.min(), v.max(), int(n))
    counts, _ = np.histogram(v, bins=edges)
    return float(stats.entropy(counts, base=2)) if counts.sum() else 0.0


def copy_neighbour(values, iterations: int = 200, rng=None) -> np.ndarray:
    """The seed's ``_copy_neighbour``: ``iterations`` times set every second nonzero value to
    its predecessor (``nz[1::2] = nz[0:-1:2]``), then shuffle the nonzeros; zeros are kept.

    Returns the nonzeros followed by the zeros (order is irrelevant for a histogram).
    """
    v = np.array(values, copy=True).ravel()
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 0:
        raise ValueError(f"iterations must be a non-negative integer, got {iterations!r}")
    rng = np.random.RandomState(0) if rng is None else rng
    nonzeros = v[v != 0]
    zeros = np.zeros(v.size - nonzeros.size, dtype=v.dtype)
    for _ in range(int(iterations)):  # the transformation is sequential by definition
        nonzeros[1::2] = nonzeros[0:-1:2]
        rng.shuffle(nonzeros)
    return np.concatenate((nonzeros, zeros))


def activation_entropies(seed: int = 0, n_samples: int = 4096, n: int = 50, iterations: int = 200,
                         names=SEED_ORDER) -> pd.DataFrame:
    """The sec. 9.4 analysis for one seed.

    ``RandomState(seed)`` draws the uniform sample, then the shuffles of
    :func:`copy_neighbour` for each activation in ``names`` order (the seed's order).

    Returns
    -------
    DataFrame, one row per activation: ``activation``, ``saturation``, ``h_input``
    (``n`` intervals), ``h_input_edges`` (the input with the outputs' ``n`` edges),
    ``entropy`` (output, ``n`` edges from its min to max), ``reduction`` (``h_input -
    entropy``, the seed's quantity), ``reduction_same_bins`` (``h_input_edges - entropy``: the
    input binned like the outputs), ``zero_fraction`` (outputs exactly 0),
    ``entropy_simplified`` (after :func:`copy_neighbour`, same edges) and
    ``further_reduction`` (``entropy - entropy_simplified``).
    """
    rng = np.random.RandomState(seed)
    u = uniform_sample(n_samples, rng)
    h_in = histogram_entropy(u, n, rule="intervals")
    h_in_edges = histogram_entropy(u, n, rule="edges")
    rows = []
    for name in names:  # 11 activations
        act = activations.get(name)
        out = np.asarray(act(u))
        edges = np.linspace(out.min(), out.max(), int(n))
        h = histogram_entropy(out, edges=edges)
        hs = histogram_entropy(copy_neighbour(out, iterations, rng), edges=edges)
        rows.append(dict(activation=name, saturation=act.saturation, h_input=h_in, h_input_edges=h_in_edges,
                         entropy=h, reduction=h_in - h, reduction_same_bins=h_in_edges - h,
                         zero_fraction=float(np.mean(out == 0)),
                         entropy_simplified=hs, further_reduction=h - hs))
    return pd.DataFrame(rows)


def activation_entropies_seeds(seeds, **kwargs) -> pd.DataFrame:
    """:func:`activation_entropies` for each seed, concatenated with a ``seed`` column."""
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must not be empty")
    return pd.concat([activation_entropies(int(s), **kwargs).assign(seed=int(s)) for s in seeds],
                     ignore_index=True)


# --------------------------------------------------------------------------- the page
#: The input entropy the seed prints (Deep Bottleneck sec. 9.4; ``plt.hist(u, bins=50)``, seed 0).
SEED_INPUT_ENTROPY = 5.634427827586692
#: Names as the page writes them.
LABELS = {"relu": "ReLU", "relu6": "ReLU6", "leaky_relu": "leaky ReLU", "elu": "ELU", "selu": "SELU",
          "hard_sigmoid": "hard sigmoid"}
#: Draws behind the seed's per-function numbers (one figure, one draw) and training epochs (none).
STUDY_SEEDS, STUDY_EPOCHS = 1, 0
#: The seed's setting: its input entropy (one draw) and its tables over activations.
STUDY_SETTING = {"input": dict(n_samples=4096, n_bins=50, seed=0), "tables": dict(n_samples=4096, n_bins=50)}


def label(name: str) -> str:
    """The page's name of an activation (``"leaky_relu"`` -> ``"leaky ReLU"``)."""
    return LABELS.get(name, name)


def entropy_table(one: pd.DataFrame) -> pd.DataFrame:
    """The one-seed table shown on the page: the columns of :func:`activation_entropies` it
    discusses, sorted by the output's entropy."""
    return one[["activation", "saturation", "entropy", "reduction", "reduction_same_bins", "zero_fraction",
              "entropy_simplified", "further_reduction"]].sort_values("entropy", kind="stable").reset_index(drop=True)


def relu_one_bin(seed: int = 0, n_samples: int = 4096, n: int = 50) -> tuple[float, float]:
    """ReLU's first-bin share ``p0`` (the zeros and the smallest positive values; ``n`` edges from 0
    to the maximum, as the seed bins outputs) and the entropy ``h(p0) + (1 - p0) log2(n - 2)`` of a
    histogram with that share in one bin and the rest spread evenly over the other ``n - 2`` bins."""
    out = np.maximum(uniform_sample(n_samples, np.random.RandomState(seed)), 0)
    p0 = float(np.histogram(out, bins=np.linspace(0, out.max(), int(n)))[0][0] / n_samples)
    h = -p0 * np.log2(p0) - (1 - p0) * np.log2(1 - p0) + (1 - p0) * np.log2(int(n) - 2)
    return p0, float(h)


def _twins(t: pd.Series, top: str) -> list[str]:
    """Activations whose value equals ``top``'s (to 1e-12), ``top`` excluded."""
    return [a for a in t.index if a != top and abs(float(t[a]) - float(t[top])) < 1e-12]


def one_seed_glue(one: pd.DataFrame, *, seed: int, n_samples: int, n: int, margin: float = 0.1) -> dict:
    """Values and sentences of the one-seed part of the page (glue key -> value), from
    :func:`activation_entropies` of one seed: the input entropies, whether the draw is the seed's,
    the ranking of the reductions, ReLU's zeros and one-bin formula, the copy-neighbour toy."""
    t = one.set_index("activation")
    h_in, h_edges = float(t.h_input.iloc[0]), float(t.h_input_edges.iloc[0])
    same = abs(h_in - SEED_INPUT_ENTROPY) < 1e-12
    red = t.reduction.sort_values(ascending=False, kind="stable")
    top = red.index[0]
    twins = _twins(red, top)
    rest = [a for a in red.index if a != top and a not in twins]
    rank = f"The largest is {red[top]:.3f} bits for {label(top)}"
    if twins:
        rank += f" (and the same for {', '.join(label(a) for a in twins)}"
        rank += ", which equals ReLU on [-1, 1])" if (top, twins) == ("relu", ["relu6"]) else ")"
    if rest:
        nxt = rest[0]
        rank += f", followed by {label(nxt)} with {red[nxt]:.3f} bits"
        if nxt == "leaky_relu":
            rank += ", whose negative half is squeezed into a fifth of the range and so into fewer bins"
    same_bins = t.h_input_edges - t.entropy
    p0, h_formula = relu_one_bin(seed, n_samples, n)
    further_max = t.further_reduction.idxmax()
    below = bool(t.further_reduction.max() < t.loc["relu", "reduction"])
    return {
        "eb_h_input": round(h_in, 3), "eb_h_input_edges": round(h_edges, 3), "eb_n_bins": int(n),
        "eb_n_bins_minus_1": int(n) - 1, "eb_n_bins_minus_2": int(n) - 2, "eb_n_samples": f"{int(n_samples):,}",
        "eb_seed": int(seed),
        "eb_same_draw_text": ("the same value to every printed digit, so our draw is the Deep Bottleneck notebook's" if same else
                              f"not the Deep Bottleneck notebook's {SEED_INPUT_ENTROPY:.3f} bits, so this draw is not theirs"),
        "eb_linear_reduction": round(float(t.loc["linear", "reduction"]), 3),
        "eb_margin": margin,
        "eb_n_keep": int((same_bins < margin).sum()), "eb_n_act": len(t),
        "eb_min_reduction": round(float(red.min()), 3), "eb_min_reduction_name": label(red.idxmin()),
        "eb_ranking_text": rank,
        "eb_relu_reduction": round(float(t.loc["relu", "reduction"]), 3),
        "eb_relu_zero_pct": round(100 * float(t.loc["relu", "zero_fraction"]), 1),
        "eb_relu_entropy": round(float(t.loc["relu", "entropy"]), 3),
        "eb_relu_p0": round(p0, 3), "eb_relu_formula": round(h_formula, 3),
        "eb_further_min": round(float(t.further_reduction.min()), 3),
        "eb_further_max": round(float(t.further_reduction.max()), 3),
        "eb_relu_further": round(float(t.loc["relu", "further_reduction"]), 3),
        "eb_copy_text": (f"the largest further reduction, {t.further_reduction.max():.3f} bits ({label(further_max)}), "
                         f"is {'below' if below else 'not below'} ReLU's own reduction"),
    }


def seeds_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95% interval over seeds of the entropy, the reductions and ReLU's zero share, per
    activation: long frame ``activation, n, mean, ci_low, ci_high, quantity``."""
    from ..stats import summarize

    return pd.concat([summarize(runs, "activation", q).assign(quantity=q)
                      for q in ("entropy", "reduction", "further_reduction", "zero_fraction")], ignore_index=True)


def _per_seed(runs: pd.DataFrame, col: str) -> pd.DataFrame:
    """seed x activation table of one column."""
    return runs.pivot(index="seed", columns="activation", values=col)


def seeds_glue(runs: pd.DataFrame, *, collapse: float = 0.1) -> dict:
    """Values and sentences of the over-seeds part of the page (glue key -> value)."""
    from ..stats import mean_ci

    red, zero = _per_seed(runs, "reduction"), _per_seed(runs, "zero_fraction")
    further = _per_seed(runs, "further_reduction")
    m, lo, hi = mean_ci(red["relu"])
    others = [a for a in red.columns if a != "relu" and not np.allclose(red[a], red["relu"], atol=1e-12)]
    nxt = red[others].mean().idxmax()
    below = further.max(axis=1) < red["relu"]
    collapsers = [a for a in zero.columns if zero[a].mean() > collapse]
    return {
        "eb_n_seeds": int(len(red)),
        "eb_relu_reduction_mean": round(m, 3), "eb_relu_reduction_lo": round(lo, 3),
        "eb_relu_reduction_hi": round(hi, 3),
        "eb_next_reduction": round(float(red[nxt].mean()), 3), "eb_next_reduction_name": label(nxt),
        "eb_copy_share": int(round(100 * float(below.mean()))),
        "eb_relu_zero_pct_mean": round(100 * float(zero["relu"].mean()), 1),
        "eb_collapsers": ", ".join(label(a) for a in collapsers) or "none",
    }


def claims(one: pd.DataFrame, runs: pd.DataFrame, *, n: int = 50, n_samples: int = 4096, seed: int = 0,
           margin: float | None = None) -> list[dict]:
    """The chapter's claims rows (see :mod:`ibutils.publish.report` for the rules).

    Parameters
    ----------
    one : :func:`activation_entropies` of one seed (the seed's own draw when its seed is 0).
    runs : :func:`activation_entropies_seeds` over the page's seeds.
    n : the histogram size the tables were computed with (the seed's: 50).
    n_samples, seed : the page's sample size and its one draw's seed (the seed's: 4,096 and 0).
    margin : smallest difference that counts, bits (default :data:`ibutils.publish.report.MARGIN_BITS`).

    Rows
    ----
    1. The input entropy 5.634 bits: a yes/no fact about one fixed draw (:func:`~ibutils.publish.report.verdict`).
    2. ReLU reduces the entropy most: per seed, ReLU's reduction minus each other activation's
       (activations identical to ReLU on [-1, 1], i.e. ReLU6, left out); ``verdict_all`` over them.
    3. ReLU maps about half of the inputs to 0: ``verdict_value`` against 0.5 (tolerance 0.05,
       wider 0.1); a *demonstration*: the input is symmetric around 0 by construction.
    4. The copy-neighbour toy reduces the entropy further: ``verdict_all`` over the activations.
    5. ... but by less than ReLU's own reduction: per seed, ReLU's reduction minus each
       activation's further reduction; ``verdict_all`` over the activations.

    Rows are stated at the page's setting and compared with the seed only at its own
    (:data:`STUDY_SETTING`; :func:`ibutils.publish.report.verdict_at_setting`): row 1 at 4,096
    samples, 50 bins and seed 0, rows 2, 4 and 5 at 4,096 samples and 50 bins; elsewhere
    "different setting".
    """
    from ..publish import report
    from ..stats import mean_ci

    margin = report.MARGIN_BITS if margin is None else float(margin)
    t = one.set_index("activation")
    h_in = float(t.h_input.iloc[0])
    red, zero = _per_seed(runs, "reduction"), _per_seed(runs, "zero_fraction")
    further = _per_seed(runs, "further_reduction")
    k = int(len(red))
    scale = dict(n_seeds=k, epochs=0, study_seeds=STUDY_SEEDS, study_epochs=STUDY_EPOCHS)
    src = "Deep Bottleneck 9.4"

    twins = [a for a in red.columns if a != "relu" and np.allclose(red[a], red["relu"], atol=1e-12)]
    others = [a for a in red.columns if a != "relu" and a not in twins]
    gaps = {a: mean_ci(red["relu"] - red[a]) for a in others}
    eff = [report.effect(gaps[a], n=k, margin=margin) for a in others]
    closest = min(others, key=lambda a: gaps[a][0])
    zmci = mean_ci(zero["relu"])
    fur = {a: mean_ci(further[a]) for a in further.columns}
    below = {a: mean_ci(red["relu"] - further[a]) for a in further.columns}
    worst = min(below, key=lambda a: below[a][0])
    fmt = lambda mci: f"{mci[0]:.3f} [{mci[1]:.3f}, {mci[2]:.3f}]"  # noqa: E731
    bins = f"{int(n)} bins"
    rows = [
        dict(claim=f"Entropy of {int(n_samples):,} U[-1, 1] float32 samples (seed {int(seed)}), {int(n)}-bin histogram",
             source=src, reported=f"{SEED_INPUT_ENTROPY:.3f} bits (4,096 samples, seed 0, 50 bins)",
             measured=f"{h_in:.3f} bits ({int(n)} intervals min..max)",
             verdict=report.verdict(abs(h_in - SEED_INPUT_ENTROPY) < 1e-3), n_seeds=None, epochs=0,
             study_seeds=STUDY_SEEDS, study_epochs=STUDY_EPOCHS,
             note="one fixed draw (the Deep Bottleneck notebook's RandomState(0) sample when the page's seed is 0): "
                  "a check of the computation, so seeds do not apply"),
        dict(claim=f"ReLU reduces the entropy most (immediate compression; {bins})", source=src,
             reported="largest reduction (figure only)",
             measured=f"ReLU minus the closest other ({label(closest)}): {fmt(gaps[closest])} bits; "
                      f"significant against {eff.count('supports')} of {len(others)} activations",
             verdict=report.verdict_all(eff), **scale,
             note=f"{', '.join(label(a) for a in twins)} equal{'s' if len(twins) == 1 else ''} ReLU on [-1, 1] "
                  f"and {'is' if len(twins) == 1 else 'are'} left out" if twins else ""),
        dict(claim="ReLU maps about half of the inputs to 0", source="Deep Bottleneck 9.4 / 6.5",
             reported="about half", measured=f"share {fmt(zmci)}",
             verdict=report.verdict_value(zmci, 0.5, n=k, close=0.05, partly=0.1), kind="demonstration", **scale,
             note="a demonstration: the stand-in input is symmetric around 0, so half of it is negative by "
                  "construction; the share in a trained layer depends on its biases and weights"),
        dict(claim=f"The copy-neighbour simplification reduces the entropy further ({bins})", source=src,
             reported="further reduction", measured=f"smallest mean further reduction "
                                                    f"{min(v[0] for v in fur.values()):.3f} bits",
             verdict=report.verdict_all(report.effect(fur[a], n=k, margin=margin) for a in fur), **scale),
        dict(claim=f"The copy-neighbour's further reduction stays below ReLU's reduction alone ({bins})", source=src,
             reported="further reduction < ReLU's reduction",
             measured=f"ReLU's reduction minus the largest further reduction ({label(worst)}): "
                      f"{fmt(below[worst])} bits",
             verdict=report.verdict_all(report.effect(below[a], n=k, margin=margin) for a in below), **scale),
    ]
    run = dict(n_samples=int(n_samples), n_bins=int(n), seed=int(seed))
    settings = [STUDY_SETTING["input"], STUDY_SETTING["tables"], {}, STUDY_SETTING["tables"], STUDY_SETTING["tables"]]
    return [report.verdict_at_setting(row, study, run) for row, study in zip(rows, settings)]


def plot_entropies(table: pd.DataFrame, h_in: float, h_in_edges: float, n: int = 50):
    """Left: each activation's output entropy (colour: saturation type) with the input's under
    both binnings; right: the seed's reduction and the copy-neighbour's further reduction."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharex=True)
    order = table.activation.tolist()
    colors = {"double": "C0", "single": "C1", "none": "C2"}
    c = [colors[s] for s in table.saturation]
    axes[0].scatter(order, table.entropy, c=c)
    axes[0].axhline(h_in, color="grey", ls="--", lw=1, label=f"input, {n} intervals")
    axes[0].axhline(h_in_edges, color="grey", ls=":", lw=1, label=f"input, {n} edges")
    axes[0].set_ylabel("H(T) [bits]")
    axes[0].legend(fontsize=8)
    axes[1].scatter(order, table.reduction, c=c, label="activation")
    axes[1].scatter(order, table.further_reduction, c=c, marker="x", label="further, copy-neighbour")
    axes[1].set_ylabel("reduction [bits]")
    axes[1].legend(fontsize=8)
    for ax in axes:
        ax.tick_params(axis="x", rotation=90)
    fig.tight_layout()
    return fig
