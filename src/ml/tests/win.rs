//! Tests of the win (opportunity snapshot) training set and scoring of open deals.

use chrono::{TimeZone, Utc};

use crate::ml::synth;
use crate::ml::*;

#[test]
fn win_snapshots_see_only_the_past() {
    let spec = ModelSpec::from_toml(include_str!("../../../training/win.toml")).unwrap();
    let (opps, events) = synth::deals(400, 7);
    let as_of = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let set = win_training_set(&spec, &opps, &events, &[], as_of).unwrap();
    let closed: Vec<_> = opps.iter().filter(|o| o.won.is_some()).collect();
    let expected: usize = closed
        .iter()
        .map(|o| {
            events
                .iter()
                .filter(|e| e.opportunity_id == o.id && e.entered_at < o.closed_at.unwrap())
                .count()
        })
        .sum();
    assert_eq!(set.len(), expected);
    let col = |name: &str| spec.features.iter().position(|f| f.name == name).unwrap();
    // The first snapshot of the first deal: nobody has closed anything yet, so the prior 0.5.
    assert_eq!(set.rows[0].cells[col("owner win rate")], Cell::Num(0.5));
    assert_eq!(
        set.rows[0].cells[col("days in previous stage")],
        Cell::Missing
    );
    // Stage snapshots are features as of entering the stage, never after the close.
    for (i, id) in set.ids.iter().enumerate() {
        let o = closed.iter().find(|o| o.id.as_str() == id).unwrap();
        assert!(set.times[i].unwrap() < o.closed_at.unwrap().get());
        assert_ne!(
            set.rows[i].cells[col("stage")],
            Cell::Cat(o.stage.clone()),
            "won/lost is never a snapshot stage"
        );
    }
    // An earlier as_of sees fewer closed deals.
    let early = win_training_set(
        &spec,
        &opps,
        &events,
        &[],
        Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap(),
    )
    .unwrap();
    assert!(early.len() < set.len());
}

#[test]
fn open_deals_score_from_their_history_as_of_now() {
    let spec = ModelSpec::from_toml(include_str!("../../../training/win.toml")).unwrap();
    let (opps, events) = synth::deals(800, 8);
    let as_of = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let set = win_training_set(&spec, &opps, &events, &[], as_of).unwrap();
    let m = train(&spec, &set, &mut |_, _| {}).unwrap();
    assert!(m.metrics.roc_auc > 0.6, "auc {}", m.metrics.roc_auc);
    assert!(m.metrics.log_loss < m.metrics.base_rate_log_loss);
    let history = OwnerHistory::from_opportunities(&opps);
    let open = opps.iter().find(|o| o.is_open()).unwrap();
    let row = m.opportunity_row(open, &events, &history, as_of);
    let slips = spec
        .features
        .iter()
        .position(|f| f.name == "close date slips")
        .unwrap();
    assert!(matches!(row.cells[slips], Cell::Num(_)));
    assert!((1..=99).contains(&m.score(&[row])[0].score));
}

#[test]
fn owner_win_rate_counts_only_deals_closed_before() {
    let (opps, _) = synth::deals(200, 9);
    let h = OwnerHistory::from_opportunities(&opps);
    let t = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let (good, bad) = (h.win_rate(Some("R-0"), t), h.win_rate(Some("R-3"), t));
    assert!(good > bad + 0.15, "{good} vs {bad}");
    assert_eq!(
        h.win_rate(
            Some("R-0"),
            Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap()
        ),
        0.5
    );
    assert_eq!(h.win_rate(Some("nobody"), t), h.win_rate(None, t));
}

#[test]
fn a_close_value_recorded_at_the_outcome_is_refused() {
    let text = include_str!("../../../training/win.toml")
        .replace("from = \"amount\"", "from = \"attributes.close_value\"");
    let spec = ModelSpec::from_toml(&text).unwrap();
    let (mut opps, events) = synth::deals(400, 10);
    for o in opps.iter_mut().filter(|o| o.won.is_some()) {
        let v = if o.won == Some(true) {
            o.amount.unwrap().get()
        } else {
            0.0
        };
        o.attributes
            .insert("close_value".into(), serde_json::json!(v));
    }
    let as_of = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let e = win_training_set(&spec, &opps, &events, &[], as_of).unwrap_err();
    assert!(
        matches!(&e, MlError::LeakyFeature { feature, .. } if feature == "amount"),
        "{e}"
    );
    // closed_at itself cannot even be named in a spec.
    let named = include_str!("../../../training/win.toml")
        .replace("from = \"amount\"", "from = \"closed_at\"");
    assert!(matches!(
        ModelSpec::from_toml(&named),
        Err(MlError::LeakyFeature { .. })
    ));
}

#[test]
fn each_snapshot_takes_the_amount_and_owner_its_history_knew_then() {
    use crate::domain::{DealChange, Id, Money, Timestamp};
    let spec = ModelSpec::from_toml(include_str!("../../../training/win.toml")).unwrap();
    let (mut opps, events) = synth::deals(60, 11);
    let as_of = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    // One closed deal with several stages: at its first stage it was worth 1,000 and owned by
    // R-OLD; at its second it was revised to 2,000 and handed to R-NEW; today it shows 3,000.
    let deal = opps
        .iter()
        .position(|o| {
            o.won.is_some()
                && events
                    .iter()
                    .filter(|e| e.opportunity_id == o.id && e.entered_at < o.closed_at.unwrap())
                    .count()
                    >= 3
        })
        .expect("a closed deal with three stages");
    opps[deal].amount = Some(Money::parse(3000.0).unwrap());
    let id = opps[deal].id.clone();
    let mut evs: Vec<_> = events.iter().filter(|e| e.opportunity_id == id).collect();
    evs.sort_by_key(|e| e.entered_at);
    let change = |at: Timestamp, amount: f64, owner: &str| DealChange {
        opportunity_id: id.clone(),
        changed_at: at,
        amount: Some(Money::parse(amount).unwrap()),
        expected_close_date: None,
        stage: "any".into(),
        forecast_category: None,
        owner_id: Some(Id::parse(owner.to_string()).unwrap()),
    };
    let changes = vec![
        change(evs[0].entered_at, 1000.0, "R-OLD"),
        change(evs[1].entered_at, 2000.0, "R-NEW"),
    ];
    let set = win_training_set(&spec, &opps, &events, &changes, as_of).unwrap();
    let col = spec
        .features
        .iter()
        .position(|f| f.name == "amount")
        .unwrap();
    let rows: Vec<f64> = (0..set.len())
        .filter(|&i| set.ids[i] == id.as_str())
        .map(|i| match &set.rows[i].cells[col] {
            Cell::Num(v) => *v,
            other => panic!("amount cell {other:?}"),
        })
        .collect();
    assert_eq!(rows[0], 1000.0, "{rows:?}");
    assert!(rows[1..].iter().all(|&a| a == 2000.0), "{rows:?}");
    // Without history the rows keep today's amount, as before.
    let set = win_training_set(&spec, &opps, &events, &[], as_of).unwrap();
    let today: Vec<&Cell> = (0..set.len())
        .filter(|&i| set.ids[i] == id.as_str())
        .map(|i| &set.rows[i].cells[col])
        .collect();
    assert!(today.iter().all(|c| **c == Cell::Num(3000.0)), "{today:?}");
}
