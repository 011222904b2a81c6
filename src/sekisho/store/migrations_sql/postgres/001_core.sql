-- sekisho core storage (see sekisho/store/sql.py for the design)
CREATE TABLE IF NOT EXISTS entities (
    entity TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    body JSON NOT NULL,
    created_at DOUBLE PRECISION,
    PRIMARY KEY (entity, id)
);

CREATE TABLE IF NOT EXISTS unique_keys (
    entity TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    value TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (entity, key, value),
    FOREIGN KEY (entity, id) REFERENCES entities (entity, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS unique_keys_row ON unique_keys (entity, id);

CREATE TABLE IF NOT EXISTS tags (
    entity TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    tag TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (entity, id, tag),
    FOREIGN KEY (entity, id) REFERENCES entities (entity, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS tags_by_tag ON tags (entity, tag, id);

CREATE TABLE IF NOT EXISTS refs (
    entity TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    field TEXT COLLATE "C" NOT NULL,
    ref_entity TEXT COLLATE "C" NOT NULL,
    ref_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (entity, id, field),
    FOREIGN KEY (entity, id) REFERENCES entities (entity, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS refs_by_target ON refs (ref_entity, ref_id);
CREATE INDEX IF NOT EXISTS refs_listing ON refs (entity, field, ref_id, id);

CREATE TABLE IF NOT EXISTS cluster_events (
    id BIGINT PRIMARY KEY,
    node_id TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    nbf DOUBLE PRECISION,
    expire_at DOUBLE PRECISION NOT NULL,
    channel TEXT,
    data TEXT
);
CREATE INDEX IF NOT EXISTS cluster_events_expire_at ON cluster_events (expire_at);
CREATE INDEX IF NOT EXISTS cluster_events_channel ON cluster_events (channel, id);

CREATE TABLE IF NOT EXISTS config_state (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    version BIGINT NOT NULL
);
INSERT INTO config_state (singleton, version) VALUES (1, 0) ON CONFLICT DO NOTHING;
