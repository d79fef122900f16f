-- Deal history, the latest state kept in the deal itself: a deal's tracked fields as they stand now
-- are its latest recorded state, so the row that 0005's insert trigger copied into `deal_changes`
-- for every new deal (a PL/pgSQL call and as much again as the deal, per row) is not written any
-- more. The deal keeps the moment that state was recorded (`recorded_at`, set when it is inserted
-- and when a tracked field changes); `deal_changes` keeps the states that were replaced, each with
-- its own moment, archived by the update trigger when a tracked field changes, and history loaded
-- as such. A deal's history is its `deal_changes` rows followed by the deal itself (see
-- store/history.rs).
--
-- Deals stored before this migration keep their whole history in `deal_changes` (their latest
-- state included), with `recorded_at` NULL: nothing is moved. Their next change sets `recorded_at`
-- without archiving (their current state is already archived).
ALTER TABLE opportunities ADD COLUMN recorded_at TIMESTAMPTZ;
-- Set after the column exists, so the deals already stored keep NULL.
ALTER TABLE opportunities ALTER COLUMN recorded_at SET DEFAULT clock_timestamp();

DROP TRIGGER opportunities_history_insert ON opportunities;
DROP TRIGGER opportunities_history_update ON opportunities;
DROP FUNCTION record_deal_change();

-- Before the update, so the new moment goes into the row being written (no second write).
CREATE FUNCTION archive_deal_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.recorded_at IS NOT NULL THEN
        INSERT INTO deal_changes (opportunity_id, changed_at, amount, expected_close_date, stage,
                                  forecast_category, owner_id)
        VALUES (OLD.id, OLD.recorded_at, OLD.amount, OLD.expected_close_date, OLD.stage,
                OLD.forecast_category, OLD.owner_id);
    END IF;
    NEW.recorded_at := clock_timestamp();
    RETURN NEW;
END
$$;

CREATE TRIGGER opportunities_history_update BEFORE UPDATE ON opportunities
FOR EACH ROW WHEN (
    OLD.amount IS DISTINCT FROM NEW.amount
    OR OLD.expected_close_date IS DISTINCT FROM NEW.expected_close_date
    OR OLD.stage IS DISTINCT FROM NEW.stage
    OR OLD.forecast_category IS DISTINCT FROM NEW.forecast_category
    OR OLD.owner_id IS DISTINCT FROM NEW.owner_id
) EXECUTE FUNCTION archive_deal_state();
