-- diemnong schema, version 3 (PostgreSQL): harm weights a committee sets for a
-- (category, class). Never edit a migration once applied: add a new one. Same schema as
-- migrations/sqlite/0003_harm_weights.sql.
--
-- Only overrides are stored: a (category, severity) with no row weighs its class's default
-- (src/domain/harm.rs), so a change of the documented defaults reaches every database.
CREATE TABLE harm_weights (
    category TEXT NOT NULL REFERENCES categories (code),
    severity TEXT NOT NULL CHECK (severity IN ('less_serious', 'serious', 'very_serious', 'especially_serious')),
    -- Days of custody (src/domain/harm.rs MAX_DAYS).
    days     DOUBLE PRECISION NOT NULL CHECK (days > 0 AND days <= 365250),
    PRIMARY KEY (category, severity)
);
