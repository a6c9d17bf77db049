//! Player names: how a submitted name is checked and how two names are compared (the
//! normalised key the player-name check and its index use).

use crate::error::FieldCode;
use crate::error::FieldErrors;

pub(super) fn text_field(errors: &mut FieldErrors, field: &str, value: Option<String>, max: usize) -> Option<String> {
    let value = value?.trim().to_owned();
    if value.is_empty() {
        return None;
    }
    if value.chars().count() > max {
        errors.add(field, FieldCode::TooLong);
    } else if value.chars().any(char::is_control) {
        errors.add(field, FieldCode::InvalidCharacters);
    }
    Some(value)
}

/// Checks a player name: 1–64 characters after trimming, no control characters.
pub fn player_name(raw: &str) -> Result<String, FieldCode> {
    let name = raw.trim();
    if name.is_empty() {
        Err(FieldCode::Blank)
    } else if name.chars().count() > 64 {
        Err(FieldCode::TooLong)
    } else if name.chars().any(char::is_control) {
        Err(FieldCode::InvalidCharacters)
    } else {
        Ok(name.to_owned())
    }
}

/// The form of a player name that uniqueness compares: trimmed, inner runs of whitespace
/// collapsed to one space, lower-cased (Unicode).
pub fn name_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}
