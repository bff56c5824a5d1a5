//! One error type for the whole API, rendered as RFC 9457 `application/problem+json`.
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use sea_orm::DbErr;
use serde::Serialize;
use utoipa::ToSchema;

pub type AppResult<T> = Result<T, AppError>;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One bad field of a request and the rule it broke.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// The field (JSON pointer-like dotted path), query parameter or header at fault.
    #[schema(example = "credit_code")]
    pub field: String,
    /// The rule it broke, a stable machine-readable word.
    #[schema(example = "check_character")]
    pub rule: String,
    /// A human-readable explanation.
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
    #[schema(example = "1 field is invalid")]
    pub detail: String,
    /// A stable machine-readable code; clients branch on it.
    #[schema(example = "validation_failed")]
    pub code: String,
    /// Every bad field and the rule it broke (empty when no field is at fault).
    pub errors: Vec<FieldError>,
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("the request is invalid")]
    Validation(Vec<FieldError>),
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    #[error("{detail}")]
    Unauthorized { code: &'static str, detail: String },
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    #[error("not found")]
    NotFound,
    #[error("{detail}")]
    MethodNotAllowed { detail: String },
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("the resource has changed since it was read")]
    PreconditionFailed,
    #[error("this update needs an If-Match header with the resource's ETag")]
    PreconditionRequired,
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    #[error("this Idempotency-Key was used with a different request")]
    IdempotencyMismatch,
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    #[error("the database is unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(e))
    }

    pub fn field(field: &str, rule: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, rule, message)])
    }

    /// The stable code and the title of this problem type.
    pub fn code_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Self::Validation(_) => ("validation_failed", "The request is invalid"),
            Self::BadRequest { code, .. } => (code, "The request is invalid"),
            Self::Unauthorized { code, .. } => (code, "Authentication failed"),
            Self::Forbidden { code, .. } => (code, "Not allowed"),
            Self::NotFound => ("not_found", "Not found"),
            Self::MethodNotAllowed { .. } => ("method_not_allowed", "Method not allowed"),
            Self::Conflict { code, .. } => (code, "Conflict"),
            Self::PreconditionFailed => ("etag_mismatch", "Precondition failed"),
            Self::PreconditionRequired => ("if_match_required", "Precondition required"),
            Self::PayloadTooLarge { .. } => ("payload_too_large", "Payload too large"),
            Self::UnsupportedMediaType => ("unsupported_media_type", "Unsupported media type"),
            Self::IdempotencyMismatch => ("idempotency_key_reused", "Idempotency key reused"),
            Self::RateLimited { .. } => ("rate_limited", "Too many requests"),
            Self::Unavailable => ("service_unavailable", "Service unavailable"),
            Self::Internal(_) => ("internal_error", "Internal server error"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (code, title) = self.code_and_title();
        let errors = match self {
            Self::Validation(errors) => errors.clone(),
            _ => Vec::new(),
        };
        let detail = match self {
            Self::Validation(errors) if errors.len() == 1 => {
                format!("{}: {}", errors[0].field, errors[0].message)
            }
            Self::Validation(errors) => format!("{} fields are invalid", errors.len()),
            other => other.to_string(),
        };
        Problem {
            problem_type: format!("urn:safetrain:problem:{code}"),
            title: title.into(),
            status: self.status_code().as_u16(),
            detail,
            code: code.into(),
            errors,
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::IdempotencyMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(source) = self {
            tracing::error!(error.chain = %error_chain(source.as_ref()), "request failed");
        }
        let mut res = HttpResponse::build(self.status_code());
        res.content_type(PROBLEM_JSON);
        match self {
            Self::RateLimited { retry_after_secs } => {
                res.insert_header((header::RETRY_AFTER, retry_after_secs.max(&1).to_string()));
            }
            Self::Unavailable => {
                res.insert_header((header::RETRY_AFTER, "5"));
            }
            Self::Unauthorized { .. } => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
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
            Self::Unavailable
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
            ]
            .iter()
            .any(|needle| text.contains(needle))
        }
        _ => false,
    }
}

/// True when `e` is a unique-constraint violation.
pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Turns `validator` errors into field errors.
pub fn from_validation(errors: &validator::ValidationErrors) -> AppError {
    let mut out = Vec::new();
    collect_validation("", errors, &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field));
    AppError::Validation(out)
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
