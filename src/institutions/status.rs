//! The institution lifecycle: applied → registered ⇄ suspended → exited.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where an institution stands in its lifecycle.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum InstitutionStatus {
    /// Filed with the city bureau, not yet registered.
    #[sea_orm(string_value = "applied")]
    Applied,
    /// Registered (登记): listed in the public registry.
    #[sea_orm(string_value = "registered")]
    Registered,
    /// Suspended by the city bureau; may be registered again.
    #[sea_orm(string_value = "suspended")]
    Suspended,
    /// Left the platform; final.
    #[sea_orm(string_value = "exited")]
    Exited,
}

impl InstitutionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Registered => "registered",
            Self::Suspended => "suspended",
            Self::Exited => "exited",
        }
    }

    /// Whether the lifecycle allows moving from `self` to `to`.
    pub fn can_become(self, to: Self) -> bool {
        use InstitutionStatus::*;
        matches!(
            (self, to),
            (Applied, Registered)
                | (Applied, Exited)
                | (Registered, Suspended)
                | (Registered, Exited)
                | (Suspended, Registered)
                | (Suspended, Exited)
        )
    }
}

impl std::fmt::Display for InstitutionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::InstitutionStatus::*;

    #[test]
    fn the_lifecycle_allows_exactly_these_moves() {
        let all = [Applied, Registered, Suspended, Exited];
        let allowed = [
            (Applied, Registered),
            (Applied, Exited),
            (Registered, Suspended),
            (Registered, Exited),
            (Suspended, Registered),
            (Suspended, Exited),
        ];
        for from in all {
            for to in all {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from} -> {to}"
                );
            }
        }
    }
}
