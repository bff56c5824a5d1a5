//! API types of complaints, appeals and suggestions.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

pub use super::workflow::{Action, Status};
use crate::domain::{Email, LongText, Name, OneTimeSecret, PersonName, Phone, Secret};
use crate::error::FieldError;
use crate::http::pagination::{Cursor, Limit};

/// What is filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ComplaintKind)]
pub enum Kind {
    /// A complaint (投诉).
    Complaint,
    /// An appeal (申诉) against a refused credit, a voided interval (a study session) or a
    /// revoked certificate: a signed-in learner's, about its own.
    Appeal,
    /// A suggestion.
    Suggestion,
}

/// What it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ComplaintTargetType)]
pub enum TargetType {
    /// The platform itself (its complaints desk answers).
    Platform,
    Institution,
    Course,
    /// A study session of the learner filing.
    StudySession,
    /// A certificate of the learner filing.
    Certificate,
}

macro_rules! db_enum {
    ($t:ident { $($v:ident = $s:literal),* $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $($t::$v => $s,)* }
            }
            pub fn from_db(s: &str) -> Self {
                [$($t::$v,)*].into_iter().find(|v| v.as_str() == s).unwrap_or_else(|| {
                    tracing::error!(value = s, "an unknown value in the complaints table");
                    [$($t::$v,)*][0]
                })
            }
        }
    };
}
db_enum!(Kind { Complaint = "complaint", Appeal = "appeal", Suggestion = "suggestion" });
db_enum!(TargetType {
    Platform = "platform",
    Institution = "institution",
    Course = "course",
    StudySession = "study_session",
    Certificate = "certificate",
});

/// A complaint, appeal or suggestion as filed.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintCreate {
    /// `complaint`, `appeal` or `suggestion`.
    pub kind: Kind,
    /// What it is about.
    pub target_type: TargetType,
    /// The institution, course, study session or certificate (by id); none for the platform.
    #[serde(default, deserialize_with = "nullable_uuid")]
    #[schema(value_type = Option<String>, format = Uuid, required = false)]
    pub target_id: Option<Uuid>,
    /// A short title.
    pub title: Name,
    /// What happened, and what the filer asks for.
    pub content: LongText,
    /// Who to answer.
    pub contact_name: PersonName,
    /// A phone number, or…
    pub contact_phone: Option<Phone>,
    /// …an e-mail address (at least one of the two).
    pub contact_email: Option<Email>,
}

/// A UUID in its standard form, absent or `null`.
fn nullable_uuid<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Uuid>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(raw) => crate::http::extract::canonical_uuid(serde::de::value::StrDeserializer::<
            D::Error,
        >::new(&raw))
        .map(Some),
    }
}

/// A step of the handling as the timeline shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = ComplaintStep)]
pub struct Step {
    /// The step.
    pub action: Action,
    /// The status before it…
    pub from_status: Status,
    /// …and after.
    pub to_status: Status,
    /// The answer, reason, note or reply.
    #[schema(required = true)]
    pub message: Option<String>,
    /// `staff` (a handler) or `filer`.
    #[schema(example = "staff")]
    pub by: String,
    /// The handler's role (none for the filer).
    #[schema(required = true)]
    pub role: Option<String>,
    /// Which handler took it (its subject), in the handlers' view; none for the filer's steps
    /// and in the filer's view.
    #[schema(required = true)]
    pub subject: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A complaint with its timeline: handlers see every step and the screening hits; the filer
/// sees the public part.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Complaint {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The number the filer quotes (`TS` + date + 6 characters).
    #[schema(example = "TS20261206K7M2QX")]
    pub number: String,
    /// `complaint`, `appeal` or `suggestion`.
    pub kind: Kind,
    /// What it is about.
    pub target_type: TargetType,
    /// The target's id (none for the platform).
    #[schema(required = true)]
    pub target_id: Option<Uuid>,
    /// The institution that answers it (none: the platform's desk).
    #[schema(required = true)]
    pub institution_id: Option<Uuid>,
    /// The city of the target, whose bureau it escalates to.
    #[schema(required = true)]
    pub city_code: Option<String>,
    /// The title as filed.
    pub title: String,
    /// The content as filed.
    pub content: String,
    /// Who to answer (stored encrypted).
    pub contact_name: String,
    /// The filer's phone (stored encrypted; masked in the audit log).
    #[schema(required = true, value_type = Option<String>)]
    pub contact_phone: Option<Phone>,
    /// The filer's e-mail address (stored encrypted; masked in the audit log).
    #[schema(required = true, value_type = Option<String>)]
    pub contact_email: Option<Email>,
    /// Filed by a signed-in learner (else by someone without an account).
    pub by_learner: bool,
    /// Where it stands.
    pub status: Status,
    /// Listed terms found in the title or content (handlers only; the filing is not blocked:
    /// a complaint is never published, and may quote what it complains about).
    pub screening_hits: Vec<FieldError>,
    /// The first answer is due by…
    pub first_answer_due: DateTime<Utc>,
    /// …and the resolution by (Asia/Shanghai working time).
    pub resolve_due: DateTime<Utc>,
    /// True when a year missing from the holiday calendar made the deadlines an estimate
    /// (Monday–Friday counted as working days).
    pub deadline_estimated: bool,
    /// Past a deadline and not yet answered (or resolved).
    pub overdue: bool,
    /// When a handler first answered (any step the filer sees).
    #[schema(required = true)]
    pub first_answered_at: Option<DateTime<Utc>>,
    /// When it was last answered.
    #[schema(required = true)]
    pub answered_at: Option<DateTime<Utc>>,
    /// When it was resolved: answered, or rejected as out of scope; a reopening clears it.
    #[schema(required = true)]
    pub resolved_at: Option<DateTime<Utc>>,
    /// When the filer reopened it (once at most).
    #[schema(required = true)]
    pub reopened_at: Option<DateTime<Utc>>,
    /// When it was escalated to the city bureau.
    #[schema(required = true)]
    pub escalated_at: Option<DateTime<Utc>>,
    /// When it was filed.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Every step, oldest first (the filer sees the public ones).
    pub timeline: Vec<Step>,
    /// For the handlers of an appeal about a study session: the session, its face checks
    /// (with the captures) and its enrolment's ledger.
    pub related: Vec<Related>,
    /// The files attached, oldest first.
    pub attachments: Vec<Attachment>,
}

