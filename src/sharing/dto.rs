//! API types of the change feed.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::changes::Operation;
use crate::http::pagination::Limit;

/// One change of a shared resource.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeEvent {
    /// The feed position: consecutive integers from 1, in the order changes were committed.
    #[schema(example = 1042)]
    pub position: i64,
    /// The kind of resource: `institution`, `institution_status_change`, `teacher`.
    #[schema(example = "institution")]
    pub resource_type: String,
    /// The resource's id.
    #[schema(example = "01938a6e-8f1c-7c3a-9a55-5c1f0c1e2d3f")]
    pub resource_id: String,
    /// What happened.
    pub operation: Operation,
    /// The resource's version after the change (its ETag is `"v<version>"`).
    #[schema(example = 3)]
    pub version: i32,
    /// When the change was committed (RFC 3339, UTC).
    pub occurred_at: DateTime<Utc>,
    /// The resource as shared at that version (the same shape as its API representation, with
    /// personal data in full).
    #[schema(value_type = Object)]
    pub data: Value,
}

/// A page of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    /// Changes after `after`, in position order.
    pub items: Vec<ChangeEvent>,
    /// Pass as `after` to read on. It is the last item's position, or, when fewer changes than
    /// `limit` matched, the last position handed out so far (so a filtered read does not scan
    /// the same changes again).
    #[schema(example = 1042)]
    pub next_after: i64,
}

/// Where to read from, how much, and which kinds.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangeQuery {
    /// Read changes after this position (0, the default, reads from the start).
    #[param(minimum = 0, default = 0)]
    #[validate(range(min = 0))]
    pub after: Option<i64>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// Only these resource types, comma-separated (`institution,institution_status_change`).
    #[param(
        pattern = "^[a-z_]{1,64}(,[a-z_]{1,64}){0,15}$",
        example = "institution"
    )]
    #[validate(custom(function = "valid_types"))]
    pub types: Option<String>,
}

static TYPES: std::sync::LazyLock<regex_lite::Regex> = std::sync::LazyLock::new(|| {
    regex_lite::Regex::new("^[a-z_]{1,64}(,[a-z_]{1,64}){0,15}$").expect("static pattern")
});

fn valid_types(raw: &str) -> Result<(), validator::ValidationError> {
    if TYPES.is_match(raw) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("pattern")
            .with_message("must be up to 16 resource types, comma-separated".into()))
    }
}

impl ChangeQuery {
    pub fn type_list(&self) -> Vec<String> {
        self.types
            .as_deref()
            .map(|t| t.split(',').map(str::to_owned).collect())
            .unwrap_or_default()
    }
}
