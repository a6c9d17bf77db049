//! Request extractors that turn every malformed input into a problem document: JSON bodies
//! (400 malformed, 413 too large, 415 wrong type, 422 wrong shape with per-field errors), query
//! strings (422), path IDs (404 when malformed) and API-key authentication (401/403).

use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header;
use axum::http::request::Parts;
use podium_core::auth::Principal;
use podium_core::error::FieldCode;
use podium_core::error::FieldErrors;
use podium_core::error::{ErrorCode, ServiceError};
use serde::de::DeserializeOwned;

use crate::problem::ApiError;
use crate::state::AppState;

/// A JSON body deserialised into `T`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

fn is_json(content_type: &str) -> bool {
    let mime = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(ct) = req.headers().get(header::CONTENT_TYPE)
            && !ct.to_str().is_ok_and(is_json)
        {
            return Err(ApiError::new(ErrorCode::UnsupportedMediaType, "send the body as application/json"));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(ErrorCode::PayloadTooLarge, "the request body is larger than the server's limit")
            } else {
                ApiError::new(ErrorCode::InvalidJson, "the request body could not be read")
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses a JSON object body: syntax errors are 400, shape errors 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value = strict_value(bytes).map_err(|e| {
        let inner = e.inner();
        // A number too large for a double is well-formed JSON with an out-of-range value.
        if inner.to_string().starts_with("number out of range") {
            let field = key_before(bytes, inner.line(), inner.column()).unwrap_or_else(|| "body".to_owned());
            return ApiError(ServiceError::validation(FieldErrors::single(field, FieldCode::OutOfRange)));
        }
        // A key given twice in one object is ambiguous: refused, never "the last one wins".
        if inner.to_string().starts_with("duplicate key `") {
            let (field, code) = classify(&e.path().to_string(), &inner.to_string());
            return ApiError(ServiceError::validation(FieldErrors::single(field, code)));
        }
        ApiError::new(ErrorCode::InvalidJson, format!("the request body is not valid JSON: {inner}"))
    })?;
    // Every podium body is an object; serde would otherwise read a struct from an array.
    if !value.is_object() {
        return Err(ApiError(ServiceError::validation(FieldErrors::single("body", FieldCode::InvalidType))));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let (field, code) = classify(&path, &e.inner().to_string());
        ApiError(ServiceError::validation(FieldErrors::single(field, code)))
    })
}

/// Parses JSON text into a value, refusing an object that gives one key twice (the error
/// names the key, and its path names the object).
fn strict_value(bytes: &[u8]) -> Result<serde_json::Value, serde_path_to_error::Error<serde_json::Error>> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let Strict(value) = serde_path_to_error::deserialize(&mut de)?;
    de.end().map_err(|e| serde_path_to_error::Error::new(serde_path_to_error::Track::new().path(), e))?;
    Ok(value)
}

/// A JSON value read without losing duplicate keys silently.
struct Strict(serde_json::Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(Strict(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(serde_json::Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(serde::de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            let Strict(v) = map.next_value()?;
            object.insert(key, v);
        }
        Ok(serde_json::Value::Object(object))
    }
}

/// The object key whose value ends at (`line`, `column`) of `bytes`: the last `"key":` before it.
fn key_before(bytes: &[u8], line: usize, column: usize) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    let line_start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    let before = text.get(..(line_start + column).min(text.len()))?;
    let colon = before.rfind(':')?;
    let key_end = before[..colon].trim_end().strip_suffix('"')?;
    let key_start = key_end.rfind('"')?;
    Some(key_end[key_start + 1..].to_owned())
}

/// Maps a serde error message to a field name and a stable code.
fn classify(path: &str, message: &str) -> (String, FieldCode) {
    let named = |msg: &str, prefix: &str| -> Option<String> {
        let rest = msg.strip_prefix(prefix)?;
        let name = rest.split('`').next()?;
        // For an unknown field, serde_path_to_error's path already ends with the field.
        Some(if path == "." {
            name.to_owned()
        } else if path == name || path.ends_with(&format!(".{name}")) {
            path.to_owned()
        } else {
            format!("{path}.{name}")
        })
    };
    let here = if path == "." { "body".to_owned() } else { path.to_owned() };
    if let Some(field) = named(message, "missing field `") {
        (field, FieldCode::Required)
    } else if let Some(field) = named(message, "duplicate key `") {
        (field, FieldCode::Duplicate)
    } else if let Some(field) = named(message, "unknown field `") {
        (field, FieldCode::UnknownField)
    } else if message.starts_with("unknown variant") {
        (here, FieldCode::InvalidEnum)
    } else if message.starts_with("invalid type") || message.starts_with("invalid length") {
        (here, FieldCode::InvalidType)
    } else if message.contains("identifier") {
        (here, FieldCode::InvalidId)
    } else {
        (here, FieldCode::InvalidValue)
    }
}

/// A query string deserialised into `T`; unknown parameters are ignored, bad values are 422.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(ApiQuery).map_err(|e| {
            let path = e.path().to_string();
            let (field, code) = classify(&path, &e.inner().to_string());
            ApiError(ServiceError::validation(FieldErrors::single(field, code)))
        })
    }
}

