//! Study sessions: opened by the learner on a video of its enrolment (one session at a time),
//! kept alive by heartbeats whose credit the server alone decides ([`super::rules`]), checked
//! by face checks at random times, ended by the learner or by the server after the idle limit.
//! Every credited, held, refused and voided second is an entry of the append-only ledger.
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::dto::*;
use super::entity::{face_check, progress, session};
use super::rules::{self, Beat, Before, Reason, Rules};
use super::verifier::{Verdict, Verifier};
use crate::audit::AuditContext;
use crate::auth::{Actor, Role};
use crate::changes::Operation;
use crate::clock::shanghai_day;
use crate::config::StudySettings;
use crate::context::{Cx, WriteTx};
use crate::courses::dto::CoursewareKind;
use crate::courses::entity::courseware;
use crate::enrolments::entity::{enrolment, enrolment_course, ledger};
use crate::error::{AppError, AppResult, Code};
use crate::http::upload::{Upload, store_failed};
use crate::learners::entity::learner;
use crate::media::image::{self, ImageType};
use crate::media::video::VideoFacts;

pub const RESOURCE: &str = "study_session";
pub const LEDGER: &str = "ledger_entry";
pub const FACE_CHECK: &str = "face_check";

crate::policy!(/// The learner studying.
    Learners = &[Role::Learner]);
crate::policy!(/// Who may read study sessions: the learner, its institution, regulators.
    Readers = &[Role::ProvinceAdmin, Role::CityAdmin, Role::InstitutionAdmin, Role::PlatformOperator, Role::Learner]);

fn rules_of(s: &StudySettings) -> Rules {
    Rules {
        idle_limit: s.idle_limit_secs.into(),
        tolerance: s.position_tolerance_secs.into(),
        daily_cap: i64::from(s.daily_cap_minutes) * 60,
        answer_window: s.face_check_answer_secs.into(),
    }
}

/// When the next face check falls due: at random between the configured bounds after `from`.
pub(super) fn next_check(
    s: &StudySettings,
    from: chrono::DateTime<chrono::Utc>,
) -> AppResult<chrono::DateTime<chrono::Utc>> {
    let mut raw = [0u8; 8];
    getrandom::fill(&mut raw).map_err(|e| AppError::bug(e.to_string()))?;
    let span = u64::from(s.face_check_max_secs - s.face_check_min_secs) + 1;
    let secs = u64::from(s.face_check_min_secs) + u64::from_le_bytes(raw) % span;
    Ok(from + chrono::Duration::seconds(secs as i64))
}

pub fn to_dto(s: &StudySettings, m: &session::Model) -> StudySession {
    StudySession {
        id: m.id,
        enrolment_id: m.enrolment_id,
        learner_id: m.learner_id,
        course_id: m.course_id,
        version_number: m.version_number,
        courseware_id: m.courseware_id,
        status: SessionStatus::from_db(&m.status),
        started_at: m.started_at,
        ended_at: m.ended_at,
        end_reason: m.end_reason.clone(),
        client_ip: m.client_ip.clone(),
        user_agent: m.user_agent.clone(),
        credited_seconds: m.credited_seconds,
        position_seconds: m.last_position,
        heartbeat_secs: s.heartbeat_secs,
        face_check_due_by: m
            .check_due_since
            .map(|since| since + chrono::Duration::seconds(s.face_check_answer_secs.into())),
    }
}

/// The learner id of a learner's token.
fn me(actor: &Actor) -> AppResult<Uuid> {
    Uuid::parse_str(&actor.subject).map_err(|_| AppError::not_found())
}

/// A session the caller may read (a learner its own; others by scope), or 404.
pub(super) async fn find<C: ConnectionTrait>(
    db: &C,
    audit: &AuditContext,
    actor: &Actor,
    id: Uuid,
) -> AppResult<session::Model> {
    let cond = if actor.role == Role::Learner {
        Some(Condition::all().add(session::Column::LearnerId.eq(me(actor)?)))
    } else {
        actor
            .scope()
            .condition(session::Column::CityCode, session::Column::InstitutionId)
    };
    crate::context::find_in_scope::<session::Entity, _>(db, audit, RESOURCE, id, cond, |r| {
        Some(r.city_code.as_str())
    })
    .await
}

