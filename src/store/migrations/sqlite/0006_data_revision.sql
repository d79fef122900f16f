-- A counter that every write of CRM records raises in its transaction: derived values kept in
-- memory (the CRM copy a forecast reads, a day's forecast) are valid while it is unchanged.
CREATE TABLE data_revision (
    id INTEGER PRIMARY KEY NOT NULL,
    n INTEGER NOT NULL
);
INSERT INTO data_revision (id, n) VALUES (1, 0);
