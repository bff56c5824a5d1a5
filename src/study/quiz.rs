//! End-of-course quizzes for learners: the questions without their answers, and attempts
//! scored against the pass mark. Quiz time is test time, never study time. A course's studied
//! time is held until its quiz is passed; the first pass releases it.
use std::collections::{BTreeMap, HashMap};

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::service::Learners;
use crate::changes::Operation;
use crate::context::Cx;
use crate::courses::dto::CoursewareKind;
use crate::courses::entity::courseware;
use crate::courses::quiz::{self, QuestionShown, Quiz};
use crate::enrolments::entity::{enrolment, enrolment_course, ledger, quiz_attempt};
use crate::error::{AppError, AppResult};
use crate::http::upload::store_failed;

pub const RESOURCE: &str = "quiz_attempt";

/// Which enrolment the quiz is taken under.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QuizQuery {
    /// The learner's active enrolment that holds the quiz's course.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    #[param(value_type = String, format = Uuid)]
    pub enrolment_id: Uuid,
}

/// A quiz as a learner gets it.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuizShown {
    /// The quiz (courseware) id.
    pub courseware_id: Uuid,
    /// The share of questions (percent) an attempt must get right to pass.
    pub pass_percent: u32,
    /// The questions, without their answers.
    pub questions: Vec<QuestionShown>,
}

/// An attempt.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuizAttemptCreate {
    /// The learner's active enrolment that holds the quiz's course.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub enrolment_id: Uuid,
    /// The answers, one a question (at most 200). A question left out scores nothing; a
    /// question answered twice counts its last answer.
    #[validate(length(max = 200))]
    #[schema(max_items = 200)]
    pub answers: Vec<Answer>,
}

/// The answer to one question.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// The question's id.
    pub question_id: crate::domain::Label,
    /// The indices (from 0) of the options chosen.
    #[schema(max_items = 10)]
    pub chosen: Vec<OptionIndex>,
}

/// The index (from 0) of an option: an integer 0–9, written as JSON allows (`1` or `1.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct OptionIndex(u32);

impl<'de> Deserialize<'de> for OptionIndex {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = crate::domain::whole(d, "an option index from 0 to 9")?;
        u32::try_from(n)
            .ok()
            .filter(|n| *n <= 9)
            .map(OptionIndex)
            .ok_or_else(|| {
                serde::de::Error::custom(crate::domain::Invalid::new("range", "must be 0 to 9"))
            })
    }
}

impl utoipa::PartialSchema for OptionIndex {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
            .maximum(Some(9))
            .description(Some("The index (from 0) of an option"))
            .into()
    }
}

impl utoipa::ToSchema for OptionIndex {}

/// A scored attempt.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuizAttempt {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The quiz (courseware).
    pub courseware_id: Uuid,
    /// Questions right.
    pub correct: i32,
    /// Questions in the quiz.
    pub total: i32,
    /// Whether it reached the pass mark.
    pub passed: bool,
    /// The pass mark, percent.
    pub pass_percent: u32,
    /// Seconds of the course's held time this pass released into credit (0 unless it is the
    /// course's first pass).
    pub released_seconds: i64,
    /// When it was made.
    pub attempted_at: chrono::DateTime<chrono::Utc>,
}

/// The quiz `id` of a course in the learner's active enrolment, with the enrolment, or 404.
async fn reach<C: ConnectionTrait>(
    db: &C,
    learner: Uuid,
    enrolment_id: Uuid,
    id: Uuid,
) -> AppResult<(enrolment::Model, courseware::Model)> {
    let enrolment = enrolment::Entity::find_by_id(enrolment_id)
        .filter(enrolment::Column::LearnerId.eq(learner))
        .filter(enrolment::Column::Status.eq("active"))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let piece = courseware::Entity::find_by_id(id)
        .filter(courseware::Column::Kind.eq(CoursewareKind::Quiz))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    enrolment_course::Entity::find_by_id((enrolment.id, piece.course_id))
        .filter(enrolment_course::Column::VersionNumber.eq(piece.version_number))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok((enrolment, piece))
}

async fn load_quiz(cx: &Cx<Learners>, piece: &courseware::Model) -> AppResult<Quiz> {
    let key = piece
        .file_key
        .as_deref()
        .ok_or_else(|| AppError::new(crate::error::Code::NoFile, "the quiz has no file yet"))?;
    let bytes = cx.svc.blobs.read_all(key).await.map_err(store_failed)?;
    quiz::parse(&bytes).map_err(AppError::bug)
}

fn learner_of(cx: &Cx<Learners>) -> AppResult<Uuid> {
    Uuid::parse_str(&cx.actor.subject).map_err(|_| AppError::not_found())
}

