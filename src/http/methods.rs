//! 405 answers derived from the routes: a request to a documented path with a method it lacks
//! answers 405 with `Allow` listing those it serves. A fixed path beside a templated one
//! (`/courses/overdue` beside `/courses/{id}`) gets a route guarded by the methods it lacks,
//! registered before the operations, so its missing methods do not reach the template; every
//! other path's 405 is decided by the default service, once no operation took the request.
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

/// Whether a less specific documented path (one with fewer fixed segments) also matches
/// `template`: `/courses/overdue` is shadowed by `/courses/{id}`, so a PATCH to it would reach
/// the PATCH of `/courses/{id}` unless answered before the operations.
fn shadowed(template: &str, all: &[(String, Vec<&'static str>)]) -> bool {
    all.iter().any(|(other, _)| {
        other != template
            && fixed_segments(other) < fixed_segments(template)
            && matches(other, template)
    })
}

/// The 405 answers of the shadowed documented paths under `prefix`, as (path below `prefix`,
/// route), to register before the operations. A catch-all steps aside for a request that a
/// more specific documented path serves: `POST /learners/import` is not a POST to
/// `/learners/{id}`, while `PATCH /courses/overdue` is still a 405 of `/courses/overdue`.
/// Every other path's 405 comes from [`Documented::not_found`] once no operation took the
/// request: the router tries its routes in turn (each templated one by a regular expression)
/// for every request, so only the routes that must come first do.
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
            if !shadowed(path, &all) {
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

/// The documented paths, most specific first, for the answer to a request no operation took.
pub struct Documented(Vec<(String, String)>);

impl Documented {
    pub fn new(doc: &OpenApi) -> Self {
        let mut paths: Vec<(String, String)> = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| (path.clone(), methods(item).join(", ")))
            .collect();
        paths.sort_by_key(|(path, _)| std::cmp::Reverse(fixed_segments(path)));
        Self(paths)
    }

    /// 405 with the methods of the most specific documented path the request's path matches
    /// (no operation took it, so its method is not one of them); 404 when none matches.
    pub fn not_found(&self, path: &str) -> AppError {
        match self.0.iter().find(|(template, _)| matches(template, path)) {
            Some((_, allow)) => AppError::method_not_allowed(allow),
            None => AppError::not_found(),
        }
    }
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
