//! `PATCH` bodies distinguish a field that is absent (leave it) from one that is `null` (clear
//! it) from one with a value (set it). [`Patch`] is that three-way choice.

use serde::{Deserialize, Deserializer};

use crate::error::FieldCode;
use crate::error::FieldErrors;

/// One field of a `PATCH` body. Use with `#[serde(default)]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Patch<T> {
    /// Not in the body: unchanged.
    #[default]
    Absent,
    /// `null`: cleared.
    Null,
    /// A new value.
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            None => Patch::Null,
            Some(v) => Patch::Value(v),
        })
    }
}

impl<T> Patch<T> {
    /// For a field that cannot be cleared: the new value, or `None` to leave it; `null`
    /// records `null_not_allowed`.
    pub fn required(self, field: &str, errors: &mut FieldErrors) -> Option<T> {
        match self {
            Patch::Absent => None,
            Patch::Null => {
                errors.add(field, FieldCode::NullNotAllowed);
                None
            }
            Patch::Value(v) => Some(v),
        }
    }

    /// For a field that can be cleared: `None` to leave it, `Some(None)` to clear it,
    /// `Some(Some(v))` to set it.
    pub fn optional(self) -> Option<Option<T>> {
        match self {
            Patch::Absent => None,
            Patch::Null => Some(None),
            Patch::Value(v) => Some(Some(v)),
        }
    }
}
