//! API types of announcements.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::domain::{CityCode, LongText, Name, Reason};
use crate::http::pagination::{Cursor, Limit};

/// Where an announcement stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AnnouncementStatus)]
pub enum Status {
    Draft,
    Submitted,
    Approved,
    /// Sent back to its author by the reviewer, with the reason.
    Returned,
    Published,
    Withdrawn,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::Approved => "approved",
            Status::Returned => "returned",
            Status::Published => "published",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn from_db(s: &str) -> Self {
        match s {
            "submitted" => Status::Submitted,
            "approved" => Status::Approved,
            "returned" => Status::Returned,
            "published" => Status::Published,
            "withdrawn" => Status::Withdrawn,
            _ => Status::Draft,
        }
    }
}

/// A new announcement (a draft).
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementCreate {
    /// The title.
    pub title: Name,
    /// The text (plain text).
    pub content: LongText,
    /// The city it is published in (a city admin: its own); none for province-wide (province
    /// admins) or platform-wide (platform operators, who publish only platform-wide).
    #[schema(required = false)]
    pub city_code: Option<CityCode>,
}

/// The body of an edit: only the fields to change (at least one). Where it is published
/// (`city_code`) decides who handles it and cannot change: write a new one instead.
#[derive(Debug, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1)]
pub struct AnnouncementUpdate {
    /// The title.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub title: Option<Name>,
    /// The text (plain text).
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub content: Option<LongText>,
}

/// A move of an announcement's review.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementStatusRequest {
    /// `submitted` (the author), `approved` or `returned` (a reviewer who is not the
    /// author), `published` (after approval), `withdrawn` (once published).
    pub status: Status,
    /// Why (needed to return or withdraw).
    pub reason: Option<Reason>,
}

/// A move as kept.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnnouncementStatusChange {
    /// The status before…
    pub from_status: Status,
    /// …and after.
    pub to_status: Status,
    /// Why.
    #[schema(required = true)]
    pub reason: Option<String>,
    /// Who moved it.
    pub actor_subject: String,
    /// With which role.
    pub actor_role: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// An announcement as its authors and reviewers see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Announcement {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The title.
    pub title: String,
    /// The text.
    pub content: String,
    /// The city it is published in; none: province- or platform-wide.
    #[schema(required = true)]
    pub city_code: Option<String>,
    /// Where it stands.
    pub status: Status,
    /// Who wrote it.
    pub author_subject: String,
    /// The author's role: `province_admin`, `city_admin` or `platform_operator`.
    pub author_role: String,
    /// When it was published.
    #[schema(required = true)]
    pub published_at: Option<DateTime<Utc>>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Every move of its review, oldest first.
    pub history: Vec<AnnouncementStatusChange>,
}

/// A published announcement, for anyone.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicAnnouncement {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The title.
    pub title: String,
    /// The text.
    pub content: String,
    /// The city it concerns; none: the whole province (or the platform).
    #[schema(required = true)]
    pub city_code: Option<String>,
    /// Who issued it: `province_admin`, `city_admin` or `platform_operator`.
    pub issued_by: String,
    /// When it was published.
    pub published_at: DateTime<Utc>,
}

/// Filters of the announcement list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnnouncementListQuery {
    /// Only those in this status.
    pub status: Option<Status>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Cursor>,
}

/// Filters of the public list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PublicAnnouncementQuery {
    /// Those of this city and those for the whole province or platform.
    pub city: Option<CityCode>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Cursor>,
}

/// An announcement id in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AnnouncementPath {
    /// The announcement's id.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub id: Uuid,
}

crate::http::pagination::page_schema!(AnnouncementPage, Announcement);
crate::http::pagination::page_schema!(PublicAnnouncementPage, PublicAnnouncement);
