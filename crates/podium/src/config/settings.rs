//! The one list of podium's settings, by section. Each declaration gives the file key (the
//! field name), its type and built-in default, the one-line `--help` text and, as its doc
//! comment, the explanation of the reference in `docs/CONFIGURATION.md`; the variable is
//! `PODIUM_` and the key in capitals, the flag `--` and the key with dashes. Adding a setting
//! here adds all of them; a test fails until the reference in the docs is regenerated.

use super::LogFormat;

settings! {
    /// where and how the node serves HTTP
    server: ServerSettings {
        /// address and port to serve on (`0.0.0.0:8080` for every interface; port 0 picks a free one)
        listen: String = "127.0.0.1:8080".to_owned(), help: "Address to listen on";
        /// how long shutdown waits for in-flight requests, in seconds
        shutdown_timeout_seconds: u64 = 30, help: "Seconds shutdown waits for in-flight requests";
    }
    /// where the data lives
    store: StoreSettings {
        /// `sqlite://PATH` (relative to the working directory; created if missing) or
        /// `postgres://user:pass@host:port/db`
        database_url: String = "sqlite://podium.db".to_owned(),
            help: "Database URL: sqlite://FILE (created if missing) or postgres://…", url;
        /// on PostgreSQL, how often a node reads the change log for other nodes' writes when no
        /// notification came, in milliseconds (notifications normally wake it at once; this is
        /// the bound when one is lost)
        change_poll_ms: u64 = 500, help: "Milliseconds between reads of the change log on PostgreSQL without a notification";
        /// on PostgreSQL, whether nodes carry their committed changes to each other through the
        /// change log (`false` only for a deployment of exactly one node: it saves a short
        /// transaction per write, and a second node would answer from stale copies)
        change_log: bool = true, help: "On PostgreSQL, carry changes between nodes through the change log (false: one node only)";
        /// a Redis server (`redis://[:password@]host[:port][/db]`) whose pub/sub wakes the other
        /// nodes when one logs a change, instead of PostgreSQL's `NOTIFY` (which every committing
        /// write queues behind). PostgreSQL stays the truth: with Redis down the nodes keep serving
        /// and follow each other every `change_poll_ms` until it is back. Needs PostgreSQL
        redis_url: Option<String> = None,
            help: "Redis URL (redis://…) whose pub/sub wakes the other nodes on PostgreSQL", secret;
        /// the prefix of podium's Redis channel (`<prefix>changes`), so that several deployments
        /// can share one Redis without waking each other
        redis_prefix: String = "podium:".to_owned(), help: "Prefix of podium's Redis channel, to share one Redis between deployments";
    }
    /// what the node writes to stderr
    log: LogSettings {
        /// a `tracing` filter: `debug`, `warn`, `podium=debug,info`, …
        log_level: String = "info".to_owned(), help: "Log filter, e.g. info, debug, podium=debug,info";
        /// `text` or `json` (one object per line, to stderr)
        log_format: LogFormat = LogFormat::Text, help: "Log format: text or json";
    }
    /// the superadmin and API keys
    admin: AdminSettings {
        /// the exact key the first superadmin gets (≥ 16 characters); without it a key is
        /// generated and printed once
        bootstrap_api_key: Option<String> = None,
            help: "Superadmin key to create on first start instead of a generated one (≥ 16 characters)", secret;
        /// how often API keys' `last_used_at` is written, in seconds (it is shown at once either way)
        key_use_flush_seconds: u64 = 60, help: "Seconds between writes of API keys' last_used_at";
    }
    /// what game clients meet: token lifetimes, their addresses and geography
    clients: ClientsSettings {
        /// lifetime of a client access token, in seconds
        access_token_ttl_seconds: u64 = 3600, help: "Seconds a client access token lives";
        /// lifetime of a client refresh token, in seconds (30 days; each refresh starts a new one)
        refresh_token_ttl_seconds: u64 = 30 * 24 * 3600, help: "Seconds a client refresh token lives";
        /// comma-separated addresses or CIDR blocks (`10.0.0.0/8,::1`) whose `X-Forwarded-For` is
        /// believed; the client address is then the right-most forwarded address that is not
        /// itself a trusted proxy. From any other peer the header is ignored
        trusted_proxies: String = String::new(),
            help: "Comma-separated proxies (addresses or CIDR blocks) whose X-Forwarded-For is believed";
        /// a MaxMind City (or GeoLite2-City) `.mmdb` file; client submissions get `timezone`,
        /// `country` (ISO code) and `city` (English name) from the client address, shown only in
        /// admin views. Absent: those fields stay null, and start-up logs it once
        geoip_db: Option<String> = None, help: "MaxMind City database for client geography";
    }
    /// the community site's members
    community: CommunitySettings {
        /// lifetime of a member token from `POST /v1/community/login`, in seconds (7 days)
        member_token_ttl_seconds: u64 = 7 * 24 * 3600, help: "Seconds a community member token lives";
    }
    /// what one request or one address may ask for
    limits: LimitSettings {
        /// largest request body in bytes; larger is 413
        body_limit_bytes: usize = podium_api::DEFAULT_BODY_LIMIT, help: "Largest request body in bytes";
        /// client session starts per client address per minute (bursts up to a minute's worth);
        /// `0` disables the limit
        session_starts_per_minute: u32 = podium_api::edge::EdgeConfig::default().session_starts_per_minute,
            help: "Client session starts per minute per address, 0 for unlimited";
        /// nonce requests per client address per minute (bursts of up to 10 s worth, at least
        /// 20); `0` disables
        nonces_per_minute: u32 = podium_api::edge::EdgeConfig::default().nonces_per_minute,
            help: "Client nonce requests per minute per address, 0 for unlimited";
    }
}
