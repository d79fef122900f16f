//! The deal history kept in memory and brought up to date by reading only what was added.
//!
//! The archived states (`deal_changes`) are only ever appended, each with a larger `seq` than
//! the rows before it in its own transaction; a deal's latest state is the deal row itself (see
//! [`super::history`]). So after a write, the history kept from before is still right but for
//! the archived rows added since and the deals' latest states: one statement reads those, and
//! with them the number of archived rows. When that number is not the rows kept plus the rows
//! read (a transaction that took a smaller `seq` committed after a larger one had been read, as
//! PostgreSQL's sequences allow), the archived rows are read again whole.
//!
//! A CRM sync of one deal then reads that deal's new archived state and the deals' latest
//! states, not the whole history sorted by the database.

use sqlx::{AssertSqlSafe, Row};
use std::sync::Arc;

use super::history::{decode_change, history_rows, COLUMNS, LATEST_SEQ};
use super::memo::{self, DEAL_CHANGES};
use super::{on_pool, Result, Store, StoreError};
use crate::domain::{DealChange, Opportunity, Record};

/// The tables the history is read from.
const TABLES: [&str; 2] = [Opportunity::TABLE, DEAL_CHANGES];

/// The history as last read.
#[derive(Default)]
pub(crate) struct KeptHistory {
    /// The revision of [`TABLES`] it was read at (None: never read).
    revision: Option<i64>,
    /// The archived states read so far, with their `seq`, in the history's order.
    archived: Vec<(i64, DealChange)>,
    /// The largest `seq` among them.
    last_seq: i64,
    /// The whole history as served: archived and latest states, by deal, oldest first.
    history: Arc<Vec<DealChange>>,
}

impl std::fmt::Debug for KeptHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptHistory")
            .field("revision", &self.revision)
            .field("states", &self.history.len())
            .finish()
    }
}

/// What one read brought: the archived states after the kept ones, the deals' latest states,
/// and how many archived states there are in all.
struct Fresh {
    archived: Vec<(i64, DealChange)>,
    latest: Vec<DealChange>,
    archived_in_all: i64,
}

impl KeptHistory {
    /// Takes in a read; false when the kept and read archived states do not add up to all of
    /// them (some were committed out of `seq` order), so they must be read again from the start.
    fn take(&mut self, fresh: Fresh, revision: i64) -> bool {
        let kept = self.archived.len() + fresh.archived.len();
        if i64::try_from(kept).ok() != Some(fresh.archived_in_all) {
            return false;
        }
        if let Some(last) = fresh.archived.iter().map(|(s, _)| *s).max() {
            self.last_seq = self.last_seq.max(last);
            self.archived.extend(fresh.archived);
            // Sorted runs are found as such: a few appended states cost about one pass.
            self.archived.sort_by(|a, b| order(a.0, &a.1, b.0, &b.1));
        }
        self.history = Arc::new(merged(&self.archived, fresh.latest));
        self.revision = Some(revision);
        true
    }
}

/// The history's order: by deal, oldest first, then by `seq` (a deal's latest state after its
/// archived ones of the same moment), as [`Store::all_deal_changes`] gives them.
fn order(sa: i64, a: &DealChange, sb: i64, b: &DealChange) -> std::cmp::Ordering {
    (a.opportunity_id.as_str(), a.changed_at, sa).cmp(&(
        b.opportunity_id.as_str(),
        b.changed_at,
        sb,
    ))
}

/// Every state in the history's order: the archived ones (already in it) merged with the deals'
/// latest states.
fn merged(archived: &[(i64, DealChange)], mut latest: Vec<DealChange>) -> Vec<DealChange> {
    latest.sort_unstable_by(|a, b| order(LATEST_SEQ, a, LATEST_SEQ, b));
    let mut out = Vec::with_capacity(archived.len() + latest.len());
    let mut archived = archived.iter().peekable();
    for l in latest {
        while let Some((_, a)) = archived.next_if(|(s, a)| order(*s, a, LATEST_SEQ, &l).is_lt()) {
            out.push(a.clone());
        }
        out.push(l);
    }
    out.extend(archived.map(|(_, a)| a.clone()));
    out
}

impl Store {
    /// Every recorded deal change, as [`Store::all_deal_changes`] gives them, kept in memory and
    /// brought up to date by reading only the archived states added since and the deals' latest
    /// states (see the module's note).
    pub async fn kept_deal_changes(&self) -> Result<Arc<Vec<DealChange>>> {
        let revision = memo::revision_of(&self.revisions().await?, &TABLES);
        let mut kept = self.kept_history.lock().await;
        if kept.revision == Some(revision) {
            return Ok(kept.history.clone());
        }
        let fresh = self.history_after(kept.last_seq).await?;
        if !kept.take(fresh, revision) {
            *kept = KeptHistory::default();
            let whole = self.history_after(0).await?;
            let added_up = kept.take(whole, revision);
            debug_assert!(added_up, "one read of every archived state counts them all");
        }
        Ok(kept.history.clone())
    }

