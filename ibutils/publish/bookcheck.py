"""A check of the built book as its readers see it (issue 20, item 8).

Parses every page of a built Jupyter Book (``_build/html``) and counts what a reader
should never meet: a figure or table shown twice, a build machine's path or an object's
``repr`` printed into a page, table cells cut at ``...``, ``NaN``, negative zero
(``-0.000``), literal backticks in prose, generic or shared page titles, tables
captioned as figures, long code cells shown unfolded, the papermill-injected parameters
cell shown, and MathJax loaded from a CDN (formulas would stay raw LaTeX offline).

``python -m ibutils.publish.bookcheck _build/html`` prints the defects per page and exits
with status 1 when any defect of a failing kind (``--fail-on``, default every kind) is
found. Like the rest of :mod:`ibutils.publish` it imports neither the library nor the
studies; it needs only BeautifulSoup.

A second, optional step (``--browser``) opens a few pages in headless Chromium
(``chromium --headless --dump-dom``, after scripts ran) and checks that formulas were
typeset by MathJax from the book's own copy, i.e. offline.
"""
from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

#: Every defect kind the check counts, with the sentence a report prints for it.
KINDS: dict[str, str] = {
    "duplicate_image": "the same image shown more than once on the page",
    "duplicate_table": "the same table shown more than once on the page (numbers compared to 2 decimals)",
    "leaked_path": "a file path or object repr printed into the page",
    "truncated_cell": "a table cell cut at '...'",
    "nan": "'NaN' shown to the reader",
    "negative_zero": "a negative zero such as '-0.000'",
    "literal_backtick": "a literal backtick in text (unrendered Markdown)",
    "generic_title": "a page title shared with another page or generic",
    "table_as_figure": "a table captioned as a figure ('Fig.')",
    "long_code": "a code cell of more than LONG_CODE_LINES lines shown unfolded",
    "injected_parameters": "the papermill-injected parameters cell shown as code",
    "cdn_mathjax": "MathJax loaded from the network (formulas raw offline)",
}
#: A shown (not folded) code cell longer than this is a wall of code before the result.
LONG_CODE_LINES = 12
#: Titles that say nothing about the page (the issue's three shared titles among them).
GENERIC_TITLES = ("A harmonics experiment", "Binning versus adaptive binning: one setting", "An MNIST setting",
                  "Untitled", "Notebook")

_PATH = re.compile(r"(PosixPath\(|WindowsPath\(|(?<![\w.])/(?:tmp|work|home|root|Users|var/folders)/[\w.\-]+"
                   r"|book/executed/\.[\w.\-]+|\bobject at 0x[0-9a-fA-F]+|<Figure size \d+x\d+ with|<Axes:|<AxesSubplot:"
                   r"|<matplotlib\.[\w.]+ at 0x)")
_NAN = re.compile(r"(?<![\w.])(?:NaN|nan)(?![\w])")
_NEG_ZERO = re.compile(r"(?<![\w.\d])[-\u2212]0(?:\.0+)?(?![\d.]*[1-9])(?![\d\w])")
_ELLIPSIS = ("...", "\u2026")
_CDN = re.compile(r"https?://[^\"' ]*(?:mathjax|MathJax)", re.IGNORECASE)


@dataclass
class PageReport:
    """The defects found on one page: kind -> list of short examples (one per defect)."""

    page: str
    title: str = ""
    defects: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, kind: str, example: str) -> None:
        """Record one defect of ``kind`` with a short example of it."""
        if kind not in KINDS:
            raise ValueError(f"kind: unknown defect kind {kind!r}")
        self.defects[kind].append(" ".join(str(example).split())[:90])

    def counts(self) -> dict[str, int]:
        """Number of defects of each kind found on the page (kinds with none omitted)."""
        return {k: len(v) for k, v in self.defects.items() if v}


def _soup(html: str):
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser")


def _article(soup):
    """The page's own content: the article (not the navigation, which repeats other pages' titles)."""
    for sel in ("article.bd-article", "main#main-content", "div.bd-article-container", "main", "body"):
        node = soup.select_one(sel)
        if node is not None:
            return node
    return soup


