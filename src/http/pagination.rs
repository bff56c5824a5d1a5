//! Keyset cursor pagination: `limit` and an opaque `cursor` in, `{items, next_cursor}` and a
//! `Link: rel="next"` header out. A cursor is checked like any other input once decoded.
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponseBuilder};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;
/// The longest cursor any list gives out.
pub const MAX_CURSOR: usize = 400;

/// One page of a list.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Declares the documented schema of a page of `$item` (what [`Page`] serialises to), so that
/// generated clients see the item type by reference.
macro_rules! page_schema {
    ($name:ident, $item:ty) => {
        #[doc = concat!("One page of ", stringify!($item), " items.")]
        #[derive(utoipa::ToSchema)]
        #[allow(dead_code)]
        pub struct $name {
            /// The items of this page, in the list's documented order.
            pub items: Vec<$item>,
            /// Pass as `cursor` to read the next page; null on the last page.
            #[schema(required = true, example = json!(null))]
            pub next_cursor: Option<String>,
        }
    };
}
pub(crate) use page_schema;

/// A page size, 1–200 (50 when not given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Limit(u64);

impl Default for Limit {
    fn default() -> Self {
        Self(DEFAULT_LIMIT)
    }
}

impl Limit {
    pub fn get(self) -> u64 {
        self.0
    }

    pub fn of(limit: Option<Limit>) -> u64 {
        limit.unwrap_or_default().0
    }
}

impl<'de> Deserialize<'de> for Limit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u64::deserialize(d)?;
        if (1..=MAX_LIMIT).contains(&n) {
            Ok(Self(n))
        } else {
            Err(serde::de::Error::custom(crate::domain::Invalid::new(
                "range",
                "must be 1 to 200",
            )))
        }
    }
}

impl utoipa::PartialSchema for Limit {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(MAX_LIMIT as i64))
            .default(Some(DEFAULT_LIMIT.into()))
            .description(Some("Page size, 1–200 (default 50)"))
            .into()
    }
}

impl utoipa::ToSchema for Limit {}

/// The `next_cursor` of the previous page: opaque, base64url.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Cursor(String);

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        let ok = !raw.is_empty()
            && raw.len() <= MAX_CURSOR
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw))
        } else {
            Err(serde::de::Error::custom(crate::domain::Invalid::new(
                "format",
                "not a cursor this list gave out",
            )))
        }
    }
}

impl utoipa::PartialSchema for Cursor {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(MAX_CURSOR))
            .pattern(Some("^[A-Za-z0-9_-]+$"))
            .description(Some(
                "The `next_cursor` of the previous page (opaque, base64url)",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Cursor {}

/// A keyset position a list can resume from; checked after decoding like any other input.
pub trait CursorKey: Serialize + DeserializeOwned {
    /// Refuses a decoded key whose parts the list could never have given out.
    fn check(&self) -> Result<(), crate::domain::Invalid> {
        Ok(())
    }
}

impl CursorKey for uuid::Uuid {}
impl CursorKey for i64 {}

fn bad_cursor() -> AppError {
    AppError::field("cursor", "format", "not a cursor this list gave out")
}

impl Cursor {
    pub fn encode<K: CursorKey>(key: &K) -> String {
        B64.encode(serde_json::to_vec(key).unwrap_or_default())
    }

    /// The key inside: base64url of JSON, no U+0000 anywhere in it, and within its bounds.
    pub fn decode<K: CursorKey>(&self) -> Result<K, AppError> {
        let raw = B64.decode(&self.0).map_err(|_| bad_cursor())?;
        let value: serde_json::Value = serde_json::from_slice(&raw).map_err(|_| bad_cursor())?;
        if super::extract::has_nul(&value) {
            return Err(bad_cursor());
        }
        let key: K = serde_json::from_value(value).map_err(|_| bad_cursor())?;
        key.check()
            .map_err(|e| AppError::field("cursor", "format", e.message))?;
        Ok(key)
    }

    /// The decoded key of an optional cursor.
    pub fn key<K: CursorKey>(cursor: &Option<Cursor>) -> Result<Option<K>, AppError> {
        cursor.as_ref().map(Cursor::decode).transpose()
    }
}

impl<T> Page<T> {
    /// A caller who sees nothing gets the empty last page.
    pub fn empty() -> Self {
        Self {
            items: Vec::new(),
            next_cursor: None,
        }
    }

    /// Builds a page from `limit + 1` fetched rows: the extra row only tells that more exist.
    pub fn from_rows<R, K: CursorKey>(
        mut rows: Vec<R>,
        limit: u64,
        key: impl Fn(&R) -> K,
        map: impl FnMut(R) -> T,
    ) -> Self {
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| Cursor::encode(&key(r)))
        } else {
            None
        };
        Self {
            items: rows.into_iter().map(map).collect(),
            next_cursor,
        }
    }

    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, _>>()?,
            next_cursor: self.next_cursor,
        })
    }
}

