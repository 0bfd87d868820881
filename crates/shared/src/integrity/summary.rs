//! The summary of an interview from its sessions, capture times and events, and
//! the capture gaps the server adds: pure functions, so the review page, the
//! applications list and the tests all count the same way.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::{thresholds, EventKind, IntegritySummary, MonitoringEvent, Verdict};
use crate::{ApplicationId, ImageKind};

/// A monitoring session as recorded when the panel started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSpan {
    pub started_at: DateTime<Utc>,
    pub camera_interval: u32,
    pub screen_interval: u32,
}

/// Each kind taken at intervals: its capture times, the event that excuses a
/// gap in them, and its interval in a session.
type Monitored<'a> = (
    ImageKind,
    &'a [DateTime<Utc>],
    EventKind,
    fn(&SessionSpan) -> u32,
);

fn monitored<'a>(camera: &'a [DateTime<Utc>], screen: &'a [DateTime<Utc>]) -> [Monitored<'a>; 2] {
    [
        (ImageKind::Camera, camera, EventKind::CameraLost, |s| {
            s.camera_interval
        }),
        (
            ImageKind::Screen,
            screen,
            EventKind::ScreenShareEnded,
            |s| s.screen_interval,
        ),
    ]
}

/// No capture of `kind` from `from` to `to`, longer than twice the session's interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    pub kind: ImageKind,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub expected_every_secs: u32,
}

impl Gap {
    /// A stable id: the gap's own description, hashed into UUID form, so a
    /// reviewer's verdict on it stays with it across listings.
    pub fn event_id(&self, application: ApplicationId) -> Uuid {
        derived_id(&format!(
            "{application}/capture_gap/{}/{}",
            self.kind,
            self.from.timestamp_millis()
        ))
    }
}

