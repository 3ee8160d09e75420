"""Cora in the Planetoid split (Yang et al. 2016; Kipf & Welling 2017)."""
from __future__ import annotations

import logging
import pickle
from typing import Any

import numpy as np

from .files import (
    _CORA,
    fetch,
)

logger = logging.getLogger(__name__)


def load_cora(*, download: bool | None = None) -> dict[str, Any]:
    """The Cora citation graph in the Planetoid split (Yang, Cohen & Salakhutdinov 2016).

    Reassembled as in Kipf & Welling's ``gcn/utils.py::load_data``: features
    ``vstack(allx, tx)`` and labels ``vstack(ally, ty)`` with the test rows put
    back in node order (``ind.cora.test.index``).

    Returns
    -------
    dict
        ``features`` (``float32``, 2708 x 1433, dense), ``labels`` (``int64``,
        2708, 7 classes), ``adjacency`` (``scipy.sparse.csr_matrix``, symmetric,
        0/1), ``train_index`` (0..139), ``val_index`` (140..639), ``test_index``
        (1000 nodes), ``source``.
    """
    import scipy.sparse as sp

    parts: dict[str, Any] = {}
    files = []
    for key in _CORA:
        file = fetch(f"cora/ind.cora.{key}", download=download)
        files.append(file)
        if key == "test.index":
            parts[key] = np.loadtxt(file.path, dtype=np.int64)
        else:
            with open(file.path, "rb") as f:
                parts[key] = pickle.load(f, encoding="latin1")
    test_index = parts["test.index"]
    test_sorted = np.sort(test_index)
    features = sp.vstack([parts["allx"], parts["tx"]]).tolil()
    features[test_index, :] = features[test_sorted, :]
    onehot = np.vstack([parts["ally"], parts["ty"]])
    onehot[test_index, :] = onehot[test_sorted, :]
    graph = parts["graph"]
    n = features.shape[0]
    rows = np.concatenate([np.full(len(v), k, dtype=np.int64) for k, v in graph.items()])
    cols = np.concatenate([np.asarray(v, dtype=np.int64) for v in graph.values()])
    adj = sp.coo_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n)).tocsr()
    adj = ((adj + adj.T) > 0).astype(np.float32).tocsr()
    n_train = parts["y"].shape[0]
    return dict(
        features=np.asarray(features.todense(), dtype=np.float32),
        labels=onehot.argmax(axis=1).astype(np.int64),
        adjacency=adj,
        train_index=np.arange(n_train),
        val_index=np.arange(n_train, n_train + 500),
        test_index=test_sorted,
        source="ind.cora.* (" + files[0].origin + ")",
    )




__all__ = ["load_cora"]
