//! API types of the platform's filing profile, its management documents and the filing report.
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::domain::{
    Address, CalendarDate, CreditCode, Email, Label, LongText, Name, PersonName, Phone, WebUrl,
};

/// A member of the complaint-handling team.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamMember {
    /// The name.
    pub name: PersonName,
    /// The duty in the team.
    pub duty: Label,
    /// A phone number.
    pub phone: Phone,
}

/// The facts of the application form (materials 1–4), each unset until filled.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ProfileFields {
    /// The company's name.
    #[schema(required = true)]
    pub company_name: Option<Name>,
    /// Its unified social credit code (GB 32100, check character validated).
    #[schema(required = true)]
    pub credit_code: Option<CreditCode>,
    /// The registered address.
    #[schema(required = true)]
    pub registered_address: Option<Address>,
    /// The office address.
    #[schema(required = true)]
    pub office_address: Option<Address>,
    /// The legal representative.
    #[schema(required = true)]
    pub legal_representative: Option<PersonName>,
    /// The legal representative's phone.
    #[schema(required = true, value_type = Option<String>)]
    pub legal_representative_phone: Option<Phone>,
    /// The contact person.
    #[schema(required = true)]
    pub contact_person: Option<PersonName>,
    /// The contact person's phone.
    #[schema(required = true, value_type = Option<String>)]
    pub contact_phone: Option<Phone>,
    /// The business term (营业期限), as the licence states it.
    #[schema(required = true)]
    pub business_term: Option<Label>,
    /// The platform's address on the web (public).
    #[schema(required = true)]
    pub platform_url: Option<WebUrl>,
    /// An introduction of the platform.
    #[schema(required = true)]
    pub introduction: Option<LongText>,
    /// The after-sales hotline (public).
    #[schema(required = true, value_type = Option<String>)]
    pub hotline: Option<Phone>,
    /// The after-sales e-mail address (public).
    #[schema(required = true, value_type = Option<String>)]
    pub service_email: Option<Email>,
    /// The complaint-handling team.
    #[serde(default)]
    pub complaint_team: Vec<TeamMember>,
}

/// The platform's filing profile.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlatformProfile {
    /// The facts.
    #[serde(flatten)]
    pub fields: ProfileFields,
    /// Who changed it last (none: never filled).
    #[schema(required = true)]
    pub updated_by: Option<String>,
    /// When.
    #[schema(required = true)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// Changes to the profile: the fields named are set, the others kept.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformProfileUpdate {
    /// The company's name.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub company_name: Option<Name>,
    /// Its unified social credit code.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub credit_code: Option<CreditCode>,
    /// The registered address.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub registered_address: Option<Address>,
    /// The office address.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub office_address: Option<Address>,
    /// The legal representative.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub legal_representative: Option<PersonName>,
    /// The legal representative's phone.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub legal_representative_phone: Option<Phone>,
    /// The contact person.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub contact_person: Option<PersonName>,
    /// The contact person's phone.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub contact_phone: Option<Phone>,
    /// The business term.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub business_term: Option<Label>,
    /// The platform's address on the web.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub platform_url: Option<WebUrl>,
    /// An introduction.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub introduction: Option<LongText>,
    /// The after-sales hotline.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub hotline: Option<Phone>,
    /// The after-sales e-mail address.
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub service_email: Option<Email>,
    /// The complaint-handling team (replaces the list).
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub complaint_team: Option<Vec<TeamMember>>,
}

/// What anyone may read of the profile: how to reach the platform's after-sales service.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicPlatformProfile {
    /// The company's name.
    #[schema(required = true)]
    pub company_name: Option<String>,
    /// The platform's address on the web.
    #[schema(required = true)]
    pub platform_url: Option<String>,
    /// The after-sales hotline.
    #[schema(required = true)]
    pub hotline: Option<String>,
    /// The after-sales e-mail address.
    #[schema(required = true)]
    pub service_email: Option<String>,
}

/// The management documents the filing lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// 运维管理制度.
    OperationsMaintenance,
    /// 课程审核与更新制度.
    CourseReviewUpdate,
    /// 应急处置制度.
    EmergencyResponse,
    /// 信息采集与公布制度.
    InformationPublication,
    /// 数据备份制度.
    Backups,
    /// 售后服务制度.
    AfterSales,
}

impl PolicyKind {
    pub const ALL: [PolicyKind; 6] = [
        PolicyKind::OperationsMaintenance,
        PolicyKind::CourseReviewUpdate,
        PolicyKind::EmergencyResponse,
        PolicyKind::InformationPublication,
        PolicyKind::Backups,
        PolicyKind::AfterSales,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::OperationsMaintenance => "operations_maintenance",
            PolicyKind::CourseReviewUpdate => "course_review_update",
            PolicyKind::EmergencyResponse => "emergency_response",
            PolicyKind::InformationPublication => "information_publication",
            PolicyKind::Backups => "backups",
            PolicyKind::AfterSales => "after_sales",
        }
    }

    pub fn from_db(s: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or(PolicyKind::OperationsMaintenance)
    }
}

/// A new version of a management document.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyCreate {
    /// Which document.
    pub kind: PolicyKind,
    /// Its title.
    pub title: Name,
    /// Its text.
    pub content: LongText,
    /// From when it applies.
    pub effective_on: CalendarDate,
}

/// A version of a management document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Policy {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// Which document.
    pub kind: PolicyKind,
    /// Its version: 1, 2, … per document.
    pub version_number: i32,
    /// Its title.
    pub title: String,
    /// Its text.
    pub content: String,
    /// From when it applies.
    pub effective_on: NaiveDate,
    /// Whether it is the version in force today (the newest already effective).
    pub in_force: bool,
    /// Who recorded it.
    pub author_subject: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Filters of the document list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PolicyListQuery {
    /// Only this document's versions.
    pub kind: Option<PolicyKind>,
}

/// The form of the filing report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FilingFormat {
    #[default]
    Json,
    Xlsx,
}

/// The form of the filing report.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FilingQuery {
    /// `json` (the default) or `xlsx`.
    pub format: Option<FilingFormat>,
}

/// Institutions registered in a city.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CityCount {
    /// The city module's code.
    pub city_code: String,
    /// Its name.
    pub city_name: String,
    /// Institutions registered there (any status).
    pub institutions: u64,
}

/// The last verification of the audit chain, as the audit log itself recorded it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChainCheck {
    /// When it ran.
    pub verified_at: DateTime<Utc>,
    /// Whether the chain was whole.
    pub ok: bool,
}

/// The application form filled from the profile, and the counts that show the commitments
/// are kept.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FilingReport {
    /// The profile.
    pub profile: PlatformProfile,
    /// The management documents in force, one per kind that has one.
    pub policies_in_force: Vec<Policy>,
    /// Institutions per city module (every module listed).
    pub institutions_per_city: Vec<CityCount>,
    /// Courses published now.
    pub published_courses: u64,
    /// Courses past their update deadline (requirements §7).
    pub overdue_course_updates: u64,
    /// Complaints still waiting for their handlers.
    pub open_complaints: u64,
    /// Of those, past a deadline.
    pub overdue_complaints: u64,
    /// The audit chain's last verification (none: never verified).
    #[schema(required = true)]
    pub audit_chain: Option<ChainCheck>,
    /// When the report was made.
    pub generated_at: DateTime<Utc>,
}
