"""Tests of ibutils.studies.convolutional: claims on constructed tables (every verdict each can give)."""
import numpy as np
import pandas as pd
import pytest

from ibutils.studies import convolutional as cv

N_MI = 1000
LOGN = float(np.log2(N_MI))
HY = float(np.log2(10))
EPOCHS = [0, 2, 4, 6, 8, 10, 12]


def cnn_mi(*, seeds=3, conv_def=0.0, l4_end=0.0, rise=(1.0, 1.0), fall=0.0, frac=(0.6, 0.5, 0.4, 0.4), y_off=0.0,
           mean_l4_shift=0.0, jitter=1e-3, fall_spread=0.0):
    rows = []
    for s in range(seeds):
        j = jitter * (s - 1)
        for e in EPOCHS:
            t = e / 12
            vals = {}
            for l in range(4):
                vals[(l, "concat")] = (LOGN - conv_def + j, HY - conv_def + j)
                vals[(l, "mean")] = (frac[l] * LOGN + j, (frac[l] + y_off) * HY + j)
            d4 = 3.0 + (l4_end - 3.0) * t
            vals[(4, "concat")] = (LOGN - d4 + j, HY - min(d4, HY) + j)
            vals[(4, "mean")] = (vals[(4, "concat")][0] + mean_l4_shift, vals[(4, "concat")][1])
            bump = (fall + fall_spread * (s - 1)) * (1 - abs(t - 0.5) * 2)  # peak at the middle, back at the end
            out = (1.0 + rise[0] * t + bump + j, 0.5 + rise[1] * t + j)
            vals[(5, "concat")] = vals[(5, "mean")] = out
            for (l, m), (x, y) in vals.items():
                n_est = {0: 32, 1: 64, 2: 64, 3: 64}.get(l, 1) if m == "mean" else 1
                for b, off in (("upper", 0.0), ("lower", -0.01)):
                    rows.append(dict(seed=s, epoch=e, layer=l, method=m, noise_variance=0.0735, bound=b,
                                     ixt=x + off, ity=y + off, n_estimates=n_est))
    return pd.DataFrame(rows)


def claims(mi, acc=((99.3, 99.2, 99.4), 3), n_train=60000, epochs=12):
    rows = cv.claims_cnn(acc=acc, mi=mi, n_mi=N_MI, h_y=HY, epochs=epochs, n_train=n_train, noise_variance=0.0735)
    return {r["claim"].split(":")[0] + ":" + r["claim"].split(":")[-1][:25]: r["verdict"] for r in rows}, rows


def verdict_of(rows, start):
    hits = [r["verdict"] for r in rows if r["claim"].startswith(start)]
    assert len(hits) == 1, start
    return hits[0]


@pytest.mark.parametrize("acc, n_train, want", [
    (((99.3, 99.2, 99.4), 3), 60000, "reproduced"),
    (((98.6, 98.5, 98.7), 3), 60000, "partly reproduced"),
    (((95.0, 94.0, 96.0), 3), 60000, "not reproduced"),
    (((99.3, 99.2, 99.4), 2), 60000, "inconclusive"),
    (((99.3, 99.2, 99.4), 3), 5000, "different setting"),
])
def test_accuracy_verdicts(acc, n_train, want):
    _, rows = claims(cnn_mi(), acc=acc, n_train=n_train)
    assert verdict_of(rows, "The CNN reaches") == want


def test_accuracy_ci_from_metrics():
    m = pd.DataFrame(dict(seed=[0, 0, 1, 1], epoch=[0, 12, 0, 12], test_acc=[np.nan, 0.99, np.nan, 0.98]))
    (mean, lo, hi), n = cv.accuracy_ci(m)
    assert n == 2 and mean == pytest.approx(98.5) and lo < mean < hi


@pytest.mark.parametrize("kw, want", [
    (dict(), "reproduced"),
    (dict(conv_def=1.0), "contradicted"),
    (dict(conv_def=0.05, jitter=0.2), "inconclusive"),
])
def test_concat_pinned(kw, want):
    _, rows = claims(cnn_mi(**kw))
    assert verdict_of(rows, "Concat: conv layers 0-3") == want


