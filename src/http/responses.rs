//! The problem+json error responses, defined once and listed by every operation that can give them.
use serde_json::json;
use utoipa::openapi::schema::{Ref, Type};
use utoipa::openapi::{ContentBuilder, RefOr, Response, ResponseBuilder, header::HeaderBuilder};

use crate::error::Code;

macro_rules! problem_response {
    ($name:ident, $code:expr, $description:expr, $detail:expr $(, $header:expr)?) => {
        #[doc = $description]
        pub struct $name;

        impl<'s> utoipa::ToResponse<'s> for $name {
            fn response() -> (&'s str, RefOr<Response>) {
                (stringify!($name), problem($code, $description, $detail, &[$($header)?]))
            }
        }
    };
}

fn problem(
    code: Code,
    description: &str,
    detail: &str,
    headers: &[(&str, &str)],
) -> RefOr<Response> {
    let (status, code) = (code.status(), code.as_str());
    let errors = if code == "validation_failed" {
        json!([{"field": "sort", "rule": "unknown_parameter", "message": "unknown field `sort`, expected `limit` or `cursor`"}])
    } else {
        json!([])
    };
    let example = json!({
        "type": format!("urn:safetrain:problem:{code}"),
        "title": description,
        "status": status,
        "detail": detail,
        "code": code,
        "errors": errors,
    });
    let mut builder = ResponseBuilder::new().description(description).content(
        crate::error::PROBLEM_JSON,
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .example(Some(example))
            .build(),
    );
    for (name, text) in headers {
        builder = builder.header(
            *name,
            HeaderBuilder::new()
                .schema(Some(utoipa::openapi::schema::Object::with_type(
                    Type::String,
                )))
                .description(Some(*text))
                .build(),
        );
    }
    builder.build().into()
}

problem_response!(
    BadRequest,
    Code::ValidationFailed,
    "The request is invalid: a field breaks a rule, the JSON is malformed, or a query parameter is unknown",
    "sort: unknown field `sort`, expected `limit` or `cursor`"
);
problem_response!(
    Unauthorized,
    Code::TokenExpired,
    "No valid bearer token: missing, malformed, expired, not yet valid, wrong issuer or audience, bad signature, unknown key",
    "ExpiredSignature",
    ("WWW-Authenticate", "Always `Bearer`")
);
problem_response!(
    Forbidden,
    Code::RoleNotAllowed,
    "The caller's role may not perform this operation",
    "the learner role may not do this"
);
problem_response!(
    NotFound,
    Code::NotFound,
    "No such resource within the caller's scope (another tenant's objects also answer 404)",
    "not found"
);
problem_response!(
    Conflict,
    Code::IllegalTransition,
    "The request conflicts with the resource's current state",
    "an exited institution cannot become registered"
);
problem_response!(
    RequestTimeout,
    Code::RequestTimeout,
    "The request body did not arrive within the configured time",
    "the request body did not arrive in time"
);
problem_response!(
    PreconditionFailed,
    Code::EtagMismatch,
    "The If-Match header does not match the resource's current ETag",
    "the resource has changed since it was read"
);
problem_response!(
    PayloadTooLarge,
    Code::PayloadTooLarge,
    "The request body exceeds the size limit",
    "the request body is larger than 262144 bytes"
);
problem_response!(
    UnsupportedMediaType,
    Code::UnsupportedMediaType,
    "The request body is not of a media type the operation takes (`application/json` for JSON bodies)",
    "the request body must be application/json"
);
problem_response!(
    RangeNotSatisfiable,
    Code::RangeNotSatisfiable,
    "The Range asked lies outside the file; `Content-Range` gives the file's size",
    "the file has 1000 bytes; the range asked lies outside it",
    ("Content-Range", "`bytes */size`")
);
problem_response!(
    FileRejected,
    Code::FileRejected,
    "The uploaded file is not what its type says, is incomplete, or breaks the media policy; nothing of it is kept",
    "the file is image/png but was sent as image/jpeg"
);
problem_response!(
    IdempotencyMismatch,
    Code::IdempotencyKeyReused,
    "The Idempotency-Key was already used with a different request body",
    "this Idempotency-Key was used with a different request"
);
problem_response!(
    PreconditionRequired,
    Code::IfMatchRequired,
    "The update needs an If-Match header carrying the resource's ETag",
    "this update needs an If-Match header with the resource's ETag"
);
problem_response!(
    TooManyRequests,
    Code::RateLimited,
    "The caller exceeded its rate limit, or its client address has too many connections open",
    "too many requests",
    ("Retry-After", "Seconds to wait before retrying")
);
problem_response!(
    AccountLocked,
    Code::AccountLocked,
    "Too many failed sign-ins: the account is locked until `Retry-After` seconds have passed (even the right password is refused until then)",
    "too many failed sign-ins: the account is locked for a while",
    ("Retry-After", "Seconds until the account unlocks")
);
problem_response!(
    LoginFailed,
    Code::LoginFailed,
    "The login or the password is wrong; which of them is not said",
    "the login or the password is wrong"
);
problem_response!(
    RefreshFailed,
    Code::RefreshInvalid,
    "The refresh token is unknown, expired or spent (`refresh_invalid`), or was used a second time (`refresh_reused`: its sign-in is ended and every token of it refused)",
    "the refresh token is unknown, expired, or its sign-in has ended"
);
problem_response!(
    InternalError,
    Code::InternalError,
    "An unexpected error; the body names no internals",
    "internal error"
);
problem_response!(
    ServiceUnavailable,
    Code::ServiceUnavailable,
    "The database is unreachable or the server is stopping; retry later",
    "the database is unavailable",
    ("Retry-After", "Seconds to wait before retrying")
);

/// Declares a set of the responses above that many operations share.
macro_rules! response_set {
    ($name:ident, $doc:expr, [$(($status:expr, $response:ident)),* $(,)?]) => {
        #[doc = $doc]
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> std::collections::BTreeMap<String, RefOr<Response>> {
                [$(($status.to_string(), RefOr::Ref(Ref::from_response_name(stringify!($response))))),*]
                    .into_iter()
                    .collect()
            }
        }
    };
}

response_set!(
    PublicErrors,
    "What a public read of the database can answer besides success.",
    [
        (400, BadRequest),
        (429, TooManyRequests),
        (500, InternalError),
        (503, ServiceUnavailable)
    ]
);
response_set!(
    ReferenceErrors,
    "What a public read of reference data held in memory can answer besides success.",
    [
        (400, BadRequest),
        (429, TooManyRequests),
        (500, InternalError)
    ]
);
response_set!(
    SignedInErrors,
    "What any signed-in operation can answer besides success.",
    [
        (400, BadRequest),
        (401, Unauthorized),
        (403, Forbidden),
        (429, TooManyRequests),
        (500, InternalError),
        (503, ServiceUnavailable)
    ]
);
response_set!(
    BodyErrors,
    "What an operation with a JSON body can answer about the body itself.",
    [
        (408, RequestTimeout),
        (413, PayloadTooLarge),
        (415, UnsupportedMediaType)
    ]
);
