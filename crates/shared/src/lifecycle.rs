//! Where an interview stands: `invited` → `in_progress` → `ended` → `analysed`
//! → `reviewed`, worked out from what is recorded (never stored, so it cannot
//! disagree with it).

use std::{fmt, str::FromStr};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// An interview's state.
/// States compare in the order an interview goes through them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum InterviewState {
    /// No monitoring session yet.
    #[default]
    Invited,
    /// A session is open and something happened within the idle time.
    InProgress,
    /// Every session ended (the panel's `end()`), or nothing was captured for
    /// the idle time after the last one; face analysis still pending.
    Ended,
    /// Ended, and every capture analysed: the summary is final (only verdicts
    /// change it from now on).
    Analysed,
    /// Analysed, it had flags, and every flag has a verdict. (An interview
    /// without flags stays `analysed`: nobody had anything to review.)
    Reviewed,
}

impl InterviewState {
    /// Every state, in order.
    pub const ALL: [InterviewState; 5] = [
        InterviewState::Invited,
        InterviewState::InProgress,
        InterviewState::Ended,
        InterviewState::Analysed,
        InterviewState::Reviewed,
    ];

    /// Its name in the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            InterviewState::Invited => "invited",
            InterviewState::InProgress => "in_progress",
            InterviewState::Ended => "ended",
            InterviewState::Analysed => "analysed",
            InterviewState::Reviewed => "reviewed",
        }
    }
}

impl fmt::Display for InterviewState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for InterviewState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        InterviewState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| {
                let shown: String = s.chars().take(64).collect();
                format!(
                    "`{shown}` is not a state: invited, in_progress, ended, analysed or reviewed"
                )
            })
    }
}

/// What the state is worked out from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StateFacts {
    /// Monitoring sessions started.
    pub sessions: u64,
    /// Of them, not ended.
    pub open_sessions: u64,
    /// The latest session start or capture.
    pub last_activity: Option<DateTime<Utc>>,
    /// Captures waiting for face analysis.
    pub pending_analyses: u64,
    /// Flags raised.
    pub flags: u32,
    /// Of them, without a verdict.
    pub unreviewed_flags: u32,
}

/// The state `facts` make at `now`, an open session counting as ended after
/// `idle` without a session start or a capture.
pub fn interview_state(facts: &StateFacts, now: DateTime<Utc>, idle: Duration) -> InterviewState {
    if facts.sessions == 0 {
        return InterviewState::Invited;
    }
    let active = facts.last_activity.is_some_and(|at| now - at < idle);
    if facts.open_sessions > 0 && active {
        return InterviewState::InProgress;
    }
    if facts.pending_analyses > 0 {
        return InterviewState::Ended;
    }
    if facts.flags > 0 && facts.unreviewed_flags == 0 {
        return InterviewState::Reviewed;
    }
    InterviewState::Analysed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + minutes * 60, 0).unwrap()
    }

    #[test]
    fn each_state_in_turn() {
        let idle = Duration::minutes(60);
        let now = at(100);
        let mut facts = StateFacts::default();
        assert_eq!(interview_state(&facts, now, idle), InterviewState::Invited);
        facts.sessions = 1;
        facts.open_sessions = 1;
        facts.last_activity = Some(at(90));
        facts.pending_analyses = 3;
        assert_eq!(
            interview_state(&facts, now, idle),
            InterviewState::InProgress
        );
        // Ended by the panel, or by the idle time with the session left open.
        facts.open_sessions = 0;
        assert_eq!(interview_state(&facts, now, idle), InterviewState::Ended);
        facts.open_sessions = 1;
        assert_eq!(
            interview_state(&facts, at(150), idle),
            InterviewState::Ended
        );
        assert_eq!(
            interview_state(&facts, at(149), idle),
            InterviewState::InProgress
        );
        facts.open_sessions = 0;
        facts.pending_analyses = 0;
        assert_eq!(interview_state(&facts, now, idle), InterviewState::Analysed);
        facts.flags = 2;
        facts.unreviewed_flags = 1;
        assert_eq!(interview_state(&facts, now, idle), InterviewState::Analysed);
        facts.unreviewed_flags = 0;
        assert_eq!(interview_state(&facts, now, idle), InterviewState::Reviewed);
        // A new session opens it again.
        facts.sessions = 2;
        facts.open_sessions = 1;
        facts.last_activity = Some(at(99));
        assert_eq!(
            interview_state(&facts, now, idle),
            InterviewState::InProgress
        );
        // A last activity before 1970: long idle, no overflow.
        facts.last_activity = Some(DateTime::from_timestamp(-86_400, 0).unwrap());
        assert_eq!(interview_state(&facts, now, idle), InterviewState::Reviewed);
    }

    #[test]
    fn names_round_trip() {
        for state in InterviewState::ALL {
            assert_eq!(state.as_str().parse::<InterviewState>(), Ok(state));
            assert_eq!(
                serde_json::to_string(&state).unwrap(),
                format!("\"{state}\"")
            );
        }
        assert!(
            "x".repeat(5000)
                .parse::<InterviewState>()
                .unwrap_err()
                .len()
                < 200
        );
    }
}
