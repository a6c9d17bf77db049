//! Single-use nonces: issuing one writes nothing (it is HMAC-signed and carries its device and
//! expiry); spending one claims its id through the shared state's [`crate::shared::NonceClaims`]
//! (today: in `spent_nonces`, through the nonce-claim writer), so a nonce is spent once across
//! nodes and restarts; expired ids are purged every minute.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::Mac;
use serde::Serialize;

use super::{ClientGrant, Clients};
use crate::auth::random_bytes;
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::time::{now, to_micros};

/// `GET /v1/client/nonce`
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedNonce {
    /// The nonce.
    pub nonce: String,
    /// The same value (LEADR's SDKs read either key).
    pub nonce_value: String,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
}

const NONCE_PREFIX: &str = "nnc_";
/// Payload of a nonce: device id (16 bytes), expiry in microseconds (8), random id (16).
const NONCE_PAYLOAD: usize = 40;
const NONCE_TAG: usize = 16;

impl Clients {
    pub(super) fn spawn_purge(&self, every: Duration) {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = this.purge_expired_nonces().await {
                    tracing::warn!(error = %e, "purging expired nonces failed; will retry");
                }
            }
        });
    }

    /// Forgets nonces that have expired, here and in the store; returns how many the store
    /// dropped. Runs every minute in the background.
    pub async fn purge_expired_nonces(&self) -> ServiceResult<u64> {
        self.admin.shared().claims.purge(to_micros(now())).await
    }
}

impl Clients {
    /// A fresh nonce for the grant's device.
    pub fn issue_nonce(&self, grant: &ClientGrant) -> IssuedNonce {
        let expires_at = now() + self.config.nonce_ttl;
        let mut payload = Vec::with_capacity(NONCE_PAYLOAD + NONCE_TAG);
        payload.extend_from_slice(&grant.device_id.bits().to_be_bytes());
        payload.extend_from_slice(&to_micros(expires_at).to_be_bytes());
        payload.extend_from_slice(&random_bytes(16));
        let tag = self.nonce_tag(&payload);
        payload.extend_from_slice(&tag);
        let nonce = format!("{NONCE_PREFIX}{}", URL_SAFE_NO_PAD.encode(&payload));
        IssuedNonce { nonce_value: nonce.clone(), nonce, expires_at }
    }

    fn nonce_tag(&self, payload: &[u8]) -> [u8; NONCE_TAG] {
        let mut mac = self.nonce_mac.clone();
        mac.update(payload);
        let full = mac.finalize().into_bytes();
        let mut tag = [0u8; NONCE_TAG];
        tag.copy_from_slice(&full[..NONCE_TAG]);
        tag
    }

    /// Spends the nonce a client mutation carries: 412 with the spec's code unless it was
    /// issued by podium to this device, has not expired and was never spent.
    pub async fn spend_nonce(&self, grant: &ClientGrant, nonce: Option<&str>) -> ServiceResult<()> {
        let fail = |code, detail: &str| Err(ServiceError::new(code, detail));
        let Some(nonce) = nonce.map(str::trim).filter(|n| !n.is_empty()) else {
            return fail(ErrorCode::NonceRequired, "send a nonce from GET /v1/client/nonce in leadr-client-nonce");
        };
        let bytes = nonce
            .strip_prefix(NONCE_PREFIX)
            .filter(|b| b.len() <= 128)
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .filter(|b| b.len() == NONCE_PAYLOAD + NONCE_TAG);
        let Some(bytes) = bytes else {
            return fail(ErrorCode::NonceInvalid, "this nonce was not issued by this server");
        };
        let (payload, tag) = bytes.split_at(NONCE_PAYLOAD);
        let mut mac = self.nonce_mac.clone();
        mac.update(payload);
        if mac.verify_truncated_left(tag).is_err() {
            return fail(ErrorCode::NonceInvalid, "this nonce was not issued by this server");
        }
        let mut device = [0u8; 16];
        device.copy_from_slice(&payload[..16]);
        let mut expires = [0u8; 8];
        expires.copy_from_slice(&payload[16..24]);
        let mut id = [0u8; 16];
        id.copy_from_slice(&payload[24..40]);
        if u128::from_be_bytes(device) != grant.device_id.bits() {
            return fail(ErrorCode::NonceWrongDevice, "this nonce was issued to another device");
        }
        let expires_micros = i64::from_be_bytes(expires);
        if expires_micros <= to_micros(now()) {
            return fail(ErrorCode::NonceExpired, "this nonce has expired; get a new one");
        }
        let fresh = self.admin.shared().claims.claim(id, expires_micros).await?;
        if fresh { Ok(()) } else { fail(ErrorCode::NonceUsed, "this nonce was already used; get a new one") }
    }

    /// Nonces spent in this process and not yet purged (for tests of the purge).
    pub fn spent_nonces_in_memory(&self) -> usize {
        self.admin.shared().claims.remembered()
    }
}
