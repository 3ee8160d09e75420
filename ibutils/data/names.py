"""The char-RNN tutorial's surnames by language (PyTorch tutorials, ``data/names``)."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from .files import (
    NAMES_SHA256,
    fetch,
)

logger = logging.getLogger(__name__)

def load_names(*, download: bool | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The char-RNN tutorial's surnames by language (PyTorch tutorials, ``data/names``).

    Returns
    -------
    names : numpy.ndarray
        ``str`` array of the 20,074 names (file order, languages alphabetical).
    labels : numpy.ndarray
        ``int64`` index into ``languages``.
    languages : list of str
        The 18 languages, alphabetical.
    """
    languages = sorted(NAMES_SHA256)
    names: list[str] = []
    labels: list[np.ndarray] = []
    for i, lang in enumerate(languages):
        file = fetch(f"names/{lang}.txt", download=download)
        lines = [s.strip() for s in Path(file.path).read_text(encoding="utf-8").splitlines()]
        lines = [s for s in lines if s]
        names += lines
        labels.append(np.full(len(lines), i, dtype=np.int64))
    return np.array(names), np.concatenate(labels), languages


__all__ = ["load_names"]
