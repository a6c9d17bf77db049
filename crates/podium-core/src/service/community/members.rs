//! Members: registration, login (with per-member and per-address failure limits through the
//! shared state), tokens, `me`, public profiles, account deletion, and the owner appointing
//! and removing site admins.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Community, MemberPrincipal};
use crate::auth::{Principal, generate_secret, hash_secret};
use crate::cache::TtlCache;
use crate::error::{ErrorCode, FieldCode, FieldErrors, ServiceError, ServiceResult, StoreError};
use crate::id::MemberId;
use crate::model::community::{Member, MemberName, Password};
use crate::model::{Email, Text};
use crate::service::CACHE_TTL;
use crate::shared::{Change, Failures, Invalidation, Subscriber};
use crate::store::MemberToken;
use crate::time::now;

/// The prefix of member tokens.
pub const TOKEN_PREFIX: &str = "pcm_";

/// `POST /v1/community/register`
#[derive(Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Register {
    /// 2–25 characters: letters and digits, with single `_`, `-` or `'` between them.
    #[serde(default)]
    pub name: Option<String>,
    /// The e-mail address (never shown to others).
    #[serde(default)]
    pub email: Option<String>,
    /// 8–80 characters with a lowercase letter, an uppercase letter and a digit.
    #[serde(default)]
    pub password: Option<String>,
    /// The same password again.
    #[serde(default)]
    pub password_confirmation: Option<String>,
}

impl std::fmt::Debug for Register {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Register")
            .field("name", &self.name)
            .field("email", &self.email)
            .field("password", &"***")
            .field("password_confirmation", &"***")
            .finish()
    }
}

/// `POST /v1/community/login`
#[derive(Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// The member's name (any casing) or e-mail address.
    #[serde(default)]
    pub name_or_email: Option<String>,
    /// The password.
    #[serde(default)]
    pub password: Option<String>,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login").field("name_or_email", &self.name_or_email).field("password", &"***").finish()
    }
}

/// `PATCH /v1/community/me`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    /// What the member says about themselves (up to 1 000 characters; empty clears it).
    #[serde(default)]
    pub about: Option<String>,
}

/// A member as anyone sees them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberView {
    /// `mbr_…`
    pub id: MemberId,
    /// The name, with its casing.
    pub name: MemberName,
    /// What they say about themselves.
    pub about: String,
    /// A site admin.
    pub admin: bool,
    /// When they registered.
    pub created_at: DateTime<Utc>,
}

/// A member as they see themselves (`GET /v1/community/me`): the public view and the e-mail.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MeView {
    /// `mbr_…`
    pub id: MemberId,
    /// The name, with its casing.
    pub name: MemberName,
    /// The e-mail address.
    pub email: String,
    /// What they say about themselves.
    pub about: String,
    /// A site admin.
    pub admin: bool,
    /// When they registered.
    pub created_at: DateTime<Utc>,
}

/// `POST /v1/community/login`'s answer.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct MemberTokens {
    /// The bearer token for `authorization: Bearer` (`pcm_…`).
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Seconds until it expires.
    pub expires_in: u64,
}

impl std::fmt::Debug for MemberTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberTokens").field("access_token", &"***").field("expires_in", &self.expires_in).finish()
    }
}

impl From<&Member> for MemberView {
    fn from(m: &Member) -> Self {
        Self {
            id: m.id,
            name: m.name.clone(),
            about: m.about.as_str().to_owned(),
            admin: m.admin,
            created_at: m.created_at,
        }
    }
}

impl From<&Member> for MeView {
    fn from(m: &Member) -> Self {
        Self {
            id: m.id,
            name: m.name.clone(),
            email: m.email.as_str().to_owned(),
            about: m.about.as_str().to_owned(),
            admin: m.admin,
            created_at: m.created_at,
        }
    }
}

fn name_taken() -> ServiceError {
    ServiceError::new(ErrorCode::NameTaken, "another member has this name (names are compared ignoring case)")
}

fn wrong_credentials() -> ServiceError {
    ServiceError::unauthorized("the name, e-mail address or password is wrong")
}

