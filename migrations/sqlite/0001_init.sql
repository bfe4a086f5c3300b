-- diemnong schema, version 1 (SQLite).
-- Never edit a migration once applied: add a new one. The SQLite and PostgreSQL
-- directories hold the same schema in each dialect; store tests run on both.
-- Instants are Unix seconds (UTC) in BIGINT columns so that both backends share SQL.

CREATE TABLE categories (
    code     TEXT PRIMARY KEY,
    label_vi TEXT NOT NULL,
    label_en TEXT NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE model_kinds (
    code     TEXT PRIMARY KEY,
    label_vi TEXT NOT NULL,
    label_en TEXT NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    external_id TEXT UNIQUE,
    occurred_at INTEGER NOT NULL,
    category    TEXT NOT NULL REFERENCES categories (code),
    -- An OR chain, not IN (…): SQLite evaluates a constant IN-list in a CHECK through an
    -- ephemeral index built per row, which halved bulk-import speed.
    severity    TEXT NOT NULL CHECK (severity = 'less_serious' OR severity = 'serious' OR severity = 'very_serious' OR severity = 'especially_serious'),
    solved      BOOLEAN NOT NULL,
    lon         REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
    lat         REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
    -- H3 cell at resolution 15 (an H3 index never sets bit 63, so it fits a signed BIGINT).
    h3_cell     INTEGER NOT NULL,
    address     TEXT,
    ward        TEXT
);

CREATE TABLE cameras (
    id INTEGER PRIMARY KEY,
    external_id  TEXT UNIQUE,
    lon          REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
    lat          REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
    kind         TEXT NOT NULL,
    active       BOOLEAN NOT NULL,
    installed_at INTEGER
);

CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    external_id    TEXT UNIQUE,
    lon            REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
    lat            REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
    kind           TEXT NOT NULL REFERENCES model_kinds (code),
    name           TEXT NOT NULL,
    established_at INTEGER,
    active         BOOLEAN NOT NULL
);

CREATE TABLE areas (
    id INTEGER PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('ward', 'district', 'complex_area')),
    -- RFC 7946 Polygon or MultiPolygon, validated and wound counter-clockwise.
    geometry   TEXT NOT NULL,
    population INTEGER CHECK (population >= 0)
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    -- SHA-256 of the token, hex; the token itself is shown once and never stored.
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

-- One row, bumped by every write transaction that changes data, so a replica or a cache
-- can tell whether what it holds is current.
CREATE TABLE data_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO data_version (id, version) VALUES (1, 0);

INSERT INTO categories (code, label_vi, label_en, position) VALUES
    ('theft', 'Trộm cắp tài sản', 'Theft', 0),
    ('snatching', 'Cướp giật tài sản', 'Snatching', 1),
    ('robbery', 'Cướp tài sản', 'Robbery', 2),
    ('fraud', 'Lừa đảo chiếm đoạt tài sản', 'Fraud', 3),
    ('high_tech', 'Tội phạm sử dụng công nghệ cao', 'High-tech crime', 4),
    ('drugs', 'Tội phạm về ma túy', 'Drugs', 5),
    ('gambling', 'Đánh bạc, tổ chức đánh bạc', 'Gambling', 6),
    ('prostitution', 'Mại dâm', 'Prostitution', 7),
    ('loan_sharking', 'Cho vay lãi nặng', 'Loan sharking', 8),
    ('assault', 'Cố ý gây thương tích', 'Assault', 9),
    ('murder', 'Giết người', 'Murder', 10),
    ('property_damage', 'Hủy hoại tài sản', 'Property damage', 11),
    ('public_disorder', 'Gây rối trật tự công cộng', 'Public disorder', 12),
    ('other', 'Khác', 'Other', 13);

INSERT INTO model_kinds (code, label_vi, label_en, position) VALUES
    ('camera_model', 'Mô hình camera an ninh', 'Security camera model', 0),
    ('worker_boarding_house', 'Khu nhà trọ công nhân tự quản', 'Self-managed worker boarding house', 1),
    ('household_group', 'Tổ liên gia tự quản', 'Self-managed household group', 2),
    ('social_media_group', 'Nhóm tuyên truyền trên mạng xã hội', 'Social-media propaganda group', 3),
    ('reintegration_5_plus_1', 'Mô hình "5+1" giúp người tái hòa nhập cộng đồng', '"5+1" reintegration model', 4),
    ('team_363', 'Tổ 363', '363 team', 5),
    ('safe_street', 'Tuyến đường an ninh, trật tự', 'Safe street', 6),
    ('safe_market', 'Chợ an toàn về an ninh, trật tự', 'Safe market', 7),
    ('security_team', 'Tổ bảo vệ an ninh, trật tự ở cơ sở', 'Grassroots security team', 8),
    ('religious_group', 'Cơ sở tôn giáo tự quản', 'Self-managed religious establishment', 9),
    ('other', 'Mô hình khác', 'Other model', 10);
