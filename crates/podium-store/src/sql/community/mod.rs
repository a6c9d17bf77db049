//! The community surface's tables: members and their tokens today.

mod members;

pub(crate) use members::impl_member_store;
