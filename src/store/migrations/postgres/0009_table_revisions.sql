-- One revision counter per table of CRM records, in place of the one data revision: a write
-- takes the next value of the sequences of the tables it wrote, so a value kept in memory (see
-- src/store/memo.rs) is computed again only when a table it was derived from changed. Sequences,
-- so that concurrent writers never wait on them.
CREATE SEQUENCE revision_leads;
CREATE SEQUENCE revision_opportunities;
CREATE SEQUENCE revision_stage_events;
CREATE SEQUENCE revision_reps;
CREATE SEQUENCE revision_quotas;
CREATE SEQUENCE revision_accounts;
CREATE SEQUENCE revision_account_snapshots;
CREATE SEQUENCE revision_churn_events;
CREATE SEQUENCE revision_spend;
CREATE SEQUENCE revision_deal_changes;
DROP SEQUENCE data_revision;
