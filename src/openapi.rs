//! The OpenAPI document: info, tags, security schemes and shared components. Paths come from
//! the handlers registered in [`crate::startup::api`].
use actix_web::App;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::{FieldError, Problem};
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
    tags(
        (name = "cities", description = "The 22 city modules: Guangdong's 21 prefecture-level cities and Hengqin. Public."),
        (name = "registry", description = "The public registry of registered institutions, one list per city, in neutral order. Public."),
        (name = "institutions", description = "Training institutions and their lifecycle, managed by city bureaus within their own city."),
        (name = "audit", description = "The audit log of every API request, with a verifiable hash chain."),
        (name = "operations", description = "Liveness, readiness and Prometheus metrics."),
    ),
    components(
        schemas(Problem, FieldError),
        responses(BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PreconditionFailed, PayloadTooLarge,
            UnsupportedMediaType, IdempotencyMismatch, PreconditionRequired, TooManyRequests, InternalError, ServiceUnavailable),
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
    /// The base document with the crate's version.
    pub fn openapi_with_version() -> utoipa::openapi::OpenApi {
        let mut doc = Self::openapi();
        doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
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

/// The whole document, as the server publishes it at `/api-docs/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi_with_version())
        .configure(crate::startup::api)
        .split_for_parts();
    finalize(&mut doc);
    doc
}

/// The document as pretty JSON with a trailing newline, as served and as committed in
/// `openapi/openapi.json`.
pub fn document_json() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}
