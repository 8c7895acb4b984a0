extension SQLiteStoreDatabase {
    /// Schema versions in order; each runs once, in a transaction, recorded in
    /// `schema_version`. Never edit one that has shipped: add the next. Statements are
    /// separated by `;` (so none may contain one). Times are milliseconds since 1970.
    static let migrations: [String] = [
        """
        CREATE TABLE devices (
            id TEXT PRIMARY KEY,
            customer TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER,
            certificate_serial TEXT NOT NULL
        );
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            device_id TEXT NOT NULL REFERENCES devices(id),
            mode INTEGER NOT NULL,
            created_by TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            token_hash BLOB NOT NULL,
            claimed_at INTEGER,
            ended_at INTEGER,
            end_reason TEXT,
            bytes_to_device INTEGER NOT NULL DEFAULT 0,
            bytes_from_device INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX sessions_by_device ON sessions(device_id, created_at);
        """,
        """
        ALTER TABLE sessions ADD COLUMN take_over INTEGER NOT NULL DEFAULT 0;
        """,
        // 3: customers, registration state and presence of devices, users, API keys, audit log.
        """
        CREATE TABLE customers (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        INSERT INTO customers (id, name, created_at)
            SELECT customer, customer, MIN(created_at) FROM devices GROUP BY customer;
        ALTER TABLE devices ADD COLUMN registered_at INTEGER;
        UPDATE devices SET registered_at = created_at;
        ALTER TABLE devices ADD COLUMN online INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE devices ADD COLUMN last_seen_at INTEGER;
        ALTER TABLE devices ADD COLUMN remote_address TEXT;
        ALTER TABLE devices ADD COLUMN agent_version TEXT;
        ALTER TABLE devices ADD COLUMN relay_node TEXT;
        CREATE INDEX devices_by_customer ON devices(customer);
        CREATE INDEX devices_by_node ON devices(relay_node) WHERE online = 1;
        CREATE TABLE users (
            id TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('admin', 'engineer', 'viewer')),
            created_at INTEGER NOT NULL
        );
        CREATE TABLE user_customers (
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            customer_id TEXT NOT NULL REFERENCES customers(id),
            PRIMARY KEY (user_id, customer_id)
        );
        CREATE INDEX user_customers_by_customer ON user_customers(customer_id);
        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            secret_hash BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER,
            last_used_at INTEGER
        );
        CREATE INDEX api_keys_by_user ON api_keys(user_id);
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at INTEGER NOT NULL,
            event TEXT NOT NULL,
            actor TEXT NOT NULL,
            user_id TEXT,
            device_id TEXT,
            session_id TEXT,
            mode TEXT,
            reason TEXT NOT NULL DEFAULT '',
            source TEXT,
            started_at INTEGER,
            bytes_to_device INTEGER,
            bytes_from_device INTEGER
        );
        CREATE INDEX audit_by_time ON audit_log(at);
        CREATE INDEX audit_by_device ON audit_log(device_id, at);
        CREATE INDEX audit_by_user ON audit_log(user_id, at);
        CREATE INDEX audit_by_actor ON audit_log(actor, at);
        """,
        // 4: a certificate issued for renewal, accepted next to the current one until the
        // agent says it is installed (or first uses it); empty when none is on offer.
        """
        ALTER TABLE devices ADD COLUMN pending_certificate_serial TEXT NOT NULL DEFAULT ''
        """,
        // 5: diagnostic bundles asked of agents, with the archives received.
        """
        CREATE TABLE diagnostics (
            id TEXT PRIMARY KEY,
            device_id TEXT NOT NULL,
            requested_by TEXT NOT NULL,
            requested_at INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('requested', 'received', 'failed')),
            finished_at INTEGER,
            message TEXT NOT NULL DEFAULT '',
            size INTEGER,
            sha256 TEXT,
            content BLOB
        );
        CREATE INDEX diagnostics_by_device ON diagnostics(device_id, requested_at)
        """,
        // 6: relay nodes sharing the store, and a counter per device that each claim of its
        // presence raises (a write carrying an older value is stale and changes nothing).
        """
        CREATE TABLE nodes (
            name TEXT PRIMARY KEY,
            address TEXT NOT NULL,
            instance TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            heartbeat_at INTEGER NOT NULL
        );
        ALTER TABLE devices ADD COLUMN presence_epoch INTEGER NOT NULL DEFAULT 0
        """,
        // 7: the node where a session's client claimed it, so that the node an agent's data
        // connection reaches can forward it there.
        """
        ALTER TABLE sessions ADD COLUMN client_node TEXT
        """,
        // 8: the web console: a user's password (bcrypt, in its own text form) and the signed-in
        // browser sessions, by the SHA-256 of their cookie token so every node knows them.
        """
        ALTER TABLE users ADD COLUMN password_hash TEXT;
        CREATE TABLE console_sessions (
            token_hash BLOB PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            csrf_token TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            last_used_at INTEGER NOT NULL
        );
        CREATE INDEX console_sessions_by_user ON console_sessions(user_id)
        """,
        // 9: the console's pages read these in order a page at a time: the audit log of one
        // event, newest first (without it a rare event scanned the whole log), and every
        // session, newest first (without it the sessions table was sorted for each page).
        """
        CREATE INDEX audit_by_event ON audit_log(event, at, id);
        CREATE INDEX sessions_by_time ON sessions(created_at, id)
        """,
        // 10: the BMS firmware version a device's agent last reported (its live telemetry's
        // `firmwareVersion`), for the console's fleet.
        """
        ALTER TABLE devices ADD COLUMN firmware_version TEXT
        """,
    ]
}
