-- The CRM copy: one table per entity, keyed by the CRM's own id (or a composite key joined with '|').
-- Columns mirror `Record::COLUMNS` in src/domain/entities.

CREATE TABLE accounts (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    industry TEXT,
    segment TEXT,
    region TEXT,
    employees BIGINT,
    owner_id TEXT,
    created_at TIMESTAMPTZ,
    attributes JSON NOT NULL
);

CREATE TABLE leads (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    account_id TEXT,
    created_at TIMESTAMPTZ,
    source TEXT,
    owner_id TEXT,
    status TEXT,
    converted BOOLEAN,
    converted_at TIMESTAMPTZ,
    first_response_at TIMESTAMPTZ,
    attributes JSON NOT NULL
);

CREATE TABLE opportunities (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    account_id TEXT,
    owner_id TEXT,
    created_at TIMESTAMPTZ,
    stage TEXT NOT NULL,
    amount DOUBLE PRECISION,
    expected_close_date DATE,
    closed_at TIMESTAMPTZ,
    won BOOLEAN,
    forecast_category TEXT,
    product TEXT,
    deal_type TEXT,
    attributes JSON NOT NULL
);

CREATE TABLE stage_events (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    opportunity_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    entered_at TIMESTAMPTZ NOT NULL,
    expected_close_date DATE
);

CREATE TABLE reps (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    team TEXT,
    manager TEXT,
    region TEXT,
    hired_at DATE,
    attributes JSON NOT NULL
);

CREATE TABLE quotas (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    rep_id TEXT NOT NULL,
    period TEXT NOT NULL,
    amount DOUBLE PRECISION NOT NULL
);

CREATE TABLE account_snapshots (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL,
    as_of DATE NOT NULL,
    arr DOUBLE PRECISION NOT NULL,
    seats BIGINT,
    active_users BIGINT,
    logins BIGINT,
    nps DOUBLE PRECISION,
    csat DOUBLE PRECISION,
    open_tickets BIGINT,
    ticket_resolution_hours DOUBLE PRECISION,
    plan TEXT,
    renewal_date DATE,
    attributes JSON NOT NULL
);

CREATE TABLE churn_events (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL,
    churned_at DATE NOT NULL,
    arr_lost DOUBLE PRECISION,
    reason TEXT
);

CREATE TABLE spend (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    period TEXT NOT NULL,
    channel TEXT NOT NULL,
    amount DOUBLE PRECISION NOT NULL
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
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
