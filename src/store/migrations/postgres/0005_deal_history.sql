-- Deal history: every opportunity's amount, expected close date, stage, forecast category and owner
-- as they stood after each write that changed one of them, with the moment revcast learned it.
-- Triggers keep it, so every write path (API upserts, imports, bulk imports) records it alike.
CREATE TABLE deal_changes (
    seq BIGSERIAL PRIMARY KEY,
    opportunity_id TEXT COLLATE "C" NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL,
    amount DOUBLE PRECISION,
    expected_close_date DATE,
    stage TEXT NOT NULL,
    forecast_category TEXT,
    owner_id TEXT
);
CREATE INDEX deal_changes_opportunity_idx ON deal_changes (opportunity_id, changed_at);

CREATE FUNCTION record_deal_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deal_changes (opportunity_id, changed_at, amount, expected_close_date, stage,
                              forecast_category, owner_id)
    VALUES (NEW.id, clock_timestamp(), NEW.amount, NEW.expected_close_date, NEW.stage,
            NEW.forecast_category, NEW.owner_id);
    RETURN NULL;
END
$$;

CREATE TRIGGER opportunities_history_insert AFTER INSERT ON opportunities
FOR EACH ROW EXECUTE FUNCTION record_deal_change();

CREATE TRIGGER opportunities_history_update AFTER UPDATE ON opportunities
FOR EACH ROW WHEN (
    OLD.amount IS DISTINCT FROM NEW.amount
    OR OLD.expected_close_date IS DISTINCT FROM NEW.expected_close_date
    OR OLD.stage IS DISTINCT FROM NEW.stage
    OR OLD.forecast_category IS DISTINCT FROM NEW.forecast_category
    OR OLD.owner_id IS DISTINCT FROM NEW.owner_id
) EXECUTE FUNCTION record_deal_change();

-- Deals already stored: their history starts with what is known now.
INSERT INTO deal_changes (opportunity_id, changed_at, amount, expected_close_date, stage,
                          forecast_category, owner_id)
SELECT id, now(), amount, expected_close_date, stage, forecast_category, owner_id
FROM opportunities;
