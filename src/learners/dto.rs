//! API types of learners. Every rule of a field lives in its domain type; identity numbers and
//! phones go out through their `Shown…` types, in full only for the roles that need them.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::domain::{
    CityCode, CreditCode, IdNumber, Label, Name, OneTimeSecret, Password, PersonName, Phone,
    ShownIdNumber, ShownPhone,
};
use crate::http::pagination::{Cursor, Limit};
use crate::reference::codes::{OperationTypeCode, TrainingCategoryCode, TrainingTypeCode};

/// The industry of the learner's employer, as far as the required hours depend on it:
/// principals and safety managers of mining, hazardous chemicals, fireworks and metal smelting
/// train 48 学时 initially and 16 a year after, those of every other industry (`general`)
/// 32 and 12.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Industry {
    General,
    Mining,
    HazardousChemicals,
    Fireworks,
    MetalSmelting,
}

impl Industry {
    pub fn as_str(self) -> &'static str {
        match self {
            Industry::General => "general",
            Industry::Mining => "mining",
            Industry::HazardousChemicals => "hazardous_chemicals",
            Industry::Fireworks => "fireworks",
            Industry::MetalSmelting => "metal_smelting",
        }
    }

    /// Its name in programme names.
    pub fn name(self) -> &'static str {
        match self {
            Industry::General => "一般行业",
            Industry::Mining => "矿山",
            Industry::HazardousChemicals => "危险化学品",
            Industry::Fireworks => "烟花爆竹",
            Industry::MetalSmelting => "金属冶炼",
        }
    }

    pub fn from_db(stored: &str) -> Option<Self> {
        [
            Industry::General,
            Industry::Mining,
            Industry::HazardousChemicals,
            Industry::Fireworks,
            Industry::MetalSmelting,
        ]
        .into_iter()
        .find(|i| i.as_str() == stored)
    }
}

/// The body of a create call. `operation_type` is set for a special-operation learner (the
/// operation item trained for) and null for the other categories.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LearnerCreate {
    /// The institution the learner trains at: the caller's own.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub institution_id: Uuid,
    /// Full name.
    pub name: PersonName,
    /// The identity-card number; unique among learners. Personal data: encrypted at rest.
    pub id_number: IdNumber,
    /// A phone number; unique among learners (it is a login). Personal data.
    pub phone: Phone,
    /// The employer's name.
    pub employer_name: Name,
    /// The employer's unified social credit code.
    pub employer_credit_code: CreditCode,
    /// The employer's industry, as far as the required hours depend on it.
    pub industry: Industry,
    /// The city module the learner works in; its city bureau reads the learner.
    pub city_code: CityCode,
    /// The training category.
    pub training_category: TrainingCategoryCode,
    /// The operation item, for a special-operation learner; null otherwise.
    #[serde(default)]
    #[schema(required = true)]
    pub operation_type: Option<OperationTypeCode>,
    /// The training type: initial, refresher or review.
    pub training_type: TrainingTypeCode,
    /// The initial password. Absent: one is generated and shown once in the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Password>,
}

/// The body of an update: only the fields to change (at least one). The institution cannot
/// change; the password is the learner's own (`POST /me/password`).
#[derive(Debug, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1)]
pub struct LearnerUpdate {
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    /// Full name.
    pub name: Option<PersonName>,
    /// A corrected identity number (still unique).
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub id_number: Option<IdNumber>,
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    /// A new phone number (still unique; it is a login).
    pub phone: Option<Phone>,
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    /// The employer's name.
    pub employer_name: Option<Name>,
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    /// The employer's unified social credit code.
    pub employer_credit_code: Option<CreditCode>,
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    /// The employer's industry.
    pub industry: Option<Industry>,
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    /// The city module the learner works in.
    pub city_code: Option<CityCode>,
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    /// The training category (with `operation_type`: set for special operation, null otherwise).
    pub training_category: Option<TrainingCategoryCode>,
    /// The operation item (null for a learner of another category than special operation).
    #[serde(
        default,
        deserialize_with = "crate::http::extract::double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<OperationTypeCode>)]
    pub operation_type: Option<Option<OperationTypeCode>>,
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    /// The training type.
    pub training_type: Option<TrainingTypeCode>,
}

/// The reference photo's facts, read from the file (the file itself is encrypted at rest).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Portrait {
    /// `image/jpeg` or `image/png`, from the file's content.
    #[schema(example = "image/jpeg")]
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the file as uploaded, hex.
    pub sha256: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// When it was uploaded.
    pub uploaded_at: DateTime<Utc>,
}

/// A consent to face processing in force.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FaceConsent {
    /// The version of the consent text agreed to.
    #[schema(example = "2026-11")]
    pub text_version: String,
    /// When the consent was given.
    pub granted_at: DateTime<Utc>,
}

