//! API types of courses, courseware and reviews.
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::status::{CourseStatus, ReviewStatus};
use crate::domain::{Invalid, LongText, Name, Reason, Timestamp};
use crate::http::pagination::{Cursor, CursorKey, Limit};
use crate::media::video::{CheckResult, VideoFacts};
use crate::reference::codes::{OperationTypeCode, TrainingCategoryCode, TrainingTypeCode};

/// 学时 with one decimal, exact: sent and answered as a decimal string ("2.5").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hours(u32);

/// `0.1`–`999.9`, at most one decimal, no leading zeros.
pub const HOURS_PATTERN: &str = r"^([1-9][0-9]{0,2}(\.[0-9])?|0\.[1-9])$";

impl Hours {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let bad = || {
            Invalid::new(
                "pattern",
                "must be 0.1–999.9 with at most one decimal, like \"2.5\"",
            )
        };
        let (whole, tenth) = match raw.split_once('.') {
            Some((w, t)) if t.len() == 1 => (w, t),
            Some(_) => return Err(bad()),
            None => (raw, "0"),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole)
            || !digits(tenth)
            || whole.len() > 3
            || (whole.len() > 1 && whole.starts_with('0'))
        {
            return Err(bad());
        }
        let tenths = whole.parse::<u32>().map_err(|_| bad())? * 10
            + tenth.parse::<u32>().map_err(|_| bad())?;
        if tenths == 0 {
            return Err(bad());
        }
        Ok(Self(tenths))
    }

    pub fn from_tenths(tenths: u32) -> Self {
        Self(tenths)
    }

    pub fn tenths(self) -> u32 {
        self.0
    }
}

impl std::fmt::Display for Hours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_multiple_of(10) {
            write!(f, "{}", self.0 / 10)
        } else {
            write!(f, "{}.{}", self.0 / 10, self.0 % 10)
        }
    }
}

impl Serialize for Hours {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hours {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

crate::domain::string_schema!(
    Hours,
    "学时 (training hours), one decimal at most, as a decimal string; one 学时 is `courses.minutes_per_hour` minutes (45 by default)",
    "2.5",
    pattern(Some(HOURS_PATTERN))
);

/// The body of a create call: the course's first version, as a draft.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseCreate {
    /// The institution offering it: the caller's own.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub institution_id: Uuid,
    /// The course title.
    pub title: Name,
    /// What the course teaches.
    pub description: LongText,
    /// Its 学时.
    pub hours: Hours,
    /// Training categories (at least one).
    #[validate(length(min = 1, max = 3))]
    #[schema(min_items = 1, max_items = 3, value_type = BTreeSet<TrainingCategoryCode>)]
    pub training_categories: Vec<TrainingCategoryCode>,
    /// Operation types of the special-operation catalogue: at least one when the categories
    /// include `special_operation`, none otherwise.
    #[validate(length(max = 60))]
    #[schema(max_items = 60, value_type = BTreeSet<OperationTypeCode>)]
    pub operation_types: Vec<OperationTypeCode>,
    /// Training types (at least one).
    #[validate(length(min = 1, max = 3))]
    #[schema(min_items = 1, max_items = 3, value_type = BTreeSet<TrainingTypeCode>)]
    pub training_types: Vec<TrainingTypeCode>,
    /// Its teachers: teachers of the same institution (1–50).
    #[validate(length(min = 1, max = 50))]
    #[schema(min_items = 1, max_items = 50, value_type = BTreeSet<RefId>)]
    pub teacher_ids: Vec<RefId>,
    /// The regulations it rests on (up to 50): when one is amended, the course gets an update
    /// deadline.
    #[serde(default)]
    #[validate(length(max = 50))]
    #[schema(max_items = 50, value_type = BTreeSet<RefId>)]
    pub regulation_ids: Vec<RefId>,
}

/// The id of a teacher or a regulation in a course body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RefId(#[serde(deserialize_with = "crate::http::extract::canonical_uuid")] pub Uuid);

impl utoipa::PartialSchema for RefId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::schema::SchemaFormat::KnownFormat(
                utoipa::openapi::schema::KnownFormat::Uuid,
            )))
            .description(Some(
                "The id of another resource it names (a teacher, a regulation, a course)",
            ))
            .into()
    }
}

