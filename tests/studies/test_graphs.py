"""The graphs study: data choices, measurements and the claims rows on constructed tables."""
import numpy as np
import pandas as pd
import pytest

from ibutils.studies import graphs as gs


def test_names_data_fixed_choices():
    d = gs.names_data()
    assert d["X"].shape == (1080, 12, 57) and d["X_flat"].shape == (1080, 684)
    assert len(d["train_index"]) == 864 and len(d["val_index"]) == 216
    assert np.bincount(d["y"][d["val_index"]]).tolist() == [12] * 18
    for k in range(18):  # distinct within each language
        names_k = [n for n, y in zip(d["names"], d["y"]) if y == k]
        assert len(set(names_k)) == 60
    np.testing.assert_array_equal(d["X"], gs.names_data()["X"])
    assert not np.array_equal(d["X"], gs.names_data(seed=1)["X"])
    with pytest.raises(ValueError, match="per_language"):
        gs.names_data(per_language=200)


def test_encode_names_left_padding_and_ascii():
    assert gs.to_ascii("Ślusàrski") == "Slusarski"
    X = gs.encode_names(["Ab", "Abcdefghijklmnop"], length=12)
    assert X.shape == (2, 12, 57)
    assert X[0, :10].sum() == 0 and X[0, 10, gs.ALPHABET.index("A")] == 1 and X[0, 11, gs.ALPHABET.index("b")] == 1
    assert X[1].sum() == 12 and X[1, 11, gs.ALPHABET.index("l")] == 1


def _metrics(gap_fcn=0.4, gap_gcn=0.1, n_seeds=3, epochs=20, level=10):
    rows = []
    for model, gap, base in (("fcn", gap_fcn, 0.55), ("gcn", gap_gcn, 0.8)):
        for regime in ("140/1000", "1000/140"):
            for s in range(n_seeds):
                for e in range(epochs + 1):
                    v = base * min(1.0, e / level) + 0.01 * s
                    rows.append((s, e, "eval", 1.0 - v, v, model, regime))
                    rows.append((s, e, "train", 1.0 - v - gap, min(1.0, v + gap), model, regime))
    return pd.DataFrame(rows, columns=["seed", "epoch", "split", "loss", "accuracy", "model", "regime"])


def test_final_accuracy_and_levelling():
    m = _metrics()
    acc = gs.final_accuracy(m)
    assert set(acc.columns) == {"model", "regime", "split", "seed", "accuracy"}
    lv = gs.levelling_epoch(m)
    assert (lv.level_epoch >= 9).all() and (lv.level_epoch <= 14).all()


def test_transition_epoch_peak():
    e = np.arange(1, 60)
    rows = [(s, ep, l, 10 ** (-abs(ep - 30) / 10), 0.1) for s in range(3) for ep in e for l in (1, 2)]
    g = pd.DataFrame(rows, columns=["seed", "epoch", "layer", "grad_mean", "grad_std"])
    t = gs.transition_epoch(g)
    assert (t.transition_epoch == 30).all()


def test_claims_snr_verdicts():
    m = _metrics()
    acc = gs.final_accuracy(m)
    lv = gs.levelling_epoch(m)
    tr = lv.rename(columns={"level_epoch": "transition_epoch"})
    rows = gs.claims_snr(acc, lv, tr, epochs=20)
    v = [r["verdict"] for r in rows]
    assert v[0] == "reproduced" and v[1] == "reproduced"
    assert v[2] == "reproduced"  # FCN ~0.56 vs 0.53: within 0.03 of the interval
    assert v[3] == "reproduced"  # transition = levelling
    far = tr.assign(transition_epoch=tr.transition_epoch + 40)
    assert gs.claims_snr(acc, lv, far, epochs=20)[3]["verdict"] == "contradicted"
    early = tr.assign(transition_epoch=tr.transition_epoch - 40)  # too early counts as much as too late
    assert gs.claims_snr(acc, lv, early, epochs=20)[3]["verdict"] == "contradicted"
    flipped = acc.assign(model=acc.model.map({"fcn": "gcn", "gcn": "fcn"}))
    assert gs.claims_snr(flipped, lv, tr, epochs=20)[0]["verdict"] == "contradicted"
    few = acc[acc.seed < 2]
    assert gs.claims_snr(few, lv, tr, epochs=20)[0]["verdict"] == "inconclusive"


