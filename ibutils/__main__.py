"""Command line: ``python -m ibutils {run,book,status,list,freeze} ...``.

Examples
--------
python -m ibutils run params/minimal_model.yaml --profile quick -p n_bins=30
python -m ibutils book --profile standard
python -m ibutils status --profile paper
python -m ibutils freeze notebooks/minimal_model.ipynb
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .publish import pipeline
from .publish.coverage import COVERAGE_FILE, write_coverage
from .publish.params import PROFILES, ParamsError, parse_override


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ibutils", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="execute one or more settings (params files)")
    run.add_argument("params", nargs="+", help="params/<setting>.yaml")
    run.add_argument("--profile", default="standard", choices=PROFILES)
    run.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                     help="override a parameter (value parsed as YAML); one setting only")
    run.add_argument("--force", action="store_true", help="execute even if the cached output is current")
    run.add_argument("--jobs", type=int, default=None, help="settings run in parallel")
    run.add_argument("--executor", default="processes", choices=("processes", "serial", "dask"),
                     help="where settings run (dask needs the 'distributed' package)")

    book = sub.add_parser("book", help="execute every setting, then build the HTML book")
    book.add_argument("--profile", default="standard", choices=PROFILES)
    book.add_argument("--force", action="store_true")
    book.add_argument("--jobs", type=int, default=None)
    book.add_argument("--executor", default="processes", choices=("processes", "serial", "dask"))
    book.add_argument("--strict", action="store_true", help="turn Sphinx warnings into errors")

    st = sub.add_parser("status", help="say which settings are cached or stale (and why) without executing any")
    st.add_argument("--profile", default="standard", choices=PROFILES)
    st.add_argument("--root", default=".", help="the repository root (default: the current folder)")

    sub.add_parser("list", help="list the settings and their notebooks")

    frz = sub.add_parser("freeze", help="re-execute committed notebooks in place with their defaults")
    frz.add_argument("notebooks", nargs="+")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    root = Path.cwd()
    try:
        if args.command == "run":
            overrides = dict(parse_override(t) for t in args.param)
            if overrides and len(args.params) > 1:
                raise ParamsError("-p overrides apply to one params file at a time")
            if overrides:
                r = pipeline.run_setting(args.params[0], args.profile, overrides, force=args.force, root=root)
                print(f"{r.name:<36} {r.status:<9} {r.seconds:8.1f} s  -> {r.output}")
            else:
                with pipeline.make_executor(args.executor, args.jobs) as ex:
                    pipeline.run_settings(args.params, args.profile, force=args.force, root=root, executor=ex)
            if (root / COVERAGE_FILE).is_file():  # so a following `jupyter-book build .` finds the coverage tables
                write_coverage(root)
        elif args.command == "book":
            with pipeline.make_executor(args.executor, args.jobs) as ex:
                index = pipeline.build_book(args.profile, root=root, force=args.force, strict=args.strict,
                                            executor=ex)
            print(f"The book is at {index}")
        elif args.command == "status":
            report = pipeline.status(args.profile, root=Path(args.root))
            for st in report:
                print(st.line())
            counts = {s: sum(r.state == s for r in report) for s in ("cached", "stale", "invalid")}
            print(f"{counts['cached']} cached, {counts['stale']} stale"
                  + (f", {counts['invalid']} invalid" if counts["invalid"] else "") + f" (profile {args.profile})")
        elif args.command == "list":
            for path in pipeline.discover(root):
                spec, nb_path, _ = pipeline.resolve(path, "standard", None, root / "notebooks")
                print(f"{str(path):<40} {nb_path}  {spec.title}")
        elif args.command == "freeze":
            for nb in args.notebooks:
                pipeline.freeze(nb, root=root)
                print(f"froze {nb}")
    except ParamsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except pipeline.SettingFailed as err:
        print(f"failed: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
