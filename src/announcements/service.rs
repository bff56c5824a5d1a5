//! Announcements (信息公布): written by province and city admins for their scope and by
//! platform operators platform-wide, screened before submission, approved by someone who is
//! not the author, then published; every move kept with its actor and reason.
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter,
};
use uuid::Uuid;

use super::dto::*;
use super::entity::{announcement, status_change};
use crate::auth::{Actor, Role};
use crate::changes::Operation;
use crate::context::Cx;
use crate::db::page::{self, Direction};
use crate::error::{AppError, AppResult, Code};
use crate::http::etag::{IfMatch, Versioned};
use crate::http::pagination::{Cursor, Limit, Page};

pub const RESOURCE: &str = "announcement";

crate::policy!(/// Who writes, reviews and publishes announcements, each in its scope.
    Editors = &[Role::ProvinceAdmin, Role::CityAdmin, Role::PlatformOperator]);

/// Why a move is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Only the author submits.
    NotAuthor,
    /// The author never approves (or returns) its own.
    OwnApproval,
    /// Not from this status.
    Illegal,
}

/// Whether `from` → `to` is a move, and for whom: the one rule of the review.
pub fn allowed(from: Status, to: Status, is_author: bool) -> Result<(), Refusal> {
    use Status::*;
    match (from, to) {
        (Draft | Returned, Submitted) if is_author => Ok(()),
        (Draft | Returned, Submitted) => Err(Refusal::NotAuthor),
        (Submitted, Approved | Returned) if is_author => Err(Refusal::OwnApproval),
        (Submitted, Approved | Returned) => Ok(()),
        (Approved, Published) | (Published, Withdrawn) => Ok(()),
        _ => Err(Refusal::Illegal),
    }
}

/// Whether the text may change, and by whom: the author's, as a draft or once returned.
pub fn editable(status: Status, is_author: bool) -> Result<(), Refusal> {
    match status {
        Status::Draft | Status::Returned if is_author => Ok(()),
        Status::Draft | Status::Returned => Err(Refusal::NotAuthor),
        _ => Err(Refusal::Illegal),
    }
}

fn is_author(actor: &Actor, m: &announcement::Model) -> bool {
    m.author_subject == actor.subject && m.author_role == actor.role.as_str()
}

/// The announcements a caller handles: province admins the regulators' (any city, or the
/// whole province); city admins their city's; platform operators the platform's.
fn scoped(actor: &Actor) -> Option<Condition> {
    let operator = Role::PlatformOperator.as_str();
    let by_operator = announcement::Column::AuthorRole.eq(operator);
    let by_regulator = announcement::Column::AuthorRole.ne(operator);
    match actor.role {
        Role::ProvinceAdmin => Some(Condition::all().add(by_regulator)),
        Role::PlatformOperator => Some(Condition::all().add(by_operator)),
        Role::CityAdmin => actor.city.as_deref().map(|city| {
            Condition::all()
                .add(by_regulator)
                .add(announcement::Column::CityCode.eq(city))
        }),
        _ => None,
    }
}

