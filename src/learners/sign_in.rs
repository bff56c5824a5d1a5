//! Learners' local sign-in: a password (Argon2id) for a short-lived platform access token and a
//! rotating refresh token. One sign-in at a time per learner: a new one ends the others, and
//! an ended sign-in's access tokens are refused at once (the authentication layer checks the
//! token's `sid`). A refresh token is good once; using one a second time ends its sign-in.
//! Failed passwords in a row lock the account for a while.
use std::sync::OnceLock;

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::dto::{LoginRequest, PasswordChange, RefreshRequest, TokenPair};
use super::entity::learner;
use super::repo;
use super::service::{self, ID_NUMBER, PHONE, RESOURCE, Selves};
use crate::auth::sign_ins::{self, refresh_token, sign_in};
use crate::auth::{Actor, Authenticator, Public, Role};
use crate::context::Cx;
use crate::db;
use crate::domain::{IdNumber, OneTimeSecret, Phone};
use crate::error::{AppError, AppResult, Code};

/// The record type of a sign-in, in audit records.
pub const SIGN_IN: &str = "learner_sign_in";

/// A hash no password matches (of the configured cost), verified when the login names nobody,
/// so that an unknown login costs the same time as a wrong password and the answer's timing
/// says nothing.
static DUMMY_HASH: OnceLock<String> = OnceLock::new();

fn dummy_hash(local: &crate::config::LocalSignInSettings) -> String {
    DUMMY_HASH
        .get_or_init(|| {
            crate::crypto::hash_password(
                "no learner has this password 0",
                local.argon2_memory_kib,
                local.argon2_passes,
            )
            .unwrap_or_default()
        })
        .clone()
}

fn login_failed() -> AppError {
    AppError::unauthorized(Code::LoginFailed, "the login or the password is wrong")
}

async fn verify(hash: String, password: String) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || crate::crypto::verify_password(&hash, &password))
        .await
        .map_err(AppError::internal)
}

/// 423 while `row` is locked.
fn check_unlocked(row: &learner::Model) -> AppResult<()> {
    let now = db::now();
    match row.locked_until {
        Some(until) if until > now => Err(AppError::account_locked(
            (until - now).num_seconds().max(1) as u64,
        )),
        _ => Ok(()),
    }
}

/// Counts a wrong password against `row`'s account (its own statements: the count must stay
/// even though the request fails; the request's audit record notes the refusal).
async fn count_failure<P: crate::auth::Policy>(cx: &Cx<P>, row: &learner::Model) -> AppResult<()> {
    let local = &cx.svc.settings.auth.local;
    let until = db::now() + chrono::Duration::minutes(local.lock_minutes.into());
    repo::count_failure(cx.db.get_ref(), row.id, local.max_failed_logins, until).await?;
    Ok(())
}

/// The learner as the actor of its own sign-in.
fn learner_actor<P: crate::auth::Policy>(cx: &Cx<P>, id: Uuid, sid: Uuid) -> AppResult<Actor> {
    let mut actor = Actor::new(
        cx.svc.settings.auth.platform.issuer.clone(),
        id.to_string(),
        Role::Learner,
        None,
        None,
    )
    .map_err(AppError::bug)?;
    actor.sign_in = Some(sid);
    Ok(actor)
}

