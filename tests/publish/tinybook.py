"""A miniature book for the publish tests: one parameterised notebook and its params file."""
from pathlib import Path

import nbformat
import yaml


def write_params(root: Path, spec: dict, name: str = "tiny") -> Path:
    path = root / "params" / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def tagged_cell(source: str, tag: str) -> nbformat.NotebookNode:
    """A code cell carrying one tag (``parameters``, ``remove-input``, ...)."""
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = [tag]
    return cell


def tiny_book(root: Path, cells: list, spec: dict) -> Path:
    """``root/notebooks/tiny.ipynb`` holding ``cells`` (nbformat cells; strings become code cells) and
    ``root/params/tiny.yaml`` holding ``spec``. Returns ``root``."""
    (root / "notebooks").mkdir()
    (root / "params").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(c) if isinstance(c, str) else c for c in cells]
    nbformat.write(nb, root / "notebooks" / "tiny.ipynb")
    write_params(root, spec)
    return root
