"""The chapter "Exact information" (Lorenzen, Igel & Nielsen 2022): analyses and claims on constructed tables."""
import numpy as np
import pandas as pd
import pytest

from ibutils.publish import report
from ibutils.studies import exact as ex

EPOCHS = [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000]
L = 6


def curve(kind, e, rng, noise=0.01):
    """ixt/ity shapes against epoch: rise then fall ("hump"), rise ("rise"), flat."""
    x = np.log1p(np.asarray(e, float)) / np.log1p(1000)
    base = {"hump": 3 + 4 * np.sin(np.pi * x), "rise": 0.2 + 0.8 * x, "flat": np.full_like(x, 1.0),
            "fall": 5 - 2 * x}[kind]
    return base + noise * rng.normal(size=len(x))


def make_mi(n_seeds=4, *, fit_flat_layer=None, relu_output="hump", same_hidden=False, extra=True):
    rng = np.random.default_rng(0)
    rows = []
    for act in ("tanh", "relu"):
        for bits in ("4-bit", "8-bit", "float"):
            for s in range(n_seeds):
                for layer in range(1, L + 1):
                    if layer == L:
                        kx = "hump" if act == "tanh" else relu_output
                    elif layer == 5 and (act == "tanh" or same_hidden):
                        kx = "hump"
                    else:
                        kx = "rise"
                    ky = "flat" if layer == fit_flat_layer else "rise"
                    ixt, ity = curve(kx, EPOCHS, rng), curve(ky, EPOCHS, rng)
                    for name, a, b in [(ex.EXACT, ixt, ity)] + ([("bins30", ixt + 0.5 + 0.01 * rng.normal(size=len(ixt)), ity),
                                                              ("bins100", np.full(len(ixt), 2.0), ity - 0.2),
                                                              ("kde_up", ixt[::3] + 1.0, ity[::3])] if extra else []):
                        ep = EPOCHS if len(a) == len(EPOCHS) else EPOCHS[::3]
                        rows.append(pd.DataFrame({"activation": act, "bits": bits, "seed": s, "epoch": ep, "layer": layer,
                                                  "estimator": name, "ixt": a, "ity": b}))
    return pd.concat(rows, ignore_index=True)


def rows_of(mi, n_seeds=4):
    fit, comp, agree = ex.fitting_table(mi), ex.compression_table(mi), ex.agreement(mi)
    return {r["claim"]: r for r in ex.claims(fit, comp, agree, n_seeds=n_seeds, epochs=1000)}


def verdicts(rows):
    return [r["verdict"] for r in rows.values()]


def test_claims_all_reproduced():
    rows = rows_of(make_mi())
    assert verdicts(rows) == ["reproduced"] * 4
    report.claims_table(ex.CHAPTER, list(rows.values()), profile="quick")  # valid rows


def test_claims_partly_and_not_reproduced():
    v = verdicts(rows_of(make_mi(fit_flat_layer=1, relu_output="rise", same_hidden=True)))
    assert v[0] == "partly reproduced"          # layer 1's I(T;Y) stays flat
    assert v[1] == "partly reproduced"          # ReLU's output layer does not compress
    assert v[2] == "not reproduced"             # the same hidden layer compresses for both activations
    v = verdicts(rows_of(make_mi(relu_output="fall")))
    assert v[1] == "reproduced" and v[2] == "reproduced"


def test_claims_contradicted_and_inconclusive():
    mi = make_mi(relu_output="flat")
    v = rows_of(mi[mi.activation == "relu"])
    assert v["The output layer compresses in every experiment"]["verdict"] == "not reproduced"
    assert v["Whether hidden layers compress depends on the activation function"]["verdict"] == "inconclusive"
    two = rows_of(make_mi(n_seeds=2), n_seeds=2)
    assert set(verdicts(two)) == {"inconclusive"}


def test_output_contradicted_when_it_rises():
    rng = np.random.default_rng(3)
    mi = make_mi(extra=False)
    m = (mi.layer == L) & (mi.estimator == ex.EXACT)
    # a late rise of I(X;T): the drop is significantly negative
    mi.loc[m, "ixt"] = np.concatenate([curve("rise", EPOCHS, rng) * 3 for _ in range(int(m.sum() / len(EPOCHS)))])
    assert rows_of(mi)["The output layer compresses in every experiment"]["verdict"] == "contradicted"


