"""A Sphinx extension: MathJax served from the built book, so formulas typeset offline (issue 20, item 6).

By default Jupyter Book loads MathJax from a CDN; without a network (a classroom, an archived copy,
``file://`` from a USB stick) every formula then stays raw LaTeX. This extension copies MathJax 2
(the ``jupyter-server-mathjax`` package's files, 12 MB with the STIX-Web fonts) into
``_build/html/_static/mathjax`` after the build; ``_config.yml`` points ``mathjax_path`` at it and
gives the MathJax 2 configuration (``mathjax2_config``: HTML-CSS output with the STIX-Web web font,
the book's macros).

Listed in ``_config.yml`` under ``sphinx: extra_extensions``. Imports neither the library nor the
studies (layer rule of :mod:`ibutils.publish`).
"""
from __future__ import annotations

import shutil
from pathlib import Path

#: Where the copy goes, under the built book's ``_static`` (``mathjax_path`` is relative to ``_static``).
TARGET = "mathjax"
#: What ``mathjax_path`` in ``_config.yml`` must be.
MATHJAX_PATH = f"{TARGET}/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"


def mathjax_source() -> Path:
    """The folder holding ``MathJax.js`` of the installed ``jupyter-server-mathjax``.

    Raises
    ------
    ValueError
        If the package is not installed (``pip install -e '.[book]'``) or lacks its files.
    """
    try:
        import jupyter_server_mathjax
    except ImportError as err:
        raise ValueError("jupyter-server-mathjax: not installed; pip install -e '.[book]' (MathJax for offline formulas)") from err
    src = Path(jupyter_server_mathjax.__file__).parent / "static"
    if not (src / "MathJax.js").is_file():
        raise ValueError(f"jupyter-server-mathjax: no MathJax.js under {src}")
    return src


def copy_mathjax(outdir: str | Path) -> Path:
    """Copy MathJax into ``<outdir>/_static/mathjax`` (skipped when an identical copy is there); return it."""
    src = mathjax_source()
    dst = Path(outdir) / "_static" / TARGET
    if (dst / "MathJax.js").is_file() and (dst / "MathJax.js").stat().st_size == (src / "MathJax.js").stat().st_size:
        return dst
    tmp = dst.with_name(f".{TARGET}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(src, tmp)
    if dst.exists():
        shutil.rmtree(dst)
    tmp.rename(dst)
    return dst


def _check_config(app, config) -> None:
    path = getattr(config, "mathjax_path", "") or ""
    if "://" in path or not path:
        from sphinx.util import logging

        logging.getLogger(__name__).warning(f"offline_mathjax: mathjax_path is {path!r}; set it to {MATHJAX_PATH!r} "
                                            "in _config.yml to serve MathJax from the book")


def _copy(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        copy_mathjax(app.outdir)


def setup(app):
    """Sphinx entry point."""
    mathjax_source()  # fail at the start of the build, not after it, when the files are missing
    app.connect("config-inited", _check_config)
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
