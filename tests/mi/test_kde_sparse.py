"""ibutils.mi.kde_sparse: the KDE bounds on neighbour pairs equal the dense sum of ibutils.mi.kde."""
import numpy as np
import pytest

from ibutils import mi
from ibutils.mi.kde_sparse import kde_sparse


@pytest.mark.parametrize("shape,scale", [((3, 300, 5), 3.0), ((2, 400, 2), 0.2), ((2, 300, 3), 0.02)])
@pytest.mark.parametrize("bound", ["upper", "lower"])
def test_kde_sparse_equals_dense(shape, scale, bound):
    rng = np.random.default_rng(1)
    T = np.tanh(rng.normal(size=shape) * scale)
    T[:, :20] = T[:, 20:40]  # exact duplicates
    y = rng.integers(0, 3, shape[1])
    a = kde_sparse(T, y, noise_variance=1e-3, bound=bound)
    b = mi.kde(T, y, noise_variance=1e-3, bound=bound)
    assert np.allclose(a.ixt, b.ixt, atol=1e-9) and np.allclose(a.ity, b.ity, atol=1e-9)
    one = kde_sparse(T[0], y, noise_variance=1e-3, bound=bound)
    assert isinstance(one.ixt, float) and np.isclose(one.ixt, a.ixt[0])
    with pytest.raises(ValueError, match="noise_variance"):
        kde_sparse(T, y, noise_variance=0.0)


def test_kde_sparse_dense_path():
    rng = np.random.default_rng(3)
    T = 0.5 + 0.01 * rng.normal(size=(2, 600, 4))  # every pair within the cutoff: dense path
    y = rng.integers(0, 2, 600)
    a, b = kde_sparse(T, y), mi.kde(T, y)
    assert np.allclose(a.ixt, b.ixt, atol=1e-9) and np.allclose(a.ity, b.ity, atol=1e-9)
    with pytest.raises(ValueError, match="bound"):
        kde_sparse(T, y, bound="middle")
    with pytest.raises(ValueError, match="cutoff"):
        kde_sparse(T, y, cutoff=0)
