//! Which database errors mean "unavailable" (a 503 with `Retry-After` for the caller) rather than
//! a defect in revcast (a 500).

/// True when `e` says the database is down or momentarily unable to serve (a 503 for the caller),
/// rather than that revcast sent it something wrong.
pub(super) fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                code.parse::<i64>().is_ok_and(sqlite_unavailable)
            } else {
                postgres_unavailable(&code)
            }
        }
        _ => false,
    }
}

/// SQLite busy (5), locked (6), read-only (8), I/O error (10), disk full (13) and cannot open
/// (14), with their extended codes (e.g. 517 busy snapshot, 1032 read-only because the file moved):
/// the primary code is the low byte.
fn sqlite_unavailable(code: i64) -> bool {
    matches!(code & 0xff, 5 | 6 | 8 | 10 | 13 | 14)
}

/// PostgreSQL connection exceptions (08xxx), insufficient resources (53xxx), admin or crash
/// shutdown and "cannot connect now" (57P01..57P03); also what retrying fixes once revcast's own
/// retries are spent: serialization failure (40001), deadlock (40P01), lock not available
/// (55P03), a cancelled statement (57014), and a read-only server (25006, a standby).
fn postgres_unavailable(sqlstate: &str) -> bool {
    sqlstate.starts_with("08")
        || sqlstate.starts_with("53")
        || matches!(
            sqlstate,
            "57P01" | "57P02" | "57P03" | "40001" | "40P01" | "55P03" | "57014" | "25006"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    use std::str::FromStr;

    fn temp_db() -> (std::path::PathBuf, String) {
        let dir =
            std::env::temp_dir().join(format!("revcast_err_{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("e.db").display());
        (dir, url)
    }

    async fn pool(url: &str, busy_ms: u64) -> sqlx::SqlitePool {
        let opts = SqliteConnectOptions::from_str(url)
            .unwrap()
            .create_if_missing(true)
            .busy_timeout(std::time::Duration::from_millis(busy_ms));
        SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn sqlite_busy_and_read_only_are_unavailable_and_a_bad_query_is_not() {
        let (dir, url) = temp_db();
        let a = pool(&url, 0).await;
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(&a)
            .await
            .unwrap();
        let b = pool(&url, 0).await;
        let mut holder = a.acquire().await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *holder)
            .await
            .unwrap();
        let busy = sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&b)
            .await
            .unwrap_err();
        assert!(unavailable(&busy), "{busy}");
        sqlx::query("ROLLBACK").execute(&mut *holder).await.unwrap();

        let ro = pool(&format!("{url}?mode=ro"), 0).await;
        let read_only = sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&ro)
            .await
            .unwrap_err();
        assert!(matches!(
            StoreError::from(read_only),
            StoreError::Unavailable(_)
        ));

        let bad = sqlx::query("SELEC 1").execute(&b).await.unwrap_err();
        assert!(matches!(StoreError::from(bad), StoreError::Internal(_)));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn postgres_states_of_an_unavailable_server_are_told_from_defects() {
        for s in [
            "08006", "08001", "53300", "57P01", "57P03", "40P01", "40001",
        ] {
            assert!(postgres_unavailable(s), "{s}");
        }
        for s in ["23505", "42601", "22021", "XX000", ""] {
            assert!(!postgres_unavailable(s), "{s}");
        }
        assert!(sqlite_unavailable(517) && sqlite_unavailable(1032) && sqlite_unavailable(6));
        assert!(!sqlite_unavailable(19) && !sqlite_unavailable(2067) && !sqlite_unavailable(1));
    }

    #[test]
    fn an_unavailable_database_wrapped_in_anyhow_is_still_unavailable() {
        let wrapped = StoreError::Internal(
            anyhow::Error::new(sqlx::Error::PoolTimedOut).context("loading leads"),
        );
        assert!(matches!(wrapped.surfaced(), StoreError::Unavailable(_)));
        let bug = StoreError::Internal(anyhow::anyhow!("a defect"));
        assert!(matches!(bug.surfaced(), StoreError::Internal(_)));
    }
}
