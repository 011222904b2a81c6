-- sekisho core storage (see sekisho/store/sql.py for the design)
CREATE TABLE IF NOT EXISTS entities (
    entity TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at REAL,
    PRIMARY KEY (entity, id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS unique_keys (
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (entity, key, value),
    FOREIGN KEY (entity, id) REFERENCES entities (entity, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS unique_keys_row ON unique_keys (entity, id);

CREATE TABLE IF NOT EXISTS tags (
    entity TEXT NOT NULL,
    id TEXT NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (entity, id, tag),
    FOREIGN KEY (entity, id) REFERENCES entities (entity, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tags_by_tag ON tags (entity, tag, id);

CREATE TABLE IF NOT EXISTS refs (
    entity TEXT NOT NULL,
    id TEXT NOT NULL,
    field TEXT NOT NULL,
    ref_entity TEXT NOT NULL,
    ref_id TEXT NOT NULL,
    PRIMARY KEY (entity, id, field),
    FOREIGN KEY (entity, id) REFERENCES entities (entity, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS refs_by_target ON refs (ref_entity, ref_id);
CREATE INDEX IF NOT EXISTS refs_listing ON refs (entity, field, ref_id, id);

CREATE TABLE IF NOT EXISTS cluster_events (
    id INTEGER PRIMARY KEY,
    node_id TEXT NOT NULL,
    at REAL NOT NULL,
    nbf REAL,
    expire_at REAL NOT NULL,
    channel TEXT,
    data TEXT
);
CREATE INDEX IF NOT EXISTS cluster_events_expire_at ON cluster_events (expire_at);

CREATE TABLE IF NOT EXISTS config_state (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    version INTEGER NOT NULL
);
INSERT OR IGNORE INTO config_state (singleton, version) VALUES (1, 0);
