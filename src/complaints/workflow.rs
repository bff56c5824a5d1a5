//! The moves of a complaint's handling, who may make each, and what it does to its status:
//! one pure function, tested on its own.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a complaint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ComplaintStatus)]
pub enum Status {
    Submitted,
    Accepted,
    /// Out of scope, with the reason (final).
    Rejected,
    InProgress,
    Answered,
    Closed,
    /// Handed to the city bureau of the target's city.
    Escalated,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Accepted => "accepted",
            Status::Rejected => "rejected",
            Status::InProgress => "in_progress",
            Status::Answered => "answered",
            Status::Closed => "closed",
            Status::Escalated => "escalated",
        }
    }

    pub fn from_db(s: &str) -> Self {
        match s {
            "accepted" => Status::Accepted,
            "rejected" => Status::Rejected,
            "in_progress" => Status::InProgress,
            "answered" => Status::Answered,
            "closed" => Status::Closed,
            "escalated" => Status::Escalated,
            _ => Status::Submitted,
        }
    }

    /// Still waiting for its handlers (counts toward the deadlines).
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Rejected | Status::Answered | Status::Closed)
    }

    /// The statuses in which a complaint is still open.
    pub const OPEN: [Status; 4] = [
        Status::Submitted,
        Status::Accepted,
        Status::InProgress,
        Status::Escalated,
    ];
}

/// A step of the handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ComplaintAction)]
pub enum Action {
    /// Handler: takes it up.
    Accept,
    /// Handler: refuses it as out of scope (the message is the reason).
    Reject,
    /// Handler: work has begun.
    Start,
    /// Handler: the answer (the message).
    Answer,
    /// Handler: hands it to the city bureau of the target's city.
    Escalate,
    /// Handler: an internal note (never shown to the filer).
    Note,
    /// Filer: adds to it.
    Reply,
    /// Filer: satisfied with the answer.
    Close,
    /// Filer: not satisfied; once, within the configured days of the answer.
    Reopen,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Reject => "reject",
            Action::Start => "start",
            Action::Answer => "answer",
            Action::Escalate => "escalate",
            Action::Note => "note",
            Action::Reply => "reply",
            Action::Close => "close",
            Action::Reopen => "reopen",
        }
    }

    /// Whether the filer makes this move (else a handler does).
    pub fn by_filer(self) -> bool {
        matches!(self, Action::Reply | Action::Close | Action::Reopen)
    }

    /// Whether the filer sees the step in the timeline.
    pub fn is_public(self) -> bool {
        self != Action::Note
    }

    /// Whether the step needs a message.
    pub fn needs_message(self) -> bool {
        matches!(
            self,
            Action::Reject | Action::Answer | Action::Escalate | Action::Note | Action::Reply
        )
    }
}

/// What the complaint is when a move is asked.
#[derive(Debug, Clone, Copy)]
pub struct State {
    pub status: Status,
    /// Reopened once already.
    pub reopened: bool,
    /// Within the reopen period of the answer.
    pub within_reopen_period: bool,
    /// Escalated: the institution no longer handles it.
    pub escalated: bool,
}

/// Why a move is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a move of the caller's side (a handler closing, a filer answering).
    NotYours,
    /// Not from this status.
    Illegal(String),
}

