//! One error type for the whole API, rendered as RFC 9457 `application/problem+json`.
mod code;

use std::borrow::Cow;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use sea_orm::DbErr;
use serde::Serialize;
use utoipa::ToSchema;

pub use code::{Code, markdown_table};

pub type AppResult<T> = Result<T, AppError>;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One bad field of a request and the rule it broke.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct FieldError {
    /// The field (a dotted path into the body), query parameter or header at fault.
    #[schema(example = "credit_code")]
    pub field: String,
    /// The rule it broke, a stable machine-readable word.
    #[schema(example = "check_character")]
    pub rule: String,
    /// A human-readable explanation. It never repeats the value that was sent.
    #[schema(example = "the 18th character does not match the GB 32100 check character")]
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        rule: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem detail.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:safetrain:problem:<code>`.
    #[schema(example = "urn:safetrain:problem:validation_failed")]
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the problem type.
    #[schema(example = "The request is invalid")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 400)]
    pub status: u16,
    /// What went wrong with this request.
    #[schema(
        example = "credit_code: the 18th character does not match the GB 32100 check character"
    )]
    pub detail: String,
    /// A stable machine-readable code; clients branch on it.
    #[schema(example = "validation_failed")]
    pub code: String,
    /// Every bad field and the rule it broke (empty when no field is at fault).
    pub errors: Vec<FieldError>,
}

/// Every way a request can fail: a [`Code`] (which fixes the status), a detail for people,
/// the fields at fault, and for a 500 the cause, which goes to the log only.
#[derive(Debug)]
pub struct AppError {
    code: Code,
    detail: Cow<'static, str>,
    errors: Vec<FieldError>,
    retry_after: Option<u64>,
    /// A header the problem's status calls for (`Allow` of a 405, `Content-Range` of a 416).
    header: Option<ProblemHeader>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.detail)
    }
}

impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A header some problems carry.
#[derive(Debug)]
enum ProblemHeader {
    Allow(String),
    ContentRange(String),
}

impl AppError {
    pub fn new(code: Code, detail: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            header: None,
            source: None,
        }
    }

    /// An answer of `code` naming the places it concerns (a conflict's hits, say).
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    pub fn code(&self) -> Code {
        self.code
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// 400 naming the fields at fault.
    pub fn invalid(mut errors: Vec<FieldError>) -> Self {
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid", many.len()),
        };
        Self {
            errors,
            ..Self::new(Code::ValidationFailed, detail)
        }
    }

    /// 400 for one field.
    pub fn field(field: &str, rule: &str, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, rule, message)])
    }

    pub fn not_found() -> Self {
        Self::new(Code::NotFound, "not found")
    }

    pub fn unauthorized(code: Code, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(code, detail)
    }

    pub fn role_not_allowed(role: &str) -> Self {
        Self::new(
            Code::RoleNotAllowed,
            format!("the {role} role may not do this"),
        )
    }

    /// 416 for a range outside a file of `size` bytes (`Content-Range: bytes */size`).
    pub fn range_not_satisfiable(size: u64) -> Self {
        Self {
            header: Some(ProblemHeader::ContentRange(format!("bytes */{size}"))),
            ..Self::new(
                Code::RangeNotSatisfiable,
                format!("the file has {size} bytes; the range asked lies outside it"),
            )
        }
    }

    pub fn method_not_allowed(allow: &str) -> Self {
        Self {
            header: Some(ProblemHeader::Allow(allow.to_owned())),
            ..Self::new(Code::MethodNotAllowed, format!("this path allows {allow}"))
        }
    }

    pub fn precondition_failed() -> Self {
        Self::new(
            Code::EtagMismatch,
            "the resource has changed since it was read",
        )
    }

    pub fn precondition_required() -> Self {
        Self::new(
            Code::IfMatchRequired,
            "this update needs an If-Match header with the resource's ETag",
        )
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            Code::PayloadTooLarge,
            format!("the request body is larger than {limit} bytes"),
        )
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::new(Code::RateLimited, "too many requests").retry_after(retry_after_secs)
    }

    /// The answer with `Retry-After`: the caller may try again in `secs` (at least 1).
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs.max(1));
        self
    }

    /// 423 for an account locked for `retry_after_secs` more seconds.
    pub fn account_locked(retry_after_secs: u64) -> Self {
        Self::new(
            Code::AccountLocked,
            "too many failed sign-ins: the account is locked for a while",
        )
        .retry_after(retry_after_secs)
    }

    pub fn unavailable() -> Self {
        Self::unavailable_because("the database is unavailable")
    }

    /// 503 naming the part that is unavailable (never its internals).
    pub fn unavailable_because(detail: &'static str) -> Self {
        Self {
            retry_after: Some(5),
            ..Self::new(Code::ServiceUnavailable, detail)
        }
    }

    /// 503 for a part the server needs and does not have installed (a font): retrying soon
    /// does not help, so no `Retry-After`.
    pub fn not_installed(detail: &'static str) -> Self {
        Self::new(Code::ServiceUnavailable, detail)
    }

    /// 500: the cause is logged, never answered.
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self {
            source: Some(Box::new(e)),
            ..Self::new(Code::InternalError, "internal error")
        }
    }

    /// 500 from a message of our own making.
    pub fn bug(message: impl Into<String>) -> Self {
        Self::internal(std::io::Error::other(message.into()))
    }

    /// The title of this problem's type.
    fn title(&self) -> &'static str {
        match self.code.status() {
            400 => "The request is invalid",
            401 => "Authentication failed",
            403 => "Not allowed",
            404 => "Not found",
            405 => "Method not allowed",
            408 => "Request timeout",
            409 => "Conflict",
            412 => "Precondition failed",
            413 => "Payload too large",
            415 => "Unsupported media type",
            416 => "Range not satisfiable",
            422 => "Unprocessable request",
            423 => "Locked",
            428 => "Precondition required",
            429 => "Too many requests",
            503 => "Service unavailable",
            _ => "Internal server error",
        }
    }

    pub fn problem(&self) -> Problem {
        Problem {
            problem_type: format!("urn:safetrain:problem:{}", self.code.as_str()),
            title: self.title().into(),
            status: self.code.status(),
            detail: self.detail.to_string(),
            code: self.code.as_str().into(),
            errors: self.errors.clone(),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(source) = &self.source {
            tracing::error!(error.chain = %error_chain(source.as_ref()), "request failed");
        }
        let mut res = HttpResponse::build(self.status_code());
        res.content_type(PROBLEM_JSON);
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        match &self.header {
            Some(ProblemHeader::Allow(allow)) => {
                res.insert_header((header::ALLOW, allow.as_str()));
            }
            Some(ProblemHeader::ContentRange(range)) => {
                res.insert_header((header::CONTENT_RANGE, range.as_str()));
            }
            None => {}
        }
        if self.code.status() == 401 {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        res.json(self.problem())
    }
}

/// The error and every cause under it, on one line, for logs only.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(cause) = cur {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        cur = cause.source();
    }
    out
}

impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        if is_connection_error(&e) {
            tracing::warn!(error.chain = %error_chain(&e), "database unavailable");
            Self::unavailable()
        } else {
            Self::internal(e)
        }
    }
}

/// True when the database could not be reached, as opposed to a statement failing.
pub fn is_connection_error(e: &DbErr) -> bool {
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(_) | DbErr::Query(_) => {
            let text = e.to_string();
            [
                "connection",
                "Connection refused",
                "pool timed out",
                "broken pipe",
                "terminating",
                "being shutdown",
            ]
            .iter()
            .any(|needle| text.contains(needle))
        }
        _ => false,
    }
}

/// Turns `validator` errors into field errors.
pub fn from_validation(errors: &validator::ValidationErrors) -> AppError {
    let mut out = Vec::new();
    collect_validation("", errors, &mut out);
    AppError::invalid(out)
}

fn collect_validation(
    prefix: &str,
    errors: &validator::ValidationErrors,
    out: &mut Vec<FieldError>,
) {
    use validator::ValidationErrorsKind;
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| format!("breaks the {} rule", e.code));
                    out.push(FieldError::new(&path, e.code.to_string(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect_validation(&path, inner, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    collect_validation(&format!("{path}[{i}]"), inner, out);
                }
            }
        }
    }
}