    /// The archived states with `seq` above `after`, every deal's latest state and the number
    /// of archived states, in one statement (one snapshot of the database).
    async fn history_after(&self, after: i64) -> Result<Fresh> {
        let d = self.dialect();
        let rows = history_rows(d, &format!("seq > {}", d.param(1)), "");
        // The number of archived states rides in `seq` on the one row without a deal.
        let sql = format!(
            "SELECT seq, {COLUMNS} FROM ({rows}) AS h \
             UNION ALL SELECT COUNT(*), NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM deal_changes"
        );
        on_pool!(self, p => {
            let rows = sqlx::query(AssertSqlSafe(sql)).bind(after).fetch_all(p).await?;
            let mut fresh = Fresh { archived: Vec::new(), latest: Vec::new(), archived_in_all: 0 };
            for row in rows {
                let seq: i64 = row.try_get("seq")?;
                if row.try_get::<Option<String>, _>("opportunity_id")?.is_none() {
                    fresh.archived_in_all = seq;
                    continue;
                }
                let change = decode_change!(row);
                if seq == LATEST_SEQ {
                    fresh.latest.push(change);
                } else {
                    fresh.archived.push((seq, change));
                }
            }
            Ok::<Fresh, StoreError>(fresh)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{parse_batch, Id, Money, Timestamp};
    use sqlx::AssertSqlSafe;

    fn deals(rows: serde_json::Value) -> Vec<Opportunity> {
        parse_batch::<Opportunity>(rows.as_array().unwrap().clone()).unwrap()
    }

    /// The kept history equals the whole one read afresh.
    async fn same_as_whole(store: &Store) {
        let kept = store.kept_deal_changes().await.unwrap();
        let whole = store.all_deal_changes().await.unwrap();
        assert_eq!(*kept, whole);
    }

    /// An archived state written straight into the table with its own `seq`, as a transaction
    /// that took its number before another's and committed after it leaves it.
    async fn archive_with_seq(store: &Store, seq: i64, deal: &str, amount: f64) {
        let d = store.dialect();
        let insert = format!(
            "INSERT INTO deal_changes (seq, opportunity_id, changed_at, amount, stage) \
             VALUES ({seq}, '{deal}', {}, {amount}, 'Open')",
            d.param(1)
        );
        let mark = memo::mark_changed_sql(d, &[DEAL_CHANGES]);
        let at = Timestamp::parse(&format!("2026-01-{:02}T00:00:00Z", seq % 28 + 1)).unwrap();
        on_pool!(store, p => {
            sqlx::query(AssertSqlSafe(insert)).bind(at.get()).execute(p).await.unwrap();
            sqlx::query(AssertSqlSafe(mark)).execute(p).await.unwrap();
        });
        store.after_commit(&[DEAL_CHANGES]).await;
    }

    async fn kept_history_follows_every_write(store: &Store) {
        same_as_whole(store).await;
        store
            .upsert(&deals(serde_json::json!([
                {"id": "A", "stage": "Open", "amount": 10},
                {"id": "B", "stage": "Open", "amount": 5}
            ])))
            .await
            .unwrap();
        same_as_whole(store).await;
        // A tracked field changes (A archived), an untracked one does not archive (B).
        store
            .upsert(&deals(serde_json::json!([
                {"id": "A", "stage": "Proposal", "amount": 12},
                {"id": "B", "stage": "Open", "amount": 5, "product": "x"}
            ])))
            .await
            .unwrap();
        let kept = store.kept_deal_changes().await.unwrap();
        assert_eq!(kept.len(), 3, "{kept:?}");
        same_as_whole(store).await;
        // History loaded as such, with moments before everything stored.
        let old = DealChange {
            opportunity_id: Id::parse("B").unwrap(),
            changed_at: Timestamp::parse("2025-06-01T00:00:00Z").unwrap(),
            amount: Some(Money::parse(4.0).unwrap()),
            expected_close_date: None,
            stage: "Lead".into(),
            forecast_category: None,
            owner_id: None,
        };
        store.backfill_deal_changes(&[old]).await.unwrap();
        let kept = store.kept_deal_changes().await.unwrap();
        let b: Vec<&DealChange> = kept
            .iter()
            .filter(|c| c.opportunity_id.as_str() == "B")
            .collect();
        assert_eq!(b[0].stage, "Lead", "the backfilled state comes first for B");
        same_as_whole(store).await;

        // A smaller seq committed after a larger one had been read: counted, read again whole.
        archive_with_seq(store, 1_000, "A", 1.0).await;
        same_as_whole(store).await;
        archive_with_seq(store, 900, "B", 2.0).await;
        let kept = store.kept_deal_changes().await.unwrap();
        assert!(kept.iter().any(|c| c.amount.map(Money::get) == Some(2.0)));
        same_as_whole(store).await;
    }

    #[tokio::test]
    async fn kept_history_follows_every_write_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("k.db").display());
        let store = Store::connect(&url).await.unwrap();
        kept_history_follows_every_write(&store).await;
        store.close().await;
    }

    #[tokio::test]
    async fn kept_history_follows_every_write_on_postgres() {
        let Some(store) = crate::store::tests::fresh_postgres().await else {
            return;
        };
        kept_history_follows_every_write(&store).await;
        store.close().await;
    }
}
