//! The authentication layer: verifies the bearer token, when one is sent, before any body is
//! read, and leaves the [`Actor`] and its rate-limit key with the request.
use std::sync::Arc;

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use futures_util::future::LocalBoxFuture;

use super::{Actor, Authenticator};
use crate::error::{AppError, Code};
use crate::http::rate_limit::{RateLimits, RateSubject};
use crate::http::{ClientIp, Slot};

/// The layer, with what it needs given up front.
pub fn layer<B: MessageBody + 'static>(
    auth: Arc<Authenticator>,
    limits: Arc<RateLimits>,
) -> impl Fn(
    ServiceRequest,
    Next<B>,
) -> LocalBoxFuture<'static, Result<ServiceResponse<BoxBody>, actix_web::Error>> {
    move |req, next| Box::pin(authenticate(auth.clone(), limits.clone(), req, next))
}

async fn authenticate<B: MessageBody + 'static>(
    auth: Arc<Authenticator>,
    limits: Arc<RateLimits>,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let verified = match token {
        Some(token) => auth.verify(&token).await,
        None => Err(AppError::unauthorized(
            Code::TokenMalformed,
            "Authorization must be `Bearer <token>`",
        )),
    };
    let verified = match verified {
        Ok(actor) => match actor.sign_in {
            Some(sid) => signed_in(&req, sid, &actor.subject).await.map(|()| actor),
            None => Ok(actor),
        },
        Err(e) => Err(e),
    };
    match verified {
        Ok(actor) => {
            let span = tracing::Span::current();
            span.record("actor", actor.subject.as_str());
            span.record("role", actor.role.as_str());
            req.extensions_mut().insert(RateSubject(actor.key()));
            if let Some(slot) = req.extensions().get::<Slot<Actor>>() {
                slot.set(actor.clone());
            }
            req.extensions_mut().insert(actor);
            next.call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body)
        }
        Err(e) => {
            // A refused token counts against its client's anonymous limit, so guessing tokens
            // is throttled like any anonymous traffic (429 once the bucket is empty).
            let e = limits
                .check_anonymous(ClientIp::of(&req))
                .err()
                .unwrap_or(e);
            Ok(req.error_response(e))
        }
    }
}

/// Fails unless the token's sign-in is still open: a learner signed in elsewhere, signed out,
/// or whose refresh token was reused is refused at once.
async fn signed_in(req: &ServiceRequest, sid: uuid::Uuid, subject: &str) -> Result<(), AppError> {
    let db = req
        .app_data::<actix_web::web::Data<sea_orm::DatabaseConnection>>()
        .ok_or_else(|| AppError::bug("no database pool: the app is not wired"))?;
    if super::sign_ins::is_active(db.get_ref(), sid, subject).await? {
        Ok(())
    } else {
        Err(AppError::unauthorized(
            Code::SignedOut,
            "this sign-in has ended (signed out, signed in elsewhere, or ended for safety); sign in again",
        ))
    }
}

/// The signed-in caller of a request, if any.
pub fn actor_of(req: &actix_web::HttpRequest) -> Option<Actor> {
    req.extensions().get::<Actor>().cloned()
}