impl utoipa::ToSchema for RefId {}

/// The body of an update: only the fields to change (at least one). Editing a course whose
/// current version is published opens a new version (a draft) with the change.
#[derive(Debug, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1)]
pub struct CourseUpdate {
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    /// The course title.
    #[schema(nullable = false)]
    pub title: Option<Name>,
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    /// What the course teaches.
    #[schema(nullable = false)]
    pub description: Option<LongText>,
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    /// Its 学时.
    #[schema(nullable = false)]
    pub hours: Option<Hours>,
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    /// Training categories (replaces the list).
    #[validate(length(min = 1, max = 3))]
    #[schema(nullable = false, min_items = 1, max_items = 3, value_type = Option<BTreeSet<TrainingCategoryCode>>)]
    pub training_categories: Option<Vec<TrainingCategoryCode>>,
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    /// Operation types (replaces the list).
    #[validate(length(max = 60))]
    #[schema(nullable = false, max_items = 60, value_type = Option<BTreeSet<OperationTypeCode>>)]
    pub operation_types: Option<Vec<OperationTypeCode>>,
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    /// Training types (replaces the list).
    #[validate(length(min = 1, max = 3))]
    #[schema(nullable = false, min_items = 1, max_items = 3, value_type = Option<BTreeSet<TrainingTypeCode>>)]
    pub training_types: Option<Vec<TrainingTypeCode>>,
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    /// Its teachers (replaces the list).
    #[validate(length(min = 1, max = 50))]
    #[schema(nullable = false, min_items = 1, max_items = 50, value_type = Option<BTreeSet<RefId>>)]
    pub teacher_ids: Option<Vec<RefId>>,
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    /// The regulations it rests on (replaces the list).
    #[validate(length(max = 50))]
    #[schema(nullable = false, max_items = 50, value_type = Option<BTreeSet<RefId>>)]
    pub regulation_ids: Option<Vec<RefId>>,
}

/// A course as its institution and its regulators see it: its current version's content.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Course {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The institution offering it.
    pub institution_id: Uuid,
    /// The institution's city module.
    #[schema(example = "440100")]
    pub city_code: String,
    /// The course's lifecycle status.
    pub status: CourseStatus,
    /// The current version's number (the newest).
    #[schema(example = 1)]
    pub version_number: i32,
    /// The current version's review status.
    pub review_status: ReviewStatus,
    /// The version learners study; null until first published.
    #[schema(required = true)]
    pub published_version: Option<i32>,
    /// The current version's title.
    #[schema(example = "低压电工作业安全技术培训")]
    pub title: String,
    /// The current version's description.
    pub description: String,
    /// The current version's 学时.
    pub hours: Hours,
    /// Training category codes.
    pub training_categories: Vec<String>,
    /// Operation type codes.
    pub operation_types: Vec<String>,
    /// Training type codes.
    pub training_types: Vec<String>,
    /// Its teachers.
    pub teacher_ids: Vec<Uuid>,
    /// The regulations it rests on.
    pub regulation_ids: Vec<Uuid>,
    /// The last day by which the course must be updated for a changed regulation; null when
    /// none is due.
    #[schema(required = true)]
    pub update_deadline: Option<NaiveDate>,
    /// First publication; null until then.
    #[schema(required = true)]
    pub published_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// One version of a course, in short.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourseVersion {
    /// The version number (1, 2, …).
    #[schema(example = 2)]
    pub number: i32,
    /// Its title.
    pub title: String,
    /// Its 学时.
    pub hours: Hours,
    /// Where it stands in review.
    pub review_status: ReviewStatus,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
    /// When it was published; null if never.
    #[schema(required = true)]
    pub published_at: Option<DateTime<Utc>>,
}

