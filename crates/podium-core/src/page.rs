//! One pagination scheme for every list: the sort syntax, keyset cursors that are opaque and
//! tamper-evident (HMAC-signed) and bound to the sort and filters they were issued for, and the
//! envelope's `pagination` block.
//!
//! A list call goes: [`PageRequest::prepare`] (parse `limit`, `sort`, `cursor`) → the store
//! fetches `limit + 1` rows past the keyset in the traversal direction → [`PageRequest::finish`]
//! trims, orders and signs the next/previous cursors.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::FieldCode;
use crate::error::FieldErrors;
use crate::error::{ErrorCode, ServiceError, ServiceResult};

/// Default page size.
pub const DEFAULT_LIMIT: u32 = 20;
/// Largest page size.
pub const MAX_LIMIT: u32 = 100;

/// Ascending or descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// One `field:dir` term of a sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    /// A field from the resource's whitelist; the store uses it as the column name.
    pub field: &'static str,
    /// Its direction.
    pub direction: Direction,
}

/// A validated sort: whitelisted fields, no repeats, always ending with `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort(Vec<SortKey>);

impl Sort {
    /// Parses `field:asc|desc[,field:dir…]` against `allowed` (which need not list `id`).
    /// A term without a direction is ascending. `None` or empty means `default`.
    pub fn parse(input: Option<&str>, allowed: &[&'static str], default: &str) -> ServiceResult<Self> {
        let text = match input.map(str::trim) {
            Some(t) if !t.is_empty() => t,
            _ => default,
        };
        let mut keys: Vec<SortKey> = Vec::new();
        for term in text.split(',') {
            let (name, dir) = match term.trim().split_once(':') {
                Some((n, d)) => (n.trim(), Some(d.trim())),
                None => (term.trim(), None),
            };
            let field =
                allowed.iter().chain(std::iter::once(&"id")).find(|f| **f == name).copied().ok_or_else(|| {
                    ServiceError::new(
                        ErrorCode::InvalidSort,
                        format!("cannot sort by `{name}`; sortable fields: {}, id", allowed.join(", ")),
                    )
                })?;
            let direction = match dir {
                None | Some("asc") => Direction::Asc,
                Some("desc") => Direction::Desc,
                Some(other) => {
                    return Err(ServiceError::new(
                        ErrorCode::InvalidSort,
                        format!("sort direction `{other}` is not `asc` or `desc`"),
                    ));
                }
            };
            if keys.iter().any(|k| k.field == field) {
                return Err(ServiceError::new(ErrorCode::InvalidSort, format!("`{field}` appears twice in the sort")));
            }
            keys.push(SortKey { field, direction });
        }
        if !keys.iter().any(|k| k.field == "id") {
            let direction = keys.last().map_or(Direction::Asc, |k| k.direction);
            keys.push(SortKey { field: "id", direction });
        }
        Ok(Self(keys))
    }

    /// The terms, `id` last.
    pub fn keys(&self) -> &[SortKey] {
        &self.0
    }

    /// The canonical text form (used to bind cursors to their sort).
    pub fn canonical(&self) -> String {
        self.0
            .iter()
            .map(|k| format!("{}:{}", k.field, if k.direction == Direction::Asc { "asc" } else { "desc" }))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The value of one sort field of one row, as the store compares it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SortValue {
    /// Text, compared bytewise.
    #[serde(rename = "s")]
    Text(String),
    /// An integer (timestamps are microseconds).
    #[serde(rename = "i")]
    Int(i64),
    /// A float.
    #[serde(rename = "f")]
    Float(f64),
    /// A boolean (false < true).
    #[serde(rename = "b")]
    Bool(bool),
}

/// Rows that can be listed expose their sort values by field name.
pub trait Sortable {
    /// The value of `field` (one of the resource's sortable fields, or `id`).
    fn sort_value(&self, field: &str) -> SortValue;
}

/// Which way a page walks from its keyset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Traversal {
    /// Rows after the keyset, in sort order.
    #[serde(rename = "n")]
    Forward,
    /// Rows before the keyset, in reverse sort order.
    #[serde(rename = "p")]
    Backward,
}

/// A position in a sorted list: the sort values of a boundary row.
#[derive(Debug, Clone, PartialEq)]
pub struct Keyset {
    /// One value per sort key.
    pub values: Vec<SortValue>,
    /// Which side of the boundary to read.
    pub traversal: Traversal,
}

/// Raw list parameters as they arrive in a query string.
#[derive(Debug, Clone, Default)]
pub struct ListParams {
    /// `cursor=`
    pub cursor: Option<String>,
    /// `limit=` (unparsed, so a bad value is a 422 naming the field).
    pub limit: Option<String>,
    /// `sort=`
    pub sort: Option<String>,
}

/// What a store needs to fetch one page: `limit + 1` rows past `keyset` in `sort` order.
#[derive(Debug, Clone)]
pub struct PageRequest {
    /// The sort, ending with `id`.
    pub sort: Sort,
    /// The boundary, if any.
    pub keyset: Option<Keyset>,
    /// The page size the caller asked for; stores fetch one more.
    pub limit: u32,
    fingerprint: [u8; 8],
}

impl PageRequest {
    /// Parses list parameters for a resource. `scope` names the resource and every filter
    /// value in canonical form; a cursor only works again with the same scope and sort.
    pub fn prepare(
        params: &ListParams,
        allowed_sort: &[&'static str],
        default_sort: &str,
        scope: &str,
        codec: &CursorCodec,
    ) -> ServiceResult<Self> {
        let limit = parse_limit(params.limit.as_deref())?;
        let sort = Sort::parse(params.sort.as_deref(), allowed_sort, default_sort)?;
        let fingerprint = fingerprint(scope, &sort);
        let keyset = match params.cursor.as_deref() {
            None | Some("") => None,
            Some(token) => Some(codec.decode(token, fingerprint, sort.keys().len())?),
        };
        Ok(Self { sort, keyset, limit, fingerprint })
    }

    /// A signed cursor for a boundary with these sort values (for pages not built by
    /// [`Self::finish`], such as rank-ordered pages read from the engine).
    pub fn sign(&self, values: Vec<SortValue>, traversal: Traversal, codec: &CursorCodec) -> String {
        codec.encode(self.fingerprint, &Keyset { values, traversal })
    }

    /// How many rows the store should fetch.
    pub fn fetch_limit(&self) -> u32 {
        self.limit + 1
    }

    /// Turns the rows a store fetched (in traversal order) into a page.
    pub fn finish<T: Sortable>(&self, mut rows: Vec<T>, codec: &CursorCodec) -> Page<T> {
        let more = rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        let (has_next, has_prev) = match self.keyset.as_ref().map(|k| k.traversal) {
            None => (more, false),
            Some(Traversal::Forward) => (more, true),
            Some(Traversal::Backward) => {
                rows.reverse();
                (true, more)
            }
        };
        let cursor = |row: &T, traversal| {
            let values = self.sort.keys().iter().map(|k| row.sort_value(k.field)).collect();
            codec.encode(self.fingerprint, &Keyset { values, traversal })
        };
        let next_cursor = if has_next { rows.last().map(|r| cursor(r, Traversal::Forward)) } else { None };
        let prev_cursor = if has_prev { rows.first().map(|r| cursor(r, Traversal::Backward)) } else { None };
        Page {
            pagination: Pagination {
                has_next: next_cursor.is_some(),
                has_prev: prev_cursor.is_some(),
                next_cursor,
                prev_cursor,
                count: rows.len(),
            },
            data: rows,
        }
    }
}

fn parse_limit(raw: Option<&str>) -> ServiceResult<u32> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_LIMIT);
    };
    let value: i64 = raw.trim().parse().map_err(|_| ServiceError::field("limit", FieldCode::InvalidType))?;
    if !(1..=i64::from(MAX_LIMIT)).contains(&value) {
        let mut errors = FieldErrors::new();
        errors.add("limit", FieldCode::OutOfRange);
        return Err(ServiceError::validation(errors));
    }
    Ok(value as u32)
}

