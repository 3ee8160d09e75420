"""Params files: one YAML file per experimental setting.

A params file names the notebook it runs, the parameters it overrides for every
profile, and the overrides of each profile (``quick`` for CI, ``standard`` for a
laptop, ``paper`` for the studies' scale)::

    notebook: minimal_model
    title: The minimal model
    parameters: {n_samples: 1000}
    profiles:
      quick: {n_samples: 300}
      standard: {}
      paper: {}

Optional keys: ``stage`` (settings run in increasing stage, so a summary page can
read what the chapters wrote) and ``inputs`` (globs of files the notebook reads,
hashed into the cache key). Everything is checked before anything runs: unknown keys, unknown profiles, a
missing notebook, parameters the notebook does not declare, and values whose type
does not match the notebook's default all raise :class:`ParamsError` with a
one-line message naming the file and the key.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import nbformat
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

PROFILES = ("quick", "standard", "paper")


class ParamsError(ValueError):
    """A params file (or a command-line override) is invalid."""


class ParamsFile(BaseModel):
    """Schema of a params file (unknown keys are rejected)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    notebook: str
    title: str = ""
    description: str = ""
    #: settings run in increasing stage; a later stage may read what earlier ones wrote
    stage: int = 1
    #: glob patterns (relative to the repository root) of files the notebook reads;
    #: their content enters the cache key
    inputs: list[str] = []
    parameters: dict[str, Any] = {}
    profiles: dict[str, dict[str, Any]]


def notebook_defaults(path: Path) -> dict[str, Any]:
    """Parameters declared in the cell tagged ``parameters``, with their defaults.

    Each top-level assignment ``name = <literal>`` (optionally annotated) of that
    cell is a parameter; its default is evaluated with :func:`ast.literal_eval`.
    """
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ParamsError(f"{path}: expected exactly one cell tagged 'parameters', found {len(cells)}")
    defaults: dict[str, Any] = {}
    for node in ast.parse(cells[0].source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            target, value = node.target.id, node.value
        else:
            continue
        try:
            defaults[target] = ast.literal_eval(value)
        except ValueError:
            raise ParamsError(f"{path}: parameter {target!r} has a default that is not a literal") from None
    return defaults


def _type_ok(value: Any, default: Any) -> bool:
    if default is None or value is None:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple))
    return isinstance(value, type(default))


def _check_parameters(where: str, given: dict[str, Any], defaults: dict[str, Any], nb_name: str) -> None:
    for key, value in given.items():
        if key not in defaults:
            raise ParamsError(
                f"{where}: unknown parameter {key!r} (notebook {nb_name} declares: {', '.join(sorted(defaults))})"
            )
        if not _type_ok(value, defaults[key]):
            raise ParamsError(
                f"{where}: parameter {key!r} must be {type(defaults[key]).__name__} "
                f"like the notebook default {defaults[key]!r}, got {value!r}"
            )


def _display(path: Path) -> Path:
    """``path`` relative to the working directory when it lies below it (for messages)."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def load(path: str | Path, notebooks_dir: str | Path = "notebooks") -> tuple[ParamsFile, Path, dict]:
    """Read and validate a params file.

    Returns
    -------
    (ParamsFile, notebook path, notebook defaults)
    """
    path = _display(Path(path))
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ParamsError(f"{path}: no such params file") from None
    except yaml.YAMLError as err:
        raise ParamsError(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping at the top level")
    try:
        spec = ParamsFile.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ParamsError(f"{path}: key {key!r}: {first['msg']}") from None
    unknown = set(spec.profiles) - set(PROFILES)
    if unknown:
        raise ParamsError(f"{path}: key 'profiles.{sorted(unknown)[0]}': "
                          f"unknown profile (valid: {', '.join(PROFILES)})")
    missing = set(PROFILES) - set(spec.profiles)
    if missing:
        raise ParamsError(f"{path}: key 'profiles': missing profile(s) {', '.join(sorted(missing))}")
    nb_path = Path(notebooks_dir) / f"{spec.notebook}.ipynb"
    if not nb_path.is_file():
        raise ParamsError(f"{path}: key 'notebook': unknown notebook {spec.notebook!r} (no {nb_path})")
    defaults = notebook_defaults(nb_path)
    _check_parameters(f"{path}: key 'parameters'", spec.parameters, defaults, nb_path.name)
    for name, overrides in spec.profiles.items():
        _check_parameters(f"{path}: key 'profiles.{name}'", overrides, defaults, nb_path.name)
    return spec, nb_path, defaults


def parse_override(text: str) -> tuple[str, Any]:
    """Parse a command-line ``key=value`` override; the value is read as YAML."""
    if "=" not in text:
        raise ParamsError(f"-p {text!r}: expected key=value")
    key, value = text.split("=", 1)
    return key.strip(), yaml.safe_load(value)


def resolve(path: str | Path, profile: str = "standard", overrides: dict[str, Any] | None = None,
            notebooks_dir: str | Path = "notebooks") -> tuple[ParamsFile, Path, dict[str, Any]]:
    """Validate a params file and return (spec, notebook path, resolved parameters).

    Resolution order: notebook defaults < ``parameters`` < ``profiles[profile]`` < overrides.
    """
    if profile not in PROFILES:
        raise ParamsError(f"{_display(Path(path))}: unknown profile {profile!r} (valid: {', '.join(PROFILES)})")
    spec, nb_path, defaults = load(path, notebooks_dir)
    overrides = dict(overrides or {})
    _check_parameters(f"{path}: override", overrides, defaults, nb_path.name)
    resolved = {**defaults, **spec.parameters, **spec.profiles[profile], **overrides}
    return spec, nb_path, resolved
