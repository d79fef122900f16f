-- A counter that every write of CRM records raises: derived values kept in memory (the CRM copy
-- a forecast reads, a day's forecast) are valid while it is unchanged. A sequence, so that
-- concurrent writers never wait on it (see src/store/memo.rs).
CREATE SEQUENCE data_revision;
