"""Summaries over seeds: means with 95% confidence intervals, and compression.

Every claim in the book is a number with its uncertainty across independently
seeded runs. The interval is the Student-t interval of the mean,
``mean +- t_{0.975, n-1} * sd / sqrt(n)``, which is exact for normal data and a
good approximation for the 5 to 50 seeds used here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _st


def mean_ci(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and the lower and upper ends of its ``confidence`` t-interval.

    NaN values are dropped; a single value gives an interval of zero width, and an
    empty input gives NaNs.
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return (np.nan, np.nan, np.nan)
    m = float(v.mean())
    if v.size == 1:
        return (m, m, m)
    half = float(_st.t.ppf(0.5 + confidence / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size))
    return (m, m - half, m + half)


def summarize(df: pd.DataFrame, by, value: str, confidence: float = 0.95) -> pd.DataFrame:
    """Per group of ``by``: n, mean, ci_low, ci_high of column ``value`` (one row per seed expected)."""
    def one(g):
        m, lo, hi = mean_ci(g[value].to_numpy(), confidence)
        return pd.Series({"n": int(np.isfinite(g[value]).sum()), "mean": m, "ci_low": lo, "ci_high": hi})

    by = [by] if isinstance(by, str) else list(by)
    return df.groupby(by, sort=True)[[value]].apply(one).reset_index()


def compression(mi: pd.DataFrame, *, value: str = "ixt", by=("seed", "layer"), threshold: float = 0.1
                ) -> pd.DataFrame:
    """The drop of ``value`` from its maximum over epochs to its last epoch, per run and layer.

    Parameters
    ----------
    mi : tidy frame with columns ``epoch``, ``value`` and the ``by`` columns.
    threshold : a run "compresses" when its drop exceeds this many bits.

    Returns
    -------
    One row per group of ``by`` with ``peak``, ``peak_epoch``, ``last``, ``drop`` and
    ``compresses`` (drop > threshold).
    """
    by = list(by)
    mi = mi.sort_values(by + ["epoch"])
    g = mi.groupby(by, sort=True)
    idx = g[value].idxmax()
    peak = mi.loc[idx, by + ["epoch", value]].rename(columns={"epoch": "peak_epoch", value: "peak"})
    last = g[value].last().rename("last").reset_index()
    out = peak.merge(last, on=by)
    out["drop"] = out["peak"] - out["last"]
    out["compresses"] = out["drop"] > threshold
    return out.reset_index(drop=True)


def compression_summary(mi: pd.DataFrame, *, value: str = "ixt", by=("layer",), seed_col: str = "seed",
                        threshold: float = 0.1) -> pd.DataFrame:
    """Compression per group of ``by`` across seeds: mean drop, its 95% CI, share of seeds compressing."""
    by = list(by)
    per_run = compression(mi, value=value, by=[seed_col] + by, threshold=threshold)
    summ = summarize(per_run, by, "drop")
    share = per_run.groupby(by)["compresses"].mean().rename("share_compressing").reset_index()
    return summ.merge(share, on=by)
