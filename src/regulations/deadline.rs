//! When a course resting on a regulation must be updated (requirements §7): laws,
//! administrative regulations, departmental rules and local regulations: the effective date
//! plus 2 calendar months; technical standards: the publication date plus 3 calendar months.
//! A month added to the last days of a month ends on the last day of the shorter month
//! (31 January + 2 months = 31 March; 31 December + 2 months = 28 or 29 February).
use chrono::{Months, NaiveDate};

use super::dto::RegulationKind;

pub fn update_deadline(
    kind: RegulationKind,
    published_on: NaiveDate,
    effective_on: NaiveDate,
) -> NaiveDate {
    let (from, months) = match kind {
        RegulationKind::TechnicalStandard => (published_on, 3),
        _ => (effective_on, 2),
    };
    // Dates are bounded to 9999-12-31 on input, far inside chrono's range.
    from.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn laws_count_from_taking_effect_and_standards_from_publication() {
        let published = d("2026-03-15");
        let effective = d("2026-06-01");
        for kind in [
            RegulationKind::Law,
            RegulationKind::AdministrativeRegulation,
            RegulationKind::DepartmentalRule,
            RegulationKind::LocalRegulation,
        ] {
            assert_eq!(
                update_deadline(kind, published, effective),
                d("2026-08-01"),
                "{kind:?}"
            );
        }
        assert_eq!(
            update_deadline(RegulationKind::TechnicalStandard, published, effective),
            d("2026-06-15")
        );
    }

    #[test]
    fn month_ends_clamp_to_the_shorter_month() {
        let law = RegulationKind::Law;
        let any = d("2000-01-01");
        for (effective, deadline) in [
            ("2027-01-31", "2027-03-31"),
            ("2026-12-31", "2027-02-28"),
            ("2027-12-31", "2028-02-29"),
            ("2027-12-30", "2028-02-29"),
            ("2026-12-29", "2027-02-28"),
            ("2026-07-31", "2026-09-30"),
            ("2026-02-28", "2026-04-28"),
        ] {
            assert_eq!(
                update_deadline(law, any, d(effective)),
                d(deadline),
                "{effective}"
            );
        }
        let standard = RegulationKind::TechnicalStandard;
        assert_eq!(
            update_deadline(standard, d("2026-11-30"), any),
            d("2027-02-28")
        );
        assert_eq!(
            update_deadline(standard, d("2027-11-30"), any),
            d("2028-02-29")
        );
        assert_eq!(
            update_deadline(standard, d("2026-05-31"), any),
            d("2026-08-31")
        );
    }
}
