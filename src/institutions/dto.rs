//! API types of institutions.
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use regex_lite::Regex;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use super::credit_code::CreditCode;
use super::status::InstitutionStatus;
use crate::http::pagination::{DEFAULT_LIMIT, MAX_LIMIT};

static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}|400-?[0-9]{3}-?[0-9]{4})$")
        .expect("static pattern")
});
static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?([/?#][!-~]*)?$")
        .expect("static pattern")
});
static CITY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[0-9]{6}$").expect("static pattern"));

fn credit_code(value: &str) -> Result<(), ValidationError> {
    CreditCode::parse(value)
        .map(|_| ())
        .map_err(|e| ValidationError::new(e.0).with_message(e.1.into()))
}

fn phone(value: &str) -> Result<(), ValidationError> {
    if PHONE.is_match(value) {
        Ok(())
    } else {
        Err(ValidationError::new("phone")
            .with_message("must be a mainland mobile (11 digits) or landline number".into()))
    }
}

fn valid_city_code(value: &str) -> Result<(), ValidationError> {
    if CITY.is_match(value) {
        Ok(())
    } else {
        Err(ValidationError::new("pattern")
            .with_message("must be a 6-digit city module code".into()))
    }
}

fn web_url(value: &str) -> Result<(), ValidationError> {
    if URL.is_match(value) {
        Ok(())
    } else {
        Err(ValidationError::new("url").with_message("must be an http(s) URL".into()))
    }
}

fn not_blank(value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        Err(ValidationError::new("not_blank").with_message("must not be blank".into()))
    } else {
        Ok(())
    }
}

/// The body of a create call: exactly the institution's profile.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstitutionCreate {
    /// The registered name.
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(
        pattern = "^[^\\u0000]*[^\\u0000\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$",
        min_length = 1,
        max_length = 200,
        example = "广州安培职业培训学校"
    )]
    pub name: String,
    /// Unified social credit code, checked with its GB 32100 check character; unique.
    #[validate(custom(function = "credit_code"))]
    #[schema(
        min_length = 18,
        max_length = 18,
        pattern = "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$",
        example = "91440101MA59UFRF1R"
    )]
    pub credit_code: String,
    /// The city module the institution registers in.
    #[validate(custom(function = "valid_city_code"))]
    #[schema(
        pattern = "^(440100|440200|440300|440400|440500|440600|440700|440800|440900|441200|441300|441400|441500|441600|441700|441800|441900|442000|445100|445200|445300|449900)$",
        example = "440100"
    )]
    pub city_code: String,
    /// Registered (legal) address.
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    #[schema(
        pattern = "^[^\\u0000]*[^\\u0000\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$",
        min_length = 1,
        max_length = 300,
        example = "广州市天河区体育西路1号"
    )]
    pub registered_address: String,
    /// Office address.
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    #[schema(
        pattern = "^[^\\u0000]*[^\\u0000\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$",
        min_length = 1,
        max_length = 300,
        example = "广州市天河区体育西路1号3楼"
    )]
    pub office_address: String,
    /// Legal representative.
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(
        pattern = "^[^\\u0000]*[^\\u0000\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$",
        min_length = 1,
        max_length = 100,
        example = "张三"
    )]
    pub legal_representative: String,
    /// Contact person.
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(
        pattern = "^[^\\u0000]*[^\\u0000\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$",
        min_length = 1,
        max_length = 100,
        example = "李四"
    )]
    pub contact_name: String,
    /// Contact phone (mobile or landline); stored encrypted.
    #[validate(custom(function = "phone"))]
    #[schema(
        pattern = "^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}|400-?[0-9]{3}-?[0-9]{4})$",
        example = "13812345678"
    )]
    pub contact_phone: String,
    /// Last day of the business term; null for long-term (长期).
    #[serde(default)]
    #[schema(example = "2045-12-31")]
    pub business_term_end: Option<NaiveDate>,
    /// The institution's training platform address.
    #[validate(length(min = 9, max = 500), custom(function = "web_url"))]
    #[schema(
        min_length = 9,
        max_length = 500,
        pattern = "^https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?([/?#][!-~]*)?$",
        example = "https://training.example.cn"
    )]
    pub platform_url: String,
    /// Introduction of the institution.
    #[validate(length(min = 1, max = 5000), custom(function = "not_blank"))]
    #[schema(
        pattern = "^[^\\u0000]*[^\\u0000\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$",
        min_length = 1,
        max_length = 5000,
        example = "从事安全生产培训二十年。"
    )]
    pub introduction: String,
}

fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A field that may be left out but not sent as null.
fn non_null<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// The body of an update: only the fields to change (at least one). The credit code and the
/// city module identify the institution and cannot change.
#[derive(Debug, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1)]
pub struct InstitutionUpdate {
    /// The registered name.
    #[serde(default, deserialize_with = "non_null")]
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(
        value_type = String,
        pattern = "^[^\\u0000]*[^\\u0000\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$",
        min_length = 1,
        max_length = 200,
        example = "广州安培职业培训学校"
    )]
    pub name: Option<String>,
    /// Registered (legal) address.
    #[serde(default, deserialize_with = "non_null")]
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    #[schema(
        value_type = String,
        pattern = "^[^\\u0000]*[^\\u0000\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$",
        min_length = 1,
        max_length = 300
    )]
    pub registered_address: Option<String>,
    /// Office address.
    #[serde(default, deserialize_with = "non_null")]
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    #[schema(
        value_type = String,
        pattern = "^[^\\u0000]*[^\\u0000\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$",
        min_length = 1,
        max_length = 300
    )]
    pub office_address: Option<String>,
    /// Legal representative.
    #[serde(default, deserialize_with = "non_null")]
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(
        value_type = String,
        pattern = "^[^\\u0000]*[^\\u0000\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$",
        min_length = 1,
        max_length = 100
    )]
    pub legal_representative: Option<String>,
    /// Contact person.
    #[serde(default, deserialize_with = "non_null")]
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(
        value_type = String,
        pattern = "^[^\\u0000]*[^\\u0000\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$",
        min_length = 1,
        max_length = 100
    )]
    pub contact_name: Option<String>,
    /// Contact phone (mobile or landline).
    #[serde(default, deserialize_with = "non_null")]
    #[validate(custom(function = "phone"))]
    #[schema(
        value_type = String,
        pattern = "^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}|400-?[0-9]{3}-?[0-9]{4})$",
        example = "02083331234"
    )]
    pub contact_phone: Option<String>,
    /// Last day of the business term; send null for long-term.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<NaiveDate>, example = "2045-12-31")]
    pub business_term_end: Option<Option<NaiveDate>>,
    /// The institution's training platform address.
    #[serde(default, deserialize_with = "non_null")]
    #[validate(length(min = 9, max = 500), custom(function = "web_url"))]
    #[schema(
        value_type = String,min_length = 9, max_length = 500, pattern = "^https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?([/?#][!-~]*)?$")]
    pub platform_url: Option<String>,
    /// Introduction of the institution.
    #[serde(default, deserialize_with = "non_null")]
    #[validate(length(min = 1, max = 5000), custom(function = "not_blank"))]
    #[schema(
        value_type = String,
        pattern = "^[^\\u0000]*[^\\u0000\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$",
        min_length = 1,
        max_length = 5000
    )]
    pub introduction: Option<String>,
}

/// An institution as its administrators and regulators see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Institution {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The registered name.
    #[schema(example = "广州安培职业培训学校")]
    pub name: String,
    /// Unified social credit code.
    #[schema(example = "91440101MA59UFRF1R")]
    pub credit_code: String,
    /// The city module.
    #[schema(example = "440100")]
    pub city_code: String,
    /// Registered (legal) address.
    pub registered_address: String,
    /// Office address.
    pub office_address: String,
    /// Legal representative.
    pub legal_representative: String,
    /// Contact person.
    pub contact_name: String,
    /// Contact phone: in full for regulators and the institution's own admins, masked
    /// (`138****5678`) for other roles.
    #[schema(example = "13812345678")]
    pub contact_phone: String,
    /// Last day of the business term; null for long-term.
    #[schema(required = true, example = "2045-12-31")]
    pub business_term_end: Option<NaiveDate>,
    /// The institution's training platform address.
    pub platform_url: String,
    /// Introduction.
    pub introduction: String,
    /// Lifecycle status.
    pub status: InstitutionStatus,
    /// When it was first registered; null until then.
    #[schema(required = true)]
    pub registered_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// An institution as the public registry lists it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegistryEntry {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The registered name.
    #[schema(example = "广州安培职业培训学校")]
    pub name: String,
    /// Unified social credit code.
    #[schema(example = "91440101MA59UFRF1R")]
    pub credit_code: String,
    /// The city module.
    #[schema(example = "440100")]
    pub city_code: String,
    /// Registered (legal) address.
    pub registered_address: String,
    /// Office address.
    pub office_address: String,
    /// The institution's training platform address.
    pub platform_url: String,
    /// Introduction.
    pub introduction: String,
    /// Last day of the business term; null for long-term.
    #[schema(required = true)]
    pub business_term_end: Option<NaiveDate>,
    /// When it was registered.
    pub registered_at: DateTime<Utc>,
}

