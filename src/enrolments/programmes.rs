//! Training programmes: training category × industry or operation item × training type, with
//! the hours required. Built at start from `fixtures/programmes.json` (or the file
//! `study.programmes_file` names) and the code tables; served from memory, public.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

use crate::courses::dto::Hours;
use crate::learners::dto::Industry;
use crate::reference::Catalogue;

const FIXTURE: &str = include_str!("../../fixtures/programmes.json");

/// A programme a learner enrols in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Programme {
    /// `<category>-<industry or operation type>-<training type>`.
    #[schema(example = "special_operation-0102-initial")]
    pub code: String,
    /// Its name.
    #[schema(example = "特种作业人员 低压电工作业 初训")]
    pub name: String,
    /// The training category.
    #[schema(example = "special_operation")]
    pub training_category: String,
    /// The industry, for principal persons and safety managers; null for special operations.
    #[schema(required = true)]
    pub industry: Option<Industry>,
    /// The operation item, for special operations; null otherwise.
    #[schema(example = "0102", required = true)]
    pub operation_type: Option<String>,
    /// The training type.
    #[schema(example = "initial")]
    pub training_type: String,
    /// Hours (学时) required, as an exact decimal.
    #[schema(value_type = String, example = "48")]
    pub required_hours: Hours,
}

#[derive(Deserialize)]
struct Fixture {
    managers: BTreeMap<String, BTreeMap<String, String>>,
    special_operation: SpecialFixture,
}

#[derive(Deserialize)]
struct SpecialFixture {
    default: BTreeMap<String, String>,
    by_operation_type: BTreeMap<String, BTreeMap<String, String>>,
}

/// Every programme, in a stable order.
#[derive(Debug, Clone)]
pub struct Programmes(pub Vec<Programme>);

impl Programmes {
    /// From the shipped file or `path`, checked against the code tables.
    pub fn load(path: Option<&std::path::Path>, catalogue: &Catalogue) -> Result<Self, String> {
        let text = match path {
            Some(p) => std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?,
            None => FIXTURE.to_owned(),
        };
        Self::build(&text, catalogue)
    }

    pub fn build(text: &str, catalogue: &Catalogue) -> Result<Self, String> {
        let f: Fixture = serde_json::from_str(text).map_err(|e| format!("programmes: {e}"))?;
        let hours = |raw: &str| {
            Hours::parse(raw).map_err(|e| format!("programmes: hours {raw:?}: {}", e.message))
        };
        let type_name = |code: &str| {
            catalogue
                .training_type(code)
                .map(|t| t.name.clone())
                .ok_or_else(|| format!("programmes: {code:?} is not a training type"))
        };
        let mut out = Vec::new();
        for category in ["principal_person", "safety_manager"] {
            let category_name = &catalogue
                .training_category(category)
                .ok_or_else(|| format!("programmes: no training category {category}"))?
                .name;
            for (industry_code, by_type) in &f.managers {
                let industry = Industry::from_db(industry_code)
                    .ok_or_else(|| format!("programmes: {industry_code:?} is not an industry"))?;
                for (training_type, required) in by_type {
                    out.push(Programme {
                        code: format!("{category}-{industry_code}-{training_type}"),
                        name: format!(
                            "{category_name}（{}）{}",
                            industry.name(),
                            type_name(training_type)?
                        ),
                        training_category: category.into(),
                        industry: Some(industry),
                        operation_type: None,
                        training_type: training_type.clone(),
                        required_hours: hours(required)?,
                    });
                }
            }
        }
        if let Some(code) = f
            .special_operation
            .by_operation_type
            .keys()
            .find(|code| catalogue.operation_type(code).is_none())
        {
            return Err(format!("programmes: {code:?} is not an operation type"));
        }
        let category_name = &catalogue
            .training_category("special_operation")
            .ok_or("programmes: no special_operation category")?
            .name;
        for op in &catalogue.operation_types {
            let by_type = f
                .special_operation
                .by_operation_type
                .get(&op.code)
                .unwrap_or(&f.special_operation.default);
            for (training_type, required) in by_type {
                out.push(Programme {
                    code: format!("special_operation-{}-{training_type}", op.code),
                    name: format!("{category_name} {} {}", op.name, type_name(training_type)?),
                    training_category: "special_operation".into(),
                    industry: None,
                    operation_type: Some(op.code.clone()),
                    training_type: training_type.clone(),
                    required_hours: hours(required)?,
                });
            }
        }
        Ok(Self(out))
    }

