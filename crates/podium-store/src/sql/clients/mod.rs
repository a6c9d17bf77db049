//! Game clients' tables: devices, client sessions and spent nonces, and the admin side of
//! identities.

mod devices;
mod sessions;

pub(crate) use devices::impl_device_store;
pub(crate) use sessions::impl_client_store;