/// How the course list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
pub enum CourseSort {
    /// By title, A–Z (code point order).
    #[serde(rename = "title")]
    Title,
    #[serde(rename = "-title")]
    TitleDesc,
    /// By first publication, oldest first; lists only courses published at least once.
    #[serde(rename = "published_at")]
    PublishedAt,
    #[serde(rename = "-published_at")]
    PublishedAtDesc,
}

/// Filters and order of the course list (creation order by default).
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CourseListQuery {
    /// Only this institution's (within the caller's scope).
    #[serde(default, deserialize_with = "crate::http::extract::optional_uuid")]
    #[param(value_type = Option<String>, format = Uuid)]
    pub institution_id: Option<Uuid>,
    /// Only this status.
    pub status: Option<CourseStatus>,
    /// Only courses whose (first) training category is this one.
    pub category: Option<TrainingCategoryCode>,
    /// Only courses whose update deadline has passed or falls within
    /// `courses.overdue_warning_days` (true), or that have none (false).
    pub overdue: Option<bool>,
    /// `title`, `-title`, `published_at` (only courses published at least once) or
    /// `-published_at`.
    #[param(inline)]
    pub sort: Option<CourseSort>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page (of the same filters and order).
    pub cursor: Option<Cursor>,
}

/// Paging of the overdue list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OverdueQuery {
    /// Only this institution's (within the caller's scope).
    #[serde(default, deserialize_with = "crate::http::extract::optional_uuid")]
    #[param(value_type = Option<String>, format = Uuid)]
    pub institution_id: Option<Uuid>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Cursor>,
}

/// Where a course page resumes: the sort value (title or publication time) and the id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CourseKey(pub Option<String>, pub Option<DateTime<Utc>>, pub Uuid);

impl CursorKey for CourseKey {
    fn check(&self) -> Result<(), Invalid> {
        if let Some(at) = self.1 {
            Timestamp::new(at)?;
        }
        if self
            .0
            .as_ref()
            .is_some_and(|t| t.chars().count() > Name::MAX_CHARS)
        {
            return Err(Invalid::new("format", "not a cursor this list gave out"));
        }
        Ok(())
    }
}

/// A lifecycle move.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseStatusRequest {
    /// The status to move to.
    #[schema(example = "submitted")]
    pub status: CourseStatus,
    /// Why (kept with the actor and time).
    pub reason: Reason,
}

/// One lifecycle step of a course.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseStatusChange {
    /// The id of this record.
    pub id: Uuid,
    /// The course.
    pub course_id: Uuid,
    /// The version the step concerned.
    pub version_number: i32,
    /// The status before.
    #[schema(required = true)]
    pub from_status: Option<CourseStatus>,
    /// The status after.
    pub to_status: CourseStatus,
    /// The reason given.
    pub reason: String,
    /// Who made the move (token subject, or `deadline_job`).
    pub actor_subject: String,
    /// The role they acted in (`system` for the deadline job).
    pub actor_role: String,
    /// When.
    pub occurred_at: DateTime<Utc>,
}

/// What a piece of courseware is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum CoursewareKind {
    /// An MP4 video (`video/mp4`), checked against the video policy.
    #[sea_orm(string_value = "video")]
    Video,
    /// A PDF document (`application/pdf`).
    #[sea_orm(string_value = "document")]
    Document,
    /// A quiz as a JSON document (`application/json`).
    #[sea_orm(string_value = "quiz")]
    Quiz,
}

/// A new piece of courseware (its file is uploaded next).
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoursewareCreate {
    /// Its title.
    pub title: Name,
    /// What it is.
    pub kind: CoursewareKind,
    /// Its place in the course (ascending).
    pub position: Position,
}

/// The place of a piece of courseware in its course (ascending), 1–10000. As JSON Schema
/// says of integers, `3.0` is the integer 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Position(pub i32);

impl<'de> Deserialize<'de> for Position {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Every integer of the range is exact as a float, so one reading serves `3` and `3.0`.
        let n = serde_json::Number::deserialize(d)?;
        match n
            .as_f64()
            .filter(|f| f.fract() == 0.0 && (1.0..=10_000.0).contains(f))
        {
            Some(v) => Ok(Self(v as i32)),
            None => Err(serde::de::Error::custom(Invalid::new(
                "range",
                "must be an integer from 1 to 10000",
            ))),
        }
    }
}

