"""Networks (library layer): Keras reference models, the keyed batch order, the compiled engine and
the stacked-replica ensemble trainer with its snapshot hooks and schedules.

:func:`train_ensemble` trains many seeds of one fully connected network at once (one XLA program);
:mod:`ibutils.nets.models` holds the Keras models it is checked against.
"""
from .engine import MAX_CHUNK
from .ensemble import MAX_STORED, train_ensemble
from .order import batch_order
from .result import TrainResult

__all__ = ["train_ensemble", "TrainResult", "batch_order", "MAX_CHUNK", "MAX_STORED"]
