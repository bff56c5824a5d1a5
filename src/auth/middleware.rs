//! Middleware: verifies the bearer token, when one is sent, and attaches the [`Actor`].
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, http::header, web};

use crate::error::AppError;
use crate::state::AppState;

pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
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
        .map(str::trim);
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        let e = AppError::Unauthorized {
            code: "token_malformed",
            detail: "Authorization must be `Bearer <token>`".into(),
        };
        return Ok(refuse(&state, req, e));
    };
    match state.auth.verify(token).await {
        Ok(actor) => {
            if let Some(audit) = req.extensions().get::<crate::audit::AuditContext>() {
                audit.set_actor(&actor);
            }
            req.extensions_mut().insert(actor);
            next.call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body)
        }
        Err(e) => Ok(refuse(&state, req, e)),
    }
}

/// Answers a refused sign-in. The attempt counts against the anonymous limit of the client's
/// IP, so guessing tokens is throttled like any anonymous traffic (429 once the bucket is empty).
fn refuse(state: &AppState, req: ServiceRequest, e: AppError) -> ServiceResponse<BoxBody> {
    match state.limits.check_anonymous(&req) {
        Ok(()) => req.error_response(e),
        Err(limited) => req.error_response(limited),
    }
}
