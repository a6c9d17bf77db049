//! Seasons: the scheduler that stamps out each period's board from its template and closes
//! the previous one, and the reads of a template's boards (the current one, by id or by the
//! template's slug).
//!
//! A run is given the time to act at, so tests drive it on a simulated clock; the node runs it
//! every second. It counts periods from the template's latest board (deleted ones included),
//! so after downtime it stamps out every missed period once, each with its own window, and
//! never one per run. `(template_id, series)` is unique in the store: when several nodes run
//! at once, the loser of a period's insert stops and the next run sees the winner's board.

use chrono::TimeDelta;

use super::Admin;
use super::boards::short_code;
use crate::auth::Principal;
use crate::error::{ServiceError, ServiceResult};
use crate::id::{AccountId, GameId, TemplateId};
use crate::model::{Board, BoardTemplate, KeepStrategy, Name, PeriodLabels, Slug};
use crate::page::{ListParams, PageRequest};
use crate::service::slugs::conflict;
use crate::store::{BoardFilter, StoreError, TemplateFilter};
use crate::time::{Timestamp, now};

/// Most boards one run stamps out per template: a template further behind (a minutely
/// schedule after a week down) catches up over the next runs, a second apart.
pub const CATCH_UP_PER_RUN: u64 = 500;

/// What one run of the scheduler did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleRun {
    /// Boards stamped out.
    pub created: u64,
    /// Earlier boards deactivated because a newer period began.
    pub closed: u64,
}

/// A rendered name that no longer fits (the series grew past what the pattern allowed for)
/// is cut to fit; one that renders blank falls back to the template's name.
fn board_name(rendered: &str, fallback: &Name) -> Name {
    Name::parse(rendered).unwrap_or_else(|_| {
        let cut: String = rendered.trim().chars().take(Name::MAX).collect();
        Name::parse(&cut).unwrap_or_else(|_| fallback.clone())
    })
}

/// The board of one period: the template's defaults, named by its patterns, open from
/// `opens` until `closes`.
fn stamp(
    t: &BoardTemplate,
    series: i64,
    period: Timestamp,
    opens: Timestamp,
    closes: Option<Timestamp>,
    at: Timestamp,
) -> (Board, Slug) {
    let labels = PeriodLabels::of(period, t.time_zone.tz(), series);
    let rendered_slug = t.slug_pattern.render(&labels);
    let slug = Slug::parse(&rendered_slug).unwrap_or_else(|_| Slug::from_name(&rendered_slug, t.slug.as_str()));
    let d = &t.board;
    let created = now();
    let board = Board {
        id: crate::id::BoardId::generate(),
        account_id: t.account_id,
        game_id: t.game_id,
        name: board_name(&t.name_pattern.render(&labels), &t.name),
        slug: slug.clone(),
        short_code: short_code(),
        description: d.description.clone(),
        icon: d.icon.clone(),
        unit: d.unit.clone(),
        tags: d.tags.clone(),
        board_type: d.board_type,
        sort_direction: d.sort_direction,
        keep_strategy: if d.board_type == crate::model::BoardType::RunIdentity {
            d.keep_strategy
        } else {
            KeepStrategy::Na
        },
        // A period that is already over when stamped out (caught up after downtime) is born closed.
        is_active: closes.is_none_or(|c| c > at),
        is_published: d.is_published,
        starts_at: Some(opens),
        ends_at: closes,
        unique_player_names: d.unique_player_names,
        min_value: d.min_value,
        max_value: d.max_value,
        ratio_config: None,
        template_id: Some(t.id),
        series: Some(series),
        period_start: Some(period),
        created_at: created,
        updated_at: created,
        deleted_at: None,
    };
    (board, slug)
}

impl Admin {
    /// Stamps out, for every active template, each period that has begun by `at` and has no
    /// board yet, and closes the boards of earlier periods. One template's failure is logged
    /// and retried on the next run; it does not hold the others back.
    pub async fn run_schedules(&self, at: Timestamp) -> ServiceResult<ScheduleRun> {
        let mut run = ScheduleRun::default();
        for t in self.store.active_templates().await? {
            match self.stamp_out(&t, at).await {
                Ok(r) => {
                    run.created += r.created;
                    run.closed += r.closed;
                }
                Err(e) => {
                    tracing::warn!(template = %t.id, error = %e, "could not stamp out a template's boards; will retry")
                }
            }
        }
        Ok(run)
    }