impl Community {
    /// Registers a member. A name taken (ignoring case) is 409 `name_taken`; an e-mail address
    /// already registered answers the same 201 shape with an id that names nobody and stores
    /// nothing, so that addresses cannot be discovered (community spec, Decisions).
    pub async fn register(&self, cmd: Register) -> ServiceResult<MemberView> {
        let mut errors = FieldErrors::new();
        let name = errors.parse_required("name", cmd.name.as_deref(), MemberName::parse);
        let email = errors.parse_required("email", cmd.email.as_deref(), Email::parse);
        let password = errors.parse_required("password", cmd.password.as_deref(), Password::parse);
        match (cmd.password.as_deref(), cmd.password_confirmation.as_deref()) {
            (_, None) => errors.add("password_confirmation", FieldCode::Required),
            (Some(p), Some(c)) if p != c => errors.add("password_confirmation", FieldCode::ConfirmationMismatch),
            _ => {}
        }
        errors.into_result()?;
        let (Some(name), Some(email), Some(password)) = (name, email, password) else {
            return Err(ServiceError::new(ErrorCode::Internal, "validated fields went missing"));
        };
        let store = self.admin.store();
        if store.member_by_name(&name.key()).await?.is_some() {
            return Err(name_taken());
        }
        let at = now();
        let member = Member {
            id: MemberId::generate(),
            name,
            email,
            about: Text::from_trusted(String::new()),
            admin: false,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        // Hashed whether or not the address is taken: both answers take the same time.
        let hash = self.passwords.hash(password).await?;
        if store.member_login(member.email.as_str()).await?.is_some() {
            return Ok(MemberView::from(&member));
        }
        match store.insert_member(&member, &hash).await {
            Ok(()) => Ok(MemberView::from(&member)),
            Err(StoreError::Conflict { constraint }) if constraint == "email" => Ok(MemberView::from(&member)),
            Err(StoreError::Conflict { .. }) => Err(name_taken()),
            Err(e) => Err(e.into()),
        }
    }

    /// Logs a member in by name (any casing) or e-mail address: a fresh token. Wrong
    /// credentials are 401 without saying which part; a member who failed 10 times, or an
    /// address that failed 30 times, in the last 15 minutes is refused with 429 and the wait.
    pub async fn login(&self, cmd: Login, address: Option<std::net::IpAddr>) -> ServiceResult<MemberTokens> {
        let mut errors = FieldErrors::new();
        if cmd.name_or_email.as_deref().is_none_or(|n| n.trim().is_empty()) {
            errors.add("name_or_email", FieldCode::Required);
        }
        if cmd.password.as_deref().is_none_or(str::is_empty) {
            errors.add("password", FieldCode::Required);
        }
        errors.into_result()?;
        let who = cmd.name_or_email.unwrap_or_default().trim().to_lowercase();
        let password = cmd.password.unwrap_or_default();
        if who.chars().count() > 254 || password.chars().count() > 1000 || who.chars().any(char::is_control) {
            return Err(wrong_credentials());
        }
        let rates = &self.admin.shared().rates;
        // Every attempt is counted as a failure before the password is checked (one step with
        // the limit, so a burst of parallel guesses is counted guess by guess) and forgiven
        // when it succeeds. IPv6 addresses count per /64, what one client usually holds.
        let address_key = address.map(failure_key);
        if let Some(key) = &address_key {
            rates.attempt(Failures::LoginByAddress, key).map_err(limited)?;
        }
        let forgive_address = || {
            if let Some(key) = &address_key {
                rates.forgive(Failures::LoginByAddress, key);
            }
        };
        // A name is matched by its key (final sigma folded), an address as stored.
        let folded = who.replace('ς', "σ");
        let mut found = self.admin.store().member_login(&folded).await;
        if matches!(found, Ok(None)) && folded != who {
            found = self.admin.store().member_login(&who).await;
        }
        let found = match found {
            Ok(found) => found,
            Err(e) => {
                forgive_address();
                return Err(e.into());
            }
        };
        let member_key = found.as_ref().map(|f| f.member.id.to_string());
        if let Some(key) = &member_key
            && let Err(wait) = rates.attempt(Failures::LoginByMember, key)
        {
            forgive_address();
            return Err(limited(wait));
        }
        let hash = found.as_ref().map(|f| f.password_hash.clone());
        let ok = match self.passwords.verify(password, hash).await {
            Ok(ok) => ok,
            Err(e) => {
                forgive_address();
                if let Some(key) = &member_key {
                    rates.forgive(Failures::LoginByMember, key);
                }
                return Err(e);
            }
        };
        let Some(found) = found.filter(|_| ok) else {
            return Err(wrong_credentials());
        };
        forgive_address();
        if let Some(key) = &member_key {
            rates.forgive(Failures::LoginByMember, key);
        }
        // Only once the password is right: a banned member learns it, a guesser learns nothing.
        if self.admin.store().active_bans(found.member.id).await?.iter().any(|b| b.leaderboard_id.is_none()) {
            return Err(ServiceError::new(ErrorCode::MemberBanned, "this account is banned from the site"));
        }
        let token = generate_secret(TOKEN_PREFIX);
        let at = now();
        let ttl = chrono::Duration::from_std(self.config.token_ttl).unwrap_or(chrono::Duration::days(7));
        self.admin
            .store()
            .insert_member_token(&MemberToken {
                hash: hash_secret(&token),
                member_id: found.member.id,
                created_at: at,
                expires_at: at + ttl,
            })
            .await?;
        Ok(MemberTokens { access_token: token, token_type: "bearer", expires_in: self.config.token_ttl.as_secs() })
    }

    /// The member behind a live token (401 otherwise), read afresh: roles, deletions and
    /// logouts apply at once.
    pub async fn authenticate(&self, token: &str) -> ServiceResult<MemberPrincipal> {
        let dead = || ServiceError::unauthorized("the member token is unknown, expired or revoked");
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
            return Err(dead());
        }
        let token_hash = hash_secret(token);
        let at = now();
        if let Some(member) = self.tokens.get(&token_hash, at) {
            return Ok(MemberPrincipal { member, token_hash });
        }
        let generation = self.tokens.generation();
        let (member, expires_at) = self.admin.store().member_by_token(&token_hash, at).await?.ok_or_else(dead)?;
        self.tokens.put(token_hash.clone(), member.clone(), expires_at, generation);
        Ok(MemberPrincipal { member, token_hash })
    }