/// Adds `Link: <…>; rel="next"` for the next page, when there is one.
pub fn link_next(res: &mut HttpResponseBuilder, req: &HttpRequest, next_cursor: Option<&str>) {
    let Some(cursor) = next_cursor else { return };
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .filter(|(k, _)| k != "cursor")
        .collect();
    pairs.push(("cursor".into(), cursor.to_owned()));
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    res.insert_header((
        header::LINK,
        format!("<{}?{}>; rel=\"next\"", req.path(), query),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Key(String, i32);
    impl CursorKey for Key {}

    #[test]
    fn a_cursor_round_trips_and_garbage_or_nul_is_rejected() {
        let c = Cursor(Cursor::encode(&Key("名称".into(), 7)));
        assert_eq!(c.decode::<Key>().unwrap(), Key("名称".into(), 7));
        assert!(Cursor("!!".into()).decode::<Key>().is_err());
        let nul = Cursor(Cursor::encode(&Key("a\0b".into(), 1)));
        let e = nul.decode::<Key>().unwrap_err();
        assert_eq!(e.errors()[0].field, "cursor");
    }

    #[derive(Deserialize)]
    struct Q {
        limit: Option<Limit>,
        cursor: Option<Cursor>,
    }

    fn query(q: &str) -> Result<Q, serde_urlencoded::de::Error> {
        serde_urlencoded::from_str(q)
    }

    #[test]
    fn limits_and_cursors_keep_their_bounds() {
        assert_eq!(Limit::of(None), DEFAULT_LIMIT);
        assert_eq!(query("limit=7").unwrap().limit.unwrap().get(), 7);
        assert_eq!(query("limit=1").unwrap().limit.unwrap().get(), 1);
        assert_eq!(Limit::of(query("limit=200").unwrap().limit), 200);
        for bad in ["limit=0", "limit=201", "limit=-1"] {
            assert!(query(bad).is_err(), "{bad}");
        }
        let longest = "a".repeat(MAX_CURSOR);
        assert!(query(&format!("cursor={longest}")).is_ok());
        assert!(query(&format!("cursor={longest}a")).is_err());
        assert!(query("cursor=aZ09-_").unwrap().cursor.is_some());
        for bad in ["cursor=", "cursor=a%2Bb", "cursor=a.b", "cursor=a%3Db"] {
            assert!(query(bad).is_err(), "{bad}");
        }
        let none: Option<Cursor> = None;
        assert_eq!(Cursor::key::<i64>(&none).unwrap(), None);
        let some = Some(Cursor(Cursor::encode(&7i64)));
        assert_eq!(Cursor::key::<i64>(&some).unwrap(), Some(7));
    }

    #[test]
    fn the_next_page_is_linked_with_the_other_parameters_kept() {
        let req = actix_web::test::TestRequest::get()
            .uri("/api/v1/things?limit=2&cursor=old&city=%E5%B9%BF")
            .to_http_request();
        let mut res = actix_web::HttpResponse::Ok();
        link_next(&mut res, &req, Some("next"));
        let res = res.finish();
        assert_eq!(
            res.headers().get("link").unwrap(),
            "</api/v1/things?limit=2&city=%E5%B9%BF&cursor=next>; rel=\"next\""
        );
        let mut last = actix_web::HttpResponse::Ok();
        link_next(&mut last, &req, None);
        assert!(last.finish().headers().get("link").is_none());
    }

    #[test]
    fn one_row_beyond_the_limit_yields_a_cursor() {
        let page: Page<i64> = Page::from_rows(vec![1i64, 2, 3], 2, |r| *r, |r| r);
        assert_eq!(page.items, vec![1, 2]);
        let next = Cursor(page.next_cursor.unwrap());
        assert_eq!(next.decode::<i64>().unwrap(), 2);
        let last: Page<i64> = Page::from_rows(vec![1i64, 2], 2, |r| *r, |r| r);
        assert!(last.next_cursor.is_none());
    }
}