def _mi(violate_fcn: float, violate_gcn: float, drop: float = 0.0, n_seeds=3, estimators=None, key_models=("fcn", "gcn")):
    estimators = estimators or ["kde_lower_0.001", "kde_lower_0.1", "kde_lower_layerwise"]
    rows = []
    rng = np.random.default_rng(0)
    for model, viol in zip(key_models, (violate_fcn, violate_gcn)):
        for est in estimators:
            for s in range(n_seeds):
                for e in range(0, 21, 2):
                    for l in (1, 2, 3):
                        base = 5.0 - l + (2 * viol * l if e >= 10 else 0.0)
                        peak = drop * (1 - abs(e - 10) / 10)
                        catch_up = (e / 20) * (l == 3) * 0.9 if est.endswith("layerwise") else 0.0
                        x = base + peak + catch_up + 0.01 * rng.standard_normal()
                        rows.append((s, e, l, est, x, 1.0, model))
    return pd.DataFrame(rows, columns=["seed", "epoch", "layer", "estimator", "ixt", "ity", "key"])


def test_dpi_violation_and_flip():
    mi = _mi(0.0, 1.0)
    v = gs.violation_per_seed(mi[mi.key == "gcn"], "kde_lower_0.001")
    assert (v > 0.5).all()
    f = gs.flip_epochs(mi[mi.key == "gcn"], "kde_lower_0.001")
    assert (f == 10).all()
    assert gs.flip_epochs(mi[mi.key == "fcn"], "kde_lower_0.001").isna().all()


def test_claims_planes_verdicts():
    m = _metrics(level=10)
    m = m.assign(loss=np.where(m.split == "eval", np.abs(m.epoch - 10) * 0.01 + 0.5, m.loss))
    acc = gs.final_accuracy(m)
    mi = _mi(0.0, 1.0)
    heur = {1: np.array([0.0011, 0.0012, 0.0013]), 2: np.array([0.0029, 0.003, 0.0031]), 3: np.array([0.039, 0.04, 0.041])}
    rows = gs.claims_planes(acc, mi, m, heur, epochs=20)
    v = {i: r["verdict"] for i, r in enumerate(rows)}
    assert v[0] == "reproduced"  # FCN overfits more (gap 0.4 vs 0.1)
    assert v[1] == "reproduced"  # FCN obeys the DPI at 0.001
    assert v[2] == "reproduced"  # GCN flips
    assert v[3] == "reproduced"  # at epoch 10 = lowest validation loss
    assert v[4] == "contradicted"  # the FCN's layers fall by 1 bit each here: the opposite effect is significant
    assert v[6] == "partly reproduced"  # 0.04 vs 0.01 is a factor 4
    assert len(rows) == 9
    # the heuristic's verdict follows the rule book: a close match in every layer, and too few seeds
    close = {1: np.array([0.0009, 0.001, 0.0011]), 2: np.array([0.0028, 0.003, 0.0032]), 3: np.array([0.009, 0.01, 0.011])}
    assert gs.claims_planes(acc, mi, m, close, epochs=20)[6]["verdict"] == "reproduced"
    assert gs.claims_planes(acc, mi, m, {k: v[:2] for k, v in close.items()}, epochs=20)[6]["verdict"] == "inconclusive"
    far = {k: 100 * v for k, v in close.items()}
    assert gs.claims_planes(acc, mi, m, far, epochs=20)[6]["verdict"] == "not reproduced"
    mi2 = _mi(1.0, 1.0)
    assert gs.claims_planes(acc, mi2, m, heur, epochs=20)[1]["verdict"] == "contradicted"


