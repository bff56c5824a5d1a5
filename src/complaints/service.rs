//! Complaints, appeals and suggestions: filed by a learner or by anyone without an account
//! (who follows it with a one-time tracking code), handled by the target's institution, its
//! city bureau once escalated, and the platform's complaints desk, on deadlines counted in
//! Asia/Shanghai working time. Every step is kept with its actor, time and message.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

use super::calendar::Calendar;
use super::dto::*;
use super::entity::{attachment, complaint, event};
use super::workflow::{self, Refusal, State};
use crate::auth::{Actor, Policy, Role};
use crate::changes::Operation;
use crate::context::{Cx, WriteTx};
use crate::db::page;
use crate::domain::{Email, OneTimeSecret, Phone};
use crate::error::{AppError, AppResult, Code, FieldError};
use crate::http::pagination::{Cursor, Limit, Page};

pub const RESOURCE: &str = "complaint";

/// Who files: a signed-in learner, or anyone without an account (other roles: 403).
pub struct Filers;

impl Policy for Filers {
    type Caller = Option<Actor>;

    fn admit(actor: Option<Actor>) -> Result<Option<Actor>, AppError> {
        match actor {
            Some(a) if a.role != Role::Learner => Err(AppError::role_not_allowed(a.role.as_str())),
            other => Ok(other),
        }
    }
}

crate::policy!(/// Who reads complaints: the filer (a learner), the institution, the city bureau, the
    /// province and the platform's desk, each in its scope.
    Readers = &[Role::ProvinceAdmin, Role::CityAdmin, Role::InstitutionAdmin, Role::PlatformOperator, Role::Learner]);
crate::policy!(/// Who takes steps: the handlers and the filer (the province reads only).
    Actors = &[Role::CityAdmin, Role::InstitutionAdmin, Role::PlatformOperator, Role::Learner]);

/// Characters of numbers and tracking codes: no 0/O, 1/I/L to misread.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

fn random_chars(n: usize) -> AppResult<String> {
    let mut raw = vec![0u8; n];
    getrandom::fill(&mut raw).map_err(|e| AppError::bug(e.to_string()))?;
    // 256 is not a multiple of 31: a slight bias, immaterial at these lengths.
    Ok(raw
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect())
}

/// Whether `m` is past a deadline and still waiting for its handlers at `now`.
pub fn is_overdue(m: &complaint::Model, now: DateTime<Utc>) -> bool {
    Status::from_db(&m.status).is_open()
        && ((m.first_answered_at.is_none() && now > m.first_answer_due) || now > m.resolve_due)
}

/// The overdue rule as a condition on the table.
pub fn overdue_condition(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(complaint::Column::Status.is_in(Status::OPEN.map(Status::as_str)))
        .add(
            Condition::any()
                .add(
                    Condition::all()
                        .add(complaint::Column::FirstAnsweredAt.is_null())
                        .add(complaint::Column::FirstAnswerDue.lt(now)),
                )
                .add(complaint::Column::ResolveDue.lt(now)),
        )
}

fn decrypt(cx_cipher: &crate::crypto::DataCipher, v: &str) -> AppResult<String> {
    cx_cipher.decrypt(v).map_err(AppError::bug)
}

/// What the answer about complaints carries besides their rows — steps, attachments, and the
/// enrolments of appealed study sessions — loaded with one query each for a whole page.
struct Extras {
    steps: HashMap<Uuid, Vec<event::Model>>,
    attachments: HashMap<Uuid, Vec<attachment::Model>>,
    enrolments: HashMap<Uuid, Uuid>,
}

impl Extras {
    /// Loads what `rows` carry as `staff` (a handler: every step) or the filer (the public ones).
    async fn load<C: ConnectionTrait>(
        db: &C,
        rows: &[&complaint::Model],
        staff: bool,
    ) -> AppResult<Self> {
        let ids: Vec<Uuid> = rows.iter().map(|m| m.id).collect();
        let mut steps = event::Entity::find();
        if !staff {
            steps = steps.filter(event::Column::Public.eq(true));
        }
        let steps = page::children(
            db,
            steps,
            event::Column::ComplaintId,
            &ids,
            |e| e.complaint_id,
            event::Column::Id,
        )
        .await?;
        let attachments = page::children(
            db,
            attachment::Entity::find(),
            attachment::Column::ComplaintId,
            &ids,
            |a| a.complaint_id,
            attachment::Column::Id,
        )
        .await?;
        let sessions: Vec<Uuid> = rows
            .iter()
            .filter(|m| staff && TargetType::from_db(&m.target_type) == TargetType::StudySession)
            .filter_map(|m| m.target_id)
            .collect();
        let enrolments = if sessions.is_empty() {
            HashMap::new()
        } else {
            use crate::study::entity::session;
            session::Entity::find()
                .filter(session::Column::Id.is_in(sessions))
                .all(db)
                .await?
                .into_iter()
                .map(|s| (s.id, s.enrolment_id))
                .collect()
        };
        Ok(Self {
            steps,
            attachments,
            enrolments,
        })
    }
}

