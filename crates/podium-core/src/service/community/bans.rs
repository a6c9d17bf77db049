//! Bans and who may give them: site admins give site-wide bans (never on an admin); a
//! leaderboard's moderators give bans on it (never on its moderators nor on an admin). An
//! admin who does not moderate a leaderboard cannot ban there. Lifting a ban is for an admin
//! (site bans) or the leaderboard's moderators and site admins; it restores neither runs nor
//! modships.

use serde::Deserialize;

use super::{Community, MemberPrincipal};
use crate::error::{ErrorCode, FieldCode, FieldErrors, ServiceError, ServiceResult};
use crate::id::{BanId, LeaderboardId, MemberId};
use crate::model::Text;
use crate::model::community::Ban;
use crate::page::{ListParams, Page, PageRequest};
use crate::store::StoreError;
use crate::time::now;

/// `POST /v1/community/bans`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GiveBan {
    /// The member to ban.
    #[serde(default)]
    pub user_id: Option<MemberId>,
    /// Why, 1–2 000 characters (also the note of the judgements that reject their runs).
    #[serde(default)]
    pub reason: Option<String>,
    /// The leaderboard; absent for a site-wide ban.
    #[serde(default)]
    pub leaderboard_id: Option<LeaderboardId>,
}

/// What a ban list selects.
#[derive(Debug, Clone, Default)]
pub struct BanQuery {
    /// Bans of this member.
    pub user_id: Option<MemberId>,
    /// Bans on this leaderboard.
    pub leaderboard_id: Option<LeaderboardId>,
    /// Lifted bans too.
    pub include_lifted: bool,
}

impl Community {
    /// Gives a ban and applies its cascade (rejections, and for a site ban modships and
    /// tokens), in one transaction.
    pub async fn give_ban(&self, p: &MemberPrincipal, cmd: GiveBan) -> ServiceResult<Ban> {
        let mut errors = FieldErrors::new();
        let reason = errors.parse_required("reason", cmd.reason.as_deref(), |r| Text::<2000>::parse(r, false));
        let Some(user_id) = cmd.user_id else {
            errors.add("user_id", FieldCode::Required);
            return Err(ServiceError::validation(errors));
        };
        let store = self.admin.store();
        let Some(target) = store.get_member(user_id).await? else {
            errors.add("user_id", FieldCode::NotFound);
            return Err(ServiceError::validation(errors));
        };
        match cmd.leaderboard_id {
            None => {
                if !p.member.admin {
                    return Err(ServiceError::forbidden("only site admins give site-wide bans"));
                }
                if target.admin {
                    return Err(ServiceError::forbidden("site admins cannot be banned"));
                }
            }
            Some(lb) => {
                if store.get_leaderboard(lb).await?.is_none() {
                    errors.add("leaderboard_id", FieldCode::NotFound);
                    return Err(ServiceError::validation(errors));
                }
                if store.modship_of(p.member.id, lb).await?.is_none() {
                    return Err(ServiceError::forbidden("only this leaderboard's moderators ban on it"));
                }
                if target.admin || store.modship_of(target.id, lb).await?.is_some() {
                    return Err(ServiceError::forbidden(
                        "this leaderboard's moderators and site admins cannot be banned on it",
                    ));
                }
            }
        }
        errors.into_result()?;
        let Some(reason) = reason else { return Err(ServiceError::field("reason", FieldCode::Required)) };
        let in_force = store.active_bans(user_id).await?;
        if in_force.iter().any(|b| b.leaderboard_id == cmd.leaderboard_id) {
            return Err(ServiceError::new(ErrorCode::Conflict, "the member is already banned there"));
        }
        let ban = Ban {
            id: BanId::generate(),
            user_id,
            leaderboard_id: cmd.leaderboard_id,
            reason: reason.clone(),
            banned_by: p.member.id,
            created_at: now(),
            lifted_at: None,
            lifted_by: None,
        };
        let rejected = store.insert_ban(&ban, reason.as_str()).await?;
        self.member_changed(user_id);
        self.publish_run_ids(&rejected).await?;
        Ok(ban)
    }

    /// A ban (anyone).
    pub async fn get_ban(&self, id: BanId) -> ServiceResult<Ban> {
        self.admin.store().get_ban(id).await?.ok_or_else(|| ServiceError::not_found("ban"))
    }

    /// Bans, newest first (anyone); in force only unless `include_lifted`.
    pub async fn list_bans(&self, query: &BanQuery, params: &ListParams) -> ServiceResult<Page<Ban>> {
        let scope = format!(
            "community-bans:{}:{}:{}",
            query.user_id.map(|m| m.to_string()).unwrap_or_default(),
            query.leaderboard_id.map(|l| l.to_string()).unwrap_or_default(),
            query.include_lifted
        );
        let codec = self.admin.cursors();
        let req = PageRequest::prepare(params, Ban::SORTABLE, "created_at:desc", &scope, codec)?;
        let rows = self
            .admin
            .store()
            .list_bans(query.user_id, query.leaderboard_id.map(Some), query.include_lifted, &req)
            .await?;
        Ok(req.finish(rows, codec))
    }

    /// Lifts a ban in force (409 `ban_lifted` when it already was).
    pub async fn lift_ban(&self, p: &MemberPrincipal, id: BanId) -> ServiceResult<Ban> {
        let ban = self.get_ban(id).await?;
        let allowed = match ban.leaderboard_id {
            None => p.member.admin,
            Some(lb) => self.moderates(p, lb).await?,
        };
        if !allowed {
            return Err(ServiceError::forbidden(
                "only site admins lift site bans, and a leaderboard's moderators its bans",
            ));
        }
        self.admin.store().lift_ban(id, p.member.id, now()).await.map_err(|e| match &e {
            StoreError::Conflict { constraint } if constraint == "lifted" => {
                ServiceError::new(ErrorCode::BanLifted, "the ban was already lifted")
            }
            _ => e.into(),
        })
    }
}
