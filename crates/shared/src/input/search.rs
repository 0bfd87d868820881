//! A search of applications, checked: each field parsed, the date range in
//! order, the page's length in range.

use super::{monitoring::time, Invalid};
use crate::search::{ApplicationFilter, Cursor, SearchQuery, DEFAULT_LIMIT, MAX_LIMIT};

pub fn filter(query: SearchQuery) -> Result<ApplicationFilter, Invalid> {
    let malformed = |e: String| Invalid::Malformed(e);
    let from = time("from", query.from.as_deref())?;
    let to = time("to", query.to.as_deref())?;
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(Invalid::Malformed("`from` is after `to`".into()));
        }
    }
    let limit = match query.limit {
        None => DEFAULT_LIMIT,
        Some(n @ 1..=MAX_LIMIT) => n,
        Some(n) => {
            return Err(Invalid::Malformed(format!(
                "limit must be from 1 to {MAX_LIMIT}, not {n}"
            )))
        }
    };
    Ok(ApplicationFilter {
        state: super::state_filter(query.state)?,
        level: query
            .level
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(malformed)?,
        event_kind: query
            .event_kind
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e: crate::integrity::EventKindError| Invalid::Malformed(e.to_string()))?,
        unreviewed: query.unreviewed,
        from,
        to,
        organization: query
            .organization_id
            .as_deref()
            .map(|text| text.trim().parse())
            .transpose()
            .map_err(|e: crate::IdError| Invalid::Malformed(e.to_string()))?,
        before: query
            .before
            .as_deref()
            .map(str::parse::<Cursor>)
            .transpose()
            .map_err(|e| Invalid::Malformed(e.to_string()))?,
        limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{integrity::EventKind, integrity::IntegrityLevel, lifecycle::InterviewState};

    fn query(edit: impl FnOnce(&mut SearchQuery)) -> SearchQuery {
        let mut query = SearchQuery::default();
        edit(&mut query);
        query
    }

    #[test]
    fn an_empty_query_lists_everything_a_page_at_a_time() {
        assert_eq!(
            filter(SearchQuery::default()),
            Ok(ApplicationFilter::default())
        );
    }

    #[test]
    fn each_field_is_read() {
        let read = filter(query(|q| {
            q.state = Some("ended".into());
            q.level = Some("major".into());
            q.event_kind = Some("multiple_faces".into());
            q.unreviewed = Some(true);
            q.from = Some("1969-12-31T23:59:59Z".into());
            q.to = Some("2026-12-05T00:00:00.000Z".into());
            q.organization_id = Some(" 6a1b2c3d-0000-4000-8000-000000000001 ".into());
            q.limit = Some(MAX_LIMIT);
        }))
        .unwrap();
        assert_eq!(read.state, Some(InterviewState::Ended));
        assert_eq!(read.level, Some(IntegrityLevel::Major));
        assert_eq!(read.event_kind, Some(EventKind::MultipleFaces));
        assert_eq!(read.unreviewed, Some(true));
        assert!(read.from.unwrap().timestamp() < 0);
        assert!(read.organization.is_some());
        assert_eq!(read.limit, MAX_LIMIT);
    }

    #[test]
    fn what_cannot_be_read_is_refused_with_its_reason() {
        let long = "x".repeat(5_000);
        for (edit, words) in [
            (query(|q| q.state = Some("running".into())), "state"),
            (query(|q| q.level = Some(long.clone())), "level must be"),
            (query(|q| q.event_kind = Some("face".into())), "event kind"),
            (query(|q| q.from = Some("yesterday".into())), "from"),
            (
                query(|q| {
                    q.from = Some("2026-12-05T00:00:00Z".into());
                    q.to = Some("2026-12-04T00:00:00Z".into());
                }),
                "after `to`",
            ),
            (query(|q| q.organization_id = Some(long.clone())), ""),
            (query(|q| q.before = Some("next".into())), "cursor"),
            (query(|q| q.limit = Some(0)), "limit"),
            (query(|q| q.limit = Some(u32::MAX)), "limit"),
        ] {
            match filter(edit.clone()) {
                Err(Invalid::Malformed(reason)) => {
                    assert!(reason.contains(words), "{edit:?}: {reason}");
                    assert!(reason.len() < 300, "the reason repeats the input: {reason}");
                }
                other => panic!("{edit:?}: {other:?}"),
            }
        }
    }
}