    /// Tells every node that `member` changed: their cached tokens of it are forgotten.
    pub(super) fn member_changed(&self, member: MemberId) {
        self.admin.publish(Change::Invalidate(Invalidation::Member { id: member }));
    }

    /// Ends the token used (logout).
    pub async fn logout(&self, p: &MemberPrincipal) -> ServiceResult<()> {
        self.admin.store().delete_member_token(&p.token_hash).await?;
        self.member_changed(p.member.id);
        Ok(())
    }

    /// The caller, with their e-mail address.
    pub fn me(&self, p: &MemberPrincipal) -> MeView {
        MeView::from(&p.member)
    }

    /// Changes the caller's `about`.
    pub async fn update_me(&self, p: &MemberPrincipal, cmd: UpdateMe) -> ServiceResult<MeView> {
        let mut member = p.member.clone();
        if let Some(about) = cmd.about.as_deref() {
            member.about = Text::parse(about, true).map_err(|code| ServiceError::field("about", code))?;
        }
        member.updated_at = now();
        self.admin.store().set_member_about(member.id, member.about.as_str(), member.updated_at).await?;
        self.member_changed(member.id);
        // The role as it stands now, not as it stood when the token was checked.
        if let Some(current) = self.admin.store().get_member(member.id).await? {
            member.admin = current.admin;
        }
        Ok(MeView::from(&member))
    }

    /// Deletes the caller's account (soft): every token of it dies with it, and its name and
    /// e-mail address become free.
    pub async fn delete_me(&self, p: &MemberPrincipal) -> ServiceResult<()> {
        let runs = self.admin.store().delete_member(p.member.id, now()).await?;
        self.member_changed(p.member.id);
        self.publish_run_ids(&runs).await
    }

    /// A member's public profile.
    pub async fn get_member(&self, id: MemberId) -> ServiceResult<MemberView> {
        let m = self.admin.store().get_member(id).await?.ok_or_else(|| ServiceError::not_found("member"))?;
        Ok(MemberView::from(&m))
    }

    /// A member's public profile by name (any casing).
    pub async fn member_by_name(&self, name: &str) -> ServiceResult<MemberView> {
        let Ok(name) = MemberName::parse(name) else { return Err(ServiceError::not_found("member")) };
        let m =
            self.admin.store().member_by_name(&name.key()).await?.ok_or_else(|| ServiceError::not_found("member"))?;
        Ok(MemberView::from(&m))
    }

