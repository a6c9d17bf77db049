//! Anti-cheat flags and submission metadata for admins (game-boards spec §5): lists with the
//! spec's filters and single reads, scoped to the caller's account.

use crate::anticheat::FlagType;
use crate::auth::Principal;
use crate::error::{ServiceError, ServiceResult};
use crate::id::{AccountId, BoardId, FlagId, GameId, IdentityId, SubmissionMetaId};
use crate::model::{Confidence, FlagStatus, ScoreFlag, SubmissionMeta};
use crate::page::{ListParams, Page, PageRequest, SortValue, Sortable};
use crate::store::{FlagFilter, SubmissionMetaFilter};
use crate::time::to_micros;

use super::Scores;

/// Filters of `GET /v1/score-flags`.
#[derive(Debug, Clone, Default)]
pub struct FlagListQuery {
    /// Required for a superadmin.
    pub account_id: Option<AccountId>,
    /// Only this board's.
    pub board_id: Option<BoardId>,
    /// Only this game's.
    pub game_id: Option<GameId>,
    /// Only this player's.
    pub identity_id: Option<IdentityId>,
    /// Only with this status.
    pub status: Option<FlagStatus>,
    /// Only of this detection.
    pub flag_type: Option<FlagType>,
}

/// Filters of `GET /v1/score-submission-metadata`.
#[derive(Debug, Clone, Default)]
pub struct SubmissionMetaQuery {
    /// Required for a superadmin.
    pub account_id: Option<AccountId>,
    /// Only this board's.
    pub board_id: Option<BoardId>,
    /// Only this player's.
    pub identity_id: Option<IdentityId>,
}

/// Fields `GET /v1/score-flags` sorts by (besides `id`). Enums sort by their text, but
/// `confidence` by meaning (`LOW` < `MEDIUM` < `HIGH`); a flag without an event sorts as an
/// empty `score_event_id` (the store's `flag_sort_column` agrees).
pub const FLAG_SORTABLE: &[&str] = &["score_event_id", "flag_type", "confidence", "status", "created_at", "updated_at"];

/// Fields `GET /v1/score-submission-metadata` sorts by (besides `id`); a player with no
/// accepted submission sorts as the lowest `last_score_value`.
pub const META_SORTABLE: &[&str] = &[
    "identity_id",
    "board_id",
    "submission_count",
    "last_submission_at",
    "last_score_value",
    "created_at",
    "updated_at",
];

fn confidence_rank(c: Confidence) -> i64 {
    match c {
        Confidence::Low => 0,
        Confidence::Medium => 1,
        Confidence::High => 2,
    }
}

impl Sortable for ScoreFlag {
    fn sort_value(&self, field: &str) -> SortValue {
        match field {
            "score_event_id" => SortValue::Text(self.score_event_id.map(|e| e.to_string()).unwrap_or_default()),
            "flag_type" => SortValue::Text(self.flag_type.as_str().to_owned()),
            "confidence" => SortValue::Int(confidence_rank(self.confidence)),
            "status" => SortValue::Text(self.status.as_str().to_owned()),
            "created_at" => SortValue::Int(to_micros(self.created_at)),
            "updated_at" => SortValue::Int(to_micros(self.updated_at)),
            _ => SortValue::Text(self.id.to_string()),
        }
    }
}

impl Sortable for SubmissionMeta {
    fn sort_value(&self, field: &str) -> SortValue {
        match field {
            "identity_id" => SortValue::Text(self.identity_id.to_string()),
            "board_id" => SortValue::Text(self.board_id.to_string()),
            "submission_count" => SortValue::Int(self.submission_count as i64),
            "last_submission_at" => SortValue::Int(to_micros(self.last_submission_at)),
            "last_score_value" => SortValue::Float(self.last_score_value.unwrap_or(f64::MIN)),
            "created_at" => SortValue::Int(to_micros(self.created_at)),
            "updated_at" => SortValue::Int(to_micros(self.updated_at)),
            _ => SortValue::Text(self.id.to_string()),
        }
    }
}

impl Scores {
    /// Flags of one account, filtered, newest first by default.
    pub async fn list_flags(
        &self,
        p: &Principal,
        q: FlagListQuery,
        params: &ListParams,
    ) -> ServiceResult<Page<ScoreFlag>> {
        let account_id = self.admin.list_scope(p, q.account_id)?;
        let scope = format!(
            "flags|{account_id}|{:?}|{:?}|{:?}|{:?}|{:?}",
            q.board_id, q.game_id, q.identity_id, q.status, q.flag_type
        );
        let cursors = self.admin.cursors();
        let req = PageRequest::prepare(params, FLAG_SORTABLE, "created_at:desc", &scope, cursors)?;
        let filter = FlagFilter {
            account_id,
            board_id: q.board_id,
            game_id: q.game_id,
            identity_id: q.identity_id,
            status: q.status,
            flag_type: q.flag_type,
        };
        let rows = self.admin.store().list_flags(&filter, &req).await?;
        Ok(req.finish(rows, cursors))
    }

    /// One flag the principal can see.
    pub async fn get_flag(&self, p: &Principal, id: FlagId) -> ServiceResult<ScoreFlag> {
        let flag = self.admin.store().get_flag(id).await?.ok_or_else(|| ServiceError::not_found("flag"))?;
        if p.can_see(flag.account_id) { Ok(flag) } else { Err(ServiceError::not_found("flag")) }
    }

    /// Submission metadata of one account, filtered, most recent first by default.
    pub async fn list_submission_meta(
        &self,
        p: &Principal,
        q: SubmissionMetaQuery,
        params: &ListParams,
    ) -> ServiceResult<Page<SubmissionMeta>> {
        let account_id = self.admin.list_scope(p, q.account_id)?;
        self.flush_counts().await?;
        let scope = format!("submission_meta|{account_id}|{:?}|{:?}", q.board_id, q.identity_id);
        let cursors = self.admin.cursors();
        let req = PageRequest::prepare(params, META_SORTABLE, "last_submission_at:desc", &scope, cursors)?;
        let filter = SubmissionMetaFilter { account_id, board_id: q.board_id, identity_id: q.identity_id };
        let rows = self.admin.store().list_submission_meta(&filter, &req).await?;
        Ok(req.finish(rows, cursors))
    }

    /// One submission metadata row the principal can see.
    pub async fn get_submission_meta(&self, p: &Principal, id: SubmissionMetaId) -> ServiceResult<SubmissionMeta> {
        self.flush_counts().await?;
        let m = self
            .admin
            .store()
            .get_submission_meta(id)
            .await?
            .ok_or_else(|| ServiceError::not_found("submission metadata"))?;
        if p.can_see(m.account_id) { Ok(m) } else { Err(ServiceError::not_found("submission metadata")) }
    }
}
