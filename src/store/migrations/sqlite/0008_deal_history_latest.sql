-- Deal history, the latest state kept in the deal itself: a deal's tracked fields as they stand now
-- are its latest recorded state, so the row that 0005's insert trigger copied into `deal_changes`
-- for every new deal (as much again as the deal, written per row) is not written any more. The deal
-- keeps the moment that state was recorded (`recorded_at`, set when it is inserted and when a
-- tracked field changes); `deal_changes` keeps the states that were replaced, each with its own
-- moment, archived by the update trigger when a tracked field changes, and history loaded as such.
-- A deal's history is its `deal_changes` rows followed by the deal itself (see store/history.rs).
--
-- Deals stored before this migration keep their whole history in `deal_changes` (their latest
-- state included), with `recorded_at` NULL: nothing is moved. Their next change sets `recorded_at`
-- without archiving (their current state is already archived).
--
-- SQLite cannot add a column whose default is an expression, so the table is rebuilt. The moment is
-- a Julian day number (`julianday('now')`, exact to the millisecond and far cheaper per row than a
-- formatted text), turned into the same text as `deal_changes.changed_at` when it is read or
-- archived.
CREATE TABLE opportunities_0008 (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT,
    owner_id TEXT,
    created_at TEXT,
    stage TEXT NOT NULL,
    amount REAL,
    expected_close_date TEXT,
    closed_at TEXT,
    won BOOLEAN,
    forecast_category TEXT,
    product TEXT,
    deal_type TEXT,
    attributes TEXT NOT NULL,
    recorded_at REAL DEFAULT (julianday('now'))
);

INSERT INTO opportunities_0008 (id, account_id, owner_id, created_at, stage, amount,
                                expected_close_date, closed_at, won, forecast_category, product,
                                deal_type, attributes, recorded_at)
SELECT id, account_id, owner_id, created_at, stage, amount, expected_close_date, closed_at, won,
       forecast_category, product, deal_type, attributes, NULL
FROM opportunities;

-- Drops the table's indexes and both history triggers with it.
DROP TABLE opportunities;
ALTER TABLE opportunities_0008 RENAME TO opportunities;
CREATE INDEX opportunities_owner_id_idx ON opportunities (owner_id);
CREATE INDEX opportunities_account_id_idx ON opportunities (account_id);

CREATE TRIGGER opportunities_history_update AFTER UPDATE ON opportunities
WHEN OLD.amount IS NOT NEW.amount
  OR OLD.expected_close_date IS NOT NEW.expected_close_date
  OR OLD.stage IS NOT NEW.stage
  OR OLD.forecast_category IS NOT NEW.forecast_category
  OR OLD.owner_id IS NOT NEW.owner_id
BEGIN
    INSERT INTO deal_changes (opportunity_id, changed_at, amount, expected_close_date, stage,
                              forecast_category, owner_id)
    SELECT OLD.id, strftime('%Y-%m-%dT%H:%M:%fZ', OLD.recorded_at), OLD.amount,
           OLD.expected_close_date, OLD.stage, OLD.forecast_category, OLD.owner_id
    WHERE OLD.recorded_at IS NOT NULL;
    UPDATE opportunities SET recorded_at = julianday('now') WHERE id = NEW.id;
END;
