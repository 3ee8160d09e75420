"""Data-processing-inequality checks of entropy estimates along deterministic chains.

For a Markov chain ``X -> T_1 -> T_2 -> ...`` the data-processing inequality (DPI)
requires ``I(X;T_1) >= I(X;T_2) >= ...``. For deterministic layers ``I(X;T_k) = H(T_k)``,
so an estimate that *increases* from one layer to the next violates the DPI, an
artifact of the estimator (Deep Bottleneck documentation, sec. 9.2 and 9.5; notes:
checklist_seed000.md sec. 4.13 and 4.16). :func:`dpi_gaps` measures these increases;
:func:`weighted_binning_seeds` repeats the seed's standard-vs-weighted-binning example
(sec. 9.2, :func:`ibutils.mi.weighted_binning_example`) over many seeds.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..mi import weighted_binning_example

LAYERS = ("input", "hidden", "output")


def dpi_gaps(values) -> np.ndarray:
    """Downstream changes ``v_{k+1} - v_k`` of estimates along a chain (positive = DPI violated).

    Parameters
    ----------
    values : array (..., K)
        Estimates of ``I(X;T_k)``, ``k = 0 .. K-1``, along the last axis.

    Returns
    -------
    array (..., K-1)
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 0 or v.shape[-1] < 2:
        raise ValueError(f"values needs at least 2 entries along its last axis, got shape {v.shape}")
    return np.diff(v, axis=-1)


def max_violation(values) -> np.ndarray:
    """Largest DPI violation along a chain, ``max(0, max_k (v_{k+1} - v_k))`` (bits)."""
    return np.maximum(dpi_gaps(values).max(axis=-1), 0.0)


def weighted_binning_seeds(seeds, n_samples: int = 1000, n_edges: int = 50) -> pd.DataFrame:
    """The seed's 3-3-3 lossless linear network under standard and weighted binning, per seed.

    Returns a tidy DataFrame with ``seed``, ``binning`` (``"standard"``/``"weighted"``),
    ``input``, ``hidden``, ``output`` (entropies in bits), ``hidden_minus_input``,
    ``output_minus_hidden`` (the two downstream changes) and ``max_violation``.
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must not be empty")
    rows = []
    for s in seeds:  # one small network per seed
        r = weighted_binning_example(int(s), n_samples=n_samples, n_edges=n_edges)
        for name, h in (("standard", r.standard), ("weighted", r.weighted)):
            gaps = dpi_gaps(h)
            rows.append(dict(seed=int(s), binning=name, **dict(zip(LAYERS, map(float, h))),
                             hidden_minus_input=float(gaps[0]), output_minus_hidden=float(gaps[1]),
                             max_violation=float(max_violation(h))))
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- the page
SOURCE = "Deep Bottleneck 9.2"
#: The seed's entropies (bits) for seed 0: input, hidden and output layers (sec. 9.2).
SEED_STANDARD = (9.845254959649102, 8.03183943622959, 9.845254959649102)
SEED_WEIGHTED = (9.845254959649102, 9.854274509657758, 9.845254959649102)
#: Draws behind the seed's numbers (one network, one sample) and training epochs (none).
STUDY_SEEDS, STUDY_EPOCHS = 1, 0
#: The seed's setting behind every number it states (its sample size and input grid).
STUDY_SETTING = dict(n_samples=1000, n_edges=50)
#: "Much smaller": the weighted violation below this share of the standard one, per seed.
MUCH_SMALLER = 0.25
QUANTITIES = ("input", "hidden", "output", "hidden_minus_input", "output_minus_hidden", "max_violation")


def one_seed_table(one) -> pd.DataFrame:
    """Entropies (bits) of the three layers under both binnings, from ``weighted_binning_example``."""
    return pd.DataFrame({"standard": one.standard, "weighted": one.weighted}, index=list(LAYERS)).T


def one_seed_glue(one, *, n_samples: int, n_edges: int) -> dict:
    """Values and sentences of the one-seed part of the page (glue key -> value)."""
    std, wtd = np.asarray(one.standard, float), np.asarray(one.weighted, float)
    loss, gap = float(std[0] - std[1]), float(abs(wtd[1] - wtd[0]))
    seed_loss = SEED_STANDARD[0] - SEED_STANDARD[1]
    same = bool(np.allclose(std, SEED_STANDARD, atol=5e-4) and np.allclose(wtd, SEED_WEIGHTED, atol=5e-4))
    pattern = loss > 0.5 * seed_loss and float(std[2] - std[1]) > 0.5 * seed_loss and gap < 0.5 * seed_loss
    out = {f"wb_{kind}_{layer}": round(float(v), 3)
           for kind, vals in (("standard", std), ("weighted", wtd)) for layer, v in zip(LAYERS, vals)}
    out.update({
        "wb_standard_loss": round(loss, 3), "wb_weighted_gap": round(gap, 3),
        "wb_n_samples": int(n_samples), "wb_n_edges": int(n_edges),
        "wb_log2n": round(float(np.log2(int(n_samples))), 3),
        "wb_pattern_text": (
            ("The numbers are the Deep Bottleneck analyses'" if same
             else "The pattern is the Deep Bottleneck analyses', the digits are not") if pattern
            else "The pattern differs from the Deep Bottleneck analyses'"),
    })
    return out


def seeds_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95% interval over seeds of each quantity of :func:`weighted_binning_seeds`, per
    binning: columns ``binning, quantity, n, mean, ci_low, ci_high``."""
    from ..stats import summarize

    out = pd.concat([summarize(runs, "binning", q).assign(quantity=q) for q in QUANTITIES], ignore_index=True)
    out = out.sort_values("binning", kind="stable").reset_index(drop=True)
    return out[["binning", "quantity", "n", "mean", "ci_low", "ci_high"]]


