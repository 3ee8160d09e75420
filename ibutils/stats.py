"""Summaries over seeds: means with 95% confidence intervals, and an unbiased compression statistic.

Every claim in the book is a number with its uncertainty across independently
seeded runs. The interval is the Student-t interval of the mean,
``mean +- t_{0.975, n-1} * sd / sqrt(n)``, which is exact for normal data and a
good approximation for the 5 to 50 seeds used here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _st

#: The range of an accuracy (a share of correct answers), for ``bounds``.
ACCURACY_RANGE = (0.0, 1.0)


def mean_ci(values, confidence: float = 0.95, bounds: tuple[float, float] | None = None) -> tuple[float, float, float]:
    """Mean and the lower and upper ends of its ``confidence`` t-interval.

    NaN values are dropped; a single value gives an interval of zero width, and an
    empty input gives NaNs. ``bounds`` (e.g. ``(0, 1)`` for an accuracy) clips the
    interval to the range the quantity can take: the t-interval of a mean near a bound
    reaches past it (an accuracy of 0.9 over a few seeds gives [0.800, 1.001]), and no
    mean can lie there.
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return (np.nan, np.nan, np.nan)
    m = float(v.mean())
    if v.size == 1:
        return (m, m, m)
    half = float(_st.t.ppf(0.5 + confidence / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size))
    return (m, *clip_interval(m - half, m + half, bounds))


def clip_interval(lo: float, hi: float, bounds: tuple[float, float] | None) -> tuple[float, float]:
    """``(lo, hi)`` clipped to ``bounds``, the range the quantity can take (``None``: unchanged)."""
    if bounds is None:
        return lo, hi
    return max(float(lo), float(bounds[0])), min(float(hi), float(bounds[1]))


def summarize(df: pd.DataFrame, by, value: str, confidence: float = 0.95,
              bounds: tuple[float, float] | None = None) -> pd.DataFrame:
    """Per group of ``by``: n, mean, ci_low, ci_high of column ``value`` (one row per seed expected);
    ``bounds`` clips the intervals as in :func:`mean_ci`."""
    def one(g):
        m, lo, hi = mean_ci(g[value].to_numpy(), confidence, bounds)
        return pd.Series({"n": int(np.isfinite(g[value]).sum()), "mean": m, "ci_low": lo, "ci_high": hi})

    by = [by] if isinstance(by, str) else list(by)
    return df.groupby(by, sort=True)[[value]].apply(one).reset_index()


#: Share of training (in epochs) whose snapshots are averaged into a run's end value.
END_FRACTION = 0.1


def _drop_one(epochs: np.ndarray, v: np.ndarray, end_fraction: float) -> tuple[float, float, float, float]:
    """Cross-fitted drop of one run: (peak, peak_epoch, end, drop); see :func:`compression`."""
    ok = np.isfinite(v)
    epochs, v = epochs[ok], v[ok]
    k = len(v)
    if k == 0:
        return (np.nan, np.nan, np.nan, np.nan)
    e_last = epochs[-1]
    in_end = epochs >= epochs[0] + (1.0 - end_fraction) * (e_last - epochs[0])
    in_end[-1] = True
    end = float(v[in_end].mean())
    pre = np.flatnonzero(~in_end)
    if pre.size == 0:
        return (np.nan, np.nan, end, np.nan)
    if pre.size == 1:  # nothing to select from: the one value is unbiased as it is
        i = int(pre[0])
        return (float(v[i]), float(epochs[i]), end, float(v[i]) - end)
    estimates, where = [], []
    for half in (pre[0::2], pre[1::2]):
        i = int(half[np.argmax(v[half])])  # located on one half ...
        nb = [j for j in (i - 1, i + 1) if 0 <= j < k]  # ... measured on its neighbours, the other half
        estimates.append(float(v[nb].mean()))
        where.append(float(epochs[i]))
    peak = float(np.mean(estimates))
    return (peak, float(np.mean(where)), end, peak - end)


