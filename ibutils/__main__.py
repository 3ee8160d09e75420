"""Command line of the book: ``python -m ibutils COMMAND ...`` (run ``python -m ibutils -h``).

Every command works from the repository root or any folder below it; the commands call
:mod:`ibutils.publish` and never import the library or the studies.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .publish import pipeline, timings
from .publish.budgets import write_budgets
from .publish.coverage import COVERAGE_FILE, write_coverage
from .publish.params import PROFILES, ParamsError, _show, notebook_constraints, notebook_defaults, parse_override

DESCRIPTION = """\
Execute the book's settings (one params file each: a notebook and its parameters at a profile),
say which are stale and how long they take, and build the HTML book. Commands run from the
repository root or any folder below it."""

EXAMPLES = """\
examples:
  python -m ibutils run params/minimal_model.yaml --profile quick -p n_bins=30
  python -m ibutils estimate --profile standard
  python -m ibutils book --profile standard
  python -m ibutils book --profile paper --executor dask --scheduler tcp://10.0.0.5:8786
  python -m ibutils params minimal_model
  python -m ibutils status --profile paper
  python -m ibutils freeze notebooks/minimal_model.ipynb"""

PROFILE_HELP = "the profile: quick (CI, minutes), standard (a laptop) or paper (the studies' scale); default: standard"


def _add_executor_args(parser: argparse.ArgumentParser) -> None:
    """``--executor`` and ``--scheduler``, the same on ``run`` and ``book``."""
    parser.add_argument("--executor", default=None, choices=("processes", "serial", "dask"),
                        help="where settings run (default: processes; dask: a Dask cluster, needs "
                             "pip install 'ibutils[cluster]'; see book/full_scale.md)")
    parser.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                        help="the Dask scheduler to send settings and sweep points to (implies --executor dask; "
                             "default with --executor dask: a LocalCluster of --jobs worker processes on this machine)")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ibutils", description=DESCRIPTION, epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"ibutils {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="execute one or more settings (params files), then the pages that read them",
                         description="Execute settings (unless cached), then re-execute the pages whose inputs they "
                                     "changed (the overview pages, the scorecard).")
    run.add_argument("params", nargs="+", help="params files, e.g. params/minimal_model.yaml")
    run.add_argument("--profile", default="standard", choices=PROFILES, help=PROFILE_HELP)
    run.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                     help="override a parameter (value parsed as YAML, e.g. -p n_bins=30 -p 'seeds=[0, 1]'); "
                          "one params file only; checked before anything runs")
    run.add_argument("--force", action="store_true", help="execute even if the cached output is current")
    run.add_argument("--no-downstream", dest="downstream", action="store_false",
                     help="do not re-execute the pages that read these settings' results; only say which are stale")
    run.add_argument("--jobs", type=int, default=None, help="settings run in parallel (default: half the CPU cores)")
    _add_executor_args(run)

    book = sub.add_parser("book", help="execute every stale setting, then build the HTML book",
                          description="Execute every stale setting at the profile, then build the HTML book "
                                      "(_build/html/index.html). Run `estimate` first to see how long it takes.")
    book.add_argument("--profile", default="standard", choices=PROFILES, help=PROFILE_HELP)
    book.add_argument("--force", action="store_true", help="execute every setting, cached or not")
    book.add_argument("--jobs", type=int, default=None, help="settings run in parallel (default: half the CPU cores)")
    _add_executor_args(book)
    book.add_argument("--strict", action="store_true", help="turn Sphinx warnings into errors (as CI does)")

    st = sub.add_parser("status", help="say which settings are cached or stale (and why) without executing any")
    st.add_argument("--profile", default="standard", choices=PROFILES, help=PROFILE_HELP)
    st.add_argument("--root", default=None, help="the repository root (default: found from the current folder)")

    est = sub.add_parser("estimate", help="the expected wall time of every stale setting, and the total",
                         description="How long `book` (or `run` of the given settings) would take: the stored wall "
                                     "time of each stale setting's last run at the profile (book/budgets.yml).")
    est.add_argument("params", nargs="*", help="params files (default: every setting, as `book` runs them)")
    est.add_argument("--profile", default="standard", choices=PROFILES, help=PROFILE_HELP)

    sub.add_parser("list", help="list the settings, their notebooks and titles")

    prm = sub.add_parser("params", help="a setting's parameters: type, default, allowed values, profile values")
    prm.add_argument("setting", help="a params file or a setting's name, e.g. params/minimal_model.yaml or minimal_model")

    frz = sub.add_parser("freeze", help="re-execute committed notebooks in place with their defaults (for nbval)")
    frz.add_argument("notebooks", nargs="+", help="notebooks/<name>.ipynb")
    frz.add_argument("--rebase", action="store_true",
                     help="rewrite the notebook even on a CPU kind other than its own (its outputs then come from "
                          "this machine's kind, and other kinds' records go stale); see DEVELOPING.md")
    return p


def _setting_path(text: str, root: Path) -> Path:
    given = Path(text)
    if given.suffix != ".yaml" and not given.exists():
        given = root / "params" / f"{text}.yaml"
        if not given.is_file():
            raise ParamsError(f"{text}: no such setting (python -m ibutils list shows them)")
    return pipeline.params_relative(given, root)


def _short(value, width: int = 24) -> str:
    text = _show(value)
    return text if len(text) <= width else text[:width - 3] + "..."


def _params_table(rel: Path, root: Path) -> list[str]:
    spec, nb_path, _ = pipeline.resolve(root / rel, "standard", None, root / "notebooks")
    defaults, constraints = notebook_defaults(nb_path), notebook_constraints(nb_path)
    head = ["parameter", "type", "default", "all profiles", *PROFILES, "allowed"]
    rows = []
    for name, default in defaults.items():
        c = constraints.get(name)
        rows.append([name, type(default).__name__, _short(default),
                     _short(spec.parameters[name]) if name in spec.parameters else "",
                     *(_short(spec.profiles[pr][name]) if name in spec.profiles[pr] else "" for pr in PROFILES),
                     c.text(name) if c else ""])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    fmt = lambda r: "  ".join(v.ljust(w) if i < len(r) - 1 else v for i, (v, w) in enumerate(zip(r, widths)))  # noqa: E731
    lines = [f"{rel}: notebook {nb_path.relative_to(root)}" + (f" ({spec.title})" if spec.title else ""),
             "values: the notebook's default, overridden by 'all profiles', then by the profile's column", "",
             fmt(head).rstrip(), *(fmt(r).rstrip() for r in rows)]
    return lines


def _executor(args):
    """The executor ``--executor``/``--scheduler``/``--jobs`` ask for (``--scheduler`` implies dask)."""
    kind = args.executor or ("dask" if args.scheduler else "processes")
    if args.scheduler and kind != "dask":
        raise ParamsError(f"--scheduler {args.scheduler} needs --executor dask (got --executor {kind})")
    return pipeline.make_executor(kind, args.jobs, args.scheduler)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "freeze":
            for nb in args.notebooks:
                wrote = pipeline.freeze(nb, root=Path.cwd(), rebase=args.rebase)
                print(f"froze {nb}: " + (f"wrote {wrote}" if wrote else "this CPU kind gives the committed outputs"))
            return 0
        root = pipeline.find_root(getattr(args, "root", None) or Path.cwd())
        if args.command == "run":
            overrides = dict(parse_override(t) for t in args.param)
            if overrides and len(args.params) > 1:
                raise ParamsError("-p overrides apply to one params file at a time")
            paths = [pipeline.params_relative(p, root) for p in args.params]
            with _executor(args) as ex:
                reports = pipeline.run_settings(paths, args.profile, force=args.force, root=root, executor=ex,
                                                overrides=overrides)
                after = pipeline.downstream(paths, args.profile, root=root)
                if after and args.downstream:
                    print(f"re-executing the pages that read these results: {', '.join(p.stem for p in after)}")
                    reports += pipeline.run_settings(after, args.profile, root=root, executor=ex)
                elif after:
                    print(f"now stale (they read these results): {', '.join(p.stem for p in after)}; run: "
                          f"python -m ibutils run {' '.join(map(str, after))} --profile {args.profile}")
            executed = sum(r.status == "executed" for r in reports)
            print(f"{executed} executed, {len(reports) - executed} cached (profile {args.profile})")
            if (root / COVERAGE_FILE).is_file():  # so a following `jupyter-book build .` finds the coverage tables
                write_coverage(root)
                write_budgets(root)
        elif args.command == "book":
            with _executor(args) as ex:
                index = pipeline.build_book(args.profile, root=root, force=args.force, strict=args.strict,
                                            executor=ex)
            print(f"The book is at {index}")
        elif args.command == "status":
            report = pipeline.status(args.profile, root=root)
            for st in report:
                print(st.line())
            counts = {s: sum(r.state == s for r in report) for s in ("cached", "stale", "invalid")}
            print(f"{counts['cached']} cached, {counts['stale']} stale"
                  + (f", {counts['invalid']} invalid" if counts["invalid"] else "") + f" (profile {args.profile})")
        elif args.command == "estimate":
            paths = [pipeline.params_relative(p, root) for p in args.params] or None
            rows = pipeline.estimate(args.profile, root=root, paths=paths)
            known = [r.seconds for r in rows if r.seconds is not None]
            unknown = [r.name for r in rows if r.seconds is None]
            if not rows:
                print(f"nothing to execute: every setting is cached at profile {args.profile}")
                return 0
            print(f"stale settings at profile {args.profile}, with the wall time of their last run there "
                  f"({timings.BUDGETS_FILE}):")
            for r in rows:
                print(r.line())
            if known:
                total = f"total: {timings.fmt_seconds(sum(known))} for {len(known)} setting{'s' if len(known) != 1 else ''}"
                if unknown:
                    total += f", plus {len(unknown)} never run at {args.profile} (unknown)"
                print(total + " (run one at a time; `--jobs n` runs n at once)")
            else:
                print(f"total: unknown (none of the {len(unknown)} stale settings has run at {args.profile} here yet)")
        elif args.command == "list":
            for path in pipeline.discover(root):
                spec, nb_path, _ = pipeline.resolve(root / path, "standard", None, root / "notebooks")
                print(f"{str(path):<40} {str(nb_path.relative_to(root)):<44} {spec.title}".rstrip())
        elif args.command == "params":
            print("\n".join(_params_table(_setting_path(args.setting, root), root)))
    except ParamsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except ImportError as err:  # --executor dask without the 'distributed' package
        if "distributed" not in str(err):
            raise
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (pipeline.Interrupted, pipeline.SettingInterrupted) as err:
        print(f"interrupted: {err}; nothing half-written was left in the book", file=sys.stderr)
        return 130
    except pipeline.SettingFailed as err:
        print(f"failed: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
