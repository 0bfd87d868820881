//! When the summary's level is `some` or `major`. Every threshold is here, and the
//! README's table is this module in words. A level is a signal for a person, not
//! a verdict: it says where to look first, never what happened.

use super::{IntegrityLevel, IntegritySummary};

/// Away (hidden tab or blurred window) for more than this share of the monitored time.
pub const MAJOR_AWAY_SHARE: f64 = 0.10;
/// More tab switches than this.
pub const MAJOR_TAB_SWITCHES: u32 = 5;
/// The screen not shared for longer than this, in seconds.
pub const MAJOR_SCREEN_UNSHARED_SECS: i64 = 120;
/// No face on camera for more than this share of the monitored time.
pub const MAJOR_NO_FACE_SHARE: f64 = 0.10;
/// No captures for more than this share of the monitored time.
pub const MAJOR_GAP_SHARE: f64 = 0.10;
/// Any run of snapshots with more than one face is major.
pub const MAJOR_MULTIPLE_FACES_RUNS: u32 = 0;

fn percent(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// The level and the reasons for it, in words.
pub fn level(summary: &IntegritySummary) -> (IntegrityLevel, Vec<String>) {
    let monitored = summary.monitored_seconds;
    let mut reasons = Vec::new();
    let away = percent(summary.away_seconds, monitored);
    if away > MAJOR_AWAY_SHARE {
        reasons.push(format!(
            "away {:.0}% of the monitored time (more than {:.0}%)",
            away * 100.0,
            MAJOR_AWAY_SHARE * 100.0
        ));
    }
    if summary.tab_switches > MAJOR_TAB_SWITCHES {
        reasons.push(format!(
            "{} tab switches (more than {MAJOR_TAB_SWITCHES})",
            summary.tab_switches
        ));
    }
    if summary.screen_unshared_seconds > MAJOR_SCREEN_UNSHARED_SECS {
        reasons.push(format!(
            "screen not shared for {} s (more than {MAJOR_SCREEN_UNSHARED_SECS} s)",
            summary.screen_unshared_seconds
        ));
    }
    if summary.multiple_faces_runs > MAJOR_MULTIPLE_FACES_RUNS {
        reasons.push(format!(
            "more than one face on camera ({} times)",
            summary.multiple_faces_runs
        ));
    }
    let no_face = percent(summary.no_face_seconds, monitored);
    if no_face > MAJOR_NO_FACE_SHARE {
        reasons.push(format!(
            "no face on camera {:.0}% of the time (more than {:.0}%)",
            no_face * 100.0,
            MAJOR_NO_FACE_SHARE * 100.0
        ));
    }
    let gaps = percent(summary.gap_seconds, monitored);
    if gaps > MAJOR_GAP_SHARE {
        reasons.push(format!(
            "no captures {:.0}% of the time (more than {:.0}%)",
            gaps * 100.0,
            MAJOR_GAP_SHARE * 100.0
        ));
    }
    if !reasons.is_empty() {
        return (IntegrityLevel::Major, reasons);
    }
    if summary.flags > 0 {
        return (
            IntegrityLevel::Some,
            vec![format!(
                "{} flagged events, none past a major threshold",
                summary.flags
            )],
        );
    }
    (IntegrityLevel::None, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(change: impl FnOnce(&mut IntegritySummary)) -> IntegritySummary {
        let mut summary = IntegritySummary {
            monitored_seconds: 1000,
            ..IntegritySummary::default()
        };
        change(&mut summary);
        summary
    }

    #[test]
    fn each_threshold_is_exclusive_at_its_edge() {
        let at_edge = [
            summary(|s| s.away_seconds = 100),
            summary(|s| s.tab_switches = 5),
            summary(|s| s.screen_unshared_seconds = 120),
            summary(|s| s.no_face_seconds = 100),
            summary(|s| s.gap_seconds = 100),
        ];
        for s in at_edge {
            assert_eq!(level(&s).0, IntegrityLevel::None, "{s:?}");
        }
        let past = [
            summary(|s| s.away_seconds = 101),
            summary(|s| s.tab_switches = 6),
            summary(|s| s.screen_unshared_seconds = 121),
            summary(|s| s.multiple_faces_runs = 1),
            summary(|s| s.no_face_seconds = 101),
            summary(|s| s.gap_seconds = 101),
        ];
        for s in past {
            let (level, reasons) = level(&s);
            assert_eq!(level, IntegrityLevel::Major, "{s:?}");
            assert_eq!(reasons.len(), 1);
        }
    }

    #[test]
    fn any_flag_is_some_and_nothing_monitored_divides_by_nothing() {
        assert_eq!(level(&summary(|s| s.flags = 1)).0, IntegrityLevel::Some);
        let empty = IntegritySummary {
            away_seconds: 50,
            ..IntegritySummary::default()
        };
        assert_eq!(level(&empty).0, IntegrityLevel::None);
    }
}
