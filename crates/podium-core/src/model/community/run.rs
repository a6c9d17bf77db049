//! Runs (one attempt by one or more runners in a category), each runner's participation,
//! moderators' judgements, and the rules that compare runs: the identical-run and must-improve
//! rules, and the status a run's participations and judgements give it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{Metric, MetricSort};
use crate::error::FieldCode;
use crate::id::{
    CategoryId, JudgementId, LeaderboardId, MemberId, MetricId, ParticipationId, RunId, VariableId, VariableValueId,
};
use crate::model::Text;

crate::wire_enum!(
    /// Where a run is in its life: `created` while a runner's participation is empty, then
    /// `submitted` (awaiting judgement), `approved` or `rejected` by the newest judgement that
    /// decided.
    RunStatus {
        /// A participation is still empty.
        Created => "created",
        /// Waiting for a moderator.
        Submitted => "submitted",
        /// Accepted: it ranks.
        Approved => "approved",
        /// Refused (by a moderator, or by a ban).
        Rejected => "rejected",
    }
);

impl RunStatus {
    /// The status a run has: the newest deciding judgement's verdict if there is one (a ban
    /// records one even on a run that is still `created`); otherwise `created` while a
    /// participation is empty, else `submitted`.
    pub fn derive(any_empty_participation: bool, verdict: Option<bool>) -> Self {
        match (verdict, any_empty_participation) {
            (Some(true), _) => Self::Approved,
            (Some(false), _) => Self::Rejected,
            (None, true) => Self::Created,
            (None, false) => Self::Submitted,
        }
    }
}

/// A run as stored. `variables` is sorted by variable id and `metrics` by metric id, so two
/// runs with the same values compare equal.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// `run_…`
    pub id: RunId,
    /// Its category.
    pub category_id: CategoryId,
    /// The category's leaderboard.
    pub leaderboard_id: LeaderboardId,
    /// Who submitted it (always a runner).
    pub submitted_by: MemberId,
    /// Every runner, the submitter first.
    pub runners: Vec<Runner>,
    /// The day it was played (UTC calendar date).
    pub played_on: NaiveDate,
    /// When it was submitted.
    pub submitted_at: DateTime<Utc>,
    /// Where it is in its life.
    pub status: RunStatus,
    /// The value of each variable it gives, by variable id.
    pub variables: Vec<(VariableId, VariableValueId)>,
    /// The value of each metric it gives, by metric id.
    pub metrics: Vec<(MetricId, f64)>,
    /// Whether a participation links a video.
    pub video: bool,
    /// Last change of its status.
    pub updated_at: DateTime<Utc>,
}

/// One runner of a run, as shown: a deleted account keeps its place in the run but shows as
/// `{"deleted": true}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runner {
    /// The member.
    pub id: MemberId,
    /// Their name (as stored).
    pub name: String,
    /// Whether their account is deleted.
    pub deleted: bool,
}

impl Run {
    /// The "same runners" key: the runner ids sorted and joined by commas.
    pub fn runner_key(&self) -> String {
        let mut ids: Vec<String> = self.runners.iter().map(|r| r.id.to_string()).collect();
        ids.sort_unstable();
        ids.join(",")
    }

    /// Whether it ranks: approved, with at least one runner whose account is not deleted.
    pub fn ranks(&self) -> bool {
        self.status == RunStatus::Approved && self.runners.iter().any(|r| !r.deleted)
    }

    /// The value this run gives for a metric.
    pub fn metric(&self, id: MetricId) -> Option<f64> {
        self.metrics.iter().find(|(m, _)| *m == id).map(|(_, v)| *v)
    }

    /// Whether `self` and `other` give the same variable values and the same metric values
    /// (the identical-run rule compares these for runs of one category and runner set).
    pub fn same_values(&self, other: &Run) -> bool {
        self.variables == other.variables && self.metrics == other.metrics
    }

    /// The must-improve rule: `self` beats `other` in at least one metric both give, by that
    /// metric's sort.
    pub fn beats(&self, other: &Run, metrics: &[Metric]) -> bool {
        metrics.iter().any(|m| match (self.metric(m.id), other.metric(m.id)) {
            (Some(new), Some(old)) => better(new, old, m.sort),
            _ => false,
        })
    }
}

impl Run {
    /// Fields a run list can sort by.
    pub const SORTABLE: &'static [&'static str] = &["submitted_at", "played_on"];
}

impl crate::page::Sortable for Run {
    fn sort_value(&self, field: &str) -> crate::page::SortValue {
        use crate::page::SortValue;
        match field {
            "submitted_at" => SortValue::Int(crate::time::to_micros(self.submitted_at)),
            "played_on" => SortValue::Int(crate::time::to_day_number(self.played_on)),
            _ => SortValue::Text(self.id.to_string()),
        }
    }
}

/// Whether `a` is strictly better than `b` for a metric sorted `sort`.
pub fn better(a: f64, b: f64, sort: MetricSort) -> bool {
    match sort {
        MetricSort::Asc => a < b,
        MetricSort::Desc => a > b,
    }
}