/// Whether version `version` of `course` has a quiz. A session studies a published version,
/// whose courseware no longer changes (an edit makes a new version), so the answer is kept:
/// heartbeats ask it many times a second.
async fn has_quiz<C: ConnectionTrait>(db: &C, course: Uuid, version: i32) -> AppResult<bool> {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};
    /// Known answers; cleared whole when it grows past a bound (published versions number in
    /// the thousands, so it rarely does).
    static KNOWN: LazyLock<Mutex<HashMap<(Uuid, i32), bool>>> = LazyLock::new(Default::default);
    const BOUND: usize = 100_000;
    let known = KNOWN
        .lock()
        .map_err(|_| AppError::bug("a poisoned lock"))?
        .get(&(course, version))
        .copied();
    if let Some(answer) = known {
        return Ok(answer);
    }
    let answer = courseware::Entity::find()
        .filter(courseware::Column::CourseId.eq(course))
        .filter(courseware::Column::VersionNumber.eq(version))
        .filter(courseware::Column::Kind.eq(CoursewareKind::Quiz))
        .one(db)
        .await?
        .is_some();
    let mut map = KNOWN.lock().map_err(|_| AppError::bug("a poisoned lock"))?;
    if map.len() >= BOUND {
        map.clear();
    }
    map.insert((course, version), answer);
    Ok(answer)
}

/// The session's status while it can still be studied in (open or paused); 409 once it has
/// ended or is suspended.
fn studying(s: &session::Model) -> AppResult<SessionStatus> {
    match SessionStatus::from_db(&s.status) {
        SessionStatus::Ended => Err(AppError::new(
            Code::SessionEnded,
            "the study session has ended; open a new one",
        )),
        SessionStatus::Suspended => Err(AppError::new(
            Code::SessionSuspended,
            "the study session is suspended after repeated failed face checks; an institution reviewer decides",
        )),
        status => Ok(status),
    }
}

/// Appends a ledger entry (and its change event).
#[allow(clippy::too_many_arguments)]
async fn entry(
    tx: &mut WriteTx<'_>,
    s: &session::Model,
    at: chrono::DateTime<chrono::Utc>,
    kind: &str,
    seconds: i64,
    reason: Option<&str>,
    positions: Option<(i64, i64)>,
) -> AppResult<()> {
    entry_by(tx, s, at, kind, seconds, reason, positions, None).await
}

/// Like [`entry`], recorded by a person (`by`: the actor and a note naming what it decided).
#[allow(clippy::too_many_arguments)]
pub(super) async fn entry_by(
    tx: &mut WriteTx<'_>,
    s: &session::Model,
    at: chrono::DateTime<chrono::Utc>,
    kind: &str,
    seconds: i64,
    reason: Option<&str>,
    positions: Option<(i64, i64)>,
    by: Option<(&str, String)>,
) -> AppResult<()> {
    let (actor, note) = by.map_or((None, None), |(a, n)| (Some(a.to_owned()), Some(n)));
    let row = ledger::ActiveModel {
        id: Set(Uuid::now_v7()),
        enrolment_id: Set(s.enrolment_id),
        learner_id: Set(s.learner_id),
        course_id: Set(s.course_id),
        version_number: Set(s.version_number),
        courseware_id: Set(s.courseware_id),
        session_id: Set(Some(s.id)),
        kind: Set(kind.to_owned()),
        seconds: Set(seconds as i32),
        reason: Set(reason.map(str::to_owned)),
        day: Set(shanghai_day(at)),
        from_position: Set(positions.map(|p| p.0 as i32)),
        to_position: Set(positions.map(|p| p.1 as i32)),
        actor_subject: Set(actor),
        note: Set(note),
        institution_id: Set(s.institution_id),
        city_code: Set(s.city_code.clone()),
        recorded_at: Set(at),
    }
    .insert(tx.conn())
    .await?;
    tx.changed(
        LEDGER,
        row.id,
        Operation::Created,
        1,
        &LedgerEvent::from(&row),
    )?;
    Ok(())
}

