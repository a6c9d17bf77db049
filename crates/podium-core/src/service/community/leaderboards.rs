//! Leaderboards and their moderators: site admins create leaderboards and appoint moderators;
//! anyone reads them; a leaderboard's moderators (and every site admin) edit its rules.
//! Appointments are checked against the store on every call, so a removed moderator loses the
//! role at once.

use serde::Deserialize;

use super::{Community, MemberPrincipal, MemberView};
use crate::error::{ErrorCode, FieldCode, FieldErrors, ServiceError, ServiceResult, StoreError};
use crate::id::{LeaderboardId, MemberId, ModshipId};
use crate::model::community::{Leaderboard, Modship};
use crate::model::{Name, Slug, Text};
use crate::page::{ListParams, Page, PageRequest};
use crate::service::Patch;
use crate::service::slugs::{conflict, insert_with_slug, slug_or_derived};
use crate::time::now;

/// `POST /v1/community/leaderboards`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLeaderboard {
    /// Display name, 1–100 characters.
    #[serde(default)]
    pub name: Option<String>,
    /// Unique slug; derived from the name when absent.
    #[serde(default)]
    pub slug: Option<String>,
    /// The rules, up to 10 000 characters.
    #[serde(default)]
    pub rules: Option<String>,
}

/// `PATCH /v1/community/leaderboards/{id}`: moderators change the rules; the name and slug
/// are the site admins'.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLeaderboard {
    /// New name (site admins).
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    /// New slug (site admins).
    #[serde(default)]
    #[schema(value_type = String)]
    pub slug: Patch<String>,
    /// New rules (empty clears them).
    #[serde(default)]
    #[schema(value_type = String)]
    pub rules: Patch<String>,
}

/// `POST /v1/community/modships`
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointModerator {
    /// The member to appoint.
    pub user_id: MemberId,
    /// The leaderboard they will moderate.
    pub leaderboard_id: LeaderboardId,
}

fn admins_only(p: &MemberPrincipal, what: &str) -> ServiceResult<()> {
    if p.member.admin { Ok(()) } else { Err(ServiceError::forbidden(format!("only site admins {what}"))) }
}

impl Community {
    /// Creates a leaderboard (site admins only).
    pub async fn create_leaderboard(&self, p: &MemberPrincipal, cmd: CreateLeaderboard) -> ServiceResult<Leaderboard> {
        admins_only(p, "create leaderboards")?;
        let mut errors = FieldErrors::new();
        let given = cmd.name.clone().unwrap_or_default();
        let name = errors.parse_required("name", cmd.name.as_deref(), Name::parse);
        let (slug, generated) = slug_or_derived(cmd.slug.as_deref(), &given, "leaderboard", &mut errors);
        let rules = errors.check("rules", Text::parse(cmd.rules.as_deref().unwrap_or_default(), true));
        errors.into_result()?;
        let (Some(name), Some(slug), Some(rules)) = (name, slug, rules) else {
            return Err(ServiceError::new(ErrorCode::Internal, "validated fields went missing"));
        };
        let at = now();
        let mut leaderboard = Leaderboard {
            id: LeaderboardId::generate(),
            name,
            slug: slug.clone(),
            rules,
            created_at: at,
            updated_at: at,
        };
        leaderboard.slug = insert_with_slug(slug, generated, |slug| {
            let row = Leaderboard { slug, ..leaderboard.clone() };
            let store = self.admin.store().clone();
            async move { store.insert_leaderboard(&row).await }
        })
        .await?;
        Ok(leaderboard)
    }

    /// A leaderboard by id (`lbd_…`) or, for anything else, by slug.
    pub async fn get_leaderboard(&self, id_or_slug: &str) -> ServiceResult<Leaderboard> {
        let store = self.admin.store();
        let found = match id_or_slug.parse::<LeaderboardId>() {
            Ok(id) => store.get_leaderboard(id).await?,
            Err(_) if Slug::parse(id_or_slug).is_ok() => store.leaderboard_by_slug(id_or_slug).await?,
            Err(_) => None,
        };
        found.ok_or_else(|| ServiceError::not_found("leaderboard"))
    }

    /// Leaderboards, a page at a time (anyone).
    pub async fn list_leaderboards(&self, params: &ListParams) -> ServiceResult<Page<Leaderboard>> {
        let codec = self.admin.cursors();
        let req = PageRequest::prepare(params, Leaderboard::SORTABLE, "name:asc", "community-leaderboards", codec)?;
        let rows = self.admin.store().list_leaderboards(&req).await?;
        Ok(req.finish(rows, codec))
    }

