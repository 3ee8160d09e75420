"""The background chapters: information theory, neural networks and the IB principle, one page each.

Information theory (``background_information``): small helpers for the chapter "Information
theory in one chapter", all results in bits. Discrete quantities of probability tables (entropy,
joint and conditional entropy, KL divergence, mutual information; Cover & Thomas 2006, ch. 2),
closed-form differential entropies (ch. 8), a data-processing chain of channels (Sec. 2.8) and the
typical set of a Bernoulli source (ch. 3). Discrete entropy and mutual information are those of
:mod:`ibutils.ib`.

Neural networks (``background_networks``): small NumPy demonstrations for the chapter "Neural
networks in one chapter". Activation derivatives (where gradients vanish), a from-scratch
multilayer perceptron with backpropagation (Rumelhart, Hinton & Williams 1986) and its gradient
check, gradient norms per layer at initialisation, and logistic regression trained by full-batch
gradient descent, minibatch stochastic gradient descent and Adam (Kingma & Ba 2015, Algorithm 1).
Nothing here needs TensorFlow; the experiment chapters train with Keras.

The IB principle (``background_ib``): the example distributions, figures and sentences of the
chapter; the IB method itself is :mod:`ibutils.ib`.

The last part of the module holds each page's tables, figures and sentences (glue key -> value),
so that the notebooks only call them. These chapters replicate no claim of the studies, so they
have no claims table.
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


def plot_derivatives(names, lo: float = -5.0, hi: float = 5.0, n: int = 401, ncols: int = 3):
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


# ===========================================================================
# The pages: tables, figures and sentences (glue key -> value) of the three chapters
# ===========================================================================
def _fmt_power(x: float) -> str:
    """``2.3e5`` -> ``"2 x 10^5"``; numbers below 100 with one decimal."""
    x = float(x)
    if not np.isfinite(x):
        return "n/a"
    if abs(x) < 100:
        return f"{x:.1f}"
    mant, exp = f"{x:.0e}".split("e")
    return f"{mant} x 10^{int(exp)}"


# ---------------------------------------------------------------- background_information
#: The distributions of the entropy table (name -> probabilities).
EXAMPLE_DISTRIBUTIONS = {"fair coin": [0.5, 0.5], "biased coin (0.9)": [0.9, 0.1], "fair die": [1 / 6] * 6,
                         "loaded die": [0.5, 0.1, 0.1, 0.1, 0.1, 0.1], "certain outcome": [1.0]}
#: Weather (rows: sun, cloud, rain) and umbrella (columns: no, yes): the joint table of the page.
WEATHER_UMBRELLA = np.array([[0.45, 0.05], [0.15, 0.15], [0.02, 0.18]])


def entropy_table(dists: dict | None = None) -> pd.DataFrame:
    """Entropy and the uniform bound ``log2(#outcomes)`` of each distribution (bits)."""
    dists = EXAMPLE_DISTRIBUTIONS if dists is None else dists
    return pd.DataFrame({"distribution": list(dists), "H [bits]": [entropy(p) for p in dists.values()],
                         "log2(#outcomes)": [float(np.log2(len(p))) for p in dists.values()]})


def entropy_glue(dists: dict | None = None) -> dict:
    """``h_fair``, ``h_biased``, ``h_die``, ``h_loaded``: the entropies the text quotes."""
    dists = EXAMPLE_DISTRIBUTIONS if dists is None else dists
    keys = {"h_fair": "fair coin", "h_biased": "biased coin (0.9)", "h_die": "fair die", "h_loaded": "loaded die"}
    return {k: round(entropy(dists[v]), 3) for k, v in keys.items()}


def joint_glue(p_xy) -> dict:
    """Entropies of a joint table and its parts (``w_*`` keys of the page): H(X), H(Y), H(X,Y),
    H(Y|X), I(X;Y), H(X|Y), H(X) + H(Y)."""
    p = check_joint(p_xy)
    h_x, h_y, h_xy = entropy(p.sum(1)), entropy(p.sum(0)), entropy(p)
    vals = dict(w_hx=h_x, w_hy=h_y, w_hxy=h_xy, w_hy_x=conditional_entropy(p), w_i=mutual_information(p),
                w_hx_y=h_xy - h_y, w_sum=h_x + h_y)
    return {k: round(float(v), 3) for k, v in vals.items()}


def kl_glue(p, q, p_xy) -> dict:
    """Both divergences of ``p`` and ``q``, and that of a joint table from the product of its
    marginals (its mutual information); ``kl_order_text`` says which direction costs more."""
    pq, qp = kl_divergence(p, q), kl_divergence(q, p)
    j = check_joint(p_xy)
    return {"kl_pq": round(pq, 3), "kl_qp": round(qp, 3),
            "kl_joint": round(kl_divergence(j, np.outer(j.sum(1), j.sum(0))), 3),
            "kl_order_text": ("encoding a uniform source with a code that expects the third outcome rarely is the "
                              "costlier direction" if qp > pq else
                              "here the direction from the skewed source costs more")}


def dpi_chain_table(keep: float = 0.8, n: int = 4) -> pd.DataFrame:
    """The page's chain ``X -> Y = noisy(X) -> Z = half(Y)``: a uniform ``n``-symbol source, a
    channel that keeps the symbol with probability ``keep`` (else one of the others, uniformly),
    and the one-bit summary "first half?". Columns ``variable``, ``H [bits]``, ``I(X; .) [bits]``."""
    if n < 2 or n % 2 or not 0 <= keep <= 1:
        raise ValueError("need an even n >= 2 and 0 <= keep <= 1")
    noisy = keep * np.eye(n) + (1 - keep) / (n - 1) * (1 - np.eye(n))
    halve = np.repeat(np.eye(2), n // 2, axis=0)
    p_xy, p_xz = markov_chain(np.full(n, 1 / n), noisy, halve)
    h_x = float(np.log2(n))
    return pd.DataFrame({"variable": ["X", "Y = noisy(X)", "Z = half(Y)"],
                         "H [bits]": [h_x, entropy(p_xy.sum(0)), entropy(p_xz.sum(0))],
                         "I(X; .) [bits]": [h_x, mutual_information(p_xy), mutual_information(p_xz)]})


def dpi_glue(chain: pd.DataFrame) -> dict:
    """``dpi_ixy``, ``dpi_ixz``, ``dpi_hz`` of :func:`dpi_chain_table`."""
    return {"dpi_ixy": round(float(chain.iloc[1, 2]), 3), "dpi_ixz": round(float(chain.iloc[2, 2]), 3),
            "dpi_hz": round(float(chain.iloc[2, 1]), 3)}


def differential_glue(sigma: float, bins: pd.DataFrame, n_samples: int) -> dict:
    """Closed-form differential entropies and the binned-entropy ladder of the page
    (:func:`binned_vs_differential` with bins of width ``sigma`` and narrower)."""
    fine = bins[bins.bin_width < sigma]
    return {"h_unif_half": round(float(uniform_entropy(0.5)), 3), "sigma_text": str(sigma),
            "h_gauss": round(float(gaussian_entropy(sigma)), 3),
            "sigma_zero": round(float(1 / np.sqrt(2 * np.pi * np.e)), 3),
            "bin_first": round(float(bins.binned.iloc[0]), 3), "bin_last": round(float(bins.binned.iloc[-1]), 3),
            "bin_gap": round(float((fine.binned - fine.theory).abs().max()), 3) if len(fine) else "n/a",
            "n_samples_text": f"{int(n_samples):,}"}


def typical_table(p1: float, eps: float, ns=(10, 100, 1000, 10000)) -> pd.DataFrame:
    """:func:`typical_set` for each ``n``: columns ``n``, ``n H``, ``log2 #typical``, ``P(typical set)``."""
    ts = pd.DataFrame([typical_set(p1, int(n), eps) for n in ns])
    ts["n H"] = ts["n"] * ts["H"]
    return ts[["n", "n H", "log2_size", "mass"]].rename(columns={"log2_size": "log2 #typical",
                                                                 "mass": "P(typical set)"})


def typical_glue(ts: pd.DataFrame, p1: float, eps: float) -> dict:
    """The typical-set sentences: the entropy per flip, the mass at the smallest and largest ``n``,
    and the exponent ``c`` of the set's size ``2^(c n)`` at the largest ``n``."""
    return {"p1_text": str(p1), "eps_text": str(eps), "ts_h": round(entropy([p1, 1 - p1]), 3),
            "ts_n_small": f"{int(ts['n'].iloc[0]):,}", "ts_n_big": f"{int(ts['n'].iloc[-1]):,}",
            "ts_mass_small": round(float(ts["P(typical set)"].iloc[0]), 3),
            "ts_mass_big": round(float(ts["P(typical set)"].iloc[-1]), 3),
            "ts_frac": round(float(ts["log2 #typical"].iloc[-1] / ts["n"].iloc[-1]), 3)}


# ------------------------------------------------------------------- background_networks
def grad_check_text(worst: float) -> str:
    """A bound on the gradient check's relative error as text: ``"1e-6"`` when below it, else the
    next power of ten above ``worst`` (so that "below" stays true)."""
    worst = float(worst)
    if not np.isfinite(worst):
        return "n/a"
    if worst < 1e-6:
        return "1e-6"
    return f"1e{int(np.floor(np.log10(worst))) + 1}"


def plot_gradient_norms(norms: pd.DataFrame):
    """Gradient norm per hidden layer at initialisation, one line per activation (log scale)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6))
    for name, g in norms.groupby("activation", sort=False):
        ax.semilogy(g.layer, g.grad_norm, "o-", label=name)
    ax.set(xlabel="hidden layer (1 = next to the input)", ylabel="||dL/dW|| at initialisation")
    ax.legend()
    fig.tight_layout()
    return fig


def gradient_glue(norms: pd.DataFrame) -> dict:
    """Factor by which the gradient norm shrinks from the last hidden layer to the first, per
    activation (``ratio_<name>``), and a sentence on which one vanishes most."""
    piv = norms.pivot(index="layer", columns="activation", values="grad_norm")
    ratio = piv.iloc[-1] / piv.iloc[0]
    out = {f"ratio_{a}": _fmt_power(ratio[a]) if ratio[a] >= 100 else round(float(ratio[a]), 1) for a in ratio.index}
    worst = ratio.idxmax()
    rest = [a for a in ratio.index if a != worst]
    others = [{"relu": "ReLU"}.get(a, a) for a in rest]
    stands_out = bool(rest) and ratio[worst] > 10 * ratio[rest].max()
    if stands_out and worst == "sigmoid":
        text = ("The sigmoid's gradient vanishes by orders of magnitude more than the others': this is why the "
                f"studies in this book use {' and '.join(others)} rather than the sigmoid in deep stacks")
    elif stands_out:
        text = (f"The gradient vanishes by orders of magnitude more with {({'relu': 'ReLU'}).get(worst, worst)} "
                f"than with {' or '.join(others)}")
    else:
        text = "No activation's gradient vanishes by an order of magnitude more than the others'"
    out["vanish_text"] = text
    return out


def train_optimisers(X, y, *, epochs: int, batch_size: int, lr_gd: float, lr_sgd: float, lr_adam: float,
                     seed: int = 0) -> pd.DataFrame:
    """:func:`train_logistic` with gradient descent, SGD and Adam from the same start, stacked."""
    return pd.concat([train_logistic(X, y, "gd", lr=lr_gd, epochs=epochs, seed=seed),
                      train_logistic(X, y, "sgd", lr=lr_sgd, epochs=epochs, batch_size=batch_size, seed=seed),
                      train_logistic(X, y, "adam", lr=lr_adam, epochs=epochs, batch_size=batch_size, seed=seed)],
                     ignore_index=True)


def loss_surface(X, y, lo: float = -4.0, hi: float = 5.0, n: int = 90):
    """The logistic loss (bits) on an ``n x n`` grid of the two weights: ``(w1, w2, loss)``."""
    w1, w2 = np.meshgrid(np.linspace(lo, hi, n), np.linspace(lo, hi, n))
    W = np.stack([w1.ravel(), w2.ravel()], axis=1)  # (n*n, 2): every grid point at once
    z = np.asarray(X, float) @ W.T
    yy = np.asarray(y, float)[:, None]
    loss = np.mean(np.logaddexp(0, -z) * yy + np.logaddexp(0, z) * (1 - yy), axis=0) / np.log(2)
    return w1, w2, loss.reshape(w1.shape)


def plot_optimisers(hist: pd.DataFrame, surface):
    """Weight paths over the loss contours (left) and the training loss per epoch (right)."""
    import matplotlib.pyplot as plt

    w1, w2, loss = surface
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 4.0), layout="constrained")
    axes[0].contour(w1, w2, loss, levels=np.geomspace(loss.min() * 1.02, loss.max(), 15), colors="grey",
                    linewidths=0.6)
    for m, g in hist.groupby("method", sort=False):
        axes[0].plot(g.w1, g.w2, "-", lw=1.2, label=m)
        axes[1].semilogy(g.epoch, g.loss, lw=1.2, label=m)
    axes[0].set(xlabel="w1", ylabel="w2", title="paths on the loss surface")
    axes[1].set(xlabel="epoch", ylabel="training loss [bits]", title="loss against epochs")
    axes[0].legend()
    axes[1].legend()
    return fig


def optimiser_glue(hist: pd.DataFrame, surface, *, n_points: int, epochs: int) -> dict:
    """Final losses and step counts of the three optimisers, the grid's lowest loss, and a sentence
    comparing Adam's and SGD's progress after the first epoch."""
    final = hist.groupby("method", sort=False).last()
    steps = hist.groupby("method", sort=False).step.max()
    out = {"n_points_text": str(n_points), "epochs_text": str(epochs),
           "loss_start": round(float(hist.loss.iloc[0]), 3), "loss_min": round(float(surface[2].min()), 3)}
    for m in ("gd", "sgd", "adam"):
        out[f"loss_{m}"] = round(float(final.loss[m]), 3)
        out[f"steps_{m}"] = int(steps[m])
    one = {m: float(g.loc[g.epoch <= 1, "loss"].iloc[-1]) for m, g in hist.groupby("method", sort=False)}
    out["adam_pace_text"] = (
        f"here slower than SGD, whose large early gradients give large steps (after one epoch: "
        f"{one['adam']:.3f} against {one['sgd']:.3f} bits)" if one["adam"] > one["sgd"] else
        f"here no slower than SGD after one epoch ({one['adam']:.3f} against {one['sgd']:.3f} bits)")
    return out


# ------------------------------------------------------------------------ background_ib
#: The five-input, three-label joint distribution of the IB chapter (rows x, columns y; normalised on use).
IB_TOY = np.array([[.15, .05, .00], [.10, .05, .05], [.02, .13, .05], [.05, .05, .10], [.00, .02, .18]])


def ib_toy_joint() -> np.ndarray:
    """:data:`IB_TOY`, normalised."""
    return IB_TOY / IB_TOY.sum()


def critical_beta(curve: pd.DataFrame, tol: float = 1e-4) -> float:
    """The smallest ``beta`` of an IB curve whose solution keeps more than ``tol`` bits of X (NaN if none)."""
    moving = curve[curve.ixt > tol]
    return float(moving.beta.iloc[0]) if len(moving) else float("nan")


def ib_toy_glue(p_xy, curve: pd.DataFrame, *, tol: float = 1e-4) -> dict:
    """The toy example's entropies and the features of its IB curve: the first informative
    ``beta`` of the grid and the one before it, whether both informations grow, the end point and
    whether it reaches I(X;Y) (within ``tol``)."""
    p = check_joint(p_xy)
    i_xy = mutual_information(p)
    beta_c = critical_beta(curve, tol)
    before = curve.beta[curve.beta < beta_c]
    grows = bool(np.diff(curve.ixt).min() > -1e-6 and np.diff(curve.ity).min() > -1e-6)
    end_ity = float(curve.ity.iloc[-1])
    return {"toy_hx": round(entropy(p.sum(1)), 3), "toy_hy": round(entropy(p.sum(0)), 3),
            "toy_ixy": round(i_xy, 3), "toy_beta_c": round(beta_c, 2),
            "toy_beta_prev": round(float(before.iloc[-1]), 2) if len(before) else "n/a",
            "toy_end_ixt": round(float(curve.ixt.iloc[-1]), 3), "toy_end_ity": round(end_ity, 3),
            "toy_monotone": "never decrease" if grows else "do not always increase",
            "toy_end_text": ("the whole of I(X;Y)" if abs(end_ity - i_xy) < 1e-3 else
                             f"{100 * end_ity / i_xy:.1f}% of I(X;Y)")}


def plot_ib_toy(p_xy, curve: pd.DataFrame):
    """The toy's joint distribution, its IB curve under the DPI bound, and both informations
    against ``beta``."""
    import matplotlib.pyplot as plt

    p = check_joint(p_xy)
    h_x, i_xy = entropy(p.sum(1)), mutual_information(p)
    fig, axes = plt.subplots(1, 3, figsize=(9.8, 3.4), gridspec_kw={"width_ratios": [0.8, 1.2, 1.2]},
                             layout="constrained")
    ax = axes[0]
    im = ax.imshow(p, cmap="Blues")
    ax.grid(False)
    ax.set(xlabel="y", ylabel="x", title="p(x, y)", xticks=range(p.shape[1]), yticks=range(p.shape[0]))
    fig.colorbar(im, ax=ax, fraction=0.05)
    ax = axes[1]
    xs = np.linspace(0, h_x, 50)
    ax.plot(xs, np.minimum(xs, i_xy), color="grey", lw=1, ls="--", label="DPI bound")
    ax.plot(curve.ixt, curve.ity, "o-", ms=3, color="C3", label="IB curve")
    ax.set(xlabel="I(X;T) [bits]", ylabel="I(T;Y) [bits]", title="information plane")
    ax.legend(loc="lower right")
    ax = axes[2]
    ax.semilogx(curve.beta, curve.ixt, label="I(X;T)")
    ax.semilogx(curve.beta, curve.ity, label="I(T;Y)")
    ax.set(xlabel="beta", ylabel="bits", title="against the trade-off")
    ax.legend()
    return fig


def slope_check(curve: pd.DataFrame, beta_c: float, *, step: float = 1e-3) -> pd.DataFrame:
    """The slope dI(T;Y)/dI(X;T) between neighbouring points of an IB curve against ``1/beta``
    (Tishby et al. 1999) at the geometric mean of their betas, above the critical ``beta_c``.

    Points whose I(X;T) moved less than ``step`` are merged first. Columns ``beta (geometric
    mid)``, ``measured slope``, ``1/beta``, ``rel_err`` (``|slope * beta - 1|``).
    """
    pts = curve[np.r_[True, np.diff(curve.ixt) > step]].reset_index(drop=True)
    slope = np.diff(pts.ity) / np.diff(pts.ixt)
    mid = np.sqrt(pts.beta.to_numpy()[1:] * pts.beta.to_numpy()[:-1])
    check = pd.DataFrame({"beta (geometric mid)": mid, "measured slope": slope, "1/beta": 1 / mid})
    check = check[check["beta (geometric mid)"] > beta_c].iloc[1:]
    return check.assign(rel_err=np.abs(check["measured slope"] * check["beta (geometric mid)"] - 1))


def plot_encoders(curve: pd.DataFrame, results, betas):
    """The best encoder p(t|x) (black = 1) at the grid points nearest to ``betas``; columns sorted
    by p(t)."""

    from ..plots import panel_grid

    picks = [int(np.argmin(np.abs(curve.beta.to_numpy() - b))) for b in betas]
    fig, axes = panel_grid(len(picks), panel=(3.1, 2.6))
    for ax, i in zip(axes, picks):
        r = results[i]
        order = np.argsort(-r.p_t)
        ax.imshow(r.p_t_given_x[:, order], cmap="Greys", vmin=0, vmax=1)
        ax.grid(False)
        ax.set(title=f"beta = {r.beta:.2f}, {r.n_effective} cluster(s)", xlabel="t", ylabel="x",
               xticks=range(r.p_t.size), yticks=range(r.p_t_given_x.shape[0]))
    return fig


def ib_hard_glue(p_h, p_merged, curve_h: pd.DataFrame, line_h: pd.DataFrame) -> dict:
    """The deterministic-label harmonics section: sizes, entropies, the noisy-copy line's largest
    gap from the diagonal and the jump of the optimum at ``beta = 1``."""
    below, above = curve_h[curve_h.beta < 1], curve_h[curve_h.beta > 1]
    return {"h_n": len(p_h), "h_hx": round(entropy(p_h.sum(1)), 3), "h_hy": round(entropy(p_h.sum(0)), 3),
            "h_ixy": round(mutual_information(p_h), 3), "h_merged_rows": len(p_merged),
            "h_below_max": round(float(below.ixt.max()), 3) if len(below) else "n/a",
            "h_above_min": round(float(above.ixt.min()), 3) if len(above) else "n/a",
            "h_line_gap": round(float((line_h.ixt - line_h.ity).abs().max()), 3), "h_n_line": len(line_h)}


def plot_ib_hard(curve_h: pd.DataFrame, line_h: pd.DataFrame, h_y: float):
    """Left: the broken line min(I(X;T), H(Y)), the noisy copies of the label and the Lagrangian's
    optima; right: I(X;T) of the optimum against ``beta``."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    ax = axes[0]
    xs = np.linspace(0, 1.5 * h_y, 50)
    ax.plot(xs, np.minimum(xs, h_y), color="grey", ls="--", lw=1, label="min(I(X;T), H(Y))")
    ax.plot(line_h.ixt, line_h.ity, "s", ms=5, mfc="none", color="C0", label="noisy copies of Y")
    ax.plot(curve_h.ixt, curve_h.ity, "o", ms=5, color="C3", label="IB Lagrangian optima")
    ax.set(xlabel="I(X;T) [bits]", ylabel="I(T;Y) [bits]", title="harmonics, deterministic label")
    ax.legend(loc="lower right", fontsize=8)
    ax = axes[1]
    ax.semilogx(curve_h.beta, curve_h.ixt, "o-", ms=3, color="C3")
    ax.axvline(1, color="grey", lw=0.8)
    ax.set(xlabel="beta", ylabel="I(X;T) [bits]", title="the jump at beta = 1")
    fig.tight_layout()
    return fig


def ib_soft_glue(p_soft, p_soft_m, curve_s: pd.DataFrame, agree: float, *, decimals: int, clusters: int,
                 tol: float = 1e-4) -> dict:
    """The soft-label harmonics section: sizes and informations, how far the regenerated rule
    agrees with the file's labels, the first informative solution and the end of the curve, with
    a sentence on how much of I(X;Y) the first split already keeps."""
    i_m = mutual_information(p_soft_m)
    moving = curve_s[curve_s.ixt > tol]
    first = moving.iloc[0] if len(moving) else None
    share = float(first.ity) / i_m if first is not None and i_m > 0 else float("nan")
    end = float(curve_s.ity.iloc[-1])
    return {
        "h_dec_text": str(decimals), "h_k_text": str(clusters), "hs_rows": len(p_soft_m),
        "hs_ixy": round(mutual_information(p_soft), 3), "hs_ixy_m": round(i_m, 3),
        "hs_hy": round(entropy(p_soft.sum(0)), 3), "hs_agree": round(100 * float(agree), 1),
        "hs_draw_text": ("a fresh draw of the same kind of function, not the file's exact one" if agree < 1 else
                         "a fresh draw of the same kind of function, here with the file's labels"),
        "hs_first_beta": round(float(first.beta), 2) if first is not None else "n/a",
        "hs_first_ixt": round(float(first.ixt), 3) if first is not None else "n/a",
        "hs_first_ity": round(float(first.ity), 3) if first is not None else "n/a",
        "hs_first_text": (
            "most patterns have an almost certain label, so a single yes/no split of the inputs captures most of "
            "what there is to know. The rest of the curve is a slow climb" if share > 0.5 else
            "the first split captures less than half of what there is to know, and the curve climbs from there"),
        "hs_end_ixt": round(float(curve_s.ixt.iloc[-1]), 3), "hs_end_ity": round(end, 3),
        "hs_end_frac": round(100 * end / i_m, 1) if i_m > 0 else "n/a",
    }


def plot_ib_soft(curve_s: pd.DataFrame, i_xy: float, h_y_hard: float, xmax: float = 2.0):
    """The soft-label IB curve under its DPI bound, with the hard labels' broken line."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    xs = np.linspace(0, xmax, 50)
    ax.plot(xs, np.minimum(xs, i_xy), color="grey", ls="--", lw=1, label="DPI bound")
    ax.plot(curve_s.ixt, curve_s.ity, "o-", ms=3, color="C3", label="IB curve (soft labels)")
    ax.plot(np.minimum(xs, h_y_hard), np.minimum(xs, h_y_hard), color="C0", lw=1, alpha=0.6,
            label="IB curve (hard labels)")
    ax.set(xlabel="I(X;T) [bits]", ylabel="I(T;Y) [bits]", xlim=(0, xmax), title="IB curves of the harmonics task")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig
