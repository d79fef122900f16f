-- The CRM copy: one table per entity, keyed by the CRM's own id (or a composite key joined with '|').
-- Columns mirror `Record::COLUMNS` in src/domain/entities.

CREATE TABLE accounts (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    industry TEXT,
    segment TEXT,
    region TEXT,
    employees INTEGER,
    owner_id TEXT,
    created_at TEXT,
    attributes TEXT NOT NULL
);

CREATE TABLE leads (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT,
    created_at TEXT,
    source TEXT,
    owner_id TEXT,
    status TEXT,
    converted BOOLEAN,
    converted_at TEXT,
    first_response_at TEXT,
    attributes TEXT NOT NULL
);

CREATE TABLE opportunities (
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
    attributes TEXT NOT NULL
);

CREATE TABLE stage_events (
    id TEXT PRIMARY KEY NOT NULL,
    opportunity_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    expected_close_date TEXT
);

CREATE TABLE reps (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    team TEXT,
    manager TEXT,
    region TEXT,
    hired_at TEXT,
    attributes TEXT NOT NULL
);

CREATE TABLE quotas (
    id TEXT PRIMARY KEY NOT NULL,
    rep_id TEXT NOT NULL,
    period TEXT NOT NULL,
    amount REAL NOT NULL
);

CREATE TABLE account_snapshots (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL,
    as_of TEXT NOT NULL,
    arr REAL NOT NULL,
    seats INTEGER,
    active_users INTEGER,
    logins INTEGER,
    nps REAL,
    csat REAL,
    open_tickets INTEGER,
    ticket_resolution_hours REAL,
    plan TEXT,
    renewal_date TEXT,
    attributes TEXT NOT NULL
);

CREATE TABLE churn_events (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL,
    churned_at TEXT NOT NULL,
    arr_lost REAL,
    reason TEXT
);

CREATE TABLE spend (
    id TEXT PRIMARY KEY NOT NULL,
    period TEXT NOT NULL,
    channel TEXT NOT NULL,
    amount REAL NOT NULL
);

CREATE INDEX leads_owner_id_idx ON leads (owner_id);
CREATE INDEX opportunities_owner_id_idx ON opportunities (owner_id);
CREATE INDEX opportunities_account_id_idx ON opportunities (account_id);
CREATE INDEX stage_events_opportunity_id_idx ON stage_events (opportunity_id);
CREATE INDEX account_snapshots_account_id_idx ON account_snapshots (account_id);
CREATE INDEX churn_events_account_id_idx ON churn_events (account_id);
CREATE INDEX quotas_rep_id_idx ON quotas (rep_id);

-- API keys: only the SHA-256 of the key is stored, never the key.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
