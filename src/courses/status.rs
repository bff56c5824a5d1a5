//! The course lifecycle: draft → submitted → institution_approved → platform_approved →
//! published → suspended → retired, and which caller may make which move.
//!
//! A course's versions go through review; the course's own status follows its first version
//! until that is published, and is then `published`, `suspended` or `retired`, while later
//! versions (edits of a published course) have a review status of their own.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Role;

/// Where a course stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
#[serde(rename_all = "snake_case")]
pub enum CourseStatus {
    /// Being written by its institution.
    #[sea_orm(string_value = "draft")]
    Draft,
    /// Filed for review by the institution.
    #[sea_orm(string_value = "submitted")]
    Submitted,
    /// Passed the institution's own review.
    #[sea_orm(string_value = "institution_approved")]
    InstitutionApproved,
    /// Passed the platform's review.
    #[sea_orm(string_value = "platform_approved")]
    PlatformApproved,
    /// Open to learners.
    #[sea_orm(string_value = "published")]
    Published,
    /// Taken down for now (by a regulator or the platform); may be reinstated.
    #[sea_orm(string_value = "suspended")]
    Suspended,
    /// Withdrawn for good.
    #[sea_orm(string_value = "retired")]
    Retired,
}

/// Where one version of a course stands in review.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "submitted")]
    Submitted,
    #[sea_orm(string_value = "institution_approved")]
    InstitutionApproved,
    #[sea_orm(string_value = "platform_approved")]
    PlatformApproved,
    /// The version learners study.
    #[sea_orm(string_value = "published")]
    Published,
    /// Was published; a later version replaced it.
    #[sea_orm(string_value = "superseded")]
    Superseded,
}

impl CourseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::InstitutionApproved => "institution_approved",
            Self::PlatformApproved => "platform_approved",
            Self::Published => "published",
            Self::Suspended => "suspended",
            Self::Retired => "retired",
        }
    }

    /// The course status of a never-published course whose version stands at `review`.
    pub fn of_review(review: ReviewStatus) -> Self {
        match review {
            ReviewStatus::Draft => Self::Draft,
            ReviewStatus::Submitted => Self::Submitted,
            ReviewStatus::InstitutionApproved => Self::InstitutionApproved,
            ReviewStatus::PlatformApproved => Self::PlatformApproved,
            ReviewStatus::Published | ReviewStatus::Superseded => Self::Published,
        }
    }
}

impl std::fmt::Display for CourseStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a status request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// Moves the version under review (the current one) to this review status.
    Review(ReviewStatus),
    /// Publishes the current version (replacing the published one, if any).
    Publish,
    Suspend,
    Reinstate,
    Retire,
}

/// Why a move cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The lifecycle does not allow it from here (409).
    Illegal(String),
    /// The caller's role may not make it (403).
    Role(String),
}

/// The move a request for `to` makes, for a course at `course` whose current version is at
/// `review`, asked by `role`.
pub fn plan(
    course: CourseStatus,
    review: ReviewStatus,
    to: CourseStatus,
    role: Role,
) -> Result<Move, Refusal> {
    use CourseStatus as C;
    use ReviewStatus as R;
    let illegal = || {
        Refusal::Illegal(format!(
            "a course that is {course} (its current version {}) cannot become {to}",
            review_str(review)
        ))
    };
    let (step, roles): (Move, &[Role]) = match (course, review, to) {
        (C::Retired, _, _) => return Err(illegal()),
        (_, _, C::Retired) => (
            Move::Retire,
            &[Role::InstitutionAdmin, Role::PlatformOperator],
        ),
        (C::Published, _, C::Suspended) => (Move::Suspend, REGULATORS),
        (C::Suspended, _, C::Published) => (Move::Reinstate, REGULATORS),
        (_, R::Draft, C::Submitted) => (Move::Review(R::Submitted), &[Role::InstitutionAdmin]),
        (_, R::Submitted, C::InstitutionApproved) => (
            Move::Review(R::InstitutionApproved),
            &[Role::InstitutionAdmin],
        ),
        (_, R::InstitutionApproved, C::PlatformApproved) => {
            (Move::Review(R::PlatformApproved), &[Role::PlatformOperator])
        }
        (_, R::PlatformApproved, C::Published) => (
            Move::Publish,
            &[Role::InstitutionAdmin, Role::PlatformOperator],
        ),
        (_, R::Submitted, C::Draft) => (Move::Review(R::Draft), &[Role::InstitutionAdmin]),
        (_, R::InstitutionApproved | R::PlatformApproved, C::Draft) => (
            Move::Review(R::Draft),
            &[Role::InstitutionAdmin, Role::PlatformOperator],
        ),
        _ => return Err(illegal()),
    };
    if roles.contains(&role) {
        Ok(step)
    } else {
        Err(Refusal::Role(format!(
            "the {} role may not make a course {to}",
            role.as_str()
        )))
    }
}

/// Who may suspend a published course and reinstate it.
const REGULATORS: &[Role] = &[Role::PlatformOperator, Role::ProvinceAdmin, Role::CityAdmin];

fn review_str(r: ReviewStatus) -> &'static str {
    match r {
        ReviewStatus::Draft => "draft",
        ReviewStatus::Submitted => "submitted",
        ReviewStatus::InstitutionApproved => "institution_approved",
        ReviewStatus::PlatformApproved => "platform_approved",
        ReviewStatus::Published => "published",
        ReviewStatus::Superseded => "superseded",
    }
}