/// The status changes of `ids`, oldest first, one query for them all.
async fn histories<C: ConnectionTrait>(
    db: &C,
    ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, Vec<status_change::Model>>> {
    Ok(page::children(
        db,
        status_change::Entity::find(),
        status_change::Column::AnnouncementId,
        ids,
        |c| c.announcement_id,
        status_change::Column::Id,
    )
    .await?)
}

fn shape(m: announcement::Model, history: Vec<status_change::Model>) -> Announcement {
    Announcement {
        history: history
            .into_iter()
            .map(|c| AnnouncementStatusChange {
                from_status: Status::from_db(&c.from_status),
                to_status: Status::from_db(&c.to_status),
                reason: c.reason,
                actor_subject: c.actor_subject,
                actor_role: c.actor_role,
                at: c.at,
            })
            .collect(),
        id: m.id,
        title: m.title,
        content: m.content,
        city_code: m.city_code,
        status: Status::from_db(&m.status),
        author_subject: m.author_subject,
        author_role: m.author_role,
        published_at: m.published_at,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

/// Announcements with their histories (one query for the histories of them all).
async fn to_dtos<C: ConnectionTrait>(
    db: &C,
    rows: Vec<announcement::Model>,
) -> AppResult<Vec<Announcement>> {
    let ids: Vec<Uuid> = rows.iter().map(|m| m.id).collect();
    let mut histories = histories(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let history = histories.remove(&m.id).unwrap_or_default();
            shape(m, history)
        })
        .collect())
}

async fn to_dto<C: ConnectionTrait>(db: &C, m: announcement::Model) -> AppResult<Announcement> {
    let history = histories(db, &[m.id])
        .await?
        .remove(&m.id)
        .unwrap_or_default();
    Ok(shape(m, history))
}

#[tracing::instrument(skip_all)]
pub async fn create(
    cx: &Cx<Editors>,
    body: AnnouncementCreate,
) -> AppResult<Versioned<Announcement>> {
    let city = body.city_code.as_ref().map(|c| c.as_str().to_owned());
    match (cx.actor.role, &city) {
        (Role::CityAdmin, c) if c.as_deref() != cx.actor.city.as_deref() => {
            return Err(AppError::new(
                Code::CityOutOfScope,
                "a city admin publishes in its own city only (city_code: its own)",
            ));
        }
        (Role::PlatformOperator, Some(_)) => {
            return Err(AppError::field(
                "city_code",
                "not_allowed",
                "platform operators publish platform-wide: no city_code",
            ));
        }
        _ => {}
    }
    if let Some(code) = &city
        && cx.data::<crate::cities::Catalog>()?.get(code).is_none()
    {
        return Err(AppError::field(
            "city_code",
            "unknown_city",
            "no such city module",
        ));
    }
    let now = cx.svc.clock.now();
    let mut tx = cx.begin().await?;
    let id = Uuid::now_v7();
    tx.touches(RESOURCE, id, city.as_deref());
    let row = announcement::ActiveModel {
        id: Set(id),
        title: Set(body.title.to_string()),
        content: Set(body.content.to_string()),
        city_code: Set(city),
        status: Set(Status::Draft.as_str().into()),
        author_subject: Set(cx.actor.subject.clone()),
        author_role: Set(cx.actor.role.as_str().into()),
        published_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(tx.conn())
    .await?;
    let answer = to_dto(tx.conn(), row).await?;
    tx.changed(RESOURCE, id, Operation::Created, 1, &answer)?;
    tx.commit(201, &answer).await?;
    Ok(Versioned::new(answer, 1))
}

async fn find<C: ConnectionTrait>(
    db: &C,
    audit: &crate::audit::AuditContext,
    actor: &Actor,
    id: Uuid,
) -> AppResult<announcement::Model> {
    crate::context::find_in_scope::<announcement::Entity, _>(
        db,
        audit,
        RESOURCE,
        id,
        scoped(actor),
        |r| r.city_code.as_deref(),
    )
    .await
}

#[tracing::instrument(skip_all, fields(announcement = %id))]
pub async fn get(cx: &Cx<Editors>, id: Uuid) -> AppResult<Versioned<Announcement>> {
    let row = find(cx.db.get_ref(), &cx.audit, &cx.actor, id).await?;
    let version = row.version;
    Ok(Versioned::new(to_dto(cx.db.get_ref(), row).await?, version))
}

/// Changes the text of a draft or returned announcement, by its author; `If-Match` required.
#[tracing::instrument(skip_all, fields(announcement = %id))]
pub async fn update(
    cx: &Cx<Editors>,
    id: Uuid,
    if_match: &IfMatch,
    body: AnnouncementUpdate,
) -> AppResult<Versioned<Announcement>> {
    let mut tx = cx.begin().await?;
    let current = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
    if_match.check(current.version)?;
    let status = Status::from_db(&current.status);
    editable(status, is_author(&cx.actor, &current)).map_err(|r| match r {
        Refusal::Illegal => AppError::new(
            Code::AnnouncementNotEditable,
            format!(
                "the announcement is {}: only a draft or a returned one is edited",
                status.as_str()
            ),
        ),
        _ => AppError::new(Code::NotAuthor, "only the author edits an announcement"),
    })?;
    if body.title.is_none() && body.content.is_none() {
        return Err(AppError::field(
            "body",
            "min_properties",
            "name at least one field to change",
        ));
    }
    let mut row = <announcement::ActiveModel as Default>::default();
    if let Some(title) = &body.title {
        row.title = Set(title.to_string());
    }
    if let Some(content) = &body.content {
        row.content = Set(content.to_string());
    }
    let saved = save(&tx, row, &current, cx.svc.clock.now())
        .await?
        .ok_or_else(|| if_match.lost_race())?;
    let version = saved.version;
    let answer = to_dto(tx.conn(), saved).await?;
    tx.changed(RESOURCE, id, Operation::Updated, version, &answer)?;
    tx.commit(200, &answer).await?;
    Ok(Versioned::new(answer, version))
}

/// Writes `row` over `current` with the next version, unless it changed meanwhile (none).
async fn save(
    tx: &crate::context::WriteTx<'_>,
    mut row: announcement::ActiveModel,
    current: &announcement::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Option<announcement::Model>> {
    row.updated_at = Set(now);
    row.version = Set(current.version + 1);
    Ok(announcement::Entity::update_many()
        .set(row)
        .filter(announcement::Column::Id.eq(current.id))
        .filter(announcement::Column::Version.eq(current.version))
        .exec_with_returning(tx.conn())
        .await?
        .pop())
}

#[tracing::instrument(skip_all)]
pub async fn list(cx: &Cx<Editors>, q: &AnnouncementListQuery) -> AppResult<Page<Announcement>> {
    let limit = Limit::of(q.limit);
    let Some(mut cond) = scoped(&cx.actor) else {
        return Ok(Page::empty());
    };
    if let Some(status) = q.status {
        cond = cond.add(announcement::Column::Status.eq(status.as_str()));
    }
    let rows = page::after(
        cx.db.get_ref(),
        announcement::Entity::find().filter(cond),
        announcement::Column::Id,
        Cursor::key::<Uuid>(&q.cursor)?,
        limit,
        Direction::Descending,
    )
    .await?;
    let page = Page::from_rows(rows, limit, |m| m.id, |m| m);
    Ok(Page {
        items: to_dtos(cx.db.get_ref(), page.items).await?,
        next_cursor: page.next_cursor,
    })
}

#[tracing::instrument(skip_all, fields(announcement = %id, to = body.status.as_str()))]
pub async fn change_status(
    cx: &Cx<Editors>,
    id: Uuid,
    body: AnnouncementStatusRequest,
) -> AppResult<Versioned<Announcement>> {
    let now = cx.svc.clock.now();
    let mut tx = cx.begin().await?;
    let current = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
    let from = Status::from_db(&current.status);
    allowed(from, body.status, is_author(&cx.actor, &current)).map_err(|r| match r {
        Refusal::NotAuthor => {
            AppError::new(Code::NotAuthor, "only the author submits an announcement")
        }
        Refusal::OwnApproval => AppError::new(
            Code::OwnApproval,
            "the author of an announcement never approves or returns its own",
        ),
        Refusal::Illegal => AppError::new(
            Code::IllegalTransition,
            format!(
                "an announcement {} cannot become {}",
                from.as_str(),
                body.status.as_str()
            ),
        ),
    })?;
    if matches!(body.status, Status::Returned | Status::Withdrawn) && body.reason.is_none() {
        return Err(AppError::field(
            "reason",
            "required",
            "returning or withdrawing needs a reason",
        ));
    }
    if body.status == Status::Submitted {
        let screener = cx.data::<crate::screening::Screener>()?;
        let hits = crate::courses::service::screen(
            tx.conn(),
            &screener,
            &[
                ("title".into(), current.title.as_str()),
                ("content".into(), current.content.as_str()),
            ],
        )
        .await?;
        if !hits.is_empty() {
            return Err(AppError::new(
                Code::ScreeningHit,
                format!(
                    "the announcement contains {} prohibited term(s)",
                    hits.len()
                ),
            )
            .with_errors(hits));
        }
    }
    status_change::ActiveModel {
        id: Set(Uuid::now_v7()),
        announcement_id: Set(id),
        from_status: Set(from.as_str().into()),
        to_status: Set(body.status.as_str().into()),
        reason: Set(body.reason.as_ref().map(ToString::to_string)),
        actor_subject: Set(cx.actor.subject.clone()),
        actor_role: Set(cx.actor.role.as_str().into()),
        at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    let mut row = announcement::ActiveModel {
        status: Set(body.status.as_str().into()),
        ..Default::default()
    };
    if body.status == Status::Published {
        row.published_at = Set(Some(now));
    }
    let saved = save(&tx, row, &current, now).await?.ok_or_else(|| {
        AppError::new(
            Code::ConcurrentChange,
            "the announcement changed meanwhile; read it again",
        )
    })?;
    let version = saved.version;
    let answer = to_dto(tx.conn(), saved).await?;
    tx.changed(RESOURCE, id, Operation::Updated, version, &answer)?;
    tx.commit(200, &answer).await?;
    Ok(Versioned::new(answer, version))
}

/// Published announcements, newest first; of one city, with those for the whole province.
#[tracing::instrument(skip_all)]
pub async fn public(
    cx: &Cx<crate::auth::Public>,
    q: &PublicAnnouncementQuery,
) -> AppResult<Page<PublicAnnouncement>> {
    let limit = Limit::of(q.limit);
    let mut cond =
        Condition::all().add(announcement::Column::Status.eq(Status::Published.as_str()));
    if let Some(city) = &q.city {
        cond = cond.add(
            Condition::any()
                .add(announcement::Column::CityCode.eq(city.as_str()))
                .add(announcement::Column::CityCode.is_null()),
        );
    }
    let rows = page::after(
        cx.db.get_ref(),
        announcement::Entity::find().filter(cond),
        announcement::Column::Id,
        Cursor::key::<Uuid>(&q.cursor)?,
        limit,
        Direction::Descending,
    )
    .await?;
    Ok(Page::from_rows(
        rows,
        limit,
        |m| m.id,
        |m| PublicAnnouncement {
            id: m.id,
            title: m.title,
            content: m.content,
            city_code: m.city_code,
            issued_by: m.author_role,
            published_at: m.published_at.unwrap_or(m.updated_at),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn the_review_moves_and_who_makes_them() {
        assert_eq!(allowed(Draft, Submitted, true), Ok(()));
        assert_eq!(allowed(Returned, Submitted, true), Ok(()));
        assert_eq!(allowed(Draft, Submitted, false), Err(Refusal::NotAuthor));
        assert_eq!(allowed(Submitted, Approved, false), Ok(()));
        assert_eq!(allowed(Submitted, Returned, false), Ok(()));
        assert_eq!(
            allowed(Submitted, Approved, true),
            Err(Refusal::OwnApproval)
        );
        assert_eq!(
            allowed(Submitted, Returned, true),
            Err(Refusal::OwnApproval)
        );
        assert_eq!(allowed(Approved, Published, true), Ok(()));
        assert_eq!(allowed(Published, Withdrawn, false), Ok(()));
        for (from, to) in [
            (Draft, Approved),
            (Draft, Published),
            (Submitted, Published),
            (Returned, Approved),
            (Published, Draft),
            (Withdrawn, Published),
            (Approved, Withdrawn),
        ] {
            assert_eq!(
                allowed(from, to, false),
                Err(Refusal::Illegal),
                "{from:?}→{to:?}"
            );
        }
    }
    #[test]
    fn only_the_author_edits_and_only_before_submission_or_once_returned() {
        assert_eq!(editable(Draft, true), Ok(()));
        assert_eq!(editable(Returned, true), Ok(()));
        assert_eq!(editable(Draft, false), Err(Refusal::NotAuthor));
        assert_eq!(editable(Returned, false), Err(Refusal::NotAuthor));
        for status in [Submitted, Approved, Published, Withdrawn] {
            assert_eq!(editable(status, true), Err(Refusal::Illegal), "{status:?}");
            assert_eq!(editable(status, false), Err(Refusal::Illegal), "{status:?}");
        }
    }
}