/// The complaint as `staff` (a handler: every step and the screening hits) or the filer sees it.
async fn to_dto<C: ConnectionTrait>(
    db: &C,
    cipher: &crate::crypto::DataCipher,
    m: &complaint::Model,
    staff: bool,
    now: DateTime<Utc>,
) -> AppResult<Complaint> {
    let mut extras = Extras::load(db, &[m], staff).await?;
    shape(cipher, m, staff, now, &mut extras)
}

/// Shapes `m` with what `extras` loaded for it.
fn shape(
    cipher: &crate::crypto::DataCipher,
    m: &complaint::Model,
    staff: bool,
    now: DateTime<Utc>,
    extras: &mut Extras,
) -> AppResult<Complaint> {
    let timeline = extras
        .steps
        .remove(&m.id)
        .unwrap_or_default()
        .into_iter()
        .map(|e| Step {
            action: serde_json::from_value(serde_json::Value::String(e.action.clone()))
                .unwrap_or(Action::Note),
            from_status: Status::from_db(&e.from_status),
            to_status: Status::from_db(&e.to_status),
            message: e.message,
            by: e.actor_kind,
            role: e.actor_role,
            subject: e.actor_subject.filter(|_| staff),
            at: e.at,
        })
        .collect();
    let related = match (staff, TargetType::from_db(&m.target_type), m.target_id) {
        (true, TargetType::StudySession, Some(session)) => {
            let mut links = vec![
                Related {
                    rel: "study_session".into(),
                    href: format!("/api/v1/study-sessions/{session}"),
                },
                Related {
                    rel: "face_checks".into(),
                    href: format!("/api/v1/face-checks?session_id={session}"),
                },
            ];
            if let Some(enrolment) = extras.enrolments.get(&session) {
                links.push(Related {
                    rel: "ledger".into(),
                    href: format!("/api/v1/enrolments/{enrolment}/ledger"),
                });
            }
            links
        }
        _ => Vec::new(),
    };
    let attachments = extras
        .attachments
        .remove(&m.id)
        .unwrap_or_default()
        .into_iter()
        .map(to_attachment)
        .collect();
    let hits: Vec<FieldError> = match (&m.screening_hits, staff) {
        (Some(raw), true) => serde_json::from_str(raw).map_err(AppError::internal)?,
        _ => Vec::new(),
    };
    Ok(Complaint {
        id: m.id,
        number: m.number.clone(),
        kind: Kind::from_db(&m.kind),
        target_type: TargetType::from_db(&m.target_type),
        target_id: m.target_id,
        institution_id: m.institution_id,
        city_code: m.city_code.clone(),
        title: m.title.clone(),
        content: m.content.clone(),
        contact_name: decrypt(cipher, &m.contact_name_enc)?,
        contact_phone: match &m.contact_phone_enc {
            Some(v) => Some(Phone::from_db(decrypt(cipher, v)?)),
            None => None,
        },
        contact_email: match &m.contact_email_enc {
            Some(v) => Some(Email::from_db(decrypt(cipher, v)?)),
            None => None,
        },
        by_learner: m.filer_learner_id.is_some(),
        status: Status::from_db(&m.status),
        screening_hits: hits,
        first_answer_due: m.first_answer_due,
        resolve_due: m.resolve_due,
        deadline_estimated: m.deadline_estimated,
        overdue: is_overdue(m, now),
        first_answered_at: m.first_answered_at,
        answered_at: m.answered_at,
        resolved_at: m.resolved_at,
        reopened_at: m.reopened_at,
        escalated_at: m.escalated_at,
        created_at: m.created_at,
        updated_at: m.updated_at,
        timeline,
        related,
        attachments,
    })
}