/// A video link: an absolute `http` or `https` URL with a host, at most 2 000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VodUrl(String);

impl VodUrl {
    /// Validates a link as given (trimmed).
    pub fn parse(s: &str) -> Result<Self, FieldCode> {
        let s = s.trim();
        if s.is_empty() {
            return Err(FieldCode::Blank);
        }
        if s.chars().count() > 2000 {
            return Err(FieldCode::TooLong);
        }
        match url::Url::parse(s) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()) => {
                Ok(Self(s.to_owned()))
            }
            _ => Err(FieldCode::InvalidFormat),
        }
    }

    /// The link.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps a link read back from the store.
    pub fn from_trusted(s: String) -> Self {
        Self(s)
    }
}

/// One runner's part in a run; also its wire view. Empty (neither comment nor video) until
/// its runner fills it in — the submitter's is filled at submission.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Participation {
    /// `par_…`
    pub id: ParticipationId,
    /// The run.
    pub run_id: RunId,
    /// The runner.
    pub user_id: MemberId,
    /// Their comment, up to 2 000 characters.
    #[schema(value_type = Option<String>)]
    pub comment: Option<Text<2000>>,
    /// Their video (http or https).
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "serialize_vod")]
    pub vod_url: Option<VodUrl>,
    /// When they filled it in (`null` while empty).
    pub filled_at: Option<DateTime<Utc>>,
}

fn serialize_vod<S: serde::Serializer>(v: &Option<VodUrl>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_some(v.as_str()),
        None => s.serialize_none(),
    }
}

impl Participation {
    /// Whether the runner has still to fill it in.
    pub fn is_empty(&self) -> bool {
        self.filled_at.is_none()
    }
}

/// A moderator's verdict on a run (`approved` true or false) or a comment about it
/// (`approved` null); also its wire view.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Judgement {
    /// `jdg_…`
    pub id: JudgementId,
    /// The run.
    pub run_id: RunId,
    /// The moderator (or the banning member, for a ban's rejection).
    pub judge_id: MemberId,
    /// The note, up to 2 000 characters (required unless approving).
    #[schema(value_type = String)]
    pub note: Text<2000>,
    /// `true` approves, `false` rejects, `null` only comments.
    pub approved: Option<bool>,
    /// When it was given.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::community::MetricKind;
    use crate::model::{Name, Slug};

    fn metric(sort: MetricSort) -> Metric {
        Metric {
            id: MetricId::generate(),
            name: Name::from_trusted("m".into()),
            slug: Slug::from_trusted("m".into()),
            kind: MetricKind::Time,
            sort,
            required: true,
        }
    }

    fn run(metrics: Vec<(MetricId, f64)>) -> Run {
        Run {
            id: RunId::generate(),
            category_id: CategoryId::generate(),
            leaderboard_id: LeaderboardId::generate(),
            submitted_by: MemberId::generate(),
            runners: Vec::new(),
            played_on: NaiveDate::MIN,
            submitted_at: DateTime::UNIX_EPOCH,
            status: RunStatus::Submitted,
            variables: Vec::new(),
            metrics,
            video: false,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_run_must_be_strictly_better_in_one_metric_by_its_sort() {
        let (time, points) = (metric(MetricSort::Asc), metric(MetricSort::Desc));
        let metrics = [time.clone(), points.clone()];
        let old = run(vec![(time.id, 100.0), (points.id, 5.0)]);
        assert!(run(vec![(time.id, 99.0), (points.id, 1.0)]).beats(&old, &metrics));
        assert!(run(vec![(time.id, 200.0), (points.id, 6.0)]).beats(&old, &metrics));
        assert!(!run(vec![(time.id, 100.0), (points.id, 5.0)]).beats(&old, &metrics));
        assert!(!run(vec![(time.id, 101.0)]).beats(&old, &metrics));
    }

    #[test]
    fn a_deciding_judgement_outweighs_empty_participations() {
        assert_eq!(RunStatus::derive(true, None), RunStatus::Created);
        assert_eq!(RunStatus::derive(false, None), RunStatus::Submitted);
        assert_eq!(RunStatus::derive(true, Some(false)), RunStatus::Rejected);
        assert_eq!(RunStatus::derive(false, Some(true)), RunStatus::Approved);
    }

    #[test]
    fn only_http_links_with_a_host_are_videos() {
        assert!(VodUrl::parse("https://youtu.be/abc").is_ok());
        assert_eq!(VodUrl::parse("javascript:alert(1)"), Err(FieldCode::InvalidFormat));
        assert_eq!(VodUrl::parse("ftp://host/x"), Err(FieldCode::InvalidFormat));
        assert_eq!(VodUrl::parse("not a url"), Err(FieldCode::InvalidFormat));
        assert_eq!(VodUrl::parse(" "), Err(FieldCode::Blank));
    }
}