def _hidden(node) -> bool:
    """Whether a node sits in a folded (``hide-*`` / ``<details>``) or removed part of a cell."""
    for parent in node.parents:
        if parent.name == "details":
            return True
        classes = parent.get("class") or []
        if any(c in ("toggle-hidden", "tag_hide-input", "tag_hide-cell", "tag_remove-input") for c in classes):
            return True
    return False


def _inline_code_in_prose(node) -> bool:
    """Inline ``code`` in the page's prose (a path a chapter names on purpose), not in a cell's output."""
    parents = list(node.parents)
    return (any(p.name == "code" for p in parents) and not any(p.name == "pre" for p in parents)
            and not any("cell_output" in (p.get("class") or []) for p in parents))


def _code_sample_in_prose(node) -> bool:
    """A highlighted code sample the prose shows on purpose (a Markdown code block), not a cell's output."""
    parents = list(node.parents)
    return (any("highlight" in (p.get("class") or []) for p in parents)
            and not any("cell_output" in (p.get("class") or []) for p in parents))


def _reader_text_nodes(article) -> Iterable[tuple[str, bool, bool]]:
    """(text, in_code, prose_code) for every text node a reader sees: code *inputs* excluded, outputs included."""
    for s in article.find_all(string=True):
        parent = s.parent
        if parent is None or parent.name in ("script", "style", "math", "annotation"):
            continue
        if any((p.get("class") or []) and "cell_input" in p.get("class") for p in s.parents):
            continue
        if any("headerlink" in (p.get("class") or []) for p in s.parents):
            continue
        in_code = any(p.name in ("pre", "code", "kbd", "samp", "tt") or "highlight" in (p.get("class") or [])
                      for p in s.parents)
        yield str(s), in_code, _inline_code_in_prose(s) or _code_sample_in_prose(s)


def _round_number(m: re.Match) -> str:
    return f"{float(m.group(0)):.2f}"


def _table_key(table) -> str:
    """A table's text with numbers rounded to 2 decimals (a frame and its rounded copy compare equal)."""
    rows = []
    for tr in table.find_all("tr"):
        cells = [" ".join(c.get_text(" ").split()) for c in tr.find_all(["td", "th"])]
        rows.append("|".join(re.sub(r"-?\d+\.\d+", _round_number, c) for c in cells))
    return "\n".join(rows) if len(rows) > 1 else ""


def check_page(html: str, page: str = "page.html", root: Path | None = None) -> PageReport:
    """Count the defects of one built page.

    Parameters
    ----------
    html : str
        The page's HTML as Sphinx wrote it.
    page : str
        Its path relative to the book's root (for the report).
    root : Path or None
        The built book's folder; when given, images are compared by content (a glued
        figure and its cell output are two files with the same bytes), else by ``src``.

    Returns
    -------
    PageReport
        Every defect found, except ``generic_title`` across pages (see :func:`check_book`).
    """
    soup = _soup(html)
    report = PageReport(page)
    art = _article(soup)
    h1 = art.find("h1")
    report.title = " ".join(h1.get_text(" ").replace("#", "").split()) if h1 else ""
    if report.title in GENERIC_TITLES:
        report.add("generic_title", report.title)

    # Images: the same picture twice (by bytes when the files are at hand).
    seen: Counter = Counter()
    for img in art.find_all("img"):
        src = img.get("src") or ""
        key = src
        if src.startswith("data:"):
            key = hashlib.sha1(src.encode()).hexdigest()
        elif root is not None:
            f = (root / Path(page).parent / src).resolve()
            if f.is_file():
                key = hashlib.sha1(f.read_bytes()).hexdigest()
        seen[key] += 1
        if seen[key] == 2 or seen[key] > 2:
            report.add("duplicate_image", src.rsplit("/", 1)[-1][:60])

    # Tables: the same table twice (a cell's displayed frame and its glued, rounded copy).
    seen_tables: Counter = Counter()
    for table in art.find_all("table"):
        key = _table_key(table)
        seen_tables[key] += 1
        if key and seen_tables[key] > 1:
            report.add("duplicate_table", table.get_text(" ")[:60])

    # Text a reader sees.
    for text, in_code, prose_code in _reader_text_nodes(art):
        m = _PATH.search(text)  # one defect a printed line/cell, however many path fragments it holds
        if m and not prose_code:  # a folder the prose names on purpose (`book/executed/.failed/`) is no leak
            report.add("leaked_path", text[max(0, m.start() - 10):m.end() + 40])
        if prose_code:  # code the prose names or shows on purpose (`np.nan`, `# no -0.0`) is not a value
            continue
        for m in _NAN.finditer(text):
            report.add("nan", text[max(0, m.start() - 30):m.end() + 10])
        for m in _NEG_ZERO.finditer(text):
            report.add("negative_zero", text[max(0, m.start() - 20):m.end() + 10])
        if not in_code and "`" in text:
            report.add("literal_backtick", text[:80])

    # Tables: truncated cells; tables inside figures captioned "Fig.".
    for cell in art.find_all(["td", "th"]):
        t = cell.get_text(" ").strip()
        if t.endswith(_ELLIPSIS):
            report.add("truncated_cell", t[-60:])
    for fig in art.find_all("figure") + art.select("div.figure"):
        cap = fig.find("figcaption") or fig.select_one("p.caption")
        if fig.find("table") is not None and cap is not None and "Fig" in cap.get_text():
            report.add("table_as_figure", cap.get_text(" ")[:60])

    # Code cells shown unfolded, and the injected parameters.
    for cell in art.select("div.cell"):
        classes = cell.get("class") or []
        inp = cell.select_one("div.cell_input")
        if inp is None:
            continue
        folded = _hidden(inp) or any(c in ("tag_hide-input", "tag_hide-cell", "tag_remove-input") for c in classes)
        if "tag_injected-parameters" in classes and not folded:
            report.add("injected_parameters", inp.get_text(" ")[:60])
        n_lines = len(inp.get_text().strip("\n").splitlines())
        if not folded and n_lines > LONG_CODE_LINES:
            report.add("long_code", f"{n_lines} lines: " + inp.get_text(" ")[:50])

    # MathJax from the network.
    for script in soup.find_all("script"):
        src = script.get("src") or ""
        if _CDN.search(src):
            report.add("cdn_mathjax", src)
    return report


