"""Peer comparison for revcast's series forecast: statsforecast AutoETS and AutoTheta on the
same split as `forecast::series_eval` (last 12 values held out, 6 for series under 48 values).

Usage (a virtualenv with `pip install statsforecast 'pandas<3'`):
    python training/peers/series_peers.py ../shared/data/forecasting_small_series \
        > training/peers/series_peers.json

Metrics, as in the Rust evaluation:
- sMAPE = mean of 200 |F - A| / (|A| + |F|) (a term with A = F = 0 counts 0), in percent;
- MASE  = mean |F - A| / mean |y[t] - y[t-m]| over the training part, m = 12 when the training
  part has at least 36 values, else m = 1.
Both read the first column as the date and the second as the value.
"""
import csv
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoETS, AutoTheta

SEASON = 12


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return np.array([float(r[1]) for r in rows[1:] if len(r) > 1 and r[1] != ""])


def split(y):
    h = 12 if len(y) >= 48 else 6
    return y[:-h], y[-h:]


def smape(f, a):
    den = np.abs(a) + np.abs(f)
    terms = np.where(den == 0, 0.0, 200 * np.abs(f - a) / np.where(den == 0, 1, den))
    return float(terms.mean())


def mase(f, a, train):
    m = SEASON if len(train) >= 3 * SEASON else 1
    scale = np.mean(np.abs(train[m:] - train[:-m]))
    return float(np.mean(np.abs(f - a)) / scale)


def main(folder):
    out = {}
    for path in sorted(Path(folder).glob("*.csv")):
        train, test = split(load(path))
        df = pd.DataFrame({"unique_id": "s", "ds": np.arange(len(train)), "y": train})
        sf = StatsForecast(models=[AutoETS(season_length=SEASON), AutoTheta(season_length=SEASON)], freq=1)
        fc = sf.forecast(df=df, h=len(test))
        out[path.stem] = {
            name: {"smape": smape(fc[name].to_numpy(), test), "mase": mase(fc[name].to_numpy(), test, train)}
            for name in ["AutoETS", "AutoTheta"]
        }
    for name in ["AutoETS", "AutoTheta"]:
        out.setdefault("_mean", {})[name] = {
            k: float(np.mean([v[name][k] for s, v in out.items() if s != "_mean"])) for k in ["smape", "mase"]
        }
    json.dump(out, sys.stdout, indent=2, sort_keys=True)
    print()


if __name__ == "__main__":
    main(sys.argv[1])
