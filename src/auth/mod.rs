//! Who is calling: bearer tokens from the provincial identity service or the platform's own
//! issuer become an [`Actor`] with a role and, where the role is bound, a city or institution.
mod jwks;
mod jwt;
pub mod middleware;

use std::str::FromStr;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::AppError;
pub use jwt::{Authenticator, Claims};

/// The roles of the platform (requirements, "Who uses the API").
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

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub subject: String,
    pub role: Role,
    pub city: Option<String>,
    pub institution: Option<Uuid>,
}

impl Actor {
    /// Checks that a role bound to a city or institution carries it.
    pub fn new(
        subject: String,
        role: Role,
        city: Option<String>,
        institution: Option<Uuid>,
    ) -> Result<Self, String> {
        if subject.is_empty() || subject.len() > 200 || subject.chars().any(char::is_control) {
            return Err("sub must be 1 to 200 bytes with no control characters".into());
        }
        if let Some(code) = &city
            && !(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err("city must be a 6-digit division code".into());
        }
        match role {
            Role::CityAdmin if city.is_none() => {
                return Err("a city_admin token needs a city".into());
            }
            Role::InstitutionAdmin if institution.is_none() => {
                return Err("an institution_admin token needs an institution".into());
            }
            _ => {}
        }
        Ok(Self {
            subject,
            role,
            city,
            institution,
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

    /// Fails with 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden {
                code: "role_not_allowed",
                detail: format!("the {} role may not do this", self.role.as_str()),
            })
        }
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

/// Extracts the signed-in caller; a request without a valid token gets 401.
impl FromRequest for Actor {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            req.extensions()
                .get::<Actor>()
                .cloned()
                .ok_or(AppError::Unauthorized {
                    code: "token_missing",
                    detail: "this operation needs a bearer token".into(),
                }),
        )
    }
}

/// The roles an operation admits.
pub trait Policy {
    const ROLES: &'static [Role];
}

/// The caller, already checked against policy `P`. Handlers extract it before the body, so a
/// caller without the role learns that (403) before anything about its request. Services
/// check the role again.
pub struct Allowed<P>(pub Actor, std::marker::PhantomData<P>);

impl<P: Policy> FromRequest for Allowed<P> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checked = Actor::from_request(req, payload)
            .into_inner()
            .and_then(|actor| actor.require(P::ROLES).map(|()| actor));
        std::future::ready(checked.map(|actor| Allowed(actor, std::marker::PhantomData)))
    }
}

/// Declares a [`Policy`] named `$name` admitting `$roles`.
#[macro_export]
macro_rules! policy {
    ($(#[$doc:meta])* $name:ident = $roles:expr) => {
        $(#[$doc])*
        pub struct $name;
        impl $crate::auth::Policy for $name {
            const ROLES: &'static [$crate::auth::Role] = $roles;
        }
    };
}
