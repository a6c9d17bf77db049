//! Game clients (game-boards spec §3): device sessions with rotating tokens, single-use nonces,
//! and the authentication of every client call.
//!
//! Tokens are random prefixed secrets (`pdc_…` access, `pdr_…` refresh) stored as SHA-256
//! hashes, not signed tokens: a session row is the one source of truth, so revoking it,
//! banning its player or refreshing it kills the old tokens at once, with nothing to keep in a
//! deny-list. The hot path still avoids the store: verified grants are cached by token hash
//! (bounded by [`super::CACHE_TTL`] for changes made through another node) and this node drops
//! them the moment it revokes, bans or rotates.
//!
//! Nonces are the opposite trade: issuing one writes nothing (it is HMAC-signed and carries
//! its device and expiry), and spending one inserts its id into `spent_nonces` — in batches,
//! one transaction for many concurrent submissions — so it can be spent once across nodes and
//! restarts. Spent ids are purged once expired.

mod nonces;
mod play;
mod players;
mod sessions;

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, KeyInit};
use sha2::{Digest, Sha256};

use crate::cache::TtlCache;
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::service::{Admin, Scores};
use crate::shared::{Change, Invalidation, Subscriber};

pub use nonces::IssuedNonce;
pub use play::{ClientSubmit, NameCheck, NameConflict};
pub use players::{
    DEVICE_SORTABLE, DeviceListQuery, DeviceView, IdentityListQuery, SessionListQuery, UpdateDevice, UpdateIdentity,
    UpdateSession,
};
pub use sessions::{ClientGrant, SessionTokens, StartSession};

/// Lifetimes of client credentials.
#[derive(Debug, Clone, Copy)]
pub struct ClientConfig {
    /// Access tokens (default 1 h).
    pub access_ttl: Duration,
    /// Refresh tokens (default 30 days).
    pub refresh_ttl: Duration,
    /// Nonces (60 s, as the spec fixes).
    pub nonce_ttl: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            access_ttl: Duration::from_secs(3600),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            nonce_ttl: Duration::from_secs(60),
        }
    }
}

/// The client service; cheap to clone.
#[derive(Clone)]
pub struct Clients {
    pub(crate) admin: Admin,
    pub(crate) scores: Scores,
    config: ClientConfig,
    nonce_mac: Hmac<Sha256>,
    /// Verified grants by access-token hash.
    grants: Arc<Grants>,
}

/// Verified grants by access-token hash; they follow the change feed's revocations.
struct Grants(TtlCache<String, ClientGrant>);

impl Subscriber for Grants {
    fn apply(&self, change: &Change) {
        match change {
            Change::Invalidate(Invalidation::AccessToken { hash }) => self.0.remove(hash),
            Change::Invalidate(Invalidation::ClientGrants { session, identity }) => {
                self.0.retain(|_, g| Some(g.session_id) != *session && Some(g.identity_id) != *identity);
            }
            _ => {}
        }
    }
}

impl Clients {
    /// Starts the service and the purge of expired nonces; its grant cache follows the change
    /// feed and nonces are claimed through the shared state.
    pub async fn start(admin: Admin, scores: Scores, config: ClientConfig) -> ServiceResult<Self> {
        let secret = admin.store().cursor_secret().await?;
        let key = Sha256::new().chain_update(b"podium nonce key\0").chain_update(&secret).finalize();
        let nonce_mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key)
            .map_err(|_| ServiceError::new(ErrorCode::Internal, "the nonce key is unusable"))?;
        let grants = Arc::new(Grants(TtlCache::new(super::CACHE_TTL, 1_000_000)));
        admin.shared().changes.subscribe(grants.clone());
        let clients = Self { admin, scores, config, nonce_mac, grants };
        clients.spawn_purge(Duration::from_secs(60));
        Ok(clients)
    }

    /// The lifetimes in force.
    pub fn config(&self) -> ClientConfig {
        self.config
    }
}
