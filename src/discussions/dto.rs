//! API types of the discussion space.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::domain::{Name, PostText, Reason};
use crate::error::FieldError;
use crate::http::pagination::{Cursor, Limit};

/// Where a post (and a thread: that of its opening text) stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    /// Shown to every reader of the course's discussion.
    #[sea_orm(string_value = "published")]
    Published,
    /// Screening found listed terms: held for a moderator, seen only by its author (as
    /// pending) and the moderators until restored.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// A moderator hid it: it shows as hidden; its text is kept (moderators and its author
    /// still read it).
    #[sea_orm(string_value = "hidden")]
    Hidden,
}

impl PostStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Published => "published",
            PostStatus::Pending => "pending",
            PostStatus::Hidden => "hidden",
        }
    }
}

/// A new thread: a question about a course, or one of its courseware items.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreadCreate {
    /// The question in a line.
    pub title: Name,
    /// The question (plain text; links stay text).
    pub body: PostText,
    /// The courseware item it is about (of this course); none: the course as a whole.
    #[schema(required = false)]
    pub courseware_id: Option<Uuid>,
}

/// A reply.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostCreate {
    /// The reply (plain text; links stay text).
    pub body: PostText,
}

/// What a moderator does with a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModerationAction {
    /// Hide a published or held post (its text is kept).
    Hide,
    /// Publish a held or hidden post; on a reported published post, keep it and close the
    /// reports.
    Restore,
}

/// A moderation decision.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationRequest {
    /// Hide or restore.
    pub action: ModerationAction,
    /// Why, kept with the post.
    pub reason: Reason,
}

/// A reader's report of a post.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportCreate {
    /// What is wrong with it.
    pub reason: Reason,
}

/// A report as received.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The post reported.
    pub post_id: Uuid,
    /// What is wrong with it.
    pub reason: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The last moderation of a post.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Moderation {
    /// Why.
    pub reason: String,
    /// Who (the moderator's subject).
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A post as the caller sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Post {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// Its thread.
    pub thread_id: Uuid,
    /// Whether it is the thread's opening text.
    pub opening: bool,
    /// The author's role: `learner` or `institution_admin`.
    pub author_role: String,
    /// The author's subject: to the institution, regulators and platform operators; null
    /// to learners.
    #[schema(required = true)]
    pub author_subject: Option<String>,
    /// Whether the caller wrote it.
    pub mine: bool,
    /// Where it stands.
    pub status: PostStatus,
    /// The text, as written (plain text: show it as text, never as markup); null when it is
    /// hidden and the caller is neither its author nor a moderator.
    #[schema(required = true)]
    pub body: Option<String>,
    /// Whether it is the thread's accepted answer.
    pub accepted: bool,
    /// The screening hits that held it (moderators only; null otherwise).
    #[schema(required = true)]
    pub screening_hits: Option<Vec<FieldError>>,
    /// Its last moderation, if any (moderators only; null otherwise).
    #[schema(required = true)]
    pub moderation: Option<Moderation>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it last changed (a moderation, a report that queued it).
    pub updated_at: DateTime<Utc>,
}

/// A thread with its opening text.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Thread {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The course it is about.
    pub course_id: Uuid,
    /// The courseware item it is about, if any.
    #[schema(required = true)]
    pub courseware_id: Option<Uuid>,
    /// The question in a line; null when the thread is hidden and the caller is neither its
    /// author nor a moderator.
    #[schema(required = true)]
    pub title: Option<String>,
    /// Where it stands (that of its opening text).
    pub status: PostStatus,
    /// The reply accepted as its answer.
    #[schema(required = true)]
    pub accepted_post_id: Option<Uuid>,
    /// When it was answered: the institution's first published reply, or an accepted
    /// answer; null while it waits.
    #[schema(required = true)]
    pub answered_at: Option<DateTime<Utc>>,
    /// The opening text.
    pub opening: Post,
    /// When it was asked.
    pub created_at: DateTime<Utc>,
    /// When it last changed (answered, an answer accepted, moderated).
    pub updated_at: DateTime<Utc>,
}

/// Filters of a course's threads.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ThreadListQuery {
    /// Only those about this courseware item.
    pub courseware_id: Option<Uuid>,
    /// `true`: only those not answered yet; `false`: only answered ones.
    pub unanswered: Option<bool>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Cursor>,
}

/// Paging of a thread's replies.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PostListQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Cursor>,
}

/// Paging of the moderation queue.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// `true`: only items past their deadline.
    pub overdue: Option<bool>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Cursor>,
}

/// Why a post waits for a moderator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueueReason {
    /// Screening held it.
    Held,
    /// A reader reported it.
    Reported,
}

/// An open report, as the moderators see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PostReport {
    /// What is wrong with the post, says the reader.
    pub reason: String,
    /// The reader's role.
    pub reporter_role: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A post waiting for a moderator.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueItem {
    /// The post (with its text and hits).
    pub post: Post,
    /// The course it was written in.
    pub course_id: Uuid,
    /// The course's institution.
    pub institution_id: Uuid,
    /// Why it waits.
    pub reason: QueueReason,
    /// The open reports (oldest first).
    pub reports: Vec<PostReport>,
    /// When it entered the queue.
    pub queued_at: DateTime<Utc>,
    /// When it is due: `discussion.moderation_hours` after entering the queue.
    pub due_at: DateTime<Utc>,
    /// Whether it is past due.
    pub overdue: bool,
}

/// Unanswered questions of one institution.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstitutionUnanswered {
    /// The institution.
    pub institution_id: Uuid,
    /// Its city.
    pub city_code: String,
    /// Published threads without an answer, asked more than `discussion.unanswered_hours` ago.
    pub unanswered: u64,
    /// When the oldest of them was asked.
    pub oldest_asked_at: DateTime<Utc>,
}

/// Questions left without an answer, per institution, in the caller's scope (a
/// service-quality signal; no ranking: ordered by institution id).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiscussionReport {
    /// A question counts once it has waited this long.
    pub unanswered_hours: u32,
    /// The time counted from.
    pub as_of: DateTime<Utc>,
    /// Institutions with at least one such question.
    pub institutions: Vec<InstitutionUnanswered>,
}

/// A thread id in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ThreadPath {
    /// The thread's id.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub id: Uuid,
}

/// A post id in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PostPath {
    /// The post's id.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub id: Uuid,
}

crate::http::pagination::page_schema!(ThreadPage, Thread);
crate::http::pagination::page_schema!(PostPage, Post);
crate::http::pagination::page_schema!(QueuePage, QueueItem);
