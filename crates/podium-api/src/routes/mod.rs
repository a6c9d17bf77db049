//! One module per resource; each exposes `routes()` with its handlers and their OpenAPI
//! descriptions.

pub mod accounts;
pub mod api_keys;
pub mod boards;
pub mod client;
pub mod flags;
pub mod games;
pub mod health;
pub mod identities;
pub mod score_events;
pub mod scores;
pub mod users;
