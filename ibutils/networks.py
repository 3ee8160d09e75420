"""Small NumPy demonstrations for the chapter "Neural networks in one chapter".

Activation derivatives (where gradients vanish), a from-scratch multilayer perceptron with
backpropagation (Rumelhart, Hinton & Williams 1986) and its gradient check, gradient norms
per layer at initialisation, and logistic regression trained by full-batch gradient
descent, minibatch stochastic gradient descent and Adam (Kingma & Ba 2015, Algorithm 1).
Nothing here needs TensorFlow; the experiment chapters train with Keras.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import activations


def derivative(name: str, x, h: float = 1e-5) -> np.ndarray:
    """Central-difference derivative :math:`f'(x)` of the registered activation ``name``."""
    f = activations.get(name)
    x = np.asarray(x, dtype=np.float64)
    return (f(x + h) - f(x - h)) / (2 * h)


def derivative_table(names, points=(0.0, 2.0, 5.0)) -> pd.DataFrame:
    """|f'(x)| of each activation at a few inputs, with its saturation class."""
    rows = []
    for n in names:
        d = derivative(n, np.asarray(points, dtype=np.float64))
        rows.append({"activation": n, "saturation": activations.get(n).saturation,
                     **{f"f'({p:g})": float(v) for p, v in zip(points, d)},
                     **{f"f'({-p:g})": float(v) for p, v in zip(points, derivative(n, -np.asarray(points))) if p}})
    return pd.DataFrame(rows)


def plot_derivatives(names, lo: float = -5.0, hi: float = 5.0, n: int = 401, ncols: int = 4):
    """Each activation (thin) and its derivative (thick), coloured by saturation class."""
    from .plots import activation_grid

    def draw(ax, x, act, color):
        ax.plot(x, derivative(act.name, x), color=color, lw=2, label="f'(x)")
        ax.plot(x, np.clip(act(x), -2, 2), color="grey", lw=0.8, ls="--", label="f(x) (clipped)")
        ax.set_ylim(-1.2, 2.1)

    fig = activation_grid(names, draw, lo, hi, n, ncols)
    fig.axes[0].legend(fontsize=7, loc="upper left")
    return fig


# ---------------------------------------------------------------------------
# A multilayer perceptron with backpropagation
# ---------------------------------------------------------------------------
def init_mlp(sizes, seed: int = 0, scale: str = "glorot"):
    """Weights ``W[l]`` (shape ``(n_l, n_{l+1})``) and zero biases; Glorot-uniform by default."""
    rng = np.random.default_rng(seed)
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6.0 / (a + b)) if scale == "glorot" else float(scale)
        params.append((rng.uniform(-limit, limit, (a, b)), np.zeros(b)))
    return params


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def mlp_loss_and_grads(params, X, y, activation: str = "tanh"):
    """Cross-entropy loss (bits) of a softmax MLP and its gradients by backpropagation.

    Forward: :math:`h_0 = x`, :math:`h_l = f(h_{l-1} W_l + b_l)`, softmax output. Backward:
    :math:`\\delta_L = (\\hat p - \\mathrm{onehot}(y))/N`,
    :math:`\\partial L/\\partial W_l = h_{l-1}^\\top \\delta_l`,
    :math:`\\delta_{l-1} = (\\delta_l W_l^\\top) \\odot f'(z_{l-1})` (the chain rule).
    Returns ``(loss, grads, deltas)`` where ``deltas[l]`` is the error signal at layer ``l``.
    """
    f = activations.get(activation)
    hs, zs = [np.asarray(X, dtype=np.float64)], []
    for l, (W, b) in enumerate(params):
        z = hs[-1] @ W + b
        zs.append(z)
        hs.append(z if l == len(params) - 1 else f(z))
    p = _softmax(hs[-1])
    n = len(y)
    loss = float(-np.mean(np.log2(np.maximum(p[np.arange(n), y], 1e-300))))
    delta = p.copy()
    delta[np.arange(n), y] -= 1.0
    delta /= n * np.log(2.0)  # the loss is in bits
    grads, deltas = [None] * len(params), [None] * len(params)
    for l in range(len(params) - 1, -1, -1):
        W, _ = params[l]
        deltas[l] = delta
        grads[l] = (hs[l].T @ delta, delta.sum(0))
        if l:
            delta = (delta @ W.T) * derivative(activation, zs[l - 1])
    return loss, grads, deltas


