-- diemnong schema, version 4 (PostgreSQL): record keys of the cell-key method (issue 18,
-- docs/plans/issue-18.md). Never edit a migration once applied: add a new one. Same schema as
-- migrations/sqlite/0004_record_keys.sql.
--
-- Each incident gets a random key 0 … 2^32 − 1 when it is first stored; it is never
-- published. A published cell's key is the wrapping sum of its incidents' keys, so the same
-- incidents always get the same perturbation. Existing rows are given random keys here.
ALTER TABLE incidents ADD COLUMN record_key BIGINT;
UPDATE incidents SET record_key = floor(random() * 4294967296)::bigint;
ALTER TABLE incidents ALTER COLUMN record_key SET NOT NULL,
    ADD CONSTRAINT incidents_record_key CHECK (record_key BETWEEN 0 AND 4294967295);