@pytest.mark.parametrize("kw, want", [(dict(), "reproduced"), (dict(l4_end=1.0), "contradicted"),
                                      (dict(seeds=2), "inconclusive")])
def test_layer4(kw, want):
    _, rows = claims(cnn_mi(**kw))
    assert verdict_of(rows, "Concat: the last hidden layer") == want


@pytest.mark.parametrize("kw, want", [
    (dict(), "reproduced"), (dict(rise=(1.0, 0.0)), "partly reproduced"), (dict(rise=(0.0, 0.0)), "not reproduced"),
    (dict(rise=(-1.0, -1.0)), "contradicted")])
def test_prediction_layer_rise(kw, want):
    _, rows = claims(cnn_mi(**kw))
    assert verdict_of(rows, "The prediction layer") == want


@pytest.mark.parametrize("kw, want", [(dict(), "reproduced"), (dict(fall=1.5), "contradicted"),
                                      (dict(fall=0.1, fall_spread=0.3), "inconclusive")])
def test_no_compression(kw, want):
    _, rows = claims(cnn_mi(**kw))
    assert verdict_of(rows, "No compression") == want


@pytest.mark.parametrize("kw, want", [(dict(), "reproduced"), (dict(mean_l4_shift=0.5), "not reproduced")])
def test_dense_identical(kw, want):
    _, rows = claims(cnn_mi(**kw))
    assert verdict_of(rows, "Mean: dense layers") == want


@pytest.mark.parametrize("kw, want", [
    (dict(), "reproduced"),                                  # below the max and on the line
    (dict(y_off=0.3), "partly reproduced"),                  # below the max, off the line
    (dict(frac=(1.0, 1.0, 1.0, 1.0), y_off=0.3), "not reproduced"),
    (dict(jitter=0.5, frac=(0.99, 0.99, 0.99, 0.99)), "inconclusive"),
])
def test_mean_line(kw, want):
    _, rows = claims(cnn_mi(**kw))
    assert verdict_of(rows, "Mean: conv layers lie") == want


@pytest.mark.parametrize("frac, want", [((0.3, 0.6, 0.5, 0.5), "reproduced"), ((0.6, 0.5, 0.4, 0.3), "contradicted"),
                                        ((0.5, 0.5, 0.5, 0.5), "not reproduced")])
def test_mean_dpi(frac, want):
    _, rows = claims(cnn_mi(frac=frac))
    assert verdict_of(rows, "Mean: the method breaks") == want


def test_cost_and_table_shape():
    from ibutils.publish.report import claims_table

    _, rows = claims(cnn_mi())
    assert verdict_of(rows, "Mean: one estimate per channel") == "reproduced"
    df = claims_table(cv.CHAPTER, rows, profile="quick")
    assert len(df) == 9 and set(df.kind) == {"replication", "demonstration"}


def test_measure_snapshot_methods():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), 10)
    acts = [rng.random((40, 3, 3, 2)).astype(np.float32), rng.random((40, 18)).astype(np.float32)]
    rows = pd.DataFrame(cv.measure_snapshot(acts, y, [0, 3], noise_variances=[0.1], channel_shapes={3: (3, 3, 2)}))
    assert set(rows.method) == {"concat", "mean"} and set(rows.n_estimates) == {1, 2}
    mean3 = rows[(rows.layer == 3) & (rows.method == "mean")].set_index("bound").ixt
    assert mean3["upper"] >= mean3["lower"]
    with pytest.raises(ValueError, match="methods"):
        cv.measure_snapshot(acts, y, [0, 3], noise_variances=[0.1], methods=("median",))


def test_stratified_subset():
    y = np.repeat(np.arange(10), 50)
    idx = cv.stratified_subset(y, 100, seed=1)
    assert len(idx) == 100 and np.all(np.bincount(y[idx]) == 10)
    assert np.array_equal(idx, cv.stratified_subset(y, 100, seed=1))
    with pytest.raises(ValueError, match="n must"):
        cv.stratified_subset(y, 0)


