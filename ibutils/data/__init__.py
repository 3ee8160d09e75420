"""Data loaders (library layer): Tishby's 12-bit harmonics set, MNIST, Cora and the names corpus.

One module a data set; :mod:`ibutils.data.files` finds every file (``IBUTILS_DATA_DIR``, then the
user cache, then a checksummed download, else :class:`DataNotFoundError` naming the file and
where to put it); :mod:`ibutils.data.generate` regenerates the 12-bit set.
"""
from .cora import load_cora
from .files import (
    DATA_DIR_ENV,
    OFFLINE_ENV,
    REGISTRY,
    ChecksumError,
    DataNotFoundError,
    Dataset,
    FetchedFile,
    RemoteFile,
    cache_dir,
    data_dir,
    fetch,
)
from .harmonics import compare_with_original, load_harmonics, load_var_u
from .mnist import load_mnist, read_idx
from .names import load_names

__all__ = ["DATA_DIR_ENV", "OFFLINE_ENV", "DataNotFoundError", "ChecksumError", "RemoteFile", "REGISTRY",
           "FetchedFile", "Dataset", "data_dir", "cache_dir", "fetch", "load_var_u", "load_harmonics",
           "compare_with_original", "load_mnist", "read_idx", "load_cora", "load_names"]