/// A ledger entry as the change feed carries it.
#[derive(serde::Serialize)]
struct LedgerEvent {
    id: Uuid,
    enrolment_id: Uuid,
    learner_id: Uuid,
    session_id: Option<Uuid>,
    course_id: Uuid,
    version_number: i32,
    courseware_id: Uuid,
    kind: String,
    seconds: i32,
    reason: Option<String>,
    day: chrono::NaiveDate,
    from_position: Option<i32>,
    to_position: Option<i32>,
    recorded_at: chrono::DateTime<chrono::Utc>,
}

impl From<&ledger::Model> for LedgerEvent {
    fn from(m: &ledger::Model) -> Self {
        Self {
            id: m.id,
            enrolment_id: m.enrolment_id,
            learner_id: m.learner_id,
            session_id: m.session_id,
            course_id: m.course_id,
            version_number: m.version_number,
            courseware_id: m.courseware_id,
            kind: m.kind.clone(),
            seconds: m.seconds,
            reason: m.reason.clone(),
            day: m.day,
            from_position: m.from_position,
            to_position: m.to_position,
            recorded_at: m.recorded_at,
        }
    }
}

/// Sum of the ledger's `seconds` over `cond`.
pub(super) async fn sum<C: ConnectionTrait>(db: &C, cond: Condition) -> AppResult<i64> {
    use sea_orm::sea_query::{Alias, Expr, Func};
    let total: Option<Option<i64>> = ledger::Entity::find()
        .select_only()
        .column_as(
            Expr::expr(Func::cast_as(
                Func::sum(Expr::col(ledger::Column::Seconds)),
                Alias::new("BIGINT"),
            )),
            "total",
        )
        .filter(cond)
        .into_tuple()
        .one(db)
        .await?;
    Ok(total.flatten().unwrap_or(0))
}

/// Writes the session's new state with its change event; fails if it changed meanwhile.
pub(super) async fn save(
    tx: &mut WriteTx<'_>,
    settings: &StudySettings,
    current: &session::Model,
    row: session::ActiveModel,
) -> AppResult<session::Model> {
    // One statement: the update answers the row as saved (RETURNING, on both databases).
    let saved = session::Entity::update_many()
        .set(row)
        .filter(session::Column::Id.eq(current.id))
        .filter(session::Column::Version.eq(current.version))
        .exec_with_returning(tx.conn())
        .await?
        .pop()
        .ok_or_else(|| {
            AppError::new(
                Code::ConcurrentChange,
                "the session changed meanwhile; retry",
            )
        })?;
    tx.changed(
        RESOURCE,
        saved.id,
        Operation::Updated,
        saved.version,
        &to_dto(settings, &saved),
    )?;
    Ok(saved)
}

