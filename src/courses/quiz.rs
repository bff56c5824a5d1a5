//! The quiz format of courseware of kind `quiz`: single-choice, multiple-choice and true/false
//! questions with their answers, checked when the file is uploaded; learners get the questions
//! without the answers, and attempts are scored against them.
use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most questions one quiz holds.
pub const MAX_QUESTIONS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// One right option.
    Single,
    /// One or more right options; all of them and only them score.
    Multiple,
    /// Two options (true, false), one right.
    TrueFalse,
}

/// A question as the institution writes it, with its answer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Its id within the quiz (1–64 characters).
    #[schema(example = "q1")]
    pub id: String,
    /// The kind of question.
    pub kind: QuestionKind,
    /// The question.
    #[schema(example = "低压电工作业是指对多少伏以下的电气设备进行的作业？")]
    pub text: String,
    /// The options (2–10; exactly 2 for true/false).
    #[schema(example = json!(["1000V", "220V", "36V"]))]
    pub options: Vec<String>,
    /// The indices (from 0) of the right options.
    #[schema(example = json!([0]))]
    pub answer: Vec<u32>,
}

/// A quiz file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Quiz {
    /// The questions (1–200).
    pub questions: Vec<Question>,
}

/// A question as a learner gets it: without its answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionShown {
    /// Its id.
    pub id: String,
    /// The kind of question.
    pub kind: QuestionKind,
    /// The question.
    pub text: String,
    /// The options.
    pub options: Vec<String>,
}

/// Reads and checks a quiz file; the error says which rule it breaks.
pub fn parse(bytes: &[u8]) -> Result<Quiz, String> {
    let quiz: Quiz = serde_json::from_slice(bytes)
        .map_err(|e| format!("the quiz is not in the quiz format: {e}"))?;
    if quiz.questions.is_empty() || quiz.questions.len() > MAX_QUESTIONS {
        return Err(format!("a quiz holds 1 to {MAX_QUESTIONS} questions"));
    }
    let mut ids = HashSet::new();
    for q in &quiz.questions {
        if q.id.is_empty() || q.id.chars().count() > 64 || !ids.insert(q.id.as_str()) {
            return Err(format!(
                "question ids are 1–64 characters and unique ({:?})",
                q.id
            ));
        }
        if q.text.trim().is_empty() || q.options.iter().any(|o| o.trim().is_empty()) {
            return Err(format!("question {:?} has an empty text or option", q.id));
        }
        let options_ok = match q.kind {
            QuestionKind::TrueFalse => q.options.len() == 2,
            _ => (2..=10).contains(&q.options.len()),
        };
        if !options_ok {
            return Err(format!("question {:?} has a wrong number of options", q.id));
        }
        let answers: HashSet<u32> = q.answer.iter().copied().collect();
        let answer_ok = answers.len() == q.answer.len()
            && !answers.is_empty()
            && answers.iter().all(|a| (*a as usize) < q.options.len())
            && (q.kind == QuestionKind::Multiple || answers.len() == 1);
        if !answer_ok {
            return Err(format!(
                "question {:?} has a wrong answer (indices of its options; one for single and true/false)",
                q.id
            ));
        }
    }
    Ok(quiz)
}

impl Quiz {
    pub fn shown(&self) -> Vec<QuestionShown> {
        self.questions
            .iter()
            .map(|q| QuestionShown {
                id: q.id.clone(),
                kind: q.kind,
                text: q.text.clone(),
                options: q.options.clone(),
            })
            .collect()
    }

    /// How many questions `answers` (question id → chosen option indices) gets right: a
    /// question scores when exactly its right options are chosen.
    pub fn score(&self, answers: &BTreeMap<String, Vec<u32>>) -> usize {
        self.questions
            .iter()
            .filter(|q| {
                answers.get(&q.id).is_some_and(|chosen| {
                    let chosen: HashSet<u32> = chosen.iter().copied().collect();
                    chosen == q.answer.iter().copied().collect::<HashSet<u32>>()
                })
            })
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"questions": [
        {"id": "q1", "kind": "single", "text": "低压是多少伏以下？", "options": ["1000V", "220V"], "answer": [0]},
        {"id": "q2", "kind": "multiple", "text": "哪些是安全用具？", "options": ["绝缘手套", "绝缘靴", "铁棒"], "answer": [0, 1]},
        {"id": "q3", "kind": "true_false", "text": "可以带电作业。", "options": ["对", "错"], "answer": [1]}
    ]}"#;