fn fingerprint(scope: &str, sort: &Sort) -> [u8; 8] {
    let digest =
        Sha256::new().chain_update(scope.as_bytes()).chain_update(b"\x00").chain_update(sort.canonical()).finalize();
    let mut out = [0u8; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

/// One page of a list and its `pagination` block.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows, in sort order.
    pub data: Vec<T>,
    /// Cursors and counts.
    pub pagination: Pagination,
}

impl<T> Page<T> {
    /// A page of `data` with the cursors to its neighbours (`None` where there is none).
    pub fn with_cursors(data: Vec<T>, next_cursor: Option<String>, prev_cursor: Option<String>) -> Self {
        Page {
            pagination: Pagination {
                has_next: next_cursor.is_some(),
                has_prev: prev_cursor.is_some(),
                next_cursor,
                prev_cursor,
                count: data.len(),
            },
            data,
        }
    }

    /// Converts every row, keeping the pagination.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { data: self.data.into_iter().map(f).collect(), pagination: self.pagination }
    }
}

/// The `pagination` block of the list envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Pagination {
    /// Cursor for the page after this one, or null on the last page.
    pub next_cursor: Option<String>,
    /// Cursor for the page before this one, or null on the first page.
    pub prev_cursor: Option<String>,
    /// Whether a next page exists.
    pub has_next: bool,
    /// Whether a previous page exists.
    pub has_prev: bool,
    /// Number of items in `data`.
    pub count: usize,
}

#[derive(Serialize, Deserialize)]
struct CursorBody {
    f: String,
    t: Traversal,
    v: Vec<SortValue>,
}

/// Signs and verifies cursors with a secret shared by every node (kept in the store).
#[derive(Clone)]
pub struct CursorCodec {
    mac: HmacSha256,
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec(..)")
    }
}

type HmacSha256 = Hmac<Sha256>;

