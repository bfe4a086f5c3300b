-- diemnong schema, version 2 (PostgreSQL): the conversion programme of complex areas.
-- Never edit a migration once applied: add a new one. Same schema as
-- migrations/sqlite/0002_programme.sql, in PostgreSQL's dialect.

-- One designation of one area for one year. Its reasons, categories, unit and targets may
-- be edited (each edit is recorded in programme_events with the values before and after);
-- what identifies it never changes, and it is never deleted.
CREATE TABLE designations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    area_code  TEXT NOT NULL REFERENCES areas (code),
    year       BIGINT NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    -- JSON arrays of strings: free-text reasons, category codes of concern.
    reasons    TEXT NOT NULL,
    categories TEXT NOT NULL,
    unit       TEXT NOT NULL,
    target_case_change_pct   DOUBLE PRECISION NOT NULL CHECK (target_case_change_pct BETWEEN -100 AND 100),
    target_clearance         DOUBLE PRECISION NOT NULL CHECK (target_clearance BETWEEN 0 AND 1),
    target_clearance_serious DOUBLE PRECISION NOT NULL CHECK (target_clearance_serious BETWEEN 0 AND 1),
    created_by       TEXT NOT NULL,
    created_by_token BIGINT,
    created_at       BIGINT NOT NULL,
    UNIQUE (area_code, year)
);

-- The append-only history of every designation: the designation itself, each status
-- change and each edit. The status of a designation is the `to_status` of its latest
-- event. `seq` numbers the events of one designation; UNIQUE (designation_id, seq) makes
-- two writers that read the same status collide instead of both appending.
CREATE TABLE programme_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    designation_id BIGINT NOT NULL REFERENCES designations (id),
    seq         BIGINT NOT NULL CHECK (seq >= 1),
    kind        TEXT NOT NULL CHECK (kind IN ('designated', 'transition', 'edited')),
    from_status TEXT CHECK (from_status IN ('designated', 'in_progress', 'converted', 'not_converted')),
    to_status   TEXT NOT NULL CHECK (to_status IN ('designated', 'in_progress', 'converted', 'not_converted')),
    note        TEXT,
    -- JSON array of http(s) links.
    evidence    TEXT NOT NULL DEFAULT '[]',
    -- Edits: JSON object {field: {"from": …, "to": …}}.
    changes     TEXT,
    actor       TEXT NOT NULL,
    actor_token BIGINT,
    at          BIGINT NOT NULL,
    UNIQUE (designation_id, seq)
);

-- Append-only in the database itself, whatever client writes to it. Row triggers refuse
-- UPDATE and DELETE; a statement trigger refuses TRUNCATE, which row triggers do not see.
CREATE FUNCTION diemnong_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER programme_events_append_only BEFORE UPDATE OR DELETE ON programme_events
    FOR EACH ROW EXECUTE FUNCTION diemnong_refuse_change();
CREATE TRIGGER programme_events_no_truncate BEFORE TRUNCATE ON programme_events
    FOR EACH STATEMENT EXECUTE FUNCTION diemnong_refuse_change();
CREATE TRIGGER designations_no_delete BEFORE DELETE ON designations
    FOR EACH ROW EXECUTE FUNCTION diemnong_refuse_change();
CREATE TRIGGER designations_no_truncate BEFORE TRUNCATE ON designations
    FOR EACH STATEMENT EXECUTE FUNCTION diemnong_refuse_change();

CREATE FUNCTION diemnong_designation_identity_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id OR NEW.area_code IS DISTINCT FROM OLD.area_code
       OR NEW.year IS DISTINCT FROM OLD.year OR NEW.created_by IS DISTINCT FROM OLD.created_by
       OR NEW.created_by_token IS DISTINCT FROM OLD.created_by_token
       OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'a designation''s area, year and creation are fixed'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER designations_identity_fixed BEFORE UPDATE ON designations
    FOR EACH ROW EXECUTE FUNCTION diemnong_designation_identity_fixed();

CREATE INDEX designations_year ON designations (year);
