//! The course discussion space (互动交流空间): learners enrolled in a course ask about it, the
//! institution and other enrolled learners reply. Every text is screened before it is shown
//! (a hit holds it for a moderator), readers report posts, moderators hide and restore them;
//! nothing is deleted. The regulators see how many questions wait for an answer.
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

use super::dto::*;
use super::entity::{post, report, thread};
use crate::auth::{Actor, Role, Scope};
use crate::changes::Operation;
use crate::context::{Cx, WriteTx};
use crate::courses::entity::{course, courseware};
use crate::courses::service::{json, parse};
use crate::db::constraint::Unique;
use crate::db::page::{self, Direction};
use crate::enrolments::entity::{enrolment, enrolment_course};
use crate::error::{AppError, AppResult, Code, FieldError};
use crate::http::pagination::{Cursor, Limit, Page};

/// The resource types of this module, in audit records and change events.
pub const THREAD: &str = "discussion_thread";
pub const POST: &str = "discussion_post";
pub const REPORT: &str = "discussion_report";

crate::policy!(/// Who reads a course's discussion: its enrolled learners, its institution, the
    /// regulators of its city, platform operators.
    Readers = &[Role::Learner, Role::InstitutionAdmin, Role::CityAdmin, Role::ProvinceAdmin, Role::PlatformOperator]);
crate::policy!(/// Who opens threads: enrolled learners.
    Askers = &[Role::Learner]);
crate::policy!(/// Who replies: enrolled learners and the course's institution.
    Repliers = &[Role::Learner, Role::InstitutionAdmin]);
crate::policy!(/// Who accepts an answer: the thread's author and the course's institution.
    Acceptors = &[Role::Learner, Role::InstitutionAdmin]);
crate::policy!(/// Who moderates: the institution (its own courses) and platform operators (all).
    Moderators = &[Role::InstitutionAdmin, Role::PlatformOperator]);
crate::policy!(/// Who reads the unanswered-question counts, in scope.
    Overseers = &[Role::ProvinceAdmin, Role::CityAdmin, Role::InstitutionAdmin, Role::PlatformOperator]);

const ONE_REPORT_PER_READER: Unique = Unique {
    name: "uq_discussion_reports_reporter",
    table: "discussion_reports",
    columns: &["post_id", "reporter_subject", "reporter_role"],
};

/// Whether a post is listed to a caller at all: a held one only to its author and the
/// moderators.
pub fn listed(status: PostStatus, mine: bool, moderator: bool) -> bool {
    status != PostStatus::Pending || mine || moderator
}

/// Whether a caller reads a post's text: a published one everybody; a held or hidden one its
/// author and the moderators.
pub fn text_shown(status: PostStatus, mine: bool, moderator: bool) -> bool {
    status == PostStatus::Published || mine || moderator
}

/// What a moderation makes of a post (`queued`: it waits in the queue), or none when it is
/// not a move: hiding a hidden post, restoring a published one nobody reported.
pub fn moderated(status: PostStatus, queued: bool, action: ModerationAction) -> Option<PostStatus> {
    use ModerationAction::*;
    use PostStatus::*;
    match (action, status) {
        (Hide, Published | Pending) => Some(Hidden),
        (Restore, Pending | Hidden) => Some(Published),
        (Restore, Published) if queued => Some(Published),
        _ => None,
    }
}

/// How a caller sees posts.
#[derive(Clone, Copy)]
struct View<'a> {
    actor: Option<&'a Actor>,
}

impl View<'_> {
    /// Everything: change events carry the whole post.
    const FULL: View<'static> = View { actor: None };

    fn mine(&self, subject: &str, role: &str) -> bool {
        self.actor
            .is_some_and(|a| a.subject == subject && a.role.as_str() == role)
    }

    fn moderator(&self) -> bool {
        self.actor
            .is_none_or(|a| matches!(a.role, Role::InstitutionAdmin | Role::PlatformOperator))
    }

    fn staff(&self) -> bool {
        self.actor.is_none_or(|a| a.role != Role::Learner)
    }
}

fn view(actor: &Actor) -> View<'_> {
    View { actor: Some(actor) }
}