def gradient_check(params, X, y, activation: str = "tanh", eps: float = 1e-6, n_checks: int = 20,
                   seed: int = 0) -> float:
    """Largest relative gap between backpropagated and finite-difference weight gradients."""
    rng = np.random.default_rng(seed)
    _, grads, _ = mlp_loss_and_grads(params, X, y, activation)
    worst = 0.0
    for _ in range(n_checks):
        l = int(rng.integers(len(params)))
        W = params[l][0]
        i, j = int(rng.integers(W.shape[0])), int(rng.integers(W.shape[1]))
        old = W[i, j]
        W[i, j] = old + eps
        lp = mlp_loss_and_grads(params, X, y, activation)[0]
        W[i, j] = old - eps
        lm = mlp_loss_and_grads(params, X, y, activation)[0]
        W[i, j] = old
        num, ana = (lp - lm) / (2 * eps), grads[l][0][i, j]
        worst = max(worst, abs(num - ana) / max(abs(num) + abs(ana), 1e-12))
    return worst


def layer_gradient_norms(activations_names, depth: int = 8, width: int = 32, n: int = 256,
                         weight_scale: float = 1.0, seed: int = 0) -> pd.DataFrame:
    """Norm of the backpropagated error signal at each hidden layer of a deep MLP.

    A random 10-dimensional input and random binary labels; the weights are Glorot-uniform
    times ``weight_scale`` (larger weights push saturating units into their flat regions).
    Returns columns ``activation``, ``layer`` (1 = first hidden), ``grad_norm``.
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 10))
    y = rng.integers(0, 2, n)
    rows = []
    for name in activations_names:
        params = init_mlp([10] + [width] * depth + [2], seed=seed)
        params = [(W * weight_scale, b) for W, b in params]
        _, grads, _ = mlp_loss_and_grads(params, X, y, name)
        for l in range(depth):
            rows.append({"activation": name, "layer": l + 1, "grad_norm": float(np.linalg.norm(grads[l][0]))})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# Gradient descent, SGD and Adam on logistic regression
# ---------------------------------------------------------------------------
def make_blobs(n: int = 400, seed: int = 0, separation: float = 1.5):
    """Two overlapping Gaussian classes in 2-D (``X`` shape ``(n, 2)``, labels 0/1)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 2)) + separation * (2 * y[:, None] - 1) * np.array([1.0, 0.5])
    return X, y


def logistic_loss(w, X, y) -> float:
    """Mean binary cross-entropy (bits) of ``sigmoid(X w)`` (no bias)."""
    z = X @ w
    return float(np.mean(np.logaddexp(0, -z) * y + np.logaddexp(0, z) * (1 - y)) / np.log(2))


def _logistic_grad(w, X, y):
    p = 1 / (1 + np.exp(-(X @ w)))
    return X.T @ (p - y) / len(y) / np.log(2)


def train_logistic(X, y, method: str = "gd", *, lr: float = 0.5, epochs: int = 30, batch_size: int = 16,
                   w0=(-3.0, 3.0), seed: int = 0, betas=(0.9, 0.999), eps: float = 1e-8) -> pd.DataFrame:
    """Train logistic regression with ``"gd"`` (full batch), ``"sgd"`` (minibatches) or ``"adam"``.

    Adam follows Kingma & Ba (2015), Algorithm 1, on minibatches. Returns one row per update:
    ``method``, ``step``, ``epoch`` (fractional), ``w1``, ``w2``, ``loss`` (full-data loss, bits).
    """
    if method not in ("gd", "sgd", "adam"):
        raise ValueError(f"method must be 'gd', 'sgd' or 'adam', got {method!r}")
    rng = np.random.default_rng(seed)
    X, y = np.asarray(X, float), np.asarray(y, float)
    n = len(y)
    w = np.asarray(w0, dtype=np.float64).copy()
    m, v = np.zeros_like(w), np.zeros_like(w)
    rows = [(method, 0, 0.0, w[0], w[1], logistic_loss(w, X, y))]
    step = 0
    bs = n if method == "gd" else int(batch_size)
    for ep in range(epochs):
        order = rng.permutation(n) if bs < n else np.arange(n)
        for start in range(0, n, bs):
            idx = order[start:start + bs]
            g = _logistic_grad(w, X[idx], y[idx])
            step += 1
            if method == "adam":
                m = betas[0] * m + (1 - betas[0]) * g
                v = betas[1] * v + (1 - betas[1]) * g**2
                mh, vh = m / (1 - betas[0] ** step), v / (1 - betas[1] ** step)
                w = w - lr * mh / (np.sqrt(vh) + eps)
            else:
                w = w - lr * g
            rows.append((method, step, ep + min(start + bs, n) / n, w[0], w[1], logistic_loss(w, X, y)))
    return pd.DataFrame(rows, columns=["method", "step", "epoch", "w1", "w2", "loss"])
