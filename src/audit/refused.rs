//! Refused requests (429) are accounted for cheaply: counted per client address and caller,
//! and written as one record per client and window with the count, no bodies. A flood of
//! refused requests then costs the audit log a row per minute, not a row (and a body) each.
use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::json;
use uuid::Uuid;

use super::writer::{AuditSink, Pending};
use crate::auth::Actor;

#[derive(Default)]
struct Tally {
    count: u64,
    first: Option<chrono::DateTime<chrono::Utc>>,
    last: Option<chrono::DateTime<chrono::Utc>>,
    actor: Option<Actor>,
}

/// Refusals counted since the last flush, per (client address, caller key).
#[derive(Default)]
pub struct Refused(Mutex<HashMap<(String, Option<String>), Tally>>);

/// The route template under which aggregated refusals are recorded.
pub const ROUTE: &str = "(rate limited)";

impl Refused {
    pub fn count(&self, client_ip: &str, actor: Option<&Actor>) {
        let now = crate::db::now();
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let tally = map
            .entry((client_ip.to_owned(), actor.map(Actor::key)))
            .or_default();
        tally.count += 1;
        tally.first.get_or_insert(now);
        tally.last = Some(now);
        if tally.actor.is_none() {
            tally.actor = actor.cloned();
        }
    }

    /// Writes one record per client and caller counted since the last flush.
    pub async fn flush(&self, sink: &AuditSink) {
        let drained: Vec<_> = {
            let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
            map.drain().collect()
        };
        for ((client_ip, _), tally) in drained {
            sink.submit(record(&client_ip, &tally)).await;
        }
    }
}

fn record(client_ip: &str, t: &Tally) -> Pending {
    let summary = json!({
        "refused": t.count,
        "first_at": t.first,
        "last_at": t.last,
    });
    let now = t.last.unwrap_or_else(crate::db::now);
    super::recorder::summary_record(super::recorder::Summary {
        request_id: Uuid::now_v7(),
        occurred_at: t.first.unwrap_or(now),
        actor: t.actor.as_ref(),
        client_ip,
        method: "*",
        route: ROUTE,
        status: 429,
        response: summary.to_string(),
    })
}
