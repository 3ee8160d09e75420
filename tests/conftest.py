import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def data_dir():
    """The real data folder (CI sets IBUTILS_DATA_DIR=../shared/data)."""
    path = os.environ.get("IBUTILS_DATA_DIR")
    if not path or not Path(path).is_dir():
        pytest.skip("IBUTILS_DATA_DIR is not set to the data folder")
    return Path(path)