/// A path ID of type `T`; a malformed ID is 404, like an unknown one.
#[derive(Debug)]
pub struct IdPath<T>(pub T);

impl<T: FromStr, S: Send + Sync> FromRequestParts<S> for IdPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let not_found = || ApiError(ServiceError::not_found("resource"));
        let Path(raw) = Path::<String>::from_request_parts(parts, state).await.map_err(|_| not_found())?;
        raw.parse().map(IdPath).map_err(|_| not_found())
    }
}

/// The caller of an admin route, authenticated by API key (`leadr-api-key: <key>` or
/// `authorization: Bearer <key>`).
#[derive(Debug, Clone, Copy)]
pub struct Admin(pub Principal);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header_value = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        let key = header_value("leadr-api-key").filter(|k| !k.is_empty()).or_else(|| {
            header_value("authorization").and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
        });
        let Some(key) = key else {
            return Err(ApiError(ServiceError::unauthorized(
                "send an API key in `leadr-api-key` or `authorization: Bearer`",
            )));
        };
        Ok(Admin(state.admin.authenticate(key).await?))
    }
}

/// The bearer token of `authorization: Bearer <token>`, if any.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get("authorization")?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// The caller of a client route: what its access token (`authorization: Bearer`) grants.
#[derive(Debug, Clone)]
pub struct Client(pub podium_core::service::ClientGrant);

impl FromRequestParts<AppState> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = bearer(&parts.headers) else {
            return Err(ApiError(ServiceError::unauthorized(
                "send the session's access token as `authorization: Bearer`",
            )));
        };
        Ok(Client(state.clients.authenticate(token).await?))
    }
}

/// The caller of a member route: the community member behind the token of
/// `authorization: Bearer` (read afresh, so role changes apply at once).
#[derive(Debug, Clone)]
pub struct Member(pub podium_core::service::community::MemberPrincipal);

impl FromRequestParts<AppState> for Member {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = bearer(&parts.headers) else {
            return Err(ApiError(ServiceError::unauthorized(
                "send the member token from POST /v1/community/login as `authorization: Bearer`",
            )));
        };
        Ok(Member(state.community.authenticate(token).await?))
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn an_out_of_range_number_is_attributed_to_its_key() {
        let body = br#"{"board_id": "x", "value": 1e400}"#;
        let err = super::parse_json::<serde_json::Value>(body).unwrap_err();
        assert_eq!(
            err.0.errors.unwrap().fields().get("value").unwrap(),
            &vec![podium_core::error::FieldCode::OutOfRange]
        );
    }

    #[test]
    fn a_key_given_twice_is_refused_where_it_repeats() {
        let field = |body: &[u8]| {
            let err = super::parse_json::<serde_json::Value>(body).unwrap_err();
            err.0.errors.unwrap().fields().iter().map(|(f, c)| (f.clone(), c[0])).next().unwrap()
        };
        use podium_core::error::FieldCode::Duplicate;
        assert_eq!(field(br#"{"metrics": {"met_a": 1, "met_a": 2}}"#), ("metrics.met_a".into(), Duplicate));
        assert_eq!(field(br#"{"name": "a", "name": "b"}"#), ("name".into(), Duplicate));
        assert_eq!(field(br#"{"x": [{"k": 1, "k": 1}]}"#), ("x[0].k".into(), Duplicate));
        let ok = super::parse_json::<serde_json::Value>(br#"{"a": {"k": 1}, "b": {"k": 2.5, "n": null}}"#).unwrap();
        assert_eq!(ok["b"]["k"], 2.5);
    }

    #[test]
    fn serde_messages_map_to_stable_codes() {
        let classify = |path: &str, message: &str| {
            let (field, code) = super::classify(path, message);
            (field, code.as_str())
        };
        assert_eq!(classify(".", "missing field `name`"), ("name".into(), "required"));
        assert_eq!(classify("ratio_config", "missing field `scale`"), ("ratio_config.scale".into(), "required"));
        assert_eq!(classify(".", "unknown field `nmae`, expected one of"), ("nmae".into(), "unknown_field"));
        assert_eq!(classify("nmae", "unknown field `nmae`, expected one of"), ("nmae".into(), "unknown_field"));
        assert_eq!(
            classify("anti_cheat.x", "unknown field `x`, expected one of"),
            ("anti_cheat.x".into(), "unknown_field")
        );
        assert_eq!(
            classify("board_type", "unknown variant `X`, expected one of"),
            ("board_type".into(), "invalid_enum")
        );
        assert_eq!(classify("name", "invalid type: integer `1`, expected a string"), ("name".into(), "invalid_type"));
        assert_eq!(classify(".", "invalid type: sequence, expected struct X"), ("body".into(), "invalid_type"));
        assert_eq!(classify("game_id", "not a valid `gam_…` identifier"), ("game_id".into(), "invalid_id"));
    }
}
