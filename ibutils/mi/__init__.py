"""Mutual-information estimators (all results in bits); one estimator a module.

``binning`` (Shwartz-Ziv & Tishby 2017; Saxe et al. 2018; adaptive, Chelombiev et al.
2019), ``kde`` (Kolchinsky & Tracey 2017 bounds), ``ksg`` (Kraskov et al. 2004),
``edge`` (Noshad et al. 2019), ``weighted_binning`` (Deep Bottleneck, sec. 9.2), and the
plug-in entropy helpers of :mod:`ibutils.mi.entropy`.
"""
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
from .kde import kde
from .ksg import ksg
from .weighted import WeightedBinning, binned_joint_entropy, weighted_binning, weighted_binning_example

__all__ = [
    "MIPair",
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
]
