"""Graph and sequence networks for the inductive-bias chapter (Landsverk 2021, seed 004).

* :func:`normalized_adjacency` and :class:`GraphConv`: the graph convolution of Kipf & Welling
  (ICLR 2017, eq. 2), ``H' = A_hat H W + b`` with ``A_hat = D~^{-1/2} (A + I) D~^{-1/2}``
  (self-loops added, symmetric normalisation, ``D~_ii = sum_j (A + I)_ij``), as a small Keras layer
  holding ``A_hat`` as a ``tf.SparseTensor``.
* :func:`train_stacked`: full-batch training of ``R`` seeds of one of three 3-layer networks at
  once, with parameters stacked along a leading replica axis (Adam is elementwise, so one optimizer
  over the stacked variables trains ``R`` independent networks):

  - ``"fcn"``: ``h_l = relu(h_{l-1} W_l + b_l)`` on the node (or flattened sequence) features;
  - ``"gcn"``: ``h_l = relu(A_hat h_{l-1} W_l + b_l)`` (Kipf & Welling eq. 2, Landsverk eq. 1.12);
  - ``"rnn"``: three stacked ReLU ``SimpleRNN`` layers, ``h^l_t = relu(h^{l-1}_t W_l + h^l_{t-1} U_l + b_l)``
    (Landsverk eq. 1.9), many-to-one; layer ``l``'s recorded representation is its last state ``h^l_S``.

  A softmax read-out follows. Kernels start Glorot-uniform, recurrent kernels orthogonal, biases at
  zero (Keras' defaults); replica ``r`` is initialised from seed ``seed + r``, so it equals a network
  trained alone with that seed. The full-batch gradient of every kernel is returned each epoch for
  the gradient statistics (see :func:`train_stacked`).
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

KINDS = ("fcn", "gcn", "rnn")


def normalized_adjacency(adj):
    """``A_hat = D~^{-1/2} (A + I) D~^{-1/2}`` of Kipf & Welling (2017, eq. 2) as a CSR matrix.

    Parameters
    ----------
    adj : scipy.sparse matrix or array, shape (N, N)
        Symmetric 0/1 adjacency without self-loops (existing self-loops are kept at weight 1).

    Returns
    -------
    scipy.sparse.csr_matrix, float32
    """
    import scipy.sparse as sp

    a = sp.csr_matrix(adj, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"adj must be a square matrix, got shape {a.shape}")
    a = a.copy()
    a.setdiag(0)
    a.eliminate_zeros()
    a = a + sp.identity(a.shape[0], format="csr")
    d = np.asarray(a.sum(axis=1)).ravel()
    dinv = sp.diags(1.0 / np.sqrt(d))
    return (dinv @ a @ dinv).tocsr().astype(np.float32)


def sparse_tensor(m):
    """A scipy sparse matrix as a reordered ``tf.SparseTensor`` (float32)."""
    import scipy.sparse as sp
    import tensorflow as tf

    coo = sp.coo_matrix(m)
    idx = np.stack([coo.row, coo.col], axis=1).astype(np.int64)
    st = tf.SparseTensor(idx, coo.data.astype(np.float32), coo.shape)
    return tf.sparse.reorder(st)


def propagate(a_hat, H):
    """``A_hat @ H`` for ``H`` of shape ``(N, d)`` or stacked ``(R, N, d)`` (one sparse product)."""
    import tensorflow as tf

    if len(H.shape) == 2:
        return tf.sparse.sparse_dense_matmul(a_hat, H)
    R, N, d = tf.shape(H)[0], tf.shape(H)[1], tf.shape(H)[2]
    flat = tf.reshape(tf.transpose(H, [1, 0, 2]), [N, R * d])
    out = tf.sparse.sparse_dense_matmul(a_hat, flat)
    return tf.transpose(tf.reshape(out, [N, R, d]), [1, 0, 2])


def _graph_conv_class():
    import keras
    import tensorflow as tf

    class GraphConv(keras.layers.Layer):
        """Kipf & Welling's graph convolution ``activation(A_hat H W + b)`` (ICLR 2017, eq. 2).

        Parameters
        ----------
        units : int
            Output width.
        a_hat : tf.SparseTensor or scipy.sparse matrix, shape (N, N)
            The normalised adjacency (:func:`normalized_adjacency`); its node order is the rows of ``H``.
        activation : str or callable, optional
        use_bias : bool
        """

        def __init__(self, units: int, a_hat, activation=None, use_bias: bool = True,
                     kernel_initializer="glorot_uniform", **kwargs):
            super().__init__(**kwargs)
            if int(units) < 1:
                raise ValueError(f"units must be a positive integer, got {units!r}")
            self.units = int(units)
            self.a_hat = a_hat if isinstance(a_hat, tf.SparseTensor) else sparse_tensor(a_hat)
            self.activation = keras.activations.get(activation)
            self.use_bias = bool(use_bias)
            self.kernel_initializer = keras.initializers.get(kernel_initializer)

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(int(input_shape[-1]), self.units), initializer=self.kernel_initializer,
                                          name="kernel")
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias") if self.use_bias else None

        def call(self, h):
            z = propagate(self.a_hat, tf.matmul(h, self.kernel))
            if self.bias is not None:
                z = z + self.bias
            return self.activation(z)

    return GraphConv


def __getattr__(name):  # GraphConv is built lazily so that importing this module does not import Keras
    if name == "GraphConv":
        return _graph_conv_class()
    raise AttributeError(name)


# ---------------------------------------------------------------------------------------------
# stacked full-batch training
# ---------------------------------------------------------------------------------------------
def _glorot(rng, fan_in, fan_out):
    lim = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-lim, lim, size=(fan_in, fan_out))


def _orthogonal(rng, n):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def init_stacked(kind: str, input_dim: int, widths: Sequence[int], n_classes: int, seeds: Sequence[int]) -> list[np.ndarray]:
    """Initial parameters, stacked over replicas: ``[W1, (U1,) b1, ..., Wo, bo]`` each ``(R, ...)``.

    Replica ``r`` draws from ``numpy.random.default_rng(seeds[r])``: Glorot-uniform kernels,
    orthogonal recurrent kernels (``"rnn"``), zero biases (Keras' defaults).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    per = []
    for s in seeds:
        rng = np.random.default_rng(int(s))
        ps, d = [], int(input_dim)
        for w in widths:
            ps.append(_glorot(rng, d, w))
            if kind == "rnn":
                ps.append(_orthogonal(rng, w))
            ps.append(np.zeros(w))
            d = w
        ps += [_glorot(rng, d, n_classes), np.zeros(n_classes)]
        per.append(ps)
    return [np.stack([p[i] for p in per]).astype(np.float32) for i in range(len(per[0]))]


def kernel_positions(kind: str, n_hidden: int) -> list[int]:
    """Index in the parameter list of each layer's input kernel ``W_l`` (hidden layers, then the read-out)."""
    step = 3 if kind == "rnn" else 2
    return [step * l for l in range(n_hidden)] + [step * n_hidden]


def _first_layer(X, W):
    """``X W`` for shared inputs ``X`` ``(N, d)`` (dense or ``tf.SparseTensor``) and stacked ``W`` ``(R, d, h)``."""
    import tensorflow as tf

    if isinstance(X, tf.SparseTensor):
        R, d, h = tf.shape(W)[0], tf.shape(W)[1], tf.shape(W)[2]
        flat = tf.reshape(tf.transpose(W, [1, 0, 2]), [d, R * h])
        out = tf.sparse.sparse_dense_matmul(X, flat)  # (N, R h)
        return tf.transpose(tf.reshape(out, [-1, R, h]), [1, 0, 2])
    return tf.einsum("nd,rdh->rnh", X, W)


def forward(kind: str, params, X, a_hat=None):
    """Hidden representations ``[(R, N, w_l)]`` and logits ``(R, N, C)`` of the stacked networks.

    ``X`` is ``(N, d)`` (``"fcn"``, ``"gcn"``; dense or a ``tf.SparseTensor``) or ``(N, S, d)``
    (``"rnn"``), shared by the replicas.
    """
    import tensorflow as tf

    hidden = []
    if kind == "rnn":
        n_hidden = (len(params) - 2) // 3
        seq = None
        S = X.shape[1]
        for l in range(n_hidden):
            W, U, b = params[3 * l], params[3 * l + 1], params[3 * l + 2]
            if seq is None:
                xw = tf.einsum("nsd,rdh->rnsh", X, W)
            else:
                xw = tf.einsum("rnsd,rdh->rnsh", seq, W)
            h = tf.nn.relu(xw[:, :, 0] + b[:, None, :])
            states = [h]
            for t in range(1, S):
                h = tf.nn.relu(xw[:, :, t] + tf.matmul(h, U) + b[:, None, :])
                states.append(h)
            seq = tf.stack(states, axis=2)
            hidden.append(h)
        h = hidden[-1]
    else:
        n_hidden = (len(params) - 2) // 2
        h = None
        for l in range(n_hidden):
            W, b = params[2 * l], params[2 * l + 1]
            z = _first_layer(X, W) if h is None else tf.matmul(h, W)
            if kind == "gcn":
                z = propagate(a_hat, z)
            h = tf.nn.relu(z + b[:, None, :])
            hidden.append(h)
    logits = tf.matmul(h, params[-2]) + params[-1][:, None, :]
    if kind == "gcn":
        logits = propagate(a_hat, logits)  # the read-out is a graph convolution too (Kipf & Welling eq. 9)
    return hidden, logits


def train_stacked(kind: str, X, y, *, train_index, eval_index, widths: Sequence[int] = (200, 200, 200),
                  n_seeds: int = 3, seed: int = 0, epochs: int = 200, lr: float = 1e-3, a_hat=None,
                  snapshot_epochs: Sequence[int] = (), mi_index=None,
                  estimators: Mapping[str, Callable] | None = None, store_at: Sequence[int] = (),
                  snr_window: int = 10) -> dict:
    """Train ``n_seeds`` replicas of a 3-layer FCN, GCN or RNN full batch with Adam and measure them.

    Parameters
    ----------
    kind : {"fcn", "gcn", "rnn"}
    X : array
        ``(N, d)`` features (``"gcn"``: all nodes of the graph) or ``(N, S, d)`` sequences (``"rnn"``).
    y : array of int, shape (N,)
    train_index, eval_index : arrays of int
        Rows whose cross-entropy is minimised (one full batch per epoch) and rows evaluated.
    widths : hidden widths.
    n_seeds, seed : replica ``r`` uses seed ``seed + r``.
    epochs : int
    lr : Adam learning rate (Keras defaults otherwise: beta 0.9/0.999, epsilon 1e-7).
    a_hat : scipy.sparse matrix (``"gcn"`` only), :func:`normalized_adjacency`.
    snapshot_epochs : epochs (0 = untrained) at which each hidden layer's activity on ``mi_index``
        is handed to the ``estimators``.
    mi_index : rows on which MI is measured (default: all rows).
    estimators : name -> ``f(T, y) -> MIPair`` with ``T`` ``(R, N_mi, w)``, in bits.
    store_at : epochs at which the raw hidden activity on ``mi_index`` is kept (``activations``).
    snr_window : int >= 2
        Consecutive full-batch gradients that play the minibatches of one epoch in the gradient
        statistics (see Notes).

    Returns
    -------
    dict
        ``metrics`` (seed, epoch, split in train/eval, loss, accuracy; epochs 0..E, the state after
        ``epoch`` updates), ``mi`` (seed, epoch, layer, estimator, ixt, ity), ``grads`` (seed, epoch,
        layer, grad_mean, grad_std, weight_norm, snr; layers 1..L with L the read-out; epochs
        ``snr_window``..E), ``activations`` (epoch -> list of ``(R, N_mi, w)``), ``seeds``.

    Notes
    -----
    The per-epoch protocol of Landsverk (2021, Sec. 3.1.2) takes the mean and standard deviation of a
    layer's kernel gradients over the ``n_B`` minibatches of one epoch, then their Frobenius norms
    divided by the kernel's norm at the end of the epoch. Full batch gives one gradient per epoch, so
    that std is 0. Here the ``snr_window`` consecutive full-batch gradients ``g_{e-w+1} .. g_e`` play the
    minibatches of epoch ``e`` (one network's sequential gradients while its weights move, as in the
    thesis): ``grad_mean = ||mean g||_F / ||W_e||_F`` and ``grad_std = ||std g||_F / ||W_e||_F``
    (population std per weight), ``snr = grad_mean / grad_std``; biases are left out.
    """
    import tensorflow as tf

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if kind == "gcn" and a_hat is None:
        raise ValueError("a_hat is required for kind='gcn'")
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y, dtype=np.int64)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}")
    if (kind == "rnn") != (X.ndim == 3):
        raise ValueError(f"X must be (N, S, d) for 'rnn' and (N, d) otherwise, got shape {X.shape}")
    if int(n_seeds) < 1 or int(epochs) < 0:
        raise ValueError(f"n_seeds must be >= 1 and epochs >= 0, got {n_seeds}, {epochs}")
    train_index = np.asarray(train_index, dtype=np.int64)
    eval_index = np.asarray(eval_index, dtype=np.int64)
    mi_index = np.arange(len(y)) if mi_index is None else np.asarray(mi_index, dtype=np.int64)
    n_classes = int(y.max()) + 1
    seeds = [int(seed) + r for r in range(int(n_seeds))]
    R = len(seeds)
    params = [tf.Variable(p) for p in init_stacked(kind, X.shape[-1], widths, n_classes, seeds)]
    kpos = kernel_positions(kind, len(widths))
    opt = tf.keras.optimizers.Adam(learning_rate=lr)
    A = sparse_tensor(a_hat) if kind == "gcn" else None
    if kind != "rnn" and np.count_nonzero(X) < 0.1 * X.size:  # sparse features (Cora: 1.3% non-zero)
        import scipy.sparse as sp

        Xt = sparse_tensor(sp.csr_matrix(X))
    else:
        Xt = tf.constant(X)
    tr, ev = tf.constant(train_index), tf.constant(eval_index)
    ytr, yev = tf.constant(y[train_index]), tf.constant(y[eval_index])

    def losses(logits, idx, yy):
        lg = tf.gather(logits, idx, axis=1)
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(tf.broadcast_to(yy, tf.shape(lg)[:2]), lg)
        acc = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(lg, axis=2), yy), tf.float32), axis=1)
        return tf.reduce_mean(ce, axis=1), acc

    @tf.function
    def step(update):
        with tf.GradientTape() as tape:
            hidden, logits = forward(kind, params, Xt, A)
            l_tr, a_tr = losses(logits, tr, ytr)
            total = tf.reduce_sum(l_tr)  # replicas are independent: d total / d theta_r = d loss_r / d theta_r
        l_ev, a_ev = losses(logits, ev, yev)
        g = tape.gradient(total, params) if update else [tf.zeros_like(p) for p in params]
        if update:
            opt.apply_gradients(zip(g, params))
        return l_tr, a_tr, l_ev, a_ev, [g[i] for i in kpos]

    @tf.function
    def activity():
        hidden, _ = forward(kind, params, Xt, A)
        return [tf.gather(h, mi_index, axis=1) for h in hidden]

    estimators = dict(estimators or {})
    snaps = set(int(e) for e in snapshot_epochs)
    store = set(int(e) for e in store_at)
    y_mi = y[mi_index]
    window = int(snr_window)
    if window < 2:
        raise ValueError(f"snr_window must be >= 2, got {snr_window!r}")
    metrics, mi_rows, g_rows, acts = [], [], [], {}
    bufs = [np.zeros((window, *params[i].shape), dtype=np.float32) for i in kpos]

    def snapshot(e):
        if e not in snaps and e not in store:
            return
        Ts = [t.numpy() for t in activity()]
        if e in store:
            acts[e] = Ts
        if e in snaps:
            for l, T in enumerate(Ts, start=1):
                for name, f in estimators.items():
                    res = f(T, y_mi)
                    ixt, ity = np.broadcast_to(res.ixt, (R,)), np.broadcast_to(res.ity, (R,))
                    mi_rows.extend((s, e, l, name, float(a), float(b)) for s, a, b in zip(seeds, ixt, ity))

    for e in range(int(epochs) + 1):
        snapshot(e)
        l_tr, a_tr, l_ev, a_ev, g = step(e < int(epochs))
        for split, ls, ac in (("train", l_tr, a_tr), ("eval", l_ev, a_ev)):
            metrics += [(s, e, split, float(a), float(b)) for s, a, b in zip(seeds, ls.numpy(), ac.numpy())]
        if e < int(epochs):  # g: the gradient applied in epoch e + 1
            for l, (i, buf, gl) in enumerate(zip(kpos, bufs, g), start=1):
                buf[e % window] = gl.numpy()
                if e + 1 < window:
                    continue
                wn = np.sqrt(np.sum(np.square(params[i].numpy(), dtype=np.float64), axis=(1, 2)))
                mean = buf.mean(axis=0, dtype=np.float64)
                var = np.mean(np.square(buf - mean[None]), axis=0)
                gm = np.sqrt(np.sum(mean * mean, axis=(1, 2))) / wn
                gs = np.sqrt(np.sum(var, axis=(1, 2))) / wn
                g_rows += [(s, e + 1, l, float(a), float(b), float(c)) for s, a, b, c in zip(seeds, gm, gs, wn)]
    grads = pd.DataFrame(g_rows, columns=["seed", "epoch", "layer", "grad_mean", "grad_std", "weight_norm"])
    grads["snr"] = grads.grad_mean / grads.grad_std
    return dict(
        metrics=pd.DataFrame(metrics, columns=["seed", "epoch", "split", "loss", "accuracy"]),
        mi=pd.DataFrame(mi_rows, columns=["seed", "epoch", "layer", "estimator", "ixt", "ity"]),
        grads=grads,
        activations=acts,
        seeds=np.array(seeds),
    )


__all__ = ["KINDS", "normalized_adjacency", "sparse_tensor", "propagate", "init_stacked", "kernel_positions", "forward",
           "train_stacked"]  # and GraphConv (built on first access: module __getattr__)
