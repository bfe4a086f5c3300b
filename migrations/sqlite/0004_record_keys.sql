-- diemnong schema, version 4 (SQLite): record keys of the cell-key method (issue 18,
-- docs/plans/issue-18.md). Never edit a migration once applied: add a new one. Same schema as
-- migrations/postgres/0004_record_keys.sql, in SQLite's dialect.
--
-- Each incident gets a random key 0 … 2^32 − 1 when it is first stored; it is never
-- published. A published cell's key is the wrapping sum of its incidents' keys, so the same
-- incidents always get the same perturbation. ADD COLUMN needs a constant default for NOT
-- NULL: −1 means "no key", and the index's scan refuses it (a forgotten insert path fails
-- loudly). Existing rows are given random keys here (SQLite's PRNG, seeded from the OS).
ALTER TABLE incidents ADD COLUMN record_key INTEGER NOT NULL DEFAULT -1
    CHECK (record_key BETWEEN -1 AND 4294967295);
UPDATE incidents SET record_key = random() & 4294967295;
