//! The institution lifecycle: applied → registered → suspended → exited.
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where an institution stands in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InstitutionStatus {
    /// Filed with the city bureau, not yet registered.
    Applied,
    /// Registered (登记): listed in the public registry.
    Registered,
    /// Suspended by the city bureau; may be registered again.
    Suspended,
    /// Left the platform; final.
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

impl fmt::Display for InstitutionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for InstitutionStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [
            Self::Applied,
            Self::Registered,
            Self::Suspended,
            Self::Exited,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
        .ok_or_else(|| format!("unknown institution status {s:?}"))
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
