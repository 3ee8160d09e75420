"""Reading mode: the cell tags that make an executed notebook read like a page (issue 20, item 1).

A page's code stays in the notebook (and one click away on the page), but a reader first meets
the prose, the figures and the tables:

- a cell whose output a reader sees gets ``hide-input`` (its code folded under "Show code");
- a cell that shows nothing (imports, glue-only cells, set-up) gets ``remove-cell``;
- a cell whose last line would print a value shown elsewhere (the path ``save_table`` returns,
  an object's repr, a table that is also glued) gets ``remove-output`` when that value is all it
  shows, so that every figure and table appears once;
- the parameters cell (defaults) and the cell papermill injects are removed: the pipeline's
  "How this page was made" box lists the parameters the page ran with, once, as a table.

:func:`apply` works on a notebook node (``nbformat``) and is idempotent; the pipeline calls it on
every executed notebook, and ``python -m ibutils.publish.reading notebooks/*.ipynb`` applies it
to committed notebooks. Cells already tagged ``remove-*``/``hide-*`` by their author are left as
they are. Like the rest of :mod:`ibutils.publish` it imports neither the library nor the studies.
"""
from __future__ import annotations

import argparse
import ast
import re
import sys

#: Tags a notebook's author may set by hand; a cell carrying one is not retagged.
AUTHOR_TAGS = ("remove-cell", "remove-input", "remove-output", "hide-input", "hide-output", "hide-cell")
#: Outputs a reader does not need: the glue records (rendered where the prose pastes them).
_GLUE = "application/papermill.record/"
_REPR = re.compile(r"^(?:Posix|Windows)?Path\(|^<.* at 0x[0-9a-f]+>$|^[A-Za-z_]\w*\(.*\)$|^None$", re.S)


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _set_tags(cell, tags: list[str]) -> None:
    cell.setdefault("metadata", {})["tags"] = tags


def _visible(output) -> bool:
    """Whether a reader would see this output (glue records and stderr chatter are not shown)."""
    kind = output.get("output_type")
    if kind == "stream":
        return output.get("name") == "stdout" and bool("".join(output.get("text", "")).strip())
    if kind == "error":
        return True
    data = output.get("data", {})
    return any(not k.startswith(_GLUE) for k in data)


def _last_expression(source: str) -> str | None:
    """The source of the cell's last statement when it is a bare expression whose value Jupyter displays."""
    if source.rstrip().endswith(";"):
        return None
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return None
    return ast.get_source_segment(source, tree.body[-1].value)


def _glued_sources(cells) -> str:
    """All ``glue(...)`` calls' source text in the notebook, to tell whether a value is also glued."""
    parts = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse(cell.get("source", ""))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in ("glue", "glue_ci"):
                parts.extend(ast.get_source_segment(cell["source"], a) or "" for a in node.args[1:])
    return "\n".join(parts)


def _redundant_result(expr: str, output, glued: str) -> bool:
    """Whether the displayed value of the last expression ``expr`` is noise or shown elsewhere."""
    if re.match(r"^(?:\w+\.)*save_table\(", expr):
        return True
    head = re.match(r"^[A-Za-z_][\w.]*", expr)
    if head and re.search(rf"(?<![\w.]){re.escape(head.group(0))}(?![\w])", glued):
        return True  # e.g. `comp` displayed and `glue("tab", comp.round(3))`: the glued copy is the one shown
    text = "".join(output.get("data", {}).get("text/plain", ""))
    return set(output.get("data", {})) <= {"text/plain"} and bool(_REPR.match(text.strip()))


#: Shown for a missing value in a table (instead of NaN / None / <NA>).
MISSING = "\u2013"
_NEG_ZERO = re.compile(r"(?<![\w.\d])[-\u2212](0(?:\.0+)?)(?![\d.]*[1-9])(?![\d\w])")
_CELL_TEXT = re.compile(r">([^<>]*)<")


