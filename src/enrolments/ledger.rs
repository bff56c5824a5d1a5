//! The hours ledger of an enrolment: its entries, their roll-ups per courseware and per day,
//! and compensating corrections (never an update in place).
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::entity::{enrolment_course, ledger};
use super::service::Readers;
use crate::auth::Role;
use crate::changes::Operation;
use crate::context::Cx;
use crate::db::page::{self, Direction};
use crate::domain::{Label, Reason};
use crate::error::{AppError, AppResult};
use crate::http::pagination::{Cursor, Limit, Page};

pub const RESOURCE: &str = "ledger_entry";

crate::policy!(/// Who may correct the ledger: the regulators (an upheld appeal, a reviewed void).
    Correctors = &[Role::ProvinceAdmin, Role::CityAdmin]);

/// One ledger entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LedgerEntry {
    /// The id (UUIDv7, in recording order).
    pub id: Uuid,
    /// `credit`, `hold` (until the quiz is passed), `release`, `void` and `void_hold`
    /// (a missed or failed face check), `correction`, or `refused` (time that did not count).
    #[schema(example = "credit")]
    pub kind: String,
    /// Seconds: positive, or negative for voids and some corrections.
    pub seconds: i32,
    /// Why: the reason code of refused, held and voided time (`idle`, `fast_forward`,
    /// `identity_failed`, `daily_cap`, `repeat`, `quiz_pending`), or a correction's reason.
    #[schema(required = true)]
    pub reason: Option<String>,
    /// The course.
    pub course_id: Uuid,
    /// The course version.
    pub version_number: i32,
    /// The courseware.
    pub courseware_id: Uuid,
    /// The study session, for time studied.
    #[schema(required = true)]
    pub session_id: Option<Uuid>,
    /// The day studied, in Asia/Shanghai.
    pub day: NaiveDate,
    /// The content credited: from this second of the courseware…
    #[schema(required = true)]
    pub from_position: Option<i32>,
    /// …to this one.
    #[schema(required = true)]
    pub to_position: Option<i32>,
    /// Who recorded a correction, or rejected the face check a void names.
    #[schema(required = true)]
    pub actor_subject: Option<String>,
    /// A correction's approval; for a void by a reviewer's verdict, `face_check:<id>`.
    #[schema(required = true)]
    pub note: Option<String>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

impl From<ledger::Model> for LedgerEntry {
    fn from(m: ledger::Model) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            seconds: m.seconds,
            reason: m.reason,
            course_id: m.course_id,
            version_number: m.version_number,
            courseware_id: m.courseware_id,
            session_id: m.session_id,
            day: m.day,
            from_position: m.from_position,
            to_position: m.to_position,
            actor_subject: m.actor_subject,
            note: m.note,
            recorded_at: m.recorded_at,
        }
    }
}

/// Counted, held and refused seconds.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Totals {
    /// Seconds that count.
    pub credited_seconds: i64,
    /// Seconds held until a quiz is passed.
    pub held_seconds: i64,
    /// Seconds that did not count.
    pub refused_seconds: i64,
}

impl Totals {
    fn add(&mut self, kind: &str, seconds: i64) {
        match kind {
            "refused" => self.refused_seconds += seconds,
            "hold" | "void_hold" => self.held_seconds += seconds,
            "release" => {
                self.credited_seconds += seconds;
                self.held_seconds -= seconds;
            }
            _ => self.credited_seconds += seconds,
        }
    }
}

/// The totals of one courseware.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoursewareTotals {
    /// The courseware.
    pub courseware_id: Uuid,
    /// Its course.
    pub course_id: Uuid,
    /// The totals.
    #[serde(flatten)]
    pub totals: Totals,
}

/// The totals of one day (Asia/Shanghai).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayTotals {
    /// The day.
    pub day: NaiveDate,
    /// The totals.
    #[serde(flatten)]
    pub totals: Totals,
}

/// An enrolment's ledger: roll-ups of every entry, and a page of the entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ledger {
    /// The enrolment.
    pub enrolment_id: Uuid,
    /// Every entry, in all.
    pub totals: Totals,
    /// Per courseware.
    pub by_courseware: Vec<CoursewareTotals>,
    /// Per day.
    pub by_day: Vec<DayTotals>,
    /// A page of entries, in recording order.
    pub entries: Vec<LedgerEntry>,
    /// The cursor of the next page of entries, if any.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// Paging of the entries.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Cursor>,
}

/// A compensating entry.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionCreate {
    /// The course of the enrolment it concerns.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub course_id: Uuid,
    /// The courseware it concerns.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub courseware_id: Uuid,
    /// Seconds to add (positive) or take away (negative), not zero.
    #[serde(deserialize_with = "correction_seconds")]
    #[schema(minimum = -86400, maximum = 86400)]
    pub seconds: i32,
    /// Why (an appeal upheld, a void found wrong).
    pub reason: Reason,
    /// The approval it rests on (an appeal's number, a decision's reference).
    pub approval: Label,
}

pub fn correction_seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    let n = crate::domain::whole(d, "an integer from -86400 to 86400")?;
    i32::try_from(n)
        .ok()
        .filter(|n| (-86_400..=86_400).contains(n))
        .ok_or_else(|| {
            serde::de::Error::custom(crate::domain::Invalid::new(
                "range",
                "must be -86400 to 86400",
            ))
        })
}

