"""The background part: information theory and neural networks, one page each.

Information theory (``background_information``): Small information-theory helpers for the background chapters (all results in bits).

Discrete quantities of probability tables (entropy, joint and conditional entropy, KL
divergence, mutual information; Cover & Thomas 2006, ch. 2), closed-form differential
entropies (ch. 8), a data-processing chain of channels (Sec. 2.8) and the typical set
of a Bernoulli source (ch. 3). Discrete entropy and mutual information are those of
:mod:`ibutils.ib`.

Neural networks (``background_networks``): Small NumPy demonstrations for the chapter "Neural networks in one chapter".

Activation derivatives (where gradients vanish), a from-scratch multilayer perceptron with
backpropagation (Rumelhart, Hinton & Williams 1986) and its gradient check, gradient norms
per layer at initialisation, and logistic regression trained by full-batch gradient
descent, minibatch stochastic gradient descent and Adam (Kingma & Ba 2015, Algorithm 1).
Nothing here needs TensorFlow; the experiment chapters train with Keras.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import activations
from ..ib import check_joint, entropy, mutual_information
from ..mi.entropy import binned_entropy_rows



def conditional_entropy(p_xy) -> float:
    """:math:`H(Y\\mid X) = H(X,Y) - H(X)` of a joint table with rows ``x`` (bits)."""
    p = check_joint(p_xy)
    return max(entropy(p) - entropy(p.sum(1)), 0.0)


def kl_divergence(p, q) -> float:
    """:math:`D_{\\mathrm{KL}}(p\\,\\|\\,q) = \\sum_i p_i \\log_2 (p_i / q_i)` in bits (``inf`` if
    ``p`` puts mass where ``q`` has none). Cover & Thomas (2006), Eq. 2.26."""
    p = np.asarray(p, dtype=np.float64).ravel()
    q = np.asarray(q, dtype=np.float64).ravel()
    if p.shape != q.shape or p.size == 0:
        raise ValueError(f"p and q must be non-empty and of equal shape, got {p.shape} and {q.shape}")
    if np.any(p < 0) or np.any(q < 0) or p.sum() <= 0 or q.sum() <= 0:
        raise ValueError("p and q must be non-negative with positive sums")
    p, q = p / p.sum(), q / q.sum()
    if np.any((p > 0) & (q == 0)):
        return float("inf")
    m = p > 0
    return float(np.sum(p[m] * np.log2(p[m] / q[m]))) + 0.0


def gaussian_entropy(sigma) -> np.ndarray:
    """Differential entropy :math:`\\tfrac12 \\log_2(2\\pi e \\sigma^2)` of :math:`\\mathcal N(\\mu,\\sigma^2)`
    in bits (Cover & Thomas 2006, Example 8.1.2); negative for :math:`\\sigma < 1/\\sqrt{2\\pi e}`."""
    sigma = np.asarray(sigma, dtype=np.float64)
    if np.any(sigma <= 0):
        raise ValueError("sigma must be > 0")
    return 0.5 * np.log2(2 * np.pi * np.e * sigma**2)


def uniform_entropy(width) -> np.ndarray:
    """Differential entropy :math:`\\log_2 a` of the uniform distribution on an interval of width ``a``."""
    width = np.asarray(width, dtype=np.float64)
    if np.any(width <= 0):
        raise ValueError("width must be > 0")
    return np.log2(width)


def binned_vs_differential(sigma: float, bin_widths, n_samples: int = 100_000, seed: int = 0) -> pd.DataFrame:
    """Plug-in entropy of binned Gaussian samples against :math:`h(X) - \\log_2 \\Delta`.

    For a density and small bins of width :math:`\\Delta`, the entropy of the bin index is
    :math:`H(X^\\Delta) \\approx h(X) - \\log_2 \\Delta` (Cover & Thomas 2006, Thm. 8.3.1): it
    grows without bound as the bins shrink. Returns columns ``bin_width``, ``n_bins``,
    ``binned`` (plug-in estimate on ``n_samples`` draws) and ``theory``.
    """
    x = np.random.default_rng(seed).normal(0.0, sigma, int(n_samples))
    span = x.max() - x.min()
    rows = []
    for w in np.asarray(bin_widths, dtype=np.float64):  # a handful of widths
        if w <= 0:
            raise ValueError("bin_widths must be > 0")
        n_bins = max(int(np.ceil(span / w)), 1)
        hb = float(binned_entropy_rows(x, n_bins, value_range=(x.min(), x.min() + n_bins * w))[0])
        rows.append((float(w), n_bins, hb, float(gaussian_entropy(sigma) - np.log2(w))))
    return pd.DataFrame(rows, columns=["bin_width", "n_bins", "binned", "theory"])


def markov_chain(p_x, *channels) -> list[np.ndarray]:
    """Joint tables :math:`p(x, z_k)` along a chain :math:`X \\to Z_1 \\to Z_2 \\to \\dots`.

    Each channel is a row-stochastic matrix :math:`p(z_k\\mid z_{k-1})`. The
    data-processing inequality (Cover & Thomas 2006, Thm. 2.8.1) says the mutual
    information with ``X`` can only fall along the chain.
    """
    p_x = np.asarray(p_x, dtype=np.float64)
    joint = np.diag(p_x / p_x.sum())
    out = []
    for i, c in enumerate(channels):
        c = np.asarray(c, dtype=np.float64)
        if c.ndim != 2 or c.shape[0] != joint.shape[1] or np.any(c < 0) or not np.allclose(c.sum(1), 1):
            raise ValueError(f"channel {i} must be a row-stochastic ({joint.shape[1]}, m) matrix")
        joint = joint @ c
        out.append(joint)
    return out


def typical_set(p1: float, n: int, eps: float) -> dict:
    """The typical set of ``n`` Bernoulli(``p1``) draws (Cover & Thomas 2006, Sec. 3.1).

    A sequence with ``k`` ones has probability :math:`p_1^k (1-p_1)^{n-k}`; it is
    :math:`\\varepsilon`-typical when :math:`|-\\tfrac1n \\log_2 p(x^n) - H| \\le \\varepsilon`.
    Returns the entropy ``H``, the base-2 logarithm of the number of typical sequences
    (``log2_size``, to compare with :math:`nH`), their total probability (``mass``) and
    the log-size of the whole space (``n``).
    """
    from scipy.special import gammaln

    if not 0 < p1 < 1 or n < 1 or eps <= 0:
        raise ValueError("need 0 < p1 < 1, n >= 1 and eps > 0")
    k = np.arange(n + 1)
    log2_comb = (gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)) / np.log(2)
    log2_p = k * np.log2(p1) + (n - k) * np.log2(1 - p1)
    h = float(entropy([p1, 1 - p1]))
    typical = np.abs(-log2_p / n - h) <= eps
    log2_terms = log2_comb[typical]
    log2_size = float(np.logaddexp2.reduce(log2_terms)) if typical.any() else float("-inf")
    mass = float(np.sum(2.0 ** (log2_comb[typical] + log2_p[typical])))
    return {"H": h, "n": n, "log2_size": log2_size, "mass": mass}


# ---------------------------------------------------------------------- neural networks
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
    from ..plots import activation_grid

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