#[tracing::instrument(skip_all)]
pub async fn start(
    cx: &Cx<Learners>,
    body: StudySessionCreate,
    user_agent: String,
) -> AppResult<StudySession> {
    let settings = &cx.svc.settings.study;
    let learner_id = me(&cx.actor)?;
    let now = cx.svc.clock.now();
    let mut tx = cx.begin().await?;
    let learner = learner::Entity::find_by_id(learner_id)
        .one(tx.conn())
        .await?
        .ok_or_else(AppError::not_found)?;
    let enrolment = enrolment::Entity::find_by_id(body.enrolment_id)
        .filter(enrolment::Column::LearnerId.eq(learner_id))
        .filter(enrolment::Column::Status.eq("active"))
        .one(tx.conn())
        .await?
        .ok_or_else(|| {
            AppError::field(
                "enrolment_id",
                "unknown_enrolment",
                "names no active enrolment of the learner",
            )
        })?;
    let piece = courseware::Entity::find_by_id(body.courseware_id)
        .one(tx.conn())
        .await?;
    let enrolled = match &piece {
        Some(p) => enrolment_course::Entity::find()
            .filter(enrolment_course::Column::EnrolmentId.eq(enrolment.id))
            .filter(enrolment_course::Column::CourseId.eq(p.course_id))
            .filter(enrolment_course::Column::VersionNumber.eq(p.version_number))
            .one(tx.conn())
            .await?
            .is_some(),
        None => false,
    };
    let piece = piece.filter(|_| enrolled).ok_or_else(|| {
        AppError::field(
            "courseware_id",
            "unknown_courseware",
            "names no courseware of the enrolment's course versions",
        )
    })?;
    let facts: Option<VideoFacts> = match (&piece.kind, &piece.video_facts) {
        (CoursewareKind::Video, Some(text)) => Some(crate::courses::service::parse(text)?),
        _ => None,
    };
    let Some(facts) = facts else {
        return Err(AppError::field(
            "courseware_id",
            "not_a_video",
            "study sessions are for videos; quizzes have attempts",
        ));
    };
    if learner.face_consent_at.is_none() {
        return Err(AppError::new(
            Code::FaceConsentRequired,
            "study sessions are face-checked: the learner's consent to face processing is needed first",
        ));
    }
    // One device at a time: opening here ends the learner's other sessions.
    let others = session::Entity::find()
        .filter(session::Column::LearnerId.eq(learner_id))
        .filter(session::Column::Status.is_in(["open", "paused"]))
        .all(tx.conn())
        .await?;
    for other in &others {
        let row = session::ActiveModel {
            status: Set("ended".into()),
            ended_at: Set(Some(now)),
            end_reason: Set(Some("replaced".into())),
            version: Set(other.version + 1),
            ..Default::default()
        };
        save(&mut tx, settings, other, row).await?;
    }
    let duration = (facts.duration_ms / 1000) as i32;
    let existing = progress::Entity::find_by_id((enrolment.id, piece.id))
        .one(tx.conn())
        .await?;
    if existing.is_none() {
        progress::ActiveModel {
            enrolment_id: Set(enrolment.id),
            courseware_id: Set(piece.id),
            frontier: Set(0),
            duration_seconds: Set(duration),
            updated_at: Set(now),
        }
        .insert(tx.conn())
        .await?;
    }
    let id = Uuid::now_v7();
    tx.touches(RESOURCE, id, Some(&enrolment.city_code));
    let row = session::ActiveModel {
        id: Set(id),
        enrolment_id: Set(enrolment.id),
        learner_id: Set(learner_id),
        course_id: Set(piece.course_id),
        version_number: Set(piece.version_number),
        courseware_id: Set(piece.id),
        institution_id: Set(enrolment.institution_id),
        city_code: Set(enrolment.city_code.clone()),
        status: Set("open".into()),
        started_at: Set(now),
        ended_at: Set(None),
        end_reason: Set(None),
        client_ip: Set(cx.client_ip()),
        user_agent: Set(user_agent.chars().take(500).collect()),
        last_heartbeat_at: Set(now),
        last_position: Set(existing.map_or(0, |p| p.frontier)),
        credited_seconds: Set(0),
        // A face check at the start.
        next_check_at: Set(next_check(settings, now)?),
        check_due_since: Set(Some(now)),
        last_good_check_at: Set(None),
        failed_checks: Set(0),
        version: Set(1),
    }
    .insert(tx.conn())
    .await?;
    let answer = to_dto(settings, &row);
    tx.changed(RESOURCE, id, Operation::Created, 1, &answer)?;
    tx.commit(201, &answer).await?;
    Ok(answer)
}