def _paired(runs: pd.DataFrame) -> pd.DataFrame:
    """seed x binning table of the largest DPI violation."""
    return runs.pivot(index="seed", columns="binning", values="max_violation")


def seeds_glue(runs: pd.DataFrame) -> dict:
    """Values and sentences of the over-seeds part of the page (glue key -> value): every mean and
    interval of :func:`seeds_summary`, the extremes, the share of seeds where weighted binning
    violates less, and where the seed's own weighted violation ranks among ours."""
    out = {}
    for r in seeds_summary(runs).itertuples():
        for part in ("mean", "ci_low", "ci_high"):
            out[f"wbs_{r.binning}_{r.quantity}_{part}"] = round(float(getattr(r, part)), 3)
    v = _paired(runs)
    seed_violation = SEED_WEIGHTED[1] - SEED_WEIGHTED[0]
    above = int((v["weighted"] > seed_violation).sum())
    out.update({
        "wbs_n_seeds": int(len(v)),
        "wbs_weighted_worst": round(float(v["weighted"].max()), 3),
        "wbs_standard_best": round(float(v["standard"].min()), 3),
        "wbs_share_smaller": int(round(100 * float((v["weighted"] < v["standard"]).mean()))),
        "wbs_seed_violation": round(seed_violation, 3),
        "wbs_seed_rank_text": (f"{above} of our {len(v)} seeds violate the DPI by more under weighted binning: the "
                               f"Deep Bottleneck analyses' one run lies {'below' if above > len(v) / 2 else 'at or above'} our median"),
    })
    return out


def conclusion(claims_rows: list[dict]) -> str:
    """The page's closing sentence from the verdicts of :func:`claims` (rows 2 to 4)."""
    from ..publish.report import rules_verdict

    v = {i: rules_verdict(claims_rows[i]) for i in (1, 2, 3)}  # what this run found, at its own setting
    std = ("Standard binning violates the DPI of this lossless network" if v[1] == "reproduced" else
           f"That standard binning violates the DPI of this lossless network is {v[1]} here")
    still = ("weighted binning does too" if v[2] == "reproduced" else
             f"that weighted binning still violates it is {v[2]}")
    much = ("with a much smaller violation, as the Deep Bottleneck analyses conclude" if v[3] == "reproduced" else
            f"that its violation is much smaller (below {MUCH_SMALLER:g} of standard binning's) is {v[3]}")
    return f"{std}; {still}; {much}."