impl utoipa::PartialSchema for Position {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .minimum(Some(1))
            .maximum(Some(10_000))
            .description(Some("Its place in the course (ascending)"))
            .into()
    }
}

impl utoipa::ToSchema for Position {}

/// The file of a piece of courseware, as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoursewareFile {
    /// The media type.
    #[schema(example = "video/mp4")]
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// When it was uploaded.
    pub uploaded_at: DateTime<Utc>,
}

/// A piece of courseware of a course version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Courseware {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The course.
    pub course_id: Uuid,
    /// The course version it belongs to.
    pub version_number: i32,
    /// Its title.
    pub title: String,
    /// What it is.
    pub kind: CoursewareKind,
    /// Its place in the course.
    pub position: i32,
    /// The file; null until uploaded.
    #[schema(required = true)]
    pub file: Option<CoursewareFile>,
    /// For a video: what the file says of itself; null until uploaded.
    #[schema(required = true)]
    pub video: Option<VideoFacts>,
    /// For a video: the automatic video-format check (container and codecs).
    #[schema(required = true)]
    pub video_format: Option<CheckResult>,
    /// For a video: the automatic video-quality check (resolution, bitrate, duration).
    #[schema(required = true)]
    pub video_quality: Option<CheckResult>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// Who reviews.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum ReviewLevel {
    /// The institution's own review (first).
    #[sea_orm(string_value = "institution")]
    Institution,
    /// The platform's review (second).
    #[sea_orm(string_value = "platform")]
    Platform,
}

/// The items every review covers (requirements §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewItemName {
    Content,
    Form,
    Ideology,
    VideoFormat,
    VideoQuality,
    Copyright,
}

impl ReviewItemName {
    pub const ALL: [ReviewItemName; 6] = [
        Self::Content,
        Self::Form,
        Self::Ideology,
        Self::VideoFormat,
        Self::VideoQuality,
        Self::Copyright,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Content => "content",
            Self::Form => "form",
            Self::Ideology => "ideology",
            Self::VideoFormat => "video_format",
            Self::VideoQuality => "video_quality",
            Self::Copyright => "copyright",
        }
    }
}

/// A reviewer's verdict on one item: a pass (a comment optional) or a fail (with what must
/// change).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case", deny_unknown_fields)]
pub enum Verdict {
    Pass {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<Reason>,
    },
    Fail {
        /// What must change.
        comment: Reason,
    },
}

impl utoipa::PartialSchema for Verdict {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Type};
        let variant = |verdict: &str, comment_required: bool, text: &str| {
            let mut object = ObjectBuilder::new()
                .property(
                    "verdict",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some([verdict]))
                        .description(Some("The verdict")),
                )
                .required("verdict")
                .property("comment", <Reason as utoipa::PartialSchema>::schema())
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
                .description(Some(text));
            if comment_required {
                object = object.required("comment");
            }
            object
        };
        OneOfBuilder::new()
            .item(variant("pass", false, "Passed; a comment is optional"))
            .item(variant(
                "fail",
                true,
                "Failed; the comment says what must change",
            ))
            .description(Some("A reviewer's verdict on one item"))
            .into()
    }
}

impl utoipa::ToSchema for Verdict {}

impl Verdict {
    pub fn passed(&self) -> bool {
        matches!(self, Verdict::Pass { .. })
    }
}

/// The verdicts of a review, one for each of the six items (requirements §5).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewItems {
    /// The content (内容).
    pub content: Verdict,
    /// The form (形式).
    pub form: Verdict,
    /// The ideology (意识形态).
    pub ideology: Verdict,
    /// The video format (starts from the automatic check).
    pub video_format: Verdict,
    /// The video quality (starts from the automatic check).
    pub video_quality: Verdict,
    /// The copyright (版权).
    pub copyright: Verdict,
}

