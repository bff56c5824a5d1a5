//! API types of screening.
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

/// The nine categories of prohibited content of the seed's commitment §6.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum ScreeningCategory {
    /// (1) 反对宪法所确定的基本原则的
    #[sea_orm(string_value = "constitution")]
    Constitution,
    /// (2) 危害国家安全，泄露国家秘密，颠覆国家政权，破坏国家统一的
    #[sea_orm(string_value = "national_security")]
    NationalSecurity,
    /// (3) 损害国家荣誉和利益的
    #[sea_orm(string_value = "national_honour")]
    NationalHonour,
    /// (4) 煽动民族仇恨、民族歧视，破坏民族团结的
    #[sea_orm(string_value = "ethnic_unity")]
    EthnicUnity,
    /// (5) 破坏国家宗教政策，宣扬邪教和封建迷信的
    #[sea_orm(string_value = "religion")]
    Religion,
    /// (6) 散布谣言，扰乱社会秩序，破坏社会稳定的
    #[sea_orm(string_value = "rumour")]
    Rumour,
    /// (7) 散布淫秽、色情、赌博、暴力、凶杀、恐怖或者教唆犯罪的
    #[sea_orm(string_value = "obscenity_violence")]
    ObscenityViolence,
    /// (8) 侮辱或者诽谤他人，侵害他人合法权益的
    #[sea_orm(string_value = "defamation")]
    Defamation,
    /// (9) 含有法律、行政法规以及政府相关管理规定禁止的其他内容的
    #[sea_orm(string_value = "other_prohibited")]
    OtherProhibited,
}

/// A place in a text where a listed term occurs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Hit {
    /// The category of the term.
    pub category: ScreeningCategory,
    /// The listed term.
    #[schema(example = "赌博")]
    pub term: String,
    /// The text as it stands at the hit (full-width forms, spaces and separators included).
    #[schema(example = "赌 博")]
    pub matched: String,
    /// Where the hit starts, in characters from the text's start.
    #[schema(example = 5)]
    pub start: usize,
    /// Where it ends (exclusive), in characters.
    #[schema(example = 8)]
    pub end: usize,
}

/// One category's list, in short.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScreeningListSummary {
    /// The category.
    pub category: ScreeningCategory,
    /// The category as the seed words it.
    pub description: String,
    /// How many terms the list holds.
    #[schema(example = 120)]
    pub term_count: usize,
    /// 0 while the list is the one shipped; counts replacements after.
    #[schema(example = 3)]
    pub version: i32,
    /// When it was last replaced; null for the list shipped.
    #[schema(required = true)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// One category's list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScreeningList {
    /// The category.
    pub category: ScreeningCategory,
    /// The category as the seed words it.
    pub description: String,
    /// The terms, in the order kept.
    pub terms: Vec<String>,
    /// 0 while the list is the one shipped; its ETag is `"v<version>"`.
    #[schema(example = 3)]
    pub version: i32,
    /// When it was last replaced; null for the list shipped.
    #[schema(required = true)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// A term as published: 1–50 characters with a letter among them (not only white space,
/// zero-width characters and separators), no U+0000. Checked by [`valid_terms`].
pub struct ScreeningTerm;

impl utoipa::PartialSchema for ScreeningTerm {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let letter = super::normalize::term_letter_class();
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "A term: 1–50 characters, not only white space, zero-width characters and \
                 separators (`*`, `.`, `·`, `-`, `_`, `|`, `/`, punctuation and their full-width \
                 forms), which the matcher leaves out",
            ))
            .examples([serde_json::json!("赌博")])
            .min_length(Some(1))
            .max_length(Some(50))
            .pattern(Some(format!("^[^\\u0000]*{letter}[^\\u0000]*$")))
            .into()
    }
}

impl utoipa::ToSchema for ScreeningTerm {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("ScreeningTerm")
    }
}

fn valid_terms(terms: &[String]) -> Result<(), ValidationError> {
    for t in terms {
        let n = t.chars().count();
        if n == 0 || n > 50 || super::normalize::term(t).is_empty() || t.contains('\0') {
            return Err(ValidationError::new("term").with_message(
                "every term has 1 to 50 characters, not all spaces or separators".into(),
            ));
        }
    }
    Ok(())
}

/// The list that replaces a category's list.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreeningListReplace {
    /// The terms (1–5,000, each 1–50 characters); duplicates are kept once.
    #[validate(length(min = 1, max = 5000), custom(function = "valid_terms"))]
    #[schema(value_type = Vec<ScreeningTerm>, min_items = 1, max_items = 5000, example = json!(["赌博", "色情"]))]
    pub terms: Vec<String>,
}

/// A text to screen.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreeningCheck {
    /// Up to 20,000 characters, no U+0000.
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        pattern = "^[^\\u0000]*$",
        example = "本课程介绍电工作业的安全规程。"
    )]
    pub text: String,
}

/// What a screening found.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScreeningResult {
    /// True when no listed term occurs.
    pub clean: bool,
    /// Every hit, in text order.
    pub hits: Vec<Hit>,
}

/// A category in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct CategoryPath {
    /// One of the nine categories.
    pub category: ScreeningCategory,
}

/// The list index takes no parameters.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::PartialSchema;

    /// The published pattern and the check agree on every single character: a client that
    /// follows the contract is never refused, and what the contract forbids is refused.
    #[test]
    fn the_published_term_pattern_is_the_rule_the_server_checks() {
        let schema = serde_json::to_value(ScreeningTerm::schema()).unwrap();
        let pattern = regex::Regex::new(schema["pattern"].as_str().unwrap()).unwrap();
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let one = c.to_string();
            assert_eq!(
                pattern.is_match(&one),
                valid_terms(std::slice::from_ref(&one)).is_ok(),
                "U+{:04X}",
                c as u32
            );
        }
        for (term, ok) in [
            ("赌 博", true),
            ("＊－＿", false),
            (" *.\u{200b}", false),
            ("a\0b", false),
        ] {
            assert_eq!(pattern.is_match(term), ok, "{term:?}");
            assert_eq!(valid_terms(&[term.to_owned()]).is_ok(), ok, "{term:?}");
        }
    }
}