    #[test]
    fn a_quiz_is_scored_question_by_question_and_only_exact_choices_score() {
        let quiz = parse(SAMPLE.as_bytes()).unwrap();
        let answers = |pairs: &[(&str, &[u32])]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_vec()))
                .collect()
        };
        assert_eq!(
            quiz.score(&answers(&[("q1", &[0]), ("q2", &[1, 0]), ("q3", &[1])])),
            3
        );
        assert_eq!(
            quiz.score(&answers(&[("q1", &[1]), ("q2", &[0]), ("q3", &[1])])),
            1,
            "a partial multiple scores nothing"
        );
        assert_eq!(
            quiz.score(&answers(&[("q2", &[0, 1, 2])])),
            0,
            "nor does choosing too many"
        );
        assert_eq!(quiz.score(&answers(&[])), 0);
        let shown = serde_json::to_string(&quiz.shown()).unwrap();
        assert!(!shown.contains("answer"), "{shown}");
    }

    #[test]
    fn a_quiz_file_breaking_a_rule_is_refused_naming_it() {
        let bad = |from: &str, to: &str| parse(SAMPLE.replace(from, to).as_bytes()).unwrap_err();
        assert!(bad(r#""answer": [0]}"#, r#""answer": [2]}"#).contains("wrong answer"));
        assert!(
            bad(r#""answer": [1]}"#, r#""answer": [0, 1]}"#).contains("wrong answer"),
            "true/false has one answer"
        );
        assert!(
            bad(
                r#""options": ["对", "错"]"#,
                r#""options": ["对", "错", "不知道"]"#
            )
            .contains("options")
        );
        assert!(bad(r#""id": "q2""#, r#""id": "q1""#).contains("unique"));
        assert!(bad(r#""kind": "single""#, r#""kind": "essay""#).contains("quiz format"));
        assert!(
            parse(br#"{"questions": []}"#)
                .unwrap_err()
                .contains("1 to 200")
        );
        assert!(parse(b"[]").is_err());
    }

    /// A quiz of `n` single-choice questions, question `i` with `options` options, id `id(i)`,
    /// text `text` and answer `answer`.
    fn quiz(n: usize, id: impl Fn(usize) -> String, options: usize, answer: &str) -> String {
        let options: Vec<String> = (0..options).map(|o| format!("\"选项{o}\"")).collect();
        let questions: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"{{"id": "{}", "kind": "single", "text": "问题", "options": [{}], "answer": {answer}}}"#,
                    id(i),
                    options.join(", ")
                )
            })
            .collect();
        format!(r#"{{"questions": [{}]}}"#, questions.join(", "))
    }

    #[test]
    fn the_quiz_rules_hold_at_their_boundaries() {
        let ok = |text: String| parse(text.as_bytes()).map(|_| ());
        let qid = |i: usize| format!("q{i}");
        // 1 to 200 questions.
        assert!(ok(quiz(200, qid, 2, "[0]")).is_ok());
        assert!(
            ok(quiz(201, qid, 2, "[0]"))
                .unwrap_err()
                .contains("1 to 200")
        );
        // Ids of 1 to 64 characters.
        assert!(ok(quiz(1, |_| "问".repeat(64), 2, "[0]")).is_ok());
        assert!(
            ok(quiz(1, |_| "问".repeat(65), 2, "[0]"))
                .unwrap_err()
                .contains("ids")
        );
        assert!(
            ok(quiz(1, |_| String::new(), 2, "[0]"))
                .unwrap_err()
                .contains("ids")
        );
        // 2 to 10 options for a choice.
        assert!(ok(quiz(1, qid, 10, "[9]")).is_ok());
        assert!(ok(quiz(1, qid, 11, "[0]")).unwrap_err().contains("options"));
        assert!(ok(quiz(1, qid, 1, "[0]")).unwrap_err().contains("options"));
        // One answer, an index of an option, no repeats, none empty.
        for answer in ["[]", "[0, 0]", "[0, 1]", "[10]"] {
            assert!(
                ok(quiz(1, qid, 10, answer))
                    .unwrap_err()
                    .contains("wrong answer"),
                "{answer}"
            );
        }
        let multiple = |answer: &str| {
            quiz(1, qid, 3, answer).replace(r#""kind": "single""#, r#""kind": "multiple""#)
        };
        assert!(ok(multiple("[0, 2]")).is_ok());
        assert!(ok(multiple("[0, 0]")).unwrap_err().contains("wrong answer"));
        // No blank text or option.
        let blank_text = quiz(1, qid, 2, "[0]").replace("问题", " ");
        assert!(ok(blank_text).unwrap_err().contains("empty"));
        let blank_option = quiz(1, qid, 2, "[0]").replace("选项1", " ");
        assert!(ok(blank_option).unwrap_err().contains("empty"));
    }
}