def test_fitting_and_compression_tables():
    mi = make_mi()
    fit = ex.fitting_table(mi)
    q = fit[fit.bits != "float"]
    assert (q.effect == "supports").all() and (q["mean"] > 0.5).all()
    comp = ex.compression_table(mi)
    t = comp[(comp.activation == "tanh") & (comp.bits == "8-bit")].set_index("layer")
    assert t.loc[L, "effect"] == "supports" and t.loc[5, "effect"] == "supports" and t.loc[1, "effect"] != "supports"


def test_wilson_interval():
    p, lo, hi = ex.wilson(8, 10)
    assert p == 0.8 and lo == pytest.approx(0.4902, abs=1e-3) and hi == pytest.approx(0.9433, abs=1e-3)
    assert ex.wilson(0, 10)[1] == 0.0 and ex.wilson(10, 10)[2] == pytest.approx(1.0)
    assert np.isnan(ex.wilson(0, 0)[0])


def test_errors_and_agreement():
    mi = make_mi()
    err = ex.estimator_errors(mi)
    assert set(err.bits) == {"4-bit", "8-bit"}  # the float networks are not scored
    s = ex.error_summary(err).set_index(["activation", "bits", "estimator"])
    assert s.loc[("tanh", "8-bit", "bins30"), "bias_ixt"] == pytest.approx(0.5, abs=0.01)
    assert s.loc[("tanh", "8-bit", "bins30"), "bias_ity"] == pytest.approx(0.0, abs=1e-12)
    assert s.loc[("tanh", "8-bit", "bins100"), "bias_ity"] == pytest.approx(-0.2, abs=1e-9)
    assert s.loc[("tanh", "8-bit", "kde_up"), "bias_ixt"] == pytest.approx(1.0, abs=1e-9)
    by_layer = ex.error_summary(err, by_layer=True)
    assert len(by_layer) == 2 * 2 * 3 * L
    a = ex.agreement(mi).set_index(["activation", "bits", "estimator"])
    assert a.loc[("tanh", "8-bit", "bins30"), "agree"] == 1.0
    # a flat estimate never compresses: it agrees on the non-compressing pairs only (tanh: 2 of 6 layers compress)
    assert a.loc[("tanh", "8-bit", "bins100"), "agree"] == pytest.approx(4 / 6)
    assert a.loc[("tanh", "8-bit", "kde_up"), "snapshots"] == len(EPOCHS[::3])
    assert ex.agreement_display(ex.agreement(mi)).shape[0] == 3
    assert "best agreement" in ex.agreement_sentence(ex.agreement(mi))
    assert ex.error_display(ex.error_summary(err)).shape == (3, 8)


def test_panel_hook_and_thin_epochs():
    from ibutils.mi import binning
    from ibutils.nets.hooks import Snapshot

    panel = ex.EstimatorPanel({"b": binning}, [5])
    T = np.random.default_rng(0).uniform(-1, 1, (2, 16, 3))
    y = np.arange(16) % 2
    panel.on_snapshot(Snapshot(epoch=4, layer=1, n_layers=2, seeds=np.array([0, 1]), T=T, y=y))
    panel.on_snapshot(Snapshot(epoch=5, layer=1, n_layers=2, seeds=np.array([0, 1]), T=T, y=y))
    panel.on_snapshot(Snapshot(epoch=5, layer=2, n_layers=2, seeds=np.array([], int), T=T[:0], y=y))
    t = panel.table()
    assert len(t) == 2 and (t.epoch == 5).all()
    np.testing.assert_allclose(t.ixt, binning(T, y).ixt)
    assert ex.thin_epochs([0, 1, 2, 3, 4, 5, 6], 3) == [0, 3, 6]
    assert ex.thin_epochs([0, 5], 4) == [0, 5]
    with pytest.raises(ValueError, match="costly_snapshots"):
        ex.thin_epochs(list(range(10)), 1)
    assert ex.bits_label(None) == "float" and ex.bits_label(8) == "8-bit"