# ------------------------------------------------------------------------------------------ LeNet
def lenet_mi(*, seeds=3, fcn_rise=0.0, l1_excess=0.0, l34_gap=0.0, dpi3=0.5, jitter=1e-3):
    rows = []
    for s in range(seeds):
        j = jitter * (s - 1)
        for arch, layers in (("lenet", [1, 2, 3, 4]), ("fcn", [1, 2, 3, 4, 5])):
            for e in (0, 5, 10):
                for noise, v in (("0.1", 0.1), ("heuristic", 1.0)):
                    for l in layers:
                        if arch == "fcn":
                            x, y = 6.0 - l + (fcn_rise if l == 5 else 0) + j, 2.0 + j
                        elif noise == "0.1":
                            x, y = LOGN + j, HY + (l1_excess if l == 1 else 0) + j
                        else:
                            ity = {1: 2.0, 2: 2.2, 3: 2.2 + dpi3, 4: 2.2 + dpi3 + l34_gap}[l]
                            x, y = 5.0 + j, ity + j
                        for b in ("upper", "lower"):
                            rows.append(dict(arch=arch, seed=s, epoch=e, layer=l, noise=noise, noise_variance=v,
                                             bound=b, ixt=x, ity=y))
    return pd.DataFrame(rows)


def lenet_sig(values=(5.0, 2.0, 0.3, 0.125), seeds=3):
    return pd.DataFrame([dict(arch="lenet", seed=s, layer=l + 1, sigma2=v * (1 + 0.01 * s))
                         for s in range(seeds) for l, v in enumerate(values)])


def lenet_claims(mi=None, sig=None, n_train=4000):
    rows = cv.claims_lenet(mi=lenet_mi() if mi is None else mi, sig=lenet_sig() if sig is None else sig, h_y=HY,
                           epochs_lenet=10, epochs_fcn=10, n_train=n_train)
    return rows


@pytest.mark.parametrize("kw, want", [(dict(), "reproduced"), (dict(fcn_rise=2.0), "contradicted"),
                                      (dict(seeds=2), "inconclusive")])
def test_fcn_well_behaved(kw, want):
    assert verdict_of(lenet_claims(lenet_mi(**kw), lenet_sig(seeds=kw.get("seeds", 3))), "FCN 1024") == want


@pytest.mark.parametrize("kw, want", [(dict(l1_excess=0.5), "reproduced"), (dict(), "not reproduced"),
                                      (dict(l1_excess=-0.5), "contradicted")])
def test_lenet_exceeds_hy(kw, want):
    assert verdict_of(lenet_claims(lenet_mi(**kw)), "LeNet at s2 = 0.1") == want


@pytest.mark.parametrize("values, want", [((5.0, 2.0, 0.3, 0.125), "reproduced"), ((5.0, 2.0, 0.03, 0.125), "partly reproduced"),
                                          ((0.005, 0.002, 0.0003, 0.000125), "not reproduced")])
def test_heuristic_values(values, want):
    assert verdict_of(lenet_claims(sig=lenet_sig(values)), "LeNet's heuristic") == want


def test_heuristic_values_inconclusive_and_setting():
    assert verdict_of(lenet_claims(lenet_mi(seeds=2), lenet_sig(seeds=2)), "LeNet's heuristic") == "inconclusive"
    assert verdict_of(lenet_claims(n_train=300), "LeNet's heuristic") == "different setting"


@pytest.mark.parametrize("kw, want", [(dict(), "reproduced"), (dict(l34_gap=1.0), "contradicted")])
def test_layers_34_clustered(kw, want):
    assert verdict_of(lenet_claims(lenet_mi(**kw)), "LeNet with the heuristic s2: layers 3 and 4") == want


@pytest.mark.parametrize("kw, want", [(dict(), "reproduced"), (dict(dpi3=0.0), "not reproduced"),
                                      (dict(dpi3=-0.5), "contradicted")])
def test_layer3_dpi(kw, want):
    assert verdict_of(lenet_claims(lenet_mi(**kw)), "LeNet with the heuristic s2: layer 3 violates") == want


