//! What the rating endpoints take and answer.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::domain::{Invalid, LongText, Reason};
use crate::error::FieldError;
use crate::http::pagination::{Cursor, Limit};

/// A score from 1 (poor) to 5 (excellent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Score(u8);

impl Score {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 5;

    pub fn parse(n: i64) -> Result<Self, Invalid> {
        if (i64::from(Self::MIN)..=i64::from(Self::MAX)).contains(&n) {
            Ok(Self(n as u8))
        } else {
            Err(Invalid::new("range", "must be 1 to 5"))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Score {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = crate::domain::whole(d, "an integer from 1 to 5")?;
        Self::parse(n).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Score {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(Score::MIN))
            .maximum(Some(Score::MAX))
            .description(Some("A score from 1 (poor) to 5 (excellent)"))
            .examples([serde_json::json!(4)])
            .into()
    }
}

impl utoipa::ToSchema for Score {}

/// A learner's rating of the course version they studied.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingCreate {
    /// The course's content.
    pub content: Score,
    /// How the course is set up: its structure, length and courseware.
    pub settings: Score,
    /// The teacher.
    pub teacher: Score,
    /// A comment; screened, and held for a moderator when it contains a listed term.
    pub comment: Option<LongText>,
}

/// What became of a rating's comment.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum CommentStatus {
    /// The rating has no comment.
    #[sea_orm(string_value = "none")]
    None,
    /// Shown to everyone who reads the ratings.
    #[sea_orm(string_value = "visible")]
    Visible,
    /// Screening found listed terms: a platform operator decides; hidden until then.
    #[sea_orm(string_value = "held")]
    Held,
    /// A moderator removed it; the scores still count.
    #[sea_orm(string_value = "removed")]
    Removed,
}

/// One rating as answered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rating {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The course rated.
    pub course_id: Uuid,
    /// The version rated (the one published when the learner rated it).
    pub version_number: i32,
    /// The content score.
    pub content: Score,
    /// The settings score.
    pub settings: Score,
    /// The teacher score.
    pub teacher: Score,
    /// The comment: null when there is none, or it is held or removed (platform operators
    /// see held and removed comments).
    pub comment: Option<String>,
    /// What became of the comment.
    pub comment_status: CommentStatus,
    /// The screening hits that held the comment (platform operators only; null otherwise).
    pub screening_hits: Option<Vec<FieldError>>,
    /// When it was rated.
    pub created_at: DateTime<Utc>,
}

/// The averages of one version's ratings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RatingSummary {
    /// The version.
    pub version_number: i32,
    /// How many ratings it has.
    pub ratings: u64,
    /// The average content score, two decimals.
    pub content: f64,
    /// The average settings score, two decimals.
    pub settings: f64,
    /// The average teacher score, two decimals.
    pub teacher: f64,
    /// The average of the three, two decimals: what the low-satisfaction flag compares.
    pub overall: f64,
}

/// A course's ratings: the averages of every version rated, and a page of the ratings.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseRatings {
    /// Averages per version rated, newest version first.
    pub summaries: Vec<RatingSummary>,
    /// The ratings of this page, oldest first.
    pub items: Vec<Rating>,
    /// Pass as `cursor` to read the next page; null on the last page.
    #[schema(required = true, example = json!(null))]
    pub next_cursor: Option<String>,
}

/// Paging of a course's ratings.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RatingListQuery {
    /// Only ratings of this version.
    pub version_number: Option<VersionNumber>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Cursor>,
}

/// A version number in a query (1–100000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct VersionNumber(i32);

impl VersionNumber {
    pub fn get(self) -> i32 {
        self.0
    }
}

impl<'de> Deserialize<'de> for VersionNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = i64::deserialize(d)?;
        if (1..=100_000).contains(&n) {
            Ok(Self(n as i32))
        } else {
            Err(serde::de::Error::custom(Invalid::new(
                "range",
                "must be 1 to 100000",
            )))
        }
    }
}

impl utoipa::PartialSchema for VersionNumber {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(100_000))
            .description(Some("A version number"))
            .into()
    }
}

impl utoipa::ToSchema for VersionNumber {}

/// A moderator's decision on a held comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommentDecision {
    /// Show it after all.
    Publish,
    /// Remove it (the scores still count).
    Remove,
}

/// A moderator's decision on a held comment.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentModeration {
    /// What becomes of the comment.
    pub decision: CommentDecision,
    /// Why (kept in the audit record).
    pub reason: Reason,
}

/// Where a low-satisfaction flag stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum FlagStatus {
    /// Waiting for a platform operator.
    #[sea_orm(string_value = "open")]
    Open,
    /// Confirmed: the course was suspended for update.
    #[sea_orm(string_value = "taken_down")]
    TakenDown,
    /// Dismissed: the course stays online; this version is not flagged again.
    #[sea_orm(string_value = "dismissed")]
    Dismissed,
}

/// A course version whose satisfaction fell below the configured threshold.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourseFlag {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The course.
    pub course_id: Uuid,
    /// The version whose ratings raised it.
    pub version_number: i32,
    /// The course's institution.
    pub institution_id: Uuid,
    /// The institution's city (6-digit code).
    pub city_code: String,
    /// The overall average when it was raised, two decimals.
    pub average: f64,
    /// The number of ratings then.
    pub ratings: i32,
    /// Where it stands.
    pub status: FlagStatus,
    /// Why it was decided so (null while open).
    pub decision_reason: Option<String>,
    /// Who decided (token subject; null while open).
    pub decided_by: Option<String>,
    /// When (null while open).
    pub decided_at: Option<DateTime<Utc>>,
    /// When it was raised.
    pub created_at: DateTime<Utc>,
}

/// A platform operator's decision on a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlagDecision {
    /// Suspend the course for update (it returns when an updated version is published, or a
    /// regulator reinstates it).
    TakeDown,
    /// Keep the course online.
    Dismiss,
}

/// A platform operator's decision on a flag.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagDecisionRequest {
    /// Take the course down or dismiss the flag.
    pub decision: FlagDecision,
    /// Why (kept with the flag, and as the reason of the suspension).
    pub reason: Reason,
}

/// Filters of the flag list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FlagListQuery {
    /// Only flags in this state.
    pub status: Option<FlagStatus>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Cursor>,
}

/// A rating id in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RatingPath {
    /// The rating's id.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub id: Uuid,
}

/// A flag id in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct FlagPath {
    /// The flag's id.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub id: Uuid,
}

crate::http::pagination::page_schema!(CourseFlagPage, CourseFlag);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_one_to_five() {
        assert!(Score::parse(0).is_err());
        assert_eq!(Score::parse(1).unwrap().get(), 1);
        assert_eq!(Score::parse(5).unwrap().get(), 5);
        assert!(Score::parse(6).is_err());
        assert!(serde_json::from_str::<Score>("3.5").is_err());
        assert_eq!(serde_json::from_str::<Score>("3.0").unwrap().get(), 3);
        assert!(serde_json::from_str::<Score>("-1").is_err());
        assert!(serde_json::from_str::<Score>("\"3\"").is_err());
    }
}