    async fn stamp_out(&self, t: &BoardTemplate, at: Timestamp) -> ServiceResult<ScheduleRun> {
        let tz = t.time_zone.tz();
        let (mut series, mut next_period) = match self.store.last_period(t.id).await? {
            Some(last) => (last.series + 1, t.schedule.next_after(tz, last.period_start)),
            // The first board covers the period the template's start falls in.
            None => {
                (1, t.schedule.last_at_or_before(tz, t.starts_at).or_else(|| t.schedule.next_after(tz, t.starts_at)))
            }
        };
        let mut run = ScheduleRun::default();
        let mut newest = None;
        while let Some(period) = next_period {
            if run.created >= CATCH_UP_PER_RUN || t.ends_at.is_some_and(|e| period >= e) {
                break;
            }
            let opens = period.max(t.starts_at);
            if opens > at {
                break;
            }
            let following = t.schedule.next_after(tz, period);
            let window = t.duration_seconds.map(|d| period + TimeDelta::seconds(d));
            let closes = [following, window, t.ends_at].into_iter().flatten().min();
            if closes.is_some_and(|c| c <= opens) {
                // The period's window was over before the template started (a one-hour cup
                // created in the afternoon): that period gets no board.
                next_period = following;
                continue;
            }
            let (board, slug) = stamp(t, series, period, opens, closes, at);
            match self.insert_new_board(board, slug, true).await {
                Ok(_) => {}
                // Another node stamped this period out first.
                Err(StoreError::Conflict { constraint }) if constraint == "series" => break,
                Err(e) => return Err(conflict(e)),
            }
            run.created += 1;
            newest = Some(series);
            series += 1;
            next_period = following;
        }
        if let Some(newest) = newest {
            run.closed = self.store.close_boards_before(t.id, newest, now()).await?;
            if run.closed > 0 {
                self.boards_changed();
            }
            tracing::info!(template = %t.id, created = run.created, closed = run.closed, "stamped out boards");
        }
        Ok(run)
    }

    /// The board of a template's latest period (404 before its first).
    pub async fn current_board(&self, p: &Principal, id: TemplateId) -> ServiceResult<Board> {
        let t = self.get_template(p, id).await?;
        self.latest_board(t.account_id, t.id).await
    }

    /// The current board of the game's template with this slug, for its clients: 404 when
    /// there is no such template, no board yet, or the board is unpublished.
    pub(crate) async fn current_board_by_slug(
        &self,
        account_id: AccountId,
        game_id: GameId,
        slug: &str,
    ) -> ServiceResult<Board> {
        let Ok(slug) = Slug::parse(slug) else {
            return Err(ServiceError::not_found("board template"));
        };
        let params = ListParams { limit: Some("1".into()), ..ListParams::default() };
        let req = PageRequest::prepare(
            &params,
            BoardTemplate::SORTABLE,
            "created_at:desc",
            "template_by_slug",
            &self.cursors,
        )?;
        let filter = TemplateFilter { account_id, game_id: Some(game_id), slug: Some(slug.as_str().to_owned()) };
        let template = self
            .store
            .list_templates(&filter, &req)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ServiceError::not_found("board template"))?;
        let board = self.latest_board(account_id, template.id).await?;
        if board.is_published { Ok(board) } else { Err(ServiceError::not_found("board")) }
    }

    async fn latest_board(&self, account_id: AccountId, template_id: TemplateId) -> ServiceResult<Board> {
        let params = ListParams { limit: Some("1".into()), ..ListParams::default() };
        let req =
            PageRequest::prepare(&params, Board::SORTABLE_IN_TEMPLATE, "series:desc", "current_board", &self.cursors)?;
        let filter = BoardFilter {
            account_id,
            game_id: None,
            slug: None,
            code: None,
            is_active: None,
            is_published: None,
            tag: None,
            template_id: Some(template_id),
        };
        self.store
            .list_boards(&filter, &req)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ServiceError::not_found("board (the template has stamped out none yet)"))
    }
}
