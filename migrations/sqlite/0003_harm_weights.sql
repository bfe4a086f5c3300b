-- diemnong schema, version 3 (SQLite): harm weights a committee sets for a (category, class).
-- Never edit a migration once applied: add a new one. Same schema as
-- migrations/postgres/0003_harm_weights.sql, in SQLite's dialect.
--
-- Only overrides are stored: a (category, severity) with no row weighs its class's default
-- (src/domain/harm.rs), so a change of the documented defaults reaches every database.
CREATE TABLE harm_weights (
    category TEXT NOT NULL REFERENCES categories (code),
    severity TEXT NOT NULL CHECK (severity = 'less_serious' OR severity = 'serious' OR severity = 'very_serious' OR severity = 'especially_serious'),
    -- Days of custody (src/domain/harm.rs MAX_DAYS).
    days     REAL NOT NULL CHECK (days > 0 AND days <= 365250),
    PRIMARY KEY (category, severity)
);
