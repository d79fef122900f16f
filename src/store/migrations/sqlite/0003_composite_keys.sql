-- Entities without a CRM id are keyed by their fields, as columns under a unique index; the `id`
-- column keeps a handle for URLs in which a field's own `|` or backslash is escaped with a
-- backslash, so that two different keys never share an id. Ids whose fields hold neither character
-- are unchanged; the others are rewritten here.

UPDATE stage_events
SET id = replace(replace(opportunity_id, '\', '\\'), '|', '\|') || '|'
      || replace(replace(stage, '\', '\\'), '|', '\|')
      || substr(id, length(opportunity_id) + length(stage) + 2)
WHERE replace(opportunity_id, '|', '') <> opportunity_id OR replace(opportunity_id, '\', '') <> opportunity_id
   OR replace(stage, '|', '') <> stage OR replace(stage, '\', '') <> stage;

UPDATE account_snapshots
SET id = replace(replace(account_id, '\', '\\'), '|', '\|') || substr(id, length(account_id) + 1)
WHERE replace(account_id, '|', '') <> account_id OR replace(account_id, '\', '') <> account_id;

UPDATE churn_events
SET id = replace(replace(account_id, '\', '\\'), '|', '\|') || substr(id, length(account_id) + 1)
WHERE replace(account_id, '|', '') <> account_id OR replace(account_id, '\', '') <> account_id;

UPDATE quotas
SET id = replace(replace(rep_id, '\', '\\'), '|', '\|') || substr(id, length(rep_id) + 1)
WHERE replace(rep_id, '|', '') <> rep_id OR replace(rep_id, '\', '') <> rep_id;

UPDATE spend
SET id = substr(id, 1, length(id) - length(channel)) || replace(replace(channel, '\', '\\'), '|', '\|')
WHERE replace(channel, '|', '') <> channel OR replace(channel, '\', '') <> channel;

DROP INDEX stage_events_opportunity_id_idx;
DROP INDEX account_snapshots_account_id_idx;
DROP INDEX churn_events_account_id_idx;
DROP INDEX quotas_rep_id_idx;
CREATE UNIQUE INDEX stage_events_key ON stage_events (opportunity_id, stage, entered_at);
CREATE UNIQUE INDEX account_snapshots_key ON account_snapshots (account_id, as_of);
CREATE UNIQUE INDEX churn_events_key ON churn_events (account_id, churned_at);
CREATE UNIQUE INDEX quotas_key ON quotas (rep_id, period);
CREATE UNIQUE INDEX spend_key ON spend (period, channel);