/// Whose the target is: its institution and city. The platform's own has neither. A learner
/// appeals only about its own study sessions and certificates; without an account, only the
/// platform, an institution or a course can be the target.
async fn resolve_target<C: ConnectionTrait>(
    db: &C,
    body: &ComplaintCreate,
    learner: Option<Uuid>,
) -> AppResult<(Option<Uuid>, Option<String>)> {
    use crate::courses::entity::course;
    use crate::enrolments::entity::certificate;
    use crate::institutions::entity::institution;
    use crate::study::entity::session;
    let missing = || {
        AppError::field(
            "target_id",
            "not_found",
            "no such target (a learner's own study session or certificate, an institution or a course)",
        )
    };
    if body.kind == Kind::Appeal
        && (learner.is_none()
            || !matches!(
                body.target_type,
                TargetType::StudySession | TargetType::Certificate
            ))
    {
        return Err(AppError::field(
            "kind",
            "appeal_target",
            "an appeal is a signed-in learner's, about its own study session or certificate",
        ));
    }
    let Some(id) = body.target_id else {
        return match body.target_type {
            TargetType::Platform => Ok((None, None)),
            _ => Err(AppError::field(
                "target_id",
                "required",
                "name the target (only the platform needs none)",
            )),
        };
    };
    let found = match body.target_type {
        TargetType::Platform => {
            return Err(AppError::field(
                "target_id",
                "not_allowed",
                "the platform is the target without an id",
            ));
        }
        TargetType::Institution => institution::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|i| (i.id, i.city_code)),
        TargetType::Course => course::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|c| (c.institution_id, c.city_code)),
        TargetType::StudySession => match learner {
            Some(me) => session::Entity::find_by_id(id)
                .filter(session::Column::LearnerId.eq(me))
                .one(db)
                .await?
                .map(|s| (s.institution_id, s.city_code)),
            None => None,
        },
        TargetType::Certificate => match learner {
            Some(me) => certificate::Entity::find_by_id(id)
                .filter(certificate::Column::LearnerId.eq(me))
                .one(db)
                .await?
                .map(|c| (c.institution_id, c.city_code)),
            None => None,
        },
    };
    let (institution, city) = found.ok_or_else(missing)?;
    Ok((Some(institution), Some(city)))
}