def test_restored_bound():
    assert verdict_of(lenet_claims(), "LeNet with the heuristic s2: I(Y;Z)") == "reproduced"
    mi = lenet_mi()
    mi.loc[(mi.arch == "lenet") & (mi.noise == "heuristic") & (mi.layer == 4), "ity"] = HY + 0.5
    assert verdict_of(lenet_claims(mi), "LeNet with the heuristic s2: I(Y;Z)") == "contradicted"


def test_sigma2_table():
    t = cv.sigma2_table(lenet_sig())
    assert list(t.thesis) == [5.0, 2.0, 0.3, 0.125]
    assert t.sigma2_squared.iloc[0] == pytest.approx(np.mean([(5000 * (1 + 0.01 * s)) ** 2 / 1000 for s in range(3)]))


# ------------------------------------------------------------------------------------ noise variance
def noise_tables(*, s2=(0.07, 0.075, 0.08), drift=0.0, spread=0.0, seeds=3):
    cal = pd.DataFrame([dict(seed=s, layer=l, bound=b, sigma2=s2[s % len(s2)]) for s in range(seeds) for l in (4, 5)
                        for b in ("upper", "lower")])
    rows = []
    for s in range(seeds):
        for n in (50, 100, 200, 400, 800):
            for b in ("upper", "lower"):
                k = np.log2(n / 100) if n >= 100 else 0.0
                rows.append(dict(seed=s, layer=5, n=n, bound=b, ixt=2.0 + drift * k + spread * (s - 1) * k,
                                 ity=1.9 + drift * k))
    return cal, pd.DataFrame(rows)


def noise_claims(cal, curve, n_train=60000, epochs=12):
    return cv.claims_noise(cal=cal, curve=curve, epochs=epochs, n_train=n_train)


@pytest.mark.parametrize("s2, want", [((0.07, 0.075, 0.08), "reproduced"), ((0.5, 0.55, 0.6), "partly reproduced"),
                                      ((5.0, 5.5, 6.0), "not reproduced"), ((np.nan, np.nan, np.nan), "inconclusive")])
def test_calibration_verdicts(s2, want):
    cal, curve = noise_tables(s2=s2)
    assert verdict_of(noise_claims(cal, curve), "Calibrating s2") == want


def test_calibration_other_setting():
    cal, curve = noise_tables()
    assert verdict_of(noise_claims(cal, curve, n_train=5000), "Calibrating s2") == "different setting"


@pytest.mark.parametrize("kw, want", [(dict(), "reproduced"), (dict(drift=0.5), "contradicted"),
                                      (dict(drift=0.05, spread=0.3), "inconclusive")])
def test_n_stability(kw, want):
    cal, curve = noise_tables(**kw)
    assert verdict_of(noise_claims(cal, curve), "KDE estimates are stable") == want


# ------------------------------------------------------------------------------------ experiment 3: activation method
def test_grey_images_scale_by_each_inputs_maximum():
    a = np.array([[0.0, 1.0, 2.0, 4.0], [0.0, 0.0, 0.0, 0.0], [-1.0, 3.0, 1.5, 0.0]])
    g = cv.grey_images(a)
    np.testing.assert_allclose(g[0], [0, 0.25, 0.5, 1.0])
    np.testing.assert_allclose(g[1], 0.0)  # an all-zero activity is all black
    np.testing.assert_allclose(g[2], [0, 1.0, 0.5, 0.0])  # negative values are drawn black
    assert cv.grey_images(np.ones((2, 3, 3, 4))).shape == (2, 36)  # a conv map is flattened per input


def test_grey_images_rejects_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        cv.grey_images(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="shape"):
        cv.grey_images(np.array([1.0, 2.0]))


def test_grey_stats_values():
    s = cv.grey_stats(np.array([[0.0, 0.0, 1.0, 4.0]]))  # grey levels 0, 0, 0.25, 1
    np.testing.assert_allclose(s[0], [0.3125, np.std([0, 0, 0.25, 1]), 0.5, 0.25])