#[tracing::instrument(skip_all, fields(courseware = %id))]
pub async fn questions(cx: &Cx<Learners>, id: Uuid, q: &QuizQuery) -> AppResult<QuizShown> {
    let learner = learner_of(cx)?;
    let (enrolment, piece) = reach(cx.db.get_ref(), learner, q.enrolment_id, id).await?;
    cx.audit
        .set_resource("courseware", id, Some(&enrolment.city_code));
    let quiz = load_quiz(cx, &piece).await?;
    Ok(QuizShown {
        courseware_id: id,
        pass_percent: cx.svc.settings.study.quiz_pass_percent,
        questions: quiz.shown(),
    })
}

#[tracing::instrument(skip_all, fields(courseware = %id))]
pub async fn attempt(
    cx: &Cx<Learners>,
    id: Uuid,
    body: QuizAttemptCreate,
) -> AppResult<QuizAttempt> {
    let learner = learner_of(cx)?;
    let (_, piece) = reach(cx.db.get_ref(), learner, body.enrolment_id, id).await?;
    let quiz = load_quiz(cx, &piece).await?;
    let pass_percent = cx.svc.settings.study.quiz_pass_percent;
    let chosen: BTreeMap<String, Vec<u32>> = body
        .answers
        .iter()
        .map(|a| {
            (
                a.question_id.to_string(),
                a.chosen.iter().map(|p| p.0).collect(),
            )
        })
        .collect();
    let correct = quiz.score(&chosen);
    let total = quiz.questions.len();
    let passed = correct * 100 >= total * pass_percent as usize;
    let now = cx.svc.clock.now();
    let mut tx = cx.begin().await?;
    let (enrolment, piece) = reach(tx.conn(), learner, body.enrolment_id, id).await?;
    tx.touches(RESOURCE, id, Some(&enrolment.city_code));
    let first_pass = passed
        && !crate::enrolments::service::quiz_passed(tx.conn(), enrolment.id, piece.course_id)
            .await?;
    let row = quiz_attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        enrolment_id: Set(enrolment.id),
        learner_id: Set(learner),
        course_id: Set(piece.course_id),
        version_number: Set(piece.version_number),
        courseware_id: Set(piece.id),
        correct: Set(correct as i32),
        total: Set(total as i32),
        passed: Set(passed),
        answers: Set(serde_json::to_string(&chosen).map_err(AppError::internal)?),
        institution_id: Set(enrolment.institution_id),
        city_code: Set(enrolment.city_code.clone()),
        attempted_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    let mut released = 0;
    if first_pass {
        // Release the course's held time, video by video, as new entries.
        let entries = ledger::Entity::find()
            .filter(ledger::Column::EnrolmentId.eq(enrolment.id))
            .filter(ledger::Column::CourseId.eq(piece.course_id))
            .filter(ledger::Column::Kind.is_in(["hold", "void_hold", "release"]))
            .all(tx.conn())
            .await?;
        let mut held: HashMap<Uuid, (i64, i32)> = HashMap::new();
        for e in &entries {
            let sign = if e.kind == "release" { -1 } else { 1 };
            let slot = held.entry(e.courseware_id).or_insert((0, e.version_number));
            slot.0 += sign * i64::from(e.seconds);
        }
        for (courseware_id, (seconds, version_number)) in held {
            if seconds <= 0 {
                continue;
            }
            let entry = ledger::ActiveModel {
                id: Set(Uuid::now_v7()),
                enrolment_id: Set(enrolment.id),
                learner_id: Set(learner),
                course_id: Set(piece.course_id),
                version_number: Set(version_number),
                courseware_id: Set(courseware_id),
                session_id: Set(None),
                kind: Set("release".into()),
                seconds: Set(seconds as i32),
                reason: Set(Some("quiz_passed".into())),
                day: Set(crate::clock::shanghai_day(now)),
                from_position: Set(None),
                to_position: Set(None),
                actor_subject: Set(None),
                note: Set(Some(format!("quiz attempt {}", row.id))),
                institution_id: Set(enrolment.institution_id),
                city_code: Set(enrolment.city_code.clone()),
                recorded_at: Set(now),
            }
            .insert(tx.conn())
            .await?;
            tx.changed(
                crate::enrolments::ledger::RESOURCE,
                entry.id,
                Operation::Created,
                1,
                &crate::enrolments::ledger::LedgerEntry::from(entry),
            )?;
            released += seconds;
        }
    }
    let answer = QuizAttempt {
        id: row.id,
        courseware_id: piece.id,
        correct: row.correct,
        total: row.total,
        passed,
        pass_percent,
        released_seconds: released,
        attempted_at: now,
    };
    tx.changed(RESOURCE, answer.id, Operation::Created, 1, &answer)?;
    tx.commit(201, &answer).await?;
    Ok(answer)
}