#[tracing::instrument(skip_all)]
pub async fn file(cx: &Cx<Filers>, body: ComplaintCreate) -> AppResult<ComplaintFiled> {
    let settings = &cx.svc.settings.complaints;
    if body.contact_phone.is_none() && body.contact_email.is_none() {
        return Err(AppError::field(
            "contact_phone",
            "required",
            "give contact_phone or contact_email (or both)",
        ));
    }
    let learner = match &cx.actor {
        Some(a) => {
            // The learner of the token must exist (its complaints are listed by it).
            let id = Uuid::parse_str(&a.subject).map_err(|_| AppError::not_found())?;
            crate::learners::entity::learner::Entity::find_by_id(id)
                .one(cx.db.get_ref())
                .await?
                .ok_or_else(AppError::not_found)?;
            Some(id)
        }
        None => None,
    };
    let calendar = cx.data::<Calendar>()?;
    let screener = cx.data::<crate::screening::Screener>()?;
    let now = cx.svc.clock.now();
    let mut tx = cx.begin_by(cx.actor.as_ref()).await?;
    let (institution, city) = resolve_target(tx.conn(), &body, learner).await?;
    let hits = crate::courses::service::screen(
        tx.conn(),
        &screener,
        &[
            ("title".into(), body.title.as_str()),
            ("content".into(), body.content.as_str()),
        ],
    )
    .await?;
    let first = calendar.add_service_minutes(now, settings.first_answer_minutes);
    let resolve = calendar.add_working_days(now, settings.resolve_working_days);
    let (code, hash) = match learner {
        Some(_) => (None, None),
        None => {
            let code = random_chars(12)?;
            let hash = crate::crypto::token_hash(&code);
            (Some(code), Some(hash))
        }
    };
    let id = Uuid::now_v7();
    let day = crate::clock::shanghai_day(now).format("%Y%m%d");
    let number = format!("TS{day}{}", random_chars(6)?);
    tx.touches(RESOURCE, id, city.as_deref());
    let enc = |v: &str| cx.svc.cipher.encrypt(v).map_err(AppError::bug);
    let row = complaint::ActiveModel {
        id: Set(id),
        number: Set(number),
        kind: Set(body.kind.as_str().into()),
        target_type: Set(body.target_type.as_str().into()),
        target_id: Set(body.target_id),
        institution_id: Set(institution),
        city_code: Set(city),
        title: Set(body.title.to_string()),
        content: Set(body.content.to_string()),
        contact_name_enc: Set(enc(body.contact_name.as_str())?),
        contact_phone_enc: Set(body.contact_phone.as_deref().map(enc).transpose()?),
        contact_email_enc: Set(body.contact_email.as_deref().map(enc).transpose()?),
        filer_learner_id: Set(learner),
        tracking_hash: Set(hash),
        tracking_failures: Set(0),
        tracking_locked_until: Set(None),
        status: Set(Status::Submitted.as_str().into()),
        screening_hits: Set(if hits.is_empty() {
            None
        } else {
            Some(serde_json::to_string(&hits).map_err(AppError::internal)?)
        }),
        first_answer_due: Set(first.at),
        resolve_due: Set(resolve.at),
        deadline_estimated: Set(first.estimated || resolve.estimated),
        first_answered_at: Set(None),
        resolved_at: Set(None),
        answered_at: Set(None),
        reopened_at: Set(None),
        escalated_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(tx.conn())
    .await?;
    let shown = to_dto(tx.conn(), &cx.svc.cipher, &row, false, now).await?;
    tx.changed(RESOURCE, id, Operation::Created, 1, &shown)?;
    let answer = ComplaintFiled {
        complaint: shown,
        tracking_code: code.map(OneTimeSecret::new),
    };
    tx.commit(201, &answer).await?;
    Ok(answer)
}

/// What a caller may see: `None` for nothing.
fn scoped(actor: &Actor) -> Option<Condition> {
    match actor.role {
        Role::Learner => {
            let me = Uuid::parse_str(&actor.subject).ok()?;
            Some(Condition::all().add(complaint::Column::FilerLearnerId.eq(me)))
        }
        // The province and the platform's desk all; a city bureau its city's, an institution
        // its own.
        _ => actor.scope().condition(
            complaint::Column::CityCode,
            complaint::Column::InstitutionId,
        ),
    }
}

async fn find<C: ConnectionTrait>(
    db: &C,
    audit: &crate::audit::AuditContext,
    actor: &Actor,
    id: Uuid,
) -> AppResult<complaint::Model> {
    crate::context::find_in_scope::<complaint::Entity, _>(
        db,
        audit,
        RESOURCE,
        id,
        scoped(actor),
        |r| r.city_code.as_deref(),
    )
    .await
}

#[tracing::instrument(skip_all, fields(complaint = %id))]
pub async fn get(cx: &Cx<Readers>, id: Uuid) -> AppResult<Complaint> {
    let row = find(cx.db.get_ref(), &cx.audit, &cx.actor, id).await?;
    let staff = cx.actor.role != Role::Learner;
    to_dto(
        cx.db.get_ref(),
        &cx.svc.cipher,
        &row,
        staff,
        cx.svc.clock.now(),
    )
    .await
}

#[tracing::instrument(skip_all)]
pub async fn list(cx: &Cx<Readers>, q: &ComplaintListQuery) -> AppResult<Page<Complaint>> {
    let limit = Limit::of(q.limit);
    let now = cx.svc.clock.now();
    let Some(mut cond) = scoped(&cx.actor) else {
        return Ok(Page::empty());
    };
    if let Some(status) = q.status {
        cond = cond.add(complaint::Column::Status.eq(status.as_str()));
    }
    if let Some(kind) = q.kind {
        cond = cond.add(complaint::Column::Kind.eq(kind.as_str()));
    }
    match q.overdue {
        Some(true) => cond = cond.add(overdue_condition(now)),
        Some(false) => cond = cond.add(overdue_condition(now).not()),
        None => {}
    }
    let rows = page::after(
        cx.db.get_ref(),
        complaint::Entity::find().filter(cond),
        complaint::Column::Id,
        Cursor::key::<Uuid>(&q.cursor)?,
        limit,
        page::Direction::Ascending,
    )
    .await?;
    let page = Page::from_rows(rows, limit, |m| m.id, |m| m);
    let staff = cx.actor.role != Role::Learner;
    let rows: Vec<&complaint::Model> = page.items.iter().collect();
    let mut extras = Extras::load(cx.db.get_ref(), &rows, staff).await?;
    let items = page
        .items
        .iter()
        .map(|m| shape(&cx.svc.cipher, m, staff, now, &mut extras))
        .collect::<AppResult<_>>()?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// Whether a handler may take steps on `m`: the platform's desk always; the institution until
/// the complaint is escalated; the city bureau once it is.
fn handles(actor: &Actor, m: &complaint::Model) -> bool {
    match actor.role {
        Role::PlatformOperator => true,
        Role::InstitutionAdmin => {
            m.escalated_at.is_none()
                && m.institution_id.is_some()
                && m.institution_id == actor.institution
        }
        Role::CityAdmin => {
            m.escalated_at.is_some() && m.city_code.is_some() && m.city_code == actor.city
        }
        _ => false,
    }
}

/// Takes `action` on `current` by the filer (`actor` none: without an account) or a handler;
/// answers the complaint as its taker sees it.
#[allow(clippy::too_many_arguments)]
async fn step(
    mut tx: WriteTx<'_>,
    cx_cipher: &crate::crypto::DataCipher,
    settings: &crate::config::ComplaintSettings,
    calendar: &Calendar,
    current: complaint::Model,
    by_filer: bool,
    actor: Option<&Actor>,
    body: ComplaintActionRequest,
    now: DateTime<Utc>,
) -> AppResult<Complaint> {
    let status = Status::from_db(&current.status);
    let within = current
        .answered_at
        .is_some_and(|a| now <= a + chrono::Duration::days(settings.reopen_days.into()));
    let state = State {
        status,
        reopened: current.reopened_at.is_some(),
        within_reopen_period: within,
        escalated: current.escalated_at.is_some(),
    };
    let to = workflow::next(state, body.action, by_filer).map_err(|r| match r {
        Refusal::NotYours => AppError::new(
            Code::NotHandler,
            if by_filer {
                format!("the filer cannot {}: a handler does", body.action.as_str())
            } else {
                format!("a handler cannot {}: the filer does", body.action.as_str())
            },
        ),
        Refusal::Illegal(why) => AppError::new(Code::IllegalTransition, why),
    })?;
    if body.action.needs_message() && body.message.is_none() {
        return Err(AppError::field(
            "message",
            "required",
            format!("{} needs a message", body.action.as_str()),
        ));
    }
    if let Some(seconds) = body.correction_seconds {
        correct(&mut tx, &current, actor, body.action, seconds, now).await?;
    }
    if body.action == Action::Escalate && current.city_code.is_none() {
        return Err(AppError::new(
            Code::IllegalTransition,
            "a complaint about the platform itself has no city bureau to escalate to",
        ));
    }
    event::ActiveModel {
        id: Set(Uuid::now_v7()),
        complaint_id: Set(current.id),
        action: Set(body.action.as_str().into()),
        from_status: Set(status.as_str().into()),
        to_status: Set(to.as_str().into()),
        message: Set(body.message.as_ref().map(ToString::to_string)),
        public: Set(body.action.is_public()),
        actor_kind: Set(if by_filer { "filer" } else { "staff" }.into()),
        actor_subject: Set(actor.filter(|_| !by_filer).map(|a| a.subject.clone())),
        actor_role: Set(actor
            .filter(|_| !by_filer)
            .map(|a| a.role.as_str().to_owned())),
        at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    let mut row = complaint::ActiveModel {
        status: Set(to.as_str().into()),
        updated_at: Set(now),
        version: Set(current.version + 1),
        ..Default::default()
    };
    if !by_filer && body.action.is_public() && current.first_answered_at.is_none() {
        row.first_answered_at = Set(Some(now));
    }
    match body.action {
        Action::Answer => {
            row.answered_at = Set(Some(now));
            row.resolved_at = Set(Some(now));
        }
        Action::Reject => row.resolved_at = Set(Some(now)),
        Action::Escalate => row.escalated_at = Set(Some(now)),
        Action::Reopen => {
            let due = calendar.add_working_days(now, settings.resolve_working_days);
            row.reopened_at = Set(Some(now));
            row.resolved_at = Set(None);
            row.resolve_due = Set(due.at);
            row.deadline_estimated = Set(current.deadline_estimated || due.estimated);
        }
        _ => {}
    }
    let saved = complaint::Entity::update_many()
        .set(row)
        .filter(complaint::Column::Id.eq(current.id))
        .filter(complaint::Column::Version.eq(current.version))
        .exec_with_returning(tx.conn())
        .await?
        .pop()
        .ok_or_else(|| {
            AppError::new(
                Code::ConcurrentChange,
                "the complaint changed meanwhile; read it again",
            )
        })?;
    let shared = to_dto(tx.conn(), cx_cipher, &saved, false, now).await?;
    tx.changed(
        RESOURCE,
        saved.id,
        Operation::Updated,
        saved.version,
        &shared,
    )?;
    let answer = if by_filer {
        shared
    } else {
        to_dto(tx.conn(), cx_cipher, &saved, true, now).await?
    };
    tx.commit(200, &answer).await?;
    Ok(answer)
}

/// An upheld appeal's compensating ledger entry: with the answer, on an appeal about a study
/// session, by the city bureau (an institution does not credit its own learners).
async fn correct(
    tx: &mut WriteTx<'_>,
    c: &complaint::Model,
    actor: Option<&Actor>,
    action: Action,
    seconds: i32,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use crate::enrolments::entity::ledger;
    use crate::study::entity::session;
    let session_id = match (
        action,
        Kind::from_db(&c.kind),
        TargetType::from_db(&c.target_type),
    ) {
        (Action::Answer, Kind::Appeal, TargetType::StudySession) => c.target_id,
        _ => None,
    }
    .ok_or_else(|| {
        AppError::field(
            "correction_seconds",
            "appeal_only",
            "a ledger correction goes with the answer to an appeal about a study session",
        )
    })?;
    if seconds == 0 {
        return Err(AppError::field(
            "correction_seconds",
            "not_zero",
            "a correction adds or takes away time",
        ));
    }
    let actor = actor.filter(|a| a.role == Role::CityAdmin).ok_or_else(|| {
        AppError::new(
            Code::NotHandler,
            "a ledger correction is the city bureau's: escalate the appeal to it",
        )
    })?;
    let s = session::Entity::find_by_id(session_id)
        .one(tx.conn())
        .await?
        .ok_or_else(|| AppError::bug("an appeal about a session that is gone"))?;
    let row = ledger::ActiveModel {
        id: Set(Uuid::now_v7()),
        enrolment_id: Set(s.enrolment_id),
        learner_id: Set(s.learner_id),
        course_id: Set(s.course_id),
        version_number: Set(s.version_number),
        courseware_id: Set(s.courseware_id),
        session_id: Set(Some(s.id)),
        kind: Set("correction".into()),
        seconds: Set(seconds),
        reason: Set(Some(format!("appeal {} upheld", c.number))),
        day: Set(crate::clock::shanghai_day(now)),
        from_position: Set(None),
        to_position: Set(None),
        actor_subject: Set(Some(actor.subject.clone())),
        note: Set(Some(c.number.clone())),
        institution_id: Set(s.institution_id),
        city_code: Set(s.city_code.clone()),
        recorded_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    let entry = crate::enrolments::ledger::LedgerEntry::from(row);
    tx.changed(
        crate::enrolments::ledger::RESOURCE,
        entry.id,
        Operation::Created,
        1,
        &entry,
    )?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(complaint = %id))]
pub async fn act(cx: &Cx<Actors>, id: Uuid, body: ComplaintActionRequest) -> AppResult<Complaint> {
    let calendar = cx.data::<Calendar>()?;
    let now = cx.svc.clock.now();
    let tx = cx.begin().await?;
    let current = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
    let by_filer = cx.actor.role == Role::Learner;
    if !by_filer && !handles(&cx.actor, &current) {
        return Err(AppError::new(
            Code::NotHandler,
            "the institution handles its complaints until they are escalated, then the city \
             bureau; the platform's desk always",
        ));
    }
    let settings = &cx.svc.settings.complaints;
    step(
        tx,
        &cx.svc.cipher,
        settings,
        &calendar,
        current,
        by_filer,
        Some(&cx.actor),
        body,
        now,
    )
    .await
}

/// The complaint of `number` if `code` is its tracking code. A wrong code (or number) reveals
/// nothing (404) and counts against the number: after `tracking_max_failures` it is refused
/// for `tracking_lock_minutes` (429), whatever code comes.
async fn tracked<P: Policy>(
    cx: &Cx<P>,
    number: &str,
    code: &str,
    now: DateTime<Utc>,
) -> AppResult<complaint::Model> {
    let settings = &cx.svc.settings.complaints;
    let row = complaint::Entity::find()
        .filter(complaint::Column::Number.eq(number))
        .filter(complaint::Column::TrackingHash.is_not_null())
        .one(cx.db.get_ref())
        .await?;
    let Some(row) = row else {
        cx.audit.set_resource(RESOURCE, number, None);
        return Err(AppError::not_found());
    };
    cx.audit
        .set_resource(RESOURCE, row.id, row.city_code.as_deref());
    if let Some(until) = row.tracking_locked_until
        && until > now
    {
        return Err(AppError::rate_limited(
            (until - now).num_seconds().max(1) as u64
        ));
    }
    let given = crate::crypto::token_hash(code);
    if row.tracking_hash.as_deref() == Some(given.as_str()) {
        return Ok(row);
    }
    // Its own statement: the count must stay although the request fails.
    let failures = row.tracking_failures + 1;
    let locks = failures >= settings.tracking_max_failures as i32;
    let until = now + chrono::Duration::minutes(settings.tracking_lock_minutes.into());
    complaint::Entity::update_many()
        .col_expr(
            complaint::Column::TrackingFailures,
            Expr::value(if locks { 0 } else { failures }),
        )
        .col_expr(
            complaint::Column::TrackingLockedUntil,
            Expr::value(if locks {
                Some(until)
            } else {
                row.tracking_locked_until
            }),
        )
        .filter(complaint::Column::Id.eq(row.id))
        .exec(cx.db.get_ref())
        .await?;
    Err(AppError::not_found())
}

#[tracing::instrument(skip_all)]
pub async fn track(cx: &Cx<crate::auth::Public>, body: TrackRequest) -> AppResult<Complaint> {
    let now = cx.svc.clock.now();
    let row = tracked(cx, body.number.as_str(), body.code.expose(), now).await?;
    to_dto(cx.db.get_ref(), &cx.svc.cipher, &row, false, now).await
}

#[tracing::instrument(skip_all)]
pub async fn track_act(
    cx: &Cx<crate::auth::Public>,
    body: TrackActionRequest,
) -> AppResult<Complaint> {
    let calendar = cx.data::<Calendar>()?;
    let now = cx.svc.clock.now();
    let found = tracked(cx, body.number.as_str(), body.code.expose(), now).await?;
    let tx = cx.begin_by(None).await?;
    // Read again inside the write: the step applies to the complaint as it now stands.
    let current = complaint::Entity::find_by_id(found.id)
        .one(tx.conn())
        .await?
        .ok_or_else(AppError::not_found)?;
    step(
        tx,
        &cx.svc.cipher,
        &cx.svc.settings.complaints,
        &calendar,
        current,
        true,
        None,
        ComplaintActionRequest {
            action: body.action,
            message: body.message,
            correction_seconds: None,
        },
        now,
    )
    .await
}

crate::policy!(/// Who reads the complaint counts: the regulators and the platform's desk.
    CountReaders = &[Role::ProvinceAdmin, Role::CityAdmin, Role::PlatformOperator]);

/// Open and overdue complaints per institution and city, in the caller's scope: a service
/// signal for the regulators (no ranking). Institutions without open complaints are left out.
#[tracing::instrument(skip_all)]
pub async fn counts(cx: &Cx<CountReaders>) -> AppResult<Vec<ComplaintCount>> {
    use sea_orm::QuerySelect;
    let now = cx.svc.clock.now();
    let Some(scope) = scoped(&cx.actor) else {
        return Ok(Vec::new());
    };
    let open = Status::OPEN.map(Status::as_str);
    let grouped = |cond: Condition| {
        complaint::Entity::find()
            .select_only()
            .column(complaint::Column::CityCode)
            .column(complaint::Column::InstitutionId)
            .column_as(complaint::Column::Id.count(), "n")
            .filter(cond)
            .group_by(complaint::Column::CityCode)
            .group_by(complaint::Column::InstitutionId)
            .into_tuple::<(Option<String>, Option<Uuid>, i64)>()
    };
    let waiting = grouped(scope.clone().add(complaint::Column::Status.is_in(open)))
        .all(cx.db.get_ref())
        .await?;
    let late = grouped(scope.add(overdue_condition(now)))
        .all(cx.db.get_ref())
        .await?;
    let mut out: Vec<ComplaintCount> = waiting
        .into_iter()
        .map(|(city, institution, n)| ComplaintCount {
            overdue: late
                .iter()
                .find(|(c, i, _)| *c == city && *i == institution)
                .map_or(0, |(_, _, n)| *n as u64),
            city_code: city,
            institution_id: institution,
            open: n as u64,
        })
        .collect();
    out.sort_by(|a, b| (&a.city_code, a.institution_id).cmp(&(&b.city_code, b.institution_id)));
    Ok(out)
}

fn to_attachment(a: attachment::Model) -> Attachment {
    Attachment {
        id: a.id,
        media_type: a.media_type,
        size: a.size,
        sha256: a.sha256,
        by: a.by,
        created_at: a.created_at,
    }
}

pub const ATTACHMENT: &str = "complaint_attachment";

/// The media types an attachment may have.
pub const ATTACHMENT_TYPES: &[&str] = &["image/jpeg", "image/png", "application/pdf"];

/// Checks a file by its content: an image of its declared type, or a whole PDF document.
fn check_file(media_type: &str, bytes: &[u8]) -> Result<(), String> {
    use crate::media::image::{self, ImageType};
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    match ImageType::from_media_type(media_type) {
        Some(declared) => image::inspect(declared, bytes, tail)
            .map(|_| ())
            .map_err(|e| e.0),
        None if bytes.starts_with(b"%PDF-") => {
            if String::from_utf8_lossy(tail).contains("%%EOF") {
                Ok(())
            } else {
                Err("the PDF document is incomplete (no end-of-file marker)".into())
            }
        }
        None => Err("the file is not a PDF document".into()),
    }
}

/// Attaches a file to a complaint: by its filer (a learner) or a handler, checked by content,
/// encrypted into the blob store.
#[tracing::instrument(skip_all, fields(complaint = %id))]
pub async fn attach(
    cx: &Cx<Actors>,
    id: Uuid,
    upload: crate::http::upload::Upload,
) -> AppResult<Attachment> {
    let current = find(cx.db.get_ref(), &cx.audit, &cx.actor, id).await?;
    let by_filer = cx.actor.role == Role::Learner;
    if !by_filer && !handles(&cx.actor, &current) {
        return Err(AppError::new(
            Code::NotHandler,
            "the complaint is another party's to handle",
        ));
    }
    keep_file(cx, &current, by_filer, Some(&cx.actor), upload).await
}

/// Attaches a file to a complaint filed without an account, by the number and tracking code
/// (the same lock after wrong codes as following it).
#[tracing::instrument(skip_all)]
pub async fn track_attach(
    cx: &Cx<crate::auth::Public>,
    number: &str,
    code: &str,
    upload: crate::http::upload::Upload,
) -> AppResult<Attachment> {
    let current = tracked(cx, number, code, cx.svc.clock.now()).await?;
    keep_file(cx, &current, true, None, upload).await
}

/// Checks and keeps a file for `current`, from its filer or a handler (`actor`, none: a filer
/// without an account), while the complaint is open or answered.
async fn keep_file<P: Policy>(
    cx: &Cx<P>,
    current: &complaint::Model,
    by_filer: bool,
    actor: Option<&Actor>,
    upload: crate::http::upload::Upload,
) -> AppResult<Attachment> {
    let settings = &cx.svc.settings.complaints;
    let id = current.id;
    if !Status::from_db(&current.status).is_open() && current.status != "answered" {
        return Err(AppError::new(
            Code::IllegalTransition,
            format!("a complaint {} takes no more files", current.status),
        ));
    }
    let media_type = upload.media_type.clone();
    let bytes = upload.read_all().await?;
    check_file(&media_type, &bytes).map_err(|e| AppError::new(Code::FileRejected, e))?;
    let sha256 = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&bytes))
    };
    let sealed = cx.svc.cipher.encrypt_bytes(&bytes).map_err(AppError::bug)?;
    let aid = Uuid::now_v7();
    let key = format!("complaints/{id}/{aid}");
    cx.svc
        .blobs
        .put_bytes(&key, sealed.into())
        .await
        .map_err(crate::http::upload::store_failed)?;
    let written = async {
        let mut tx = cx.begin_by(actor).await?;
        tx.touches(RESOURCE, id, current.city_code.as_deref());
        use sea_orm::PaginatorTrait;
        let held = attachment::Entity::find()
            .filter(attachment::Column::ComplaintId.eq(id))
            .count(tx.conn())
            .await?;
        if held >= u64::from(settings.max_attachments) {
            return Err(AppError::new(
                Code::TooManyAttachments,
                format!(
                    "a complaint takes at most {} files",
                    settings.max_attachments
                ),
            ));
        }
        let row = attachment::ActiveModel {
            id: Set(aid),
            complaint_id: Set(id),
            media_type: Set(media_type.clone()),
            size: Set(bytes.len() as i64),
            sha256: Set(sha256.clone()),
            blob_key: Set(key.clone()),
            by: Set(if by_filer { "filer" } else { "staff" }.into()),
            actor_subject: Set(actor.map(|a| a.subject.clone())),
            created_at: Set(cx.svc.clock.now()),
        }
        .insert(tx.conn())
        .await?;
        let answer = to_attachment(row);
        tx.changed(ATTACHMENT, aid, Operation::Created, 1, &answer)?;
        tx.commit(201, &answer).await?;
        Ok::<_, AppError>((answer, None))
    }
    .await;
    cx.svc.blobs.settle(&key, written).await
}

