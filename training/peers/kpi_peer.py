#!/usr/bin/env python3
"""Independent pandas peer for revcast's sales KPIs on the Maven CRM sales opportunities.

Computes, over the whole data window, by rep (sales_agent), by team (manager from
sales_teams.csv), by region (regional_office) and overall:
  - win_rate: won / (won + lost); open deals (Engaging, Prospecting) are excluded
  - average_deal_size: mean close_value of won deals
  - sales_cycle_days: median of close_date - engage_date over won deals (engage_date is
    revcast's created_at)
and writes JSON that the Rust test `kpi::maven_tests` compares against.

Regenerate (from the repository root, in a virtualenv with pandas):
    python training/peers/kpi_peer.py ../shared/data/maven_crm_sales_opportunities \
        training/peers/kpi_peer_maven.json
"""

import json
import sys

import pandas as pd


def kpis(deals: pd.DataFrame) -> dict:
    won = deals[deals["deal_stage"] == "Won"]
    lost = deals[deals["deal_stage"] == "Lost"]
    closed = len(won) + len(lost)
    cycle = (won["close_date"] - won["engage_date"]).dt.days
    return {
        "won": int(len(won)),
        "lost": int(len(lost)),
        "win_rate": len(won) / closed if closed else None,
        "average_deal_size": float(won["close_value"].mean()) if len(won) else None,
        "sales_cycle_days": float(cycle.median()) if len(won) else None,
    }


def main(data_dir: str, out_path: str) -> None:
    deals = pd.read_csv(f"{data_dir}/sales_pipeline.csv", parse_dates=["engage_date", "close_date"])
    teams = pd.read_csv(f"{data_dir}/sales_teams.csv")
    deals = deals.merge(teams[["sales_agent", "manager", "regional_office"]], on="sales_agent", how="left")
    start = deals["engage_date"].min()
    end = deals["close_date"].max() + pd.Timedelta(days=1)
    report = {
        "dataset": "maven_crm_sales_opportunities",
        "generated_by": "training/peers/kpi_peer.py",
        "pandas": pd.__version__,
        "window": {"from": start.date().isoformat(), "to": end.date().isoformat()},
        "overall": kpis(deals),
        "by_rep": {k: kpis(g) for k, g in sorted(deals.groupby("sales_agent"))},
        "by_team": {k: kpis(g) for k, g in sorted(deals.groupby("manager"))},
        "by_region": {k: kpis(g) for k, g in sorted(deals.groupby("regional_office"))},
    }
    with open(out_path, "w") as f:
        json.dump(report, f, indent=1, sort_keys=False)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: kpi_peer.py DATA_DIR OUT_JSON")
    main(sys.argv[1], sys.argv[2])