def test_observer_accuracy_chance_and_separable():
    rng = np.random.default_rng(0)
    same = cv.observer_accuracy(rng.normal(size=(200, 4)), rng.normal(size=(200, 4)))
    apart = cv.observer_accuracy(rng.normal(size=(200, 4)), rng.normal(3.0, 1.0, size=(200, 4)))
    assert 0.35 < same < 0.65
    assert apart > 0.97
    with pytest.raises(ValueError, match="at least 2"):
        cv.observer_accuracy(np.zeros((1, 4)), np.zeros((1, 4)))


def obs_table(acc_hidden, acc_out=1.0, seeds=3, spread=0.01):
    rows = []
    for s in range(seeds):
        for l in range(6):
            base = acc_out if l == 5 else (acc_hidden[l] if isinstance(acc_hidden, (list, tuple)) else acc_hidden)
            rows.append(dict(seed=s, layer=l, accuracy=min(1.0, base + spread * (s - 1))))
    return pd.DataFrame(rows)


@pytest.mark.parametrize("acc, seeds, want", [
    (0.5, 3, "reproduced"),                          # every hidden layer at chance: the claim holds
    (0.95, 3, "contradicted"),                       # the images give the network away
    ([0.5, 0.5, 0.5, 0.5, 0.9], 3, "contradicted"),  # one hidden layer is enough to tell them apart
    (0.5, 2, "inconclusive"),                        # too few seeds
])
def test_activity_claim_verdicts(acc, seeds, want):
    rows = cv.claims_activity(obs_table(acc, seeds=seeds), epochs=12, n_train=60000)
    assert rows[0]["verdict"] == want
    assert "observer accuracy per layer 0:" in rows[0]["measured"]


def test_activity_claim_unclear_is_inconclusive_and_output_row():
    wide = obs_table(0.62, spread=0.1)  # intervals straddle the margin: neither in nor out
    rows = cv.claims_activity(wide, epochs=12, n_train=60000)
    assert rows[0]["verdict"] == "inconclusive"
    assert rows[1]["kind"] == "demonstration" and rows[1]["verdict"] == "reproduced"
    rows = cv.claims_activity(obs_table(0.5, acc_out=0.5), epochs=12, n_train=60000)
    assert rows[1]["verdict"] == "not reproduced"
    assert "1.00" not in rows[1]["measured"]


def test_observer_table_and_summary():
    rng = np.random.default_rng(1)
    parts = []
    for seed in range(3):
        for epoch, shift in ((0, 0.0), (12, 5.0)):
            for layer in range(6):
                s = rng.normal(shift if layer == 5 else 0.0, 1.0, size=(30, 4))
                parts.append(pd.DataFrame({"seed": seed, "epoch": epoch, "layer": layer, "input": np.arange(30),
                                           **{k: s[:, i] for i, k in enumerate(cv.GREY_STATS)}}))
    obs = cv.observer_table(pd.concat(parts, ignore_index=True))
    assert len(obs) == 18
    summ = cv.observer_summary(obs)
    assert summ.loc[summ.layer == 5, "accuracy"].item() > 0.95
    assert summ.loc[summ.layer == 0, "accuracy"].item() < 0.8
    assert (summ.ci_high <= 1.0).all() and (summ.ci_low >= 0.0).all()
    with pytest.raises(ValueError, match="two epochs"):
        cv.observer_table(parts[0])


def test_mosaic_shapes():
    m = cv.mosaic(np.arange(3 * 2 * 5, dtype=float).reshape(3, 2, 5))  # 5 channels of 3 x 2: 3 columns, 2 rows
    assert m.shape == (2 * 4 - 1, 3 * 3 - 1)
    np.testing.assert_allclose(m[:3, :2], np.arange(30, dtype=float).reshape(3, 2, 5)[:, :, 0])
    assert np.isnan(m[3]).all()  # the gap row
    v = cv.mosaic(np.arange(10.0))
    assert v.shape == (3, 4) and np.isnan(v.ravel()[10:]).all()