/// An event id derived from a description of what the server computed (version 4
/// layout). FNV-1a, twice with different seeds: 128 bits; the same description
/// always gives the same id.
pub fn derived_id(text: &str) -> Uuid {
    let hash = |seed: u64| {
        text.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    let (a, b) = (hash(0xcbf2_9ce4_8422_2325), hash(0x6c62_272e_07bb_0142));
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// Where each session started and the last sign of it (its latest capture or
/// event before the next session started): sessions are never closed explicitly,
/// since a closed tab or a crash cannot say so.
fn session_windows(
    sessions: &[SessionSpan],
    captures: &[DateTime<Utc>],
    events: &[MonitoringEvent],
) -> Vec<(SessionSpan, DateTime<Utc>)> {
    let mut sessions = sessions.to_vec();
    sessions.sort_by_key(|s| s.started_at);
    let mut marks: Vec<DateTime<Utc>> = captures
        .iter()
        .copied()
        .chain(
            events
                .iter()
                .filter(|e| e.kind.from_browser())
                .flat_map(|e| std::iter::once(e.at).chain(e.ended_at)),
        )
        .collect();
    marks.sort_unstable();
    sessions
        .iter()
        .enumerate()
        .map(|(index, session)| {
            // The latest mark from the session's start up to (not including) the next's.
            let before_next = match sessions.get(index + 1) {
                Some(next) => marks.partition_point(|t| *t < next.started_at),
                None => marks.len(),
            };
            let end = before_next
                .checked_sub(1)
                .map(|last| marks[last])
                .filter(|t| *t >= session.started_at)
                .unwrap_or(session.started_at);
            (*session, end)
        })
        .collect()
}

/// When an event ended: its `endedAt`, or for one that never said (the tab was
/// closed while away), the end of its session.
fn end_of(event: &MonitoringEvent, windows: &[(SessionSpan, DateTime<Utc>)]) -> DateTime<Utc> {
    if let Some(end) = event.ended_at {
        return end.max(event.at);
    }
    if !event.kind.lasts() {
        return event.at;
    }
    // Windows are in the order their sessions started: the last one started by then.
    let started = windows.partition_point(|(session, _)| session.started_at <= event.at);
    started
        .checked_sub(1)
        .map(|last| windows[last].1.max(event.at))
        .unwrap_or(event.at)
}

/// Total seconds covered by `spans`, overlaps counted once.
fn union_seconds(mut spans: Vec<(DateTime<Utc>, DateTime<Utc>)>) -> i64 {
    spans.sort();
    let mut total = Duration::zero();
    let mut current: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    for (from, to) in spans {
        match current {
            Some((start, end)) if from <= end => current = Some((start, end.max(to))),
            Some((start, end)) => {
                total += end - start;
                current = Some((from, to));
            }
            None => current = Some((from, to)),
        }
    }
    if let Some((start, end)) = current {
        total += end - start;
    }
    total.num_seconds()
}

/// Spans sorted by their start, each with the latest end among it and those
/// before it: whether any span overlaps a stretch is one binary search.
struct Spans {
    starts: Vec<DateTime<Utc>>,
    latest_end: Vec<DateTime<Utc>>,
}

impl Spans {
    fn new(mut spans: Vec<(DateTime<Utc>, DateTime<Utc>)>) -> Self {
        spans.sort_unstable();
        let mut latest: Option<DateTime<Utc>> = None;
        let latest_end = spans
            .iter()
            .map(|(_, end)| {
                let max = latest.map_or(*end, |l| l.max(*end));
                latest = Some(max);
                max
            })
            .collect();
        Spans {
            starts: spans.into_iter().map(|(start, _)| start).collect(),
            latest_end,
        }
    }

    /// Whether a span overlaps `(from, to)`: starts before `to` and ends after `from`.
    fn overlap(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        let starting_before = self.starts.partition_point(|start| *start < to);
        starting_before
            .checked_sub(1)
            .is_some_and(|last| self.latest_end[last] > from)
    }
}

/// Gaps in the captures of every session, camera and screen apart, across the
/// whole interview. A gap that a browser event already explains (the camera was
/// lost, the screen share had ended) is that event's, not a second flag.
pub fn capture_gaps(
    sessions: &[SessionSpan],
    camera: &[DateTime<Utc>],
    screen: &[DateTime<Utc>],
    events: &[MonitoringEvent],
) -> Vec<Gap> {
    let all: Vec<DateTime<Utc>> = camera.iter().chain(screen).copied().collect();
    let windows = session_windows(sessions, &all, events);
    let explained = |cause: EventKind| -> Spans {
        Spans::new(
            events
                .iter()
                .filter(|e| e.kind == cause)
                .map(|e| (e.at, end_of(e, &windows)))
                .collect(),
        )
    };
    let mut gaps = Vec::new();
    for (kind, times, cause, interval_of) in monitored(camera, screen) {
        let mut times = times.to_vec();
        times.sort_unstable();
        let excused = explained(cause);
        for (session, end) in &windows {
            let interval = interval_of(session);
            let limit = Duration::seconds(2 * i64::from(interval));
            let from = times.partition_point(|t| *t < session.started_at);
            let to = times.partition_point(|t| t <= end).max(from);
            let mut previous = session.started_at;
            for time in times[from..to].iter().copied().chain(std::iter::once(*end)) {
                if time - previous > limit && !excused.overlap(previous, time) {
                    gaps.push(Gap {
                        kind,
                        from: previous,
                        to: time,
                        expected_every_secs: interval,
                    });
                }
                previous = previous.max(time);
            }
        }
    }
    gaps.sort_by_key(|g| (g.from, g.kind.as_str()));
    gaps
}

/// The summary of `events` (browser, server and computed gaps alike) over `sessions`.
pub fn summarize(
    sessions: &[SessionSpan],
    captures: &[DateTime<Utc>],
    events: &[MonitoringEvent],
) -> IntegritySummary {
    let windows = session_windows(sessions, captures, events);
    let mut s = IntegritySummary {
        monitored_seconds: windows
            .iter()
            .map(|(session, end)| (*end - session.started_at).num_seconds().max(0))
            .sum(),
        ..IntegritySummary::default()
    };
    let mut away = Vec::new();
    for event in events {
        let end = end_of(event, &windows);
        let seconds = (end - event.at).num_seconds().max(0);
        match event.kind {
            EventKind::TabHidden => {
                s.tab_switches += 1;
                away.push((event.at, end));
            }
            EventKind::WindowBlur => {
                s.window_blurs += 1;
                away.push((event.at, end));
            }
            EventKind::FullscreenExit => s.fullscreen_exits += 1,
            EventKind::ScreenShareEnded => {
                s.screen_share_interruptions += 1;
                s.screen_unshared_seconds += seconds;
            }
            EventKind::ScreenShareNotMonitor => s.non_monitor_shares += 1,
            EventKind::MultipleDisplays => s.multiple_displays += 1,
            EventKind::CameraLost => s.camera_losses += 1,
            EventKind::Paste => s.pastes += 1,
            EventKind::Copy => s.copies += 1,
            EventKind::Offline => s.offline_seconds += seconds,
            EventKind::PageReload => s.reloads += 1,
            EventKind::NoFace => {
                s.no_face_runs += 1;
                s.no_face_seconds += seconds;
            }
            EventKind::MultipleFaces => s.multiple_faces_runs += 1,
            EventKind::CaptureGap => {
                s.gaps += 1;
                s.gap_seconds += seconds;
            }
        }
        if event.kind.is_flag() {
            s.flags += 1;
            match event.review.as_ref().map(|r| r.verdict) {
                None => s.unreviewed_flags += 1,
                Some(Verdict::Concern) => s.concerns += 1,
                Some(Verdict::Ok) => {}
            }
        }
    }
    s.away_seconds = union_seconds(away);
    let (level, reasons) = thresholds::level(&s);
    s.level = level;
    s.reasons = reasons;
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrity::{EventSource, FlagReview, IntegrityLevel};

    fn t(second: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_764_000_000 + second, 0).unwrap()
    }

    fn event(kind: EventKind, at: i64, ended: Option<i64>) -> MonitoringEvent {
        MonitoringEvent {
            event_id: Uuid::new_v4(),
            kind,
            at: t(at),
            ended_at: ended.map(t),
            detail: None,
            source: EventSource::Browser,
            review: None,
            response: None,
        }
    }

    fn every(from: i64, to: i64, step: i64) -> Vec<DateTime<Utc>> {
        (from..=to).step_by(step as usize).map(t).collect()
    }

    #[test]
    fn gaps_use_the_recorded_interval_not_an_assumed_one() {
        let session = SessionSpan {
            started_at: t(0),
            camera_interval: 10,
            screen_interval: 60,
        };
        // Camera every 10 s with a 45 s hole; screen every 60 s throughout.
        let camera: Vec<_> = every(10, 100, 10)
            .into_iter()
            .chain(every(145, 600, 10))
            .collect();
        let screen = every(60, 600, 60);
        let gaps = capture_gaps(&[session], &camera, &screen, &[]);
        assert_eq!(
            gaps,
            vec![Gap {
                kind: ImageKind::Camera,
                from: t(100),
                to: t(145),
                expected_every_secs: 10
            }]
        );
        // Exactly twice the interval is no gap.
        let camera: Vec<_> = every(10, 100, 10)
            .into_iter()
            .chain(every(120, 600, 10))
            .collect();
        assert!(capture_gaps(&[session], &camera, &screen, &[]).is_empty());
    }

    #[test]
    fn a_gap_the_browser_explained_is_not_flagged_twice() {
        let session = SessionSpan {
            started_at: t(0),
            camera_interval: 10,
            screen_interval: 10,
        };
        let camera = every(10, 600, 10);
        let screen: Vec<_> = every(10, 100, 10)
            .into_iter()
            .chain(every(400, 600, 10))
            .collect();
        let ended = event(EventKind::ScreenShareEnded, 105, Some(395));
        assert!(capture_gaps(&[session], &camera, &screen, &[ended]).is_empty());
        let gaps = capture_gaps(&[session], &camera, &screen, &[]);
        assert_eq!(gaps.len(), 1);
        assert_eq!(
            gaps[0].event_id(ApplicationId(Uuid::nil())),
            gaps[0].event_id(ApplicationId(Uuid::nil())),
            "stable"
        );
        assert_eq!(
            gaps[0]
                .event_id(ApplicationId(Uuid::nil()))
                .get_version_num(),
            4
        );
    }

    #[test]
    fn each_session_is_measured_up_to_its_last_sign_and_the_next_start() {
        let sessions = [
            SessionSpan {
                started_at: t(0),
                camera_interval: 30,
                screen_interval: 30,
            },
            SessionSpan {
                started_at: t(1000),
                camera_interval: 30,
                screen_interval: 30,
            },
        ];
        // The first session's last capture is at 300; the candidate came back at 1000.
        let captures: Vec<_> = every(30, 300, 30)
            .into_iter()
            .chain(every(1030, 1300, 30))
            .collect();
        let summary = summarize(&sessions, &captures, &[]);
        assert_eq!(summary.monitored_seconds, 300 + 300);
        // The 700 s between the sessions is not a gap (no session was open).
        assert!(capture_gaps(&sessions, &captures, &captures, &[]).is_empty());
    }

    #[test]
    fn the_summary_of_a_known_interview() {
        let session = SessionSpan {
            started_at: t(0),
            camera_interval: 30,
            screen_interval: 30,
        };
        let captures = every(30, 1000, 30);
        let mut reviewed = event(EventKind::Paste, 300, None);
        reviewed.review = Some(FlagReview {
            verdict: Verdict::Ok,
            note: String::new(),
            by: "r@x.test".into(),
            at: t(900),
            before_candidate_saw: false,
        });
        let mut concern = event(EventKind::Paste, 310, None);
        concern.review = Some(FlagReview {
            verdict: Verdict::Concern,
            note: "n".into(),
            by: "r@x.test".into(),
            at: t(900),
            before_candidate_saw: false,
        });
        let events = vec![
            // Switching tabs hides the tab and blurs the window: 40 s away, not 80.
            event(EventKind::TabHidden, 100, Some(140)),
            event(EventKind::WindowBlur, 100, Some(140)),
            event(EventKind::WindowBlur, 500, Some(510)),
            reviewed,
            concern,
            event(EventKind::Copy, 320, None),
            event(EventKind::ScreenShareEnded, 600, Some(660)),
            event(EventKind::Offline, 700, Some(730)),
            event(EventKind::PageReload, 800, None),
            // Hidden when the tab was closed: it lasts to the session's last sign (990).
            event(EventKind::TabHidden, 950, None),
        ];
        let s = summarize(&[session], &captures, &events);
        assert_eq!(s.monitored_seconds, 990);
        assert_eq!(s.away_seconds, 40 + 10 + 40);
        assert_eq!(
            (s.tab_switches, s.window_blurs, s.pastes, s.copies),
            (2, 2, 2, 1)
        );
        assert_eq!(
            (s.screen_share_interruptions, s.screen_unshared_seconds),
            (1, 60)
        );
        assert_eq!((s.offline_seconds, s.reloads), (30, 1));
        assert_eq!((s.flags, s.unreviewed_flags, s.concerns), (7, 5, 1));
        assert_eq!(s.level, IntegrityLevel::Some, "{:?}", s.reasons);

        let mut switches: Vec<_> = (0..6)
            .map(|i| event(EventKind::TabHidden, 100 + i * 10, Some(101 + i * 10)))
            .collect();
        switches.push(event(EventKind::Copy, 5, None));
        let s = summarize(&[session], &captures, &switches);
        assert_eq!(s.level, IntegrityLevel::Major);
        assert!(s.reasons[0].contains("6 tab switches"), "{:?}", s.reasons);

        assert_eq!(
            summarize(&[session], &captures, &[event(EventKind::Copy, 5, None)]).level,
            IntegrityLevel::None
        );
    }
}

/// The rules written the plain way (every session against every mark, every
/// event against every session): the fast functions above must agree with
/// them on any interview.
#[cfg(test)]
mod reference {
    use proptest::prelude::*;

    use super::*;
    use crate::integrity::EventSource;

    fn windows(
        sessions: &[SessionSpan],
        captures: &[DateTime<Utc>],
        events: &[MonitoringEvent],
    ) -> Vec<(SessionSpan, DateTime<Utc>)> {
        let mut sessions = sessions.to_vec();
        sessions.sort_by_key(|s| s.started_at);
        let marks: Vec<DateTime<Utc>> = captures
            .iter()
            .copied()
            .chain(
                events
                    .iter()
                    .filter(|e| e.kind.from_browser())
                    .flat_map(|e| std::iter::once(e.at).chain(e.ended_at)),
            )
            .collect();
        sessions
            .iter()
            .enumerate()
            .map(|(index, session)| {
                let next = sessions.get(index + 1).map(|s| s.started_at);
                let end = marks
                    .iter()
                    .filter(|t| **t >= session.started_at && next.is_none_or(|n| **t < n))
                    .max()
                    .copied()
                    .unwrap_or(session.started_at);
                (*session, end)
            })
            .collect()
    }

    fn end_of(event: &MonitoringEvent, windows: &[(SessionSpan, DateTime<Utc>)]) -> DateTime<Utc> {
        if let Some(end) = event.ended_at {
            return end.max(event.at);
        }
        if !event.kind.lasts() {
            return event.at;
        }
        windows
            .iter()
            .rev()
            .find(|(session, _)| session.started_at <= event.at)
            .map(|(_, end)| (*end).max(event.at))
            .unwrap_or(event.at)
    }

    fn gaps(
        sessions: &[SessionSpan],
        camera: &[DateTime<Utc>],
        screen: &[DateTime<Utc>],
        events: &[MonitoringEvent],
    ) -> Vec<Gap> {
        let all: Vec<DateTime<Utc>> = camera.iter().chain(screen).copied().collect();
        let windows = windows(sessions, &all, events);
        let mut gaps = Vec::new();
        for (kind, times, cause, interval_of) in monitored(camera, screen) {
            let excused: Vec<_> = events
                .iter()
                .filter(|e| e.kind == cause)
                .map(|e| (e.at, end_of(e, &windows)))
                .collect();
            for (session, end) in &windows {
                let interval = interval_of(session);
                let limit = Duration::seconds(2 * i64::from(interval));
                let mut inside: Vec<_> = times
                    .iter()
                    .copied()
                    .filter(|t| *t >= session.started_at && t <= end)
                    .collect();
                inside.sort();
                let mut previous = session.started_at;
                for time in inside.into_iter().chain(std::iter::once(*end)) {
                    let explained = excused
                        .iter()
                        .any(|(from, to)| *from < time && previous < *to);
                    if time - previous > limit && !explained {
                        gaps.push(Gap {
                            kind,
                            from: previous,
                            to: time,
                            expected_every_secs: interval,
                        });
                    }
                    previous = previous.max(time);
                }
            }
        }
        gaps.sort_by_key(|g| (g.from, g.kind.as_str()));
        gaps
    }

    fn at(second: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_764_000_000 + second, 0).unwrap()
    }

    /// Sessions, camera times, screen times and events of one interview.
    type Drawn = (
        Vec<SessionSpan>,
        Vec<DateTime<Utc>>,
        Vec<DateTime<Utc>>,
        Vec<MonitoringEvent>,
    );

    fn interview() -> impl Strategy<Value = Drawn> {
        let session =
            (0i64..600, 1u32..30, 1u32..30).prop_map(|(start, camera, screen)| SessionSpan {
                started_at: at(start),
                camera_interval: camera,
                screen_interval: screen,
            });
        let kinds = prop::sample::select(EventKind::ALL.to_vec());
        let event =
            (kinds, 0i64..700, prop::option::of(0i64..120)).prop_map(|(kind, start, length)| {
                MonitoringEvent {
                    event_id: Uuid::nil(),
                    kind,
                    at: at(start),
                    ended_at: length.map(|l| at(start + l)),
                    detail: None,
                    source: EventSource::Browser,
                    review: None,
                    response: None,
                }
            });
        (
            prop::collection::vec(session, 0..6),
            prop::collection::vec((0i64..700).prop_map(at), 0..60),
            prop::collection::vec((0i64..700).prop_map(at), 0..60),
            prop::collection::vec(event, 0..25),
        )
    }

    proptest! {
        #[test]
        fn the_fast_rules_agree_with_the_plain_ones((sessions, camera, screen, events) in interview()) {
            let all: Vec<_> = camera.iter().chain(&screen).copied().collect();
            let fast = super::session_windows(&sessions, &all, &events);
            let plain = windows(&sessions, &all, &events);
            prop_assert_eq!(&fast, &plain);
            for event in &events {
                prop_assert_eq!(super::end_of(event, &fast), end_of(event, &plain));
            }
            prop_assert_eq!(
                capture_gaps(&sessions, &camera, &screen, &events),
                gaps(&sessions, &camera, &screen, &events)
            );
        }
    }
}