impl CursorCodec {
    /// A codec with the given secret (HMAC accepts keys of any length, so this only fails if
    /// the MAC implementation itself refuses the key).
    pub fn new(secret: &[u8]) -> Result<Self, hmac::digest::InvalidLength> {
        Ok(Self { mac: <HmacSha256 as KeyInit>::new_from_slice(secret)? })
    }

    fn mac(&self, payload: &[u8]) -> HmacSha256 {
        let mut mac = self.mac.clone();
        mac.update(payload);
        mac
    }

    fn encode(&self, fingerprint: [u8; 8], keyset: &Keyset) -> String {
        let body = CursorBody { f: hex(&fingerprint), t: keyset.traversal, v: keyset.values.clone() };
        let payload = serde_json::to_vec(&body).unwrap_or_default();
        let tag = self.mac(&payload).finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(&tag[..16]))
    }

    fn decode(&self, token: &str, fingerprint: [u8; 8], arity: usize) -> ServiceResult<Keyset> {
        let invalid = || ServiceError::new(ErrorCode::InvalidCursor, "the cursor is malformed or was modified");
        let (payload, tag) = token.split_once('.').ok_or_else(invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
        self.mac(&payload).verify_truncated_left(&tag).map_err(|_| invalid())?;
        if tag.len() != 16 {
            return Err(invalid());
        }
        let body: CursorBody = serde_json::from_slice(&payload).map_err(|_| invalid())?;
        if body.f != hex(&fingerprint) {
            return Err(ServiceError::new(
                ErrorCode::CursorMismatch,
                "the cursor was issued for another sort or filter; start again without it",
            ));
        }
        if body.v.len() != arity {
            return Err(invalid());
        }
        Ok(Keyset { values: body.v, traversal: body.t })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Row(i64);
    impl Sortable for Row {
        fn sort_value(&self, field: &str) -> SortValue {
            match field {
                "n" => SortValue::Int(self.0),
                _ => SortValue::Text(format!("{:05}", self.0)),
            }
        }
    }

    fn params(cursor: Option<String>) -> ListParams {
        ListParams { cursor, limit: Some("2".into()), sort: Some("n:desc".into()) }
    }

    #[test]
    fn sort_defaults_append_id_as_last_tie_breaker() {
        let sort = Sort::parse(None, &["name", "created_at"], "created_at:desc").unwrap();
        assert_eq!(sort.canonical(), "created_at:desc,id:desc");
    }

    #[test]
    fn an_unknown_sort_field_or_direction_is_rejected() {
        assert_eq!(Sort::parse(Some("nope:asc"), &["name"], "name").unwrap_err().code, ErrorCode::InvalidSort);
        assert_eq!(Sort::parse(Some("name:up"), &["name"], "name").unwrap_err().code, ErrorCode::InvalidSort);
        assert_eq!(Sort::parse(Some("name,name"), &["name"], "name").unwrap_err().code, ErrorCode::InvalidSort);
    }

    #[test]
    fn a_cursor_round_trips_and_a_flipped_byte_is_detected() {
        let codec = CursorCodec::new(b"secret").unwrap();
        let req = PageRequest::prepare(&params(None), &["n"], "n:desc", "rows", &codec).unwrap();
        let page = req.finish(vec![Row(9), Row(8), Row(7)], &codec);
        assert_eq!(page.data, vec![Row(9), Row(8)]);
        let next = page.pagination.next_cursor.unwrap();
        let req2 = PageRequest::prepare(&params(Some(next.clone())), &["n"], "n:desc", "rows", &codec).unwrap();
        assert_eq!(req2.keyset.unwrap().values[0], SortValue::Int(8));

        let mut bytes = next.into_bytes();
        bytes[3] ^= 1;
        let tampered = String::from_utf8(bytes).unwrap();
        let err = PageRequest::prepare(&params(Some(tampered)), &["n"], "n:desc", "rows", &codec).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidCursor);
    }

    #[test]
    fn a_cursor_reused_with_another_scope_is_a_mismatch() {
        let codec = CursorCodec::new(b"secret").unwrap();
        let req = PageRequest::prepare(&params(None), &["n"], "n:desc", "rows?a=1", &codec).unwrap();
        let next = req.finish(vec![Row(3), Row(2), Row(1)], &codec).pagination.next_cursor.unwrap();
        let err = PageRequest::prepare(&params(Some(next)), &["n"], "n:desc", "rows?a=2", &codec).unwrap_err();
        assert_eq!(err.code, ErrorCode::CursorMismatch);
    }

    #[test]
    fn limit_outside_one_to_a_hundred_is_a_validation_error() {
        for bad in ["0", "101", "-1", "x"] {
            let p = ListParams { limit: Some(bad.into()), ..Default::default() };
            let err = PageRequest::prepare(&p, &[], "id", "s", &CursorCodec::new(b"k").unwrap()).unwrap_err();
            assert_eq!(err.code, ErrorCode::ValidationFailed, "{bad}");
        }
    }
}
