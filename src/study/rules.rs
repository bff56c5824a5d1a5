//! What one heartbeat earns: the server alone decides, from what it kept of the session and
//! the wall time between heartbeats. Pure, so every rule is tested on its own.
//!
//! - Content counts once: only the part of the courseware beyond the *frontier* (what was
//!   credited before) earns, so re-watching earns nothing and a courseware's credit never
//!   exceeds its duration; seeking back is free.
//! - No fast-forward: a position that moved past the frontier faster than wall time (beyond a
//!   small tolerance) earns nothing, and the server keeps the position it had.
//! - No idling: a gap between heartbeats longer than the idle limit earns nothing and pauses
//!   the session.
//! - Identity: once a face check has waited longer than the answer window, nothing more earns
//!   and the time since the last good check is voided (by the caller).
//! - Daily cap: time beyond the cap of the day (Asia/Shanghai) earns nothing.
//! - Credit is never more than the wall time since the last heartbeat.
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// The thresholds, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub idle_limit: i64,
    pub tolerance: i64,
    pub daily_cap: i64,
    pub answer_window: i64,
}

/// What the server kept of the session before this heartbeat.
#[derive(Debug, Clone)]
pub struct Before {
    pub last_at: DateTime<Utc>,
    pub last_position: i64,
    /// Seconds of the courseware credited from its start.
    pub frontier: i64,
    pub duration: i64,
    /// Since when a face check is due unanswered, if one is.
    pub check_due_since: Option<DateTime<Utc>>,
    /// Seconds the learner has studied (credited or held) today, in Asia/Shanghai.
    pub counted_today: i64,
}

/// A heartbeat as the client reports it.
#[derive(Debug, Clone, Copy)]
pub struct Beat {
    pub at: DateTime<Utc>,
    pub position: i64,
    pub playing: bool,
}

/// Why time did not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A gap between heartbeats longer than the idle limit.
    Idle,
    /// The position moved past what was seen faster than wall time.
    FastForward,
    /// A face check was missed or failed.
    IdentityFailed,
    /// Beyond the day's cap.
    DailyCap,
    /// Content credited before.
    Repeat,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Idle => "idle",
            Reason::FastForward => "fast_forward",
            Reason::IdentityFailed => "identity_failed",
            Reason::DailyCap => "daily_cap",
            Reason::Repeat => "repeat",
        }
    }
}

/// What the heartbeat earns and what the server keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Seconds that count (credited, or held until the quiz is passed).
    pub credit: i64,
    /// The content interval credited: `[from, from + credit)`.
    pub from: i64,
    /// Seconds that did not count, and why.
    pub refused: Option<(Reason, i64)>,
    /// The position the server keeps.
    pub position: i64,
    /// The frontier after this heartbeat.
    pub frontier: i64,
    /// The session pauses (an idle gap).
    pub pause: bool,
    /// The face check's answer window has passed: the caller voids the time since the last
    /// good check.
    pub check_missed: bool,
}

