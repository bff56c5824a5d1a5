//! Answers built through the context: the body is serialised once for the audit log (sensitive
//! values masked by their types) and, when it holds no sensitive value, the same text is sent.
use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, HttpResponseBuilder};
use serde::Serialize;

use super::Cx;
use super::cache::Answer;
use crate::auth::Policy;
use crate::domain::for_audit;
use crate::error::AppResult;
use crate::http::etag::Versioned;
use crate::http::pagination::{Page, link_next};

impl<P: Policy> Cx<P> {
    /// Answers `status` with `body` as JSON, and leaves the audit copy with the recorder.
    pub fn reply<T: Serialize>(&self, status: StatusCode, body: &T) -> HttpResponse {
        self.reply_with(HttpResponse::build(status), body)
    }

    fn reply_with<T: Serialize>(&self, mut res: HttpResponseBuilder, body: &T) -> HttpResponse {
        let (audit, masked) = for_audit(body);
        let text = if masked {
            serde_json::to_string(body).unwrap_or_else(|_| "null".into())
        } else {
            audit.clone()
        };
        self.audit.set_response(audit);
        res.content_type("application/json").body(text)
    }

    /// 200 with a resource and its `ETag`.
    pub fn ok_versioned<T: Serialize>(&self, v: &Versioned<T>) -> HttpResponse {
        self.versioned(StatusCode::OK, v)
    }

    /// `status` with a resource and its `ETag`.
    pub fn versioned<T: Serialize>(&self, status: StatusCode, v: &Versioned<T>) -> HttpResponse {
        let mut res = HttpResponse::build(status);
        res.insert_header((header::ETAG, v.etag()));
        self.reply_with(res, &v.value)
    }

    /// 200 with a page and, when another page exists, its `Link`.
    pub fn page<T: Serialize>(&self, page: &Page<T>) -> HttpResponse {
        self.listing(page, page.next_cursor.as_deref())
    }

    /// 200 with a list body of another shape than [`Page`] whose next page is `next_cursor`.
    pub fn listing<T: Serialize>(&self, body: &T, next_cursor: Option<&str>) -> HttpResponse {
        let mut res = HttpResponse::Ok();
        link_next(&mut res, &self.req, next_cursor);
        self.reply_with(res, body)
    }

    /// 201 with a created (or replayed) resource, its `Location` and `ETag`.
    pub fn created<T: Serialize>(
        &self,
        created: &super::Created<Versioned<T>>,
        location: String,
    ) -> HttpResponse {
        let (v, replayed) = match created {
            super::Created::New(v) => (v, false),
            super::Created::Replayed(v) => (v, true),
        };
        let mut res = HttpResponse::Created();
        res.insert_header((header::LOCATION, location))
            .insert_header((header::ETAG, v.etag()));
        if replayed {
            res.insert_header(("Idempotent-Replayed", "true"));
        }
        self.reply_with(res, &v.value)
    }
}

impl<P: Policy> Cx<P> {
    /// A public page served from the answer cache of `scope` (see [`super::cache`]), built by
    /// `build` when the scope changed or the page was not asked for yet. Only for answers with
    /// no sensitive value: the audit log keeps the text as sent.
    pub async fn cached_page<T: Serialize>(
        &self,
        scope: &str,
        key: &str,
        build: impl AsyncFnOnce() -> AppResult<Page<T>>,
    ) -> AppResult<HttpResponse> {
        let answers = &self.svc.answers;
        let (version, hit) = answers.get(self.db.get_ref(), scope, key).await?;
        let answer = match hit {
            Some(answer) => answer,
            None => {
                let page = build().await?;
                let (text, masked) = for_audit(&page);
                debug_assert!(!masked, "cached answers carry no sensitive value");
                let answer = Arc::new(Answer {
                    body: text.into(),
                    next_cursor: page.next_cursor.clone(),
                });
                answers.put(scope, key, version, answer.clone());
                answer
            }
        };
        self.audit
            .set_response(String::from_utf8_lossy(&answer.body).into_owned());
        let mut res = HttpResponse::Ok();
        link_next(&mut res, &self.req, answer.next_cursor.as_deref());
        Ok(res
            .content_type("application/json")
            .body(answer.body.clone()))
    }
}
