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

/// Request bodies that must name at least this many fields.
const MIN_PROPERTIES: &[(&str, usize)] = &[("InstitutionUpdate", 1)];

/// Finishes a document whose paths and schemas have been collected: sets `minProperties`, and
/// moves the description of a nullable reference (`oneOf: [null, {$ref, description}]`, as utoipa writes `Option<T>` fields)
/// up to the property itself, where readers and linters look.
pub fn finalize(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{RefOr, schema::Schema};
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    // utoipa-gen 5.5 emits `#[schema(min_properties = n)]` as maxProperties, so it is set here.
    for (name, min) in MIN_PROPERTIES {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(*name) {
            object.min_properties = Some(*min);
        }
    }
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
    let mut value = serde_json::to_value(document()).unwrap_or_default();
    fix_link_field_names(&mut value);
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// utoipa 5 writes a Link object's `operationId`/`operationRef` as `operation_id`/`operation_ref`;
/// the OpenAPI schema knows only the camel-case names.
fn fix_link_field_names(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    let operations = paths
        .values_mut()
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut());
    for operation in operations {
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(|r| r.as_object_mut())
        else {
            continue;
        };
        for response in responses.values_mut() {
            let Some(links) = response.get_mut("links").and_then(|l| l.as_object_mut()) else {
                continue;
            };
            for link in links.values_mut().filter_map(|l| l.as_object_mut()) {
                for (from, to) in [
                    ("operation_id", "operationId"),
                    ("operation_ref", "operationRef"),
                ] {
                    if let Some(v) = link.remove(from) {
                        link.insert(to.to_owned(), v);
                    }
                }
            }
        }
    }
}
