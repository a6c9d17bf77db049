//! Client geography from a MaxMind City database (`PODIUM_GEOIP_DB`): the file is read into
//! memory once at start-up; a lookup that finds nothing (or an address family the database
//! does not cover) leaves every field null.

use std::net::IpAddr;
use std::sync::Arc;

use anyhow::Context;
use maxminddb::geoip2;
use podium_api::edge::{GeoLookup, NoGeo};
use podium_core::service::Geo;

/// A MaxMind database in memory.
pub struct MaxMind {
    reader: maxminddb::Reader<Vec<u8>>,
}

impl MaxMind {
    /// Opens a `.mmdb` file.
    pub fn open(path: &str) -> anyhow::Result<Self> {
        let reader =
            maxminddb::Reader::open_readfile(path).with_context(|| format!("cannot read the GeoIP database {path}"))?;
        Ok(Self { reader })
    }
}

impl GeoLookup for MaxMind {
    fn lookup(&self, ip: IpAddr) -> Geo {
        let found = self.reader.lookup(ip).ok().and_then(|r| r.decode::<geoip2::City<'_>>().ok().flatten());
        match found {
            Some(c) => Geo {
                timezone: c.location.time_zone.map(str::to_owned),
                country: c.country.iso_code.map(str::to_owned),
                city: c.city.names.english.map(str::to_owned),
            },
            None => Geo { timezone: None, country: None, city: None },
        }
    }
}

/// The lookup for a node: the configured database, or none (logged once).
pub fn from_config(path: Option<&str>) -> anyhow::Result<Arc<dyn GeoLookup>> {
    match path.map(str::trim).filter(|p| !p.is_empty()) {
        Some(path) => {
            let db = MaxMind::open(path)?;
            tracing::info!(path, "GeoIP database loaded");
            Ok(Arc::new(db))
        }
        None => {
            tracing::info!("no GeoIP database (PODIUM_GEOIP_DB): client timezone, country and city stay null");
            Ok(Arc::new(NoGeo))
        }
    }
}