/// The status after `action`, or why it cannot be made. `by_filer`: who asks.
pub fn next(state: State, action: Action, by_filer: bool) -> Result<Status, Refusal> {
    use Status::*;
    if action.by_filer() != by_filer {
        return Err(Refusal::NotYours);
    }
    let s = state.status;
    let illegal = |why: &str| {
        Err(Refusal::Illegal(format!(
            "a complaint {} cannot {}{why}",
            s.as_str(),
            action.as_str()
        )))
    };
    match action {
        Action::Accept if matches!(s, Submitted | Escalated) => Ok(Accepted),
        Action::Reject if matches!(s, Submitted | Escalated) => Ok(Rejected),
        Action::Start if s == Accepted => Ok(InProgress),
        Action::Answer if matches!(s, Accepted | InProgress) => Ok(Answered),
        Action::Escalate if state.escalated => illegal(": it was escalated already"),
        Action::Escalate if matches!(s, Submitted | Accepted | InProgress) => Ok(Escalated),
        Action::Note | Action::Reply if s != Closed && s != Rejected => Ok(s),
        Action::Close if s == Answered => Ok(Closed),
        Action::Reopen if !matches!(s, Answered | Closed) => illegal(""),
        Action::Reopen if state.reopened => illegal(": it was reopened once already"),
        Action::Reopen if !state.within_reopen_period => {
            illegal(": the period for reopening after the answer has passed")
        }
        Action::Reopen => Ok(InProgress),
        _ => illegal(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(status: Status) -> State {
        State {
            status,
            reopened: false,
            within_reopen_period: true,
            escalated: false,
        }
    }

    #[test]
    fn the_handling_path_and_its_refusals() {
        use Action::*;
        use Status::*;
        assert_eq!(next(at(Submitted), Accept, false), Ok(Accepted));
        assert_eq!(next(at(Accepted), Start, false), Ok(InProgress));
        assert_eq!(next(at(InProgress), Answer, false), Ok(Answered));
        assert_eq!(next(at(Accepted), Answer, false), Ok(Answered));
        assert_eq!(next(at(Answered), Close, true), Ok(Closed));
        assert_eq!(next(at(Submitted), Reject, false), Ok(Rejected));
        assert_eq!(next(at(Escalated), Accept, false), Ok(Accepted));
        assert_eq!(next(at(Escalated), Reject, false), Ok(Rejected));
        for s in [Submitted, Accepted, InProgress] {
            assert_eq!(next(at(s), Escalate, false), Ok(Escalated));
        }
        assert!(matches!(
            next(at(Submitted), Answer, false),
            Err(Refusal::Illegal(_))
        ));
        assert!(matches!(
            next(at(Accepted), Accept, false),
            Err(Refusal::Illegal(_))
        ));
        assert!(matches!(
            next(at(Answered), Escalate, false),
            Err(Refusal::Illegal(_))
        ));
        assert!(matches!(
            next(at(Rejected), Reply, true),
            Err(Refusal::Illegal(_))
        ));
        assert!(matches!(
            next(at(Closed), Note, false),
            Err(Refusal::Illegal(_))
        ));
        assert!(matches!(
            next(at(Submitted), Close, true),
            Err(Refusal::Illegal(_))
        ));
        assert!(matches!(
            next(at(InProgress), Start, false),
            Err(Refusal::Illegal(_))
        ));
        for s in [Accepted, InProgress, Answered] {
            assert!(
                matches!(next(at(s), Reject, false), Err(Refusal::Illegal(_))),
                "{s:?}"
            );
        }
        let escalated = State {
            escalated: true,
            ..at(Accepted)
        };
        assert!(matches!(
            next(escalated, Escalate, false),
            Err(Refusal::Illegal(_))
        ));
        // Notes and replies keep the status.
        assert_eq!(next(at(InProgress), Note, false), Ok(InProgress));
        assert_eq!(next(at(Answered), Reply, true), Ok(Answered));
    }

    #[test]
    fn each_side_makes_only_its_own_moves() {
        use Action::*;
        use Status::*;
        assert_eq!(next(at(Answered), Close, false), Err(Refusal::NotYours));
        assert_eq!(next(at(Submitted), Accept, true), Err(Refusal::NotYours));
        assert_eq!(next(at(InProgress), Answer, true), Err(Refusal::NotYours));
        assert_eq!(next(at(Answered), Reply, false), Err(Refusal::NotYours));
    }

    #[test]
    fn reopen_once_within_the_period_after_an_answer() {
        use Status::*;
        assert_eq!(next(at(Answered), Action::Reopen, true), Ok(InProgress));
        assert_eq!(next(at(Closed), Action::Reopen, true), Ok(InProgress));
        let again = State {
            reopened: true,
            ..at(Answered)
        };
        assert!(
            matches!(next(again, Action::Reopen, true), Err(Refusal::Illegal(m)) if m.contains("once"))
        );
        let late = State {
            within_reopen_period: false,
            ..at(Closed)
        };
        assert!(
            matches!(next(late, Action::Reopen, true), Err(Refusal::Illegal(m)) if m.contains("period"))
        );
        assert!(matches!(
            next(at(InProgress), Action::Reopen, true),
            Err(Refusal::Illegal(_))
        ));
    }

    #[test]
    fn every_status_reads_back_as_itself() {
        use Status::*;
        for s in [
            Submitted, Accepted, Rejected, InProgress, Answered, Closed, Escalated,
        ] {
            assert_eq!(Status::from_db(s.as_str()), s);
        }
    }

    #[test]
    fn what_needs_a_message_and_what_the_filer_sees() {
        assert!(Action::Reject.needs_message());
        assert!(Action::Answer.needs_message());
        assert!(!Action::Accept.needs_message());
        assert!(!Action::Close.needs_message());
        assert!(!Action::Note.is_public());
        assert!(Action::Answer.is_public());
        assert!(Status::Escalated.is_open());
        assert!(!Status::Answered.is_open());
    }
}
