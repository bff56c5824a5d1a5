//! Prohibited-content screening (requirements §4, seed commitment §6): one component for every
//! text the platform publishes or accepts (course texts now; complaints, comments and
//! announcements later). Term lists for the nine categories of §6 ship in
//! `fixtures/screening_terms.json` and are maintained by province admins; a multi-pattern
//! automaton matches them in text folded from full-width forms, in any case, with spaces and
//! separators between the characters left out.
mod dto;
pub mod normalize;
mod repo;
mod routes;
mod service;

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use aho_corasick::{AhoCorasick, MatchKind};
use sea_orm::{ConnectionTrait, DbErr};
use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub use dto::{Hit, ScreeningCategory};

pub const TAG: &str = "screening";

/// The answer-cache scope whose version moves with every change of a list.
pub const SCOPE: &str = "screening";

#[derive(OpenApi)]
#[openapi(tags((name = "screening", description = "Prohibited-content screening: the term lists of the nine categories of the seed's §6, maintained by province admins, and a check of any text.")))]
pub struct Doc;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.app_data(actix_web::web::Data::new(Screener::new(
        Duration::from_secs(1),
    )))
    .service(routes::list_screening_lists)
    .service(routes::get_screening_list)
    .service(routes::replace_screening_list)
    .service(routes::check_text);
}

/// The automaton of every term of every list, and which category each pattern belongs to.
pub struct Matcher {
    automaton: Option<AhoCorasick>,
    patterns: Vec<(ScreeningCategory, String)>,
}

impl Matcher {
    pub fn new(lists: &[(ScreeningCategory, Vec<String>)]) -> Self {
        let patterns: Vec<(ScreeningCategory, String)> = lists
            .iter()
            .flat_map(|(c, terms)| terms.iter().map(move |t| (*c, t.clone())))
            .filter(|(_, t)| !normalize::term(t).is_empty())
            .collect();
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns.iter().map(|(_, t)| normalize::term(t)))
            .ok();
        Self {
            automaton,
            patterns,
        }
    }

    /// Every hit in `text`, leftmost-longest, with its span in the text as sent.
    pub fn hits(&self, text: &str) -> Vec<Hit> {
        let Some(automaton) = &self.automaton else {
            return Vec::new();
        };
        let folded = normalize::Normalized::new(text);
        automaton
            .find_iter(&folded.text)
            .map(|m| {
                let (category, term) = &self.patterns[m.pattern().as_usize()];
                let (start, end) = folded.original(m.start(), m.end());
                Hit {
                    category: *category,
                    term: term.clone(),
                    matched: text[start..end].to_owned(),
                    start: text[..start].chars().count(),
                    end: text[..end].chars().count(),
                }
            })
            .collect()
    }
}

/// The matcher of the lists as they stand, rebuilt when a list changes (here or on another
/// replica: the scope's version is read at most every `check_every`).
pub struct Screener {
    check_every: Duration,
    loaded: RwLock<Option<(i64, Instant, Arc<Matcher>)>>,
}

impl Screener {
    pub fn new(check_every: Duration) -> Self {
        Self {
            check_every,
            loaded: RwLock::new(None),
        }
    }

    /// The current matcher.
    pub async fn matcher<C: ConnectionTrait>(&self, db: &C) -> Result<Arc<Matcher>, DbErr> {
        let known = self
            .loaded
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some((_, at, m)) = &known
            && at.elapsed() < self.check_every
        {
            return Ok(m.clone());
        }
        let version = crate::context::cache::version(db, SCOPE).await?;
        let matcher = match known {
            Some((v, _, m)) if v == version => m,
            _ => Arc::new(Matcher::new(&repo::all_lists(db).await?)),
        };
        *self.loaded.write().unwrap_or_else(|p| p.into_inner()) =
            Some((version, Instant::now(), matcher.clone()));
        Ok(matcher)
    }

    /// Drops the matcher this worker holds, so its next screening rebuilds it.
    pub fn forget(&self) {
        *self.loaded.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Every hit in `text`.
    pub async fn screen<C: ConnectionTrait>(&self, db: &C, text: &str) -> Result<Vec<Hit>, DbErr> {
        Ok(self.matcher(db).await?.hits(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_is_matched_plain_full_width_and_spaced_out() {
        let lists = repo::shipped();
        assert_eq!(lists.len(), 9);
        let m = Matcher::new(&lists);
        for (category, terms) in &lists {
            let term = &terms[0];
            let spaced: String = term.chars().map(|c| format!("{c} ")).collect();
            let full: String = term
                .chars()
                .map(|c| {
                    if c.is_ascii_graphic() {
                        char::from_u32(c as u32 + 0xFEE0).unwrap()
                    } else {
                        c
                    }
                })
                .collect();
            for text in [
                format!("课程介绍：{term}。"),
                format!("前文{spaced}后文"),
                format!("《{full}》"),
            ] {
                let hits = m.hits(&text);
                assert_eq!(hits.len(), 1, "{category:?} in {text:?}");
                assert_eq!(hits[0].category, *category);
                assert_eq!(
                    text.chars()
                        .skip(hits[0].start)
                        .take(hits[0].end - hits[0].start)
                        .collect::<String>(),
                    hits[0].matched
                );
            }
        }
        assert!(m.hits("安全生产培训课程，电工作业。").is_empty());
        let latin = Matcher::new(&[(ScreeningCategory::Rumour, vec!["Fake News".into()])]);
        assert_eq!(
            latin.hits("this is ＦＡＫＥ－news!").len(),
            1,
            "case, width and separators fold"
        );
    }
}