def test_claims_names_verdicts():
    acc = gs.final_accuracy(_metrics().query("regime == '140/1000'").assign(
        model=lambda d: d.model.map({"gcn": "rnn", "fcn": "fcn"}), regime="names"))
    mi = _mi(1.0, 0.0, key_models=("fcn", "rnn"), estimators=["kde_lower_0.001", "kde_lower_0.1"])
    rows = gs.claims_names(acc, mi, epochs=20)
    v = [r["verdict"] for r in rows]
    assert v[0] == "reproduced"
    assert v[1] in ("contradicted", "not reproduced", "partly reproduced")  # layer 3 is below layer 1 here
    assert v[3] == "reproduced"


def test_claims_tishby_and_cross():
    rows = []
    for s in range(3):
        for e in (0, 100, 200):
            for l in range(1, 7):
                for est, off in (("kde_lower_0.1", 0.0), ("kde_upper_0.1", 1.0 if e == 0 else 0.2)):
                    rows.append((s, e, l, est, 10.0 - l + off, 0.95 if l == 5 else 0.5))
    mi = pd.DataFrame(rows, columns=["seed", "epoch", "layer", "estimator", "ixt", "ity"])
    gap = gs.bound_gap(mi, 0.1)
    trans = pd.DataFrame({"seed": range(3), "transition_epoch": [38, 41, 44]})
    out = gs.claims_tishby(mi, gap, trans, noise_variance=0.1, epochs=200, h_y=1.0)
    assert [r["verdict"] for r in out] == ["reproduced", "reproduced", "reproduced"]
    late = trans.assign(transition_epoch=[140, 150, 160])
    assert gs.claims_tishby(mi, gap, late, noise_variance=0.1, epochs=200, h_y=1.0)[2]["verdict"] == "not reproduced"
    viol = pd.DataFrame({"dataset": ["Cora"] * 3 + ["Tishby"] * 3, "seed": [0, 1, 2] * 2,
                         "violation": [1.0, 1.1, 0.9, -0.5, -0.6, -0.55]})
    over = pd.DataFrame({"dataset": ["Cora"] * 3 + ["Tishby"] * 3, "gap": [0.4] * 3 + [0.02] * 3})
    assert gs.claims_cross(viol, over)[0]["verdict"] == "reproduced"
    over2 = over.assign(gap=0.02)
    assert gs.claims_cross(viol, over2)[0]["verdict"] == "partly reproduced"
    assert gs.claims_cross(viol.iloc[:2], over)[0]["verdict"] == "inconclusive"


def test_claims_mine_verdicts():
    gauss = pd.DataFrame({"rho": [0.5] * 3 + [0.8] * 3, "truth": [0.415] * 3 + [1.474] * 3, "seed": [0, 1, 2] * 2,
                          "mi": [0.40, 0.41, 0.42, 1.40, 1.42, 1.45]})
    t = pd.DataFrame({"layer": [1] * 3, "quantity": "ity", "seed": [0, 1, 2], "mi": [0.9, 0.91, 0.92],
                      "kde_lower": 0.8, "kde_upper": 1.0})
    c = t.assign(quantity="ixt")
    curves_ok = pd.DataFrame([(1, q, s, st, 0.9) for q in ("ixt", "ity") for s in range(3) for st in range(0, 100, 10)],
                             columns=["layer", "quantity", "seed", "step", "mi"])
    curves_bad = curves_ok.assign(mi=lambda d: np.where(d.step % 20 == 0, 3.0, -1.0))
    rows = gs.claims_mine(gauss, t, c, gs.curve_instability(curves_ok), gs.curve_instability(curves_bad), steps=100)
    assert [r["verdict"] for r in rows] == ["reproduced", "reproduced", "reproduced"]
    assert rows[0]["kind"] == "demonstration"
    rows = gs.claims_mine(gauss, t, c, gs.curve_instability(curves_ok), gs.curve_instability(curves_ok), steps=100)
    assert rows[2]["verdict"] == "not reproduced"


