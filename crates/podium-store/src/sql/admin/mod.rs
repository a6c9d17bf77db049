//! The admin resources' tables: accounts, users, API keys, games, boards and board templates.

pub(crate) mod accounts;
pub(crate) mod api_keys;
mod boards;
mod games;
mod templates;
pub(crate) mod users;

pub(crate) use accounts::impl_account_store;
pub(crate) use api_keys::impl_api_key_store;
pub(crate) use boards::impl_board_store;
pub(crate) use games::impl_game_store;
pub(crate) use templates::impl_template_store;
pub(crate) use users::impl_user_store;