fn to_post(m: post::Model, v: View, accepted: Option<Uuid>) -> AppResult<Post> {
    let mine = v.mine(&m.author_subject, &m.author_role);
    let moderator = v.moderator();
    let moderation = match (
        moderator,
        m.moderation_reason,
        m.moderated_by,
        m.moderated_at,
    ) {
        (true, Some(reason), Some(by), Some(at)) => Some(Moderation { reason, by, at }),
        _ => None,
    };
    let screening_hits = match (moderator, &m.screening_hits) {
        (true, Some(hits)) => Some(parse::<Vec<FieldError>>(hits)?),
        _ => None,
    };
    Ok(Post {
        body: text_shown(m.status, mine, moderator).then_some(m.body),
        author_subject: v.staff().then_some(m.author_subject),
        accepted: accepted == Some(m.id),
        id: m.id,
        thread_id: m.thread_id,
        opening: m.opening,
        author_role: m.author_role,
        mine,
        status: m.status,
        screening_hits,
        moderation,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn to_thread(t: thread::Model, opening: post::Model, v: View) -> AppResult<Thread> {
    let shown = text_shown(
        t.status,
        v.mine(&opening.author_subject, &opening.author_role),
        v.moderator(),
    );
    Ok(Thread {
        opening: to_post(opening, v, t.accepted_post_id)?,
        title: shown.then_some(t.title),
        id: t.id,
        course_id: t.course_id,
        courseware_id: t.courseware_id,
        status: t.status,
        accepted_post_id: t.accepted_post_id,
        answered_at: t.answered_at,
        created_at: t.created_at,
        updated_at: t.updated_at,
    })
}

/// Whether the signed-in learner has an enrolment holding the course (any version).
async fn enrolled<C: ConnectionTrait>(db: &C, actor: &Actor, course_id: Uuid) -> AppResult<bool> {
    let Ok(learner) = crate::learners::service::own_id(actor) else {
        return Ok(false);
    };
    let theirs = Query::select()
        .column(enrolment::Column::Id)
        .from(enrolment::Entity)
        .and_where(enrolment::Column::LearnerId.eq(learner))
        .to_owned();
    let n = enrolment_course::Entity::find()
        .filter(enrolment_course::Column::CourseId.eq(course_id))
        .filter(enrolment_course::Column::EnrolmentId.in_subquery(theirs))
        .count(db)
        .await?;
    Ok(n > 0)
}

/// Whether a caller reads the discussion of a course (of `institution`, in `city`).
async fn reads<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    course_id: Uuid,
    institution: Uuid,
    city: &str,
) -> AppResult<bool> {
    if actor.role == Role::Learner {
        return enrolled(db, actor, course_id).await;
    }
    Ok(match actor.scope() {
        Scope::All => true,
        Scope::City(c) => c == city,
        Scope::Institution(i) => i == institution,
        Scope::Nothing => false,
    })
}

/// The course whose discussion the caller reads; 404 otherwise (a missing course alike).
async fn course_of<C: ConnectionTrait>(
    db: &C,
    audit: &crate::audit::AuditContext,
    actor: &Actor,
    id: Uuid,
) -> AppResult<course::Model> {
    let row = course::Entity::find_by_id(id).one(db).await?;
    let city = row.as_ref().map(|c| c.city_code.as_str());
    audit.set_resource(crate::courses::service::RESOURCE, id, city);
    match row {
        Some(c) if reads(db, actor, c.id, c.institution_id, &c.city_code).await? => Ok(c),
        _ => Err(AppError::not_found()),
    }
}

/// A thread the caller reads (a held one: its author and the moderators); 404 otherwise.
async fn thread_of<C: ConnectionTrait>(
    db: &C,
    audit: &crate::audit::AuditContext,
    actor: &Actor,
    id: Uuid,
) -> AppResult<thread::Model> {
    let row = thread::Entity::find_by_id(id).one(db).await?;
    audit.set_resource(THREAD, id, row.as_ref().map(|t| t.city_code.as_str()));
    let v = view(actor);
    match row {
        Some(t)
            if listed(
                t.status,
                v.mine(&t.author_subject, Role::Learner.as_str()),
                v.moderator(),
            ) && reads(db, actor, t.course_id, t.institution_id, &t.city_code).await? =>
        {
            Ok(t)
        }
        _ => Err(AppError::not_found()),
    }
}

/// A post the caller reads, with its thread; 404 otherwise.
async fn post_of<C: ConnectionTrait>(
    db: &C,
    audit: &crate::audit::AuditContext,
    actor: &Actor,
    id: Uuid,
) -> AppResult<(post::Model, thread::Model)> {
    let row = post::Entity::find_by_id(id).one(db).await?;
    audit.set_resource(POST, id, row.as_ref().map(|p| p.city_code.as_str()));
    let v = view(actor);
    let Some(p) = row.filter(|p| {
        listed(
            p.status,
            v.mine(&p.author_subject, &p.author_role),
            v.moderator(),
        )
    }) else {
        return Err(AppError::not_found());
    };
    let t = thread_of(db, audit, actor, p.thread_id).await?;
    audit.set_resource(POST, id, Some(&p.city_code));
    Ok((p, t))
}

/// 429 when the caller has posted `posts_per_window` times within the window.
async fn within_limit<C: ConnectionTrait>(
    db: &C,
    s: &crate::config::DiscussionSettings,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        // One caller's posts are counted one at a time (SQLite writes one at a time anyway),
        // so two at once cannot both pass the last free place.
        db.query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            [format!("discussion-posting:{}", actor.key()).into()],
        ))
        .await?;
    }
    let window = Duration::minutes(s.window_minutes.into());
    let recent: Vec<DateTime<Utc>> = post::Entity::find()
        .select_only()
        .column(post::Column::CreatedAt)
        .filter(post::Column::AuthorSubject.eq(&actor.subject))
        .filter(post::Column::AuthorRole.eq(actor.role.as_str()))
        .filter(post::Column::CreatedAt.gt(now - window))
        .order_by_desc(post::Column::CreatedAt)
        .limit(u64::from(s.posts_per_window))
        .into_tuple()
        .all(db)
        .await?;
    match recent.last() {
        Some(oldest) if recent.len() >= s.posts_per_window as usize => {
            let wait = (*oldest + window - now).num_seconds();
            Err(AppError::new(
                Code::PostingLimited,
                format!(
                    "at most {} threads and replies in {} minutes",
                    s.posts_per_window, s.window_minutes
                ),
            )
            .retry_after(u64::try_from(wait).unwrap_or(1)))
        }
        _ => Ok(()),
    }
}