def test_heuristic_variances_and_subset():
    T = np.random.default_rng(0).standard_normal((2, 50, 4))
    h = gs.heuristic_variances([T, 10 * T])
    assert h[2] == pytest.approx(10 * h[1])
    per = gs.heuristic_variances([T, 10 * T], per_replica=True)
    assert per[1].shape == (2,) and h[1] == pytest.approx(float(np.median(per[1])))
    assert gs.median_variances(per) == h
    idx = gs.stratified_subset(np.repeat([0, 1], 50), 20, seed=0)
    assert len(idx) == 20 and np.bincount(np.repeat([0, 1], 50)[idx]).tolist() == [10, 10]


def test_cross_tables_take_mnist_from_the_mnist_chapter():
    mi = pd.DataFrame([(s, e, l, est, 10.0 - l + (0.5 if l == 3 else 0.0), 0.5)
                       for s in range(3) for e in (0, 50) for l in range(1, 6)
                       for est in ("kde_lower_0.1", "kde_upper_0.1")],
                      columns=["seed", "epoch", "layer", "estimator", "ixt", "ity"])
    metrics = pd.DataFrame([(s, e, sp, 0.1, acc) for s in range(3) for e, sp, acc in
                            ((49, "train", 0.9), (50, "train", 0.95), (50, "eval", 0.90 + 0.01 * s))],
                           columns=["seed", "epoch", "split", "loss", "accuracy"])
    np.testing.assert_allclose(gs.mnist_gap(metrics).to_numpy(), [0.05, 0.04, 0.03])
    viol, over = gs.cross_tables(None, None, None, None, None, None, 0.1, mnist_mi=mi, mnist_metrics=metrics)
    assert set(viol.dataset) == {"MNIST"} and len(viol) == 3
    np.testing.assert_allclose(viol.violation, -0.5)  # the largest step, 2 -> 3, falls by 0.5 (the read-out is left out)
    row = gs.claims_cross(viol, over)[0]
    assert row["verdict"] == "reproduced"  # no overfitting, no violation
    assert "no results yet for Cora, Tishby, names" in row["note"]
    bad = mi.assign(ixt=np.where(mi.layer == 4, 20.0, mi.ixt))  # a hidden layer far above the one before it
    viol, over = gs.cross_tables(None, None, None, None, None, None, 0.1, mnist_mi=bad, mnist_metrics=metrics)
    assert gs.claims_cross(viol, over)[0]["verdict"] == "contradicted"


def test_overview_text_is_computed_from_the_tables():
    acc = pd.DataFrame([(m, r, "eval", s, a + 0.01 * s) for r in ("140/1000", "1000/140") for s in range(3)
                        for m, a in (("gcn", 0.80), ("fcn", 0.55))], columns=["model", "regime", "split", "seed", "accuracy"])
    names = pd.DataFrame([(m, "names", "eval", s, a) for s in range(3) for m, a in (("rnn", 0.6), ("fcn", 0.5))],
                         columns=["model", "regime", "split", "seed", "accuracy"])
    viol = pd.DataFrame({"dataset": ["Cora"] * 3 + ["Tishby"] * 3, "seed": [0, 1, 2] * 2,
                         "violation": [1.0, 1.1, 0.9, -0.5, -0.6, -0.55]})
    over = pd.DataFrame({"dataset": ["Cora"] * 3 + ["Tishby"] * 3, "gap": [0.4] * 3 + [0.02] * 3})
    text = gs.overview_text(acc, names, viol, over)
    assert "GCN's validation accuracy minus the FCN's is 25.0 [25.0, 25.0] points with the 1000/140 split (3 seeds)" in text
    assert "RNN's minus the FCN's is 10.0 [10.0, 10.0] points (3 seeds)" in text
    assert "where it overfits (Cora) the largest rise of I(X;T) from one layer to the next reaches 1.00 bits" in text
    assert "where it does not (Tishby) it reaches -0.55 bits" in text
    empty = gs.overview_text(None, None, viol.iloc[:0], over.iloc[:0])
    assert empty == "On Cora there are no results yet. On names there are no results yet."