/// A new refresh token of sign-in `sid`, stored as its hash; answers the token.
async fn new_refresh<C: sea_orm::ConnectionTrait>(
    db: &C,
    sid: Uuid,
    ttl_hours: u32,
) -> AppResult<String> {
    let (token, hash) = crate::crypto::opaque_token().map_err(AppError::bug)?;
    let now = db::now();
    refresh_token::ActiveModel {
        token_hash: Set(hash),
        sign_in_id: Set(sid),
        issued_at: Set(now),
        expires_at: Set(now + chrono::Duration::hours(ttl_hours.into())),
        spent_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

fn pair<P: crate::auth::Policy>(
    cx: &Cx<P>,
    actor: &Actor,
    refresh: String,
) -> AppResult<TokenPair> {
    let local = &cx.svc.settings.auth.local;
    let access = cx
        .data::<Authenticator>()?
        .issue(actor, Some(local.access_ttl_secs))
        .map_err(AppError::bug)?;
    Ok(TokenPair {
        access_token: OneTimeSecret::new(access),
        token_type: "Bearer",
        expires_in: local.access_ttl_secs,
        refresh_token: OneTimeSecret::new(refresh),
        refresh_expires_in: u64::from(local.refresh_ttl_hours) * 3600,
    })
}

#[tracing::instrument(skip_all)]
pub async fn login(cx: &Cx<Public>, body: LoginRequest) -> AppResult<TokenPair> {
    let cipher = &cx.svc.cipher;
    let raw = body.login.as_str();
    let by = if let Ok(n) = IdNumber::parse(raw) {
        Some((
            learner::Column::IdNumberHash,
            cipher.lookup_hash(ID_NUMBER, &n),
        ))
    } else if let Ok(p) = Phone::parse(raw) {
        Some((learner::Column::PhoneHash, cipher.lookup_hash(PHONE, &p)))
    } else {
        None
    };
    let row = match by {
        Some((column, hash)) => repo::find_by_login(cx.db.get_ref(), column, &hash).await?,
        None => None,
    };
    let password = body.password.expose().to_owned();
    let Some(row) = row else {
        verify(dummy_hash(&cx.svc.settings.auth.local), password).await?;
        return Err(login_failed());
    };
    cx.audit
        .set_resource(RESOURCE, row.id, Some(&row.city_code));
    check_unlocked(&row)?;
    if !verify(row.password_hash.clone(), password).await? {
        count_failure(cx, &row).await?;
        return Err(login_failed());
    }
    let sid = Uuid::now_v7();
    let actor = learner_actor(cx, row.id, sid)?;
    let tx = cx.begin_as(&actor).await?;
    repo::clear_failures(tx.conn(), row.id).await?;
    // One sign-in at a time: this one ends the others.
    sign_ins::end_all(tx.conn(), row.id, None, "replaced").await?;
    sign_in::ActiveModel {
        id: Set(sid),
        learner_id: Set(row.id),
        started_at: Set(db::now()),
        client_ip: Set(cx.client_ip()),
        ended_at: Set(None),
        end_reason: Set(None),
    }
    .insert(tx.conn())
    .await?;
    let refresh = new_refresh(tx.conn(), sid, cx.svc.settings.auth.local.refresh_ttl_hours).await?;
    let answer = pair(cx, &actor, refresh)?;
    tx.commit(200, &answer).await?;
    Ok(answer)
}

fn refresh_invalid() -> AppError {
    AppError::unauthorized(
        Code::RefreshInvalid,
        "the refresh token is unknown, expired, or its sign-in has ended",
    )
}

/// Ends sign-in `sid` because one of its refresh tokens came back a second time: whoever holds
/// a copy (the learner or a thief) must sign in again.
async fn reused(cx: &Cx<Public>, sid: Uuid) -> AppError {
    if let Err(e) = sign_ins::end(cx.db.get_ref(), sid, "refresh_reused").await {
        return e.into();
    }
    tracing::warn!(sign_in = %sid, "a spent refresh token was presented; the sign-in is ended");
    AppError::unauthorized(
        Code::RefreshReused,
        "this refresh token was used before: the sign-in is ended; sign in again",
    )
}

#[tracing::instrument(skip_all)]
pub async fn refresh(cx: &Cx<Public>, body: RefreshRequest) -> AppResult<TokenPair> {
    let hash = crate::crypto::token_hash(body.refresh_token.expose());
    let Some(token) = refresh_token::Entity::find_by_id(hash.clone())
        .one(cx.db.get_ref())
        .await?
    else {
        return Err(refresh_invalid());
    };
    let Some(session) = sign_in::Entity::find_by_id(token.sign_in_id)
        .one(cx.db.get_ref())
        .await?
    else {
        return Err(refresh_invalid());
    };
    cx.audit.set_resource(SIGN_IN, session.id, None);
    if session.ended_at.is_some() {
        return Err(refresh_invalid());
    }
    if token.spent_at.is_some() {
        return Err(reused(cx, session.id).await);
    }
    if token.expires_at <= db::now() {
        return Err(refresh_invalid());
    }
    let actor = learner_actor(cx, session.learner_id, session.id)?;
    let tx = cx.begin_as(&actor).await?;
    // Spend it only if nobody has meanwhile: of two racing uses, one wins and the other is a reuse.
    let spent = refresh_token::Entity::update_many()
        .col_expr(
            refresh_token::Column::SpentAt,
            sea_orm::sea_query::Expr::value(db::now()),
        )
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .filter(refresh_token::Column::SpentAt.is_null())
        .exec(tx.conn())
        .await?
        .rows_affected;
    let still_open = sign_ins::is_active(tx.conn(), session.id, &actor.subject).await?;
    if spent != 1 || !still_open {
        drop(tx);
        return Err(if spent != 1 {
            reused(cx, session.id).await
        } else {
            refresh_invalid()
        });
    }
    let refresh = new_refresh(
        tx.conn(),
        session.id,
        cx.svc.settings.auth.local.refresh_ttl_hours,
    )
    .await?;
    let answer = pair(cx, &actor, refresh)?;
    tx.commit(200, &answer).await?;
    Ok(answer)
}

/// Ends the caller's sign-in; its access and refresh tokens are refused from now on. A token
/// that belongs to no sign-in (one minted by the operators' CLI) has nothing to end.
#[tracing::instrument(skip_all)]
pub async fn logout(cx: &Cx<Selves>) -> AppResult<()> {
    let Some(sid) = cx.actor.sign_in else {
        return Ok(());
    };
    let tx = cx.begin().await?;
    tx.touches(SIGN_IN, sid, None);
    sign_ins::end(tx.conn(), sid, "logout").await?;
    tx.commit(204, &()).await
}

/// Changes the learner's own password; the learner's other sign-ins end.
#[tracing::instrument(skip_all)]
pub async fn change_password(cx: &Cx<Selves>, body: PasswordChange) -> AppResult<()> {
    let id = service::own_id(&cx.actor)?;
    let Some(row) = repo::find_any(cx.db.get_ref(), id).await? else {
        return Err(AppError::not_found());
    };
    cx.audit.set_resource(RESOURCE, id, Some(&row.city_code));
    check_unlocked(&row)?;
    if !verify(
        row.password_hash.clone(),
        body.current_password.expose().to_owned(),
    )
    .await?
    {
        count_failure(cx, &row).await?;
        return Err(AppError::new(
            Code::PasswordMismatch,
            "the current password is wrong",
        ));
    }
    let hash = service::hash_password(
        &cx.svc.settings.auth.local,
        body.new_password.expose().to_owned(),
    )
    .await?;
    let tx = cx.begin().await?;
    repo::set_password(tx.conn(), id, &hash).await?;
    repo::clear_failures(tx.conn(), id).await?;
    sign_ins::end_all(tx.conn(), id, cx.actor.sign_in, "password_changed").await?;
    tx.commit(204, &()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_login_costs_a_hash_of_the_configured_cost() {
        let local = crate::config::LocalSignInSettings {
            argon2_memory_kib: 256,
            argon2_passes: 1,
            ..Default::default()
        };
        let hash = dummy_hash(&local);
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(hash.contains("m=256,t=1"), "{hash}");
    }
}
