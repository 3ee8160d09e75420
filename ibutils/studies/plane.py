"""Sweeps of the chapter "What else moves the plane" (the Deep Bottleneck cohorts on harmonics).

One sweep is a list of *points* (a label and the settings that differ: initial bias, max-norm
bound, batch normalisation, hidden widths, activation, optimizer), each trained with
``n_seeds`` seeds on Shwartz-Ziv & Tishby's harmonics data, its layers' MI measured at
snapshot epochs on all 4,096 patterns. :func:`run_sweep` trains each point as **one stacked
ensemble of its own seeds** (:func:`ibutils.nets.train_ensemble`; a point with more than
:data:`SEEDS_PER_TASK` seeds as several such "seed shards"), one *task* per point or shard
(:func:`train_task` through :func:`ibutils.publish.cluster.map_points`): in this process the tasks
run concurrently in threads (the compiled XLA programs release the GIL); on a Dask cluster
(``IBUTILS_SCHEDULER``, or a ``client``) each point is a Dask task, retried, reported by name and
cached by content. The serial run and the cluster run therefore do the same float32 arithmetic and
give the same tables byte for byte. (Stacking all points of a network configuration in one larger
ensemble, as earlier versions did, is not exactly the same arithmetic: XLA's CPU kernels for a stack
of 24 ReLU replicas and for one of 2 round differently in float32, by an ulp that training amplifies;
it saved about 4% of CPU time at 10 seeds x 300 epochs, measured in one process.)

Every replica of a sweep has its own seed: point ``i`` (in the order given) gets the ``n_seeds``
consecutive seeds ``seed + i * n_seeds, ...``, so ``seed`` identifies a run in every table, and
replica ``r`` of a point's ensemble equals a network trained alone with that seed and the point's
settings. Points are therefore compared as independent samples (95% t-intervals per point,
:mod:`ibutils.stats`).

Also here: estimator specs (:func:`ibutils.mi.specs.make_estimators`: fixed-width binning, KDE
bounds on a fixed subset of the patterns sharing one distance pass per layer and snapshot, see
:class:`ibutils.mi.kde_bank.KDEBank`), per-layer activation histograms recorded at the
snapshots (:class:`ibutils.nets.hooks.ActivationHistograms`), and the summaries the pages glue: compression per
point (:func:`compression_by_point`), the late fall of I(X;T) (:func:`late_drop`), frozen
runs (:func:`frozen_runs`) and dead units (:func:`dead_units`).

The pages of the chapter call one function here per step: the sweep's points (``*_points``),
their glue values (``*_summary``, computed sentences included), figures (``*_figure``) and the
claims rows (``claims_bias``, ``claims_weightnorm``, ``claims_batchnorm``,
``claims_architecture``, ``claims_estimators``), whose verdicts follow the rule book of
:mod:`ibutils.publish.report` and are unit-tested on constructed tables. The source study's own
scale per experiment is :data:`STUDY_SCALE`; the overview page's tables and its headline come
from :func:`runs_table`, :func:`last_layer_table`, :func:`scale_table` and :func:`headline`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..mi.specs import make_estimators
from ..nets.hooks import ActivationHistograms
from ..plots import panel_title
from ..quiet import quiet
from ..stats import ACCURACY_RANGE, compression, mean_ci, summarize
from ._protocols import LAYERS  # Shwartz-Ziv & Tishby's hidden widths

#: The settings a point may set, with the sweep defaults (the Deep Bottleneck harmonics setting).
DEFAULTS = dict(layers=LAYERS, activation="relu", optimizer="adam", lr=4e-4, initial_bias=0.0, max_norm=None,
                batch_norm=False)

#: Seeds per task of :func:`run_sweep` (see ``seeds_per_task``): the standard and paper plane sweeps use 10 or
#: 20 seeds, so a 20-seed point is two tasks.
SEEDS_PER_TASK = 10

__all__ = ["LAYERS", "DEFAULTS", "sweep_schedule", "SweepRun", "run_sweep", "train_task",
           "compression_by_point", "late_drop", "frozen_runs", "dead_units", "fmt_ci", "describe_scale", "plane_grid",
           "drop_plot",
           # the pages: points, tables, glue values, figures and claims (verdicts by the rule book)
           "bias_points", "norm_points", "batchnorm_points", "architecture_points", "estimator_points",
           "estimator_specs", "STUDY_SCALE", "ACC_MARGIN", "study_scale", "snapshot_count", "final_accuracy",
           "accuracy_ci", "accuracy_change", "compressing_layers", "verdict_several", "bias_groups", "claims_bias",
           "frozen_summary", "late_summary", "accuracy_text", "minimal_bias", "minimal_bias_summary",
           "claims_weightnorm", "weightnorm_summary", "n_peaks", "histogram_peaks", "claims_batchnorm",
           "batchnorm_summary", "last_hidden", "architecture_summary", "architecture_table", "claims_architecture",
           "tag_estimators", "estimator_drops", "crossfit_range", "claims_estimators", "estimator_tables",
           "estimators_summary", "SWEEPS", "BINNED_SWEEPS", "found_summary", "claims_frame", "runs_table",
           "seeds_text", "scale_table", "last_layer_table", "n_compressing", "verdict_counts", "headline",
           "dead_figure", "curves_figure", "minimal_figure", "histogram_figure", "last_drop_figure",
           "estimator_grid", "heatmap_figure", "glue_all"]


def sweep_schedule(epochs: int, n_log: int = 40, n_lin: int = 20) -> list[int]:
    """Snapshot epochs: ``n_log`` log-spaced (Shwartz-Ziv & Tishby's rule with ``num=n_log``)
    united with ``n_lin`` evenly spaced epochs, 0 and ``epochs`` included."""
    from ..nets.schedules import tishby_epochs

    epochs = int(epochs)
    e = set(tishby_epochs(epochs, num=max(int(n_log), 2)).tolist()) if epochs else set()
    e |= set(np.linspace(0, epochs, max(int(n_lin), 2)).round().astype(int).tolist())
    return sorted(x for x in e | {0, epochs} if 0 <= x <= epochs)


# ----------------------------------------------------------------------------- running
@dataclass
class SweepRun:
    """Tidy tables of a sweep; every table has a ``point`` column (the point's label).

    ``points``: one row per run (``seed``, ``point`` and the point's settings); ``mi``,
    ``metrics``, ``activity`` as :class:`ibutils.nets.TrainResult` (``activity`` at the probe
    epochs, with ``dead_fraction``); ``grad_max``: per run and layer the largest norm of the
    epoch-mean kernel gradient over all epochs (0: the layer never learned); ``histograms``:
    :class:`ibutils.nets.hooks.ActivationHistograms` tables (empty unless requested).
    """

    mi: pd.DataFrame
    metrics: pd.DataFrame
    activity: pd.DataFrame
    grad_max: pd.DataFrame
    points: pd.DataFrame
    snapshot_epochs: dict
    dropped_seeds: list
    histograms: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __repr__(self):
        return (f"SweepRun(points={self.points.point.nunique()}, runs={len(self.points)}, "
                f"dropped={self.dropped_seeds})")


def _point_settings(p: Mapping[str, Any]) -> dict:
    unknown = set(p) - set(DEFAULTS) - {"point"}
    if unknown or "point" not in p:
        raise ValueError(f"sweep point {dict(p)!r}: needs 'point' (a label); unknown keys {sorted(unknown)}")
    s = {**DEFAULTS, **{k: v for k, v in p.items() if k != "point"}}
    s["layers"] = [int(w) for w in s["layers"]]
    s["max_norm"] = None if not s["max_norm"] else float(s["max_norm"])
    return s


def run_sweep(points: Sequence[Mapping[str, Any]], *, n_seeds: int, epochs: int, seed: int = 0,
              batch_size: int | None = 256, init: str = "width", split: str = "saxe", snapshots: Any = None,
              estimators: Sequence[Mapping[str, Any]] = (), kde_samples: int | None = None,
              histograms: bool = False, probe_every: int = 10, max_workers: int = 2,
              seeds_per_task: int = SEEDS_PER_TASK, client: Any = None, cache: str | None = None) -> SweepRun:
    """Train every point of a sweep with ``n_seeds`` seeds and measure MI at the snapshots.

    Parameters
    ----------
    points : list of mappings
        ``point`` (label) and any of :data:`DEFAULTS` (``layers``, ``activation``,
        ``optimizer``, ``lr``, ``initial_bias``, ``max_norm``, ``batch_norm``).
    snapshots : list of int or None
        Snapshot epochs (default :func:`sweep_schedule`).
    estimators : list of specs of :func:`ibutils.mi.specs.make_estimators`: ``name`` and ``kind``,
        ``"binning"`` (keyword arguments of :func:`ibutils.mi.binning`, e.g. ``bin_size=0.07``) or
        ``"kde"`` (``noise_variance``, ``bound`` in upper/lower); all KDE specs share one distance
        pass per layer and snapshot on the same ``kde_samples`` patterns, drawn once from ``seed``
        (``None``: all patterns).
    histograms : record 30-bin activation histograms at the snapshots.
    max_workers : tasks trained concurrently (threads; without a cluster).
    seeds_per_task : a point with more seeds than this is split into tasks ("seed shards") of at most this
        many consecutive seeds, each a stack of its own; the same split serially and on a cluster, so the
        numbers do not depend on where the tasks run (they do depend on this value: it sets the stacks).
    client : a :class:`distributed.Client` (default: ``IBUTILS_SCHEDULER`` or the cluster this runs on; none:
        this process, as before).
    cache : folder caching finished tasks by content (default: ``IBUTILS_POINT_CACHE``; none: no cache).
    """
    from ..publish.cluster import find_client, map_points

    pts = [(_point_settings(p), str(p["point"])) for p in points]
    labels = [lab for _, lab in pts]
    if len(set(labels)) != len(labels):
        raise ValueError("sweep points: duplicate labels")
    from ..data import load_harmonics

    data = load_harmonics(split)
    n_probe = len(data.X_train) + len(data.X_test)
    make_estimators(estimators, n_probe=n_probe, kinds=("binning", "kde"), kde_bank="auto",  # bad specs fail here
                    kde_samples=kde_samples, seed=seed)
    snaps = sweep_schedule(epochs) if snapshots is None else sorted({int(e) for e in snapshots})
    n_seeds = int(n_seeds)
    common = dict(n_seeds=n_seeds, epochs=int(epochs), batch_size=batch_size, init=init, split=split, snapshots=snaps,
                  estimators=[dict(e) for e in estimators], kde_samples=kde_samples, sweep_seed=int(seed),
                  histograms=bool(histograms), probe_every=int(probe_every))
    per_task = int(seeds_per_task)
    if per_task < 1:
        raise ValueError(f"seeds_per_task must be >= 1, got {seeds_per_task!r}")
    # One task per point and shard of at most `per_task` of its seeds, stacked in one ensemble: the same tasks
    # serially and on a cluster (a task's arithmetic must not depend on where it runs).
    jobs, names, owner = [], [], []
    for i, (s, lab) in enumerate(pts):
        for first in range(0, n_seeds, per_task):
            jobs.append(dict(common, settings=s, point=lab, n_seeds=min(per_task, n_seeds - first), first_seed=first,
                             seed=int(seed + i * n_seeds + first)))
            names.append(lab if n_seeds <= per_task else f"{lab} seeds {first}-{min(first + per_task, n_seeds) - 1}")
            owner.append(i)
    client, own = find_client(client)
    try:
        with quiet():
            results = map_points(train_task, jobs, names=names, client=client, cache=cache, threads=max_workers)
    finally:
        if own:
            client.close()
    outs = [_stack_shards([r for r, o in zip(results, owner) if o == i]) for i in range(len(pts))]
    pmap = pd.DataFrame([row for o in outs for row in o["pmap"].to_dict("records")])
    lab = pmap.set_index("seed")["point"]

    def tag(frames):
        df = pd.concat(frames, ignore_index=True)
        df.insert(0, "point", df["seed"].map(lab).to_numpy())
        return df

    mi = tag([o["mi"] for o in outs])
    order = {p: i for i, p in enumerate(labels)}
    pmap = pmap.sort_values("seed", key=lambda s: s.map(lambda x: (order[lab[x]], x)), ignore_index=True)
    hists = [o["hist"] for o in outs if len(o["hist"])]
    return SweepRun(
        mi=mi, metrics=tag([o["metrics"] for o in outs]), activity=tag([o["activity"] for o in outs]),
        grad_max=tag([o["gmax"] for o in outs]), points=pmap,
        snapshot_epochs={lab_: list(o["snapshot_epochs"]) for o in outs for lab_ in o["pmap"].point.unique()},
        dropped_seeds=sorted(s for o in outs for s in o["dropped_seeds"]),
        histograms=tag(hists) if hists else pd.DataFrame())


#: How :func:`train_task` tables are ordered (as :func:`ibutils.nets.train_ensemble` orders its own), so a
#: point's seed shards concatenate into the order one ensemble of all its seeds would give.
_TASK_ORDER = dict(mi=["estimator", "seed", "epoch", "layer"], metrics=["seed", "epoch", "split"],
                   activity=["seed", "epoch", "layer"], gmax=["seed", "layer"], hist=["epoch", "layer", "seed"])


def _stack_shards(parts: Sequence[dict]) -> dict:
    """The tables of one point from its seed shards (one shard: as it is; several: concatenated, then sorted
    stably as one ensemble sorts them)."""
    if len(parts) == 1:
        return parts[0]
    out = dict(pmap=pd.DataFrame([row for p in parts for row in p["pmap"].to_dict("records")]),
               snapshot_epochs=parts[0]["snapshot_epochs"], dropped_seeds=[s for p in parts for s in p["dropped_seeds"]])
    for name, by in _TASK_ORDER.items():
        frames = [p[name] for p in parts if len(p[name])]
        out[name] = (pd.concat(frames, ignore_index=True).sort_values(by, kind="stable", ignore_index=True)
                     if frames else parts[0][name])
    return out


def train_task(task: Mapping[str, Any]) -> dict:
    """Train one task of :func:`run_sweep`: the point ``task["point"]`` (label) with its settings
    ``task["settings"]``, ``n_seeds`` replicas stacked in one ensemble, from seed ``task["seed"]`` (the
    point's seeds number ``first_seed`` on, in its ``seed_index``), never sharded further (``n_shards=1``:
    the arithmetic must not depend on the machine's core count).

    A module-level function of JSON-like settings, so a Dask worker can run it and
    :func:`ibutils.publish.cluster.map_points` can cache it by content. Returns the tidy tables
    (``mi``, ``metrics``, ``activity``, ``gmax``, ``pmap``, ``hist``), ``snapshot_epochs`` and ``dropped_seeds``.
    """
    from ..data import load_harmonics
    from ..nets import train_ensemble

    s, lab = dict(task["settings"]), str(task["point"])
    n_seeds = int(task["n_seeds"])
    data = load_harmonics(task["split"])
    n_probe = len(data.X_train) + len(data.X_test)
    ests = make_estimators(task["estimators"], n_probe=n_probe, kinds=("binning", "kde"), kde_bank="auto",
                           kde_samples=task["kde_samples"], seed=task["sweep_seed"])
    rec = ActivationHistograms(n_bins=30) if task["histograms"] else None
    res = train_ensemble(
        data.X_train, data.y_train, data.X_test, data.y_test, layers=s["layers"], activation=s["activation"],
        n_seeds=n_seeds, epochs=int(task["epochs"]), batch_size=task["batch_size"], lr=s["lr"],
        optimizer=s["optimizer"], seed=int(task["seed"]), snapshot_epochs=task["snapshots"], init=task["init"],
        initial_bias=s["initial_bias"], max_norm=s["max_norm"], batch_norm=s["batch_norm"],
        mi_data="full", estimators=ests, hooks=[rec] if rec is not None else [], probe_every=task["probe_every"],
        progress=False, n_shards=1)
    first = int(task.get("first_seed", 0))
    pmap = pd.DataFrame([dict(seed=int(res.seeds[i]), point=lab, seed_index=first + i,
                              **{k: (str(v) if k == "layers" else v) for k, v in s.items()}) for i in range(n_seeds)])
    g = res.unfiltered["grads"]
    gmax = g.groupby(["seed", "layer"], sort=True)["grad_mean"].max().rename("grad_max").reset_index()
    hist = (rec.table().sort_values(["epoch", "layer", "seed"], kind="stable", ignore_index=True)
            if rec is not None else pd.DataFrame())
    return dict(mi=res.mi, metrics=res.metrics, activity=res.activity, gmax=gmax, pmap=pmap, hist=hist,
                snapshot_epochs=[int(e) for e in res.snapshot_epochs], dropped_seeds=[int(s) for s in res.dropped_seeds])


# ----------------------------------------------------------------------------- summaries
def fmt_ci(m, lo, hi, nd: int = 3) -> str:
    """``"m [lo, hi]"`` with ``nd`` decimals (``"n/a"`` when ``m`` is not finite):
    :func:`ibutils.publish.page.fmt_ci`."""
    from ..publish.page import fmt_ci as _fmt_ci

    return _fmt_ci(m, lo, hi, nd=nd)


def compression_by_point(mi: pd.DataFrame, *, estimator: str | None = None, threshold: float = 0.1) -> pd.DataFrame:
    """Per point and layer: the drop of I(X;T) from its peak to the last snapshot (bits), mean
    over seeds with its 95% CI, and the share of runs dropping more than ``threshold``."""
    df = mi if estimator is None else mi[mi["estimator"] == estimator]
    per = compression(df, by=("point", "seed", "layer"), threshold=threshold)
    s = summarize(per, ["point", "layer"], "drop")
    share = per.groupby(["point", "layer"])["compresses"].mean().rename("share_compressing").reset_index()
    return s.merge(share, on=["point", "layer"])


def late_drop(mi: pd.DataFrame, *, start: int, estimator: str | None = None) -> pd.DataFrame:
    """Per run and layer: I(X;T) at the snapshot nearest ``start`` minus I(X;T) at the last
    snapshot (bits; positive: the layer loses information about the input after ``start``)."""
    df = mi if estimator is None else mi[mi["estimator"] == estimator]
    epochs = np.array(sorted(df["epoch"].unique()))
    e0 = int(epochs[np.argmin(np.abs(epochs - start))])
    a = df[df.epoch == e0].set_index(["point", "seed", "layer"])["ixt"]
    b = df[df.epoch == epochs.max()].set_index(["point", "seed", "layer"])["ixt"]
    out = (a - b).rename("late_drop").reset_index()
    out["from_epoch"] = e0
    return out


def frozen_runs(mi: pd.DataFrame, grad_max: pd.DataFrame, *, estimator: str | None = None, tol: float = 1e-3,
                hidden_layers: int | None = None) -> pd.DataFrame:
    """Per run: ``mi_range`` (largest change of I(X;T) over the snapshots, any hidden layer),
    ``hidden_grad`` (largest epoch-mean kernel-gradient norm of any hidden layer over all
    epochs) and ``frozen`` (the hidden layers' I(X;T) moved by less than ``tol`` bits)."""
    df = mi if estimator is None else mi[mi["estimator"] == estimator]
    L = int(df["layer"].max())
    H = L - 1 if hidden_layers is None else hidden_layers
    h = df[df.layer <= H]
    rng = h.groupby(["point", "seed", "layer"])["ixt"].agg(lambda v: v.max() - v.min()).groupby(
        ["point", "seed"]).max().rename("mi_range")
    gm = grad_max[grad_max.layer <= H].groupby(["point", "seed"])["grad_max"].max().rename("hidden_grad")
    out = pd.concat([rng, gm], axis=1).reset_index()
    out["frozen"] = out["mi_range"] < tol
    return out


def dead_units(activity: pd.DataFrame, *, at=None) -> pd.DataFrame:
    """Dead-unit fraction per point, layer and probe epoch: mean over seeds with 95% CI
    (``at``: restrict to these epochs)."""
    act = activity.dropna(subset=["dead_fraction"])
    if at is not None:
        act = act[act.epoch.isin(list(at))]
    return summarize(act, ["point", "layer", "epoch"], "dead_fraction")


def describe_scale(profile: str, *, n_seeds: int, epochs: int, n_snapshots: int, n_points: int,
                   extra: str = "", study: str | None = None) -> str:
    """One sentence on the scale a page ran at (glued): the profile's seeds and epochs against the
    source study's for that experiment (:data:`STUDY_SCALE`) in the words of
    :func:`ibutils.publish.report.scale_words`, then the sweep's shape."""
    from ..publish.report import scale_words

    ss, se = study_scale(study)
    words = scale_words(profile, n_seeds=n_seeds, epochs=epochs, study_seeds=ss, study_epochs=se)
    if ss is None and se is not None:
        words += f" (the study: {int(se):,} epochs, runs per setting not stated)"
    return (f"{words}; {n_points} setting{'s' if int(n_points) != 1 else ''}, Adam unless stated, minibatches of "
            f"256, MI at {n_snapshots} snapshot epochs{extra}")


def ci_row(values) -> tuple[float, float, float]:
    """:func:`ibutils.stats.mean_ci` (re-exported for the pages)."""
    return mean_ci(values)


# ----------------------------------------------------------------------------- figures
def plane_grid(mi: pd.DataFrame, *, estimator: str, points: Sequence[str], ncols: int = 3, title: str | None = None):
    """One information plane per point (mean over seeds), shared axes and ONE epoch colour bar.

    The book's layout (:func:`ibutils.plots.planes_grid`): at most 3 panels a row whatever ``ncols``
    asks, panel titles in words, one ``LogNorm`` over the epochs of all points.
    """
    from ..plots import planes_grid

    df = mi[mi.estimator == estimator]
    frames = [(p, df[df.point == p].drop(columns="point")) for p in points]
    return planes_grid(frames, ncols=ncols, suptitle=title)


def drop_plot(comp: pd.DataFrame, *, points: Sequence[str], layers: Sequence[int], threshold: float, ax=None,
              xlabel: str = "setting"):
    """Mean drop of I(X;T) (peak to last snapshot) with 95% CI per point, one marker series per layer."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(max(5.0, 0.55 * len(points) + 2), 3.4))
    x = np.arange(len(points))
    n = len(layers)
    for i, l in enumerate(layers):
        c = comp[comp.layer == l].set_index("point").reindex(list(points))
        off = (i - (n - 1) / 2) * 0.12
        ax.errorbar(x + off, c["mean"], yerr=[c["mean"] - c["ci_low"], c["ci_high"] - c["mean"]], fmt="o", ms=4,
                    capsize=2, color=f"C{i}", label=f"layer {l}")
    ax.axhline(threshold, color="k", ls=":", lw=0.8)
    ax.set_xticks(x, list(points), rotation=45, ha="right", fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("drop of I(X;T) [bits]")
    ax.legend(fontsize=7, ncol=2)
    return ax.figure


# ----------------------------------------------------------------------------- the pages' points
def bias_points(biases: Sequence[float], tanh_bias: float | None = None) -> list[dict]:
    """The initial-bias sweep: one ReLU point ``"relu <b>"`` per bias, then ``"tanh <tanh_bias>"``."""
    pts = [dict(point=_bias_label(b), activation="relu", initial_bias=float(b)) for b in biases]
    if tanh_bias is not None:
        pts.append(dict(point=f"tanh {float(tanh_bias):g}", activation="tanh", initial_bias=float(tanh_bias)))
    return pts


def _bias_label(b: float) -> str:
    return f"relu {float(b):g}"


def norm_points(tanh_bounds: Sequence[float], relu_bounds: Sequence[float]) -> list[dict]:
    """The max-norm sweep: ``"tanh none"``, ``"tanh <bound>"`` ..., ``"relu none"``, ``"relu <bound>"`` ..."""
    pts = []
    for a, bounds in (("tanh", tanh_bounds), ("relu", relu_bounds)):
        pts.append(dict(point=f"{a} none", activation=a))
        pts += [dict(point=f"{a} {float(b):g}", activation=a, max_norm=float(b)) for b in bounds]
    return pts


def batchnorm_points(activations: Sequence[str], max_norm: float) -> list[dict]:
    """With and without batch normalisation per activation: ``"<a>"`` and ``"<a> + BN"``."""
    return [dict(point=f"{a}{' + BN' if bn else ''}", activation=a, batch_norm=bn, max_norm=max_norm)
            for a in activations for bn in (False, True)]


def architecture_points(activations: Sequence[str], architectures: Sequence[Sequence[int]]) -> list[dict]:
    """One point per activation and hidden-layer widths, labelled ``"<a> [w1,w2,...]"``."""
    return [dict(point=f"{a} [{','.join(str(int(w)) for w in arch)}]", activation=a, layers=[int(w) for w in arch])
            for a in activations for arch in architectures]


def estimator_points(activations: Sequence[str], optimizers: Sequence[str]) -> list[dict]:
    """One point per (activation, optimizer), labelled ``"<a> <optimizer>"``."""
    return [dict(point=f"{a} {o}", activation=a, optimizer=o) for a in activations for o in optimizers]


#: The estimator kinds of the estimator-parameter grid (Deep Bottleneck cohorts 1 and 3).
ESTIMATOR_KINDS = ("binning", "upper", "lower")


def estimator_specs(values: Sequence[float]) -> list[dict]:
    """Binning, KDE upper and KDE lower bound at every parameter value, named ``"<kind> <value>"``
    (the value is the bin width for binning, the noise variance for the bounds)."""
    return ([{"name": f"binning {v:g}", "kind": "binning", "bin_size": float(v)} for v in values]
            + [{"name": f"{b} {v:g}", "kind": "kde", "noise_variance": float(v), "bound": b}
               for b in ("upper", "lower") for v in values])


# ----------------------------------------------------------------------------- scale and small tables
#: The source study's own scale per experiment: (runs per setting, epochs), or None where the
#: documentation does not say. From the Deep Bottleneck documentation and its cohort configs
#: (``/work/shared/notes/checklist_seed000.md``, sections 4.1, 4.4, 4.7 and 4.11).
STUDY_SCALE = {
    "bias": (1, 8000),              # cohort 9 (6.11): n_runs 1, 8,000 epochs
    "bias_tanh": (10, 8000),        # exp 885 (6.5/6.11): tanh with bias 2, n_runs 10
    "weightnorm": (1, 1500),        # cohort 13 (6.7): exps 599-603, n_runs 1, seed 42, 1,500 epochs
    "weightnorm_sweep": (5, 8000),  # cohort 10 (6.4): n_runs 5, 8,000 epochs
    "batchnorm": (None, 1500),      # cohort 8: 1,500 epochs; runs per setting not stated
    "architecture": (5, 8000),      # cohort 6: n_runs 5; epochs not listed (most harmonics runs: 8,000)
    "estimators": (5, 8000),        # cohorts 1 and 3: n_runs 5, 8,000 epochs
}
#: The smallest change of test accuracy that counts (a fraction: 2 percentage points).
ACC_MARGIN = 0.02


def study_scale(study: str | None) -> tuple[int | None, int | None]:
    """``(study_seeds, study_epochs)`` of :data:`STUDY_SCALE` (``(None, None)`` for ``None``)."""
    if study is None:
        return (None, None)
    if study not in STUDY_SCALE:
        raise ValueError(f"study must be one of {sorted(STUDY_SCALE)}, got {study!r}")
    return STUDY_SCALE[study]


def snapshot_count(run: SweepRun) -> int:
    """Number of snapshot epochs of a sweep (the same for every point)."""
    return len(next(iter(run.snapshot_epochs.values()))) if run.snapshot_epochs else 0


def final_accuracy(metrics: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    """Per run: the test (``eval``) accuracy at the last epoch, with the run's ``seed_index``."""
    ev = metrics[metrics.split == "eval"].dropna(subset=["accuracy"])
    ev = ev[ev.epoch == ev.epoch.max()]
    return ev.merge(points[["seed", "seed_index"]], on="seed", how="left")


def accuracy_ci(acc: pd.DataFrame, point: str) -> tuple[float, float, float]:
    """Mean final test accuracy of a point with its 95% interval."""
    return mean_ci(acc.loc[acc.point == point, "accuracy"], bounds=ACCURACY_RANGE)


def accuracy_change(acc: pd.DataFrame, a: str, b: str) -> np.ndarray:
    """Per seed index: final test accuracy of point ``a`` minus that of point ``b``.

    The runs of two points are independent (every run has its own seed); pairing them by their
    position ``seed_index`` gives independent differences, whose t-interval is valid."""
    x = acc[acc.point == a].set_index("seed_index")["accuracy"]
    y = acc[acc.point == b].set_index("seed_index")["accuracy"]
    d = (x - y).dropna()
    return d.sort_index().to_numpy(dtype=np.float64)


def _ci_text(values, nd: int = 3) -> str:
    return fmt_ci(*mean_ci(values), nd=nd)


def _row(c: pd.DataFrame, point: str, layer: int):
    """The row of a :func:`compression_by_point` table for one point and layer (or None)."""
    r = c[(c.point == point) & (c.layer == layer)]
    return None if r.empty else r.iloc[0]


def _comp_effect(r, *, margin: float) -> str:
    from ..publish.report import effect

    if r is None:
        return "too few"
    return effect((r["mean"], r["ci_low"], r["ci_high"]), n=int(r["n"]), margin=margin)


def _above(r, *, margin: float) -> bool:
    """A summary row's 95% interval lies above ``margin`` (at least 2 seeds: a finite width)."""
    return (r is not None and np.isfinite(r["mean"]) and np.isfinite(r["n"]) and int(r["n"]) >= 2
            and float(r["ci_low"]) > margin)


def _counts(r, *, margin: float, significant: bool) -> bool:
    if significant:  # the rule book: also needs MIN_SEEDS seeds
        return _comp_effect(r if r is not None and np.isfinite(r["mean"]) else None, margin=margin) == "supports"
    return _above(r, margin=margin)


def compressing_layers(comp: pd.DataFrame, point: str, layers: Sequence[int], *, margin: float,
                       significant: bool = False) -> int:
    """Number of ``layers`` of ``point`` whose drop of I(X;T) has its 95% interval above ``margin``
    (what the pages' sentences count); with ``significant``, whose drop is significant by the rule
    book (:func:`ibutils.publish.report.effect`: also at least 3 seeds), what the claims count."""
    return sum(_counts(_row(comp, point, l), margin=margin, significant=significant) for l in layers)


def _unit_effect(values, *, margin: float, direction: int = 1, two_sided: bool = False):
    """(effect word, (mean, lo, hi), n) of one unit's per-seed values."""
    from ..publish.report import effect

    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    mci = mean_ci(v)
    e = effect(mci, n=v.size, margin=margin, direction=direction)
    if two_sided and e == "opposes":  # a difference either way is the effect
        e = "supports"
    return e, mci, int(v.size)


def verdict_several(effects, k: int = 2) -> str:
    """Verdict for "the effect is present in several (at least ``k``) of the units".

    The rule book's words (:mod:`ibutils.publish.report`): reproduced when the effect is
    significant in at least ``k`` units, partly reproduced in fewer but at least one,
    contradicted in none with the opposite effect significant in some, not reproduced otherwise;
    inconclusive with too few seeds."""
    effects = list(effects)
    if not effects or "too few" in effects:
        return "inconclusive"
    s = effects.count("supports")
    if s >= k:
        return "reproduced"
    if s:
        return "partly reproduced"
    return "contradicted" if "opposes" in effects else "not reproduced"


def _min_n(ns) -> int:
    ns = [int(n) for n in ns]
    return min(ns) if ns else 0


def _claim_row(claim: str, source: str, reported: str, measured: str, verdict: str, *, n_seeds: int, epochs: int,
               study: str | None, note: str = "", kind: str = "replication") -> dict:
    from ..publish.report import MIN_SEEDS, TOO_FEW

    ss, se = study_scale(study)
    if kind == "replication" and int(n_seeds) < MIN_SEEDS:
        verdict, note = "inconclusive", "; ".join(x for x in (TOO_FEW, note) if x)
    return dict(claim=claim, source=source, reported=reported, measured=measured, verdict=verdict, kind=kind,
                n_seeds=int(n_seeds), epochs=int(epochs), study_seeds=ss, study_epochs=se, note=note)


# ----------------------------------------------------------------------------- initial bias
#: Claims of the initial-bias page (Deep Bottleneck cohort 9, section 6.11).
CLAIM_BIAS_NEG = "negative initial biases (ReLU) freeze training: gradients 0, I(X;T) constant"
CLAIM_BIAS_BIG = "large positive initial biases (ReLU) freeze training: gradients 0, I(X;T) constant"
CLAIM_BIAS_LATE = "biases 0.2, 1, 2: the penultimate layer's I(X;T) falls late (from about epoch 1,000)"
#: The biases the study saw fall late, and the smallest bias it called "large".
LATE_BIASES = (0.2, 1.0, 2.0)
LARGE_BIAS = 3.0


def bias_groups(biases: Sequence[float]) -> dict:
    """Labels of the negative biases, the large ones (>= :data:`LARGE_BIAS`) and those of
    :data:`LATE_BIASES` that were run."""
    bs = [float(b) for b in biases]
    return dict(negative=[_bias_label(b) for b in bs if b < 0], large=[_bias_label(b) for b in bs if b >= LARGE_BIAS],
                late=[_bias_label(b) for b in LATE_BIASES if b in bs])


def _freeze_claim(frozen: pd.DataFrame, labels: Sequence[str], *, margin: float):
    """Verdict of "these biases freeze training" and the measured text.

    A claim that an effect is *absent*: the movement of I(X;T) (``mi_range`` of
    :func:`frozen_runs`, the largest change of a hidden layer's I(X;T) over training) per bias,
    rule :func:`ibutils.publish.report.verdict_none` over the biases."""
    from ..publish.report import verdict_none

    effs, parts, ns = [], [], []
    for p in labels:
        e, mci, n = _unit_effect(frozen.loc[frozen.point == p, "mi_range"], margin=margin)
        effs.append(e)
        ns.append(n)
        parts.append(f"{p.split()[-1]}: {fmt_ci(*mci)}")
    sub = frozen[frozen.point.isin(list(labels))]
    verdict = verdict_none(effs) if labels else "inconclusive"
    measured = (f"largest change of a hidden layer's I(X;T) over training (bits, 95% CI) per bias: "
                f"{'; '.join(parts) or 'no such bias run'}; frozen runs {int(sub.frozen.sum())} of {len(sub)}")
    return verdict, measured, _min_n(ns)


def _late_claim(late: pd.DataFrame, labels: Sequence[str], *, layer: int, margin: float):
    """Verdict of "the layer's I(X;T) falls late for every bias of ``labels``" (rule
    :func:`ibutils.publish.report.verdict_all` over the biases) and the per-bias intervals."""
    from ..publish.report import verdict_all

    lp = late[late.layer == layer]
    effs, parts, ns = [], [], []
    for p in labels:
        e, mci, n = _unit_effect(lp.loc[lp.point == p, "late_drop"], margin=margin)
        effs.append(e)
        ns.append(n)
        parts.append(f"bias {p.split()[-1]}: {fmt_ci(*mci)}")
    return (verdict_all(effs) if labels else "inconclusive"), parts, effs, _min_n(ns)


def claims_bias(frozen: pd.DataFrame, late: pd.DataFrame, *, biases: Sequence[float], late_layer: int,
                n_seeds: int, epochs: int, margin: float | None = None) -> list[dict]:
    """Claims rows of the initial-bias page.

    Parameters
    ----------
    frozen : :func:`frozen_runs` table (``point``, ``seed``, ``mi_range``, ``frozen``).
    late : :func:`late_drop` table (``point``, ``seed``, ``layer``, ``late_drop``, ``from_epoch``).
    biases : the ReLU biases run (points ``"relu <b>"``).
    late_layer : the study's penultimate layer (the last hidden layer).
    n_seeds, epochs : what the page ran.

    Rules (:mod:`ibutils.publish.report`): the two freezing claims are claims that I(X;T) does
    *not* move, :func:`verdict_none` over the biases of each group; the late fall is claimed for
    every one of the biases 0.2, 1 and 2, :func:`verdict_all` over them.
    """
    from ..publish.report import MARGIN_BITS

    margin = MARGIN_BITS if margin is None else float(margin)
    g = bias_groups(biases)
    src = "Deep Bottleneck cohort 9 (6.11)"
    rows = []
    for claim, labels in ((CLAIM_BIAS_NEG, g["negative"]), (CLAIM_BIAS_BIG, g["large"])):
        v, measured, n = _freeze_claim(frozen, labels, margin=margin)
        rows.append(_claim_row(claim, src, "all gradients remain 0 for the entire training (1 run per bias)",
                               measured, v, n_seeds=min(n, n_seeds) if labels else n_seeds, epochs=epochs,
                               study="bias"))
    v, parts, _, n = _late_claim(late, g["late"], layer=late_layer, margin=margin)
    start = int(late["from_epoch"].iloc[0]) if len(late) else 0
    rows.append(_claim_row(CLAIM_BIAS_LATE, src, "a decrease from epoch 1,000 onwards (1 run per bias)",
                           f"fall of layer {late_layer}'s I(X;T) from epoch {start:,} to the end (bits, 95% CI): "
                           + ("; ".join(parts) or "none of these biases run"), v,
                           n_seeds=min(n, n_seeds) if g["late"] else n_seeds, epochs=epochs, study="bias"))
    return rows


def frozen_summary(frozen: pd.DataFrame, activity: pd.DataFrame, labels: Sequence[str], *, tol: float) -> dict:
    """Glue values of the page's "Frozen networks" paragraph: ``frozen_tol``, ``frozen_text`` (frozen
    runs per bias), ``frozen_grad`` (largest hidden gradient norm of a frozen run) and
    ``frozen_dead1`` (dead fraction of their first layer at the last probe epoch)."""
    share = frozen.groupby("point", sort=False)["frozen"].sum().reindex(list(labels)).fillna(0).astype(int)
    fz = frozen[frozen.frozen]
    last_e = activity.epoch.max()
    d1 = activity[(activity.epoch == last_e) & (activity.layer == 1) & activity.seed.isin(fz.seed)]
    return dict(frozen_tol=f"{tol:g}",
                frozen_text=", ".join(f"{p.split()[-1] if p.startswith('relu') else p}: {n}" for p, n in share.items()),
                frozen_grad="no run is frozen" if fz.empty else f"{fz.hidden_grad.max():.3g}",
                frozen_dead1="n/a" if d1.empty else f"{d1.dead_fraction.mean():.3f}")


def late_summary(late: pd.DataFrame, comp: pd.DataFrame, *, biases: Sequence[float], tanh_bias: float,
                 late_layer: int, margin: float | None = None) -> dict:
    """Glue values of the page's "late fall" paragraph, with ``late_word`` the late-fall claim's
    verdict (the rule of :func:`claims_bias`)."""
    from ..publish.report import MARGIN_BITS

    margin = MARGIN_BITS if margin is None else float(margin)
    g = bias_groups(biases)
    v, parts, effs, _ = _late_claim(late, g["late"], layer=late_layer, margin=margin)
    lp = late[late.layer == late_layer]
    tl = f"tanh {float(tanh_bias):g}"
    hidden = list(range(1, late_layer + 1))
    return dict(pen_layer=str(late_layer), late_from=f"{int(lp.from_epoch.iloc[0]):,}" if len(lp) else "n/a",
                threshold_text=f"{margin:g}", late_text="; ".join(parts) or "none of these biases run",
                n_late=str(effs.count("supports")), n_sel=str(len(g["late"])), late_word=v,
                late_zero=_ci_text(lp.loc[lp.point == _bias_label(0), "late_drop"]),
                late_tanh=_ci_text(lp.loc[lp.point == tl, "late_drop"]),
                tanh_layers=str(compressing_layers(comp, tl, hidden, margin=margin)), n_hidden=str(len(hidden)))


def accuracy_text(acc: pd.DataFrame, labels: Sequence[str], *, with_ci: bool = False) -> str:
    """Final test accuracy per point, ``"p: 0.812, ..."`` (means) or ``"p: m [lo, hi]; ..."``."""
    if with_ci:
        return "; ".join(f"{p}: {fmt_ci(*accuracy_ci(acc, p))}" for p in labels)
    return ", ".join(f"{p}: {accuracy_ci(acc, p)[0]:.3f}" for p in labels)


# ----------------------------------------------------------------------------- the minimal model of a bias
def minimal_bias(biases: Sequence[float] = (0, 1, 2, 3, 4, 5), activations: Sequence[str] = ("tanh", "relu"), *,
                 n_bins: int = 5, n_samples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Entropy (bits) of ``T = f(w X + b)``, ``X ~ N(0, 1)``, binned in ``n_bins`` bins over each
    weight's own range, for ``w = 0.1, 0.2, ..., 19.9`` and every bias and activation.

    The Deep Bottleneck minimal model (section 9.1) with its bias extension: the inputs are the
    second draw of ``n_samples`` from NumPy's ``RandomState(seed)``, as in the study.
    Columns ``activation``, ``bias``, ``w``, ``entropy``."""
    from .. import activations as _acts
    from ..mi.entropy import binned_entropy_rows

    rng = np.random.RandomState(seed)
    rng.randn(int(n_samples))  # the first draw feeds the study's weight sweep
    x = rng.randn(int(n_samples))
    w = np.round(0.1 + 0.1 * np.arange(199), 10)
    frames = []
    for name in activations:
        f = _acts.get(name)
        for b in biases:
            h = binned_entropy_rows(f(np.outer(w, x) + float(b)), int(n_bins), "row")
            frames.append(pd.DataFrame({"activation": name, "bias": float(b), "w": w, "entropy": h}))
    return pd.concat(frames, ignore_index=True)


def minimal_bias_summary(msw: pd.DataFrame, *, low: float = 0.0, high: float = 2.0, tol: float = 0.1) -> dict:
    """Glue values of the minimal-model paragraph: ``min_<act><b>`` (entropy at the largest weight
    for the biases ``low`` and ``high``, ReLU and tanh) and ``minimal_sentence``, what the bias does
    to each activation, written from those numbers (a change under ``tol`` bits "leaves it
    unchanged")."""
    last = msw[msw.w == msw.w.max()].set_index(["activation", "bias"])["entropy"]
    out, clauses, verbs = {}, [], {}
    for a, what in (("relu", "the entropy of ReLU's output"), ("tanh", "that of tanh")):
        h0, h1 = float(last.get((a, float(low)), np.nan)), float(last.get((a, float(high)), np.nan))
        out[f"min_{a}{low:g}"], out[f"min_{a}{high:g}"] = f"{h0:.3f}", f"{h1:.3f}"
        d = h1 - h0
        verbs[a] = "leaves" if not np.isfinite(d) or abs(d) < tol else ("raises" if d > 0 else "lowers")
        clauses.append(f"{verbs[a]} {what}{' unchanged' if verbs[a] == 'leaves' else ''}")
    why = []
    if verbs["relu"] == "raises":
        why.append("it moves ReLU away from its half-zero output, where a binning sees low entropy from the start")
    if verbs["tanh"] == "lowers":
        why.append("it pushes tanh into saturation, where a binning sees compression")
    if verbs["relu"] == verbs["tanh"] == "leaves":
        out["minimal_sentence"] = (f"At the largest weight, a bias of {high:g} instead of {low:g} changes the "
                                   f"entropy by less than {tol:g} bit for both ReLU and tanh: in this model the bias "
                                   f"alone barely moves what a binning sees at large weights.")
    else:
        out["minimal_sentence"] = (f"At the largest weight, a bias of {high:g} instead of {low:g} {clauses[0]} and "
                                   f"{clauses[1]}" + (": " + "; ".join(why) + "." if why else "."))
    return out


# ----------------------------------------------------------------------------- weight norm
CLAIM_NORM_TANH = "with max-norm 0.8, several tanh hidden layers compress"
CLAIM_NORM_RELU = "with max-norm 0.8, ReLU compresses"
CLAIM_NORM_ACC = "max-norm 0.8 costs no accuracy"
CLAIM_NORM_04 = "max-norm 0.4 impairs ReLU training"


def claims_weightnorm(comp: pd.DataFrame, acc: pd.DataFrame, *, hidden_layers: int, n_seeds: int, epochs: int,
                      margin: float | None = None, acc_margin: float = ACC_MARGIN) -> list[dict]:
    """Claims rows of the weight-norm page (Deep Bottleneck cohort 13, section 6.7).

    Parameters
    ----------
    comp : :func:`compression_by_point` table (points ``"tanh none"``, ``"tanh 0.8"``, ``"relu none"``,
        ``"relu 0.8"``, ``"relu 0.4"``).
    acc : :func:`final_accuracy` table.
    hidden_layers : number of hidden layers (the units of the compression claims).

    Rules (:mod:`ibutils.publish.report`): "several tanh layers compress", significant drop in at
    least two hidden layers (:func:`verdict_several`); "ReLU compresses", in at least one
    (:func:`verdict_any`); "costs no accuracy", a claim of an absent loss, :func:`verdict_none`
    over tanh and ReLU with the accuracy margin ``acc_margin``; "0.4 impairs training", a loss
    beyond ``acc_margin`` (:func:`verdict_all` over the one unit).
    """
    from ..publish.report import MARGIN_BITS, verdict_all, verdict_any, verdict_none

    margin = MARGIN_BITS if margin is None else float(margin)
    layers = list(range(1, int(hidden_layers) + 1))
    src = "Deep Bottleneck cohort 13 (6.7)"

    def comp_part(p):
        effs = [_comp_effect(_row(comp, p, l), margin=margin) for l in layers]
        rows = [_row(comp, p, l) for l in layers]
        text = "; ".join(f"L{l} {fmt_ci(r['mean'], r['ci_low'], r['ci_high'])}" for l, r in zip(layers, rows)
                         if r is not None)
        n = _min_n([r["n"] for r in rows if r is not None])
        return effs, text or "not run", n

    def sig(p):
        return compressing_layers(comp, p, layers, margin=margin, significant=True)

    rows = []
    et, tt, nt = comp_part("tanh 0.8")
    rows.append(_claim_row(CLAIM_NORM_TANH, src, "several layers compress (1 run, 1,500 epochs)",
                           f"significant drop in {et.count('supports')} of {len(layers)} hidden layers (without the "
                           f"bound: {sig('tanh none')}); drops (bits, 95% CI): {tt}",
                           verdict_several(et, 2), n_seeds=min(nt, n_seeds), epochs=epochs, study="weightnorm"))
    er, tr, nr = comp_part("relu 0.8")
    rows.append(_claim_row(CLAIM_NORM_RELU, src, "'relu compresses' (1 run)",
                           f"significant drop in {er.count('supports')} of {len(layers)} hidden layers (without the "
                           f"bound: {sig('relu none')}); drops (bits, 95% CI): {tr}",
                           verdict_any(er), n_seeds=min(nr, n_seeds), epochs=epochs, study="weightnorm"))
    effs, parts, ns = [], [], []
    for a in ("tanh", "relu"):
        e, mci, n = _unit_effect(accuracy_change(acc, f"{a} none", f"{a} 0.8"), margin=acc_margin)
        effs.append(e)
        ns.append(n)
        parts.append(f"{a} {fmt_ci(-mci[0], -mci[2], -mci[1])}")
    rows.append(_claim_row(CLAIM_NORM_ACC, src, "no significant loss in accuracy (1 run per setting)",
                           f"change of test accuracy with the bound (95% CI): {', '.join(parts)}",
                           verdict_none(effs), n_seeds=min(_min_n(ns), n_seeds), epochs=epochs, study="weightnorm",
                           note=f"margin {acc_margin:g} of accuracy"))
    e, mci, n = _unit_effect(accuracy_change(acc, "relu none", "relu 0.4"), margin=acc_margin)
    rows.append(_claim_row(CLAIM_NORM_04, "Deep Bottleneck cohort 13 (6.7, exp 603)",
                           "training impaired, performance worse (no number, 1 run)",
                           f"test accuracy: 0.4 {fmt_ci(*accuracy_ci(acc, 'relu 0.4'))} vs none "
                           f"{fmt_ci(*accuracy_ci(acc, 'relu none'))}; loss {fmt_ci(*mci)}",
                           verdict_all([e]), n_seeds=min(n, n_seeds), epochs=epochs, study="weightnorm",
                           note=f"margin {acc_margin:g} of accuracy"))
    return rows


def weightnorm_summary(comp: pd.DataFrame, acc: pd.DataFrame, labels: Sequence[str], *, hidden_layers: int,
                       margin: float | None = None) -> dict:
    """Glue values of the weight-norm page: compressing layers per setting (``n_tanh_none``,
    ``n_tanh_08``, ``n_relu_none``, ``n_relu_08``, ``n_relu_04``), ``tanh_curve`` (mean drop over
    the hidden layers per tanh bound), ``acc_text`` and the accuracy changes with 95% intervals
    (``dacc_tanh``, ``dacc_relu``, ``dacc_relu04``)."""
    from ..publish.report import MARGIN_BITS

    margin = MARGIN_BITS if margin is None else float(margin)
    layers = list(range(1, int(hidden_layers) + 1))
    out = {f"n_{k}": str(compressing_layers(comp, p, layers, margin=margin))
           for k, p in [("tanh_none", "tanh none"), ("tanh_08", "tanh 0.8"), ("relu_none", "relu none"),
                        ("relu_08", "relu 0.8"), ("relu_04", "relu 0.4")]}
    hid = comp[comp.layer <= len(layers)]
    md = hid.groupby("point")["mean"].mean()
    out["n_hidden"] = str(len(layers))
    out["threshold_text"] = f"{margin:g}"
    out["tanh_curve"] = ", ".join(f"{p.split()[1]}: {md.get(p, np.nan):.3f}" for p in labels if p.startswith("tanh"))
    out["acc_text"] = accuracy_text(acc, labels, with_ci=True)
    for k, (a, b) in dict(dacc_tanh=("tanh 0.8", "tanh none"), dacc_relu=("relu 0.8", "relu none"),
                          dacc_relu04=("relu 0.4", "relu none")).items():
        out[k] = _ci_text(accuracy_change(acc, a, b))
    return out


def n_peaks(counts) -> int:
    """Local maxima of a histogram holding at least 1% of its counts (plateaus count once)."""
    c = np.asarray(counts, dtype=np.float64)
    pad = np.concatenate([[-1.0], c, [-1.0]])
    return int(((pad[1:-1] > pad[:-2]) & (pad[1:-1] >= pad[2:]) & (c > 0.01 * c.sum())).sum())


def histogram_peaks(hist: pd.DataFrame, *, layer: int, points: Sequence[str]) -> str:
    """Mean over seeds of :func:`n_peaks` of ``layer``'s histogram at the last snapshot, per point."""
    bins = [c for c in hist.columns if c.startswith("b")]
    last = hist[(hist.layer == layer) & (hist.epoch == hist.epoch.max())]
    peaks = last.assign(peaks=[n_peaks(r) for r in last[bins].to_numpy()]).groupby("point")["peaks"].mean()
    return ", ".join(f"{p}: {peaks.get(p, np.nan):.3f}" for p in points)


# ----------------------------------------------------------------------------- batch normalisation
def claims_batchnorm(comp: pd.DataFrame, acc: pd.DataFrame, *, activations: Sequence[str], hidden_layers: int,
                     n_seeds: int, epochs: int, max_norm: float = 0.7, bin_size: float = 0.07,
                     margin: float | None = None) -> list[dict]:
    """Claims rows of the batch-normalisation page (Deep Bottleneck cohort 8).

    The study listed the cohort without a result, so there is nothing to reproduce: every row
    states what was measured (hidden layers with a significant drop, :func:`compressing_layers`,
    without and with batch normalisation; the change of test accuracy) with the verdict
    "inconclusive" and a note saying why."""
    from ..publish.report import MARGIN_BITS

    margin = MARGIN_BITS if margin is None else float(margin)
    layers = list(range(1, int(hidden_layers) + 1))
    rows = []
    for a in activations:
        bn = f"{a} + BN"
        n = len(accuracy_change(acc, bn, a))
        rows.append(_claim_row(
            f"{a}: batch normalisation changes compression (max-norm {max_norm:g}, bins {bin_size:g})",
            "Deep Bottleneck cohort 8 (6.1)",
            "listed, no result published",
            f"hidden layers with a significant drop: without BN "
            f"{compressing_layers(comp, a, layers, margin=margin, significant=True)}, with BN "
            f"{compressing_layers(comp, bn, layers, margin=margin, significant=True)} of {len(layers)}; change of "
            f"test accuracy with BN "
            f"{_ci_text(accuracy_change(acc, bn, a))}", "inconclusive", n_seeds=min(n, n_seeds), epochs=epochs,
            study="batchnorm", note="no published result to compare with"))
    return rows


def batchnorm_summary(comp: pd.DataFrame, acc: pd.DataFrame, mi: pd.DataFrame, labels: Sequence[str], *,
                      hidden_layers: int, margin: float | None = None, n_probe: int = 4096) -> dict:
    """Glue values of the batch-normalisation page: compressing layers per setting (``nsig_text``),
    mean drops, accuracies, the hidden layers' mean I(X;T) at the last epoch (``ixt_text``) and
    ``ixt_sentence``, whether the normalised layers stay near ``log2(n_probe)`` bits (within 1 bit),
    written from those numbers."""
    from ..publish.report import MARGIN_BITS

    margin = MARGIN_BITS if margin is None else float(margin)
    layers = list(range(1, int(hidden_layers) + 1))
    hid = comp[comp.layer <= len(layers)]
    md = hid.groupby("point")["mean"].mean().reindex(list(labels))
    m = mi[(mi.epoch == mi.epoch.max()) & (mi.layer <= len(layers))]
    lastix = m.groupby("point")["ixt"].mean().reindex(list(labels))
    top = float(np.log2(n_probe))
    bn = [p for p in labels if p.endswith("+ BN")]
    plain = [p for p in labels if not p.endswith("+ BN")]
    bn_ix, plain_ix = float(lastix.reindex(bn).mean()), float(lastix.reindex(plain).mean())
    if not np.isfinite(bn_ix):
        sent = "No batch-normalised network was run."
    elif bn_ix >= top - 1:
        sent = (f"The normalised outputs spread over many bins, so the binned hidden layers of the batch-normalised "
                f"networks stay near the log2 {n_probe:,} = {top:g} bits of the input ({bn_ix:.3f} bits on average, "
                f"against {plain_ix:.3f} without normalisation).")
    else:
        sent = (f"The binned hidden layers of the batch-normalised networks end at {bn_ix:.3f} bits on average, "
                f"more than 1 bit below the log2 {n_probe:,} = {top:g} bits of the input (without normalisation: "
                f"{plain_ix:.3f}).")
    return dict(nsig_text=", ".join(f"{p}: {compressing_layers(comp, p, layers, margin=margin)}" for p in labels),
                n_hidden=str(len(layers)), threshold_text=f"{margin:g}",
                mean_drop_text=", ".join(f"{p}: {v:.3f}" for p, v in md.items()),
                acc_text=accuracy_text(acc, labels, with_ci=True),
                ixt_text=", ".join(f"{p}: {v:.3f}" for p, v in lastix.items()), ixt_sentence=sent)


# ----------------------------------------------------------------------------- architecture
def last_hidden(comp: pd.DataFrame, points: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    """Per point (in ``labels`` order): the compression row of its last hidden layer (the read-out
    for a network without hidden layers), with ``layer`` the layer's index."""
    import ast

    n_hidden = points.groupby("point")["layers"].first().map(lambda s: max(len(ast.literal_eval(str(s))), 1))
    last = comp[comp.layer == comp.point.map(n_hidden)].set_index("point").reindex(list(labels))
    return last


def _n_supported(rows: pd.DataFrame, *, margin: float, significant: bool = False) -> int:
    """Rows (of a compression summary) whose drop's interval lies above ``margin`` (or, with
    ``significant``, whose drop is significant by the rule book); rows without data count as not."""
    return int(sum(_counts(r, margin=margin, significant=significant) for _, r in rows.iterrows()))


def architecture_summary(last: pd.DataFrame, acc: pd.DataFrame, *, activations: Sequence[str], n_arch: int,
                         margin: float | None = None) -> dict:
    """Glue values of the architecture page: architectures whose last hidden layer compresses per
    activation (``n_relu``, ``n_tanh``; "(not run)" for one not run), the largest mean drop
    (``best_text``) and the range of final test accuracy."""
    from ..publish.report import MARGIN_BITS

    margin = MARGIN_BITS if margin is None else float(margin)
    out = dict(threshold_text=f"{margin:g}", n_arch=str(int(n_arch)))
    for a in ("relu", "tanh"):
        sub = last[[str(p).startswith(a + " ") for p in last.index]]
        k = _n_supported(sub, margin=margin)
        out[f"n_{a}"] = str(int(k)) if a in activations else "(not run)"
    means = last["mean"].astype(float)
    if means.notna().any():
        b = means.idxmax()
        out["best_text"] = f"{b}, {fmt_ci(last.loc[b, 'mean'], last.loc[b, 'ci_low'], last.loc[b, 'ci_high'])}"
    else:
        out["best_text"] = "n/a"
    a = acc.groupby("point")["accuracy"].mean().reindex(list(last.index))
    out.update(acc_min=f"{a.min():.3f}", acc_max=f"{a.max():.3f}", acc_min_arch=str(a.idxmin()) if a.notna().any()
               else "n/a")
    return out


def architecture_table(last: pd.DataFrame, acc: pd.DataFrame) -> pd.DataFrame:
    """Per architecture: compression of the last hidden layer with its interval, share of runs
    compressing and mean final test accuracy (rounded to 3 decimals)."""
    tab = last.reset_index()[["point", "layer", "n", "mean", "ci_low", "ci_high", "share_compressing"]]
    tab["test_accuracy"] = acc.groupby("point")["accuracy"].mean().reindex(tab.point).to_numpy()
    return tab.round(3)


def claims_architecture(last: pd.DataFrame, *, activations: Sequence[str], n_arch: int, noise_variance: float,
                        n_seeds: int, epochs: int, margin: float | None = None) -> list[dict]:
    """Claims rows of the architecture page (Deep Bottleneck cohort 6).

    The study published the configurations without a result, so every row states what was
    measured (architectures whose last hidden layer's drop is significant) with the verdict
    "inconclusive" and a note saying why."""
    from ..publish.report import MARGIN_BITS

    margin = MARGIN_BITS if margin is None else float(margin)
    rows = []
    for a in activations:
        sub = last[[str(p).startswith(a + " ") for p in last.index]]
        k = _n_supported(sub, margin=margin, significant=True)
        n = _min_n(sub["n"].dropna()) if len(sub) else 0
        rows.append(_claim_row(
            f"{a}: the architecture decides whether the last hidden layer compresses (KDE upper {noise_variance:g})",
            "Deep Bottleneck cohort 6 (6.1)", "listed, no result published",
            f"the last hidden layer's drop is significant in {k} of {int(n_arch)} architectures", "inconclusive",
            n_seeds=min(n, n_seeds), epochs=epochs, study="architecture", note="no published result to compare with"))
    return rows


# ----------------------------------------------------------------------------- estimator parameter
CLAIM_EST_INFLUENCE = "the bin size / noise variance heavily influences the outcome"
CLAIM_EST_LIKE = "the noise variance acts like the bin size"
CLAIM_EST_SMALL = "at the smallest bin size the layers do not differ in I(X;T)"


def tag_estimators(mi: pd.DataFrame) -> pd.DataFrame:
    """The MI table with each estimator's ``kind`` and parameter ``value`` (from its name)."""
    out = mi.copy()
    parts = out["estimator"].str.split()
    out["kind"], out["value"] = parts.str[0], parts.str[1].astype(float)
    return out


def estimator_drops(mi: pd.DataFrame, *, layer: int) -> pd.DataFrame:
    """Per estimator, point and seed: the cross-fitted drop of ``layer``'s I(X;T)
    (:func:`ibutils.stats.compression`), with the estimator's ``kind`` and parameter ``value``."""
    sub = mi[mi.layer == int(layer)]
    return tag_estimators(compression(sub, by=("estimator", "point", "seed", "layer")))


def crossfit_range(x) -> np.ndarray:
    """Per seed, how much the parameter moves a quantity, without the bias of picking the extremes.

    ``x`` has one row per seed and one column per parameter value. The seeds are split into two
    interleaved halves; on each half the values with the largest and smallest mean are located,
    and every seed of the *other* half contributes its own difference between those two columns.
    A quantity that does not depend on the parameter gives differences of mean 0 whatever the
    number of values (the plain spread of the means, max minus min, does not). Seeds of a half
    whose other half is empty get NaN."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    out = np.full(n, np.nan)
    idx = np.arange(n)
    halves = (idx % 2 == 0, idx % 2 == 1)
    for measure, locate in (halves, halves[::-1]):
        if not measure.any() or not locate.any():
            continue
        with np.errstate(all="ignore"):
            m = np.nanmean(x[locate], axis=0)
        if not np.isfinite(m).any():
            continue
        hi, lo = int(np.nanargmax(m)), int(np.nanargmin(m))
        out[measure] = x[measure, hi] - x[measure, lo]
    return out


def claims_estimators(drops: pd.DataFrame, mi: pd.DataFrame, *, values: Sequence[float], points: Sequence[str],
                      hidden_layers: int, n_seeds: int, epochs: int, margin: float | None = None) -> list[dict]:
    """Claims rows of the estimator-parameter page (Deep Bottleneck 9.5, cohorts 1 and 3).

    Parameters
    ----------
    drops : :func:`estimator_drops` of the last hidden layer.
    mi : the sweep's MI table (for the layers' I(X;T) at the last epoch).
    values : the parameter values; points : the run configurations.

    Rules (:mod:`ibutils.publish.report`, margin 0.1 bit):

    * "heavily influences the outcome": in every (estimator kind, configuration) the parameter
      moves the drop of the last hidden layer, measured per seed by :func:`crossfit_range`;
      :func:`verdict_all` over those units.
    * "acts like the bin size": a claim that binning and the upper bound do *not* differ, per
      (value, configuration) the per-seed difference of their drops, either sign;
      :func:`verdict_none`.
    * "at the smallest bin size the layers do not differ": per configuration and hidden layer
      ``l > 1``, the per-seed difference of binned I(X;T) at the last epoch between layer ``l``
      and layer 1, either sign; :func:`verdict_none`.
    """
    from ..publish.report import MARGIN_BITS, verdict_all, verdict_none

    margin = MARGIN_BITS if margin is None else float(margin)
    values = [float(v) for v in values]
    src = "Deep Bottleneck 9.5, cohorts 1/3"
    rows = []
    # 1. influence of the parameter
    effs, ns, best = [], [], []
    for k in ESTIMATOR_KINDS:
        for p in points:
            d = drops[(drops.kind == k) & (drops.point == p)]
            x = d.pivot(index="seed", columns="value", values="drop").reindex(columns=values)
            e, mci, n = _unit_effect(crossfit_range(x.to_numpy()) if len(x) else [], margin=margin)
            effs.append("unclear" if e == "opposes" else e)
            ns.append(n)
            best.append((mci[0], f"{k}, {p}: {fmt_ci(*mci)}"))
    shown = [t for m, t in sorted(best, key=lambda b: -b[0] if np.isfinite(b[0]) else np.inf)][:3]
    rows.append(_claim_row(
        CLAIM_EST_INFLUENCE, src, "'heavily influences the outcome' (5 runs per cell, no number)",
        f"the parameter moves the last hidden layer's drop significantly in {effs.count('supports')} of {len(effs)} "
        f"(estimator, configuration) pairs; largest cross-fitted changes (bits, 95% CI): {'; '.join(shown)}",
        verdict_all(effs) if effs else "inconclusive", n_seeds=min(_min_n(ns), n_seeds), epochs=epochs,
        study="estimators"))
    # 2. noise variance like bin size
    effs, ns, diff = [], [], []
    for v in values:
        for p in points:
            b = drops[(drops.kind == "binning") & (drops.value == v) & (drops.point == p)].set_index("seed")["drop"]
            u = drops[(drops.kind == "upper") & (drops.value == v) & (drops.point == p)].set_index("seed")["drop"]
            e, mci, n = _unit_effect((b - u).dropna(), margin=margin, two_sided=True)
            effs.append(e)
            ns.append(n)
            diff.append(e == "supports")
    rows.append(_claim_row(
        CLAIM_EST_LIKE, "Deep Bottleneck 9.5", "'in a very similar manner like the binsize'",
        f"binning and the upper bound differ significantly in the last hidden layer's drop in {sum(diff)} of "
        f"{len(diff)} (value, configuration) cells; equivalent within {margin:g} bit in "
        f"{effs.count('excludes')}", verdict_none(effs) if effs else "inconclusive",
        n_seeds=min(_min_n(ns), n_seeds), epochs=epochs, study="estimators",
        note="the bounds use a subset of the patterns"))
    # 3. no difference between layers at the smallest bin size
    vmin = min(values) if values else np.nan
    est = f"binning {vmin:g}"
    fin = mi[(mi.estimator == est) & (mi.epoch == mi.epoch.max()) & (mi.layer <= int(hidden_layers))]
    effs, ns, worst = [], [], []
    for p in points:
        w = fin[fin.point == p].pivot(index="seed", columns="layer", values="ixt")
        for l in range(2, int(hidden_layers) + 1):
            d = (w[l] - w[1]).dropna() if (l in w and 1 in w) else []
            e, mci, n = _unit_effect(d, margin=margin, two_sided=True)
            effs.append(e)
            ns.append(n)
            worst.append((abs(mci[0]) if np.isfinite(mci[0]) else -1, f"{p}, layer {l} - layer 1: {fmt_ci(*mci)}"))
    top = max(worst)[1] if worst else "n/a"
    rows.append(_claim_row(
        CLAIM_EST_SMALL, "Deep Bottleneck 9.5", "no difference over the different layers (bin size 1e-5)",
        f"bins of {vmin:g}: layers differ significantly from layer 1 in {effs.count('supports')} of {len(effs)} "
        f"(configuration, layer) pairs; largest difference (bits, 95% CI): {top}",
        verdict_none(effs) if effs else "inconclusive", n_seeds=min(_min_n(ns), n_seeds), epochs=epochs,
        study="estimators"))
    return rows


def estimator_tables(drops: pd.DataFrame, specs: Sequence[Mapping[str, Any]], points: Sequence[str]):
    """``(comp, heat, lo)``: the per-estimator, per-point summary of the drop (mean, 95% interval,
    n) and its mean and lower end as (estimator x point) tables in the order of ``specs``."""
    comp = summarize(drops, ["estimator", "point", "layer"], "drop")
    share = drops.groupby(["estimator", "point", "layer"])["compresses"].mean().rename("share_compressing")
    comp = comp.merge(share.reset_index(), on=["estimator", "point", "layer"])
    order = [s["name"] for s in specs]
    heat = comp.pivot(index="estimator", columns="point", values="mean").reindex(order)[list(points)]
    lo = comp.pivot(index="estimator", columns="point", values="ci_low").reindex(order)[list(points)]
    return comp, heat, lo


def estimators_summary(comp: pd.DataFrame, heat: pd.DataFrame, mi: pd.DataFrame, *, values: Sequence[float],
                       hidden_layers: int, kde_samples: int | None, n_probe: int = 4096,
                       margin: float | None = None) -> dict:
    """Glue values of the estimator page: significant cells (``n_sig`` of ``n_cells``), the spread
    of the mean drop across the parameter (``max_spread``, ``med_spread``, plain max minus min of
    means, descriptive), the spread of the hidden layers' mean I(X;T) at the last epoch at the
    smallest and a middle parameter, and ``small_sentence``, whether at the smallest parameter
    every layer is near ``log2 N``, written from the numbers."""
    from ..publish.report import MARGIN_BITS

    margin = MARGIN_BITS if margin is None else float(margin)
    values = [float(v) for v in values]
    sig = [_above(r, margin=margin) for _, r in comp.iterrows()]
    spread = []
    for k in ESTIMATOR_KINDS:
        sub = heat.reindex([f"{k} {v:g}" for v in values])
        spread += list((sub.max() - sub.min()).to_numpy())
    fin = mi[(mi.epoch == mi.epoch.max()) & (mi.layer <= int(hidden_layers))]

    def layer_means(est):
        return fin[fin.estimator == est].groupby("layer")["ixt"].mean()

    def spread_of(est):
        m = layer_means(est)
        return float(m.max() - m.min()) if len(m) else np.nan

    vmin = min(values)
    mid = 0.1 if 0.1 in values else values[len(values) // 2]
    n_kde = int(kde_samples) if kde_samples else n_probe
    mb, mu = layer_means(f"binning {vmin:g}"), layer_means(f"upper {vmin:g}")
    near = (len(mb) and (mb >= np.log2(n_probe) - margin).all(), len(mu) and (mu >= np.log2(n_kde) - margin).all())
    if all(near):
        s = (f"At the smallest parameter ({vmin:g}) every state is its own bin: every hidden layer's mean I(X;T) at "
             f"the last epoch is within {margin:g} bit of log2 N, for binning (N = {n_probe:,}) and for the upper "
             f"bound (N = {n_kde:,}).")
    else:
        which = [n for n, ok in zip(("binning", "the upper bound"), near) if not ok]
        s = (f"At the smallest parameter ({vmin:g}) not every hidden layer's mean I(X;T) at the last epoch is within "
             f"{margin:g} bit of log2 N for {' and '.join(which)}: some layers map distinct patterns to the same "
             f"state.")
    with np.errstate(all="ignore"):
        return dict(threshold_text=f"{margin:g}", n_sig=str(int(sum(sig))), n_cells=str(len(sig)),
                    max_spread=f"{np.nanmax(spread):.3f}" if np.isfinite(spread).any() else "n/a",
                    med_spread=f"{np.nanmedian(spread):.3f}" if np.isfinite(spread).any() else "n/a",
                    spread_small=f"{spread_of(f'binning {vmin:g}'):.3f}",
                    spread_small_kde=f"{spread_of(f'upper {vmin:g}'):.3f}",
                    spread_mid=f"{spread_of(f'binning {mid:g}'):.3f}", mid_text=f"{mid:g}", vmin_text=f"{vmin:g}",
                    small_sentence=s)


# ----------------------------------------------------------------------------- the overview page
#: The chapter's sweeps, in the order of the overview.
SWEEPS = ["plane_bias", "plane_weightnorm", "plane_batchnorm", "plane_architecture", "plane_estimators"]
#: The sweeps measured with bins of width 0.07 (their compression tables are comparable).
BINNED_SWEEPS = ("plane_bias", "plane_weightnorm", "plane_batchnorm")


def found_summary(claims: pd.DataFrame | None) -> dict:
    """Which sweeps' results the overview found, from their stacked claims tables (column
    ``setting``, :func:`ibutils.publish.page.read_tables`): glue values ``n_found``, ``n_sweeps``,
    ``missing`` and ``found_text`` (one sentence)."""
    have = set() if claims is None else set(claims["setting"])
    found = [s for s in SWEEPS if s in have]
    text = (f"Results found for {len(found)} of {len(SWEEPS)} sweeps." if found else
            "The sweeps' results were not found: run `python -m ibutils run params/plane_*.yaml` first; the "
            "tables below are then empty.")
    return dict(n_found=str(len(found)), n_sweeps=str(len(SWEEPS)),
                missing=", ".join(s for s in SWEEPS if s not in have) or "none", found_text=text)


def claims_frame(claims: pd.DataFrame | None) -> pd.DataFrame:
    """The stacked claims tables in the rule book's columns (empty when none was found)."""
    from ..publish.report import COLUMNS

    return pd.DataFrame(columns=COLUMNS) if claims is None else claims.reindex(columns=COLUMNS)


def runs_table(points: pd.DataFrame | None) -> pd.DataFrame:
    """Per sweep: settings, seeds per setting (fewest and most) and runs, from the stacked points tables
    (:func:`ibutils.publish.page.read_tables` of ``"points"``)."""
    cols = ["sweep", "settings", "seeds_min", "seeds_max", "runs"]
    if points is None or points.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for s, p in points.groupby("setting", sort=False):
        per = p.groupby("point").size()
        rows.append(dict(sweep=s, settings=int(p.point.nunique()), seeds_min=int(per.min()), seeds_max=int(per.max()),
                         runs=int(len(p))))
    return pd.DataFrame(rows, columns=cols)


def seeds_text(runs: pd.DataFrame) -> str:
    """How many seeds per setting the sweeps ran, in words from :func:`runs_table`."""
    if runs.empty:
        return "several seeds (each page states how many)"
    lo, hi = int(runs.seeds_min.min()), int(runs.seeds_max.max())
    return f"{lo} seed{'s' if lo != 1 else ''}" if lo == hi else f"{lo} to {hi} seeds"


def scale_table(claims: pd.DataFrame) -> pd.DataFrame:
    """Per chapter page: its scale against the study's in words (:func:`ibutils.publish.report.scale_words`),
    from the seeds and epochs its claims rows record."""
    from ..publish.report import scale_words

    cols = ["chapter", "scale"]
    if claims is None or claims.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for ch, g in claims.groupby("chapter", sort=False):
        r = g.iloc[0]
        num = [None if pd.isna(r[c]) else int(r[c]) for c in ("n_seeds", "epochs", "study_seeds", "study_epochs")]
        if num[0] is None or num[1] is None:
            continue
        rows.append(dict(chapter=ch, scale=scale_words(str(r["profile"]), n_seeds=num[0], epochs=num[1],
                                                       study_seeds=num[2], study_epochs=num[3])))
    return pd.DataFrame(rows, columns=cols)


def last_layer_table(comp: pd.DataFrame | None) -> pd.DataFrame:
    """Compression of the last hidden layer per setting of the binned sweeps, from their stacked
    ``compression`` tables (column ``setting``)."""
    cols = ["sweep", "point", "n", "mean", "ci_low", "ci_high", "share_compressing"]
    if comp is None or comp.empty:
        return pd.DataFrame(columns=cols)
    parts = []
    for s, c in comp.groupby("setting", sort=False):
        L = int(c.layer.max())
        parts.append(c[c.layer == L - 1].assign(sweep=s)[cols])
    return pd.concat(parts, ignore_index=True)


def n_compressing(last: pd.DataFrame, *, margin: float | None = None) -> int:
    """Rows of :func:`last_layer_table` whose drop's 95% interval lies above ``margin``."""
    from ..publish.report import MARGIN_BITS

    margin = MARGIN_BITS if margin is None else float(margin)
    return _n_supported(last, margin=margin)


def verdict_counts(claims: pd.DataFrame) -> str:
    """``"reproduced: 2, inconclusive: 5"`` over the claims rows (``"no claims found"`` when empty)."""
    if claims is None or claims.empty:
        return "no claims found"
    from ..publish.report import VERDICTS

    counts = claims.verdict.value_counts()
    return ", ".join(f"{v}: {int(counts[v])}" for v in VERDICTS if v in counts)


def headline(claims: pd.DataFrame | None, frozen: pd.DataFrame | None, last: pd.DataFrame | None,
             est_comp: pd.DataFrame | None) -> str:
    """The overview's conclusion, written from the pages' saved tables.

    Says how often ReLU networks started with a negative bias froze (``frozen``, the bias page's
    :func:`frozen_runs`), how far the estimator's parameter moves the last hidden layer's mean drop
    (spread of the means over the parameter values per estimator kind and configuration, from the
    estimator page's ``compression`` table) against the spread over the training settings of the
    binned sweeps (``last``, :func:`last_layer_table`), and the verdicts."""
    parts = []
    if frozen is not None and not frozen.empty:
        b = pd.to_numeric(frozen.point.str.split().str[-1], errors="coerce")
        relu = frozen.point.str.startswith("relu ")
        neg = frozen[relu & (b < 0)]
        big = frozen[relu & (b >= LARGE_BIAS)]
        s = []
        if len(neg):
            s.append(f"{int(neg.frozen.sum())} of {len(neg)} runs with a negative bias")
        if len(big):
            s.append(f"{int(big.frozen.sum())} of {len(big)} with a bias of {LARGE_BIAS:g} or more")
        if s:
            parts.append("Frozen ReLU networks (no hidden layer's I(X;T) moves): " + " and ".join(s) + ".")
    if est_comp is not None and not est_comp.empty and last is not None and not last.empty:
        e = est_comp.copy()
        e["kind"] = e.estimator.str.split().str[0]
        sp_est = e.groupby(["kind", "point"])["mean"].agg(lambda v: v.max() - v.min())
        sp_train = last.groupby("sweep")["mean"].agg(lambda v: v.max() - v.min())
        a, t = float(sp_est.median()), float(sp_train.median())
        cmp = "more than" if a > t + 0.05 else ("less than" if a < t - 0.05 else "about as much as")
        parts.append(f"Across its values, the estimator's parameter moves the last hidden layer's mean compression by "
                     f"{a:.3f} bits (median over estimators and configurations; largest {float(sp_est.max()):.3f}), "
                     f"{cmp} the training settings within a binned sweep do ({t:.3f} bits, median over the sweeps; "
                     f"largest {float(sp_train.max()):.3f}); these are spreads of means, which noise alone makes "
                     f"positive.")
    if claims is not None and not claims.empty:
        parts.append(f"Verdicts of the chapter's {len(claims)} claims: {verdict_counts(claims)}.")
    if not parts:
        return "No sweep results were found, so this overview states no finding."
    return " ".join(parts)


# ----------------------------------------------------------------------------- the pages' figures
def dead_figure(dead: pd.DataFrame, labels: Sequence[str], *, hidden_layers: int,
                show: Sequence[str] = ("relu 0", "relu 0.2", "relu 1", "relu 2")):
    """Dead-unit fraction per hidden layer at the last probe epoch per point (left, mean with 95%
    CI), and against epoch, averaged over the hidden layers, for the points ``show`` (right)."""
    import matplotlib.pyplot as plt

    labels = list(labels)
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.6), layout="constrained")
    dl = dead[dead.epoch == dead.epoch.max()]
    for l in range(1, int(hidden_layers) + 1):
        c = dl[dl.layer == l].set_index("point").reindex(labels)
        x = np.arange(len(labels)) + (l - (hidden_layers + 1) / 2) * 0.1
        axes[0].errorbar(x, c["mean"], yerr=[c["mean"] - c.ci_low, c.ci_high - c["mean"]], fmt="o", ms=3, capsize=2,
                         label=f"layer {l}")
    axes[0].set_xticks(np.arange(len(labels)), labels, rotation=45, ha="right", fontsize=8)
    axes[0].set_ylabel("dead fraction (last epoch)")
    axes[0].legend(fontsize=7)
    for i, p in enumerate([q for q in show if q in labels]):
        g = dead[(dead.point == p) & (dead.layer <= hidden_layers)].groupby("epoch")["mean"].mean()
        axes[1].plot(g.index, g.values, color=f"C{i}", label=p)
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel(f"dead fraction (mean of layers 1-{int(hidden_layers)})")
    axes[1].legend(fontsize=7)
    return fig


def curves_figure(mi: pd.DataFrame, *, points: Sequence[str], layer: int, estimator: str, mark: int | None = None):
    """I(X;T) of ``layer`` against epoch, mean over seeds with 95% bands, one line per point."""
    import matplotlib.pyplot as plt

    from .. import plots as _plots

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for i, p in enumerate(points):
        s = summarize(mi[(mi.point == p) & (mi.layer == layer) & (mi.estimator == estimator)], "epoch", "ixt")
        ax.plot(s.epoch, s["mean"], color=f"C{i}", label=p)
        _plots.band(ax, s.epoch, s, f"C{i}", quantity="ixt", alpha=0.2)  # clipped at 0 bits, none below 3 seeds
    if mark is not None:
        ax.axvline(int(mark), color="k", ls=":", lw=0.8)
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"I(X;T) of layer {layer} [bits]")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def minimal_figure(msw: pd.DataFrame):
    """Entropy of ``f(wX + b)`` against the weight, one line per bias, ReLU and tanh side by side."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), sharey=True)
    for ax, a in zip(axes, ("relu", "tanh")):
        for i, (b, g) in enumerate(msw[msw.activation == a].groupby("bias")):
            ax.plot(g.w, g.entropy, color=f"C{i}", label=f"b = {b:g}")
        ax.set_title(panel_title(a))
        ax.set_xlabel("w")
    axes[0].set_ylabel("H(T) [bits]")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def histogram_figure(hist: pd.DataFrame, points_table: pd.DataFrame, *, layer: int, show: Sequence[str]):
    """Activation histograms of ``layer`` against snapshot epoch (log counts), first seed of each point;
    at most 3 panels a row, one colour bar."""
    from matplotlib.colors import Normalize

    from ..plots import panel_grid

    bins = [c for c in hist.columns if c.startswith("b")]
    show = list(show)
    fig, axes = panel_grid(max(len(show), 1), panel=(3.0, 2.8), extra_width=0.8)
    imgs = []
    for p in show:
        s0 = points_table[points_table.point == p].seed.min()
        imgs.append(hist[(hist.seed == s0) & (hist.layer == layer)].sort_values("epoch"))
    vmax = max([float(np.log1p(h[bins].to_numpy()).max()) for h in imgs if len(h)] + [1.0])
    im = None
    for ax, p, h in zip(axes, show, imgs):
        im = ax.imshow(np.log1p(h[bins].to_numpy().T), origin="lower", aspect="auto", cmap="viridis",
                       norm=Normalize(0.0, vmax))
        if len(h):
            ticks = np.linspace(0, len(h) - 1, 4).astype(int)
            ax.set_xticks(ticks, h.epoch.to_numpy()[ticks])
        ax.set_title(panel_title(p), fontsize=9)
        ax.set_xlabel("snapshot epoch")
        ax.set_ylabel("bin (own range)")
    if im is not None:
        fig.colorbar(im, ax=axes, label="log(1 + count)", shrink=0.9)
    return fig


def last_drop_figure(last: pd.DataFrame, *, threshold: float):
    """Drop of the last hidden layer's I(X;T) per architecture, mean with 95% CI."""
    import matplotlib.pyplot as plt

    labels = list(last.index)
    fig, ax = plt.subplots(figsize=(10, 3.6))
    x = np.arange(len(labels))
    ax.errorbar(x, last["mean"], yerr=[last["mean"] - last.ci_low, last.ci_high - last["mean"]], fmt="o", capsize=2)
    ax.axhline(threshold, color="k", ls=":", lw=0.8)
    ax.set_xticks(x, labels, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("drop of I(X;T), last hidden layer [bits]")
    fig.tight_layout()
    return fig


def estimator_grid(mi: pd.DataFrame, *, point: str, values: Sequence[float], kinds: Sequence[str] = ESTIMATOR_KINDS):
    """Information planes of one configuration, one panel per estimator kind and parameter value
    (kinds in turn, values in order), at most 3 a row, ONE epoch colour bar, titles in words."""
    from ..plots import planes_grid

    sub = mi[mi.point == point].drop(columns="point")
    frames = [(f"{k} {v:g}", sub[sub.estimator == f"{k} {v:g}"]) for k in kinds for v in values]
    return planes_grid(frames, share=False)


def heatmap_figure(heat: pd.DataFrame, lo: pd.DataFrame):
    """Mean drop per estimator setting (rows) and configuration (columns), annotated with the
    mean and the lower end of its 95% interval."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2.0 + 1.6 * heat.shape[1], 0.42 * heat.shape[0] + 1.2))
    vals = heat.to_numpy(dtype=np.float64)
    vmax = float(np.nanmax(np.abs(vals))) if np.isfinite(vals).any() else 1.0
    im = ax.imshow(vals, cmap="RdBu_r", vmin=-(vmax or 1.0), vmax=vmax or 1.0, aspect="auto")
    for i in range(heat.shape[0]):
        for j in range(heat.shape[1]):
            ax.text(j, i, f"{heat.iat[i, j]:.2f} [{lo.iat[i, j]:.2f}]", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(heat.shape[1]), list(heat.columns))
    ax.set_yticks(range(heat.shape[0]), list(heat.index), fontsize=8)
    fig.colorbar(im, ax=ax, label="drop of I(X;T) [bits]")
    fig.tight_layout()
    return fig


def glue_all(values: Mapping[str, Any]) -> None:
    """``myst_nb.glue(key, value, display=False)`` for every item (a page's glue values at once)."""
    from myst_nb import glue

    for k, v in values.items():
        glue(k, v, display=False)