/// An attached file, decrypted, for those who may read the complaint.
pub struct AttachedFile {
    pub media_type: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

#[tracing::instrument(skip_all, fields(complaint = %id, attachment = %aid))]
pub async fn attachment_file(cx: &Cx<Readers>, id: Uuid, aid: Uuid) -> AppResult<AttachedFile> {
    let current = find(cx.db.get_ref(), &cx.audit, &cx.actor, id).await?;
    let a = attachment::Entity::find_by_id(aid)
        .filter(attachment::Column::ComplaintId.eq(current.id))
        .one(cx.db.get_ref())
        .await?
        .ok_or_else(AppError::not_found)?;
    let sealed = cx
        .svc
        .blobs
        .read_all(&a.blob_key)
        .await
        .map_err(crate::http::upload::store_failed)?;
    let bytes = cx
        .svc
        .cipher
        .decrypt_bytes(&sealed)
        .map_err(AppError::bug)?;
    Ok(AttachedFile {
        media_type: a.media_type,
        sha256: a.sha256,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_codes_draw_from_the_whole_alphabet_and_nothing_else() {
        let drawn = random_chars(2000).unwrap();
        assert_eq!(drawn.len(), 2000);
        let mut seen: Vec<u8> = drawn.bytes().collect();
        seen.sort_unstable();
        seen.dedup();
        let mut all = ALPHABET.to_vec();
        all.sort_unstable();
        // 2000 draws miss one of 31 characters with a chance below 1e-26.
        assert_eq!(seen, all);
    }
}
