"""ibutils.blas: the float64 KDE reference gives the same bits whatever BLAS thread count the caller set."""
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from ibutils.blas import blas_threads
from ibutils.mi import kde, kde_multi


def _layer():
    # ReLU-like activity on which, without the cap, OpenBLAS' 1- and 2-thread products give bounds that
    # differ by 1.8e-15 bits (measured on 2 cores), the kind of difference that made a Cora figure flaky
    rng = np.random.default_rng(5)
    return np.maximum(rng.normal(size=(3, 300, 16)), 0.0), rng.integers(0, 7, 300)


@pytest.mark.parametrize("outer", [1, 2])
def test_reference_kde_bits_do_not_depend_on_the_callers_blas_threads(outer):
    T, y = _layer()
    with threadpool_limits(limits=1, user_api="blas"):
        ref_multi = kde_multi(T, y, noise_variances=[0.001, 0.1], backend="numpy")
        ref_one = kde(T, y, noise_variance=0.1, precision="float64")
    with threadpool_limits(limits=outer, user_api="blas"):
        multi = kde_multi(T, y, noise_variances=[0.001, 0.1], backend="numpy")
        one = kde(T, y, noise_variance=0.1, precision="float64")
    for key, pair in ref_multi.items():
        assert np.array_equal(pair.ixt, multi[key].ixt) and np.array_equal(pair.ity, multi[key].ity)
    assert np.array_equal(ref_one.ixt, one.ixt) and np.array_equal(ref_one.ity, one.ity)


def test_blas_threads_caps_and_restores():
    from threadpoolctl import threadpool_info

    def blas_counts():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas_counts()
    with blas_threads(1):
        assert all(n == 1 for n in blas_counts())
    assert blas_counts() == before
    with blas_threads(None):
        assert blas_counts() == before


def test_blas_threads_rejects_a_non_positive_count():
    with pytest.raises(ValueError, match="positive number of threads"):
        blas_threads(0)