def check_book(root: str | Path, pages: Iterable[str] | None = None) -> list[PageReport]:
    """Check every page of a built book and the titles across pages.

    Parameters
    ----------
    root : str or Path
        The built HTML (``_build/html``).
    pages : iterable of str or None
        Paths relative to ``root`` to check; ``None``: every ``.html`` page except
        Sphinx's own (``genindex``, ``search``, ``_static``, ``_sources``).

    Returns
    -------
    list of PageReport
        One report a page, sorted by page.

    Raises
    ------
    ValueError
        If ``root`` is not a folder holding HTML pages.
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"root: {root} is not a folder (build the book first)")
    if pages is None:
        skip = ("_static", "_sources", "_images", "_sphinx_design_static", "genindex", "search", "py-modindex")
        pages = sorted(str(p.relative_to(root)) for p in root.rglob("*.html")
                       if not any(part.startswith(skip) for part in p.relative_to(root).parts))
    pages = list(pages)
    if not pages:
        raise ValueError(f"root: no HTML pages under {root}")
    reports = [check_page((root / p).read_text(encoding="utf-8"), p, root) for p in pages]
    by_title: dict[str, list[PageReport]] = defaultdict(list)
    for r in reports:
        if r.title:
            by_title[r.title].append(r)
    for title, rs in by_title.items():
        if len(rs) > 1:
            for r in rs:
                if title not in GENERIC_TITLES:  # already counted once
                    r.add("generic_title", f"{title} (x{len(rs)})")
    return reports


def totals(reports: Iterable[PageReport]) -> dict[str, tuple[int, int]]:
    """kind -> (number of defects, number of pages with one) over all reports, every kind listed."""
    n: Counter = Counter()
    p: Counter = Counter()
    for r in reports:
        for k, c in r.counts().items():
            n[k] += c
            p[k] += 1
    return {k: (n[k], p[k]) for k in KINDS}


def format_report(reports: list[PageReport], examples: int = 2) -> str:
    """The text report: per page its defects with a few examples, then the totals."""
    lines = []
    for r in reports:
        counts = r.counts()
        if not counts:
            continue
        lines.append(f"{r.page}  ({r.title})")
        for k, c in sorted(counts.items()):
            ex = "; ".join(repr(e) for e in r.defects[k][:examples])
            lines.append(f"  {k:20s} {c:4d}  e.g. {ex}")
    lines.append("")
    lines.append(f"{'defect':20s} {'count':>6s} {'pages':>6s}  of {len(reports)} pages")
    for k, (c, p) in totals(reports).items():
        lines.append(f"{k:20s} {c:6d} {p:6d}  {KINDS[k]}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# The browser check: formulas typeset offline.

def find_chromium() -> str | None:
    """The headless browser's executable, if installed (Debian's ``chromium`` or a Chrome)."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        exe = shutil.which(name)
        if exe:
            return exe
    return None


