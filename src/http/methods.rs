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

/// Whether the documented path `template` (`/api/v1/learners/{id}`) matches the request path
/// `path`, segment by segment; a `{…}` segment matches any non-empty segment.
fn matches(template: &str, path: &str) -> bool {
    let (mut t, mut p) = (template.split('/'), path.split('/'));
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) if ts.starts_with('{') && ts.ends_with('}') && !ps.is_empty() => {}
            (Some(ts), Some(ps)) if ts == ps => {}
            _ => return false,
        }
    }
}

/// How many segments of `template` are fixed (not `{…}`): of two paths that match a request,
/// the one with more fixed segments is the one meant.
fn fixed_segments(template: &str) -> usize {
    template.split('/').filter(|s| !s.starts_with('{')).count()
}

/// The catch-alls of the documented paths under `prefix`, as (path below `prefix`, route). A
/// catch-all steps aside for a request that a more specific documented path serves:
/// `POST /learners/import` is not a POST to `/learners/{id}`, while `PATCH /courses/overdue`
/// is still a 405 of `/courses/overdue`.
pub fn fallbacks(doc: &OpenApi, prefix: &str) -> Vec<(String, Route)> {
    let all: std::sync::Arc<Vec<(String, Vec<&'static str>)>> = std::sync::Arc::new(
        doc.paths
            .paths
            .iter()
            .map(|(path, item)| (path.clone(), methods(item)))
            .collect(),
    );
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
            let (all, own) = (all.clone(), path.clone());
            let route = web::route()
                .guard(actix_web::guard::fn_guard(move |ctx| {
                    let method = ctx.head().method.as_str();
                    let target = ctx.head().uri.path();
                    !served.contains(&method)
                        && !all.iter().any(|(other, methods)| {
                            fixed_segments(other) > fixed_segments(&own)
                                && methods.contains(&method)
                                && matches(other, target)
                        })
                }))
                .to(move || {
                    let allow = allow.clone();
                    async move { Err::<HttpResponse, _>(AppError::method_not_allowed(&allow)) }
                });
            Some((below.to_owned(), route))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn a_template_matches_segment_by_segment() {
        assert!(matches("/api/v1/learners/{id}", "/api/v1/learners/import"));
        assert!(matches(
            "/api/v1/learners/import",
            "/api/v1/learners/import"
        ));
        assert!(!matches("/api/v1/learners/{id}", "/api/v1/learners/"));
        assert!(!matches("/api/v1/learners/{id}", "/api/v1/learners/a/b"));
        assert!(!matches(
            "/api/v1/learners/{id}/consents",
            "/api/v1/learners/a"
        ));
        assert!(!matches("/api/v1/learners", "/api/v1/teachers"));
    }
}
