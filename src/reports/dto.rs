//! What the report endpoints take and answer.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::courses::dto::Hours;
use crate::domain::CityCode;
use crate::teachers::dto::Qualification;

/// The form of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    /// A JSON array of entries.
    #[default]
    Json,
    /// UTF-8 CSV with a byte-order mark (so Excel opens the Chinese text), one row per course
    /// and teacher.
    Csv,
    /// An Excel workbook, one row per course and teacher.
    Xlsx,
}

/// Which courses the catalogue lists, and in what form.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CatalogueQuery {
    /// Only this city's institutions (a city admin may name only its own).
    pub city: Option<CityCode>,
    /// Only this institution (an institution admin may name only its own).
    #[serde(default, deserialize_with = "crate::http::extract::optional_uuid")]
    pub institution_id: Option<Uuid>,
    /// `json` (the default), `csv` or `xlsx`.
    pub format: Option<ReportFormat>,
}

/// A code of a reference table with its name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeName {
    /// The code.
    pub code: String,
    /// Its name (Chinese, as the code table has it).
    pub name: String,
}

/// A teacher as the catalogue lists them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeacherProfile {
    /// The teacher's id.
    pub id: Uuid,
    /// Their name.
    pub name: String,
    /// Their professional title.
    pub title: String,
    /// Their qualifications.
    pub qualifications: Vec<Qualification>,
    /// Their specialities.
    pub specialities: Vec<String>,
}

/// One published course of the catalogue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CatalogueEntry {
    /// The course's id.
    pub course_id: Uuid,
    /// The city of its institution (6-digit code).
    pub city_code: String,
    /// Its institution's id.
    pub institution_id: Uuid,
    /// Its institution's name.
    pub institution_name: String,
    /// Its institution's unified social credit code.
    pub credit_code: String,
    /// The title of the published version.
    pub title: String,
    /// The published version's number.
    pub version_number: i32,
    /// Its 学时.
    pub hours: Hours,
    /// Its training categories.
    pub training_categories: Vec<CodeName>,
    /// Its operation types (special-operation courses).
    pub operation_types: Vec<CodeName>,
    /// Its training types.
    pub training_types: Vec<CodeName>,
    /// When the course was first published.
    pub published_at: Option<DateTime<Utc>>,
    /// Its teachers with their profiles.
    pub teachers: Vec<TeacherProfile>,
}

/// How many people's face data the platform holds, against the filing threshold.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FaceDataSummary {
    /// Learners whose face data (a portrait, or a kept face capture) the platform holds now.
    pub learners_with_face_data: i64,
    /// The number from which the platform must file (100,000 people).
    #[schema(example = 100000)]
    pub filing_threshold: i64,
    /// True once the count has reached the threshold.
    pub filing_required: bool,
    /// When it was counted.
    pub counted_at: DateTime<Utc>,
}
