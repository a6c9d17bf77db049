//! A tiny MaxMind DB writer, so tests can build a GeoIP City database of their own (format:
//! MaxMind DB spec 2.0 — a binary search tree over address bits, a 16-byte separator, a data
//! section, then the metadata map after `\xAB\xCD\xEFMaxMind.com`). IPv4 only, 24-bit records.

use std::net::Ipv4Addr;

/// One network and what a City database says about it.
#[derive(Debug, Clone)]
pub struct CityRecord {
    /// First address of the network.
    pub network: Ipv4Addr,
    /// Prefix length (0–32).
    pub prefix: u8,
    /// ISO country code.
    pub country: &'static str,
    /// English city name.
    pub city: &'static str,
    /// IANA time zone.
    pub time_zone: &'static str,
}

fn control(out: &mut Vec<u8>, kind: u8, size: usize) {
    assert!(size < 29, "only short values are written");
    if kind <= 7 {
        out.push((kind << 5) | size as u8);
    } else {
        out.push(size as u8);
        out.push(kind - 7);
    }
}

fn string(out: &mut Vec<u8>, s: &str) {
    control(out, 2, s.len());
    out.extend_from_slice(s.as_bytes());
}

fn uint(out: &mut Vec<u8>, kind: u8, v: u64) {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    control(out, kind, 8 - skip);
    out.extend_from_slice(&bytes[skip..]);
}

fn map(out: &mut Vec<u8>, n: usize) {
    control(out, 7, n);
}

fn names(out: &mut Vec<u8>, english: &str) {
    string(out, "names");
    map(out, 1);
    string(out, "en");
    string(out, english);
}

fn city_record(r: &CityRecord) -> Vec<u8> {
    let mut out = Vec::new();
    map(&mut out, 3);
    string(&mut out, "city");
    map(&mut out, 1);
    names(&mut out, r.city);
    string(&mut out, "country");
    map(&mut out, 1);
    string(&mut out, "iso_code");
    string(&mut out, r.country);
    string(&mut out, "location");
    map(&mut out, 1);
    string(&mut out, "time_zone");
    string(&mut out, r.time_zone);
    out
}

#[derive(Clone, Copy)]
enum Rec {
    Empty,
    Node(usize),
    Data(usize),
}

/// The bytes of a City database holding `records`.
pub fn city_database(records: &[CityRecord]) -> Vec<u8> {
    let mut nodes: Vec<[Rec; 2]> = vec![[Rec::Empty, Rec::Empty]];
    let mut data = Vec::new();
    for r in records {
        let offset = data.len();
        data.extend(city_record(r));
        let bits = u32::from(r.network);
        let mut node = 0;
        for depth in 0..r.prefix {
            let bit = ((bits >> (31 - depth)) & 1) as usize;
            if depth + 1 == r.prefix {
                nodes[node][bit] = Rec::Data(offset);
            } else {
                node = match nodes[node][bit] {
                    Rec::Node(n) => n,
                    _ => {
                        nodes.push([Rec::Empty, Rec::Empty]);
                        let n = nodes.len() - 1;
                        nodes[node][bit] = Rec::Node(n);
                        n
                    }
                };
            }
        }
    }
    let count = nodes.len();
    let mut out = Vec::new();
    for node in &nodes {
        for rec in node {
            let v = match *rec {
                Rec::Empty => count,
                Rec::Node(n) => n,
                Rec::Data(offset) => count + 16 + offset,
            } as u32;
            out.extend_from_slice(&v.to_be_bytes()[1..]);
        }
    }
    out.extend_from_slice(&[0u8; 16]);
    out.extend(data);
    out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
    map(&mut out, 9);
    string(&mut out, "node_count");
    uint(&mut out, 6, count as u64);
    string(&mut out, "record_size");
    uint(&mut out, 5, 24);
    string(&mut out, "ip_version");
    uint(&mut out, 5, 4);
    string(&mut out, "database_type");
    string(&mut out, "GeoIP2-City");
    string(&mut out, "languages");
    control(&mut out, 11, 1);
    string(&mut out, "en");
    string(&mut out, "binary_format_major_version");
    uint(&mut out, 5, 2);
    string(&mut out, "binary_format_minor_version");
    uint(&mut out, 5, 0);
    string(&mut out, "build_epoch");
    uint(&mut out, 9, 1_700_000_000);
    string(&mut out, "description");
    map(&mut out, 1);
    string(&mut out, "en");
    string(&mut out, "podium test database");
    out
}
