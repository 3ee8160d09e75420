import numpy as np
import pytest

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