    pub fn get(&self, code: &str) -> Option<&Programme> {
        self.0.iter().find(|p| p.code == code)
    }
}

/// Filters of the programme list.
#[derive(Debug, Deserialize, validator::Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProgrammeQuery {
    /// Only this training category's.
    pub training_category: Option<crate::reference::codes::TrainingCategoryCode>,
    /// Only this operation item's.
    pub operation_type: Option<crate::reference::codes::OperationTypeCode>,
    /// Only this training type's.
    pub training_type: Option<crate::reference::codes::TrainingTypeCode>,
}

impl ProgrammeQuery {
    pub fn admits(&self, p: &Programme) -> bool {
        self.training_category
            .as_ref()
            .is_none_or(|c| c.as_str() == p.training_category)
            && self
                .operation_type
                .as_ref()
                .is_none_or(|o| p.operation_type.as_deref() == Some(o.as_str()))
            && self
                .training_type
                .as_ref()
                .is_none_or(|t| t.as_str() == p.training_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_programmes_follow_the_rules_of_hours() {
        let c = Catalogue::shipped();
        let p = Programmes::load(None, &c).unwrap();
        let hours = |code: &str| {
            p.get(code)
                .unwrap_or_else(|| panic!("{code}"))
                .required_hours
                .tenths()
        };
        assert_eq!(hours("principal_person-general-initial"), 320);
        assert_eq!(hours("principal_person-general-refresher"), 120);
        assert_eq!(hours("safety_manager-hazardous_chemicals-initial"), 480);
        assert_eq!(hours("safety_manager-mining-refresher"), 160);
        assert_eq!(hours("special_operation-0102-initial"), 480);
        assert_eq!(hours("special_operation-0102-review"), 80);
        assert_eq!(p.0.len(), 2 * 5 * 2 + c.operation_types.len() * 2);
        let codes: std::collections::HashSet<_> = p.0.iter().map(|p| &p.code).collect();
        assert_eq!(codes.len(), p.0.len(), "codes are unique");
        assert_eq!(
            p.get("special_operation-0102-initial").unwrap().name,
            "特种作业人员 低压电工作业 初训"
        );
    }

    #[test]
    fn an_item_can_have_hours_of_its_own_and_bad_files_are_refused() {
        let c = Catalogue::shipped();
        let text = FIXTURE.replace(
            r#""by_operation_type": {}"#,
            r#""by_operation_type": {"0101": {"initial": "72", "review": "8"}}"#,
        );
        let p = Programmes::build(&text, &c).unwrap();
        assert_eq!(
            p.get("special_operation-0101-initial")
                .unwrap()
                .required_hours
                .tenths(),
            720
        );
        assert_eq!(
            p.get("special_operation-0102-initial")
                .unwrap()
                .required_hours
                .tenths(),
            480
        );
        let bad = FIXTURE.replace(
            r#""by_operation_type": {}"#,
            r#""by_operation_type": {"9999": {"initial": "8"}}"#,
        );
        assert!(Programmes::build(&bad, &c).unwrap_err().contains("9999"));
        let bad = FIXTURE.replace(r#""refresher": "12""#, r#""refresher": "twelve""#);
        assert!(Programmes::build(&bad, &c).is_err());
        let bad = FIXTURE.replace(r#""mining""#, r#""farming""#);
        assert!(Programmes::build(&bad, &c).unwrap_err().contains("farming"));
    }
}
