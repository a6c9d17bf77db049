//! Game clients' tables: devices, client sessions and spent nonces, and the admin side of
//! identities.

mod sessions;

pub(crate) use sessions::impl_client_store;
