"""ibutils: the code behind the information-bottleneck replication book.

Modules (one concept each): :mod:`ibutils.activations`, :mod:`ibutils.data`,
:mod:`ibutils.models`, :mod:`ibutils.train`, :mod:`ibutils.mi`,
:mod:`ibutils.minimal`, :mod:`ibutils.stats`, :mod:`ibutils.plots`,
:mod:`ibutils.params` and :mod:`ibutils.pipeline`.
"""
from __future__ import annotations

import os

# TensorFlow's start-up chatter (CUDA probing, oneDNN notices) would end up in
# notebook outputs and break nbval's comparison; keep it quiet unless asked.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"