impl ReviewItems {
    /// Every item with its verdict, in the order of [`ReviewItemName::ALL`].
    pub fn each(&self) -> [(ReviewItemName, &Verdict); 6] {
        [
            (ReviewItemName::Content, &self.content),
            (ReviewItemName::Form, &self.form),
            (ReviewItemName::Ideology, &self.ideology),
            (ReviewItemName::VideoFormat, &self.video_format),
            (ReviewItemName::VideoQuality, &self.video_quality),
            (ReviewItemName::Copyright, &self.copyright),
        ]
    }
}

/// A review of the course's current version.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewCreate {
    /// Which review this is.
    pub level: ReviewLevel,
    /// A verdict on every item.
    pub items: ReviewItems,
}

/// A review as recorded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Review {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The course.
    pub course_id: Uuid,
    /// The version reviewed.
    pub version_number: i32,
    /// Which review.
    pub level: ReviewLevel,
    /// The verdicts.
    pub items: ReviewItems,
    /// Every item passed.
    pub passed: bool,
    /// Who reviewed (token subject).
    pub reviewer_subject: String,
    /// The role they acted in.
    pub reviewer_role: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Paging of a course's sub-lists.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Cursor>,
}

/// A course id in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct CoursePath {
    /// The course's id.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub id: Uuid,
}

/// A courseware id in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct CoursewarePath {
    /// The courseware's id.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub id: Uuid,
}

crate::http::pagination::page_schema!(CoursePage, Course);
crate::http::pagination::page_schema!(CourseStatusChangePage, CourseStatusChange);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_is_a_pass_or_a_fail_with_a_comment() {
        let pass: Verdict = serde_json::from_str(r#"{"verdict":"pass"}"#).unwrap();
        assert!(pass.passed());
        let fail: Verdict = serde_json::from_str(r#"{"verdict":"fail","comment":"改"}"#).unwrap();
        assert!(!fail.passed());
        assert!(serde_json::from_str::<Verdict>(r#"{"verdict":"fail"}"#).is_err());
        assert!(serde_json::from_str::<Verdict>(r#"{"verdict":"pass","extra":1}"#).is_err());
    }

    #[test]
    fn hours_are_exact_tenths_and_match_the_published_pattern() {
        let pattern = regex_lite::Regex::new(HOURS_PATTERN).unwrap();
        for (raw, tenths) in [
            ("2.5", Some(25)),
            ("1", Some(10)),
            ("0.1", Some(1)),
            ("999.9", Some(9999)),
            ("0", None),
            ("0.0", None),
            ("01", None),
            ("2.50", None),
            (".5", None),
            ("1000", None),
            ("2.", None),
            ("-1", None),
            ("+1", None),
            ("1e1", None),
            ("", None),
            ("٣", None),
        ] {
            assert_eq!(Hours::parse(raw).ok().map(Hours::tenths), tenths, "{raw:?}");
            assert_eq!(
                pattern.is_match(raw),
                tenths.is_some(),
                "pattern and check agree on {raw:?}"
            );
        }
        assert_eq!(Hours::from_tenths(25).to_string(), "2.5");
        assert_eq!(Hours::from_tenths(30).to_string(), "3");
    }

    #[test]
    fn a_position_is_an_integer_from_1_to_10000_written_either_way() {
        for (raw, place) in [
            ("1", Some(1)),
            ("3.0", Some(3)),
            ("10000", Some(10_000)),
            ("1e4", Some(10_000)),
            ("0", None),
            ("10001", None),
            ("-1", None),
            ("2.5", None),
            ("1e9", None),
            ("4294967297", None),
            ("\"1\"", None),
        ] {
            let read = serde_json::from_str::<Position>(raw).ok().map(|p| p.0);
            assert_eq!(read, place, "{raw}");
        }
    }

    #[test]
    fn a_cursor_with_a_title_longer_than_a_title_is_refused() {
        let id = Uuid::nil();
        let title = |n: usize| CourseKey(Some("课".repeat(n)), None, id);
        assert!(title(Name::MAX_CHARS).check().is_ok());
        assert!(title(Name::MAX_CHARS + 1).check().is_err());
    }
}
