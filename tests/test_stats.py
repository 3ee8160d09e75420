import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst
from scipy import stats as st

from ibutils.stats import compression, compression_summary, mean_ci, summarize


def test_mean_ci_matches_the_t_interval():
    v = np.array([1.0, 2.0, 3.0, 4.0])
    m, lo, hi = mean_ci(v)
    half = st.t.ppf(0.975, 3) * v.std(ddof=1) / 2.0
    assert m == 2.5 and lo == pytest.approx(2.5 - half) and hi == pytest.approx(2.5 + half)
    assert mean_ci([5.0]) == (5.0, 5.0, 5.0)
    assert all(np.isnan(mean_ci([np.nan])))
    # NaNs are dropped, not averaged
    assert mean_ci([1.0, np.nan, 3.0])[0] == 2.0
    # bounds clip the interval to the quantity's range (an accuracy near 1), never the mean
    acc = [1.0, 1.0, 0.8, 1.0]
    m, lo, hi = mean_ci(acc)
    assert hi > 1.0 and mean_ci(acc, bounds=(0.0, 1.0)) == (m, lo, 1.0)
    assert mean_ci([0.0, 0.0, 0.1], bounds=(0.0, 1.0))[1] == 0.0 and mean_ci(v, bounds=(0.0, 10.0)) == mean_ci(v)
    s = summarize(pd.DataFrame({"g": [0, 0, 0, 0], "a": acc}), "g", "a", bounds=(0.0, 1.0))
    assert s.ci_high.iloc[0] == 1.0 and s.ci_low.iloc[0] == lo


def test_summarize_counts_runs_per_group():
    df = pd.DataFrame({"layer": [1, 1, 2, 2, 2], "v": [1.0, 3.0, 2.0, 2.0, 2.0]})
    s = summarize(df, "layer", "v").set_index("layer")
    assert s.loc[1, "n"] == 2 and s.loc[1, "mean"] == 2.0
    assert s.loc[2, "ci_low"] == s.loc[2, "ci_high"] == 2.0


def _flat_runs(n_runs, n_snap, sd, rng, spacing="linear"):
    ep = (np.round(np.linspace(0, 8000, n_snap)) if spacing == "linear"
          else np.unique(np.round(np.geomspace(1, 8000, n_snap))))
    k = len(ep)
    return pd.DataFrame({"seed": np.repeat(np.arange(n_runs), k), "layer": 1, "epoch": np.tile(ep.astype(int), n_runs),
                         "ixt": 5.0 + sd * rng.standard_normal(n_runs * k)})


@pytest.mark.parametrize("n_snap", [10, 300])
@pytest.mark.parametrize("spacing", ["linear", "log"])
def test_flat_curve_plus_noise_has_no_mean_drop(n_snap, spacing):
    """The property the old max-minus-last statistic failed: its bias grows with the snapshots."""
    c = compression(_flat_runs(3000, n_snap, 0.3, np.random.default_rng(n_snap), spacing))
    assert abs(c["drop"].mean()) < 0.05
    # the plain statistic is biased upward, more so with more snapshots
    assert c["drop_max"].mean() > 0.3


def test_rise_then_fall_gives_its_true_drop():
    ep = np.unique(np.round(np.geomspace(1, 8000, 274)).astype(int))
    curve = np.where(ep < 300, 2 + 6 * ep / 300, 8 - 3 * np.clip((ep - 300) / 3000, 0, 1))  # peak 8, end 5
    c = compression(pd.DataFrame({"seed": 0, "layer": 1, "epoch": ep, "ixt": curve}))
    assert c.loc[0, "drop"] == pytest.approx(3.0, abs=0.05)
    assert c.loc[0, "end"] == pytest.approx(5.0) and c.loc[0, "drop_max"] == pytest.approx(3.0, abs=0.01)
    # with noise, the mean over runs errs on the low side only (a mislocated peak is lower), by little
    rng = np.random.default_rng(1)
    df = pd.concat([pd.DataFrame({"seed": s, "layer": 1, "epoch": ep, "ixt": curve + 0.2 * rng.standard_normal(len(ep))})
                    for s in range(400)])
    assert 2.85 < compression(df)["drop"].mean() < 3.0


def test_rising_curve_has_negative_drop_and_short_runs_are_nan():
    ep = np.arange(0, 1001, 100)
    c = compression(pd.DataFrame({"seed": 0, "layer": 1, "epoch": ep, "ixt": ep / 100.0}))
    assert c.loc[0, "drop"] < 0 and not c.loc[0, "compresses"]
    one = compression(pd.DataFrame({"seed": 0, "layer": 1, "epoch": [5], "ixt": [1.0]}))
    assert np.isnan(one.loc[0, "drop"]) and one.loc[0, "drop_max"] == 0.0


@settings(max_examples=40, deadline=None)
@given(hst.lists(hst.floats(-5, 5), min_size=2, max_size=40))
def test_drop_is_bounded_by_the_range_of_the_curve(values):
    v = np.asarray(values)
    c = compression(pd.DataFrame({"seed": 0, "layer": 1, "epoch": np.arange(len(v)), "ixt": v}))
    d = c.loc[0, "drop"]
    assert np.isnan(d) or (v.min() - v.max() - 1e-9 <= d <= v.max() - v.min() + 1e-9)
    assert c.loc[0, "drop_max"] == pytest.approx(v.max() - v[-1])


def test_compression_summary_and_errors():
    mi = pd.DataFrame({"seed": np.repeat([0, 1], 4), "layer": 1, "epoch": np.tile([0, 10, 20, 100], 2),
                       "ixt": [1.0, 3.0, 3.0, 2.0, 1.0, 1.0, 1.0, 1.0]})
    c = compression(mi).set_index("seed")
    # end: epoch 100 (2.0); peak located at epoch 20 on (0, 20) and measured on its neighbours (3.0, 2.0),
    # located at epoch 10 on (10,) and measured on (1.0, 3.0): (2.5 + 2.0) / 2
    assert c.loc[0, "peak"] == pytest.approx(2.25) and c.loc[0, "drop"] == pytest.approx(0.25)
    assert c.loc[0, "drop_max"] == pytest.approx(1.0) and c.loc[1, "drop"] == 0.0
    s = compression_summary(mi)
    assert s.loc[0, "mean"] == pytest.approx(0.125) and s.loc[0, "share_compressing"] == 0.5
    with pytest.raises(ValueError, match="missing column"):
        compression(mi.drop(columns="epoch"))
    with pytest.raises(ValueError, match="end_fraction"):
        compression(mi, end_fraction=1.5)
