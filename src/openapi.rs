//! The OpenAPI document's frame: info, security schemes and shared components. Paths come from
//! the handlers each module registers, tags from each module's `Doc` (composed at start-up).
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::domain::{CalendarDate, Timestamp};
use crate::error::{FieldError, Problem};
use crate::http::pagination::{Cursor, Limit};
use crate::http::responses::*;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "safetrain",
        description = include_str!("openapi.md"),
        contact(name = "safetrain platform operations", email = "ops@safetrain.example.cn"),
        license(name = "MIT", identifier = "MIT"),
    ),
    servers((url = "/", description = "This server")),
    components(
        schemas(Problem, FieldError, Limit, Cursor, Timestamp, CalendarDate),
        responses(BadRequest, Unauthorized, Forbidden, NotFound, Conflict, RequestTimeout, PreconditionFailed, PayloadTooLarge,
            UnsupportedMediaType, RangeNotSatisfiable, FileRejected, IdempotencyMismatch, PreconditionRequired, TooManyRequests, InternalError, ServiceUnavailable,
            AccountLocked, LoginFailed, RefreshFailed),
    ),
    modifiers(&BearerScheme),
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A JWT from the provincial unified identity service (RS256/ES256, verified against its JWKS) \
                         or from the platform's own issuer (`safetrain token`).",
                    ))
                    .build(),
            ),
        );
    }
}

impl ApiDoc {
    /// The frame with the crate's version and the table of problem codes.
    pub fn frame() -> utoipa::openapi::OpenApi {
        let mut doc = Self::openapi();
        doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
        if let Some(text) = &mut doc.info.description {
            *text = text.replace("{{error_codes}}", &crate::error::markdown_table());
        }
        doc
    }
}

/// Finishes a document whose paths and schemas have been collected: moves the description of a nullable reference (`oneOf: [null, {$ref, description}]`, as utoipa writes `Option<T>` fields)
/// up to the property itself, where readers and linters look.
pub fn finalize(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{RefOr, schema::Schema};
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    for schema in components.schemas.values_mut() {
        let RefOr::T(Schema::Object(object)) = schema else {
            continue;
        };
        for property in object.properties.values_mut() {
            let RefOr::T(Schema::OneOf(one_of)) = property else {
                continue;
            };
            if one_of.description.is_some() {
                continue;
            }
            for item in one_of.items.iter_mut() {
                if let RefOr::Ref(reference) = item
                    && !reference.description.is_empty()
                {
                    one_of.description = Some(std::mem::take(&mut reference.description));
                }
            }
        }
    }
}
