//! API types of enrolments and their progress.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::courses::dto::RefId;
use crate::domain::Label;
use crate::http::pagination::{Cursor, Limit};

/// The body of an enrolment.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentCreate {
    /// The learner: one of the caller's institution's.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub learner_id: Uuid,
    /// The programme (`GET /programmes`); it must fit the learner's category, industry or
    /// operation item, and training type.
    pub programme_code: Label,
    /// The courses to study (1–50): published courses of the institution that fit the
    /// programme, whose hours together reach the programme's. Their published versions at
    /// this moment are what the learner studies.
    #[validate(length(min = 1, max = 50))]
    #[schema(min_items = 1, max_items = 50, value_type = std::collections::BTreeSet<RefId>)]
    pub course_ids: Vec<RefId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnrolmentStatus {
    Active,
    Completed,
}

/// Where a course's end-of-course quiz stands for the learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuizState {
    /// The course has no quiz.
    None,
    /// Not passed yet: time studied is held until it is.
    Pending,
    Passed,
}

/// One course of an enrolment and the learner's progress in it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnrolmentCourse {
    /// The course.
    pub course_id: Uuid,
    /// The version studied (the one published at enrolment).
    pub version_number: i32,
    /// The course's title in that version.
    pub title: String,
    /// Its hours (学时), as an exact decimal.
    #[schema(example = "2.5")]
    pub hours: String,
    /// Seconds the course's hours come to.
    pub required_seconds: i64,
    /// Seconds credited (corrections included).
    pub credited_seconds: i64,
    /// Seconds studied but held until the course's quiz is passed.
    pub held_seconds: i64,
    /// The course's quiz, for this learner.
    pub quiz: QuizState,
    /// Seconds still to study in this course.
    pub remaining_seconds: i64,
}

/// An enrolment with its progress.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Enrolment {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The learner.
    pub learner_id: Uuid,
    /// The institution the learner trains at.
    pub institution_id: Uuid,
    /// The learner's city module.
    #[schema(example = "440100")]
    pub city_code: String,
    /// The programme.
    #[schema(example = "special_operation-0102-initial")]
    pub programme_code: String,
    /// The hours (学时) the programme requires.
    #[schema(example = "48")]
    pub required_hours: String,
    /// Seconds the programme requires.
    pub required_seconds: i64,
    /// Seconds credited across the courses.
    pub credited_seconds: i64,
    /// Seconds held until quizzes are passed.
    pub held_seconds: i64,
    /// Seconds still to study.
    pub remaining_seconds: i64,
    /// `active`, or `completed` once the hours and every course are done.
    pub status: EnrolmentStatus,
    /// The courses, in order.
    pub courses: Vec<EnrolmentCourse>,
    /// When the enrolment was made.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it was completed.
    #[schema(required = true)]
    pub completed_at: Option<DateTime<Utc>>,
}

/// Filters of the enrolment list; ordered by creation (id).
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EnrolmentListQuery {
    /// Only this learner's (within the caller's scope).
    #[serde(default, deserialize_with = "crate::http::extract::optional_uuid")]
    #[param(value_type = Option<String>, format = Uuid)]
    pub learner_id: Option<Uuid>,
    /// Only those in this status.
    pub status: Option<EnrolmentStatus>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Cursor>,
}

/// An enrolment id in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct EnrolmentPath {
    /// The enrolment's id.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub id: Uuid,
}

crate::http::pagination::page_schema!(EnrolmentPage, Enrolment);
