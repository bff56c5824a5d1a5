//! API types of study sessions, heartbeats and face checks.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::rules::Reason;

/// The body that opens a study session.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StudySessionCreate {
    /// The learner's own active enrolment.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub enrolment_id: Uuid,
    /// A video of one of the enrolment's courses, at the version enrolled.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub courseware_id: Uuid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Studying.
    Open,
    /// After an idle gap or a missed or failed face check: a passed face check resumes it.
    Paused,
    /// After repeated failed face checks: an institution reviewer decides.
    Suspended,
    Ended,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Open => "open",
            SessionStatus::Paused => "paused",
            SessionStatus::Suspended => "suspended",
            SessionStatus::Ended => "ended",
        }
    }

    pub fn from_db(s: &str) -> Self {
        match s {
            "open" => SessionStatus::Open,
            "paused" => SessionStatus::Paused,
            "suspended" => SessionStatus::Suspended,
            _ => SessionStatus::Ended,
        }
    }
}

/// A study session as the record of study keeps it (the fields of the commitment's §8).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StudySession {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The enrolment studied under.
    pub enrolment_id: Uuid,
    /// The learner.
    pub learner_id: Uuid,
    /// The course.
    pub course_id: Uuid,
    /// The course version studied.
    pub version_number: i32,
    /// The courseware (a video).
    pub courseware_id: Uuid,
    /// Where the session stands.
    pub status: SessionStatus,
    /// When it was opened.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    #[schema(required = true)]
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it ended: `ended_by_learner`, `replaced` (opened elsewhere), `idle`.
    #[schema(required = true)]
    pub end_reason: Option<String>,
    /// The client's address (through the trusted-proxy rule).
    pub client_ip: String,
    /// The client's `User-Agent`.
    pub user_agent: String,
    /// Seconds credited (or held) in this session.
    pub credited_seconds: i32,
    /// The position the server keeps, in seconds.
    pub position_seconds: i32,
    /// Seconds between heartbeats the client is to keep.
    pub heartbeat_secs: u32,
    /// When a face check is due: the learner answers it by this time
    /// (`POST /study-sessions/{id}/face-checks`); null when none is due.
    #[schema(required = true)]
    pub face_check_due_by: Option<DateTime<Utc>>,
}

/// A heartbeat: where the player is and whether it plays.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatRequest {
    /// The player's position in the video, in whole seconds.
    #[serde(deserialize_with = "position")]
    #[schema(minimum = 0, maximum = 86400)]
    pub position_seconds: u32,
    /// Whether the video is playing.
    pub playing: bool,
}

fn position<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = crate::domain::whole(d, "an integer from 0 to 86400")?;
    u32::try_from(n)
        .ok()
        .filter(|n| *n <= 86_400)
        .ok_or_else(|| {
            serde::de::Error::custom(crate::domain::Invalid::new("range", "must be 0 to 86400"))
        })
}

/// Time of a heartbeat that did not count, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Refusal {
    /// Why: `idle`, `fast_forward`, `identity_failed`, `daily_cap` or `repeat`.
    pub reason: Reason,
    /// Seconds that did not count.
    pub seconds: i64,
}

/// What a heartbeat earned, decided by the server alone.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HeartbeatAnswer {
    /// The session after this heartbeat.
    pub session: StudySession,
    /// Seconds this heartbeat earned (credited, or held: see `held`).
    pub credited_seconds: i64,
    /// True when the time earned is held until the course's quiz is passed (`quiz_pending`).
    pub held: bool,
    /// Time that did not count, if any.
    #[schema(required = true)]
    pub refused: Option<Refusal>,
    /// Seconds voided because a face check was missed (the time since the last good check).
    pub voided_seconds: i64,
}

/// The result of a face check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FaceCheckResult {
    Passed,
    Failed,
    Missed,
    /// Stored for a person to compare (the `manual` verifier); study goes on meanwhile.
    PendingReview,
}

impl FaceCheckResult {
    pub fn as_str(self) -> &'static str {
        match self {
            FaceCheckResult::Passed => "passed",
            FaceCheckResult::Failed => "failed",
            FaceCheckResult::Missed => "missed",
            FaceCheckResult::PendingReview => "pending_review",
        }
    }

    pub fn from_db(s: &str) -> Self {
        match s {
            "passed" => FaceCheckResult::Passed,
            "failed" => FaceCheckResult::Failed,
            "missed" => FaceCheckResult::Missed,
            _ => FaceCheckResult::PendingReview,
        }
    }
}

