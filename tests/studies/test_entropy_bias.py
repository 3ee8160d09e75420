import numpy as np
import pandas as pd
import pytest

from ibutils.publish.report import claims_table
from ibutils.studies import entropy_bias as eb


def test_seed_input_entropy_is_the_seeds_5634():
    u = eb.uniform_sample(4096, np.random.RandomState(0))
    assert u.dtype == np.float32
    # Deep Bottleneck 9.4 prints 5.634427827586692 (plt.hist, 50 intervals)
    assert eb.histogram_entropy(u, 50, rule="intervals") == pytest.approx(5.634427827586692, abs=1e-12)
    assert eb.histogram_entropy(u, 50, rule="edges") < 5.62


def test_histogram_entropy_rules_exact():
    v = np.arange(49) + 0.5  # one value per unit interval on [0.5, 48.5]
    assert eb.histogram_entropy(v, 49, rule="intervals") == pytest.approx(np.log2(49))
    assert eb.histogram_entropy(np.arange(50.0), 50, rule="edges") == pytest.approx(
        -(48 / 50 * np.log2(1 / 50) + 2 / 50 * np.log2(2 / 50)))
    with pytest.raises(ValueError, match="rule"):
        eb.histogram_entropy(v, 10, rule="bins")


def test_copy_neighbour_keeps_zeros_and_values():
    v = np.array([0.0, 1.0, 2.0, 0.0, 3.0, 4.0, 5.0])
    out = eb.copy_neighbour(v, 0)
    np.testing.assert_array_equal(out, [1, 2, 3, 4, 5, 0, 0])
    out = eb.copy_neighbour(v, 50, np.random.RandomState(1))
    assert (out == 0).sum() == 2
    assert set(out[out != 0]) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert len(set(out[out != 0])) < 5
    with pytest.raises(ValueError, match="iterations"):
        eb.copy_neighbour(v, -1)


def test_activation_entropies_structure():
    df = eb.activation_entropies(0).set_index("activation")
    assert len(df) == 11
    assert df.loc["linear", "entropy"] == pytest.approx(df.loc["linear", "h_input_edges"])
    assert df.loc["relu", "zero_fraction"] == pytest.approx(0.5, abs=0.03)
    assert df.loc["relu", "entropy"] == df.loc["relu6", "entropy"]  # identical on [-1, 1]
    assert df.reduction.idxmax() in ("relu", "relu6")
    assert (df.further_reduction > 0).all()
    seeds = eb.activation_entropies_seeds([0, 1])
    assert set(seeds.seed) == {0, 1} and len(seeds) == 22


# --------------------------------------------------------------------------- claims
def _tables(k=5, red=None, further=None, zero=0.5, h_in=eb.SEED_INPUT_ENTROPY, noise=0.01):
    """Constructed per-seed tables: ``red``/``further`` map activations to their mean reduction and
    further reduction; ReLU6 copies ReLU's reduction exactly (as on [-1, 1])."""
    red = red or {"relu": 1.9, "tanh": 0.1, "linear": 0.03}
    further = further or {a: 1.2 for a in red}
    rng = np.random.default_rng(0)
    rows = []
    for s in range(k):
        e = {a: noise * rng.standard_normal() for a in red}
        for a in list(red) + ["relu6"]:
            src = "relu" if a == "relu6" else a
            rows.append(dict(seed=s, activation=a, reduction=red[src] + e[src],
                             further_reduction=further.get(a, further["relu"]) + noise * rng.standard_normal(),
                             zero_fraction=(zero + noise * rng.standard_normal()) if src == "relu" else 0.0))
    runs = pd.DataFrame(rows)
    one = runs[runs.seed == 0].assign(h_input=h_in)
    return one, runs


def _verdicts(rows):
    return [r["verdict"] for r in rows]


def test_claims_all_reproduced_and_kinds():
    rows = eb.claims(*_tables())
    assert _verdicts(rows) == ["reproduced"] * 5
    assert [r.get("kind", "replication") for r in rows] == ["replication", "replication", "demonstration",
                                                            "replication", "replication"]
    assert "ReLU6" in rows[1]["note"]  # identical to ReLU on [-1, 1]: left out, and said so
    df = claims_table("t", rows)
    assert list(df.verdict) == ["reproduced"] * 5


def test_claims_input_entropy_is_a_fact_about_one_draw():
    assert eb.claims(*_tables(h_in=5.0))[0]["verdict"] == "not reproduced"
    rows = eb.claims(*_tables(), n=30)  # the page's hint `-p n_bins=30`: another binning, not the seed's claim
    assert [r["verdict"] for r in rows] == ["different setting", "different setting", "reproduced",
                                            "different setting", "different setting"]
    assert rows[0]["claim"] == "Entropy of 4,096 U[-1, 1] float32 samples (seed 0), 30-bin histogram"
    assert "n_bins 30 (the study: 50)" in rows[0]["note"] and "30 bins)" in rows[1]["claim"]
    assert eb.claims(*_tables(), seed=3)[0]["verdict"] == "different setting"
    assert eb.claims(*_tables(), seed=3)[1]["verdict"] != "different setting"


def test_claims_relu_largest_reduction_every_verdict():
    v = lambda red: eb.claims(*_tables(red=red))[1]["verdict"]  # noqa: E731
    assert v({"relu": 1.9, "tanh": 1.9, "linear": 0.03}) == "partly reproduced"  # not beyond tanh
    assert v({"relu": 1.0, "tanh": 1.0, "linear": 1.0}) == "not reproduced"
    assert v({"relu": 0.1, "tanh": 1.0, "linear": 1.0}) == "contradicted"


def test_claims_half_zero_is_a_value_with_tolerance():
    assert eb.claims(*_tables(zero=0.57))[2]["verdict"] == "partly reproduced"
    assert eb.claims(*_tables(zero=0.8))[2]["verdict"] == "not reproduced"


def test_claims_copy_neighbour_rows():
    rows = eb.claims(*_tables(further={"relu": 1.2, "tanh": 0.0, "linear": 1.2}))
    assert rows[3]["verdict"] == "partly reproduced"  # no further reduction for tanh
    rows = eb.claims(*_tables(further={"relu": 2.5, "tanh": 2.5, "linear": 2.5}))
    assert rows[4]["verdict"] == "contradicted"  # further reduction above ReLU's own
    rows = eb.claims(*_tables(further={"relu": 1.2, "tanh": 1.85, "linear": 1.2}))
    assert rows[4]["verdict"] == "partly reproduced"


def test_claims_too_few_seeds_inconclusive():
    rows = eb.claims(*_tables(k=2))
    assert _verdicts(rows)[1:] == ["inconclusive"] * 4
    df = claims_table("t", rows)
    assert (df.verdict.iloc[1:] == "inconclusive").all()
