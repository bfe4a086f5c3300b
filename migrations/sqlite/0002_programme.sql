-- diemnong schema, version 2 (SQLite): the conversion programme of complex areas.
-- Never edit a migration once applied: add a new one. Same schema as
-- migrations/postgres/0002_programme.sql, in SQLite's dialect.

-- One designation of one area for one year. Its reasons, categories, unit and targets may
-- be edited (each edit is recorded in programme_events with the values before and after);
-- what identifies it never changes, and it is never deleted.
CREATE TABLE designations (
    id INTEGER PRIMARY KEY,
    area_code  TEXT NOT NULL REFERENCES areas (code),
    year       INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    -- JSON arrays of strings: free-text reasons, category codes of concern.
    reasons    TEXT NOT NULL,
    categories TEXT NOT NULL,
    unit       TEXT NOT NULL,
    target_case_change_pct   REAL NOT NULL CHECK (target_case_change_pct BETWEEN -100 AND 100),
    target_clearance         REAL NOT NULL CHECK (target_clearance BETWEEN 0 AND 1),
    target_clearance_serious REAL NOT NULL CHECK (target_clearance_serious BETWEEN 0 AND 1),
    created_by       TEXT NOT NULL,
    created_by_token INTEGER,
    created_at       INTEGER NOT NULL,
    UNIQUE (area_code, year)
);

-- The append-only history of every designation: the designation itself, each status
-- change and each edit. The status of a designation is the `to_status` of its latest
-- event. `seq` numbers the events of one designation; UNIQUE (designation_id, seq) makes
-- two writers that read the same status collide instead of both appending.
CREATE TABLE programme_events (
    id INTEGER PRIMARY KEY,
    designation_id INTEGER NOT NULL REFERENCES designations (id),
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    kind        TEXT NOT NULL CHECK (kind IN ('designated', 'transition', 'edited')),
    from_status TEXT CHECK (from_status IN ('designated', 'in_progress', 'converted', 'not_converted')),
    to_status   TEXT NOT NULL CHECK (to_status IN ('designated', 'in_progress', 'converted', 'not_converted')),
    note        TEXT,
    -- JSON array of http(s) links.
    evidence    TEXT NOT NULL DEFAULT '[]',
    -- Edits: JSON object {field: {"from": …, "to": …}}.
    changes     TEXT,
    actor       TEXT NOT NULL,
    actor_token INTEGER,
    at          INTEGER NOT NULL,
    UNIQUE (designation_id, seq)
);

-- Append-only in the database itself, whatever client writes to it.
CREATE TRIGGER programme_events_no_update BEFORE UPDATE ON programme_events
BEGIN
    SELECT RAISE(ABORT, 'programme_events is append-only: UPDATE refused');
END;

CREATE TRIGGER programme_events_no_delete BEFORE DELETE ON programme_events
BEGIN
    SELECT RAISE(ABORT, 'programme_events is append-only: DELETE refused');
END;

CREATE TRIGGER designations_no_delete BEFORE DELETE ON designations
BEGIN
    SELECT RAISE(ABORT, 'designations are never deleted');
END;

CREATE TRIGGER designations_identity_fixed
BEFORE UPDATE OF id, area_code, year, created_by, created_by_token, created_at ON designations
WHEN NEW.id IS NOT OLD.id OR NEW.area_code IS NOT OLD.area_code OR NEW.year IS NOT OLD.year
  OR NEW.created_by IS NOT OLD.created_by OR NEW.created_by_token IS NOT OLD.created_by_token
  OR NEW.created_at IS NOT OLD.created_at
BEGIN
    SELECT RAISE(ABORT, 'a designation''s area, year and creation are fixed');
END;

CREATE INDEX designations_year ON designations (year);
