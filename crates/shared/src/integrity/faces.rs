//! Face presence as events: consecutive analysed camera snapshots with no face,
//! or with more than one, make one run (one flag), not one flag per snapshot.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::EventKind;
use crate::ApplicationId;

/// Capture ids a run lists (the first ones) for the review page to link.
pub const LINKED_SNAPSHOTS: usize = 10;

/// One analysed camera snapshot: when, its capture id, faces found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Analysed {
    pub at: DateTime<Utc>,
    pub capture: Uuid,
    pub faces: u32,
}

/// A run of snapshots with no face (`NoFace`) or more than one (`MultipleFaces`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaceRun {
    pub kind: EventKind,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub snapshots: usize,
    pub captures: Vec<Uuid>,
}

impl FaceRun {
    /// A stable id from the run's kind and first snapshot (see `Gap::event_id`).
    pub fn event_id(&self, application: ApplicationId) -> Uuid {
        let first = self.captures.first().copied().unwrap_or_default();
        super::summary::derived_id(&format!("{application}/{}/{first}", self.kind))
    }
}

fn kind_of(faces: u32) -> Option<EventKind> {
    match faces {
        0 => Some(EventKind::NoFace),
        1 => None,
        _ => Some(EventKind::MultipleFaces),
    }
}

/// The runs among `snapshots` (any order).
pub fn face_runs(snapshots: &[Analysed]) -> Vec<FaceRun> {
    let mut snapshots = snapshots.to_vec();
    snapshots.sort_by_key(|s| (s.at, s.capture));
    let mut runs: Vec<FaceRun> = Vec::new();
    let mut open: Option<FaceRun> = None;
    for snapshot in snapshots {
        let kind = kind_of(snapshot.faces);
        match (&mut open, kind) {
            (Some(run), Some(kind)) if run.kind == kind => {
                run.to = snapshot.at;
                run.snapshots += 1;
                if run.captures.len() < LINKED_SNAPSHOTS {
                    run.captures.push(snapshot.capture);
                }
            }
            (_, kind) => {
                runs.extend(open.take());
                open = kind.map(|kind| FaceRun {
                    kind,
                    from: snapshot.at,
                    to: snapshot.at,
                    snapshots: 1,
                    captures: vec![snapshot.capture],
                });
            }
        }
    }
    runs.extend(open);
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(second: i64, faces: u32) -> Analysed {
        Analysed {
            at: DateTime::from_timestamp(second, 0).unwrap(),
            capture: Uuid::from_u128(second as u128),
            faces,
        }
    }

    #[test]
    fn one_absence_is_one_run() {
        let snapshots = [
            snapshot(0, 1),
            snapshot(30, 0),
            snapshot(60, 0),
            snapshot(90, 0),
            snapshot(120, 1),
            snapshot(150, 2),
            snapshot(180, 0),
        ];
        let runs = face_runs(&snapshots);
        assert_eq!(runs.len(), 3);
        assert_eq!(
            (
                runs[0].kind,
                runs[0].snapshots,
                runs[0].from.timestamp(),
                runs[0].to.timestamp()
            ),
            (EventKind::NoFace, 3, 30, 90)
        );
        assert_eq!(
            (runs[1].kind, runs[1].snapshots),
            (EventKind::MultipleFaces, 1)
        );
        assert_eq!((runs[2].kind, runs[2].snapshots), (EventKind::NoFace, 1));
        let application = ApplicationId(Uuid::nil());
        assert_ne!(runs[0].event_id(application), runs[2].event_id(application));
        assert_eq!(
            runs[0].event_id(application),
            face_runs(&snapshots)[0].event_id(application),
            "stable"
        );
        assert!(face_runs(&[snapshot(0, 1), snapshot(30, 1)]).is_empty());
    }
}
