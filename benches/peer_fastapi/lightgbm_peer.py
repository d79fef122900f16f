"""LightGBM on the encoded lead rows that `cargo bench --bench peers -- train N CSV` writes.

Same size as revcast's boosted trees (BoostingParams::default): 150 rounds, learning rate 0.08,
depth 4 (up to 16 leaves), 80% row subsampling every round, L2 1.0, minimum leaf hessian 5.
Times `lgb.train` (binning included, CSV reading excluded), median of REPEATS runs, on 1 thread
(as revcast's booster) and on every core; prints one JSON line.

    python benches/peer_fastapi/lightgbm_peer.py encoded.csv [REPEATS] [1t|all|both]

The last argument picks the thread counts fitted (default both).
"""

import json
import statistics
import sys
import time

import lightgbm as lgb
import numpy as np
from sklearn.metrics import roc_auc_score


def load(path):
    with open(path) as f:
        f.readline()
        parts, rows = [], []
        for line in f:
            part, rest = line.split(",", 1)
            parts.append(part)
            rows.append(np.fromstring(rest, sep=","))
    m = np.vstack(rows)
    train = np.array(parts) == "train"
    return m[train, 1:], m[train, 0], m[~train, 1:], m[~train, 0]


def fit(x, y, threads):
    params = {
        "objective": "binary", "learning_rate": 0.08, "max_depth": 4, "num_leaves": 16,
        "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
        "min_sum_hessian_in_leaf": 5.0, "min_data_in_leaf": 1, "num_threads": threads,
        "seed": 42, "verbose": -1,
    }
    t = time.perf_counter()
    booster = lgb.train(params, lgb.Dataset(x, y), num_boost_round=150)
    return time.perf_counter() - t, booster


def main():
    xt, yt, xv, yv = load(sys.argv[1])
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    which = sys.argv[3] if len(sys.argv) > 3 else "both"
    out = {"step": "lightgbm", "train_rows": len(yt), "valid_rows": len(yv)}
    for threads, name in ((1, "1t"), (0, "all")):
        if which not in (name, "both"):
            continue
        runs = [fit(xt, yt, threads) for _ in range(repeats)]
        out[f"seconds_{name}"] = statistics.median(r[0] for r in runs)
        out[f"runs_{name}"] = [r[0] for r in runs]
        out[f"auc_{name}"] = roc_auc_score(yv, runs[0][1].predict(xv))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
