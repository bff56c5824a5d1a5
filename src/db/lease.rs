//! Leases: one replica at a time runs a named background task.
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr, ExprTrait};

use sea_orm::sea_query::Alias;

/// Takes or renews the lease `name` for `holder` for `ttl`; true when `holder` now holds it.
pub async fn try_acquire<C: ConnectionTrait>(
    db: &C,
    name: &str,
    holder: &str,
    ttl: chrono::Duration,
) -> Result<bool, DbErr> {
    let now = super::now();
    let expires = now + ttl;
    let table = Alias::new("leases");
    let insert = Query::insert()
        .into_table(table.clone())
        .columns([
            Alias::new("name"),
            Alias::new("holder"),
            Alias::new("expires_at"),
        ])
        .values_panic([name.into(), holder.into(), expires.into()])
        .on_conflict(
            OnConflict::column(Alias::new("name"))
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    let inserted = db.execute(&insert).await?.rows_affected();
    if inserted == 1 {
        return Ok(true);
    }
    let update = Query::update()
        .table(table)
        .value(Alias::new("holder"), holder)
        .value(Alias::new("expires_at"), expires)
        .and_where(Expr::col(Alias::new("name")).eq(name))
        .and_where(
            Expr::col(Alias::new("holder"))
                .eq(holder)
                .or(Expr::col(Alias::new("expires_at")).lt(now)),
        )
        .to_owned();
    Ok(db.execute(&update).await?.rows_affected() == 1)
}

/// The current holder of `name`, if any holds it now.
pub async fn holder<C: ConnectionTrait>(db: &C, name: &str) -> Result<Option<String>, DbErr> {
    let select = Query::select()
        .column(Alias::new("holder"))
        .from(Alias::new("leases"))
        .and_where(Expr::col(Alias::new("name")).eq(name))
        .and_where(Expr::col(Alias::new("expires_at")).gt(super::now()))
        .to_owned();
    match db.query_one(&select).await? {
        Some(row) => Ok(Some(row.try_get::<String>("", "holder")?)),
        None => Ok(None),
    }
}

/// When the lease `name` runs out, if anyone ever took it.
pub async fn expires_at<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, DbErr> {
    let select = Query::select()
        .column(Alias::new("expires_at"))
        .from(Alias::new("leases"))
        .and_where(Expr::col(Alias::new("name")).eq(name))
        .to_owned();
    match db.query_one(&select).await? {
        Some(row) => Ok(Some(row.try_get("", "expires_at")?)),
        None => Ok(None),
    }
}

/// Gives the lease `name` up if `holder` holds it, so another replica may take it at once.
pub async fn release<C: ConnectionTrait>(db: &C, name: &str, holder: &str) -> Result<(), DbErr> {
    let delete = Query::delete()
        .from_table(Alias::new("leases"))
        .and_where(Expr::col(Alias::new("name")).eq(name))
        .and_where(Expr::col(Alias::new("holder")).eq(holder))
        .to_owned();
    db.execute(&delete).await.map(|_| ())
}
