//! City module codes (GB/T 2260 codes of Guangdong's cities, and 449900 for Hengqin).
use std::sync::LazyLock;

use super::{Invalid, string_newtype};

/// The city modules the platform ships; the contract's pattern is built from this file.
const FIXTURE: &str = include_str!("../../fixtures/cities.json");

/// `^(440100|440200|…)$`, listing every city module of the fixtures.
static PATTERN: LazyLock<String> = LazyLock::new(|| {
    let cities: Vec<serde_json::Value> = serde_json::from_str(FIXTURE).unwrap_or_default();
    let codes: Vec<&str> = cities.iter().filter_map(|c| c["code"].as_str()).collect();
    format!("^({})$", codes.join("|"))
});

/// A 6-digit city module code. Whether such a module exists is the city catalogue's answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct CityCode(String);

impl CityCode {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.len() == 6 && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new(
                "pattern",
                "must be a 6-digit city module code",
            ))
        }
    }

    pub fn from_db(stored: String) -> Self {
        Self(stored)
    }
}

string_newtype!(CityCode);

impl utoipa::PartialSchema for CityCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "A city module: the GB/T 2260 code of one of Guangdong's 21 prefecture-level cities, or 449900 for Hengqin",
            ))
            .pattern(Some(PATTERN.as_str()))
            .examples([serde_json::json!("440100")])
            .into()
    }
}

impl utoipa::ToSchema for CityCode {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("CityCode")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_city_code_is_six_digits_and_the_pattern_lists_the_22_modules() {
        assert!(CityCode::parse("440100").is_ok());
        assert_eq!(CityCode::parse("44010").unwrap_err().rule, "pattern");
        assert_eq!(CityCode::parse("44010a").unwrap_err().rule, "pattern");
        assert_eq!(PATTERN.matches('|').count(), 21);
        assert!(PATTERN.contains("449900"));
    }
}
