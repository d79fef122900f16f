"""Medians of the JSON lines that run_peers.sh collects, as a Markdown table.

    python3 benches/peers/table.py results.jsonl
"""

import json
import statistics
import sys


def med(rows, key):
    vals = [r[key] for r in rows if key in r]
    return statistics.median(vals) if vals else float("nan")


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
    by = {}
    for r in rows:
        by.setdefault((r.get("who", ""), r.get("what", r["step"])), []).append(r)
    g = lambda who, what: by.get((who, what), [])
    print("| measure | revcast | peer | ratio | target | runs |")
    print("|---|---|---|---|---|---|")
    for what, key, unit, target, better in [
        ("wrk_one", "rps", "scores/s", ">= 20,000/s; >= 10x peer", "high"),
        ("wrk_one", "p99_ms", "ms (p99, closed loop)", "", "low"),
        ("open_1000", "p99_ms", "ms (p99 at 1,000 req/s)", "< 5 ms", "low"),
        ("open_1000", "p50_ms", "ms (p50 at 1,000 req/s)", "", "low"),
        ("batch_10k", "p50_ms", "ms (10,000 leads, median)", "< 100 ms", "low"),
    ]:
        a, b = med(g("revcast", what), key), med(g("peer", what), key)
        ratio = a / b if better == "high" else b / a
        n = len(g("revcast", what))
        print(f"| {what} {unit} | {a:,.2f} | {b:,.2f} | {ratio:.1f}x | {target} | {n} |")
    errs = sum(r.get("errors", 0) for r in rows)
    print(f"\nHTTP errors over all runs: {errs}\n")
    t, lgb = g("", "train"), g("", "lightgbm")
    if t:
        print(f"| training, {t[0]['leads']:,} leads | seconds (median) | AUC | target |")
        print("|---|---|---|---|")
        print(f"| revcast full pipeline (kept {t[0]['pipeline_kept']}) | {med(t, 'pipeline_s'):.1f} "
              f"| {med(t, 'pipeline_auc'):.4f} | < 60 s |")
        print(f"| revcast boosted trees alone (1 thread) | {med(t, 'boosted_s'):.2f} "
              f"| {med(t, 'boosted_auc'):.4f} | <= 3x LightGBM |")
    if lgb:
        for name, label in (("1t", "1 thread"), ("all", "all cores")):
            s = med(lgb, f"seconds_{name}")
            ratio = med(t, "boosted_s") / s if t else float("nan")
            print(f"| LightGBM ({label}) | {s:.2f} | {med(lgb, f'auc_{name}'):.4f} "
                  f"| revcast / LightGBM = {ratio:.1f}x |")
    if t and "peak_mb_after_pipeline" in t[0]:
        print(f"\nPeak RSS of the in-process pipeline on {t[0]['leads']:,} leads: "
              f"{med(t, 'peak_mb_before_pipeline'):.0f} MB with leads and rows built, "
              f"{med(t, 'peak_mb_after_pipeline'):.0f} MB after training")
    m = g("", "memory")
    if m:
        r = m[-1]
        print(f"\nServer memory while training on {r['leads']:,} leads through the API: "
              f"VmHWM {r['hwm_mb']:.0f} MB (RSS {r['rss_before_mb']:.0f} MB before), "
              f"job {r['status']} in {r['train_s']:.1f} s (target < 200 MB)")


if __name__ == "__main__":
    main()
