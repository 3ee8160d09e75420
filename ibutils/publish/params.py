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
missing notebook, parameters the notebook does not declare, values whose type
does not match the notebook's default, and values outside the notebook's declared
constraints all raise :class:`ParamsError` with a one-line message naming the file and the key.

Constraints
-----------
A notebook declares what values its parameters accept in the cell right after its
``parameters`` cell (a small cell tagged ``remove-input``), which is also the check that plain
papermill runs::

    from ibutils.publish.params import check_injected
    check_injected(globals(), n_bins={"min": 2}, activation={"choices": ["tanh", "relu"]},
                   seeds={"min_len": 1, "each": {"min": 0}})

Each keyword names a parameter and holds a literal :class:`Constraint` (``choices``, ``min``,
``max``, ``min_len``, ``max_len``, and ``each`` for the elements of a list). The parameters cell
itself stays plain values. :func:`notebook_constraints` reads the call statically, so
``python -m ibutils run`` checks the params file and every ``-p`` override before anything runs;
:func:`check_injected` checks the same constraints in the kernel, and the names papermill
injected, with the same messages.
"""
from __future__ import annotations

import ast
import functools
import json
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

#: The function a notebook's check cell calls (read statically by :func:`notebook_constraints`).
CHECK_FUNCTION = "check_injected"
#: The header of the cell papermill injects with the parameters it was given.
INJECTED_HEADER = "# Parameters"

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


class Constraint(BaseModel):
    """What values one parameter accepts (every field optional; unknown fields are rejected).

    ``choices``: the allowed values; ``min``/``max``: bounds of a number (inclusive);
    ``min_len``/``max_len``: bounds of a list's (or string's) length; ``each``: a constraint on
    every element of a list.
    """

    model_config = ConfigDict(extra="forbid")

    choices: list[Any] | None = None
    min: float | None = None
    max: float | None = None
    min_len: int | None = None
    max_len: int | None = None
    each: "Constraint | None" = None

    def text(self, name: str = "x") -> str:
        """The constraint in words, e.g. ``"n_bins >= 2"``, ``"one of: tanh, relu"``."""
        parts = []
        if self.choices is not None:
            parts.append("one of: " + ", ".join(_show(c) for c in self.choices))
        if self.min is not None and self.max is not None:
            parts.append(f"{_num(self.min)} <= {name} <= {_num(self.max)}")
        elif self.min is not None:
            parts.append(f"{name} >= {_num(self.min)}")
        elif self.max is not None:
            parts.append(f"{name} <= {_num(self.max)}")
        if self.min_len is not None and self.max_len is not None:
            parts.append(f"{self.min_len} to {self.max_len} elements")
        elif self.min_len is not None:
            parts.append(f"at least {self.min_len} element{'s' if self.min_len != 1 else ''}")
        elif self.max_len is not None:
            parts.append(f"at most {self.max_len} elements")
        if self.each is not None:
            parts.append(f"each element: {self.each.text('element')}")
        return "; ".join(parts) or "any value"

    def check(self, label: str, name: str, value: Any) -> None:
        """Raise :class:`ParamsError` ``"<label>: <why> (allowed: <text>)"`` when ``value`` breaks it."""
        why = self.problem(name, value)
        if why is not None:
            raise ParamsError(f"{label}: {why}")

    def problem(self, name: str, value: Any) -> str | None:
        """Why ``value`` breaks the constraint, with the allowed values (``None`` when it does not)."""
        why = None
        if self.choices is not None and not any(_equal(value, c) for c in self.choices):
            why = "not an allowed value"
        elif self.min is not None or self.max is not None:
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
                why = "not a number"
            elif (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
                why = "out of range"
        if why is None and (self.min_len is not None or self.max_len is not None or self.each is not None):
            if not isinstance(value, (list, tuple, str)):
                why = "not a list"
            elif (self.min_len is not None and len(value) < self.min_len) or (
                    self.max_len is not None and len(value) > self.max_len):
                why = f"{len(value)} element{'s' if len(value) != 1 else ''}"
        if why is not None:
            return f"{why} (allowed: {self.text(name)})"
        if self.each is not None and not isinstance(value, str):
            for i, v in enumerate(value):
                inner = self.each.problem("element", v)
                if inner is not None:
                    return f"element {i} ({_show(v)}) {inner}"
        return None


def _num(x: float) -> str:
    return f"{x:g}"


def _show(value: Any) -> str:
    """A value as a user types it after ``-p key=`` (YAML flow style)."""
    if isinstance(value, str):
        return value
    return yaml.safe_dump(value, default_flow_style=True, width=10**6).strip().removesuffix("\n...").strip()


def _short(value: Any, width: int = 40) -> str:
    text = _show(value)
    return text if len(text) <= width else text[:width - 3] + "..."


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def parameter_assignments(source: str, where: str = "parameters cell") -> dict[str, Any]:
    """The top-level ``name = <literal>`` assignments (optionally annotated) of a cell's source."""
    out: dict[str, Any] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            target, value = node.target.id, node.value
        else:
            continue
        try:
            out[target] = ast.literal_eval(value)
        except ValueError:
            raise ParamsError(f"{where}: parameter {target!r} has a default that is not a literal") from None
    return out