/// A lifecycle change requested by a regulator.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChangeRequest {
    /// The status to move to.
    #[schema(example = "registered")]
    pub status: InstitutionStatus,
    /// Why (kept with the actor and time of the change).
    #[validate(length(min = 1, max = 500), custom(function = "not_blank"))]
    #[schema(
        pattern = "^[^\\u0000]*[^\\u0000\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$",
        min_length = 1,
        max_length = 500,
        example = "材料齐全，准予登记"
    )]
    pub reason: String,
}

/// One lifecycle transition of an institution.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatusChange {
    /// The id of this record.
    pub id: Uuid,
    /// The status before (null for the creation record).
    #[schema(required = true, example = "applied")]
    pub from_status: Option<InstitutionStatus>,
    /// The status after.
    #[schema(example = "registered")]
    pub to_status: InstitutionStatus,
    /// The reason given.
    #[schema(example = "材料齐全，准予登记")]
    pub reason: String,
    /// Who made the change (token subject).
    #[schema(example = "gz-admin-01")]
    pub actor_subject: String,
    /// The role they acted in.
    #[schema(example = "city_admin")]
    pub actor_role: String,
    /// When.
    pub occurred_at: DateTime<Utc>,
}

/// Filters of the institution list; ordered by creation (id).
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InstitutionListQuery {
    /// Only this city module (within the caller's scope).
    #[validate(custom(function = "valid_city_code"))]
    #[param(
        pattern = "^(440100|440200|440300|440400|440500|440600|440700|440800|440900|441200|441300|441400|441500|441600|441700|441800|441900|442000|445100|445200|445300|449900)$",
        example = "440100"
    )]
    pub city_code: Option<String>,
    /// Only this status.
    pub status: Option<InstitutionStatus>,
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    #[validate(length(min = 1, max = 200))]
    #[param(pattern = "^[A-Za-z0-9_-]+$", min_length = 1, max_length = 200)]
    pub cursor: Option<String>,
}

/// Paging of the public registry. It has no sort or ranking parameter by design (§1).
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegistryQuery {
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    #[validate(length(min = 1, max = 300))]
    #[param(pattern = "^[A-Za-z0-9_-]+$", min_length = 1, max_length = 300)]
    pub cursor: Option<String>,
}

/// Paging of a status history.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatusChangeQuery {
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    #[validate(length(min = 1, max = 200))]
    #[param(pattern = "^[A-Za-z0-9_-]+$", min_length = 1, max_length = 200)]
    pub cursor: Option<String>,
}

/// An institution id in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct InstitutionPath {
    /// The institution's id.
    pub id: Uuid,
}

/// A page size within the allowed range.
pub fn page_limit(limit: Option<u64>) -> u64 {
    limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_follow_the_documented_pattern() {
        for ok in [
            "13812345678",
            "020-83331234",
            "07568888888",
            "400-123-4567",
            "4001234567",
        ] {
            assert!(phone(ok).is_ok(), "{ok}");
        }
        for bad in [
            "12812345678",
            "1381234567",
            "020-8333",
            "phone",
            "138 1234 5678",
        ] {
            assert!(phone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_must_be_http() {
        assert!(web_url("https://a.example.cn").is_ok());
        assert!(web_url("ftp://a.example.cn").is_err());
        assert!(web_url("https://a b").is_err());
        assert!(
            web_url("http://[::1").is_err(),
            "no bracketed or broken hosts"
        );
        assert!(web_url("https://edu.example.cn:8443/path?q=1").is_ok());
    }
}

crate::http::pagination::page_schema!(InstitutionPage, Institution);

crate::http::pagination::page_schema!(RegistryEntryPage, RegistryEntry);

crate::http::pagination::page_schema!(StatusChangePage, StatusChange);
