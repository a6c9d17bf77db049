//! Helpers several services share (admin resources, the community's leaderboards, categories and
//! variables): mapping uniqueness clashes and lost edit races to their error codes, and
//! inserting with a generated slug that steps aside when taken.

use std::future::Future;

use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::model::Slug;
use crate::store::{StoreError, StoreResult};

/// Turns a store conflict into the matching 409 code: a taken slug or e-mail, or an edit that
/// lost a race (`stale`: the row changed since it was read; `reference`: a row it names was
/// deleted meanwhile).
pub(crate) fn conflict(e: StoreError) -> ServiceError {
    match &e {
        StoreError::Conflict { constraint } if constraint == "stale" || constraint == "reference" => {
            ServiceError::new(ErrorCode::Conflict, "this changed meanwhile; read it again and retry")
        }
        StoreError::Conflict { constraint } if constraint == "slug" => {
            ServiceError::new(ErrorCode::SlugTaken, "the slug is already in use")
        }
        StoreError::Conflict { constraint } if constraint == "email" => {
            ServiceError::new(ErrorCode::EmailTaken, "the email address is already in use")
        }
        StoreError::Conflict { constraint } if constraint == "metric_in_use" => {
            ServiceError::new(ErrorCode::MetricInUse, "runs use this metric: its kind and sort stay, and it stays")
        }
        _ => e.into(),
    }
}

/// Inserts with `slug`; when the slug was generated (not given by the caller) and is taken,
/// retries with `-2`, `-3`, … so that creating two things with the same name just works.
pub(crate) async fn insert_with_slug<F, Fut>(slug: Slug, generated: bool, insert: F) -> ServiceResult<Slug>
where
    F: FnMut(Slug) -> Fut,
    Fut: Future<Output = StoreResult<()>>,
{
    try_slugs(slug, generated, insert).await.map_err(conflict)
}

/// [`insert_with_slug`] with the store's error as it is (a taken slug after the last attempt
/// is `Conflict { constraint: "slug" }`), for callers that tell other clashes apart.
pub(crate) async fn try_slugs<F, Fut>(slug: Slug, generated: bool, mut insert: F) -> StoreResult<Slug>
where
    F: FnMut(Slug) -> Fut,
    Fut: Future<Output = StoreResult<()>>,
{
    let attempts = if generated { 50 } else { 1 };
    for n in 1..=attempts {
        let candidate = if n == 1 { slug.clone() } else { slug.with_suffix(n) };
        match insert(candidate.clone()).await {
            Ok(()) => return Ok(candidate),
            Err(StoreError::Conflict { constraint }) if constraint == "slug" => {}
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Conflict { constraint: "slug".into() })
}

/// Parses an optional slug field: the given one (validated) or one derived from `name`.
pub(crate) fn slug_or_derived(
    given: Option<&str>,
    name: &str,
    fallback: &str,
    errors: &mut crate::error::FieldErrors,
) -> (Option<Slug>, bool) {
    match given {
        Some(s) => (errors.check("slug", Slug::parse(s)), false),
        None => (Some(Slug::from_name(name, fallback)), true),
    }
}