/// A learner as the caller sees it: the identity number and phone in full for the learner's
/// institution and the learner itself, masked for regulators and operators.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Learner {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The institution the learner trains at.
    pub institution_id: Uuid,
    #[schema(example = "440100")]
    /// The city module the learner works in.
    pub city_code: String,
    #[schema(example = "张三")]
    /// Full name.
    pub name: String,
    /// The identity-card number: in full for the learner's institution and the learner, masked (`4401**********0018`) for others.
    pub id_number: ShownIdNumber,
    /// The phone number: in full for the learner's institution and the learner, masked (`139****5678`) for others.
    pub phone: ShownPhone,
    #[schema(example = "广州某化工有限公司")]
    /// The employer's name.
    pub employer_name: String,
    #[schema(example = "91440101MA59UFRF1R")]
    /// The employer's unified social credit code.
    pub employer_credit_code: String,
    /// The employer's industry, as far as the required hours depend on it.
    pub industry: Industry,
    #[schema(example = "special_operation")]
    /// The training category's code.
    pub training_category: String,
    /// The operation item of a special-operation learner; null otherwise.
    #[schema(example = "0102", required = true)]
    pub operation_type: Option<String>,
    #[schema(example = "initial")]
    /// The training type's code.
    pub training_type: String,
    /// The reference photo; null until one is uploaded.
    #[schema(required = true)]
    pub portrait: Option<Portrait>,
    /// The learner's consent to face processing in force, if any (see
    /// `POST /learners/{id}/consents`); without it no face-checked study session starts.
    #[schema(required = true)]
    pub face_consent: Option<FaceConsent>,
    /// Registration time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// The answer of a create: the learner, and the generated password when none was sent.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewLearner {
    #[serde(flatten)]
    pub learner: Learner,
    /// The generated initial password, shown in this answer only (null when the request set
    /// one, and in a replay of the create).
    #[schema(required = true, value_type = Option<String>)]
    pub initial_password: Option<OneTimeSecret>,
}

/// Filters of the learner list; ordered by creation (id).
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LearnerListQuery {
    /// Only this institution's (within the caller's scope).
    #[serde(default, deserialize_with = "crate::http::extract::optional_uuid")]
    #[param(value_type = Option<String>, format = Uuid)]
    pub institution_id: Option<Uuid>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Cursor>,
}

/// A learner id in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct LearnerPath {
    /// The learner's id.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub id: Uuid,
}

/// The body of a password change.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password in use now.
    pub current_password: crate::domain::Secret,
    /// The new one.
    pub new_password: Password,
}

/// A consent (or its withdrawal) to a purpose of processing.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentCreate {
    /// The processing consented to: `face_processing` (face capture and comparison while
    /// studying).
    pub purpose: ConsentPurpose,
    /// The version of the consent text the learner was shown.
    pub text_version: Label,
    /// `granted`, or `withdrawn` to take an earlier consent back.
    pub decision: ConsentDecision,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentPurpose {
    FaceProcessing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentDecision {
    Granted,
    Withdrawn,
}

/// A recorded consent decision; kept, never changed (a withdrawal is a new record).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Consent {
    /// The record's id (UUIDv7).
    pub id: Uuid,
    /// The learner who decided.
    pub learner_id: Uuid,
    /// The processing decided on.
    pub purpose: ConsentPurpose,
    #[schema(example = "2026-11")]
    /// The version of the consent text shown.
    pub text_version: String,
    /// `granted` or `withdrawn`.
    pub decision: ConsentDecision,
    /// When the decision was recorded.
    pub recorded_at: DateTime<Utc>,
}

crate::http::pagination::page_schema!(LearnerPage, Learner);

/// A login as sent: an identity number or a phone number. Personal data: masked in the audit
/// log like the value it is.
#[derive(Debug, Clone)]
pub struct LoginName(String);

impl<'de> Deserialize<'de> for LoginName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        if (1..=64).contains(&raw.chars().count()) {
            Ok(Self(raw))
        } else {
            Err(serde::de::Error::custom(crate::domain::Invalid::new(
                "length",
                "must be 1 to 64 characters",
            )))
        }
    }
}

impl LoginName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for LoginName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::domain::sensitive::serialize_masked(
            &self.0,
            |v| {
                if v.chars().count() == 18 {
                    crate::domain::id_number::mask(v)
                } else {
                    crate::domain::phone::mask(v)
                }
            },
            s,
        )
    }
}

impl utoipa::PartialSchema for LoginName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "The learner's identity-card number or phone number; personal data",
            ))
            .min_length(Some(1))
            .max_length(Some(64))
            .pattern(Some("^[^\\u0000]*$"))
            .examples([serde_json::json!("13812345678")])
            .into()
    }
}

impl utoipa::ToSchema for LoginName {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("LoginName")
    }
}

/// The body of a sign-in.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The identity-card number or the phone number.
    pub login: LoginName,
    /// The password.
    pub password: crate::domain::Secret,
}

/// The body of a token refresh.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token of the last sign-in or refresh; each is good once.
    pub refresh_token: crate::domain::Secret,
}

/// Tokens of a sign-in. Neither is kept by the server in a readable form (the refresh token
/// only as a hash), nor in the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    /// A bearer token for the API, valid for `expires_in` seconds.
    pub access_token: OneTimeSecret,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds the access token is valid for.
    #[schema(example = 900)]
    pub expires_in: u64,
    /// Trades for a new pair once (`POST /auth/refresh`); a second use ends the sign-in.
    pub refresh_token: OneTimeSecret,
    /// Seconds the refresh token is valid for.
    #[schema(example = 1209600)]
    pub refresh_expires_in: u64,
}