#[tracing::instrument(skip_all, fields(session = %id))]
pub async fn heartbeat(
    cx: &Cx<Learners>,
    id: Uuid,
    body: HeartbeatRequest,
) -> AppResult<HeartbeatAnswer> {
    let settings = &cx.svc.settings.study;
    let now = cx.svc.clock.now();
    let mut tx = cx.begin().await?;
    let current = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
    if studying(&current)? == SessionStatus::Paused {
        // Nothing earns until a face check passes; the heartbeat keeps the session alive.
        let row = session::ActiveModel {
            last_heartbeat_at: Set(now),
            version: Set(current.version + 1),
            ..Default::default()
        };
        let saved = save(&mut tx, settings, &current, row).await?;
        let answer = HeartbeatAnswer {
            session: to_dto(settings, &saved),
            credited_seconds: 0,
            held: false,
            refused: None,
            voided_seconds: 0,
        };
        tx.commit(200, &answer).await?;
        return Ok(answer);
    }
    let progress_row = progress::Entity::find_by_id((current.enrolment_id, current.courseware_id))
        .one(tx.conn())
        .await?
        .ok_or_else(|| AppError::bug("a session without its courseware progress"))?;
    let today = shanghai_day(now);
    let counted_today = sum(
        tx.conn(),
        Condition::all()
            .add(ledger::Column::LearnerId.eq(current.learner_id))
            .add(ledger::Column::Day.eq(today))
            .add(ledger::Column::Kind.is_in(["credit", "hold"])),
    )
    .await?;
    let before = Before {
        last_at: current.last_heartbeat_at,
        last_position: current.last_position.into(),
        frontier: progress_row.frontier.into(),
        duration: progress_row.duration_seconds.into(),
        check_due_since: current.check_due_since,
        counted_today,
    };
    let beat = Beat {
        at: now,
        position: body.position_seconds.into(),
        playing: body.playing,
    };
    let d = rules::decide(&before, &beat, &rules_of(settings));
    // Whether credit is held for the course's quiz matters only when there is credit.
    let quiz_pending = d.credit > 0
        && has_quiz(tx.conn(), current.course_id, current.version_number).await?
        && !crate::enrolments::service::quiz_passed(
            tx.conn(),
            current.enrolment_id,
            current.course_id,
        )
        .await?;
    if d.credit > 0 {
        let kind = if quiz_pending { "hold" } else { "credit" };
        let reason = quiz_pending.then_some("quiz_pending");
        entry(
            &mut tx,
            &current,
            now,
            kind,
            d.credit,
            reason,
            Some((d.from, d.from + d.credit)),
        )
        .await?;
    }
    if let Some((reason, seconds)) = d.refused {
        entry(
            &mut tx,
            &current,
            now,
            "refused",
            seconds,
            Some(reason.as_str()),
            None,
        )
        .await?;
    }
    let mut row = session::ActiveModel {
        last_heartbeat_at: Set(now),
        last_position: Set(d.position as i32),
        credited_seconds: Set(current.credited_seconds + d.credit as i32),
        version: Set(current.version + 1),
        ..Default::default()
    };
    let mut voided = 0;
    if d.check_missed {
        voided = void_since_good_check(&mut tx, &current, now).await?;
        face_check::ActiveModel {
            id: Set(Uuid::now_v7()),
            session_id: Set(current.id),
            learner_id: Set(current.learner_id),
            due_since: Set(current.check_due_since.unwrap_or(now)),
            answered_at: Set(now),
            result: Set("missed".into()),
            score_permille: Set(None),
            verifier: Set(cx.data::<Verifier>()?.name().into()),
            capture_key: Set(None),
            capture_sha256: Set(None),
            media_type: Set(None),
            institution_id: Set(current.institution_id),
            city_code: Set(current.city_code.clone()),
        }
        .insert(tx.conn())
        .await?;
        let failed = current.failed_checks + 1;
        let suspended = failed >= settings.max_failed_checks as i32;
        row.failed_checks = Set(failed);
        row.status = Set(if suspended { "suspended" } else { "paused" }.into());
        row.check_due_since = Set(Some(now));
        row.credited_seconds = Set(current.credited_seconds - voided as i32);
    } else if d.pause {
        row.status = Set("paused".into());
        row.check_due_since = Set(Some(now));
    } else if current.check_due_since.is_none() && now >= current.next_check_at {
        row.check_due_since = Set(Some(now));
    }
    if d.frontier != before.frontier {
        progress::Entity::update_many()
            .col_expr(
                progress::Column::Frontier,
                sea_orm::sea_query::Expr::value(d.frontier as i32),
            )
            .col_expr(
                progress::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(progress::Column::EnrolmentId.eq(current.enrolment_id))
            .filter(progress::Column::CoursewareId.eq(current.courseware_id))
            .exec(tx.conn())
            .await?;
    }
    let saved = save(&mut tx, settings, &current, row).await?;
    let answer = HeartbeatAnswer {
        session: to_dto(settings, &saved),
        credited_seconds: d.credit,
        held: quiz_pending && d.credit > 0,
        refused: d
            .refused
            .map(|(reason, seconds)| Refusal { reason, seconds }),
        voided_seconds: voided,
    };
    tx.commit(200, &answer).await?;
    Ok(answer)
}

/// What a session earns, each kind with the kind of entry that voids it.
pub(super) const EARNED: [(&str, &str); 2] = [("credit", "void"), ("hold", "void_hold")];

/// The note of the entry that voids what a face check rejected on review vouched for.
pub(super) fn review_note(check: Uuid) -> String {
    format!("face_check:{check}")
}

/// `cond` with `column` in the time `(from, to]` (an open end is unbounded).
fn within<Col: ColumnTrait>(
    cond: Condition,
    column: Col,
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: Option<chrono::DateTime<chrono::Utc>>,
) -> Condition {
    let cond = match from {
        Some(from) => cond.add(column.gt(from)),
        None => cond,
    };
    match to {
        Some(to) => cond.add(column.lte(to)),
        None => cond,
    }
}

/// What the session earned of `earned` (net of its `void`s) in the time `(from, to]`. A
/// reviewer's void counts at the time of the check it rejected, not at the time it was
/// decided, so a window never counts the void of another window.
pub(super) async fn net_earned<C: ConnectionTrait>(
    db: &C,
    s: &session::Model,
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: Option<chrono::DateTime<chrono::Utc>>,
    earned: &str,
    void: &str,
) -> AppResult<i64> {
    use super::entity::face_check_review as review;
    let kinds = Condition::all()
        .add(ledger::Column::SessionId.eq(s.id))
        .add(ledger::Column::Kind.is_in([earned, void]));
    let mut total = sum(
        db,
        within(
            kinds.clone().add(ledger::Column::Note.is_null()),
            ledger::Column::RecordedAt,
            from,
            to,
        ),
    )
    .await?;
    let rejected: Vec<Uuid> = review::Entity::find()
        .select_only()
        .column(review::Column::FaceCheckId)
        .filter(review::Column::SessionId.eq(s.id))
        .filter(review::Column::Verdict.eq(FaceCheckVerdict::Fail.as_str()))
        .into_tuple()
        .all(db)
        .await?;
    if !rejected.is_empty() {
        let in_window: Vec<Uuid> = face_check::Entity::find()
            .select_only()
            .column(face_check::Column::Id)
            .filter(within(
                Condition::all().add(face_check::Column::Id.is_in(rejected)),
                face_check::Column::AnsweredAt,
                from,
                to,
            ))
            .into_tuple()
            .all(db)
            .await?;
        if !in_window.is_empty() {
            let notes: Vec<String> = in_window.into_iter().map(review_note).collect();
            total += sum(db, kinds.add(ledger::Column::Note.is_in(notes))).await?;
        }
    }
    Ok(total)
}

/// Voids what the session earned since its last good face check: compensating entries, never
/// an update. Answers the seconds voided.
async fn void_since_good_check(
    tx: &mut WriteTx<'_>,
    s: &session::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<i64> {
    let mut voided = 0;
    for (earned, void) in EARNED {
        let open = net_earned(tx.conn(), s, s.last_good_check_at, None, earned, void).await?;
        if open > 0 {
            entry(
                tx,
                s,
                now,
                void,
                -open,
                Some(Reason::IdentityFailed.as_str()),
                None,
            )
            .await?;
            voided += open;
        }
    }
    Ok(voided)
}

#[tracing::instrument(skip_all, fields(session = %id))]
pub async fn end(cx: &Cx<Learners>, id: Uuid) -> AppResult<StudySession> {
    let settings = &cx.svc.settings.study;
    let now = cx.svc.clock.now();
    let mut tx = cx.begin().await?;
    let current = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
    if current.status == "ended" {
        return Err(AppError::new(
            Code::SessionEnded,
            "the study session has ended already",
        ));
    }
    let row = session::ActiveModel {
        status: Set("ended".into()),
        ended_at: Set(Some(now)),
        end_reason: Set(Some("ended_by_learner".into())),
        version: Set(current.version + 1),
        ..Default::default()
    };
    let saved = save(&mut tx, settings, &current, row).await?;
    let answer = to_dto(settings, &saved);
    tx.commit(200, &answer).await?;
    Ok(answer)
}

#[tracing::instrument(skip_all, fields(session = %id))]
pub async fn get(cx: &Cx<Readers>, id: Uuid) -> AppResult<StudySession> {
    let row = find(cx.db.get_ref(), &cx.audit, &cx.actor, id).await?;
    Ok(to_dto(&cx.svc.settings.study, &row))
}

/// Answers the session's face check with a capture: checked by its content, encrypted into the
/// blob store, and judged by the verifier. With the `manual` verifier the capture waits for a
/// person to compare it with the portrait, and study goes on meanwhile.
#[tracing::instrument(skip_all, fields(session = %id))]
pub async fn face_check(cx: &Cx<Learners>, id: Uuid, upload: Upload) -> AppResult<FaceCheck> {
    let settings = &cx.svc.settings.study;
    let current = find(cx.db.get_ref(), &cx.audit, &cx.actor, id).await?;
    studying(&current)?;
    let declared = ImageType::from_media_type(&upload.media_type)
        .ok_or_else(|| AppError::bug("an upload of a type the route does not take"))?;
    let bytes = upload.read_all().await?;
    let tail = &bytes[bytes.len().saturating_sub(64)..];
    let facts = image::inspect(declared, &bytes, tail)
        .map_err(|e| AppError::new(Code::FileRejected, e.0))?;
    let sha256 = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&bytes))
    };
    let sealed = cx.svc.cipher.encrypt_bytes(&bytes).map_err(AppError::bug)?;
    let key = format!("face-checks/{}/{}", current.learner_id, Uuid::now_v7());
    cx.svc
        .blobs
        .put_bytes(&key, sealed.into())
        .await
        .map_err(store_failed)?;
    let verifier = cx.data::<Verifier>()?;
    let portrait = crate::learners::service::portrait_bytes(
        cx.db.get_ref(),
        &cx.svc.cipher,
        &cx.svc.blobs,
        current.learner_id,
    )
    .await?;
    let verdict = verifier.compare(portrait.as_deref(), &bytes).await;
    let (result, score) = match &verdict {
        Verdict::Passed(p) => (FaceCheckResult::Passed, Some(*p)),
        Verdict::Failed(p) => (FaceCheckResult::Failed, Some(*p)),
        Verdict::Review(why) => {
            tracing::info!(reason = %why, "a face capture goes to manual review");
            (FaceCheckResult::PendingReview, None)
        }
    };
    let written = async {
        let now = cx.svc.clock.now();
        let mut tx = cx.begin().await?;
        let current = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
        let check = face_check::ActiveModel {
            id: Set(Uuid::now_v7()),
            session_id: Set(current.id),
            learner_id: Set(current.learner_id),
            due_since: Set(current.check_due_since.unwrap_or(now)),
            answered_at: Set(now),
            result: Set(result.as_str().into()),
            score_permille: Set(score),
            verifier: Set(verifier.name().into()),
            capture_key: Set(Some(key.clone())),
            capture_sha256: Set(Some(sha256.clone())),
            media_type: Set(Some(facts.kind.media_type().to_owned())),
            institution_id: Set(current.institution_id),
            city_code: Set(current.city_code.clone()),
        }
        .insert(tx.conn())
        .await?;
        let mut voided = 0;
        let mut row = session::ActiveModel {
            version: Set(current.version + 1),
            ..Default::default()
        };
        if result == FaceCheckResult::Failed {
            // A failed check voids like a missed one, and another check is due at once.
            voided = void_since_good_check(&mut tx, &current, now).await?;
            let failed = current.failed_checks + 1;
            let suspended = failed >= settings.max_failed_checks as i32;
            row.failed_checks = Set(failed);
            row.status = Set(if suspended { "suspended" } else { "paused" }.into());
            row.check_due_since = Set(Some(now));
            row.credited_seconds = Set(current.credited_seconds - voided as i32);
        } else {
            row.last_good_check_at = Set(Some(now));
            row.check_due_since = Set(None);
            row.next_check_at = Set(next_check(settings, now)?);
            if current.status == "paused" {
                // Resumes: the paused time earns nothing (the next interval starts now).
                row.status = Set("open".into());
                row.last_heartbeat_at = Set(now);
            }
        }
        let saved = save(&mut tx, settings, &current, row).await?;
        let answer = FaceCheck {
            id: check.id,
            session_id: current.id,
            due_since: check.due_since,
            answered_at: now,
            result,
            score_permille: score,
            verifier: check.verifier.clone(),
            capture_sha256: Some(sha256.clone()),
            voided_seconds: voided,
            session: to_dto(settings, &saved),
        };
        tx.changed(FACE_CHECK, check.id, Operation::Created, 1, &answer)?;
        tx.commit(201, &answer).await?;
        Ok::<_, AppError>((answer, None))
    }
    .await;
    cx.svc.blobs.settle(&key, written).await
}

