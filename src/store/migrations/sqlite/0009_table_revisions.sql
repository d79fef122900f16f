-- One revision counter per table of CRM records, in place of the one data revision: a write
-- raises the counters of the tables it wrote, in its transaction, so a value kept in memory
-- (see src/store/memo.rs) is computed again only when a table it was derived from changed.
CREATE TABLE table_revisions (
    name TEXT PRIMARY KEY NOT NULL,
    n INTEGER NOT NULL
);
INSERT INTO table_revisions (name, n) VALUES
    ('leads', 0), ('opportunities', 0), ('stage_events', 0), ('reps', 0), ('quotas', 0),
    ('accounts', 0), ('account_snapshots', 0), ('churn_events', 0), ('spend', 0),
    ('deal_changes', 0);
DROP TABLE data_revision;
