//! Judgements: a moderator of the run's leaderboard (or a site admin) approves, rejects or
//! comments on a run. Nobody judges a run they take part in, no run is judged while a
//! participation is empty, and a note is required unless the judgement approves.

use serde::Deserialize;

use super::runs::{RunView, run_conflict};
use super::{Community, MemberPrincipal};
use crate::error::{ErrorCode, FieldCode, FieldErrors, ServiceError, ServiceResult};
use crate::id::{JudgementId, RunId};
use crate::model::Text;
use crate::model::community::Judgement;
use crate::time::now;

/// `POST /v1/community/judgements`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Judge {
    /// The run.
    #[serde(default)]
    pub run_id: Option<RunId>,
    /// Up to 2 000 characters; required unless `approved` is `true`.
    #[serde(default)]
    pub note: Option<String>,
    /// `true` approves, `false` rejects, `null` (or absent) only comments.
    #[serde(default)]
    pub approved: Option<bool>,
}

/// A judgement and the run as it is after it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct JudgementOutcome {
    /// The judgement recorded.
    pub judgement: Judgement,
    /// The run, with its new status.
    pub run: RunView,
}

impl Community {
    /// Records a judgement on a run.
    pub async fn judge(&self, p: &MemberPrincipal, cmd: Judge) -> ServiceResult<JudgementOutcome> {
        let Some(run_id) = cmd.run_id else {
            return Err(ServiceError::field("run_id", FieldCode::Required));
        };
        let Some(run) = self.admin.store().get_run(run_id).await? else {
            return Err(ServiceError::field("run_id", FieldCode::NotFound));
        };
        if !self.moderates(p, run.leaderboard_id).await? {
            return Err(ServiceError::forbidden("only this leaderboard's moderators and site admins judge its runs"));
        }
        if run.runners.iter().any(|r| r.id == p.member.id) {
            return Err(ServiceError::new(ErrorCode::OwnRun, "you take part in this run"));
        }
        let mut errors = FieldErrors::new();
        let note = match cmd.note.as_deref() {
            None | Some("") if cmd.approved == Some(true) => Some(Text::from_trusted(String::new())),
            None => {
                errors.add("note", FieldCode::Required);
                None
            }
            Some(n) => errors.check("note", Text::<2000>::parse(n, cmd.approved == Some(true))),
        };
        errors.into_result()?;
        let Some(note) = note else { return Err(ServiceError::field("note", FieldCode::Required)) };
        let judgement = Judgement {
            id: JudgementId::generate(),
            run_id,
            judge_id: p.member.id,
            note,
            approved: cmd.approved,
            created_at: now(),
        };
        let run = self.admin.store().insert_judgement(&judgement).await.map_err(run_conflict)?;
        let judgement = self.admin.store().get_judgement(judgement.id).await?.unwrap_or(judgement);
        self.publish_runs(vec![run.clone()]).await?;
        Ok(JudgementOutcome { judgement, run: run.into() })
    }

    /// A judgement (anyone).
    pub async fn get_judgement(&self, id: JudgementId) -> ServiceResult<Judgement> {
        self.admin.store().get_judgement(id).await?.ok_or_else(|| ServiceError::not_found("judgement"))
    }

    /// A run's judgements, oldest first (anyone).
    pub async fn run_judgements(&self, id: RunId) -> ServiceResult<Vec<Judgement>> {
        self.get_run(id).await?;
        Ok(self.admin.store().judgements_of(id).await?)
    }
}