#[cfg(test)]
mod tests {
    use super::CourseStatus as C;
    use super::ReviewStatus as R;
    use super::*;

    #[test]
    fn a_first_version_goes_through_both_reviews_to_publication() {
        let steps = [
            (
                C::Draft,
                R::Draft,
                C::Submitted,
                Role::InstitutionAdmin,
                Move::Review(R::Submitted),
            ),
            (
                C::Submitted,
                R::Submitted,
                C::InstitutionApproved,
                Role::InstitutionAdmin,
                Move::Review(R::InstitutionApproved),
            ),
            (
                C::InstitutionApproved,
                R::InstitutionApproved,
                C::PlatformApproved,
                Role::PlatformOperator,
                Move::Review(R::PlatformApproved),
            ),
            (
                C::PlatformApproved,
                R::PlatformApproved,
                C::Published,
                Role::InstitutionAdmin,
                Move::Publish,
            ),
            (
                C::PlatformApproved,
                R::PlatformApproved,
                C::Published,
                Role::PlatformOperator,
                Move::Publish,
            ),
            (
                C::Published,
                R::Published,
                C::Suspended,
                Role::CityAdmin,
                Move::Suspend,
            ),
            (
                C::Suspended,
                R::Published,
                C::Published,
                Role::ProvinceAdmin,
                Move::Reinstate,
            ),
            (
                C::Published,
                R::Published,
                C::Retired,
                Role::InstitutionAdmin,
                Move::Retire,
            ),
            (
                C::Submitted,
                R::Submitted,
                C::Draft,
                Role::InstitutionAdmin,
                Move::Review(R::Draft),
            ),
            (
                C::InstitutionApproved,
                R::InstitutionApproved,
                C::Draft,
                Role::PlatformOperator,
                Move::Review(R::Draft),
            ),
            (
                C::PlatformApproved,
                R::PlatformApproved,
                C::Draft,
                Role::InstitutionAdmin,
                Move::Review(R::Draft),
            ),
            // A revision of a published course goes through review while it stays published.
            (
                C::Published,
                R::Draft,
                C::Submitted,
                Role::InstitutionAdmin,
                Move::Review(R::Submitted),
            ),
            (
                C::Published,
                R::PlatformApproved,
                C::Published,
                Role::PlatformOperator,
                Move::Publish,
            ),
            (
                C::Suspended,
                R::Draft,
                C::Submitted,
                Role::InstitutionAdmin,
                Move::Review(R::Submitted),
            ),
            // A suspended course asked to be published is reinstated, approved revision or not.
            (
                C::Suspended,
                R::PlatformApproved,
                C::Published,
                Role::PlatformOperator,
                Move::Reinstate,
            ),
        ];
        for (course, review, to, role, expected) in steps {
            assert_eq!(
                plan(course, review, to, role),
                Ok(expected),
                "{course} {review:?} → {to} by {role:?}"
            );
        }
    }

    #[test]
    fn each_step_belongs_to_its_roles() {
        for (course, review, to, role) in [
            (C::Draft, R::Draft, C::Submitted, Role::PlatformOperator),
            (
                C::Submitted,
                R::Submitted,
                C::InstitutionApproved,
                Role::PlatformOperator,
            ),
            (
                C::InstitutionApproved,
                R::InstitutionApproved,
                C::PlatformApproved,
                Role::InstitutionAdmin,
            ),
            (
                C::PlatformApproved,
                R::PlatformApproved,
                C::Published,
                Role::CityAdmin,
            ),
            (
                C::Published,
                R::Published,
                C::Suspended,
                Role::InstitutionAdmin,
            ),
            (
                C::Suspended,
                R::Published,
                C::Published,
                Role::InstitutionAdmin,
            ),
            (C::Published, R::Published, C::Retired, Role::CityAdmin),
            (C::Submitted, R::Submitted, C::Draft, Role::PlatformOperator),
        ] {
            assert!(
                matches!(plan(course, review, to, role), Err(Refusal::Role(_))),
                "{course} → {to} by {role:?}"
            );
        }
    }

    #[test]
    fn steps_cannot_be_skipped_or_undone() {
        for (course, review, to) in [
            (C::Draft, R::Draft, C::InstitutionApproved),
            (C::Draft, R::Draft, C::Published),
            (C::Submitted, R::Submitted, C::PlatformApproved),
            (C::Draft, R::Draft, C::Suspended),
            (C::Retired, R::Published, C::Published),
            (C::Retired, R::Draft, C::Retired),
            (C::Published, R::Published, C::Published),
            (C::Published, R::Published, C::Draft),
            (C::Draft, R::Draft, C::Draft),
        ] {
            for role in [
                Role::InstitutionAdmin,
                Role::PlatformOperator,
                Role::ProvinceAdmin,
            ] {
                assert!(
                    matches!(plan(course, review, to, role), Err(Refusal::Illegal(_))),
                    "{course} {review:?} → {to}"
                );
            }
        }
    }

    #[test]
    fn a_refusal_says_where_the_course_and_its_version_stand() {
        let Err(Refusal::Illegal(text)) = plan(
            C::Retired,
            R::InstitutionApproved,
            C::Published,
            Role::PlatformOperator,
        ) else {
            panic!("a retired course does not come back");
        };
        assert_eq!(
            text,
            "a course that is retired (its current version institution_approved) cannot become published"
        );
    }
}