def tidy_table_html(html: str) -> str:
    """A table's HTML as a reader should see it: missing values as an en dash, no negative zero.

    Only the text between tags changes (a cell holding just ``NaN``/``nan``/``None``/``<NA>``, and
    ``-0.000``-like numbers anywhere in a cell's text); ``ibutils.plots.table_html`` does the same when
    a page is executed, this catches tables formatted elsewhere (pandas Styler, older pages).
    """
    def cell(m: re.Match) -> str:
        text = m.group(1)
        if text.strip() in ("NaN", "nan", "None", "&lt;NA&gt;", "NaT"):
            return ">" + text.replace(text.strip(), MISSING) + "<"
        return ">" + _NEG_ZERO.sub(r"\1", text) + "<"

    return _CELL_TEXT.sub(cell, html)


def _glued_images(cells) -> set[str]:
    """The PNGs glued anywhere in the notebook (base64 text), to spot a figure also shown as a cell output."""
    pngs = set()
    for cell in cells:
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            png = out.get("data", {}).get(_GLUE + "image/png")
            if png:
                pngs.add("".join(png).strip())
    return pngs


def _duplicate_image(output, pngs: set[str]) -> bool:
    png = output.get("data", {}).get("image/png")
    return bool(png) and "".join(png).strip() in pngs


def cell_tags(cell, glued: str = "", pngs: set[str] = frozenset()) -> list[str]:
    """The reading-mode tags of one code cell (its current tags plus what it needs)."""
    tags = _tags(cell)
    if "parameters" in tags or "injected-parameters" in tags:
        return tags if "remove-cell" in tags else tags + ["remove-cell"]
    outputs = cell.get("outputs", [])
    expr = _last_expression(cell.get("source", ""))
    redundant = [o for o in outputs if o.get("output_type") == "execute_result" and expr is not None
                 and _redundant_result(expr, o, glued)]
    shown = [o for o in outputs if _visible(o) and not any(o is r for r in redundant) and not _duplicate_image(o, pngs)]
    if tags == ["hide-input"] or (tags and set(tags) == {"hide-input"}):  # folded, but nothing left to show: remove
        return tags if shown else ["remove-cell"]
    if any(t in tags for t in AUTHOR_TAGS):
        return tags
    if not shown:
        return tags + ["remove-cell"]
    return tags + ["hide-input"]


def read_claims(path):
    """A page's ``claims.csv`` as a frame, or None when the page saved none."""
    import os

    import pandas as pd

    return pd.read_csv(path) if os.path.isfile(path) else None


