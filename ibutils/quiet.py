"""Keep TensorFlow's native start-up lines out of notebook outputs.

TensorFlow's C++ runtime (absl, oneDNN, CUDA probing) writes straight to file
descriptor 2, which a Jupyter kernel forwards into the notebook; nbval would then see
outputs that differ between machines. :func:`quiet` points fd 2 at ``/dev/null`` for
a block (Python exceptions still propagate) and optionally filters Python warnings.
"""
from __future__ import annotations

import contextlib
import os
import sys
import warnings


@contextlib.contextmanager
def quiet(ignore_warnings: bool | str = False):
    """Silence native stderr inside the block.

    Parameters
    ----------
    ignore_warnings : bool or str
        ``True`` ignores every Python warning in the block; a string ignores the
        warnings whose message starts with it; ``False`` leaves warnings alone.
    """
    with warnings.catch_warnings():
        if ignore_warnings is True:
            warnings.simplefilter("ignore")
        elif ignore_warnings:
            warnings.filterwarnings("ignore", message=str(ignore_warnings))
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):  # no real fd 2 (some embedded interpreters)
            yield
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