/// The screening hits of `texts`, kept as JSON when there are any.
async fn screened<P: crate::auth::Policy<Caller = Actor>>(
    cx: &Cx<P>,
    tx: &WriteTx<'_>,
    texts: &[(String, &str)],
) -> AppResult<(PostStatus, Option<String>)> {
    let screener = cx.data::<crate::screening::Screener>()?;
    let hits = crate::courses::service::screen(tx.conn(), &screener, texts).await?;
    if hits.is_empty() {
        Ok((PostStatus::Published, None))
    } else {
        Ok((PostStatus::Pending, Some(json(&hits)?)))
    }
}

/// A new post row of `t` by the caller.
fn new_post(
    actor: &Actor,
    t: &thread::Model,
    opening: bool,
    body: String,
    (status, hits): (PostStatus, Option<String>),
    now: DateTime<Utc>,
) -> post::ActiveModel {
    let held = status == PostStatus::Pending;
    post::ActiveModel {
        id: Set(Uuid::now_v7()),
        thread_id: Set(t.id),
        course_id: Set(t.course_id),
        institution_id: Set(t.institution_id),
        city_code: Set(t.city_code.clone()),
        opening: Set(opening),
        author_subject: Set(actor.subject.clone()),
        author_role: Set(actor.role.as_str().into()),
        body: Set(body),
        status: Set(status),
        screening_hits: Set(hits),
        queued_at: Set(held.then_some(now)),
        queue_key: Set(held.then(Uuid::now_v7)),
        moderation_reason: Set(None),
        moderated_by: Set(None),
        moderated_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
}

#[tracing::instrument(skip_all, fields(course = %course_id))]
pub async fn open(cx: &Cx<Askers>, course_id: Uuid, body: ThreadCreate) -> AppResult<Thread> {
    let now = cx.svc.clock.now();
    let mut tx = cx.begin().await?;
    let c = course_of(tx.conn(), &cx.audit, &cx.actor, course_id).await?;
    if let Some(piece) = body.courseware_id {
        let found = courseware::Entity::find_by_id(piece)
            .filter(courseware::Column::CourseId.eq(c.id))
            .count(tx.conn())
            .await?;
        if found == 0 {
            return Err(AppError::field(
                "courseware_id",
                "unknown_courseware",
                "names no courseware of this course",
            ));
        }
    }
    within_limit(tx.conn(), &cx.svc.settings.discussion, &cx.actor, now).await?;
    let screening = screened(
        cx,
        &tx,
        &[
            ("title".into(), body.title.as_str()),
            ("body".into(), body.body.as_str()),
        ],
    )
    .await?;
    let id = Uuid::now_v7();
    tx.touches(THREAD, id, Some(&c.city_code));
    let t = thread::ActiveModel {
        id: Set(id),
        course_id: Set(c.id),
        courseware_id: Set(body.courseware_id),
        institution_id: Set(c.institution_id),
        city_code: Set(c.city_code.clone()),
        author_subject: Set(cx.actor.subject.clone()),
        title: Set(body.title.to_string()),
        status: Set(screening.0),
        accepted_post_id: Set(None),
        answered_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(tx.conn())
    .await?;
    let opening = new_post(&cx.actor, &t, true, body.body.to_string(), screening, now)
        .insert(tx.conn())
        .await?;
    let full = to_thread(t.clone(), opening.clone(), View::FULL)?;
    tx.changed(THREAD, id, Operation::Created, 1, &full)?;
    tx.changed(POST, opening.id, Operation::Created, 1, &full.opening)?;
    let answer = to_thread(t, opening, view(&cx.actor))?;
    tx.commit(201, &answer).await?;
    Ok(answer)
}

/// The opening posts of `threads`, by thread.
async fn openings<C: ConnectionTrait>(
    db: &C,
    threads: &[Uuid],
) -> AppResult<HashMap<Uuid, post::Model>> {
    let grouped = page::children(
        db,
        post::Entity::find().filter(post::Column::Opening.eq(true)),
        post::Column::ThreadId,
        threads,
        |p| p.thread_id,
        post::Column::Id,
    )
    .await?;
    // One opening post per thread.
    Ok(grouped
        .into_iter()
        .filter_map(|(thread, mut posts)| posts.pop().map(|p| (thread, p)))
        .collect())
}

fn with_opening(
    t: thread::Model,
    openings: &mut HashMap<Uuid, post::Model>,
    v: View,
) -> AppResult<Thread> {
    let opening = openings
        .remove(&t.id)
        .ok_or_else(|| AppError::bug("a thread without its opening post"))?;
    to_thread(t, opening, v)
}

/// Posts of others that are held are left out for all but the moderators.
fn unlisted_left_out(actor: &Actor, status: post::Column, subject: post::Column) -> Condition {
    if view(actor).moderator() {
        return Condition::all();
    }
    Condition::any().add(status.ne(PostStatus::Pending)).add(
        Condition::all()
            .add(subject.eq(&actor.subject))
            .add(post::Column::AuthorRole.eq(actor.role.as_str())),
    )
}

#[tracing::instrument(skip_all, fields(course = %course_id))]
pub async fn list(
    cx: &Cx<Readers>,
    course_id: Uuid,
    q: &ThreadListQuery,
) -> AppResult<Page<Thread>> {
    let db = cx.db.get_ref();
    let c = course_of(db, &cx.audit, &cx.actor, course_id).await?;
    let limit = Limit::of(q.limit);
    let mut cond = Condition::all().add(thread::Column::CourseId.eq(c.id));
    if !view(&cx.actor).moderator() {
        let mut visible = Condition::any().add(thread::Column::Status.ne(PostStatus::Pending));
        if cx.actor.role == Role::Learner {
            visible = visible.add(thread::Column::AuthorSubject.eq(&cx.actor.subject));
        }
        cond = cond.add(visible);
    }
    if let Some(piece) = q.courseware_id {
        cond = cond.add(thread::Column::CoursewareId.eq(piece));
    }
    match q.unanswered {
        Some(true) => cond = cond.add(thread::Column::AnsweredAt.is_null()),
        Some(false) => cond = cond.add(thread::Column::AnsweredAt.is_not_null()),
        None => {}
    }
    let rows = page::after(
        db,
        thread::Entity::find().filter(cond),
        thread::Column::Id,
        Cursor::key::<Uuid>(&q.cursor)?,
        limit,
        Direction::Descending,
    )
    .await?;
    let page = Page::from_rows(rows, limit, |t| t.id, |t| t);
    let ids: Vec<Uuid> = page.items.iter().map(|t| t.id).collect();
    let mut openings = openings(db, &ids).await?;
    page.try_map(|t| with_opening(t, &mut openings, view(&cx.actor)))
}

#[tracing::instrument(skip_all, fields(thread = %id))]
pub async fn get(cx: &Cx<Readers>, id: Uuid) -> AppResult<Thread> {
    let db = cx.db.get_ref();
    let t = thread_of(db, &cx.audit, &cx.actor, id).await?;
    let mut openings = openings(db, &[t.id]).await?;
    with_opening(t, &mut openings, view(&cx.actor))
}

#[tracing::instrument(skip_all, fields(thread = %id))]
pub async fn replies(cx: &Cx<Readers>, id: Uuid, q: &PostListQuery) -> AppResult<Page<Post>> {
    let db = cx.db.get_ref();
    let t = thread_of(db, &cx.audit, &cx.actor, id).await?;
    let limit = Limit::of(q.limit);
    let cond = Condition::all()
        .add(post::Column::ThreadId.eq(t.id))
        .add(post::Column::Opening.eq(false))
        .add(unlisted_left_out(
            &cx.actor,
            post::Column::Status,
            post::Column::AuthorSubject,
        ));
    let rows = page::after(
        db,
        post::Entity::find().filter(cond),
        post::Column::Id,
        Cursor::key::<Uuid>(&q.cursor)?,
        limit,
        Direction::Ascending,
    )
    .await?;
    Page::from_rows(rows, limit, |p| p.id, |p| p)
        .try_map(|p| to_post(p, view(&cx.actor), t.accepted_post_id))
}

/// Marks `t` answered now unless it is already; the change event goes with the write.
async fn mark_answered(
    tx: &mut WriteTx<'_>,
    t: &thread::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let changed = thread::Entity::update_many()
        .set(thread::ActiveModel {
            answered_at: Set(Some(now)),
            updated_at: Set(now),
            ..Default::default()
        })
        .col_expr(
            thread::Column::Version,
            Expr::col(thread::Column::Version).add(1),
        )
        .filter(thread::Column::Id.eq(t.id))
        .filter(thread::Column::AnsweredAt.is_null())
        .exec_with_returning(tx.conn())
        .await?
        .pop();
    if let Some(saved) = changed {
        thread_changed(tx, saved).await?;
    }
    Ok(())
}

/// Appends the change event of a thread as saved.
async fn thread_changed(tx: &mut WriteTx<'_>, saved: thread::Model) -> AppResult<()> {
    let mut openings = openings(tx.conn(), &[saved.id]).await?;
    let (id, version) = (saved.id, saved.version);
    let full = with_opening(saved, &mut openings, View::FULL)?;
    tx.changed(THREAD, id, Operation::Updated, version, &full)
}

#[tracing::instrument(skip_all, fields(thread = %id))]
pub async fn reply(cx: &Cx<Repliers>, id: Uuid, body: PostCreate) -> AppResult<Post> {
    let now = cx.svc.clock.now();
    let mut tx = cx.begin().await?;
    let t = thread_of(tx.conn(), &cx.audit, &cx.actor, id).await?;
    if t.status != PostStatus::Published {
        return Err(thread_not_open());
    }
    within_limit(tx.conn(), &cx.svc.settings.discussion, &cx.actor, now).await?;
    let screening = screened(cx, &tx, &[("body".into(), body.body.as_str())]).await?;
    let p = new_post(&cx.actor, &t, false, body.body.to_string(), screening, now)
        .insert(tx.conn())
        .await?;
    tx.touches(POST, p.id, Some(&t.city_code));
    tx.changed(
        POST,
        p.id,
        Operation::Created,
        1,
        &to_post(p.clone(), View::FULL, None)?,
    )?;
    if answers(&p) {
        mark_answered(&mut tx, &t, now).await?;
    }
    let answer = to_post(p, view(&cx.actor), t.accepted_post_id)?;
    tx.commit(201, &answer).await?;
    Ok(answer)
}

/// Whether a post answers its thread's question: a published reply by the institution.
fn answers(p: &post::Model) -> bool {
    !p.opening
        && p.status == PostStatus::Published
        && p.author_role == Role::InstitutionAdmin.as_str()
}

fn thread_not_open() -> AppError {
    AppError::new(
        Code::ThreadNotOpen,
        "the thread or the post is held for moderation or hidden",
    )
}

#[tracing::instrument(skip_all, fields(post = %id, action = ?body.action))]
pub async fn moderate(cx: &Cx<Moderators>, id: Uuid, body: ModerationRequest) -> AppResult<Post> {
    let now = cx.svc.clock.now();
    let mut tx = cx.begin().await?;
    let (p, t) = post_of(tx.conn(), &cx.audit, &cx.actor, id).await?;
    let to = moderated(p.status, p.queued_at.is_some(), body.action).ok_or_else(|| {
        AppError::new(
            Code::IllegalTransition,
            format!(
                "a {} post {}cannot be {}",
                p.status.as_str(),
                if p.queued_at.is_some() {
                    ""
                } else {
                    "nobody reported "
                },
                match body.action {
                    ModerationAction::Hide => "hidden",
                    ModerationAction::Restore => "restored",
                }
            ),
        )
    })?;
    let saved = post::Entity::update_many()
        .set(post::ActiveModel {
            status: Set(to),
            queued_at: Set(None),
            queue_key: Set(None),
            moderation_reason: Set(Some(body.reason.to_string())),
            moderated_by: Set(Some(cx.actor.subject.clone())),
            moderated_at: Set(Some(now)),
            updated_at: Set(now),
            version: Set(p.version + 1),
            ..Default::default()
        })
        .filter(post::Column::Id.eq(p.id))
        .filter(post::Column::Version.eq(p.version))
        .exec_with_returning(tx.conn())
        .await?
        .pop()
        .ok_or_else(concurrent)?;
    report::Entity::update_many()
        .set(report::ActiveModel {
            resolved_at: Set(Some(now)),
            ..Default::default()
        })
        .filter(report::Column::PostId.eq(p.id))
        .filter(report::Column::ResolvedAt.is_null())
        .exec(tx.conn())
        .await?;
    tx.changed(
        POST,
        p.id,
        Operation::Updated,
        saved.version,
        &to_post(saved.clone(), View::FULL, t.accepted_post_id)?,
    )?;
    let mut row = <thread::ActiveModel as Default>::default();
    if saved.opening {
        row.status = Set(to);
    }
    if to == PostStatus::Hidden && t.accepted_post_id == Some(p.id) {
        row.accepted_post_id = Set(None);
    }
    if row.is_changed() {
        let saved = save_thread(&tx, row, &t, now).await?;
        thread_changed(&mut tx, saved).await?;
    }
    if answers(&saved) {
        mark_answered(&mut tx, &t, now).await?;
    }
    let answer = to_post(saved, view(&cx.actor), t.accepted_post_id)?;
    tx.commit(200, &answer).await?;
    Ok(answer)
}

fn concurrent() -> AppError {
    AppError::new(
        Code::ConcurrentChange,
        "the discussion changed meanwhile; read it again",
    )
}

/// Writes `row` over `current` with the next version, unless it changed meanwhile (409).
async fn save_thread(
    tx: &WriteTx<'_>,
    mut row: thread::ActiveModel,
    current: &thread::Model,
    now: DateTime<Utc>,
) -> AppResult<thread::Model> {
    row.updated_at = Set(now);
    row.version = Set(current.version + 1);
    thread::Entity::update_many()
        .set(row)
        .filter(thread::Column::Id.eq(current.id))
        .filter(thread::Column::Version.eq(current.version))
        .exec_with_returning(tx.conn())
        .await?
        .pop()
        .ok_or_else(concurrent)
}

#[tracing::instrument(skip_all, fields(post = %id))]
pub async fn report(cx: &Cx<Readers>, id: Uuid, body: ReportCreate) -> AppResult<Report> {
    let now = cx.svc.clock.now();
    let mut tx = cx.begin().await?;
    let (p, _) = post_of(tx.conn(), &cx.audit, &cx.actor, id).await?;
    if p.status != PostStatus::Published {
        return Err(thread_not_open());
    }
    let r = report::ActiveModel {
        id: Set(Uuid::now_v7()),
        post_id: Set(p.id),
        reporter_subject: Set(cx.actor.subject.clone()),
        reporter_role: Set(cx.actor.role.as_str().into()),
        reason: Set(body.reason.to_string()),
        created_at: Set(now),
        resolved_at: Set(None),
    };
    let r = match report::Entity::insert(r)
        .exec_with_returning(tx.conn())
        .await
    {
        Ok(r) => r,
        Err(e) if ONE_REPORT_PER_READER.violated_by(&e) => {
            return Err(AppError::new(
                Code::AlreadyReported,
                "you have reported this post already",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if p.queued_at.is_none() {
        let saved = post::Entity::update_many()
            .set(post::ActiveModel {
                queued_at: Set(Some(now)),
                queue_key: Set(Some(Uuid::now_v7())),
                updated_at: Set(now),
                version: Set(p.version + 1),
                ..Default::default()
            })
            .filter(post::Column::Id.eq(p.id))
            .filter(post::Column::Version.eq(p.version))
            .exec_with_returning(tx.conn())
            .await?
            .pop()
            .ok_or_else(concurrent)?;
        let version = saved.version;
        tx.changed(
            POST,
            p.id,
            Operation::Updated,
            version,
            &to_post(saved, View::FULL, None)?,
        )?;
    }
    let answer = Report {
        id: r.id,
        post_id: r.post_id,
        reason: r.reason,
        created_at: r.created_at,
    };
    tx.touches(REPORT, r.id, Some(&p.city_code));
    tx.changed(REPORT, r.id, Operation::Created, 1, &answer)?;
    tx.commit(201, &answer).await?;
    Ok(answer)
}

#[tracing::instrument(skip_all, fields(post = %id))]
pub async fn accept(cx: &Cx<Acceptors>, id: Uuid) -> AppResult<Thread> {
    let now = cx.svc.clock.now();
    let mut tx = cx.begin().await?;
    let (p, t) = post_of(tx.conn(), &cx.audit, &cx.actor, id).await?;
    let author = cx.actor.role == Role::Learner && cx.actor.subject == t.author_subject;
    if !(author || cx.actor.role == Role::InstitutionAdmin) {
        return Err(AppError::new(
            Code::NotThreadAuthor,
            "only the thread's author or the course's institution accepts an answer",
        ));
    }
    if t.status != PostStatus::Published {
        return Err(thread_not_open());
    }
    if p.opening || p.status != PostStatus::Published {
        return Err(AppError::new(
            Code::NotAReply,
            "only a published reply is accepted as the answer",
        ));
    }
    let row = thread::ActiveModel {
        accepted_post_id: Set(Some(p.id)),
        answered_at: Set(Some(t.answered_at.unwrap_or(now))),
        ..Default::default()
    };
    let saved = save_thread(&tx, row, &t, now).await?;
    tx.touches(THREAD, t.id, Some(&t.city_code));
    thread_changed(&mut tx, saved.clone()).await?;
    let mut openings = openings(tx.conn(), &[saved.id]).await?;
    let answer = with_opening(saved, &mut openings, view(&cx.actor))?;
    tx.commit(200, &answer).await?;
    Ok(answer)
}

/// The posts of the caller's scope that wait for a moderator, in the order they arrived.
#[tracing::instrument(skip_all)]
pub async fn queue(cx: &Cx<Moderators>, q: &QueueQuery) -> AppResult<Page<QueueItem>> {
    let db = cx.db.get_ref();
    let now = cx.svc.clock.now();
    let due_in = Duration::hours(cx.svc.settings.discussion.moderation_hours.into());
    let limit = Limit::of(q.limit);
    let mut cond = Condition::all().add(post::Column::QueueKey.is_not_null());
    match cx.actor.scope() {
        Scope::All => {}
        Scope::Institution(i) => cond = cond.add(post::Column::InstitutionId.eq(i)),
        _ => return Ok(Page::empty()),
    }
    match q.overdue {
        Some(true) => cond = cond.add(post::Column::QueuedAt.lt(now - due_in)),
        Some(false) => cond = cond.add(post::Column::QueuedAt.gte(now - due_in)),
        None => {}
    }
    let rows = page::after(
        db,
        post::Entity::find().filter(cond),
        post::Column::QueueKey,
        Cursor::key::<Uuid>(&q.cursor)?,
        limit,
        Direction::Ascending,
    )
    .await?;
    let page = Page::from_rows(rows, limit, |p| p.queue_key.unwrap_or_default(), |p| p);
    let ids: Vec<Uuid> = page.items.iter().map(|p| p.id).collect();
    let mut reports = page::children(
        db,
        report::Entity::find().filter(report::Column::ResolvedAt.is_null()),
        report::Column::PostId,
        &ids,
        |r| r.post_id,
        report::Column::Id,
    )
    .await?;
    let threads: Vec<Uuid> = page.items.iter().map(|p| p.thread_id).collect();
    let accepted: HashMap<Uuid, Option<Uuid>> = thread::Entity::find()
        .filter(thread::Column::Id.is_in(threads))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.accepted_post_id))
        .collect();
    page.try_map(|p| {
        let queued_at = p.queued_at.unwrap_or(p.updated_at);
        let due_at = queued_at + due_in;
        Ok(QueueItem {
            reason: match p.status {
                PostStatus::Pending => QueueReason::Held,
                _ => QueueReason::Reported,
            },
            reports: reports
                .remove(&p.id)
                .unwrap_or_default()
                .into_iter()
                .map(|r| PostReport {
                    reason: r.reason,
                    reporter_role: r.reporter_role,
                    created_at: r.created_at,
                })
                .collect(),
            course_id: p.course_id,
            institution_id: p.institution_id,
            queued_at,
            due_at,
            overdue: now > due_at,
            post: to_post(
                p.clone(),
                view(&cx.actor),
                accepted.get(&p.thread_id).copied().flatten(),
            )?,
        })
    })
}

/// Published questions without an answer for longer than `discussion.unanswered_hours`, per
/// institution, in the caller's scope.
#[tracing::instrument(skip_all)]
pub async fn unanswered(cx: &Cx<Overseers>) -> AppResult<DiscussionReport> {
    let now = cx.svc.clock.now();
    let hours = cx.svc.settings.discussion.unanswered_hours;
    let mut cond = Condition::all()
        .add(thread::Column::Status.eq(PostStatus::Published))
        .add(thread::Column::AnsweredAt.is_null())
        .add(thread::Column::CreatedAt.lt(now - Duration::hours(hours.into())));
    match cx.actor.scope() {
        Scope::All => {}
        Scope::City(c) => cond = cond.add(thread::Column::CityCode.eq(c)),
        Scope::Institution(i) => cond = cond.add(thread::Column::InstitutionId.eq(i)),
        Scope::Nothing => cond = cond.add(thread::Column::Id.is_null()),
    }
    let rows: Vec<(Uuid, String, i64, DateTime<Utc>)> = thread::Entity::find()
        .select_only()
        .column(thread::Column::InstitutionId)
        .column(thread::Column::CityCode)
        .column_as(thread::Column::Id.count(), "n")
        .column_as(thread::Column::CreatedAt.min(), "oldest")
        .filter(cond)
        .group_by(thread::Column::InstitutionId)
        .group_by(thread::Column::CityCode)
        .order_by_asc(thread::Column::InstitutionId)
        .into_tuple()
        .all(cx.db.get_ref())
        .await?;
    Ok(DiscussionReport {
        unanswered_hours: hours,
        as_of: now,
        institutions: rows
            .into_iter()
            .map(
                |(institution_id, city_code, n, oldest)| InstitutionUnanswered {
                    institution_id,
                    city_code,
                    unanswered: n as u64,
                    oldest_asked_at: oldest,
                },
            )
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ModerationAction::*;
    use PostStatus::*;

    #[test]
    fn a_held_post_is_listed_to_its_author_and_the_moderators_only() {
        assert!(listed(Published, false, false));
        assert!(listed(Hidden, false, false));
        assert!(!listed(Pending, false, false));
        assert!(listed(Pending, true, false));
        assert!(listed(Pending, false, true));
    }

    #[test]
    fn text_of_a_held_or_hidden_post_is_read_by_its_author_and_the_moderators_only() {
        assert!(text_shown(Published, false, false));
        for status in [Pending, Hidden] {
            assert!(!text_shown(status, false, false));
            assert!(text_shown(status, true, false));
            assert!(text_shown(status, false, true));
        }
    }

    #[test]
    fn moderation_moves() {
        assert_eq!(moderated(Published, false, Hide), Some(Hidden));
        assert_eq!(moderated(Pending, true, Hide), Some(Hidden));
        assert_eq!(moderated(Hidden, false, Hide), None);
        assert_eq!(moderated(Pending, true, Restore), Some(Published));
        assert_eq!(moderated(Hidden, false, Restore), Some(Published));
        assert_eq!(moderated(Published, true, Restore), Some(Published));
        assert_eq!(moderated(Published, false, Restore), None);
    }
}
