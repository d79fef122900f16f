//! Tests of the generated world's shape: determinism, counts, row validity, dates.

use super::*;
use chrono::Datelike;

pub(super) fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

#[test]
fn scratch_figures() {
    let t = std::time::Instant::now();
    let w = generate(&SynthSettings::default(), as_of());
    eprintln!("gen {:?}", t.elapsed());
    eprintln!("reps {} quotas {} accounts {} leads {} opps {} events {} snaps {} churn {} spend {}",
        w.reps.len(), w.quotas.len(), w.accounts.len(), w.leads.len(), w.opportunities.len(), w.stage_events.len(), w.snapshots.len(), w.churn_events.len(), w.spend.len());
    let decided: Vec<_> = w.leads.iter().filter(|l| l.converted.is_some()).collect();
    let conv = decided.iter().filter(|l| l.converted == Some(true)).count();
    eprintln!("leads decided {} conv rate {:.3}", decided.len(), conv as f64 / decided.len() as f64);
    for dt in [crate::domain::DealType::New, crate::domain::DealType::Renewal, crate::domain::DealType::Upsell] {
        let closed: Vec<_> = w.opportunities.iter().filter(|o| o.deal_type == Some(dt) && o.won.is_some()).collect();
        let won = closed.iter().filter(|o| o.won == Some(true)).count();
        let open = w.opportunities.iter().filter(|o| o.deal_type == Some(dt) && o.won.is_none()).count();
        let mut cyc: Vec<f64> = closed.iter().filter(|o| o.won == Some(true)).map(|o| (o.closed_at.unwrap().get() - o.created_at.unwrap().get()).num_days() as f64).collect();
        cyc.sort_by(|a, b| a.partial_cmp(b).unwrap());
        eprintln!("{:?}: closed {} won {} rate {:.3} open {} cycle p10 {:?} p50 {:?} p90 {:?}", dt, closed.len(), won, won as f64 / closed.len() as f64, open, cyc.get(cyc.len()/10), cyc.get(cyc.len()/2), cyc.get(cyc.len()*9/10));
    }
    let closed: Vec<_> = w.opportunities.iter().filter(|o| o.won.is_some()).collect();
    let won = closed.iter().filter(|o| o.won == Some(true)).count();
    eprintln!("all win rate {:.3}", won as f64 / closed.len() as f64);
    let last = closed.iter().filter(|o| o.closed_at.unwrap().date().month() % 3 == 0).count();
    eprintln!("last month share {:.3}", last as f64 / closed.len() as f64);
    // churn: accounts alive at year start vs churned in year
    let y0 = as_of() - chrono::Duration::days(365);
    let alive: std::collections::BTreeSet<_> = w.snapshots.iter().filter(|s| s.as_of <= y0 && s.as_of > y0 - chrono::Duration::days(31)).map(|s| s.account_id.clone()).collect();
    let churned = w.churn_events.iter().filter(|c| c.churned_at > y0 && alive.contains(&c.account_id)).count();
    eprintln!("alive {} churned in last year {} rate {:.3}", alive.len(), churned, churned as f64 / alive.len() as f64);
    let custs: std::collections::BTreeSet<_> = w.snapshots.iter().map(|s| s.account_id.clone()).collect();
    eprintln!("customer accounts {}", custs.len());
    let mut resp: Vec<f64> = w.leads.iter().filter_map(|l| l.first_response_at.map(|r| (r.get() - l.created_at.unwrap().get()).num_minutes() as f64 / 60.0)).collect();
    resp.sort_by(|a, b| a.partial_cmp(b).unwrap());
    eprintln!("response h p50 {:.1} p90 {:.1} p99 {:.1}", resp[resp.len()/2], resp[resp.len()*9/10], resp[resp.len()*99/100]);
    let mut amts: Vec<f64> = w.opportunities.iter().map(|o| o.amount.unwrap().get()).collect();
    amts.sort_by(|a, b| a.partial_cmp(b).unwrap());
    eprintln!("amount p10 {} p50 {} p90 {}", amts[amts.len()/10], amts[amts.len()/2], amts[amts.len()*9/10]);
    for (id, sk) in &w.truth.rep_skill {
        let c: Vec<_> = w.opportunities.iter().filter(|o| o.owner_id.as_ref().map(|x| x.as_str()) == Some(id) && o.won.is_some() && o.deal_type == Some(crate::domain::DealType::New)).collect();
        let won = c.iter().filter(|o| o.won == Some(true)).count();
        eprintln!("rep {id} skill {sk:.2} closed {} rate {:.3}", c.len(), won as f64 / c.len().max(1) as f64);
    }
    eprintln!("quotas {:?}", &w.quotas[..3]);
    let spend: f64 = w.spend.iter().map(|s| s.amount.get()).sum();
    eprintln!("spend {spend}");
}
