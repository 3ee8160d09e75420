import numpy as np
import pytest

from ibutils.publish import report as r


def test_effect_classifies_intervals():
    assert r.effect((0.5, 0.2, 0.8), n=5) == "supports"
    assert r.effect((0.5, 0.05, 0.8), n=5) == "unclear"
    assert r.effect((-0.5, -0.8, -0.2), n=5) == "opposes"
    assert r.effect((0.0, -0.05, 0.05), n=5) == "excludes"
    assert r.effect((-0.5, -0.8, -0.2), n=5, direction=-1) == "supports"
    assert r.effect((0.5, 0.2, 0.8), n=2) == "too few"
    assert r.effect((0.5, np.nan, np.nan), n=5) == "too few"
    assert r.effect((0.5, 0.2, 0.8), n=5, margin=0.3) == "unclear"
    with pytest.raises(ValueError, match="direction"):
        r.effect((0, 0, 0), n=3, direction=0)


def test_verdict_words_follow_the_rule_book():
    S, O, E, U, F = "supports", "opposes", "excludes", "unclear", "too few"
    assert r.verdict_all([S, S]) == "reproduced"
    assert r.verdict_all([S, U]) == "partly reproduced"
    assert r.verdict_all([U, O]) == "contradicted"
    assert r.verdict_all([U, E]) == "not reproduced"
    assert r.verdict_all([S, F]) == "inconclusive" and r.verdict_all([]) == "inconclusive"
    assert r.verdict_any([U, S]) == "reproduced"
    assert r.verdict_any([O, O]) == "contradicted" and r.verdict_any([O, U]) == "not reproduced"
    assert r.verdict_none([E, O]) == "reproduced"
    assert r.verdict_none([E, S]) == "contradicted"
    assert r.verdict_none([E, U]) == "inconclusive"
    assert r.verdict_value((0.9, 0.88, 0.92), 0.93, n=5, close=0.02, partly=0.1) == "reproduced"
    assert r.verdict_value((0.9, 0.88, 0.92), 0.98, n=5, close=0.02, partly=0.1) == "partly reproduced"
    assert r.verdict_value((0.5, 0.48, 0.52), 0.98, n=5, close=0.02, partly=0.1) == "not reproduced"
    assert r.verdict_values(["reproduced", "reproduced"]) == "reproduced"
    assert r.verdict_values(["reproduced", "not reproduced"]) == "partly reproduced"
    assert r.verdict_values(["partly reproduced", "not reproduced"]) == "partly reproduced"
    assert r.verdict_values(["not reproduced", "not reproduced"]) == "not reproduced"
    assert r.verdict_values(["reproduced", "inconclusive"]) == r.verdict_values([]) == "inconclusive"
    assert r.verdict_value((0.9, 0.88, 0.92), 0.9, n=2, close=0.02, partly=0.1) == "inconclusive"
    assert r.verdict_value((1.0, 0.9, 1.1), 1.5, n=5, close=1.5, partly=10, relative=True) == "reproduced"
    assert r.verdict_value((1.0, 0.9, 1.1), 20, n=5, close=1.5, partly=10, relative=True) == "not reproduced"
    assert r.verdict(True, n=2) == "inconclusive" and r.verdict(False, partly=True) == "partly reproduced"


