//! Rate limits: per client IP for anonymous requests, per subject when signed in.
use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::client_ip;
use crate::auth::Actor;
use crate::config::RateLimitSettings;
use crate::error::AppError;
use crate::state::AppState;

pub struct RateLimits {
    anonymous: DefaultKeyedRateLimiter<String>,
    authenticated: DefaultKeyedRateLimiter<String>,
}

fn quota(per_second: u32, burst: u32) -> Quota {
    let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(rate).allow_burst(NonZeroU32::new(burst).unwrap_or(rate))
}

impl RateLimits {
    pub fn new(s: &RateLimitSettings) -> Arc<Self> {
        Arc::new(Self {
            anonymous: RateLimiter::keyed(quota(s.anonymous_per_second, s.anonymous_burst)),
            authenticated: RateLimiter::keyed(quota(
                s.authenticated_per_second,
                s.authenticated_burst,
            )),
        })
    }

    /// Forgets keys that have been idle long enough to be full again.
    pub fn prune(&self) {
        self.anonymous.retain_recent();
        self.authenticated.retain_recent();
    }

    /// Charges a request from `ip` that did not sign in (including one whose token was refused)
    /// to the anonymous bucket of that IP.
    pub fn check_anonymous(&self, req: &ServiceRequest) -> Result<(), AppError> {
        self.check(None, client_ip(req))
    }

    fn check(&self, actor: Option<&Actor>, ip: String) -> Result<(), AppError> {
        let outcome = match actor {
            Some(a) => self.authenticated.check_key(&a.subject),
            None => self.anonymous.check_key(&ip),
        };
        outcome.map_err(|not_until| AppError::RateLimited {
            retry_after_secs: not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs_f64()
                .ceil() as u64,
        })
    }
}

/// Middleware: runs after authentication so it can key by subject.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if let Some(state) = req.app_data::<web::Data<AppState>>() {
        let actor = req.extensions().get::<Actor>().cloned();
        if let Err(e) = state.limits.check(actor.as_ref(), client_ip(&req)) {
            return Ok(req.error_response(e));
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}
