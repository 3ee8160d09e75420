"""The rule book: verdict words, what each means, and the claims tables of the scorecard.

Each chapter states which claims of the source studies it tests, what the study reported, what
we measured (a number with its uncertainty) and a verdict computed from that number by the rules
below, the same for every chapter. A study module's ``claims(...)`` applies them (and is
unit-tested on constructed tables); :func:`claims_table` validates the rows, adds the profile
and scale columns, saves ``claims.csv`` beside the executed notebook (collected by the
scorecard page) and returns it for display.

The rules
---------
*Significance.* An effect (a drop of I(X;T), a DPI violation, a difference between two
settings) is **significant** when the 95% t-interval of its mean over independently seeded runs
lies entirely beyond the margin :data:`MARGIN_BITS` (0.1 bit for information quantities; a
claim that measures something else states its own margin) in the claimed direction. It is
**significant in the opposite direction** when the interval lies entirely beyond the margin on
the other side.

*Seeds.* No verdict other than "inconclusive" rests on fewer than :data:`MIN_SEEDS` (3) seeds:
with fewer, the verdict is "inconclusive" and the row says "too few seeds".

*Words.* For a claim that an effect is present in every unit it names (layers, activations,
settings): **reproduced** when it is significant in all of them; **partly reproduced** when in
some; **contradicted** when in none and the opposite effect is significant in at least one;
**not reproduced** otherwise. For a claim that an effect exists somewhere: reproduced when it is
significant in at least one unit. For a claim that an effect is *absent*: reproduced when every
interval excludes the margin (the effect is ruled out), contradicted when the effect is
significant in some unit, inconclusive when the intervals are too wide to tell. For a reported
number: reproduced when the number lies within the stated tolerance of our interval, partly
reproduced within the wider tolerance, not reproduced otherwise.

*Demonstrations.* Rows that illustrate a mechanism on a constructed example rather than
replicate a reported experiment have ``kind = "demonstration"``; they are shown but kept out of
the tallies.

*Settings.* A claim the study made at a setting (a number of bins, a sample size, a seed) is
compared with it only when the page ran at that setting (:func:`setting_matches`). Run at
another one (``python -m ibutils run ... -p n_bins=30``), the row's verdict is **different
setting**: the claim and the measurement are stated for the page's own setting, the note says
what the rules give there, and the row is kept out of the tallies (:func:`verdict_at_setting`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .page import save_table

#: The verdict of a row whose page ran at another setting than the study's (kept out of the tallies).
DIFFERENT = "different setting"
#: The verdicts the tallies count.
TALLIED = ("reproduced", "partly reproduced", "not reproduced", "contradicted", "inconclusive")
VERDICTS = TALLIED + (DIFFERENT,)
#: The smallest effect that counts, in bits.
MARGIN_BITS = 0.1
#: The fewest seeds any verdict other than "inconclusive" may rest on.
MIN_SEEDS = 3
#: Kinds of claims rows: replications count in the tallies, demonstrations do not.
KINDS = ("replication", "demonstration")
COLUMNS = ["chapter", "claim", "source", "reported", "measured", "verdict", "kind", "profile", "n_seeds",
           "epochs", "study_seeds", "study_epochs", "at_study_scale", "note"]
TOO_FEW = "too few seeds"

#: The rule book in words, for the scorecard page (``{margin}``/``{min_seeds}`` filled in).
RULES = {
    "reproduced": "the claimed effect is significant (95% interval of the mean over seeds beyond the "
                  "{margin:g}-bit margin in the claimed direction) in every unit the claim names; for a reported "
                  "number, our interval lies within the stated tolerance of it; for an absent effect, every interval "
                  "rules it out",
    "partly reproduced": "significant in some but not all of the units the claim names, or a reported number "
                         "within the wider tolerance only",
    "not reproduced": "significant in none of the units, and the opposite effect not significant either",
    "contradicted": "the opposite effect is significant (or, for an absent effect, the effect is significant)",
    "inconclusive": "fewer than {min_seeds} seeds, or intervals too wide to rule an effect in or out",
    DIFFERENT: "the page ran at another setting than the one the study states the claim for (e.g. another number "
               "of bins): not compared with the study, and not counted in the tallies",
}


def _same(a, b) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or isinstance(b, str):
        return a == b
    try:
        return bool(np.isclose(float(a), float(b), rtol=1e-9, atol=0.0))
    except (TypeError, ValueError):
        return a == b


def setting_differences(study: dict, run: dict) -> list[str]:
    """The keys of the study's ``setting`` at which ``run`` differs, as ``"key run (the study: value)"``.

    Parameters
    ----------
    study : ``{parameter: value}`` of the setting the study states its claim for; a value that
        is a ``set`` or ``frozenset`` lists several settings the study used (any of them matches).
    run : ``{parameter: value}`` the page ran with (it must hold every key of ``study``).
    """
    out = []
    for key, want in study.items():
        if key not in run:
            raise ValueError(f"setting: the run's setting has no {key!r} (the study's setting names it)")
        have = run[key]
        ok = any(_same(have, w) for w in want) if isinstance(want, (set, frozenset)) else _same(have, want)
        if not ok:
            shown = " or ".join(map(str, sorted(want, key=str))) if isinstance(want, (set, frozenset)) else want
            out.append(f"{key} {have} (the study: {shown})")
    return out


def setting_matches(study: dict, run: dict) -> bool:
    """Whether the page ran at the setting the study states its claim for (see :func:`setting_differences`)."""
    return not setting_differences(study, run)


def verdict_at_setting(row: dict, study: dict, run: dict) -> dict:
    """A claims row, compared with the study only at the study's setting.

    When ``run`` matches ``study`` (:func:`setting_matches`) the row is returned unchanged.
    Otherwise its verdict becomes :data:`DIFFERENT` and its note says which parameters differ and
    what the rules give at the page's setting (e.g. ``"n_bins 30 (the study: 50); at this setting
    the rules give: not reproduced"``), so the row stays informative but out of the tallies.
    """
    diff = setting_differences(study, run)
    if not diff:
        return dict(row)
    out = dict(row)
    out["verdict"] = DIFFERENT
    here = f"{'; '.join(diff)}; at this setting the rules give: {row['verdict']}"
    out["note"] = "; ".join(x for x in (here, row.get("note") or "") if x)
    return out


def rules_verdict(row: dict) -> str:
    """The verdict the rules give at the page's own setting: the row's verdict, or for a row at a
    :data:`DIFFERENT` setting the one :func:`verdict_at_setting` wrote into its note (for sentences
    that describe what this run found)."""
    if row["verdict"] != DIFFERENT:
        return row["verdict"]
    for v in TALLIED:
        if f"the rules give: {v}" in (row.get("note") or ""):
            return v
    return DIFFERENT


def effect(mci, *, n: int, margin: float = MARGIN_BITS, direction: int = 1) -> str:
    """Classify one unit's effect from its mean and 95% interval.

    Parameters
    ----------
    mci : (mean, ci_low, ci_high)
        The effect's mean over seeds and its t-interval (``ibutils.stats.mean_ci``).
    n : number of seeds behind it.
    margin : smallest effect that counts (bits unless stated).
    direction : +1 when the claim is that the quantity is larger than 0 (a drop, a violation),
        -1 when it is smaller.

    Returns
    -------
    ``"too few"`` (n < :data:`MIN_SEEDS`), ``"supports"`` (the interval lies beyond ``+margin`` in
    the claimed direction), ``"opposes"`` (beyond ``margin`` in the other direction), ``"excludes"``
    (the interval lies inside ``(-margin, margin)``: no effect either way) or ``"unclear"``.
    """
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction!r}")
    _, lo, hi = (float(x) for x in mci)
    if int(n) < MIN_SEEDS or not (np.isfinite(lo) and np.isfinite(hi)):
        return "too few"
    lo, hi = (lo, hi) if direction == 1 else (-hi, -lo)
    if lo > margin:
        return "supports"
    if hi < -margin:
        return "opposes"
    if -margin < lo and hi < margin:
        return "excludes"
    return "unclear"


def verdict_all(effects) -> str:
    """Verdict for "the effect is present in every unit" from :func:`effect` results."""
    effects = list(effects)
    if not effects or "too few" in effects:
        return "inconclusive"
    k = effects.count("supports")
    if k == len(effects):
        return "reproduced"
    if k:
        return "partly reproduced"
    return "contradicted" if "opposes" in effects else "not reproduced"


def verdict_any(effects) -> str:
    """Verdict for "the effect is present in at least one unit"."""
    effects = list(effects)
    if not effects or "too few" in effects:
        return "inconclusive"
    if "supports" in effects:
        return "reproduced"
    return "contradicted" if all(e == "opposes" for e in effects) else "not reproduced"


def verdict_none(effects) -> str:
    """Verdict for "the effect is absent in every unit" (e.g. "ReLU layers do not compress")."""
    effects = list(effects)
    if not effects or "too few" in effects:
        return "inconclusive"
    if "supports" in effects:
        return "contradicted"
    if all(e in ("excludes", "opposes") for e in effects):
        return "reproduced"
    return "inconclusive"


def verdict_value(mci, reported: float, *, n: int, close: float, partly: float, relative: bool = False) -> str:
    """Verdict for a reported number against our mean and interval.

    Reproduced when ``reported`` lies within ``close`` of the interval ``[lo, hi]`` (absolute, or
    a factor when ``relative``), partly reproduced within ``partly``, not reproduced otherwise.
    """
    m, lo, hi = (float(x) for x in mci)
    if int(n) < MIN_SEEDS or not np.isfinite(m):
        return "inconclusive"
    if relative:
        if reported <= 0 or lo <= 0:
            return "inconclusive"
        gap = max(reported / hi, lo / reported, 1.0)
    else:
        gap = max(reported - hi, lo - reported, 0.0)
    if gap <= close:
        return "reproduced"
    return "partly reproduced" if gap <= partly else "not reproduced"


def verdict_values(words) -> str:
    """Combine per-unit :func:`verdict_value` words into one verdict for "every unit matches its reported number".

    Inconclusive when there is no unit or any unit is inconclusive; reproduced when every unit is;
    not reproduced when no unit is reproduced or partly reproduced; partly reproduced otherwise.
    """
    words = list(words)
    if not words or "inconclusive" in words:
        return "inconclusive"
    if all(w == "reproduced" for w in words):
        return "reproduced"
    if any(w in ("reproduced", "partly reproduced") for w in words):
        return "partly reproduced"
    return "not reproduced"


def verdict(ok: bool, partly: bool = False, *, n: int | None = None) -> str:
    """'reproduced' if ``ok``, else 'partly reproduced' if ``partly``, else 'not reproduced';
    'inconclusive' when ``n`` (seeds) is given and below :data:`MIN_SEEDS`. For claims whose test
    is a yes/no fact (an exact identity, a count); effects with intervals use :func:`effect`."""
    if n is not None and int(n) < MIN_SEEDS:
        return "inconclusive"
    return "reproduced" if ok else ("partly reproduced" if partly else "not reproduced")


def claims_table(chapter: str, rows: list[dict], *, profile: str | None = None) -> pd.DataFrame:
    """Validate, complete, save and return a chapter's claims.

    Parameters
    ----------
    chapter : the chapter's title.
    rows : dicts with keys ``claim``, ``source``, ``reported``, ``measured`` (text with the
        glued numbers) and ``verdict`` (one of :data:`VERDICTS`); optional ``kind`` (one of
        :data:`KINDS`, default ``"replication"``), ``n_seeds``, ``epochs`` (what this row ran),
        ``study_seeds``, ``study_epochs`` (the source study's scale for it) and ``note``.
    profile : the profile the page ran at (default: the pipeline's, ``"defaults"`` outside it).

    A replication row whose ``n_seeds`` is below :data:`MIN_SEEDS` gets the verdict
    "inconclusive" and the note "too few seeds", whatever it asked for. ``at_study_scale`` is
    true when both the seeds and the epochs reach the study's (unknown: false).
    """
    from .page import profile as _profile

    prof = profile or _profile()
    out = []
    for i, row in enumerate(rows):
        missing = {"claim", "source", "reported", "measured", "verdict"} - set(row)
        if missing:
            raise ValueError(f"claims row {i}: missing key(s) {sorted(missing)}")
        unknown = set(row) - set(COLUMNS)
        if unknown:
            raise ValueError(f"claims row {i}: unknown key(s) {sorted(unknown)}")
        if row["verdict"] not in VERDICTS:
            raise ValueError(f"claims row {i}: verdict {row['verdict']!r} not in {VERDICTS}")
        r = {c: row.get(c) for c in COLUMNS}
        r["chapter"], r["profile"] = chapter, prof
        r["kind"] = row.get("kind", "replication")
        if r["kind"] not in KINDS:
            raise ValueError(f"claims row {i}: kind {r['kind']!r} not in {KINDS}")
        r["note"] = row.get("note") or ""
        if (r["kind"] == "replication" and r["verdict"] != DIFFERENT and r["n_seeds"] is not None
                and int(r["n_seeds"]) < MIN_SEEDS):
            r["verdict"] = "inconclusive"
            if TOO_FEW not in r["note"]:
                r["note"] = "; ".join(x for x in (TOO_FEW, r["note"]) if x)
        r["at_study_scale"] = bool(
            all(r[c] is not None and np.isfinite(float(r[c])) for c in ("n_seeds", "epochs", "study_seeds", "study_epochs"))
            and float(r["n_seeds"]) >= float(r["study_seeds"]) and float(r["epochs"]) >= float(r["study_epochs"]))
        out.append(r)
    df = pd.DataFrame(out, columns=COLUMNS)
    for c in ("n_seeds", "epochs", "study_seeds", "study_epochs"):
        df[c] = pd.array(df[c], dtype="Int64")
    save_table(df, "claims")
    return df


def scale_words(profile: str, *, n_seeds: int, epochs: int, study_seeds: int | None = None,
                study_epochs: int | None = None) -> str:
    """How a page's scale compares with the source study's, in words built from the params.

    "paper scale" is said only when ``profile == "paper"``; "the study's scale" only when the
    seeds and epochs reach the study's. Example: ``"the standard profile: 8 seeds x 8,000 epochs
    (the study: 40 seeds x 8,000 epochs; below its scale)"``.
    """
    ran = f"{int(n_seeds)} seed{'s' if int(n_seeds) != 1 else ''} x {int(epochs):,} epochs"
    name = "the paper profile (paper scale)" if profile == "paper" else f"the {profile} profile"
    if study_seeds is None or study_epochs is None:
        return f"{name}: {ran}"
    at = int(n_seeds) >= int(study_seeds) and int(epochs) >= int(study_epochs)
    study = f"{int(study_seeds)} seed{'s' if int(study_seeds) != 1 else ''} x {int(study_epochs):,} epochs"
    return f"{name}: {ran} (the study: {study}; {'at' if at else 'below'} its scale)"


def tallies(claims: pd.DataFrame) -> pd.DataFrame:
    """Counts of each verdict over the replication rows (demonstrations and rows run at a
    :data:`DIFFERENT` setting left out), overall and at the studies' scale: columns ``verdict``
    (:data:`TALLIED`), ``all``, ``at_study_scale``."""
    rep = claims[claims.get("kind", pd.Series("replication", index=claims.index)).fillna("replication") == "replication"]
    at = rep[rep["at_study_scale"].astype(bool)] if "at_study_scale" in rep else rep.iloc[:0]
    return pd.DataFrame({"verdict": list(TALLIED),
                         "all": [int((rep["verdict"] == v).sum()) for v in TALLIED],
                         "at_study_scale": [int((at["verdict"] == v).sum()) for v in TALLIED]})


def rules_text(margin: float = MARGIN_BITS, min_seeds: int = MIN_SEEDS) -> pd.DataFrame:
    """The rule book as a two-column table (verdict, meaning) for the scorecard page."""
    return pd.DataFrame({"verdict": list(RULES), "meaning": [RULES[v].format(margin=margin, min_seeds=min_seeds)
                                                             for v in RULES]})


def collect_claims(pattern: str = "book/executed/*/claims.csv", root: str = ".") -> pd.DataFrame:
    """All chapters' claims tables (the ``claims.csv`` files the pipeline saved), in one frame."""
    from pathlib import Path

    files = sorted(Path(root).glob(pattern))
    if not files:
        return pd.DataFrame(columns=COLUMNS)
    df = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    return df.reindex(columns=COLUMNS)


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