def test_claims_table_validates_enforces_seeds_and_saves(tmp_path, monkeypatch):
    out = tmp_path / "executed" / "page"
    out.mkdir(parents=True)
    monkeypatch.setenv("IBUTILS_RESULTS_DIR", str(out))
    monkeypatch.setenv("IBUTILS_PROFILE", "quick")
    row = dict(claim="c", source="s", reported="r", measured="m", verdict="reproduced", n_seeds=5, epochs=100,
               study_seeds=5, study_epochs=100)
    few = {**row, "n_seeds": 2}
    demo = dict(claim="d", source="s", reported="r", measured="m", verdict="reproduced", kind="demonstration")
    df = r.claims_table("Ch", [row, few, demo])
    assert list(df.columns) == r.COLUMNS
    assert list(df.verdict) == ["reproduced", "inconclusive", "reproduced"]
    assert df.loc[1, "note"] == r.TOO_FEW and list(df.at_study_scale) == [True, False, False]
    assert set(df.profile) == {"quick"}
    assert (out / "claims.csv").exists()
    again = r.collect_claims("*/claims.csv", root=tmp_path / "executed")
    assert again.loc[0, "chapter"] == "Ch" and list(again.columns) == r.COLUMNS
    t = r.tallies(again).set_index("verdict")
    assert t.loc["reproduced", "all"] == 1 and t.loc["inconclusive", "all"] == 1  # the demonstration is left out
    assert t.loc["reproduced", "at_study_scale"] == 1
    with pytest.raises(ValueError, match="verdict"):
        r.claims_table("Ch", [{**row, "verdict": "maybe"}])
    with pytest.raises(ValueError, match="missing"):
        r.claims_table("Ch", [{"claim": "c"}])
    with pytest.raises(ValueError, match="unknown key"):
        r.claims_table("Ch", [{**row, "colour": 1}])
    with pytest.raises(ValueError, match="kind"):
        r.claims_table("Ch", [{**row, "kind": "anecdote"}])


def test_scale_words_say_paper_scale_only_at_paper():
    q = r.scale_words("quick", n_seeds=2, epochs=300, study_seeds=40, study_epochs=8000)
    assert "paper" not in q and "below its scale" in q and "2 seeds x 300 epochs" in q
    p = r.scale_words("paper", n_seeds=40, epochs=8000, study_seeds=40, study_epochs=8000)
    assert "paper scale" in p and "at its scale" in p
    assert r.rules_text().shape == (6, 2) and r.DIFFERENT in set(r.rules_text().verdict)


def test_claims_at_another_setting_are_not_compared_and_not_tallied(tmp_path, monkeypatch):
    study, here, there = {"n_bins": 50, "n_samples": 1000}, {"n_bins": 50, "n_samples": 1000.0}, {"n_bins": 30, "n_samples": 1000}
    assert r.setting_matches(study, here) and not r.setting_matches(study, there)
    assert r.setting_differences(study, there) == ["n_bins 30 (the study: 50)"]
    assert r.setting_matches({"delta": frozenset({0.1, 0.2})}, {"delta": 0.1})
    assert not r.setting_matches({"delta": frozenset({0.1, 0.2})}, {"delta": 0.05})
    assert r.setting_matches({"layers": [10, 7]}, {"layers": (10, 7)}) and not r.setting_matches({"s": "a"}, {"s": "b"})
    with pytest.raises(ValueError, match="n_bins"):
        r.setting_differences(study, {"n_samples": 1000})
    row = dict(claim="c", source="s", reported="r", measured="m", verdict="not reproduced", n_seeds=2, epochs=0,
               study_seeds=1, study_epochs=0, note="one draw")
    assert r.verdict_at_setting(row, study, here) == row
    moved = r.verdict_at_setting(row, study, there)
    assert moved["verdict"] == r.DIFFERENT and row["verdict"] == "not reproduced"
    assert r.rules_verdict(moved) == "not reproduced" and r.rules_verdict(row) == "not reproduced"
    assert moved["note"] == "n_bins 30 (the study: 50); at this setting the rules give: not reproduced; one draw"
    monkeypatch.setenv("IBUTILS_RESULTS_DIR", str(tmp_path))
    df = r.claims_table("Ch", [moved, {**row, "verdict": "reproduced", "n_seeds": 5}])
    assert list(df.verdict) == [r.DIFFERENT, "reproduced"]  # too few seeds does not override it
    t = r.tallies(df).set_index("verdict")
    assert r.DIFFERENT not in t.index and int(t["all"].sum()) == 1
