import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from ibutils.publish import report
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


def test_summarize_counts_runs_per_group():
    df = pd.DataFrame({"layer": [1, 1, 2, 2, 2], "v": [1.0, 3.0, 2.0, 2.0, 2.0]})
    s = summarize(df, "layer", "v").set_index("layer")
    assert s.loc[1, "n"] == 2 and s.loc[1, "mean"] == 2.0
    assert s.loc[2, "ci_low"] == s.loc[2, "ci_high"] == 2.0


def test_compression_is_peak_minus_last():
    mi = pd.DataFrame({
        "seed": [0, 0, 0, 1, 1, 1],
        "layer": [1] * 6,
        "epoch": [0, 10, 20, 0, 10, 20],
        "ixt": [1.0, 3.0, 2.5, 1.0, 2.0, 2.05],
    })
    c = compression(mi).set_index("seed")
    assert c.loc[0, "drop"] == pytest.approx(0.5) and c.loc[0, "peak_epoch"] == 10 and c.loc[0, "compresses"]
    assert c.loc[1, "drop"] == pytest.approx(0.0) and not c.loc[1, "compresses"]
    s = compression_summary(mi)
    assert s.loc[0, "mean"] == pytest.approx(0.25) and s.loc[0, "share_compressing"] == 0.5


def test_claims_table_validates_and_saves(tmp_path, monkeypatch):
    monkeypatch.setenv("IBUTILS_RESULTS_DIR", str(tmp_path))
    row = dict(claim="c", source="s", reported="r", measured="m", verdict="reproduced")
    df = report.claims_table("Ch", [row])
    assert list(df.columns) == report.COLUMNS
    assert (tmp_path / "claims.csv").exists()
    again = report.collect_claims("*/claims.csv", root=tmp_path.parent)
    assert again.loc[0, "chapter"] == "Ch"
    with pytest.raises(ValueError, match="verdict"):
        report.claims_table("Ch", [{**row, "verdict": "maybe"}])
    with pytest.raises(ValueError, match="missing"):
        report.claims_table("Ch", [{"claim": "c"}])
    assert report.verdict(False, partly=True) == "partly reproduced"