# ------------------------------------------------------------------------------------ experiment 7: the overview
def lenet_mi_table(move_conv=0.0, move_dense=2.0, seeds=3):
    rows = []
    for s in range(seeds):
        for arch, layers in (("lenet", (1, 2, 3, 4)), ("fcn", (1, 2, 3, 4, 5))):
            for e in (0, 20):
                for l in layers:
                    conv = arch == "lenet" and l in (1, 2)
                    x = 5.0 + (move_conv if conv else move_dense) * (e / 20) + 0.01 * s
                    for noise in ("0.1", "heuristic"):
                        rows.append(dict(arch=arch, seed=s, epoch=e, layer=l, noise=noise, noise_variance=0.1, bound="lower",
                                         ixt=x + (noise == "heuristic"), ity=x / 4))
    return pd.DataFrame(rows)


def test_movement_table_and_sentence():
    t = cv.movement_table(cnn_mi(rise=(1.5, 1.0)), lenet_mi_table(move_conv=0.25, move_dense=2.0))
    assert set(t.network) == {"CNN, concat", "CNN, mean", "LeNet", "FCN"}
    conc = t[t.network == "CNN, concat"].set_index("layer")
    assert (conc.loc[[0, 1, 2, 3], "kind"] == "convolutional").all() and conc.loc[4, "kind"] == "dense"
    np.testing.assert_allclose(conc.loc[[0, 1, 2, 3], "d_ixt"], 0.0, atol=1e-9)  # concat conv layers pinned
    np.testing.assert_allclose(conc.loc[5, "d_ixt"], 1.5, atol=1e-9)               # the prediction layer rises
    le = t[t.network == "LeNet"].set_index("layer")
    np.testing.assert_allclose(le.loc[[1, 2], "d_ixt"], 0.25, atol=1e-9)            # only the 0.1 rows, lower bound
    np.testing.assert_allclose(le.loc[[3, 4], "d_ixt"], 2.0, atol=1e-9)
    assert (t[t.network == "FCN"].kind == "dense").all()
    text = cv.movement_sentence(t)
    assert "LeNet: its convolutional layers by at most 0.25 bits" in text
    assert "FCN: its dense layers by at most 2.00 bits" in text


def test_movement_without_results():
    t = cv.movement_table(None, None)
    assert t.empty and cv.movement_sentence(t).startswith("no results")
    import matplotlib
    matplotlib.use("Agg")
    assert cv.movement_figure(t) is not None


# ------------------------------------------------------------------------------------ experiment 5: parallel-network SNR
def timing_tables(kink_gap=0.0, onset_gap=0.0, proto_gap=0.0, seeds=3, spread=0.02, compress=True):
    rows, erows = [], []
    for s in range(seeds):
        for layer in range(1, 6):
            tr = 300.0 * (1 + 0.05 * s)
            j = spread * (s - 1)
            onset = (tr + 1) * 10 ** (onset_gap + j) - 1 if compress else np.nan
            rows.append(dict(seed=s, layer=layer, transition_epoch=tr, drop_decades=0.5, kink_epoch=(tr + 1) * 10 ** (kink_gap + j) - 1,
                             onset_epoch=onset, kink_gap=kink_gap + j, onset_gap=(onset_gap + j) if compress else np.nan))
            erows.append(dict(seed=s, layer=layer, transition_epoch=(tr + 1) / 10 ** (proto_gap + j) - 1, drop_decades=1.0))
    return pd.DataFrame(rows), pd.DataFrame(erows)


@pytest.mark.parametrize("kw, want", [
    (dict(), ["reproduced", "reproduced", "reproduced"]),
    (dict(kink_gap=0.8, onset_gap=-0.9, proto_gap=1.0), ["contradicted", "contradicted", "contradicted"]),
    (dict(seeds=2), ["inconclusive", "inconclusive", "inconclusive"]),
    (dict(spread=0.6), ["inconclusive", "inconclusive", "inconclusive"]),
    (dict(compress=False), ["reproduced", "inconclusive", "reproduced"]),  # no compressing layer: nothing to time
])
def test_parallel_snr_claims(kw, want):
    par_t, epoch_t = timing_tables(**kw)
    rows = cv.claims_parallel_snr(par_t, epoch_t, steps=8000, n_parallel=12)
    assert [r["verdict"] for r in rows] == want
    assert rows[2]["kind"] == "demonstration"
    assert "SNR drop at step" in rows[0]["measured"] and "12 networks per seed" in rows[0]["note"]


