//! The submission pipeline: validation, the identity behind a `player_key` (cached, new ones
//! created in batches by the identity writer), anti-cheat's verdict, and the hand-off to the
//! score writer; the answer comes once the batch committed.

use super::names::text_field;
use super::{Audience, MAX_ABS_VALUE, MAX_METADATA_BYTES, Scores, SubmitScore, SubmittedScore, judge, player_name};
use crate::auth::Principal;
use crate::error::FieldCode;
use crate::error::{ErrorCode, FieldErrors, ServiceError, ServiceResult};
use crate::id::{IdentityId, ScoreEventId};
use crate::model::{Board, BoardType, EventPayload, EventStatus, Identity, IdentityKind, IdentityStatus, ScoreEvent};
use crate::scoring::PlannedEvent;
use crate::time::now;

impl Scores {
    /// Validates a submission, finds or creates its identity, and commits it through the
    /// writer; answers once the event and the entry are durable.
    pub async fn submit(&self, p: &Principal, cmd: SubmitScore) -> ServiceResult<SubmittedScore> {
        let board = self.admin.get_board(p, cmd.board_id).await?;
        self.submit_on(board, cmd, Audience::Admin).await
    }

    /// The submission pipeline once the caller may write to `board` (admin and client alike).
    pub(crate) async fn submit_on(
        &self,
        board: Board,
        cmd: SubmitScore,
        audience: Audience,
    ) -> ServiceResult<SubmittedScore> {
        if board.board_type == BoardType::Ratio {
            return Err(ServiceError::new(
                ErrorCode::RatioBoardReadOnly,
                "a RATIO board is computed from its two COUNTER boards; submit to those",
            ));
        }
        let at = now();
        if !board.is_active || board.starts_at.is_some_and(|s| at < s) || board.ends_at.is_some_and(|e| at > e) {
            return Err(ServiceError::new(ErrorCode::BoardClosed, "the board is inactive, not yet started or ended"));
        }
        let mut errors = FieldErrors::new();
        if !cmd.value.is_finite() || cmd.value.abs() > MAX_ABS_VALUE {
            errors.add("value", FieldCode::OutOfRange);
        }
        if let Some(m) = &cmd.metadata
            && serde_json::to_string(m).map_or(true, |s| s.len() > MAX_METADATA_BYTES)
        {
            errors.add("metadata", FieldCode::TooLarge);
        }
        let name = cmd.player_name.as_deref().map(|n| errors.check("player_name", player_name(n)));
        let value_display = text_field(&mut errors, "value_display", cmd.value_display, 64);
        let timezone = text_field(&mut errors, "timezone", cmd.timezone, 64);
        let country = text_field(&mut errors, "country", cmd.country, 64);
        let city = text_field(&mut errors, "city", cmd.city, 128);
        match (&cmd.identity_id, &cmd.player_key) {
            (Some(_), Some(_)) => errors.add("player_key", FieldCode::ExclusiveWithIdentityId),
            (None, None) => errors.add("identity_id", FieldCode::Required),
            (None, Some(k)) if k.trim().is_empty() || k.len() > 128 || k.chars().any(char::is_control) => {
                errors.add("player_key", FieldCode::InvalidFormat)
            }
            _ => {}
        }
        errors.into_result()?;
        let identity = match (cmd.identity_id, cmd.player_key) {
            (Some(id), _) => self
                .identity_by_id(id)
                .await?
                .filter(|i| i.game_id == board.game_id)
                .ok_or_else(|| ServiceError::field("identity_id", FieldCode::NotFound))?,
            (None, Some(key)) => self.identity_for_key(&board, key.trim(), name.clone().flatten()).await?,
            (None, None) => return Err(ServiceError::field("identity_id", FieldCode::Required)),
        };
        if identity.status == IdentityStatus::Banned {
            return Err(ServiceError::new(ErrorCode::DeviceBanned, "this player is banned"));
        }
        let player_name = match name.flatten().or_else(|| identity.display_name.clone()) {
            Some(n) => n,
            None => return Err(ServiceError::field("player_name", FieldCode::Required)),
        };
        let event = ScoreEvent {
            id: ScoreEventId::generate(),
            account_id: board.account_id,
            game_id: board.game_id,
            board_id: board.id,
            identity_id: identity.id,
            event_payload: EventPayload {
                value: cmd.value,
                value_display,
                player_name: Some(player_name.clone()),
                metadata: cmd.metadata,
            },
            is_test: cmd.is_test.unwrap_or(false),
            timezone,
            country,
            city,
            status: EventStatus::Accepted,
            created_at: at,
        };
        let dependents = if board.board_type == BoardType::Counter {
            let ratios = self.admin.ratio_boards(board.game_id).await?;
            ratios
                .into_iter()
                .filter(|r| {
                    r.ratio_config
                        .as_ref()
                        .is_some_and(|rc| rc.numerator_board_id == board.id || rc.denominator_board_id == board.id)
                })
                .collect()
        } else {
            Vec::new()
        };
        let planned = PlannedEvent { board: board.clone(), event, player_name, dependents, hold: false };
        let game = self.admin.game_by_id(board.game_id).await?;
        let check = game.anti_cheat_enabled.then(|| judge::Check {
            settings: game.anti_cheat.clone(),
            tier_override: identity.trust_tier,
            identity_created_micros: crate::time::to_micros(identity.created_at),
        });
        let verdict = check.map(|c| judge::judge(&*self.counters, &self.engine, &self.stats, &c, &planned));
        let (event, score) = self.write_submission(planned, verdict).await?;
        let view = self.view(&board, score, audience);
        Ok(SubmittedScore { event, score: view })
    }

    async fn identity_by_id(&self, id: IdentityId) -> ServiceResult<Option<Identity>> {
        if let Some(found) = self.identities.by_id.get(&id) {
            return Ok(Some(found));
        }
        let found = self.admin.store().get_identity(id).await?;
        if let Some(i) = &found {
            self.identities.by_id.put(id, i.clone());
        }
        Ok(found)
    }

    async fn identity_for_key(&self, board: &Board, key: &str, name: Option<String>) -> ServiceResult<Identity> {
        let cache_key = (board.game_id, key.to_owned());
        if let Some(found) = self.identities.by_key.get(&cache_key) {
            return Ok(found);
        }
        let identity = self.find_or_create_identity(board, key, name).await?;
        self.identities.by_key.put(cache_key, identity.clone());
        Ok(identity)
    }

    async fn find_or_create_identity(&self, board: &Board, key: &str, name: Option<String>) -> ServiceResult<Identity> {
        let store = self.admin.store();
        if let Some(found) = store.find_identity_by_player_key(board.game_id, key).await? {
            return Ok(found);
        }
        let at = now();
        let identity = Identity {
            id: IdentityId::generate(),
            account_id: board.account_id,
            game_id: board.game_id,
            player_key: Some(key.to_owned()),
            display_name: name,
            kind: IdentityKind::External,
            trust_tier: None,
            status: IdentityStatus::Active,
            created_at: at,
            updated_at: at,
        };
        self.new_identities.submit(identity).await
    }
}
