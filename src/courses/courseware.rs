//! Courseware: pieces of a course version, each with one file in the blob store. A video's
//! facts come from the file as it streams in, and the automatic checks are kept with it.
use sea_orm::{ActiveValue::Set, IntoActiveModel};
use uuid::Uuid;

use super::dto::*;
use super::entity::courseware;
use super::repo;
use super::service::{
    COURSEWARE, Editors, Readers, courseware_dto, emit, find, json, open_draft, to_dto, touch,
};
use crate::auth::{Actor, Policy};
use crate::blobs::Read;
use crate::changes::Operation;
use crate::context::Cx;
use crate::db;
use crate::error::{AppError, AppResult, Code};
use crate::http::range::Resolved;
use crate::http::upload::{Upload, store_failed};
use crate::institutions;
use crate::media::image::Ends;
use crate::media::video::{self, StreamProbe};

/// The media type each kind of courseware is uploaded as.
pub fn media_type(kind: CoursewareKind) -> &'static str {
    match kind {
        CoursewareKind::Video => "video/mp4",
        CoursewareKind::Document => "application/pdf",
        CoursewareKind::Quiz => "application/json",
    }
}

/// The largest quiz accepted, in bytes: it is checked whole from the head the upload keeps.
const MAX_QUIZ_BYTES: u64 = crate::media::image::HEAD_BYTES as u64;

#[tracing::instrument(skip_all, fields(course = %course_id))]
pub async fn create(
    cx: &Cx<Editors>,
    course_id: Uuid,
    body: CoursewareCreate,
) -> AppResult<Courseware> {
    let mut tx = cx.begin().await?;
    let c = find(tx.conn(), &cx.audit, &cx.actor, course_id).await?;
    institutions::service::acting_for(tx.conn(), &cx.actor, c.institution_id, "courses").await?;
    let draft = open_draft(&mut tx, &c).await?;
    let row = repo::insert_courseware(
        tx.conn(),
        courseware::ActiveModel {
            id: Set(Uuid::now_v7()),
            course_id: Set(course_id),
            version_number: Set(draft.number),
            title: Set(body.title.to_string()),
            kind: Set(body.kind),
            position: Set(body.position.0),
            file_key: Set(None),
            media_type: Set(None),
            size: Set(None),
            sha256: Set(None),
            video_facts: Set(None),
            format_check: Set(None),
            quality_check: Set(None),
            uploaded_at: Set(None),
            created_at: Set(db::now()),
        },
    )
    .await?;
    let c = touch(&mut tx, &c, &draft).await?;
    let course = to_dto(c, &draft)?;
    emit(&mut tx, &course, Operation::Updated)?;
    let answer = courseware_dto(row)?;
    tx.changed(COURSEWARE, answer.id, Operation::Created, 1, &answer)?;
    tx.commit(201, &answer).await?;
    Ok(answer)
}

#[tracing::instrument(skip_all, fields(course = %course_id))]
pub async fn list(cx: &Cx<Readers>, course_id: Uuid) -> AppResult<Vec<Courseware>> {
    let db = cx.db.get_ref();
    let c = find(db, &cx.audit, &cx.actor, course_id).await?;
    repo::courseware_of(db, course_id, c.current_version)
        .await?
        .into_iter()
        .map(courseware_dto)
        .collect()
}

/// A piece of courseware whose course the caller may see, with that course (404 otherwise);
/// the audit record names the courseware.
async fn reachable<P: Policy<Caller = Actor>>(
    cx: &Cx<P>,
    db: &impl sea_orm::ConnectionTrait,
    id: Uuid,
) -> AppResult<(courseware::Model, super::entity::course::Model)> {
    let piece = repo::find_courseware(db, id).await?;
    let Some(piece) = piece else {
        cx.audit.set_resource(COURSEWARE, id, None);
        return Err(AppError::not_found());
    };
    let found = find(db, &cx.audit, &cx.actor, piece.course_id).await;
    let city = repo::city_of(db, piece.course_id).await?;
    cx.audit.set_resource(COURSEWARE, id, city.as_deref());
    Ok((piece, found?))
}