def compression(mi: pd.DataFrame, *, value: str = "ixt", by=("seed", "layer"), threshold: float = 0.1,
                end_fraction: float = END_FRACTION) -> pd.DataFrame:
    """How far ``value`` falls from its peak to the end of training, per run and layer.

    The studies read compression off a plot as the fall from a curve's maximum to its end. The
    plain statistic ``max over snapshots - last value`` (kept here as ``drop_max``) is biased
    upward by estimator noise, and the bias grows with the number of snapshots ``k`` (the maximum
    of ``k`` noisy points): a flat curve plus noise "compresses", more so at 274 snapshots than at
    10. ``drop`` removes that bias by cross-fitting:

    * the *end value* is the mean over the snapshots in the last ``end_fraction`` of training
      (by epoch; at least the last snapshot);
    * the snapshots before that window are split into two interleaved halves (even and odd
      positions). On each half the peak is *located* (its argmax), and its height is *measured*
      on the other half: the mean of the two neighbouring snapshots, which belong to the other
      half. The two measurements are averaged. Because the height is never read from the
      values that chose the location, a flat curve plus independent noise has ``E[drop] = 0``
      whatever ``k``; for a smooth rise-then-fall curve, ``drop`` is the true fall up to the
      curvature between neighbouring snapshots. Noise can make the located peak miss the true
      one, which errs on the low side only: the statistic is conservative (with 274 log-spaced
      snapshots and noise of 0.2 bit, a true 3-bit fall reads about 2.9 bits).

    ``drop`` is negative for a curve that is still rising at the end. A run with no snapshot
    before the end window has ``drop`` NaN.

    Parameters
    ----------
    mi : tidy frame with columns ``epoch``, ``value`` and the ``by`` columns.
    value : the column measured (``"ixt"`` for compression of I(X;T)).
    by : the columns that identify a run (and layer).
    threshold : a run "compresses" when its ``drop`` exceeds this many bits.
    end_fraction : share of training (epochs) averaged into the end value.

    Returns
    -------
    One row per group of ``by`` with ``peak`` (cross-fitted height), ``peak_epoch`` (mean of the
    two located epochs), ``end``, ``drop``, ``compresses`` (``drop > threshold``), and the plain
    statistic's ``max``, ``max_epoch``, ``last`` and ``drop_max`` (``max - last``).
    """
    if not 0 < end_fraction < 1:
        raise ValueError(f"end_fraction must be in (0, 1), got {end_fraction}")
    by = list(by)
    missing = [c for c in by + ["epoch", value] if c not in mi.columns]
    if missing:
        raise ValueError(f"compression: missing column(s) {missing}")
    mi = mi.sort_values(by + ["epoch"], kind="stable")
    rows = []
    for key, g in mi.groupby(by, sort=True):
        e = g["epoch"].to_numpy(dtype=np.float64)
        v = g[value].to_numpy(dtype=np.float64)
        peak, peak_epoch, end, drop = _drop_one(e, v, end_fraction)
        fin = np.isfinite(v)
        if fin.any():
            i = int(np.argmax(np.where(fin, v, -np.inf)))
            mx, mx_e, last = float(v[i]), float(e[i]), float(v[fin][-1])
        else:
            mx = mx_e = last = np.nan
        key = key if isinstance(key, tuple) else (key,)
        rows.append((*key, peak, peak_epoch, end, drop, mx, mx_e, last, mx - last))
    out = pd.DataFrame(rows, columns=by + ["peak", "peak_epoch", "end", "drop", "max", "max_epoch", "last", "drop_max"])
    out["compresses"] = out["drop"] > threshold
    return out


def compression_summary(mi: pd.DataFrame, *, value: str = "ixt", by=("layer",), seed_col: str = "seed",
                        threshold: float = 0.1) -> pd.DataFrame:
    """Compression per group of ``by`` across seeds: the mean cross-fitted ``drop`` of
    :func:`compression`, its 95% interval, and the share of seeds whose drop exceeds ``threshold``."""
    by = list(by)
    per_run = compression(mi, value=value, by=[seed_col] + by, threshold=threshold)
    summ = summarize(per_run, by, "drop")
    share = per_run.groupby(by)["compresses"].mean().rename("share_compressing").reset_index()
    return summ.merge(share, on=by)
