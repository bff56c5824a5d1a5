//! The roles of the platform (requirements, "Who uses the API").
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A caller's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    ProvinceAdmin,
    CityAdmin,
    InstitutionAdmin,
    PlatformOperator,
    Learner,
    Auditor,
    DataConsumer,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::ProvinceAdmin,
        Role::CityAdmin,
        Role::InstitutionAdmin,
        Role::PlatformOperator,
        Role::Learner,
        Role::Auditor,
        Role::DataConsumer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::ProvinceAdmin => "province_admin",
            Role::CityAdmin => "city_admin",
            Role::InstitutionAdmin => "institution_admin",
            Role::PlatformOperator => "platform_operator",
            Role::Learner => "learner",
            Role::Auditor => "auditor",
            Role::DataConsumer => "data_consumer",
        }
    }

    /// Whether the role acts for one city (and so uses a token's city claim).
    pub fn is_city_bound(self) -> bool {
        self == Role::CityAdmin
    }

    /// Whether the role acts for one institution (and so uses its institution claim).
    pub fn is_institution_bound(self) -> bool {
        self == Role::InstitutionAdmin
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}"))
    }
}