/// Uploads the file of a piece of courseware of the draft version. A video is probed as it
/// streams; a file that is not of its kind (an unreadable MP4, a PDF that is not one) answers
/// 422 and nothing is kept. A video the policy refuses is kept, with the checks that failed.
#[tracing::instrument(skip_all, fields(courseware = %id))]
pub async fn upload(cx: &Cx<Editors>, id: Uuid, upload: Upload) -> AppResult<Courseware> {
    let db = cx.db.get_ref();
    let (piece, c) = reachable(cx, db, id).await?;
    institutions::service::acting_for(db, &cx.actor, c.institution_id, "courses").await?;
    if upload.media_type != media_type(piece.kind) {
        return Err(AppError::new(
            Code::UnsupportedMediaType,
            format!(
                "a {} file is uploaded as {}",
                serde_json::to_value(piece.kind)
                    .map_err(AppError::internal)?
                    .as_str()
                    .unwrap_or("?"),
                media_type(piece.kind)
            ),
        ));
    }
    if piece.version_number != c.current_version {
        return Err(AppError::new(
            Code::CourseUnderReview,
            "this courseware belongs to an earlier version; change the current version's",
        ));
    }
    let blobs = &cx.svc.blobs;
    let key = format!("courses/{}/courseware/{id}/{}", c.id, Uuid::now_v7());
    let mut ends = Ends::default();
    let probe = (piece.kind == CoursewareKind::Video).then(StreamProbe::start);
    let feed = probe.as_ref().map(StreamProbe::sender);
    let stored = upload
        .store_async(blobs, &key, |chunk| {
            ends.push(&chunk);
            let feed = feed.clone();
            async move {
                if let Some(feed) = feed {
                    // A probe that stopped reading (it failed) no longer needs the rest.
                    let _ = feed.send(chunk).await;
                }
            }
        })
        .await;
    drop(feed);
    let stored = match stored {
        Ok(stored) => stored,
        Err(e) => {
            if let Some(probe) = probe {
                let _ = probe.finish(0).await;
            }
            return Err(e);
        }
    };
    let checked = match (piece.kind, probe) {
        (CoursewareKind::Video, Some(probe)) => match probe.finish(stored.size).await {
            Ok(facts) => {
                let policy = &cx.svc.settings.courses.video;
                let format = video::check_format(policy, &facts);
                let quality = video::check_quality(policy, &facts);
                Ok(Some((json(&facts)?, json(&format)?, json(&quality)?)))
            }
            Err(why) => Err(why),
        },
        (CoursewareKind::Document, _) => check_pdf(&ends).map(|()| None),
        (CoursewareKind::Quiz, _) => check_quiz(&ends, stored.size).map(|()| None),
        (CoursewareKind::Video, None) => Err("the file could not be probed".into()),
    };
    let checked = match checked {
        Ok(checked) => checked,
        Err(why) => {
            blobs.discard(&key).await;
            return Err(AppError::new(Code::FileRejected, why));
        }
    };
    let written = async {
        let mut tx = cx.begin().await?;
        let (_, c) = reachable(cx, tx.conn(), id).await?;
        let draft = open_draft(&mut tx, &c).await?;
        let current = repo::find_courseware(tx.conn(), id)
            .await?
            .filter(|p| p.version_number == draft.number)
            .ok_or_else(|| {
                AppError::new(
                    Code::ConcurrentChange,
                    "the course changed meanwhile; retry",
                )
            })?;
        let replaced = current.file_key.clone();
        let mut row = current.into_active_model();
        row.file_key = Set(Some(key.clone()));
        row.media_type = Set(Some(media_type(piece.kind).to_owned()));
        row.size = Set(Some(stored.size as i64));
        row.sha256 = Set(Some(stored.sha256.clone()));
        let (facts, format, quality) = match &checked {
            Some((f, q1, q2)) => (Some(f.clone()), Some(q1.clone()), Some(q2.clone())),
            None => (None, None, None),
        };
        row.video_facts = Set(facts);
        row.format_check = Set(format);
        row.quality_check = Set(quality);
        row.uploaded_at = Set(Some(db::now()));
        let row = repo::update_courseware(tx.conn(), row).await?;
        let c = touch(&mut tx, &c, &draft).await?;
        let course = to_dto(c, &draft)?;
        emit(&mut tx, &course, Operation::Updated)?;
        let answer = courseware_dto(row)?;
        tx.changed(COURSEWARE, answer.id, Operation::Updated, 1, &answer)?;
        tx.commit(200, &answer).await?;
        Ok::<_, AppError>((answer, replaced))
    }
    .await;
    match written {
        // The file replaced may still be the file of an earlier version's copy: it is kept.
        Ok((answer, _)) => Ok(answer),
        Err(e) => {
            blobs.discard(&key).await;
            Err(e)
        }
    }
}

fn check_pdf(ends: &Ends) -> Result<(), String> {
    if !ends.head.starts_with(b"%PDF-") {
        return Err("the file is not a PDF document".into());
    }
    let tail = String::from_utf8_lossy(&ends.tail);
    if !tail.contains("%%EOF") {
        return Err("the PDF document is incomplete (no end-of-file marker)".into());
    }
    Ok(())
}

fn check_quiz(ends: &Ends, size: u64) -> Result<(), String> {
    if size > MAX_QUIZ_BYTES {
        return Err(format!("a quiz is at most {MAX_QUIZ_BYTES} bytes"));
    }
    super::quiz::parse(&ends.head).map(|_| ())
}

/// A courseware file being read.
pub struct FileRead {
    pub media_type: String,
    pub sha256: String,
    pub body: Read,
}

/// The file of a piece of courseware, or the byte range `range` (a `Range` header) asks for.
#[tracing::instrument(skip_all, fields(courseware = %id))]
pub async fn file(cx: &Cx<Readers>, id: Uuid, range: Option<&str>) -> AppResult<FileRead> {
    let (piece, _) = reachable(cx, cx.db.get_ref(), id).await?;
    let (Some(key), Some(media_type), Some(sha256), Some(size)) =
        (piece.file_key, piece.media_type, piece.sha256, piece.size)
    else {
        return Err(AppError::new(
            Code::NoFile,
            "the courseware has no file yet; upload one with PUT",
        ));
    };
    let size = size as u64;
    let wanted = match range.map(|r| crate::http::range::resolve(r, size)) {
        None | Some(Resolved::Whole) => None,
        Some(Resolved::Part(r)) => Some(r),
        Some(Resolved::Unsatisfiable) => return Err(AppError::range_not_satisfiable(size)),
    };
    let body = cx.svc.blobs.get(&key, wanted).await.map_err(store_failed)?;
    Ok(FileRead {
        media_type,
        sha256,
        body,
    })
}
