"""ibutils: the code behind the information-bottleneck replication book.

Three layers; each imports only what its line says (``tests/test_layers.py`` checks it):

* **library**, imports only the library: :mod:`ibutils.data` (loaders and the checksummed fetch
  chain), :mod:`ibutils.nets` (Keras reference models and the stacked-replica trainer
  :func:`~ibutils.nets.train_ensemble` with its snapshot hooks), :mod:`ibutils.mi` (one estimator a
  module; the protocol in :mod:`ibutils.mi.base`), :mod:`ibutils.stats`, :mod:`ibutils.plots`,
  :mod:`ibutils.activations`, :mod:`ibutils.ib` and :mod:`ibutils.quiet`.
* **studies**, :mod:`ibutils.studies`: one module per notebook family, importing the library and
  :mod:`ibutils.publish` but no other study (what several share is in ``studies/_protocols``).
* **publish**, :mod:`ibutils.publish` and the CLI (``python -m ibutils``): the params schema, the
  papermill pipeline, what a page calls (save/read tables, glue a mean with its CI) and the
  verdict rule book; imports neither the library nor the studies.

This module imports no ``ibutils`` module, so every layer may import it. A notebook imports its own
study, the library and :mod:`ibutils.publish`, and defines no function.

Naming rule: page family = study module = params prefix = test file; ``notebooks/<family>_*.ipynb``
has its code in ``ibutils/studies/<family>.py``, its settings in ``params/<family>_*.yaml`` and its
tests in ``tests/studies/test_<family>.py``.

Measurement protocol: an estimator is a pure ``f(T, y) -> MIPair`` (``T`` of shape ``(R, N, d)``,
bits) that never learns layer, epoch or seed; ``Measure(f, layers="all" | "hidden" | (1, 3))``
says which layers it sees. What needs to know where an activity comes from is a snapshot hook,
``on_snapshot(Snapshot)`` / ``table()``, which the trainer calls for every layer of every snapshot,
also when no replica is finite. The MI table holds estimators only; everything else is a hook table.
"""
from __future__ import annotations

import os

# TensorFlow's start-up chatter (CUDA probing, oneDNN notices) would end up in
# notebook outputs and break nbval's comparison; keep it quiet unless asked.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _xla_cache_dir() -> str | None:
    """Where TensorFlow keeps the XLA programs it compiled (``IBUTILS_XLA_CACHE``; ``off`` for none).

    Every ``jit_compile=True`` program (the trainer's chunk, the KDE kernels) is compiled afresh in
    each new process, 10-15 CPU-seconds for the small networks of the book, which is most of a quick
    page. TensorFlow's persistent compilation cache (the ``--tf_xla_persistent_cache_directory``
    flag of ``TF_XLA_FLAGS``) stores the compiled executables by a fingerprint of the program, so a
    page, test or rerun with the same shapes loads them instead; the executable is the same, and so
    are the numbers. Default: ``$XDG_CACHE_HOME/ibutils/xla`` (``~/.cache/ibutils/xla``).
    """
    where = os.environ.get("IBUTILS_XLA_CACHE")
    if where is not None:
        return None if where.strip().lower() in ("", "off", "0", "none") else os.path.abspath(os.path.expanduser(where))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ibutils", "xla")


_cache = _xla_cache_dir()
if _cache and "tf_xla_persistent_cache_directory" not in os.environ.get("TF_XLA_FLAGS", ""):
    # Read by TensorFlow when it first compiles, so setting it before any XLA program runs suffices.
    os.environ["TF_XLA_FLAGS"] = f"{os.environ.get('TF_XLA_FLAGS', '')} --tf_xla_persistent_cache_directory={_cache}".strip()
del _cache

__version__ = "0.1.0"
