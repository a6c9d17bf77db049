//! Game scores' tables: identities, score events, ranked entries, and the anti-cheat flags and
//! submission counts written in the same batch transactions.

pub(crate) mod entries;
mod flags;

pub(crate) use entries::impl_score_store;
pub(crate) use flags::{flag_sort_column, impl_flag_store, meta_sort_column, read_review_inputs, write_review};