/// A face check as kept: asked, answered, the capture's fingerprint, the verifier's result.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FaceCheck {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The session.
    pub session_id: Uuid,
    /// When the check fell due.
    pub due_since: DateTime<Utc>,
    /// When it was answered (or found missed).
    pub answered_at: DateTime<Utc>,
    /// The result.
    pub result: FaceCheckResult,
    /// The verifier's similarity score, 0–1000, when it gives one.
    #[schema(required = true)]
    pub score_permille: Option<i32>,
    /// `manual` or `http`.
    pub verifier: String,
    /// SHA-256 of the capture (the image itself is encrypted in the blob store).
    #[schema(required = true)]
    pub capture_sha256: Option<String>,
    /// Seconds voided by a failed check (the time since the last good one).
    pub voided_seconds: i64,
    /// The session after the check.
    pub session: StudySession,
}

/// A study session id in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SessionPath {
    /// The session's id.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub id: Uuid,
}

/// An institution reviewer's decision on a suspended session.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionReviewRequest {
    /// `resume`: the reviewer has verified the learner (the session opens again, its failed
    /// checks cleared); `end`: the session ends.
    pub decision: ReviewDecision,
    /// Why, for the record.
    pub reason: crate::domain::Reason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    Resume,
    End,
}

/// A quiz (courseware) id in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SessionPathQuiz {
    /// The quiz's courseware id.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub id: Uuid,
}

/// A face check as kept, for the record and the reviewers' queue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FaceCheckEntry {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The session.
    pub session_id: Uuid,
    /// The learner.
    pub learner_id: Uuid,
    /// When the check fell due.
    pub due_since: DateTime<Utc>,
    /// When it was answered (or found missed).
    pub answered_at: DateTime<Utc>,
    /// The result: the verifier's, or the reviewer's verdict on a capture kept for review.
    pub result: FaceCheckResult,
    /// The verifier's similarity score, 0–1000, when it gives one.
    #[schema(required = true)]
    pub score_permille: Option<i32>,
    /// `manual` or `http`.
    pub verifier: String,
    /// SHA-256 of the capture (the image itself is encrypted in the blob store).
    #[schema(required = true)]
    pub capture_sha256: Option<String>,
    /// A reviewer's verdict on the capture, once given.
    #[schema(required = true)]
    pub review: Option<FaceCheckReview>,
}

/// A person's verdict on a capture kept for review.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FaceCheckReview {
    /// `pass` or `fail`.
    pub verdict: FaceCheckVerdict,
    /// Why, for the record.
    pub reason: String,
    /// Seconds a rejection voided.
    pub voided_seconds: i64,
    /// Who decided.
    pub decided_by: String,
    /// When.
    pub decided_at: DateTime<Utc>,
}

/// A reviewer's verdict on a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FaceCheckVerdict {
    /// The capture shows the learner of the portrait.
    Pass,
    /// It does not: what the check vouched for is voided.
    Fail,
}

impl FaceCheckVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            FaceCheckVerdict::Pass => "pass",
            FaceCheckVerdict::Fail => "fail",
        }
    }
}

/// A reviewer's verdict on a capture the `manual` verifier kept for review.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaceCheckVerdictRequest {
    /// `pass` or `fail`.
    pub verdict: FaceCheckVerdict,
    /// Why, for the record.
    pub reason: crate::domain::Reason,
}

/// The verdict as recorded, and the session after it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FaceCheckDecided {
    /// The check with its review.
    pub check: FaceCheckEntry,
    /// The session after the verdict.
    pub session: StudySession,
}

/// Filters of the face-check list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FaceCheckListQuery {
    /// Only this session's checks.
    #[serde(default, deserialize_with = "crate::http::extract::optional_uuid")]
    #[param(value_type = Option<String>, format = Uuid)]
    pub session_id: Option<Uuid>,
    /// Only checks with this result (`pending_review`: the reviewers' queue).
    pub result: Option<FaceCheckResult>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<crate::http::pagination::Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<crate::http::pagination::Cursor>,
}

/// A face check id in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct FaceCheckPath {
    /// The face check's id.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub id: Uuid,
}

crate::http::pagination::page_schema!(FaceCheckPage, FaceCheckEntry);