def rendered_math(dom: str) -> tuple[int, int]:
    """(formulas typeset, formulas left as raw LaTeX) in a DOM dumped after MathJax ran.

    MathJax 2 leaves ``span.MathJax``/``span.MathJax_SVG``/``span.MathJax_CHTML`` (or
    ``MathJax_Preview`` only when it failed), MathJax 3 ``mjx-container`` elements; a
    ``span.math``/``div.math`` with ``\\(``/``\\[`` text and no such element beside it is raw.
    """
    soup = _soup(dom)
    typeset = len(soup.find_all("mjx-container")) + len(
        soup.select("span.MathJax, span.MathJax_CHTML, span.MathJax_SVG, div.MathJax_Display, span.MathJax_Display"))
    raw = 0
    for node in soup.select("span.math, div.math"):
        if node.find(["mjx-container"]) is None and not node.select("span.MathJax, span.MathJax_CHTML, span.MathJax_SVG") \
                and re.search(r"\\\(|\\\[|\$", node.get_text()):
            raw += 1
    return typeset, raw


def browser_check(root: str | Path, pages: Iterable[str], timeout: int = 60) -> list[str]:
    """Open ``pages`` in headless Chromium offline and return the problems found (empty: fine).

    A page fails when it has formulas but none was typeset, or when some stay raw.
    """
    exe = find_chromium()
    if exe is None:
        return ["chromium: not installed (apt-get install -y chromium)"]
    problems = []
    for page in pages:
        f = (Path(root) / page).resolve()
        if not f.is_file():
            problems.append(f"{page}: missing")
            continue
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
               "--virtual-time-budget=15000", "--proxy-server=127.0.0.1:9", "--dump-dom", f.as_uri()]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout).stdout
        except subprocess.TimeoutExpired:
            problems.append(f"{page}: chromium timed out")
            continue
        typeset, raw = rendered_math(out)
        html = f.read_text(encoding="utf-8")
        has_math = bool(_soup(html).select("span.math, div.math"))
        if has_math and (typeset == 0 or raw):
            problems.append(f"{page}: {typeset} formulas typeset, {raw} left raw (offline)")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m ibutils.publish.bookcheck _build/html [--fail-on kinds] [--browser pages]``."""
    ap = argparse.ArgumentParser(prog="python -m ibutils.publish.bookcheck", description=__doc__.splitlines()[0])
    ap.add_argument("root", help="the built HTML, e.g. _build/html")
    ap.add_argument("--fail-on", default="all",
                    help="comma-separated defect kinds that fail the check ('all', or e.g. leaked_path,nan)")
    ap.add_argument("--browser", default="", help="comma-separated pages to open in headless Chromium (math offline)")
    ap.add_argument("--examples", type=int, default=2, help="examples printed per page and defect kind")
    args = ap.parse_args(argv)
    fail_on = set(KINDS) if args.fail_on == "all" else {k.strip() for k in args.fail_on.split(",") if k.strip()}
    unknown = fail_on - set(KINDS)
    if unknown:
        raise ValueError(f"--fail-on: unknown defect kinds {sorted(unknown)}; known: {sorted(KINDS)}")
    reports = check_book(args.root)
    print(format_report(reports, args.examples))
    failed = sorted(k for k, (c, _) in totals(reports).items() if c and k in fail_on)
    status = 0
    if failed:
        print(f"\nbook check FAILED: {', '.join(failed)}")
        status = 1
    if args.browser:
        problems = browser_check(args.root, [p.strip() for p in args.browser.split(",") if p.strip()])
        for p in problems:
            print(f"browser: {p}")
        if problems:
            print("browser check FAILED")
            status = 1
        else:
            print("browser check passed: formulas typeset offline")
    if status == 0:
        print("book check passed")
    return status


if __name__ == "__main__":
    sys.exit(main())