def params_title(params_file) -> str:
    """The ``title`` of a params file ("" when it has none or cannot be read)."""
    import yaml

    try:
        with open(params_file, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except (OSError, yaml.YAMLError):
        return ""
    return str(data.get("title") or "")


def _count(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, (list, tuple)):
        return len(value)
    return None


def scale_text(profile: str, parameters: dict) -> str:
    """The scale a page ran at, in words, from its parameters: "quick profile: 2 seeds, 300 epochs"."""
    seeds = next((_count(parameters[k]) for k in ("n_seeds", "seeds", "n_runs") if k in parameters
                  and _count(parameters[k]) is not None), None)
    epochs = next((parameters[k] for k in ("epochs", "n_epochs", "max_epochs") if isinstance(parameters.get(k), int)), None)
    parts = [f"{seeds} seed{'s' if seeds != 1 else ''}" if seeds is not None else "",
             f"{epochs} epochs" if epochs is not None else ""]
    parts = [p for p in parts if p]
    return f"{profile} profile" + (": " + ", ".join(parts) if parts else "")


def banner_markdown(profile: str | None, parameters: dict, command: str = "") -> str:
    """The banner a page shows when it did not run at the ``paper`` profile (issue 20, item 2).

    Returns "" at ``paper`` (or when the profile is unknown): the studies' own scale.
    """
    if profile in (None, "", "paper", "defaults"):
        return ""
    words = {"quick": "a quick build (the smallest scale, for CI): its numbers show that the page runs; its verdicts are "
                      "not meaningful at this scale",
             "standard": "a standard build: smaller than the studies' scale, so verdicts are indicative only"}
    what = words.get(profile, f"the {profile} profile, not the studies' scale")
    rerun = f" The studies' scale: `{command.replace(f'--profile {profile}', '--profile paper')}`." if command else ""
    return (f":::{{admonition}} This page ran at the {profile} profile\n:class: warning ibutils-banner\n\n"
            f"This is {what} ({scale_text(profile, parameters)}).{rerun}\n:::\n")


def rerun_markdown(command: str) -> str:
    """A folded "Rerun this page" box with the page's exact command and how to change a parameter."""
    if not command:
        return ""
    params = next((w for w in command.split() if w.endswith(".yaml")), "")
    other = (f" To rerun it with other parameters, add `-p name=value` (several times for several); "
             f"`python -m ibutils params {params}` lists each parameter, what it accepts and its value in each profile."
             if params else "")
    return (":::{admonition} Rerun this page\n:class: dropdown note\n\n"
            f"From a clone of the repository (see *Reading and rerunning the book*): `{command}`.{other}\n:::\n")


def summary_markdown(claims, title: str = "") -> str:
    """"What this page shows": the page's claims with their verdicts and measured numbers (from its claims table).

    ``claims`` is the page's ``claims.csv`` as a frame (or None); returns "" when there is none.
    """
    if claims is None or len(claims) == 0 or "claim" not in claims or "verdict" not in claims:
        return ""
    lines = []
    for _, row in claims.iterrows():
        measured = f" (measured: {row['measured']})" if "measured" in claims and isinstance(row.get("measured"), str) else ""
        lines.append(_NEG_ZERO.sub(r"\1", f"- {row['claim']}: **{row['verdict']}**{measured}"))
    page = f"the claims of \u201c{title}\u201d" if title else "these claims"
    head = f"The question: do {page} hold in this book's runs?"
    return (":::{admonition} What this page shows\n:class: tip\n\n" + head + " The answers, with the verdicts the "
            "rule book computes from the numbers below:\n\n" + "\n".join(lines) + "\n:::\n")


def _glued_tables(cells) -> set[str]:
    """Keys glued as tables (an HTML ``<table>`` and no image)."""
    keys = set()
    for cell in cells:
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            data = out.get("data", {})
            html = "".join(data.get(_GLUE + "text/html", ""))
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name and "<table" in html and _GLUE + "image/png" not in data:
                keys.add(name)
    return keys


_GLUE_FIGURE = re.compile(r"```\{glue:figure\} (?P<key>\S+)[ \t]*\n(?P<opts>(?::[^\n]*\n)*)(?P<caption>.*?)\n?```", re.S)


def caption_tables(nb) -> int:
    """Tables glued with ``{glue:figure}`` (captioned "Fig. N") pasted as tables with a "Table." caption above.

    Returns the number of tables recaptioned. A table with a ``:name:`` keeps its label.
    """
    tables = _glued_tables(nb["cells"])
    n = 0

    def repl(m: re.Match) -> str:
        nonlocal n
        if m.group("key") not in tables:
            return m.group(0)
        n += 1
        name = re.search(r":name:\s*(\S+)", m.group("opts") or "")
        label = f"({name.group(1)})=\n" if name else ""
        caption = " ".join(m.group("caption").split())
        return f"{label}**Table.** {caption}\n\n```{{glue}} {m.group('key')}\n```"

    for cell in nb["cells"]:
        if cell.get("cell_type") == "markdown" and "{glue:figure}" in cell.get("source", ""):
            cell["source"] = _GLUE_FIGURE.sub(repl, cell["source"])
    return n


def glossary_terms(glossary_md) -> list[str]:
    """The terms of the book's glossary (``book/glossary.md``'s ``{glossary}`` block), longest first."""
    try:
        text = open(glossary_md, encoding="utf-8").read()
    except OSError:
        return []
    if "```{glossary}" not in text:
        return []
    block = text.split("```{glossary}", 1)[1].split("\n```", 1)[0]
    terms = [line.strip() for line in block.split("\n") if line.strip() and not line.startswith((" ", "\t", "$", ":"))]
    return sorted(set(terms), key=len, reverse=True)


# Spans a link must not go into: code, roles and their targets, math, links, HTML.
_PROTECTED = re.compile(r"(\{[\w:-]+\}`[^`]*`|``[^`]*``|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\[[^\]]*\]\([^)]*\)|<[^>]+>)", re.S)


def link_terms(nb, terms) -> int:
    """Link the first use of each glossary term on the page (``{term}``) in its prose; return how many.

    Only plain prose is touched: not headings, directives, fenced blocks, code, math, roles or links,
    and a term already linked on the page is left alone.
    """
    if not terms:
        return 0
    done = set()
    n = 0
    for cell in nb["cells"]:
        if cell.get("cell_type") != "markdown":
            continue
        for t in terms:
            if re.search(r"\{term\}`[^`]*" + re.escape(t), cell["source"], re.I):
                done.add(t.lower())
    for cell in nb["cells"]:
        if cell.get("cell_type") != "markdown":
            continue
        out, stack = [], []
        for line in cell["source"].split("\n"):
            stripped = line.strip()
            fence = re.match(r"^(`{3,}|:{3,})(.*)$", stripped)
            if fence:
                if not fence.group(2).strip() and stack:
                    stack.pop()
                else:
                    stack.append("code" if fence.group(1).startswith("`") and "{" not in fence.group(2) else "directive")
                out.append(line)
                continue
            if "code" in stack or not stripped or stripped.startswith(("#", ":", "|", "<", "$$", "%")) \
                    or re.match(r"^\(.+\)=$", stripped):  # headings, options, tables, HTML, math, comments, labels
                out.append(line)
                continue
            while True:  # one term at a time, re-splitting so that a new role is protected from shorter terms
                parts = _PROTECTED.split(line)
                hit = None
                for i in range(0, len(parts), 2):  # even indices: plain prose
                    for t in terms:
                        if t.lower() in done:
                            continue
                        m = re.search(r"(?<![\w-])" + re.escape(t) + r"(?![\w-])", parts[i], re.I)
                        if m:
                            hit = (i, m, t)
                            break
                    if hit:
                        break
                if not hit:
                    break
                i, m, t = hit
                parts[i] = parts[i][:m.start()] + f"{{term}}`{m.group(0)} <{t}>`" + parts[i][m.end():]
                done.add(t.lower())
                n += 1
                line = "".join(parts)
            out.append(line)
        cell["source"] = "\n".join(out)
    return n


_OUR_BOXES = re.compile(r"\n?:::\{admonition\} (?:This page ran at the \w+ profile|What this page shows|Rerun this page)\n"
                        r".*?\n:::\n", re.S)


def _retitle(nb, title: str, extra: str) -> bool:
    """Replace the first markdown cell's ``# heading`` by ``title`` and put ``extra`` right after it."""
    for cell in nb["cells"]:
        if cell.get("cell_type") != "markdown":
            continue
        original = cell["source"]
        cell["source"] = _OUR_BOXES.sub("", original)  # boxes a previous pass inserted are replaced, not repeated
        lines = cell["source"].split("\n")
        for i, line in enumerate(lines):
            if line.startswith("# "):
                if title:
                    lines[i] = f"# {title}"
                if extra and extra.strip() not in cell["source"]:
                    lines[i + 1:i + 1] = ["", extra.rstrip("\n")]
                new = "\n".join(lines)
                changed = new != original
                cell["source"] = new
                return changed
        return False
    return False


def apply(nb, drop_outputs: bool = False, *, title: str = "", profile: str | None = None, parameters: dict | None = None,
          command: str = "", claims=None, terms=()) -> int:
    """Tag every code cell of ``nb`` for reading (in place); return the number of cells changed.

    Parameters
    ----------
    nb : nbformat.NotebookNode or dict
        A notebook (executed or committed); its outputs decide what each cell shows.
    drop_outputs : bool
        Also delete a redundant last value (a path, a repr, a table also glued) from a cell that
        shows something else as well. The pipeline does this on executed notebooks; committed
        notebooks keep their outputs (nbval compares them).
    title : str
        The page's own title (its params file's ``title``): replaces the notebook's ``# heading``,
        which several settings of one notebook share.
    profile, parameters, command : str, dict, str
        The profile and parameters the page ran at and its command: a banner under the title when
        the profile is not ``paper`` (:func:`banner_markdown`).
    claims : DataFrame or None
        The page's claims table: a "What this page shows" box under the title (:func:`summary_markdown`).
    terms : sequence of str
        The glossary's terms (:func:`glossary_terms`): the first use of each in the page's prose is linked.

    Returns
    -------
    int
        How many cells got new tags (0 when the notebook is already in reading mode).
    """
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if cells is None:
        raise ValueError("nb: not a notebook (no 'cells')")
    head = banner_markdown(profile, parameters or {}, command) + summary_markdown(claims, title) + rerun_markdown(command)
    changed_head = _retitle(nb, title, head) if (title or head) else False
    changed_head = caption_tables(nb) > 0 or changed_head
    changed_head = link_terms(nb, list(terms)) > 0 or changed_head
    glued = _glued_sources(cells)
    pngs = _glued_images(cells)
    changed = 0
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        new = cell_tags(cell, glued, pngs)
        if new != _tags(cell):
            _set_tags(cell, new)
            changed += 1
        if drop_outputs:  # glued words pasted with {glue:text} show Markdown literally: no backticks there
            for out in cell.get("outputs", []):
                text = out.get("data", {}).get(_GLUE + "text/plain")
                if isinstance(text, str) and _NEG_ZERO.search(text):  # a glued number or sentence with "-0.000"
                    out["data"][_GLUE + "text/plain"] = _NEG_ZERO.sub(r"\1", text)
                    changed += 1
                for key in ("text/html", _GLUE + "text/html"):
                    html = out.get("data", {}).get(key)
                    if html and "<table" in "".join(html):
                        tidy = tidy_table_html("".join(html))
                        if tidy != "".join(html):
                            out["data"][key] = tidy
                            changed += 1
                text = out.get("data", {}).get(_GLUE + "text/plain")
                if isinstance(text, str) and "`" in text and len(out["data"]) == 1:
                    out["data"][_GLUE + "text/plain"] = text.replace("`", "")
                    changed += 1
        # A redundant last value in a cell that also shows something else: drop just that output.
        expr = _last_expression(cell.get("source", ""))
        if drop_outputs and expr is not None and "remove-cell" not in new:
            keep = [o for o in cell.get("outputs", []) if not (o.get("output_type") == "execute_result"
                                                              and _redundant_result(expr, o, glued))]
        else:
            keep = list(cell.get("outputs", []))
        if drop_outputs and "remove-cell" not in new:
            keep = [o for o in keep if not _duplicate_image(o, pngs)]  # the glued copy is the one the prose shows
            if len(keep) != len(cell.get("outputs", [])):
                cell["outputs"] = keep
                changed += 1
    return changed + int(changed_head)


def main(argv: list[str] | None = None) -> int:
    """``python -m ibutils.publish.reading NOTEBOOK...``: tag notebooks for reading in place."""
    import nbformat

    ap = argparse.ArgumentParser(prog="python -m ibutils.publish.reading", description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook is not in reading mode")
    args = ap.parse_args(argv)
    status = 0
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        n = apply(nb)
        if n and args.check:
            print(f"{path}: {n} cells not in reading mode")
            status = 1
        elif n:
            nbformat.write(nb, path)
            print(f"{path}: {n} cells tagged")
    return status


if __name__ == "__main__":
    sys.exit(main())
