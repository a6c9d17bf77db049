//! Activity scores' domain types: the per-game policy document and the events an app reports,
//! with the outcomes and categories the rules answer in. The rules themselves live in
//! [`crate::activity`].

pub mod event;
pub mod flag;
pub mod policy;

pub use event::{Category, Event, EventKind, EventType, Key, KeyMap, KeySet, Outcome, Parsed, RoomStep};
pub use flag::{ActivityBadge, ActivityFlag};
pub use policy::Policy;
