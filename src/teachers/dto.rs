//! API types of teachers. Every rule of a field lives in its domain type.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::domain::{CalendarDate, Label, LongText, Name, PersonName};
use crate::http::pagination::{Cursor, Limit};

/// The most qualifications and specialities one teacher lists.
pub const MAX_ITEMS: u64 = 20;

/// One qualification certificate of a teacher.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Qualification {
    /// What the certificate is.
    #[schema(example = "注册安全工程师")]
    pub name: Name,
    /// Its number.
    #[schema(example = "0044123")]
    pub number: Label,
    /// Who issued it.
    #[schema(example = "广东省人力资源和社会保障厅")]
    pub issued_by: Name,
    /// Its last day of validity; null or absent for one without expiry.
    #[serde(default)]
    #[schema(required = true)]
    pub valid_until: Option<CalendarDate>,
}

/// The body of a create call: the teacher's profile. The photo is uploaded separately.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeacherCreate {
    /// The institution the teacher teaches for: the caller's own.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub institution_id: Uuid,
    /// Full name.
    pub name: PersonName,
    /// Professional title (职称).
    pub title: Label,
    /// Qualification certificates (up to 20).
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    pub qualifications: Vec<Qualification>,
    /// Fields taught (up to 20).
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    pub specialities: Vec<Label>,
    /// A short biography.
    pub biography: LongText,
}

/// The body of an update: only the fields to change (at least one). The institution cannot
/// change.
#[derive(Debug, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1)]
pub struct TeacherUpdate {
    /// Full name.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub name: Option<PersonName>,
    /// Professional title (职称).
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub title: Option<Label>,
    /// Qualification certificates (up to 20); replaces the list.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[validate(length(max = 20))]
    #[schema(nullable = false, max_items = 20)]
    pub qualifications: Option<Vec<Qualification>>,
    /// Fields taught (up to 20); replaces the list.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[validate(length(max = 20))]
    #[schema(nullable = false, max_items = 20)]
    pub specialities: Option<Vec<Label>>,
    /// A short biography.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub biography: Option<LongText>,
}

/// A teacher's photo as stored: facts read from the file, never from the client.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Photo {
    /// `image/jpeg` or `image/png`, from the file's content.
    #[schema(example = "image/jpeg")]
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the file, hex.
    #[schema(example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    pub sha256: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// When it was uploaded.
    pub uploaded_at: DateTime<Utc>,
}

/// A teacher as the institution and its regulators see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Teacher {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The institution the teacher teaches for.
    pub institution_id: Uuid,
    /// The institution's city module.
    #[schema(example = "440100")]
    pub city_code: String,
    /// Full name.
    #[schema(example = "王五")]
    pub name: String,
    /// Professional title (职称).
    #[schema(example = "高级工程师")]
    pub title: String,
    /// Qualification certificates.
    pub qualifications: Vec<Qualification>,
    /// Fields taught.
    #[schema(example = json!(["危险化学品安全", "电工作业"]))]
    pub specialities: Vec<String>,
    /// A short biography.
    pub biography: String,
    /// The photo; null until one is uploaded (`PUT /teachers/{id}/photo`).
    #[schema(required = true)]
    pub photo: Option<Photo>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Filters of the teacher list; ordered by creation (id).
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TeacherListQuery {
    /// Only this institution's (within the caller's scope).
    #[serde(default, deserialize_with = "crate::http::extract::optional_uuid")]
    #[param(value_type = Option<String>, format = Uuid)]
    pub institution_id: Option<Uuid>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Cursor>,
}

/// A teacher id in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TeacherPath {
    /// The teacher's id.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub id: Uuid,
}

crate::http::pagination::page_schema!(TeacherPage, Teacher);
