-- The model registry: every trained version with its spec, validation metrics and artifact.
CREATE TABLE model_versions (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    spec JSON NOT NULL,
    metrics JSON NOT NULL,
    artifact BYTEA NOT NULL,
    trained_at TIMESTAMPTZ NOT NULL,
    activated_at TIMESTAMPTZ
);
CREATE INDEX model_versions_kind_idx ON model_versions (kind, status);

-- Asynchronous jobs (training): progress, result or error.
CREATE TABLE jobs (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    progress DOUBLE PRECISION NOT NULL,
    message TEXT NOT NULL,
    result JSON,
    error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- The latest score of each stored lead, opportunity or account, for the prioritized lists and
-- the change since the previous score.
CREATE TABLE scores (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    owner_id TEXT,
    probability DOUBLE PRECISION NOT NULL,
    previous_probability DOUBLE PRECISION,
    value DOUBLE PRECISION NOT NULL,
    model_version TEXT NOT NULL,
    explanation JSON NOT NULL,
    scored_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX scores_kind_owner_idx ON scores (kind, owner_id);

-- Forecasts as served: the accuracy ledger.
CREATE TABLE forecast_snapshots (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    period TEXT NOT NULL,
    as_of TEXT NOT NULL,
    group_by TEXT NOT NULL,
    group_key TEXT NOT NULL,
    p10 DOUBLE PRECISION NOT NULL,
    p50 DOUBLE PRECISION NOT NULL,
    p90 DOUBLE PRECISION NOT NULL,
    mean DOUBLE PRECISION NOT NULL,
    parts JSON NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX forecast_snapshots_period_idx ON forecast_snapshots (period);
