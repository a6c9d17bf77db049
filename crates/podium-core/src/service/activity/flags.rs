//! Activity fraud flags: listed per game (filters user, status, flag_type; newest first) and
//! reviewed like score flags. Confirming a flag as `confirmed_cheat` removes the points the
//! flagged events earned the flagged user — from frozen days too — and re-derives their days
//! and sums (the rankings follow); each event's points are removed at most once, whatever
//! flags name it. A confirmed flag stays confirmed; the other statuses keep the points and
//! may change freely.

use std::sync::Arc;

use chrono::Duration;
use serde::Deserialize;

use super::{Activity, DAYS_KEPT, day_of, flush_game, load, rows_of};
use crate::activity::{ActivityFlagType, Moved, Period};
use crate::auth::Principal;
use crate::error::{ErrorCode, FieldCode, ServiceError, ServiceResult};
use crate::id::{ActivityFlagId, GameId};
use crate::model::FlagStatus;
use crate::model::activity::{ActivityFlag, Category, Key};
use crate::page::{ListParams, Page, PageRequest, SortValue, Sortable};
use crate::service::Patch;
use crate::shared::{ActivityChange, Change};
use crate::store::{ActivityFlagFilter, ActivityReview};
use crate::time::{now, to_micros};

/// Filters of `GET /v1/activity/flags`.
#[derive(Debug, Clone, Default)]
pub struct ActivityFlagQuery {
    /// Only this user's.
    pub user: Option<String>,
    /// Only in this status.
    pub status: Option<FlagStatus>,
    /// Only of this rule.
    pub flag_type: Option<ActivityFlagType>,
}

/// `PATCH /v1/activity/flags/{id}`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewActivityFlag {
    /// `pending`, `confirmed_cheat`, `false_positive` or `dismissed`.
    #[serde(default)]
    #[schema(value_type = FlagStatus)]
    pub status: Patch<FlagStatus>,
    /// The reviewer's note (up to 1 000 characters), or null.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub reviewer_decision: Patch<String>,
}

impl Sortable for ActivityFlag {
    fn sort_value(&self, field: &str) -> SortValue {
        match field {
            "created_at" => SortValue::Int(to_micros(self.created_at)),
            "updated_at" => SortValue::Int(to_micros(self.updated_at)),
            _ => SortValue::Text(self.id.to_string()),
        }
    }
}

impl Activity {
    /// A game's flags.
    pub async fn list_flags(
        &self,
        p: &Principal,
        game: GameId,
        query: &ActivityFlagQuery,
        params: &ListParams,
    ) -> ServiceResult<Page<ActivityFlag>> {
        self.visible_game(p, game).await?;
        let user =
            query.user.as_deref().map(Key::parse).transpose().map_err(|code| ServiceError::field("user", code))?;
        let scope = format!(
            "activity-flags:{game}:{:?}:{:?}:{:?}",
            user.as_ref().map(Key::as_str),
            query.status.map(FlagStatus::as_str),
            query.flag_type.map(ActivityFlagType::as_str)
        );
        let codec = self.admin.cursors();
        let req = PageRequest::prepare(params, &["created_at", "updated_at"], "created_at:desc", &scope, codec)?;
        let filter = ActivityFlagFilter { game_id: Some(game), user, status: query.status, flag_type: query.flag_type };
        let rows = self.admin.store().list_activity_flags(&filter, &req).await?;
        Ok(req.finish(rows, codec))
    }

    /// One flag (404 unless the key's account owns its game).
    pub async fn get_flag(&self, p: &Principal, id: ActivityFlagId) -> ServiceResult<ActivityFlag> {
        let flag = self.admin.store().get_activity_flag(id).await?.ok_or_else(|| ServiceError::not_found("flag"))?;
        self.visible_game(p, flag.game_id).await.map_err(|_| ServiceError::not_found("flag"))?;
        Ok(flag)
    }