    /// Makes a member a site admin, or not (the owner only: the superadmin API key).
    pub async fn set_admin(&self, owner: &Principal, id: MemberId, admin: bool) -> ServiceResult<MemberView> {
        if !owner.super_admin {
            return Err(ServiceError::forbidden(
                "only the owner (the superadmin key) appoints and removes site admins",
            ));
        }
        let mut member = self.admin.store().get_member(id).await?.ok_or_else(|| ServiceError::not_found("member"))?;
        member.admin = admin;
        member.updated_at = now();
        self.admin.store().set_member_admin(id, admin, member.updated_at).await?;
        self.member_changed(id);
        Ok(MemberView::from(&member))
    }
}

/// Members behind recently used tokens, by token hash: an entry lives for
/// [`CACHE_TTL`] (how long a change made through another node may go unseen here) and never
/// past its token's expiry, and every [`Invalidation::Member`] forgets that member's entries.
/// A read that raced with an invalidation is not cached (the generation moved on).
pub(super) struct TokenCache {
    entries: TtlCache<String, (Member, DateTime<Utc>)>,
    generation: AtomicU64,
}

impl Default for TokenCache {
    fn default() -> Self {
        Self { entries: TtlCache::new(CACHE_TTL, 1_000_000), generation: AtomicU64::new(0) }
    }
}

impl TokenCache {
    /// The member behind a cached token that is still live at `at`.
    fn get(&self, hash: &str, at: DateTime<Utc>) -> Option<Member> {
        self.entries.get(&hash.to_owned()).filter(|(_, expires_at)| *expires_at > at).map(|(m, _)| m)
    }

    /// The invalidations seen so far (read before the store, given back to [`Self::put`]).
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches a token read from the store, unless an invalidation came after `generation`.
    fn put(&self, hash: String, member: Member, expires_at: DateTime<Utc>, generation: u64) {
        self.entries.put(hash, (member, expires_at));
        if self.generation() != generation {
            self.entries.clear();
        }
    }
}

impl Subscriber for TokenCache {
    fn apply(&self, change: &Change) {
        if let Change::Invalidate(Invalidation::Member { id }) = change {
            self.generation.fetch_add(1, Ordering::AcqRel);
            self.entries.retain(|_, (m, _)| m.id != *id);
        }
    }
}

/// The failure-window key of an address: IPv4 as it is, IPv6 by its /64.
fn failure_key(address: std::net::IpAddr) -> String {
    match crate::shared::canonical_ip(address) {
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        v4 => v4.to_string(),
    }
}

/// 429 `rate_limited` with the wait.
fn limited(wait: std::time::Duration) -> ServiceError {
    ServiceError::new(ErrorCode::RateLimited, "too many failed logins; retry later").retry_after(wait)
}

#[cfg(test)]
mod token_cache_tests {
    use super::*;
    use crate::model::community::Member;

    fn member(id: MemberId) -> Member {
        Member {
            id,
            name: MemberName::parse("Ada").unwrap(),
            email: Email::parse("ada@example.test").unwrap(),
            about: Text::parse("", true).unwrap(),
            admin: false,
            created_at: now(),
            updated_at: now(),
            deleted_at: None,
        }
    }

    #[test]
    fn a_read_that_raced_with_an_invalidation_is_not_cached() {
        let cache = TokenCache::default();
        let ada = MemberId::generate();
        let expires = now() + chrono::Duration::days(1);
        let before = cache.generation();
        cache.apply(&Change::Invalidate(Invalidation::Member { id: ada }));
        cache.put("h".to_owned(), member(ada), expires, before);
        assert!(cache.get("h", now()).is_none());
        cache.put("h".to_owned(), member(ada), expires, cache.generation());
        assert!(cache.get("h", now()).is_some());
    }

    #[test]
    fn an_entry_never_outlives_its_token_and_an_invalidation_forgets_only_its_member() {
        let cache = TokenCache::default();
        let (ada, bob) = (MemberId::generate(), MemberId::generate());
        let soon = now() + chrono::Duration::seconds(1);
        cache.put("a".to_owned(), member(ada), soon, cache.generation());
        cache.put("b".to_owned(), member(bob), soon, cache.generation());
        assert!(cache.get("a", soon).is_none(), "expired at its token's expiry");
        cache.apply(&Change::Invalidate(Invalidation::Member { id: ada }));
        assert!(cache.get("a", now()).is_none());
        assert!(cache.get("b", now()).is_some());
    }
}