crate::policy!(/// Who may decide on a suspended session: the learner's institution.
    Reviewers = &[Role::InstitutionAdmin]);

/// An institution reviewer clears a suspended session (face recognition is never the only way
/// through) or ends it; the decision is kept with who made it and why.
#[tracing::instrument(skip_all, fields(session = %id))]
pub async fn review(
    cx: &Cx<Reviewers>,
    id: Uuid,
    body: SessionReviewRequest,
) -> AppResult<StudySession> {
    let settings = &cx.svc.settings.study;
    let now = cx.svc.clock.now();
    let mut tx = cx.begin().await?;
    let current = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
    if current.status != "suspended" {
        return Err(AppError::new(
            Code::IllegalTransition,
            "only a suspended session is reviewed",
        ));
    }
    super::entity::review::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(id),
        decision: Set(match body.decision {
            ReviewDecision::Resume => "resume",
            ReviewDecision::End => "end",
        }
        .into()),
        reason: Set(body.reason.to_string()),
        actor_subject: Set(cx.actor.subject.clone()),
        actor_role: Set(cx.actor.role.as_str().into()),
        decided_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    let row = match body.decision {
        ReviewDecision::Resume => session::ActiveModel {
            status: Set("open".into()),
            failed_checks: Set(0),
            last_good_check_at: Set(Some(now)),
            check_due_since: Set(None),
            next_check_at: Set(next_check(settings, now)?),
            last_heartbeat_at: Set(now),
            version: Set(current.version + 1),
            ..Default::default()
        },
        ReviewDecision::End => session::ActiveModel {
            status: Set("ended".into()),
            ended_at: Set(Some(now)),
            end_reason: Set(Some("ended_by_review".into())),
            version: Set(current.version + 1),
            ..Default::default()
        },
    };
    let saved = save(&mut tx, settings, &current, row).await?;
    let answer = to_dto(settings, &saved);
    tx.commit(200, &answer).await?;
    Ok(answer)
}