    /// Whether the caller may moderate `leaderboard`: a site admin, or one of its moderators.
    pub async fn moderates(&self, p: &MemberPrincipal, leaderboard: LeaderboardId) -> ServiceResult<bool> {
        Ok(p.member.admin || self.admin.store().modship_of(p.member.id, leaderboard).await?.is_some())
    }

    /// Edits a leaderboard: the rules for its moderators and site admins, name and slug for
    /// site admins only.
    pub async fn update_leaderboard(
        &self,
        p: &MemberPrincipal,
        id_or_slug: &str,
        cmd: UpdateLeaderboard,
    ) -> ServiceResult<Leaderboard> {
        let mut leaderboard = self.get_leaderboard(id_or_slug).await?;
        let read_at = leaderboard.updated_at;
        if !self.moderates(p, leaderboard.id).await? {
            return Err(ServiceError::forbidden("only this leaderboard's moderators and site admins edit it"));
        }
        let mut errors = FieldErrors::new();
        let name = cmd.name.required("name", &mut errors);
        let slug = cmd.slug.required("slug", &mut errors);
        let rules = cmd.rules.required("rules", &mut errors);
        if let Some(name) = &name {
            leaderboard.name = errors.check("name", Name::parse(name)).unwrap_or(leaderboard.name);
        }
        if let Some(slug) = &slug {
            leaderboard.slug = errors.check("slug", Slug::parse(slug)).unwrap_or(leaderboard.slug);
        }
        if let Some(rules) = &rules {
            leaderboard.rules = errors.check("rules", Text::parse(rules, true)).unwrap_or(leaderboard.rules);
        }
        errors.into_result()?;
        if (name.is_some() || slug.is_some()) && !p.member.admin {
            return Err(ServiceError::forbidden("only site admins rename a leaderboard"));
        }
        leaderboard.updated_at = now();
        self.admin.store().update_leaderboard(&leaderboard, read_at).await.map_err(conflict)?;
        Ok(leaderboard)
    }

    /// Appoints a moderator of a leaderboard (site admins only).
    pub async fn appoint_moderator(&self, p: &MemberPrincipal, cmd: AppointModerator) -> ServiceResult<Modship> {
        admins_only(p, "appoint moderators")?;
        let store = self.admin.store();
        let mut errors = FieldErrors::new();
        if store.get_member(cmd.user_id).await?.is_none() {
            errors.add("user_id", FieldCode::NotFound);
        }
        if store.get_leaderboard(cmd.leaderboard_id).await?.is_none() {
            errors.add("leaderboard_id", FieldCode::NotFound);
        }
        errors.into_result()?;
        let modship = Modship {
            id: ModshipId::generate(),
            user_id: cmd.user_id,
            leaderboard_id: cmd.leaderboard_id,
            created_at: now(),
        };
        match store.insert_modship(&modship).await {
            Ok(()) => Ok(modship),
            Err(StoreError::Conflict { .. }) => {
                Err(ServiceError::new(ErrorCode::Conflict, "the member already moderates this leaderboard"))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Removes a modship by id, or the one of `member` on `leaderboard` (site admins only).
    pub async fn remove_moderator(
        &self,
        p: &MemberPrincipal,
        id: Option<ModshipId>,
        of: Option<(MemberId, LeaderboardId)>,
    ) -> ServiceResult<()> {
        admins_only(p, "remove moderators")?;
        let store = self.admin.store();
        let modship = match (id, of) {
            (Some(id), None) => store.get_modship(id).await?,
            (None, Some((member, leaderboard))) => store.modship_of(member, leaderboard).await?,
            _ => {
                return Err(ServiceError::new(
                    ErrorCode::BadRequest,
                    "name the modship by id, or by user_id and leaderboard_id",
                ));
            }
        };
        let modship = modship.ok_or_else(|| ServiceError::not_found("modship"))?;
        Ok(store.delete_modship(modship.id).await?)
    }

    /// The moderators of a leaderboard (anyone).
    pub async fn moderators(&self, id_or_slug: &str) -> ServiceResult<Vec<MemberView>> {
        let leaderboard = self.get_leaderboard(id_or_slug).await?;
        let members = self.admin.store().moderators_of(leaderboard.id).await?;
        Ok(members.iter().map(MemberView::from).collect())
    }

    /// The leaderboards a member moderates (anyone).
    pub async fn moderated_by(&self, member: MemberId) -> ServiceResult<Vec<Leaderboard>> {
        self.get_member(member).await?;
        Ok(self.admin.store().moderated_by(member).await?)
    }
}
