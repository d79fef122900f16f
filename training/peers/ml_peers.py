"""Peers for revcast's lead, win and churn models: scikit-learn logistic regression and LightGBM,
fitted on exactly the rows, encoded features and split that revcast used.

revcast writes the slices when asked (see src/ml/realdata.rs and src/ml/realdata_telco.rs):

    REVCAST_PEER_DIR=/tmp/peers cargo test --release --lib ml::realdata -- --ignored --nocapture
    python training/peers/ml_peers.py /tmp/peers xeducation maven telco

(`ml::realdata` also matches `ml::realdata_telco`, which writes the `telco` slices.)

Each `<name>_{train,calibrate,validate}.csv` holds the encoded columns, `label` and `revcast`
(revcast's calibrated probability). Peers fit on train, are calibrated (isotonic, as sklearn's
CalibratedClassifierCV would) on calibrate, and every model, revcast included, is scored on
validate by the same metric code below (ECE: 10 equal-width bins, count-weighted).
Needs: pip install scikit-learn lightgbm pandas
"""

import sys

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score


def ece(p, y, bins=10):
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.sum() * abs(p[m].mean() - y[m].mean())
    return total / len(p)


def metrics(p, y):
    p = np.clip(p, 1e-15, 1 - 1e-15)
    k = int(np.ceil(len(p) / 10))
    top = np.argsort(-p, kind="stable")[:k]
    return {
        "roc_auc": roc_auc_score(y, p),
        "pr_auc": average_precision_score(y, p),
        "log_loss": log_loss(y, p),
        "brier": brier_score_loss(y, p),
        "ece": ece(p, y),
        "top_decile_lift": y[top].mean() / y.mean(),
    }


def load(d, name, part):
    df = pd.read_csv(f"{d}/{name}_{part}.csv")
    y = df.pop("label").to_numpy()
    rc = df.pop("revcast").to_numpy()
    return df.to_numpy(dtype=float), y, rc


def calibrated(model, xc, yc, xv):
    iso = IsotonicRegression(out_of_bounds="clip", y_min=1e-3, y_max=1 - 1e-3)
    iso.fit(model.predict_proba(xc)[:, 1], yc)
    return model.predict_proba(xv)[:, 1], iso.predict(model.predict_proba(xv)[:, 1])


def main(d, names):
    for name in names:
        xt, yt, _ = load(d, name, "train")
        xc, yc, _ = load(d, name, "calibrate")
        xv, yv, rv = load(d, name, "validate")
        base = np.full(len(yv), yt.mean())
        rows = {"revcast (kept)": metrics(rv, yv), "train base rate": metrics(base, yv)}
        lr = LogisticRegression(C=1.0, max_iter=2000).fit(xt, yt)
        gbm = lgb.LGBMClassifier(n_estimators=300, learning_rate=0.05, num_leaves=31, subsample=0.8,
                                 subsample_freq=1, colsample_bytree=0.8, random_state=42, verbose=-1).fit(xt, yt)
        for label, model in [("sklearn logistic", lr), ("lightgbm", gbm)]:
            raw, cal = calibrated(model, xc, yc, xv)
            rows[label] = metrics(raw, yv)
            rows[label + " + isotonic"] = metrics(cal, yv)
        print(f"\n## {name}: validate {len(yv)} rows, {int(yv.sum())} positive\n")
        print(pd.DataFrame(rows).T.round(4).to_markdown())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
