"""Mutual-information estimators (all results in bits); one estimator a module.

``binning`` (Shwartz-Ziv & Tishby 2017; Saxe et al. 2018; adaptive, Chelombiev et al.
2019), ``kde`` (Kolchinsky & Tracey 2017 bounds), ``ksg`` (Kraskov et al. 2004),
``edge`` (Noshad et al. 2019), ``weighted_binning`` (Deep Bottleneck, sec. 9.2), ``kde_sparse``
(the KDE bounds on neighbour pairs), ``kde_bank`` (several KDE bounds from one distance pass), ``kde_wide`` (blocked float32 distances
for very wide layers, the concat/mean methods of CNN layers and seed 004's sigma^2 heuristic),
``ranged`` (bins on each replica's run maximum, Rasmussen 2020), ``exact`` (distinct raw layer
vectors, seed 002 section 0.1), ``batching`` (pooled epochs, seed 002 section 0.2.6), the
plug-in entropy helpers of :mod:`ibutils.mi.entropy`, the estimator protocol of
:mod:`ibutils.mi.base` and the params-file spec parser of :mod:`ibutils.mi.specs`.
"""
from .base import Measure, as_measure, on_rows
from .batching import BatchingMI, batching_binning, batching_mi, uniform_codes
from .binning import binning
from .edge import edge
from .entropy import (
    MIPair,
    binned_entropy_rows,
    discrete_entropy,
    entropy_from_counts,
    entropy_of_ids,
    pattern_entropy,
    pattern_mi,
    row_ids,
    stacked_row_ids,
    uniform_edges,
)
from .exact import count_distinct, distinct_rows, exact_mi, exact_row_ids
from .kde import kde
from .kde_bank import KDEBank, estimator_name, kde_multi
from .kde_sparse import kde_sparse
from .kde_wide import kde_channels, kde_from_dists, kde_wide, pairwise_sq_dists, sigma2_heuristic
from .ksg import ksg
from .ranged import RunMaxBinning
from .specs import EstimatorSpec, make_estimators, parse_specs
from .weighted import WeightedBinning, binned_joint_entropy, weighted_binning, weighted_binning_example

__all__ = [
    "MIPair",
    "Measure",
    "as_measure",
    "on_rows",
    "binning",
    "kde",
    "ksg",
    "edge",
    "weighted_binning",
    "weighted_binning_example",
    "WeightedBinning",
    "binned_joint_entropy",
    "pattern_mi",
    "pattern_entropy",
    "row_ids",
    "stacked_row_ids",
    "entropy_of_ids",
    "entropy_from_counts",
    "discrete_entropy",
    "uniform_edges",
    "binned_entropy_rows",
    "kde_sparse",
    "kde_wide",
    "kde_channels",
    "kde_from_dists",
    "pairwise_sq_dists",
    "sigma2_heuristic",
    "kde_multi",
    "KDEBank",
    "estimator_name",
    "RunMaxBinning",
    "exact_mi",
    "exact_row_ids",
    "count_distinct",
    "distinct_rows",
    "BatchingMI",
    "batching_mi",
    "batching_binning",
    "uniform_codes",
    "EstimatorSpec",
    "parse_specs",
    "make_estimators",
]