class _Cell(NamedTuple):
    cell_type: str
    source: str
    tags: tuple[str, ...]


def _cells(path: Path) -> tuple[_Cell, ...]:
    """A notebook's cells (type, source, tags), read once per version of the file (the CLI reads every
    notebook of the book to validate it, so this skips nbformat's schema validation)."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError as err:
        raise ParamsError(f"{path}: cannot read the notebook ({err.strerror})") from None
    return _cells_cached(str(path.resolve()), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=256)
def _cells_cached(path: str, mtime_ns: int, size: int) -> tuple[_Cell, ...]:
    try:
        nb = json.loads(Path(path).read_text())
        return tuple(_Cell(c.get("cell_type", ""), "".join(c.get("source", "")) if isinstance(c.get("source"), list)
                           else c.get("source", ""), tuple(c.get("metadata", {}).get("tags", [])))
                     for c in nb["cells"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ParamsError(f"{path}: not a readable notebook") from None


def _parameters_cell(cells, path) -> int:
    found = [i for i, c in enumerate(cells) if "parameters" in c.tags]
    if len(found) != 1:
        raise ParamsError(f"{path}: expected exactly one cell tagged 'parameters', found {len(found)}")
    return found[0]


def notebook_defaults(path: Path) -> dict[str, Any]:
    """Parameters declared in the cell tagged ``parameters``, with their defaults.

    Each top-level assignment ``name = <literal>`` (optionally annotated) of that
    cell is a parameter; its default is evaluated with :func:`ast.literal_eval`.
    """
    cells = _cells(path)
    return parameter_assignments(cells[_parameters_cell(cells, path)].source, str(path))


def _check_call(source: str) -> ast.Call | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == CHECK_FUNCTION:
            return node
    return None


def notebook_constraints(path: Path) -> dict[str, Constraint]:
    """The constraints a notebook declares in its check cell (the ``check_injected(...)`` call of the
    first code cell after the ``parameters`` cell); ``{}`` when it has none.

    Raises :class:`ParamsError` naming the notebook and the parameter when a constraint is not a
    literal, is malformed, names a parameter the notebook does not declare, or rejects its default.
    """
    cells = _cells(path)
    i = _parameters_cell(cells, path)
    defaults = parameter_assignments(cells[i].source, str(path))
    nxt = next((c for c in cells[i + 1:] if c.cell_type == "code"), None)
    call = _check_call(nxt.source) if nxt is not None else None
    if call is None:
        return {}
    out: dict[str, Constraint] = {}
    for kw in call.keywords:
        if kw.arg is None:
            raise ParamsError(f"{path}: {CHECK_FUNCTION}(...) takes constraints as name=literal keywords only")
        try:
            out[kw.arg] = Constraint.model_validate(ast.literal_eval(kw.value))
        except ValueError:
            raise ParamsError(f"{path}: the constraint of {kw.arg!r} is not a literal") from None
        except ValidationError as err:
            raise ParamsError(f"{path}: the constraint of {kw.arg!r}: {err.errors()[0]['msg']}") from None
        if kw.arg not in defaults:
            raise ParamsError(f"{path}: constraint for {kw.arg!r}, which the parameters cell does not declare")
        out[kw.arg].check(f"{path}: default {kw.arg}={_show(defaults[kw.arg])}", kw.arg, defaults[kw.arg])
    return out


def check_injected(namespace: dict[str, Any], **constraints: Any) -> None:
    """The papermill-level guard: check a notebook's parameters inside its kernel.

    Called by the notebook's first cell after its ``parameters`` cell with ``globals()`` and
    the notebook's constraints (see the module docstring). When papermill injected parameters
    (the cell it adds after ``parameters``, found in IPython's input history ``In``), a name the
    parameters cell does not declare (``papermill -p n_bin 30``) or a value of the wrong type
    raises :class:`ParamsError`; then every constrained parameter's current value is checked.
    The messages are those of ``python -m ibutils run`` with ``papermill -p`` as the place.
    Outside IPython (no ``In``) only the constraints are checked.
    """
    cons = {k: Constraint.model_validate(v) for k, v in constraints.items()}
    history = [h for h in (namespace.get("In") or []) if isinstance(h, str)]
    marks = [i for i, h in enumerate(history) if h.lstrip().startswith(INJECTED_HEADER)]
    injected: dict[str, Any] = {}
    if marks:
        declared: dict[str, Any] = {}
        for src in history[:marks[-1]]:
            try:
                declared.update(parameter_assignments(src))
            except (SyntaxError, ParamsError):
                continue
        injected = parameter_assignments(history[marks[-1]], "papermill -p")
        _check_parameters("papermill -p", injected, declared, "the notebook")
    for key, c in cons.items():
        if key in namespace:
            value = namespace[key]
            c.check(f"papermill -p {key}={_show(value)}" if key in injected else f"default {key}={_show(value)}",
                    key, value)


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
                f"{where}: unknown parameter {key!r} ({nb_name} declares: {', '.join(sorted(defaults))})"
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
        full = path.resolve()
        if full.parent.name == "params" and (full.parent.parent / "notebooks").is_dir():
            return Path("params") / full.name  # from a folder below the repository root
        return path


def load(path: str | Path, notebooks_dir: str | Path = "notebooks") -> tuple[ParamsFile, Path, dict]:
    """Read and validate a params file.

    Returns
    -------
    (ParamsFile, notebook path, notebook defaults)
    """
    real, path = Path(path), _display(Path(path))  # read `real`; name `path` in messages
    try:
        raw = yaml.safe_load(real.read_text())
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
    constraints = notebook_constraints(nb_path)
    nb_name = f"notebook {nb_path.name}"
    for where, given in [("parameters", spec.parameters)] + [(f"profiles.{k}", v) for k, v in spec.profiles.items()]:
        _check_parameters(f"{path}: key '{where}'", given, defaults, nb_name)
        check_constraints(given, constraints, lambda key, value: f"{path}: key '{where}.{key}' ({_short(value)})")
    return spec, nb_path, defaults


def check_constraints(given: dict[str, Any], constraints: dict[str, Constraint], label) -> None:
    """Check each value of ``given`` that has a constraint; ``label(key, value)`` says where it came from."""
    for key, value in given.items():
        if key in constraints:
            constraints[key].check(label(key, value), key, value)


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
    shown = _display(Path(path))
    _check_parameters(f"{shown}: -p", overrides, defaults, f"notebook {nb_path.name}")
    check_constraints(overrides, notebook_constraints(nb_path), lambda key, value: f"{shown}: -p {key}={_short(value)}")
    resolved = {**defaults, **spec.parameters, **spec.profiles[profile], **overrides}
    return spec, nb_path, resolved