def test_parallel_timing_from_tables():
    from types import SimpleNamespace

    steps = np.unique(np.round(np.logspace(0, 3, 60)).astype(int))
    g, loss, mi = [], [], []
    for s in range(2):
        for layer in range(1, 4):
            snr = np.where(steps < 100, 3.0, 0.3)  # a drop of one decade at step 100
            g.append(pd.DataFrame(dict(seed=s, step=steps, layer=layer, grad_mean=snr, grad_std=1.0, snr=snr)))
            ixt = np.where(steps < 100, 1.0 + steps / 100, 2.0 - (steps - 100) / 900)  # peak at 100, falls 1 bit
            mi.append(pd.DataFrame(dict(seed=s, step=steps, layer=layer, ixt=ixt, ity=0.5)))
        loss.append(pd.DataFrame(dict(seed=s, step=np.r_[0, steps], loss=np.r_[1.0, np.where(steps < 100, 1.0, 0.1)])))
    par = SimpleNamespace(grads=pd.concat(g), loss=pd.concat(loss), mi=pd.concat(mi))
    t = cv.parallel_timing(par, window=3)
    assert sorted(t.layer.unique()) == [1, 2]  # the read-out (the last layer) is left out
    assert t.transition_epoch.between(90, 130).all()
    assert t.kink_epoch.between(90, 130).all()
    assert t.compresses.all() and t.onset_epoch.between(50, 200).all()
    assert t.kink_gap.abs().max() < 0.2


# ------------------------------------------------------------------------------------ experiment 4: the study's MLP check
def mlp_mi(offset=0.0, seeds=3, spread=0.005, layer_off=None):
    rows = []
    for arch, hidden in cv.MLP_ARCHS.items():
        for s in range(seeds):
            for e in range(3):
                for layer in range(1, len(hidden) + 2):
                    for b in ("upper", "lower"):
                        x, yv = 5.0 + e - 0.3 * layer, 1.0 + 0.5 * e
                        off = (layer_off or {}).get(layer, offset) + spread * (s - 1)
                        rows.append(dict(arch=arch, sample=cv.MLP_SAMPLES[0], seed=s, epoch=e, layer=layer, bound=b, ixt=x + off, ity=yv))
                        rows.append(dict(arch=arch, sample=cv.MLP_SAMPLES[1], seed=s, epoch=e, layer=layer, bound=b, ixt=x, ity=yv))
    return pd.DataFrame(rows)


@pytest.mark.parametrize("kw, n_train, want", [
    (dict(), 60000, "reproduced"),                      # the same planes on both samples
    (dict(offset=0.5), 60000, "contradicted"),           # every layer 0.5 bit apart
    (dict(layer_off={2: 0.5}), 60000, "contradicted"),   # one layer is enough
    (dict(seeds=2), 60000, "inconclusive"),
    (dict(), 5000, "different setting"),                 # offline: 5,000 training images
])
def test_mlp_claims(kw, n_train, want):
    gaps = cv.sample_gaps(mlp_mi(**kw))
    assert set(gaps.columns) >= {"arch", "bound", "seed", "layer", "dx", "dy"}
    rows = cv.claims_mlp(gaps, epochs=20, n_train=n_train)
    assert len(rows) == 2 and all(r["verdict"] == want for r in rows)
    if want == "different setting":
        assert "the rules give: reproduced" in rows[0]["note"]


def test_sample_gaps_is_the_largest_absolute_difference():
    mi = mlp_mi(offset=0.0, spread=0.0)
    mi.loc[(mi["sample"] == cv.MLP_SAMPLES[1]) & (mi.epoch == 1) & (mi.layer == 1), "ixt"] -= 0.7
    g = cv.sample_gaps(mi)
    np.testing.assert_allclose(g[g.layer == 1].dx, 0.7)
    np.testing.assert_allclose(g[g.layer == 2].dx, 0.0)
    assert "per seed" in cv.seconds_text({"a": 1.0}) and "50 s" in cv.seconds_text({"a": 1.0})
