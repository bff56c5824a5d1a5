//! Who may read, replace and use the term lists.
use super::dto::*;
use super::{Screener, repo};
use crate::auth::Role;
use crate::context::Cx;
use crate::error::{AppError, AppResult};
use crate::http::etag::{IfMatch, Versioned};

crate::policy!(/// Who may read the term lists (province admins keep them; the platform reviews).
    ListReaders = &[Role::ProvinceAdmin, Role::PlatformOperator]);
crate::policy!(/// Who may replace a term list.
    ListKeepers = &[Role::ProvinceAdmin]);
crate::policy!(/// Who may screen a text before filing it.
    Checkers = &[Role::ProvinceAdmin, Role::PlatformOperator, Role::InstitutionAdmin, Role::CityAdmin]);

fn to_dto(
    category: ScreeningCategory,
    terms: Vec<String>,
    version: i32,
    row: Option<repo::entity::Model>,
) -> Versioned<ScreeningList> {
    Versioned::new(
        ScreeningList {
            category,
            description: repo::description(category),
            terms,
            version,
            updated_at: row.map(|r| r.updated_at),
        },
        version,
    )
}

#[tracing::instrument(skip_all)]
pub async fn lists(cx: &Cx<ListReaders>) -> AppResult<Vec<ScreeningListSummary>> {
    let mut out = Vec::new();
    for (category, _) in repo::shipped() {
        let (terms, version, row) = repo::list(cx.db.get_ref(), category).await?;
        out.push(ScreeningListSummary {
            category,
            description: repo::description(category),
            term_count: terms.len(),
            version,
            updated_at: row.map(|r| r.updated_at),
        });
    }
    Ok(out)
}

#[tracing::instrument(skip_all, fields(category = ?category))]
pub async fn list(
    cx: &Cx<ListReaders>,
    category: ScreeningCategory,
) -> AppResult<Versioned<ScreeningList>> {
    let (terms, version, row) = repo::list(cx.db.get_ref(), category).await?;
    Ok(to_dto(category, terms, version, row))
}

/// Replaces a list (If-Match: the version read), effective on every replica within a second.
#[tracing::instrument(skip_all, fields(category = ?category))]
pub async fn replace(
    cx: &Cx<ListKeepers>,
    category: ScreeningCategory,
    if_match: &IfMatch,
    body: ScreeningListReplace,
) -> AppResult<Versioned<ScreeningList>> {
    let mut tx = cx.begin().await?;
    tx.touches("screening_list", format!("{category:?}"), None);
    let (_, current, _) = repo::list(tx.conn(), category).await?;
    if_match.check(current)?;
    let mut terms: Vec<String> = Vec::with_capacity(body.terms.len());
    for t in body.terms {
        let t = t.trim().to_owned();
        if !terms.contains(&t) {
            terms.push(t);
        }
    }
    let row = repo::replace(tx.conn(), category, &terms, current, &cx.actor.subject)
        .await?
        .ok_or_else(AppError::precondition_failed)?;
    tx.invalidate(super::SCOPE.to_owned()).await?;
    let version = row.version;
    let answer = to_dto(category, terms, version, Some(row));
    tx.commit(200, &answer.value).await?;
    if let Ok(screener) = cx.data::<Screener>() {
        screener.forget();
    }
    Ok(answer)
}

#[tracing::instrument(skip_all)]
pub async fn check(cx: &Cx<Checkers>, body: &ScreeningCheck) -> AppResult<ScreeningResult> {
    let hits = cx
        .data::<Screener>()?
        .screen(cx.db.get_ref(), &body.text)
        .await?;
    Ok(ScreeningResult {
        clean: hits.is_empty(),
        hits,
    })
}