def claims(one, runs: pd.DataFrame, *, n_samples: int = 1000, n_edges: int = 50,
           margin: float | None = None) -> list[dict]:
    """The chapter's claims rows (rules: :mod:`ibutils.publish.report`).

    Parameters
    ----------
    one : ``weighted_binning_example`` of the page's single seed.
    runs : :func:`weighted_binning_seeds` over the page's seeds.
    n_samples, n_edges : the page's sample size and grid (the seed's: 1,000 and 50).
    margin : smallest effect that counts, bits (default :data:`ibutils.publish.report.MARGIN_BITS`).

    Rows
    ----
    1. The seed's four numbers: a yes/no fact about one draw (``verdict``): reproduced within
       0.01 bit; partly when the pattern holds (standard binning loses more than a bit at the
       hidden layer, weighted binning keeps it within 0.05 bit of the input).
    2. Standard binning violates the DPI: the output's gain over the hidden layer, over seeds
       (``effect``, ``verdict_all``).
    3. Weighted binning still violates it: its largest violation over seeds (``verdict_all``).
    4. ... with a much smaller error: per seed, a quarter (:data:`MUCH_SMALLER`) of the standard
       violation minus the weighted one (``verdict_all``).

    Rows are stated at the page's grid and compared with the seed only at its own
    (:data:`STUDY_SETTING`, :func:`ibutils.publish.report.verdict_at_setting`); elsewhere their
    verdict is "different setting".
    """
    from ..publish import report
    from ..publish.page import fmt_ci
    from ..stats import mean_ci

    margin = report.MARGIN_BITS if margin is None else float(margin)
    v = _paired(runs)
    n = int(len(v))
    scale = dict(n_seeds=n, epochs=0, study_seeds=STUDY_SEEDS, study_epochs=STUDY_EPOCHS)
    std, wtd = np.asarray(one.standard, float), np.asarray(one.weighted, float)
    grid = f"{int(n_samples):,} samples, {int(n_edges)} edges"
    gain = mean_ci(runs.loc[runs.binning == "standard", "output_minus_hidden"])
    w_viol, s_viol = mean_ci(v["weighted"]), mean_ci(v["standard"])
    much = mean_ci(MUCH_SMALLER * v["standard"] - v["weighted"])
    rows = [
        dict(claim=f"One draw ({grid}): the Deep Bottleneck analyses' input 9.845, hidden 8.032 (standard) / "
                   "9.854 (weighted), output 9.845 bits",
             source=SOURCE, reported="9.845 / 8.032 / 9.854 / 9.845 (1,000 samples, 50 edges)",
             measured=f"{std[0]:.3f} / {std[1]:.3f} / {wtd[1]:.3f} / {std[2]:.3f}",
             verdict=report.verdict(bool(np.allclose(std, SEED_STANDARD, atol=0.01)
                                                   and np.allclose(wtd, SEED_WEIGHTED, atol=0.01)),
                                    partly=bool(std[1] < std[0] - 1 and abs(wtd[1] - wtd[0]) < 0.05)),
             n_seeds=None, epochs=0, study_seeds=STUDY_SEEDS, study_epochs=STUDY_EPOCHS,
             note="one draw; the Deep Bottleneck analyses' random draws could not be recovered (see the text), so seeds do not apply"),
        dict(claim=f"Standard binning violates the DPI on a lossless network (output above hidden; {grid})", source=SOURCE,
             reported=f"{SEED_STANDARD[2] - SEED_STANDARD[1]:.3f} bits (seed 0)",
             measured=f"output minus hidden {fmt_ci(*gain)} bits",
             verdict=report.verdict_all([report.effect(gain, n=n, margin=margin)]), **scale),
        dict(claim=f"Weighted binning still violates the DPI ({grid})", source=SOURCE,
             reported=f"{SEED_WEIGHTED[1] - SEED_WEIGHTED[0]:.3f} bit (seed 0)",
             measured=f"largest violation {fmt_ci(*w_viol)} bits",
             verdict=report.verdict_all([report.effect(w_viol, n=n, margin=margin)]), **scale,
             note=f"the Deep Bottleneck analyses' own violation is below the {margin:g}-bit margin"),
        dict(claim=f"... with a much smaller error than standard binning ({grid})", source=SOURCE,
             reported=f"{SEED_WEIGHTED[1] - SEED_WEIGHTED[0]:.3f} vs {SEED_STANDARD[2] - SEED_STANDARD[1]:.3f} bits",
             measured=f"{fmt_ci(*w_viol)} vs {fmt_ci(*s_viol)} bits; {MUCH_SMALLER:g} x standard minus weighted "
                      f"{fmt_ci(*much)} bits",
             verdict=report.verdict_all([report.effect(much, n=n, margin=margin)]), **scale,
             note=f"'much smaller' tested as below {MUCH_SMALLER:g} of the standard violation, per seed"),
    ]
    run = dict(n_samples=int(n_samples), n_edges=int(n_edges))
    return [report.verdict_at_setting(row, STUDY_SETTING, run) for row in rows]


def plot_seeds(runs: pd.DataFrame):
    """Change of the binned entropy along the chain (input to hidden, hidden to output), one point
    per seed and binning."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    long = runs.melt(id_vars=["seed", "binning"], value_vars=["hidden_minus_input", "output_minus_hidden"],
                     var_name="step", value_name="change")
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    sns.stripplot(data=long, x="step", y="change", hue="binning", dodge=True, jitter=False, ax=ax)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_ylabel("change of H along the chain [bits]")
    ax.set_xlabel("")
    fig.tight_layout()
    return fig
