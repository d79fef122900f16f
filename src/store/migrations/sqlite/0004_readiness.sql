-- One row that /readyz rewrites: proof that the database takes writes.
CREATE TABLE readiness (
    id INTEGER PRIMARY KEY NOT NULL,
    checked_at TEXT NOT NULL
);
