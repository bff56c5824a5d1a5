//! 405 answers derived from the routes: for every documented path, a route guarded by the
//! methods it lacks answers them with 405 and `Allow` listing those it serves. It is registered
//! before the operations, so a fixed path beside a templated one (`/courses/overdue` beside
//! `/courses/{id}`) answers 405 for its own missing methods instead of reaching the template.
use actix_web::{HttpResponse, Route, web};
use utoipa::openapi::OpenApi;
use utoipa::openapi::path::PathItem;

use crate::error::AppError;

/// The methods a documented path serves.
fn methods(item: &PathItem) -> Vec<&'static str> {
    [
        ("GET", item.get.is_some()),
        ("PUT", item.put.is_some()),
        ("POST", item.post.is_some()),
        ("DELETE", item.delete.is_some()),
        ("OPTIONS", item.options.is_some()),
        ("HEAD", item.head.is_some()),
        ("PATCH", item.patch.is_some()),
        ("TRACE", item.trace.is_some()),
    ]
    .iter()
    .filter(|(_, served)| *served)
    .map(|(m, _)| *m)
    .collect()
}

/// The catch-alls of the documented paths under `prefix`, as (path below `prefix`, route).
pub fn fallbacks(doc: &OpenApi, prefix: &str) -> Vec<(String, Route)> {
    doc.paths
        .paths
        .iter()
        .filter_map(|(path, item)| {
            let below = path.strip_prefix(prefix)?;
            if !prefix.is_empty() && !below.starts_with('/') {
                return None;
            }
            if prefix.is_empty() && path.starts_with("/api/") {
                return None;
            }
            let served = methods(item);
            let allow = served.join(", ");
            let route = web::route()
                .guard(actix_web::guard::fn_guard(move |ctx| {
                    !served.contains(&ctx.head().method.as_str())
                }))
                .to(move || {
                    let allow = allow.clone();
                    async move { Err::<HttpResponse, _>(AppError::method_not_allowed(&allow)) }
                });
            Some((below.to_owned(), route))
        })
        .collect()
}