pub fn decide(b: &Before, beat: &Beat, r: &Rules) -> Decision {
    let elapsed = (beat.at - b.last_at).num_seconds().max(0);
    let position = beat.position.clamp(0, b.duration);
    let mut d = Decision {
        credit: 0,
        from: b.frontier,
        refused: None,
        position: b.last_position,
        frontier: b.frontier,
        pause: false,
        check_missed: false,
    };
    let refuse = |d: &mut Decision, reason: Reason, seconds: i64| {
        if seconds > 0 {
            d.refused = Some((reason, seconds));
        }
    };
    if let Some(since) = b.check_due_since
        && (beat.at - since).num_seconds() > r.answer_window
    {
        d.check_missed = true;
        refuse(&mut d, Reason::IdentityFailed, elapsed);
        return d;
    }
    if elapsed > r.idle_limit {
        d.pause = true;
        d.position = position;
        refuse(&mut d, Reason::Idle, elapsed);
        return d;
    }
    if !beat.playing {
        d.position = position;
        return d;
    }
    if position - b.last_position > elapsed + r.tolerance && position > b.frontier {
        refuse(&mut d, Reason::FastForward, elapsed);
        return d;
    }
    d.position = position;
    let new_content = (position - b.frontier).max(0);
    let mut credit = new_content.min(elapsed);
    if credit < elapsed {
        // Played, but over content credited before (or standing at the end).
        refuse(&mut d, Reason::Repeat, elapsed - credit);
    }
    let room = (r.daily_cap - b.counted_today).max(0);
    if credit > room {
        refuse(&mut d, Reason::DailyCap, credit - room);
        credit = room;
    }
    d.credit = credit;
    d.frontier = b.frontier + credit;
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: Rules = Rules {
        idle_limit: 300,
        tolerance: 5,
        daily_cap: 3600,
        answer_window: 60,
    };

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn before(last_position: i64, frontier: i64) -> Before {
        Before {
            last_at: t(0),
            last_position,
            frontier,
            duration: 1000,
            check_due_since: None,
            counted_today: 0,
        }
    }

    fn beat(at: i64, position: i64) -> Beat {
        Beat {
            at: t(at),
            position,
            playing: true,
        }
    }

    #[test]
    fn playing_new_content_earns_the_wall_time() {
        let d = decide(&before(100, 100), &beat(30, 130), &RULES);
        assert_eq!(
            (d.credit, d.from, d.frontier, d.position),
            (30, 100, 130, 130)
        );
        assert_eq!(d.refused, None);
        // A little ahead of wall time (jitter) is within the tolerance, credited up to the wall time.
        let d = decide(&before(100, 100), &beat(30, 135), &RULES);
        assert_eq!((d.credit, d.frontier, d.position), (30, 130, 135));
    }

    #[test]
    fn fast_forward_past_the_frontier_earns_nothing_and_keeps_the_position() {
        let d = decide(&before(100, 100), &beat(30, 136), &RULES);
        assert_eq!((d.credit, d.position, d.frontier), (0, 100, 100));
        assert_eq!(d.refused, Some((Reason::FastForward, 30)));
        // Jumping ahead within what was credited is seeking, not fast-forward.
        let d = decide(&before(100, 600), &beat(30, 500), &RULES);
        assert_eq!((d.credit, d.position), (0, 500));
        assert_eq!(d.refused, Some((Reason::Repeat, 30)));
    }

    #[test]
    fn seeking_ahead_to_the_frontier_itself_is_seeking_and_nothing_refused_takes_no_time() {
        // A jump to exactly the frontier is within what was credited: no fast-forward.
        let d = decide(&before(0, 500), &beat(30, 500), &RULES);
        assert_eq!(
            (d.credit, d.position, d.refused),
            (0, 500, Some((Reason::Repeat, 30)))
        );
        // A missed check on a heartbeat with no time elapsed refuses no seconds.
        let mut b = before(100, 100);
        b.check_due_since = Some(t(-61));
        let d = decide(&b, &beat(0, 100), &RULES);
        assert_eq!((d.check_missed, d.refused), (true, None));
    }

    #[test]
    fn re_watching_and_seeking_back_earn_nothing_and_credit_resumes_at_the_frontier() {
        let d = decide(&before(400, 500), &beat(30, 430), &RULES);
        assert_eq!((d.credit, d.position, d.frontier), (0, 430, 500));
        let d = decide(&before(490, 500), &beat(30, 520), &RULES);
        assert_eq!(
            (d.credit, d.from, d.frontier),
            (20, 500, 520),
            "only what lies beyond the frontier"
        );
        assert_eq!(d.refused, Some((Reason::Repeat, 10)));
        let d = decide(&before(900, 900), &beat(30, 50), &RULES);
        assert_eq!(
            (d.credit, d.position, d.refused),
            (0, 50, Some((Reason::Repeat, 30)))
        );
    }

    #[test]
    fn credit_never_exceeds_the_duration() {
        let d = decide(&before(990, 990), &beat(30, 1020), &RULES);
        assert_eq!((d.credit, d.frontier, d.position), (10, 1000, 1000));
        let d = decide(&before(1000, 1000), &beat(30, 1000), &RULES);
        assert_eq!(d.credit, 0);
    }

    #[test]
    fn a_long_gap_earns_nothing_and_pauses() {
        let d = decide(&before(100, 100), &beat(301, 130), &RULES);
        assert_eq!((d.credit, d.pause), (0, true));
        assert_eq!(d.refused, Some((Reason::Idle, 301)));
        let d = decide(&before(100, 100), &beat(300, 400), &RULES);
        assert_eq!(
            (d.credit, d.pause),
            (300, false),
            "the limit itself is not idle"
        );
    }

    #[test]
    fn a_paused_player_earns_nothing_and_nothing_is_refused() {
        let mut b = beat(30, 100);
        b.playing = false;
        let d = decide(&before(100, 100), &b, &RULES);
        assert_eq!((d.credit, d.refused, d.pause), (0, None, false));
    }

    #[test]
    fn a_face_check_past_its_window_stops_credit() {
        let mut b = before(100, 100);
        b.check_due_since = Some(t(-31));
        let d = decide(&b, &beat(30, 130), &RULES);
        assert_eq!((d.credit, d.check_missed), (0, true));
        assert_eq!(d.refused, Some((Reason::IdentityFailed, 30)));
        b.check_due_since = Some(t(-30));
        let d = decide(&b, &beat(30, 130), &RULES);
        assert_eq!(
            (d.credit, d.check_missed),
            (30, false),
            "60 seconds to answer"
        );
    }

    #[test]
    fn the_daily_cap_keeps_the_rest_for_another_day() {
        let mut b = before(100, 100);
        b.counted_today = 3590;
        let d = decide(&b, &beat(30, 130), &RULES);
        assert_eq!((d.credit, d.frontier), (10, 110));
        assert_eq!(d.refused, Some((Reason::DailyCap, 20)));
        b.counted_today = 3600;
        let d = decide(&b, &beat(30, 130), &RULES);
        assert_eq!(
            (d.credit, d.frontier, d.refused),
            (0, 100, Some((Reason::DailyCap, 30)))
        );
    }
}
