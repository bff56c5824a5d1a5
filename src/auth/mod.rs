//! Who is calling: bearer tokens from the provincial identity service or the platform's own
//! issuer become an [`Actor`] with a role and, where the role is bound, a city or institution;
//! a [`Policy`] says which roles an operation admits.
mod jwks;
mod jwt;
pub mod middleware;
pub mod sign_ins;

use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use crate::domain::Role;
use crate::error::{AppError, Code};
pub use jwt::{Authenticator, Claims};

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The token's issuer: subjects of different issuers are different callers.
    pub issuer: String,
    pub subject: String,
    pub role: Role,
    /// The city a city admin acts for (unset for every other role).
    pub city: Option<String>,
    /// The institution an institution admin acts for (unset for every other role).
    pub institution: Option<Uuid>,
    /// The local sign-in a learner's token belongs to (its `sid` claim), checked on every
    /// request; unset for tokens minted otherwise.
    pub sign_in: Option<Uuid>,
}

impl Actor {
    /// Checks the claims a role needs and drops those it does not use: a province admin's
    /// token that also names a city acts for the whole province, not for that city.
    pub fn new(
        issuer: String,
        subject: String,
        role: Role,
        city: Option<String>,
        institution: Option<Uuid>,
    ) -> Result<Self, String> {
        if subject.is_empty() || subject.len() > 200 || subject.chars().any(char::is_control) {
            return Err("sub must be 1 to 200 bytes with no control characters".into());
        }
        let city = city.filter(|_| role.is_city_bound());
        let institution = institution.filter(|_| role.is_institution_bound());
        if let Some(code) = &city
            && !(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err("city must be a 6-digit division code".into());
        }
        if role.is_city_bound() && city.is_none() {
            return Err("a city_admin token needs a city".into());
        }
        if role.is_institution_bound() && institution.is_none() {
            return Err("an institution_admin token needs an institution".into());
        }
        Ok(Self {
            issuer,
            subject,
            role,
            city,
            institution,
            sign_in: None,
        })
    }

    /// The rows this caller may see.
    pub fn scope(&self) -> Scope {
        match (self.role, &self.city, self.institution) {
            (Role::ProvinceAdmin | Role::PlatformOperator | Role::Auditor, _, _) => Scope::All,
            (Role::CityAdmin, Some(city), _) => Scope::City(city.clone()),
            (Role::InstitutionAdmin, _, Some(id)) => Scope::Institution(id),
            _ => Scope::Nothing,
        }
    }

    /// One key per caller across issuers (SHA-256 of issuer and subject, hex): idempotency
    /// keys and rate limits are kept per caller, never per bare subject.
    pub fn key(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.issuer.as_bytes());
        h.update([0u8]);
        h.update(self.subject.as_bytes());
        hex::encode(h.finalize())
    }

    pub fn has_role(&self, roles: &[Role]) -> bool {
        roles.contains(&self.role)
    }
}

/// The slice of tenant data a caller may reach; every repository query filters by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    City(String),
    Institution(Uuid),
    Nothing,
}

impl Scope {
    /// The condition that limits a tenant table's rows to this scope, given its city column and
    /// the column holding the owning institution's id; `None` when the scope sees nothing.
    pub fn condition<C: sea_orm::ColumnTrait>(
        &self,
        city: C,
        institution: C,
    ) -> Option<sea_orm::Condition> {
        use sea_orm::Condition;
        match self {
            Scope::All => Some(Condition::all()),
            Scope::City(code) => Some(Condition::all().add(city.eq(code.as_str()))),
            Scope::Institution(id) => Some(Condition::all().add(institution.eq(*id))),
            Scope::Nothing => None,
        }
    }
}

/// Which callers an operation admits. The request context checks it before the body is read,
/// so a caller without the role learns that (403) before anything about its request, and a
/// service that takes the context needs no second check.
pub trait Policy: 'static {
    /// What the operation knows of its caller: an [`Actor`], or nothing for public operations.
    type Caller: Clone;

    fn admit(actor: Option<Actor>) -> Result<Self::Caller, AppError>;
}

/// Operations anyone may call, signed in or not; they do not depend on who calls (the audit
/// record still names a signed-in caller).
pub struct Public;

impl Policy for Public {
    type Caller = ();

    fn admit(_: Option<Actor>) -> Result<(), AppError> {
        Ok(())
    }
}

/// Admits a signed-in caller with one of `roles`: 401 without a token, 403 for another role.
pub fn admit_roles(actor: Option<Actor>, roles: &[Role]) -> Result<Actor, AppError> {
    let actor = actor.ok_or_else(|| {
        AppError::unauthorized(Code::TokenMissing, "this operation needs a bearer token")
    })?;
    if actor.has_role(roles) {
        Ok(actor)
    } else {
        Err(AppError::role_not_allowed(actor.role.as_str()))
    }
}

/// Declares a [`Policy`] named `$name` admitting signed-in callers with one of `$roles`.
#[macro_export]
macro_rules! policy {
    ($(#[$doc:meta])* $name:ident = $roles:expr) => {
        $(#[$doc])*
        pub struct $name;
        impl $name {
            pub const ROLES: &'static [$crate::auth::Role] = $roles;
        }
        impl $crate::auth::Policy for $name {
            type Caller = $crate::auth::Actor;
            fn admit(
                actor: Option<$crate::auth::Actor>,
            ) -> Result<$crate::auth::Actor, $crate::error::AppError> {
                $crate::auth::admit_roles(actor, Self::ROLES)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, city: Option<&str>, inst: Option<Uuid>) -> Result<Actor, String> {
        Actor::new(
            "iss".into(),
            "sub".into(),
            role,
            city.map(str::to_owned),
            inst,
        )
    }

    #[test]
    fn claims_a_role_does_not_use_are_dropped() {
        let a = actor(Role::ProvinceAdmin, Some("440300"), Some(Uuid::nil())).unwrap();
        assert_eq!((a.city.clone(), a.institution), (None, None));
        assert_eq!(a.scope(), Scope::All);
        let c = actor(Role::CityAdmin, Some("440100"), Some(Uuid::nil())).unwrap();
        assert_eq!(c.institution, None);
        assert_eq!(c.scope(), Scope::City("440100".into()));
        assert!(actor(Role::CityAdmin, None, None).is_err());
        assert!(actor(Role::InstitutionAdmin, Some("440100"), None).is_err());
        assert!(actor(Role::CityAdmin, Some("4401"), None).is_err());
        assert_eq!(
            actor(Role::Learner, None, None).unwrap().scope(),
            Scope::Nothing
        );
    }

    #[test]
    fn callers_are_keyed_by_issuer_and_subject() {
        let a = Actor::new("a".into(), "x".into(), Role::Auditor, None, None).unwrap();
        let b = Actor::new("b".into(), "x".into(), Role::Auditor, None, None).unwrap();
        assert_ne!(a.key(), b.key());
        assert_eq!(a.key().len(), 64);
    }
}
