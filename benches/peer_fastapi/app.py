"""The peer of revcast's lead scoring: FastAPI + scikit-learn, one logistic regression.

At start it trains its own LogisticRegression on the CSV of synthetic leads that the benchmark
driver writes (`cargo bench --bench peers -- ingest ...`): the same leads revcast is trained on,
with the features of revcast's lead spec that those leads carry: source (one-hot), created
weekday (one-hot) and visits (median-imputed, standardised). It serves POST /v1/score/leads with
the same body as revcast (a JSON array of leads) and answers, per lead, the probability, a score
in percent and the top positive and negative factors (coefficient x (value - training mean)), like
revcast's answer without calibration.

Run (from the repository root):
    PEER_LEADS_CSV=leads.csv uvicorn --app-dir benches/peer_fastapi app:app --workers 2 --port 18081
"""

import csv
import datetime as dt
import os

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder

CAT_COLUMNS = ("source", "created weekday")


def weekday(created_at):
    if not created_at:
        return "(missing)"
    return dt.datetime.fromisoformat(created_at.replace("Z", "+00:00")).strftime("%a")


def raw_features(source, created_at, visits):
    cats = [source or "(missing)", weekday(created_at)]
    return cats, (float(visits) if visits not in (None, "") else np.nan)


class LeadModel:
    def __init__(self, path):
        cats, nums, labels = [], [], []
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                if row["converted"] == "":
                    continue
                c, v = raw_features(row["source"], row["created_at"], row["visits"])
                cats.append(c)
                nums.append(v)
                labels.append(int(row["converted"]))
        self.onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        onehot = self.onehot.fit_transform(np.array(cats, dtype=object))
        visits = np.array(nums)
        self.median = float(np.nanmedian(visits))
        visits = np.where(np.isnan(visits), self.median, visits)
        self.mean, self.std = float(visits.mean()), float(visits.std() or 1.0)
        x = np.hstack([onehot, ((visits - self.mean) / self.std)[:, None]])
        self.lr = LogisticRegression(max_iter=1000).fit(x, np.array(labels))
        self.center = x.mean(axis=0)
        names = []
        for col, levels in zip(CAT_COLUMNS, self.onehot.categories_):
            names += [(col, str(level)) for level in levels]
        self.columns = names + [("visits", None)]

    def encode(self, leads):
        cats, nums = [], []
        for lead in leads:
            attrs = lead.get("attributes") or {}
            c, v = raw_features(lead.get("source"), lead.get("created_at"), attrs.get("visits"))
            cats.append(c)
            nums.append(v)
        visits = np.array(nums, dtype=float)
        visits = np.where(np.isnan(visits), self.median, visits)
        onehot = self.onehot.transform(np.array(cats, dtype=object))
        return np.hstack([onehot, ((visits - self.mean) / self.std)[:, None]]), visits

    def score(self, leads):
        x, visits = self.encode(leads)
        proba = self.lr.predict_proba(x)[:, 1]
        contrib = (x - self.center) * self.lr.coef_[0]
        out = []
        for i, lead in enumerate(leads):
            factors = []
            for j in np.argsort(-np.abs(contrib[i]))[:6]:
                col, level = self.columns[j]
                if level is not None and x[i, j] == 0.0:
                    continue
                value = level if level is not None else f"{visits[i]:g}"
                factors.append({"feature": col, "value": value,
                                "points": round(float(contrib[i, j]) * 25.0, 1)})
            p = float(proba[i])
            out.append({
                "id": lead.get("id"),
                "probability": p,
                "score": int(min(99, max(1, round(p * 100)))),
                "positive_factors": [f for f in factors if f["points"] > 0][:3],
                "negative_factors": [f for f in factors if f["points"] < 0][:3],
            })
        return out


MODEL = LeadModel(os.environ.get("PEER_LEADS_CSV", "leads.csv"))
app = FastAPI()


@app.post("/v1/score/leads")
async def score_leads(request: Request):
    leads = await request.json()
    if not isinstance(leads, list) or not 1 <= len(leads) <= 10_000:
        return JSONResponse({"error": "send 1 to 10000 leads"}, status_code=400)
    return JSONResponse({"data": MODEL.score(leads)})