    /// Reviews a flag (see the module note).
    pub async fn review_flag(
        &self,
        p: &Principal,
        id: ActivityFlagId,
        cmd: ReviewActivityFlag,
    ) -> ServiceResult<ActivityFlag> {
        self.serves()?;
        self.get_flag(p, id).await?;
        let _gate = self.gate.write().await;
        let before = self.admin.store().get_activity_flag(id).await?.ok_or_else(|| ServiceError::not_found("flag"))?;
        // The review writes days and sums as the book holds them: first write what the book
        // holds beyond the stored watermark, so the stored rows and the watermark agree.
        load(&self.admin, before.game_id).await?;
        flush_game(&self.admin, before.game_id).await?;
        let mut flag = before.clone();
        match cmd.status {
            Patch::Absent => {}
            Patch::Null => return Err(ServiceError::field("status", FieldCode::NullNotAllowed)),
            Patch::Value(s) => flag.status = s,
        }
        match cmd.reviewer_decision {
            Patch::Absent => {}
            Patch::Null => flag.reviewer_decision = None,
            Patch::Value(text) => {
                let text = crate::model::Text::<1000>::parse(&text, true)
                    .map_err(|code| ServiceError::field("reviewer_decision", code))?;
                flag.reviewer_decision = Some(text.as_str().to_owned());
            }
        }
        if before.status == FlagStatus::ConfirmedCheat && flag.status != FlagStatus::ConfirmedCheat {
            return Err(ServiceError::new(
                ErrorCode::InvalidTransition,
                "a confirmed flag stays confirmed: its points were removed",
            ));
        }
        let at = now();
        flag.reviewer_id = Some(p.user_id);
        flag.reviewed_at = Some(at);
        flag.updated_at = at;
        let game = flag.game_id;
        let mut review = ActivityReview {
            flag: flag.clone(),
            removed: Vec::new(),
            days: Vec::new(),
            totals: Vec::new(),
            fence: self.admin.shared().activity.fence(),
        };
        let mut moved: Vec<Moved> = Vec::new();
        if flag.status == FlagStatus::ConfirmedCheat && before.status != FlagStatus::ConfirmedCheat {
            let user = Key::from_trusted(flag.user.clone());
            let ids: Vec<&str> = flag.events.iter().map(String::as_str).collect();
            let done = self.admin.store().activity_removed(game, &user, &ids).await?;
            let ids: Vec<&str> = ids.into_iter().filter(|id| !done.iter().any(|d| d == id)).collect();
            let events = self.admin.store().activity_events_by_id(game, &ids).await?;
            let state = load(&self.admin, game).await?;
            let mut st = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let policy = st.policy.clone();
            let oldest = day_of(&policy, at) - Duration::days(DAYS_KEPT);
            for e in events {
                // The day the points fell on, as recorded (a later time-zone change moves no day).
                let day = e.result["day"]
                    .as_str()
                    .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                    .unwrap_or_else(|| day_of(&policy, e.at.unwrap_or(e.received_at)));
                let earned = &e.result["users"][user.as_str()]["categories"];
                let Some(categories) = earned.as_object() else { continue };
                if day < oldest {
                    continue; // past every day a user can still read
                }
                for (name, points) in categories {
                    let (Some(category), Some(points)) = (Category::parse(name), points.as_i64()) else { continue };
                    moved.extend(st.book.add(&policy, &user, day, Some((category, -points)), false));
                }
                review.removed.push(e.event_id.clone());
            }
            (review.days, review.totals) = rows_of(game, &st.book, &moved);
        }
        if let Err(e) = self.admin.store().review_activity_flag(&review).await {
            self.admin.shared().activity.forget(game);
            return Err(e.into());
        }
        if !moved.is_empty() {
            let mut days: Vec<chrono::NaiveDate> = moved
                .iter()
                .filter_map(|m| match m.period {
                    Period::Day(d) => Some(d),
                    Period::AllTime => None,
                })
                .collect();
            days.sort();
            days.dedup();
            self.admin.publish(Change::Activity(ActivityChange {
                game,
                moved: Arc::new(moved),
                at_micros: to_micros(at),
            }));
            self.rebadge(game, &days).await?;
        }
        Ok(flag)
    }
}
