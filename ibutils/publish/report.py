"""Claim / finding / verdict tables, the unit of the replication scorecard.

Each chapter states which claims of the source studies it tests, what the study
reported, what we measured (a number with its uncertainty) and a verdict computed
from that number. :func:`claims_table` builds the tidy frame, saves it as
``claims.csv`` beside the executed notebook (collected by the scorecard page) and
returns it for display.
"""
from __future__ import annotations

import pandas as pd

from .pipeline import save_table

VERDICTS = ("reproduced", "partly reproduced", "not reproduced", "contradicted", "inconclusive")
COLUMNS = ["chapter", "claim", "source", "reported", "measured", "verdict"]


def claims_table(chapter: str, rows: list[dict]) -> pd.DataFrame:
    """Validate, save and return a chapter's claims.

    Parameters
    ----------
    chapter : the chapter's title.
    rows : dicts with keys ``claim``, ``source``, ``reported``, ``measured`` (text
        with the glued numbers) and ``verdict`` (one of :data:`VERDICTS`).
    """
    for i, row in enumerate(rows):
        missing = {"claim", "source", "reported", "measured", "verdict"} - set(row)
        if missing:
            raise ValueError(f"claims row {i}: missing key(s) {sorted(missing)}")
        if row["verdict"] not in VERDICTS:
            raise ValueError(f"claims row {i}: verdict {row['verdict']!r} not in {VERDICTS}")
    df = pd.DataFrame([{"chapter": chapter, **r} for r in rows], columns=COLUMNS)
    save_table(df, "claims")
    return df


def verdict(ok: bool, partly: bool = False) -> str:
    """'reproduced' if ``ok``, else 'partly reproduced' if ``partly``, else 'not reproduced'."""
    return "reproduced" if ok else ("partly reproduced" if partly else "not reproduced")


def collect_claims(pattern: str = "book/executed/*/claims.csv", root: str = ".") -> pd.DataFrame:
    """All chapters' claims tables (the ``claims.csv`` files the pipeline saved), in one frame."""
    from pathlib import Path

    files = sorted(Path(root).glob(pattern))
    if not files:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)[COLUMNS]


def wall_times(results_dir: str, pages: list[str]) -> pd.DataFrame:
    """Profile and wall time of each executed page, read from the provenance the pipeline stores
    in ``<results_dir>/<page>.ipynb``. Pages not executed yet are left out; a last row ``total``
    sums the others. Columns: ``page``, ``profile``, ``wall_time_s``, ``wall_time_min``.
    """
    from pathlib import Path

    from .pipeline import read_provenance

    cols = ["page", "profile", "wall_time_s", "wall_time_min"]
    rows = []
    for page in pages:
        info = read_provenance(Path(results_dir) / f"{page}.ipynb") if results_dir else None
        if info and "wall_time_s" in info:
            rows.append(dict(page=page, profile=info.get("profile", ""), wall_time_s=float(info["wall_time_s"])))
    if not rows:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(rows)
    profiles = sorted(set(df.profile))
    df.loc[len(df)] = dict(page="total", profile="/".join(profiles), wall_time_s=df.wall_time_s.sum())
    df["wall_time_min"] = df.wall_time_s / 60
    return df[cols].round(1)