#[tracing::instrument(skip_all, fields(enrolment = %id))]
pub async fn read(cx: &Cx<Readers>, id: Uuid, q: &LedgerQuery) -> AppResult<Ledger> {
    let enrolment = super::service::find_for(cx, id).await?;
    let db = cx.db.get_ref();
    let all = ledger::Entity::find()
        .filter(ledger::Column::EnrolmentId.eq(enrolment.id))
        .order_by_asc(ledger::Column::Id)
        .all(db)
        .await?;
    let mut totals = Totals::default();
    let mut by_courseware: BTreeMap<Uuid, (Uuid, Totals)> = BTreeMap::new();
    let mut by_day: BTreeMap<NaiveDate, Totals> = BTreeMap::new();
    for e in &all {
        let s = i64::from(e.seconds);
        totals.add(&e.kind, s);
        by_courseware
            .entry(e.courseware_id)
            .or_insert((e.course_id, Totals::default()))
            .1
            .add(&e.kind, s);
        by_day.entry(e.day).or_default().add(&e.kind, s);
    }
    let limit = Limit::of(q.limit);
    let rows = page::after(
        db,
        ledger::Entity::find().filter(ledger::Column::EnrolmentId.eq(enrolment.id)),
        ledger::Column::Id,
        Cursor::key::<Uuid>(&q.cursor)?,
        limit,
        Direction::Ascending,
    )
    .await?;
    let page: Page<LedgerEntry> = Page::from_rows(rows, limit, |m| m.id, LedgerEntry::from);
    Ok(Ledger {
        enrolment_id: enrolment.id,
        totals,
        by_courseware: by_courseware
            .into_iter()
            .map(|(courseware_id, (course_id, totals))| CoursewareTotals {
                courseware_id,
                course_id,
                totals,
            })
            .collect(),
        by_day: by_day
            .into_iter()
            .map(|(day, totals)| DayTotals { day, totals })
            .collect(),
        entries: page.items,
        next_cursor: page.next_cursor,
    })
}

/// Records a correction: a new entry with the regulator, the reason and the approval.
#[tracing::instrument(skip_all, fields(enrolment = %id))]
pub async fn correct(
    cx: &Cx<Correctors>,
    id: Uuid,
    body: CorrectionCreate,
) -> AppResult<LedgerEntry> {
    if body.seconds == 0 {
        return Err(AppError::field(
            "seconds",
            "not_zero",
            "a correction adds or takes away time",
        ));
    }
    let mut tx = cx.begin().await?;
    let enrolment = super::service::find_in(tx.conn(), &cx.audit, &cx.actor, id).await?;
    let course = enrolment_course::Entity::find_by_id((enrolment.id, body.course_id))
        .one(tx.conn())
        .await?
        .ok_or_else(|| {
            AppError::field(
                "course_id",
                "unknown_course",
                "names no course of the enrolment",
            )
        })?;
    let piece = crate::courses::entity::courseware::Entity::find_by_id(body.courseware_id)
        .filter(crate::courses::entity::courseware::Column::CourseId.eq(course.course_id))
        .filter(crate::courses::entity::courseware::Column::VersionNumber.eq(course.version_number))
        .one(tx.conn())
        .await?
        .ok_or_else(|| {
            AppError::field(
                "courseware_id",
                "unknown_courseware",
                "names no courseware of the course version enrolled",
            )
        })?;
    let now = cx.svc.clock.now();
    let row = ledger::ActiveModel {
        id: Set(Uuid::now_v7()),
        enrolment_id: Set(enrolment.id),
        learner_id: Set(enrolment.learner_id),
        course_id: Set(course.course_id),
        version_number: Set(course.version_number),
        courseware_id: Set(piece.id),
        session_id: Set(None),
        kind: Set("correction".into()),
        seconds: Set(body.seconds),
        reason: Set(Some(body.reason.to_string())),
        day: Set(crate::clock::shanghai_day(now)),
        from_position: Set(None),
        to_position: Set(None),
        actor_subject: Set(Some(cx.actor.subject.clone())),
        note: Set(Some(body.approval.to_string())),
        institution_id: Set(enrolment.institution_id),
        city_code: Set(enrolment.city_code.clone()),
        recorded_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    let answer = LedgerEntry::from(row);
    tx.changed(RESOURCE, answer.id, Operation::Created, 1, &answer)?;
    tx.commit(201, &answer).await?;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::Totals;

    fn totals(entries: &[(&str, i64)]) -> (i64, i64, i64) {
        let mut t = Totals::default();
        for (kind, seconds) in entries {
            t.add(kind, *seconds);
        }
        (t.credited_seconds, t.held_seconds, t.refused_seconds)
    }

    #[test]
    fn each_kind_of_entry_rolls_up_where_it_counts() {
        // Credit, voids and corrections count (voids are negative entries).
        assert_eq!(
            totals(&[("credit", 30), ("void", -20), ("correction", 5)]),
            (15, 0, 0)
        );
        // Held time waits for the quiz; a voided hold is taken off what is held.
        assert_eq!(totals(&[("hold", 30), ("void_hold", -10)]), (0, 20, 0));
        // A release moves held time into credit.
        assert_eq!(totals(&[("hold", 30), ("release", 30)]), (30, 0, 0));
        // Refused time is kept apart, counting nowhere else.
        assert_eq!(totals(&[("credit", 30), ("refused", 12)]), (30, 0, 12));
    }
}
