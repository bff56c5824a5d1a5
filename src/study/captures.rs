//! Face checks as kept, and a person's verdict on the captures the `manual` verifier keeps for
//! review: face recognition is never the only way through, and never the only judge either.
//! A rejected capture voids what it vouched for (the time since the good check before it) by
//! compensating entries that name it, never by an update; a passed one stands as a good check.
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, sea_query::Expr,
};
use uuid::Uuid;

use super::dto::*;
use super::entity::{face_check, face_check_review as review, review as session_review, session};
use super::rules::Reason;
use super::service::{
    EARNED, FACE_CHECK, Readers, Reviewers, entry_by, net_earned, review_note, save, to_dto,
};
use crate::audit::AuditContext;
use crate::auth::{Actor, Role};
use crate::changes::Operation;
use crate::context::Cx;
use crate::db::page::{self, Direction};
use crate::error::{AppError, AppResult, Code};
use crate::http::pagination::{Cursor, Limit, Page};
use crate::http::upload::store_failed;

fn to_entry(m: &face_check::Model, r: Option<&review::Model>) -> FaceCheckEntry {
    FaceCheckEntry {
        id: m.id,
        session_id: m.session_id,
        learner_id: m.learner_id,
        due_since: m.due_since,
        answered_at: m.answered_at,
        result: FaceCheckResult::from_db(&m.result),
        score_permille: m.score_permille,
        verifier: m.verifier.clone(),
        capture_sha256: m.capture_sha256.clone(),
        review: r.map(|r| FaceCheckReview {
            verdict: if r.verdict == FaceCheckVerdict::Pass.as_str() {
                FaceCheckVerdict::Pass
            } else {
                FaceCheckVerdict::Fail
            },
            reason: r.reason.clone(),
            voided_seconds: r.voided_seconds.into(),
            decided_by: r.actor_subject.clone(),
            decided_at: r.decided_at,
        }),
    }
}

/// Which face checks the caller may see: a learner its own; others by scope; `None`: none.
fn scoped(actor: &Actor) -> Option<Condition> {
    if actor.role == Role::Learner {
        let me = Uuid::parse_str(&actor.subject).ok()?;
        return Some(Condition::all().add(face_check::Column::LearnerId.eq(me)));
    }
    actor.scope().condition(
        face_check::Column::CityCode,
        face_check::Column::InstitutionId,
    )
}

/// A face check the caller may see, or 404.
async fn find<C: ConnectionTrait>(
    db: &C,
    audit: &AuditContext,
    actor: &Actor,
    id: Uuid,
) -> AppResult<face_check::Model> {
    crate::context::find_in_scope::<face_check::Entity, _>(
        db,
        audit,
        FACE_CHECK,
        id,
        scoped(actor),
        |r| Some(r.city_code.as_str()),
    )
    .await
}

