-- The model registry: every trained version with its spec, validation metrics and artifact.
CREATE TABLE model_versions (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    spec TEXT NOT NULL,
    metrics TEXT NOT NULL,
    artifact BLOB NOT NULL,
    trained_at TEXT NOT NULL,
    activated_at TEXT
);
CREATE INDEX model_versions_kind_idx ON model_versions (kind, status);

-- Asynchronous jobs (training): progress, result or error.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    progress REAL NOT NULL,
    message TEXT NOT NULL,
    result TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- The latest score of each stored lead, opportunity or account, for the prioritized lists and
-- the change since the previous score.
CREATE TABLE scores (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    owner_id TEXT,
    probability REAL NOT NULL,
    previous_probability REAL,
    value REAL NOT NULL,
    model_version TEXT NOT NULL,
    explanation TEXT NOT NULL,
    scored_at TEXT NOT NULL
);
CREATE INDEX scores_kind_owner_idx ON scores (kind, owner_id);

-- Forecasts as served: the accuracy ledger.
CREATE TABLE forecast_snapshots (
    id TEXT PRIMARY KEY NOT NULL,
    period TEXT NOT NULL,
    as_of TEXT NOT NULL,
    group_by TEXT NOT NULL,
    group_key TEXT NOT NULL,
    p10 REAL NOT NULL,
    p50 REAL NOT NULL,
    p90 REAL NOT NULL,
    mean REAL NOT NULL,
    parts TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX forecast_snapshots_period_idx ON forecast_snapshots (period);
