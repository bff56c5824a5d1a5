//! Rate limits: per client IP for anonymous requests, per signed-in caller (issuer and subject)
//! otherwise; and the per-client connection cap. Health and readiness probes are never limited.
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use futures_util::future::LocalBoxFuture;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::ClientIp;
use crate::config::RateLimitSettings;
use crate::error::AppError;

/// The key a signed-in request is charged to; the authentication layer sets it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RateSubject(pub String);

pub struct RateLimits {
    anonymous: DefaultKeyedRateLimiter<Option<IpAddr>>,
    authenticated: DefaultKeyedRateLimiter<String>,
}

fn quota(per_second: u32, burst: u32) -> Quota {
    let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(rate).allow_burst(NonZeroU32::new(burst).unwrap_or(rate))
}

/// Paths a load balancer probes; rate-limiting them would take a healthy replica out of
/// service (the connection cap still applies).
const PROBES: &[&str] = &["/healthz", "/readyz"];

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

    /// Charges a request that did not sign in (including one whose token was refused) to the
    /// anonymous bucket of its client address.
    pub fn check_anonymous(&self, client: ClientIp) -> Result<(), AppError> {
        self.check(None, client)
    }

    fn check(&self, subject: Option<&RateSubject>, client: ClientIp) -> Result<(), AppError> {
        let outcome = match subject {
            Some(s) => self.authenticated.check_key(&s.0),
            None => self.anonymous.check_key(&client.ip),
        };
        outcome.map_err(|not_until| {
            AppError::rate_limited(
                not_until
                    .wait_time_from(DefaultClock::default().now())
                    .as_secs_f64()
                    .ceil() as u64,
            )
        })
    }
}

/// The layer; it runs after authentication, so it can charge the signed-in caller.
pub fn layer<B: MessageBody + 'static>(
    limits: Arc<RateLimits>,
) -> impl Fn(
    ServiceRequest,
    Next<B>,
) -> LocalBoxFuture<'static, Result<ServiceResponse<BoxBody>, actix_web::Error>> {
    move |req, next| {
        let limits = limits.clone();
        Box::pin(async move {
            if super::limits::over_connection_limit(&req) {
                let mut res = req.error_response(AppError::rate_limited(1));
                res.response_mut()
                    .head_mut()
                    .set_connection_type(ConnectionType::Close);
                return Ok(res);
            }
            if !PROBES.contains(&req.path()) {
                let subject = req.extensions().get::<RateSubject>().cloned();
                if let Err(e) = limits.check(subject.as_ref(), ClientIp::of(&req)) {
                    return Ok(req.error_response(e));
                }
            }
            next.call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body)
        })
    }
}