/// The complaint as filed; without an account, the code to follow it with, shown only here.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintFiled {
    /// The complaint as its filer sees it.
    pub complaint: Complaint,
    /// For a filer without an account: with the number, the only way to follow and answer
    /// the complaint (`POST /complaints/track`). Kept only as a hash: it cannot be shown again.
    #[schema(required = true, value_type = Option<String>)]
    pub tracking_code: Option<OneTimeSecret>,
}

/// A step asked of a complaint.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintActionRequest {
    /// The step.
    pub action: Action,
    /// The answer, the reason of a rejection or escalation, a note, a reply (needed for
    /// those; optional otherwise).
    pub message: Option<LongText>,
    /// With `answer` on an appeal about a study session, upheld: the seconds to credit back
    /// (or, negative, to take away) through a compensating `correction` entry of the hours
    /// ledger, with the city bureau as its actor and the complaint's number as its approval.
    /// The city bureau's only (an institution does not credit its own learners: it escalates).
    #[serde(default, deserialize_with = "optional_correction")]
    #[schema(minimum = -86400, maximum = 86400)]
    pub correction_seconds: Option<i32>,
}

/// Seconds of a ledger correction (-86400 to 86400), absent or `null`.
fn optional_correction<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => crate::enrolments::ledger::correction_seconds(v)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

/// A resource the handlers of a complaint look at.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Related {
    /// What it is: `study_session`, `face_checks`, `ledger`.
    pub rel: String,
    /// Its address in this API.
    pub href: String,
}

/// A filer without an account following its complaint.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackRequest {
    /// The complaint's number.
    #[schema(example = "TS20261206K7M2QX")]
    pub number: Name,
    /// The tracking code the filing answered (never in a URL: it would be logged).
    pub code: Secret,
}

/// A filer without an account taking a step (`reply`, `close`, `reopen`).
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackActionRequest {
    /// The complaint's number.
    #[schema(example = "TS20261206K7M2QX")]
    pub number: Name,
    /// The tracking code the filing answered.
    pub code: Secret,
    /// `reply`, `close` or `reopen`.
    pub action: Action,
    /// A reply (needed for `reply`; optional otherwise).
    pub message: Option<LongText>,
}

/// Filters of the complaint list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ComplaintListQuery {
    /// Only those in this status.
    pub status: Option<Status>,
    /// Only those of this kind.
    pub kind: Option<Kind>,
    /// Only those past a deadline and still open (`true`), or only those that are not.
    pub overdue: Option<bool>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Cursor>,
}

/// A complaint id in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ComplaintPath {
    /// The complaint's id.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub id: Uuid,
}

crate::http::pagination::page_schema!(ComplaintPage, Complaint);

/// Complaints waiting for their handlers, per institution (none: the platform's desk).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintCount {
    /// The city of the target (none: the platform's own).
    #[schema(required = true)]
    pub city_code: Option<String>,
    /// The institution that answers them (none: the platform's desk).
    #[schema(required = true)]
    pub institution_id: Option<Uuid>,
    /// Still waiting for their handlers.
    pub open: u64,
    /// Of those, past a deadline.
    pub overdue: u64,
}

/// A file attached to a complaint.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attachment {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// `image/jpeg`, `image/png` or `application/pdf` (checked by content).
    pub media_type: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256 of the file (it is kept encrypted).
    pub sha256: String,
    /// `filer` or `staff`.
    pub by: String,
    /// When it was attached.
    pub created_at: DateTime<Utc>,
}

/// An attachment in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AttachmentPath {
    /// The complaint's id.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub id: Uuid,
    /// The attachment's id.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub attachment_id: Uuid,
}
