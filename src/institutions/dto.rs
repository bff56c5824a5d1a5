//! API types of institutions. Every rule of a field lives in its domain type.
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::status::InstitutionStatus;
use crate::domain::{
    Address, CalendarDate, CityCode, CreditCode, LongText, Name, PersonName, Phone, Reason,
    ShownPhone, Timestamp, WebUrl,
};
use crate::http::pagination::{Cursor, CursorKey, Limit};

/// The body of a create call: exactly the institution's profile.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstitutionCreate {
    /// The registered name.
    pub name: Name,
    /// Unified social credit code, checked with its GB 32100 check character; unique.
    pub credit_code: CreditCode,
    /// The city module the institution registers in.
    pub city_code: CityCode,
    /// Registered (legal) address.
    pub registered_address: Address,
    /// Office address.
    pub office_address: Address,
    /// Legal representative.
    pub legal_representative: PersonName,
    /// Contact person.
    pub contact_name: PersonName,
    /// Contact phone (mobile or landline); stored encrypted.
    pub contact_phone: Phone,
    /// Last day of the business term; null or absent for long-term (长期).
    #[serde(default)]
    pub business_term_end: Option<CalendarDate>,
    /// The institution's training platform address.
    pub platform_url: WebUrl,
    /// Introduction of the institution.
    pub introduction: LongText,
}

/// The body of an update: only the fields to change (at least one). The credit code and the
/// city module identify the institution and cannot change.
#[derive(Debug, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1)]
pub struct InstitutionUpdate {
    /// The registered name.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub name: Option<Name>,
    /// Registered (legal) address.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub registered_address: Option<Address>,
    /// Office address.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub office_address: Option<Address>,
    /// Legal representative.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub legal_representative: Option<PersonName>,
    /// Contact person.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub contact_name: Option<PersonName>,
    /// Contact phone (mobile or landline).
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub contact_phone: Option<Phone>,
    /// Last day of the business term; send null for long-term.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<CalendarDate>)]
    pub business_term_end: Option<Option<CalendarDate>>,
    /// The institution's training platform address.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub platform_url: Option<WebUrl>,
    /// Introduction of the institution.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub introduction: Option<LongText>,
}

/// An institution as its administrators and regulators see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
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
    pub contact_phone: ShownPhone,
    /// Last day of the business term; null for long-term.
    #[schema(required = true)]
    pub business_term_end: Option<NaiveDate>,
    /// The institution's training platform address.
    pub platform_url: String,
    /// Introduction.
    pub introduction: String,
    /// Where it stands in its lifecycle.
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
#[derive(Debug, Serialize, ToSchema)]
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
    pub reason: Reason,
}

/// One lifecycle transition of an institution.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusChange {
    /// The id of this record.
    pub id: Uuid,
    /// The institution it belongs to.
    pub institution_id: Uuid,
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
    pub city_code: Option<CityCode>,
    /// Only this status.
    pub status: Option<InstitutionStatus>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Cursor>,
}

/// Paging of the public registry. It has no sort or ranking parameter by design (§1).
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegistryQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Cursor>,
}

/// Paging of a status history.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatusChangeQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Cursor>,
}

/// An institution id in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct InstitutionPath {
    /// The institution's id.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub id: Uuid,
}

/// A city module code in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RegistryPath {
    /// The 6-digit module code.
    #[param(example = "440100", pattern = "^[0-9]{6}$")]
    pub code: String,
}

/// Where a registry page resumes: registration time, then name, then id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegistryKey(pub DateTime<Utc>, pub String, pub Uuid);

impl CursorKey for RegistryKey {
    fn check(&self) -> Result<(), crate::domain::Invalid> {
        Timestamp::new(self.0)?;
        if self.1.chars().count() > Name::MAX_CHARS {
            return Err(crate::domain::Invalid::new(
                "format",
                "not a cursor this list gave out",
            ));
        }
        Ok(())
    }
}

crate::http::pagination::page_schema!(InstitutionPage, Institution);

crate::http::pagination::page_schema!(RegistryEntryPage, RegistryEntry);

crate::http::pagination::page_schema!(StatusChangePage, StatusChange);