#[tracing::instrument(skip_all)]
pub async fn list(cx: &Cx<Readers>, q: &FaceCheckListQuery) -> AppResult<Page<FaceCheckEntry>> {
    let limit = Limit::of(q.limit);
    let Some(mut cond) = scoped(&cx.actor) else {
        return Ok(Page::empty());
    };
    if let Some(session) = q.session_id {
        cond = cond.add(face_check::Column::SessionId.eq(session));
    }
    if let Some(result) = q.result {
        cond = cond.add(face_check::Column::Result.eq(result.as_str()));
    }
    let rows = page::after(
        cx.db.get_ref(),
        face_check::Entity::find().filter(cond),
        face_check::Column::Id,
        Cursor::key::<Uuid>(&q.cursor)?,
        limit,
        Direction::Ascending,
    )
    .await?;
    let page = Page::from_rows(rows, limit, |m| m.id, |m| m);
    let ids: Vec<Uuid> = page.items.iter().map(|m| m.id).collect();
    let reviews = if ids.is_empty() {
        Vec::new()
    } else {
        review::Entity::find()
            .filter(review::Column::FaceCheckId.is_in(ids))
            .all(cx.db.get_ref())
            .await?
    };
    let items = page
        .items
        .iter()
        .map(|m| to_entry(m, reviews.iter().find(|r| r.face_check_id == m.id)))
        .collect();
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// A capture, decrypted, with its media type.
pub struct Capture {
    pub media_type: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

/// The capture of a face check, for the learner's institution reviewing it.
#[tracing::instrument(skip_all, fields(face_check = %id))]
pub async fn capture(cx: &Cx<Reviewers>, id: Uuid) -> AppResult<Capture> {
    let check = find(cx.db.get_ref(), &cx.audit, &cx.actor, id).await?;
    let (Some(key), Some(media_type), Some(sha256)) =
        (check.capture_key, check.media_type, check.capture_sha256)
    else {
        return Err(AppError::new(
            Code::NoPhoto,
            "the face check has no capture: it was missed",
        ));
    };
    let sealed = cx.svc.blobs.read_all(&key).await.map_err(store_failed)?;
    let bytes = cx
        .svc
        .cipher
        .decrypt_bytes(&sealed)
        .map_err(AppError::bug)?;
    Ok(Capture {
        media_type,
        sha256,
        bytes,
    })
}

/// When the session last had good proof of who studies before `at`: the latest earlier check
/// that passed or waits for review, or a reviewer's resuming of the suspended session.
async fn good_before<C: ConnectionTrait>(
    db: &C,
    s: &session::Model,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<Option<chrono::DateTime<chrono::Utc>>> {
    let check = face_check::Entity::find()
        .filter(face_check::Column::SessionId.eq(s.id))
        .filter(face_check::Column::AnsweredAt.lt(at))
        .filter(face_check::Column::Result.is_in([
            FaceCheckResult::Passed.as_str(),
            FaceCheckResult::PendingReview.as_str(),
        ]))
        .order_by_desc(face_check::Column::AnsweredAt)
        .one(db)
        .await?
        .map(|c| c.answered_at);
    let resumed = session_review::Entity::find()
        .filter(session_review::Column::SessionId.eq(s.id))
        .filter(session_review::Column::Decision.eq("resume"))
        .filter(session_review::Column::DecidedAt.lt(at))
        .order_by_desc(session_review::Column::DecidedAt)
        .one(db)
        .await?
        .map(|r| r.decided_at);
    Ok(check.max(resumed))
}

/// A reviewer's verdict on a capture kept for review. `pass`: the check stands as good.
/// `fail`: what the session earned between the good check before it and it is voided by
/// compensating entries, and if it was the session's latest good check and the session still
/// runs, another check is due at once (a failed check as if the verifier had failed it,
/// counting toward suspension).
#[tracing::instrument(skip_all, fields(face_check = %id))]
pub async fn decide(
    cx: &Cx<Reviewers>,
    id: Uuid,
    body: FaceCheckVerdictRequest,
) -> AppResult<FaceCheckDecided> {
    let settings = &cx.svc.settings.study;
    let now = cx.svc.clock.now();
    let mut tx = cx.begin().await?;
    let check = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
    if check.result != FaceCheckResult::PendingReview.as_str() {
        return Err(AppError::new(
            Code::AlreadyDecided,
            format!(
                "the face check is {}, not waiting for a review",
                check.result
            ),
        ));
    }
    let current = session::Entity::find_by_id(check.session_id)
        .one(tx.conn())
        .await?
        .ok_or_else(|| AppError::bug("a face check without its session"))?;
    let mut row = session::ActiveModel {
        version: Set(current.version + 1),
        ..Default::default()
    };
    let mut voided = 0;
    let result = match body.verdict {
        FaceCheckVerdict::Pass => FaceCheckResult::Passed,
        FaceCheckVerdict::Fail => {
            let from = good_before(tx.conn(), &current, check.answered_at).await?;
            for (earned, void) in EARNED {
                let open = net_earned(
                    tx.conn(),
                    &current,
                    from,
                    Some(check.answered_at),
                    earned,
                    void,
                )
                .await?;
                if open > 0 {
                    entry_by(
                        &mut tx,
                        &current,
                        now,
                        void,
                        -open,
                        Some(Reason::IdentityFailed.as_str()),
                        None,
                        Some((&cx.actor.subject, review_note(check.id))),
                    )
                    .await?;
                    voided += open;
                }
            }
            row.credited_seconds = Set(current.credited_seconds - voided as i32);
            let live = current.status != "ended";
            if live && current.last_good_check_at == Some(check.answered_at) {
                let failed = current.failed_checks + 1;
                let suspended = failed >= settings.max_failed_checks as i32;
                row.failed_checks = Set(failed);
                row.status = Set(if suspended { "suspended" } else { "paused" }.into());
                row.check_due_since = Set(Some(now));
                row.last_good_check_at = Set(from);
            }
            FaceCheckResult::Failed
        }
    };
    // The verdict is taken once: a second reviewer deciding meanwhile finds it decided.
    let updated = face_check::Entity::update_many()
        .col_expr(face_check::Column::Result, Expr::value(result.as_str()))
        .filter(face_check::Column::Id.eq(check.id))
        .filter(face_check::Column::Result.eq(FaceCheckResult::PendingReview.as_str()))
        .exec(tx.conn())
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::new(
            Code::ConcurrentChange,
            "the face check was decided meanwhile; read it again",
        ));
    }
    let decision = review::ActiveModel {
        id: Set(Uuid::now_v7()),
        face_check_id: Set(check.id),
        session_id: Set(current.id),
        verdict: Set(body.verdict.as_str().into()),
        reason: Set(body.reason.to_string()),
        voided_seconds: Set(voided as i32),
        actor_subject: Set(cx.actor.subject.clone()),
        actor_role: Set(cx.actor.role.as_str().into()),
        decided_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    let saved = match body.verdict {
        FaceCheckVerdict::Pass => current,
        FaceCheckVerdict::Fail => save(&mut tx, settings, &current, row).await?,
    };
    let decided = face_check::Model {
        result: result.as_str().into(),
        ..check
    };
    let answer = FaceCheckDecided {
        check: to_entry(&decided, Some(&decision)),
        session: to_dto(settings, &saved),
    };
    tx.changed(FACE_CHECK, decided.id, Operation::Updated, 2, &answer.check)?;
    tx.commit(200, &answer).await?;
    Ok(answer)
}
