//! Splitting the records by rep, team, region, source or product, and which KPIs make sense
//! for each grouping.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use super::report::Kpi;
use super::scope::{Scope, Settings};
use super::stages::StageOrder;
use super::{KpiData, KpiGroup, UNASSIGNED};
use crate::domain::{Id, Rep};

const LEAD_KPIS: [&str; 3] = [
    "leads_by_source",
    "lead_conversion_rate",
    "median_first_response_hours",
];
const QUOTA_KPIS: [&str; 2] = ["quota_attainment", "pipeline_coverage"];
const SPEND_KPIS: [&str; 2] = ["cac", "clv_to_cac"];
const ACCOUNT_KPIS: [&str; 7] = [
    "churn_rate",
    "arr_churn_rate",
    "gross_revenue_retention",
    "net_revenue_retention",
    "expansion_revenue",
    "clv",
    "clv_to_cac",
];

/// Why `name` is not defined for grouping `g`, if it is not.
fn not_applicable(g: KpiGroup, name: &str) -> Option<&'static str> {
    let is = |set: &[&str]| set.contains(&name);
    match g {
        KpiGroup::Rep | KpiGroup::Team | KpiGroup::Region if is(&SPEND_KPIS) => {
            Some("not defined per rep, team or region: spend is not attributed to reps")
        }
        KpiGroup::Source if !is(&LEAD_KPIS) => {
            Some("not defined per source: only leads carry a source")
        }
        KpiGroup::Product if is(&LEAD_KPIS) => {
            Some("not defined per product: leads carry no product")
        }
        KpiGroup::Product if is(&QUOTA_KPIS) => {
            Some("not defined per product: quotas are set per rep")
        }
        KpiGroup::Product if is(&ACCOUNT_KPIS) || is(&SPEND_KPIS) => {
            Some("not defined per product: accounts and spend are not tied to one product")
        }
        _ => None,
    }
}

/// Replaces the KPIs that a grouping cannot define by nulls with the reason.
pub(crate) fn mark_not_applicable(g: KpiGroup, kpis: Vec<Kpi>) -> Vec<Kpi> {
    kpis.into_iter()
        .map(|k| match not_applicable(g, &k.name) {
            Some(reason) => k.not_applicable(reason),
            None => k,
        })
        .collect()
}

/// Maps a rep id, and an account's own region, to a group key.
struct Keys<'a> {
    g: KpiGroup,
    reps: HashMap<&'a Id, &'a Rep>,
    account_owner: HashMap<&'a Id, (Option<&'a Id>, Option<&'a str>)>,
}

impl<'a> Keys<'a> {
    fn new(d: &KpiData<'a>, g: KpiGroup) -> Self {
        Keys {
            g,
            reps: d.reps.iter().map(|r| (&r.id, r)).collect(),
            account_owner: d
                .accounts
                .iter()
                .map(|a| (&a.id, (a.owner_id.as_ref(), a.region.as_deref())))
                .collect(),
        }
    }

    fn of_rep(&self, rep: Option<&Id>) -> String {
        let r = rep.and_then(|id| self.reps.get(id));
        let key = match self.g {
            KpiGroup::Rep => rep.map(Id::as_str),
            KpiGroup::Team => r.and_then(|r| r.team.as_deref().or(r.manager.as_deref())),
            KpiGroup::Region => r.and_then(|r| r.region.as_deref()),
            KpiGroup::Source | KpiGroup::Product => None,
        };
        key.unwrap_or(UNASSIGNED).to_string()
    }

    fn of_account(&self, id: &Id) -> String {
        let (owner, region) = self.account_owner.get(id).copied().unwrap_or_default();
        match (self.g, region) {
            (KpiGroup::Region, Some(r)) => r.to_string(),
            _ => self.of_rep(owner),
        }
    }
}

/// The group scopes being filled, by key.
struct Split<'a> {
    settings: Settings,
    order: Rc<StageOrder>,
    out: BTreeMap<String, Scope<'a>>,
}

impl<'a> Split<'a> {
    fn at(&mut self, key: String) -> &mut Scope<'a> {
        let (settings, order) = (self.settings, &self.order);
        self.out.entry(key).or_insert_with(|| Scope {
            settings,
            stage_order: Rc::clone(order),
            ..Scope::default()
        })
    }
}

fn or_unassigned(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| UNASSIGNED.into())
}

/// One scope per group key, sorted by key. Spend stays out of every group (see `SPEND_KPIS`);
/// grouping by source keeps only leads, by product only deals and their stage events.
pub(crate) fn split<'a>(all: &Scope<'a>, d: &KpiData<'a>, g: KpiGroup) -> Vec<(String, Scope<'a>)> {
    let keys = Keys::new(d, g);
    let mut sp = Split {
        settings: all.settings,
        order: Rc::clone(&all.stage_order),
        out: BTreeMap::new(),
    };
    if g != KpiGroup::Product {
        for l in d.leads {
            let k = match g {
                KpiGroup::Source => or_unassigned(&l.source),
                _ => keys.of_rep(l.owner_id.as_ref()),
            };
            sp.at(k).leads.push(l);
        }
    }
    if g != KpiGroup::Source {
        split_deals(d, &keys, &mut sp);
    }
    if g != KpiGroup::Source && g != KpiGroup::Product {
        split_accounts(d, &keys, &mut sp);
    }
    sp.out.into_iter().collect()
}

fn split_deals<'a>(d: &KpiData<'a>, keys: &Keys, sp: &mut Split<'a>) {
    let mut opp_key: HashMap<&Id, String> = HashMap::new();
    for o in d.opportunities {
        let k = match keys.g {
            KpiGroup::Product => or_unassigned(&o.product),
            _ => keys.of_rep(o.owner_id.as_ref()),
        };
        opp_key.insert(&o.id, k.clone());
        sp.at(k).opps.push(o);
    }
    for e in d.stage_events {
        let k = opp_key.get(&e.opportunity_id).cloned();
        sp.at(k.unwrap_or_else(|| UNASSIGNED.into())).events.push(e);
    }
}

fn split_accounts<'a>(d: &KpiData<'a>, keys: &Keys, sp: &mut Split<'a>) {
    for q in d.quotas {
        sp.at(keys.of_rep(Some(&q.rep_id))).quotas.push(q);
    }
    for s in d.snapshots {
        sp.at(keys.of_account(&s.account_id)).snapshots.push(s);
    }
    for c in d.churn_events {
        sp.at(keys.of_account(&c.account_id)).churns.push(c);
    }
}
