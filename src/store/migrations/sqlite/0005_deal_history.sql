-- Deal history: every opportunity's amount, expected close date, stage, forecast category and owner
-- as they stood after each write that changed one of them, with the moment revcast learned it.
-- Triggers keep it, so every write path (API upserts, imports, bulk imports) records it alike.
CREATE TABLE deal_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    opportunity_id TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    amount REAL,
    expected_close_date TEXT,
    stage TEXT NOT NULL,
    forecast_category TEXT,
    owner_id TEXT
);
CREATE INDEX deal_changes_opportunity_idx ON deal_changes (opportunity_id, changed_at);

CREATE TRIGGER opportunities_history_insert AFTER INSERT ON opportunities
BEGIN
    INSERT INTO deal_changes (opportunity_id, changed_at, amount, expected_close_date, stage,
                              forecast_category, owner_id)
    VALUES (NEW.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NEW.amount, NEW.expected_close_date,
            NEW.stage, NEW.forecast_category, NEW.owner_id);
END;

CREATE TRIGGER opportunities_history_update AFTER UPDATE ON opportunities
WHEN OLD.amount IS NOT NEW.amount
  OR OLD.expected_close_date IS NOT NEW.expected_close_date
  OR OLD.stage IS NOT NEW.stage
  OR OLD.forecast_category IS NOT NEW.forecast_category
  OR OLD.owner_id IS NOT NEW.owner_id
BEGIN
    INSERT INTO deal_changes (opportunity_id, changed_at, amount, expected_close_date, stage,
                              forecast_category, owner_id)
    VALUES (NEW.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NEW.amount, NEW.expected_close_date,
            NEW.stage, NEW.forecast_category, NEW.owner_id);
END;

-- Deals already stored: their history starts with what is known now.
INSERT INTO deal_changes (opportunity_id, changed_at, amount, expected_close_date, stage,
                          forecast_category, owner_id)
SELECT id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), amount, expected_close_date, stage,
       forecast_category, owner_id
FROM opportunities;
