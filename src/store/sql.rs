//! SQL text for the generic record queries, rendered per backend.

use crate::domain::{ColType, Column};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The most bind parameters one statement may carry (SQLite 32,766; PostgreSQL 65,535).
    pub fn max_params(self) -> usize {
        match self {
            Dialect::Sqlite => 32_766,
            Dialect::Postgres => 65_535,
        }
    }

    /// Rows per multi-row statement for rows of `width` cells. Measured on 10,000-row batches of
    /// leads (`cargo bench --bench ingest`): with anonymous parameters (see [`Dialect::seq_param`])
    /// SQLite took 121k rows/s at 200 rows per statement and 125k at 1,000, against 95k at 50;
    /// PostgreSQL is best around a few hundred.
    pub fn rows_per_statement(self, width: usize) -> usize {
        let cap = match self {
            Dialect::Sqlite => 500,
            Dialect::Postgres => 500,
        };
        (self.max_params() / width.max(1)).clamp(1, cap)
    }

    /// The `n`th (1-based) bind parameter.
    pub fn param(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }

    /// The `n`th parameter of a statement whose parameters each appear once, in order. SQLite
    /// gets an anonymous `?`: binding a numbered `?NNN` makes SQLite look its name up in a list
    /// of every parameter, so binding a 700-parameter statement took quadratic time.
    pub fn seq_param(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => "?".to_string(),
            Dialect::Postgres => format!("${n}"),
        }
    }

    /// A parameter as it is written into a column of type `ty` (JSON travels as text); the
    /// statement's parameters must each appear once, in order (see [`Dialect::seq_param`]).
    pub fn value_param(self, n: usize, ty: ColType) -> String {
        match (self, ty) {
            (Dialect::Postgres, ColType::Json) => format!("CAST(${n} AS json)"),
            _ => self.seq_param(n),
        }
    }

    /// A column as it is selected (JSON comes back as text, exactly as stored).
    fn select_col(self, c: &Column) -> String {
        match (self, c.ty) {
            (Dialect::Postgres, ColType::Json) => format!("{0}::text AS {0}", c.name),
            _ => c.name.to_string(),
        }
    }

    fn differs(self, table: &str, c: &Column) -> String {
        match (self, c.ty) {
            (Dialect::Postgres, ColType::Json) => format!(
                "{table}.{0}::text IS DISTINCT FROM excluded.{0}::text",
                c.name
            ),
            (Dialect::Postgres, _) => format!("{table}.{0} IS DISTINCT FROM excluded.{0}", c.name),
            (Dialect::Sqlite, _) => format!("{table}.{0} IS NOT excluded.{0}", c.name),
        }
    }

    /// `INSERT ... ON CONFLICT (key columns) DO UPDATE` for `rows` rows; a row whose values are all
    /// unchanged is not touched (so it is not counted as affected). On PostgreSQL each written row
    /// comes back with one boolean, true when it was inserted (a new row version with no
    /// predecessor has `xmax = 0`) and false when it was updated: counts that stay exact however
    /// many writers run at once.
    pub fn upsert(self, table: &str, columns: &[Column], key: &[&str], rows: usize) -> String {
        let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
        let width = columns.len() + 1;
        let mut sql = format!("INSERT INTO {table} (id, {}) VALUES ", names.join(", "));
        for r in 0..rows {
            if r > 0 {
                sql.push_str(", ");
            }
            let base = r * width;
            let mut cells = vec![self.seq_param(base + 1)];
            for (i, c) in columns.iter().enumerate() {
                cells.push(self.value_param(base + 2 + i, c.ty));
            }
            sql.push('(');
            sql.push_str(&cells.join(", "));
            sql.push(')');
        }
        sql.push_str(&self.on_conflict(table, columns, key));
        if self == Dialect::Postgres {
            sql.push_str(" RETURNING (xmax = 0)");
        }
        sql
    }

    /// ` ON CONFLICT (key columns) DO UPDATE` of every column, for rows whose values changed.
    fn on_conflict(self, table: &str, columns: &[Column], key: &[&str]) -> String {
        let sets: Vec<String> = columns
            .iter()
            .map(|c| format!("{0} = excluded.{0}", c.name))
            .collect();
        let changed: Vec<String> = columns.iter().map(|c| self.differs(table, c)).collect();
        format!(
            " ON CONFLICT ({}) DO UPDATE SET {} WHERE {}",
            key.join(", "),
            sets.join(", "),
            changed.join(" OR ")
        )
    }

    /// PostgreSQL: the upsert of every row of the staging table `stage` (made `LIKE` `table`)
    /// into `table`, as [`Dialect::upsert`] writes them, in one statement that returns how many
    /// rows it wrote and how many of those it inserted.
    pub fn upsert_staged(table: &str, stage: &str, columns: &[Column], key: &[&str]) -> String {
        let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
        let names = names.join(", ");
        format!(
            "WITH written AS (INSERT INTO {table} (id, {names}) SELECT id, {names} FROM {stage}{} \
             RETURNING (xmax = 0) AS inserted) \
             SELECT COUNT(*), COUNT(*) FILTER (WHERE inserted) FROM written",
            Dialect::Postgres.on_conflict(table, columns, key)
        )
    }

    /// How many of `n` keys (parameters 1..=n) already have a row in `table`.
    pub fn count_existing(self, table: &str, n: usize) -> String {
        let ps: Vec<String> = (1..=n).map(|i| self.seq_param(i)).collect();
        format!(
            "SELECT COUNT(*) FROM {table} WHERE id IN ({})",
            ps.join(", ")
        )
    }

    /// Rows of `table` dated (`date_col`) within `days` days of the latest row of the same
    /// `group_col` (each account's recent snapshots, say), ordered by id.
    pub fn select_recent(
        self,
        table: &str,
        columns: &[Column],
        group_col: &str,
        date_col: &str,
        days: u32,
    ) -> String {
        format!(
            "SELECT {} {} ORDER BY id",
            self.select_list(columns),
            self.recent_rows(table, group_col, date_col, days)
        )
    }

    /// The `FROM ... WHERE` of [`Dialect::select_recent`]: each group's rows dated within `days`
    /// days of its latest (`recent_last`).
    fn recent_rows(self, table: &str, group_col: &str, date_col: &str, days: u32) -> String {
        let since = self.days_before_recent_last(days);
        format!(
            "FROM {table} JOIN (SELECT {group_col} AS recent_group, MAX({date_col}) AS recent_last \
             FROM {table} GROUP BY {group_col}) AS recent ON {group_col} = recent_group \
             WHERE {date_col} >= {since}"
        )
    }

    /// `days` days before the date `recent_last`.
    fn days_before_recent_last(self, days: u32) -> String {
        match self {
            Dialect::Sqlite => format!("date(recent_last, '-{days} days')"),
            Dialect::Postgres => format!("recent_last - {days}"),
        }
    }

    /// [`Dialect::select_recent`] for one group (parameter 1): its rows dated within `days` days
    /// of its latest, ordered by id.
    pub fn select_recent_of(
        self,
        table: &str,
        columns: &[Column],
        group_col: &str,
        date_col: &str,
        days: u32,
    ) -> String {
        let p = self.param(1);
        format!(
            "SELECT {} FROM {table} WHERE {group_col} = {p} AND {date_col} >= (SELECT {} FROM \
             (SELECT MAX({date_col}) AS recent_last FROM {table} WHERE {group_col} = {p}) AS recent) \
             ORDER BY id",
            self.select_list(columns),
            self.days_before_recent_last(days)
        )
    }

    /// [`Dialect::select_recent`] for SQLite with one row per group: its rows as a JSON array of
    /// objects keyed by column name (ids left out), in the column `group_rows`. sqlx hands every SQLite row from a worker
    /// thread to the reader through a channel, about 10 µs a row; a few wide rows instead of many
    /// narrow ones read a 10,000-account book's 83,000 recent snapshots in about half the time.
    /// (On PostgreSQL building the JSON costs more than it saves: use the rows.)
    pub fn sqlite_select_recent_json(
        table: &str,
        columns: &[Column],
        group_col: &str,
        date_col: &str,
        days: u32,
    ) -> String {
        let fields: Vec<String> = columns
            .iter()
            .map(|c| match c.ty {
                ColType::Json => format!("'{0}', json({0})", c.name),
                _ => format!("'{0}', {0}", c.name),
            })
            .collect();
        format!(
            "SELECT json_group_array(json_object({})) AS group_rows {} GROUP BY {group_col}",
            fields.join(", "),
            Dialect::Sqlite.recent_rows(table, group_col, date_col, days)
        )
    }

    fn select_list(self, columns: &[Column]) -> String {
        let mut cols = vec!["id".to_string()];
        cols.extend(columns.iter().map(|c| self.select_col(c)));
        cols.join(", ")
    }

    pub fn select_by_id(self, table: &str, columns: &[Column]) -> String {
        format!(
            "SELECT {} FROM {table} WHERE id = {}",
            self.select_list(columns),
            self.param(1)
        )
    }

    /// Keyset page: rows after a key (`after`: parameter 1, may be null), then `limit` (parameter 2).
    /// With `filter`, parameter 3 restricts `filter = value`.
    pub fn select_page(self, table: &str, columns: &[Column], filter: Option<&str>) -> String {
        let (p1, p2) = (self.param(1), self.param(2));
        let extra = filter
            .map(|f| format!(" AND {f} = {}", self.param(3)))
            .unwrap_or_default();
        format!(
            "SELECT {} FROM {table} WHERE ({p1} IS NULL OR id > {p1}){extra} ORDER BY id LIMIT {p2}",
            self.select_list(columns)
        )
    }

    /// The rows whose `column` equals parameter 1, in key order.
    pub fn select_children(self, table: &str, columns: &[Column], column: &str) -> String {
        format!(
            "SELECT {} FROM {table} WHERE {column} = {} ORDER BY id",
            self.select_list(columns),
            self.param(1)
        )
    }

    pub fn select_all(self, table: &str, columns: &[Column]) -> String {
        format!(
            "SELECT {} FROM {table} ORDER BY id",
            self.select_list(columns)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Quota, Record};

    #[test]
    fn upsert_numbers_parameters_row_by_row() {
        let sql = Dialect::Postgres.upsert("quotas", Quota::COLUMNS, Quota::KEY_COLUMNS, 2);
        assert!(
            sql.contains("VALUES ($1, $2, $3, $4), ($5, $6, $7, $8)"),
            "{sql}"
        );
        assert!(sql.contains("WHERE quotas.rep_id IS DISTINCT FROM excluded.rep_id OR"));
        let sql = Dialect::Sqlite.upsert("quotas", Quota::COLUMNS, Quota::KEY_COLUMNS, 1);
        assert!(sql.contains("VALUES (?, ?, ?, ?)"), "{sql}");
        assert!(sql.contains("quotas.amount IS NOT excluded.amount"));
        assert!(sql.contains("ON CONFLICT (rep_id, period)"), "{sql}");
        assert!(!sql.contains("RETURNING"), "{sql}");
    }

    #[test]
    fn json_columns_travel_as_text_on_postgres() {
        let cols = crate::domain::Lead::COLUMNS;
        assert!(Dialect::Postgres
            .upsert("leads", cols, &["id"], 1)
            .contains("CAST($10 AS json)"));
        assert!(Dialect::Postgres
            .select_by_id("leads", cols)
            .contains("attributes::text AS attributes"));
        assert!(!Dialect::Sqlite.select_by_id("leads", cols).contains("::"));
    }
}
