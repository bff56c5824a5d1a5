//! Tamper evidence: the hashes that link records into one SHA-256 chain.
use sha2::{Digest, Sha256};

use super::entity;

/// The `prev_hash` of the first record ever sealed.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 over every stored field of the record except its row id and the hash columns.
/// Each field is length-prefixed (absent fields have their own marker), so no two different
/// records hash the same input. The issuer, added later, is hashed only when present, so the
/// records written before it keep their hashes.
pub fn content_hash(m: &entity::Model) -> String {
    let mut h = Sha256::new();
    let mut field = |value: Option<&[u8]>| match value {
        Some(bytes) => {
            h.update([1u8]);
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        }
        None => h.update([0u8]),
    };
    let request_id = m.request_id.to_string();
    let occurred_at = m
        .occurred_at
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let institution = m.actor_institution.map(|i| i.to_string());
    let (status, latency) = (m.status.to_string(), m.latency_us.to_string());
    field(Some(request_id.as_bytes()));
    field(Some(occurred_at.as_bytes()));
    for text in [&m.actor_subject, &m.actor_role, &m.actor_city, &institution] {
        field(text.as_deref().map(str::as_bytes));
    }
    for text in [&m.client_ip, &m.method, &m.route] {
        field(Some(text.as_bytes()));
    }
    for text in [&m.resource_type, &m.resource_id, &m.resource_city] {
        field(text.as_deref().map(str::as_bytes));
    }
    field(Some(status.as_bytes()));
    field(Some(latency.as_bytes()));
    field(m.request_body.as_deref().map(str::as_bytes));
    field(m.response_body.as_deref().map(str::as_bytes));
    if let Some(issuer) = &m.actor_issuer {
        field(Some(issuer.as_bytes()));
    }
    hex::encode(h.finalize())
}

/// The chain hash of a record: SHA-256 of the previous chain hash and its content hash.
pub fn link(prev: &str, content: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(content.as_bytes());
    hex::encode(h.finalize())
}
