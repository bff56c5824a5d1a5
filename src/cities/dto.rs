//! API types of city modules.
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::entity;

/// A city module: a prefecture-level city of Guangdong, or the Hengqin cooperation zone.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct City {
    /// The module code: the GB/T 2260 code of the city (Hengqin: 449900, see the README).
    #[schema(example = "440100")]
    pub code: String,
    /// The Chinese name.
    #[schema(example = "广州市")]
    pub name: String,
    /// The English name.
    #[schema(example = "Guangzhou")]
    pub name_en: String,
    /// `prefecture_city` or `cooperation_zone`.
    #[schema(example = "prefecture_city")]
    pub kind: String,
    /// The GB/T 2260 division the module covers (Hengqin lies in Xiangzhou District, 440402).
    #[schema(example = "440100")]
    pub division_code: String,
    /// The supervising bureau.
    #[schema(example = "广州市应急管理局")]
    pub supervisor: String,
}

impl From<entity::Model> for City {
    fn from(m: entity::Model) -> Self {
        Self {
            code: m.code,
            name: m.name,
            name_en: m.name_en,
            kind: m.kind,
            division_code: m.division_code,
            supervisor: m.supervisor,
        }
    }
}

/// The city list takes no parameters.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CityListQuery {}

/// A city module code in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct CityPath {
    /// The 6-digit module code.
    #[param(example = "440100", pattern = "^[0-9]{6}$")]
    pub code: String,
}
