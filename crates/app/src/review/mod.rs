//! Review: recruiters and admins (and candidates, read-only) see an interview's
//! integrity summary and events, its images as two timelines with the events
//! between them, open them full size, and delete them.

mod export;
mod identity;
mod images;
mod lightbox;
mod page;
mod replay;
use crate::ui::time;
mod timeline;

pub use page::ReviewPage;

use chrono::{DateTime, Utc};
use shared::{
    integrity::{EventKind, MonitoringEvent},
    ImageKind, ImageRef,
};

/// Thumbnails per page of a timeline; each page is signed with one call.
pub const PAGE_SIZE: usize = 24;

/// One row of a timeline: an image, or an event between images (a capture gap
/// the server found among them).
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Image(ImageRef),
    Event(MonitoringEvent),
}

/// Whether an event belongs on `kind`'s timeline: a capture gap on its own kind's,
/// everything else on both.
pub fn on_timeline(event: &MonitoringEvent, kind: ImageKind) -> bool {
    event.kind != EventKind::CaptureGap
        || event
            .detail
            .as_ref()
            .and_then(|d| d.get("imageType"))
            .and_then(|v| v.as_str())
            == Some(kind.as_str())
}

/// One page of images in capture order with the events of the page's span
/// between them: `after` and `before` bound the span (the neighbouring pages'
/// images); the first and last pages are open at their outer end.
pub fn with_events(
    images: &[ImageRef],
    events: &[MonitoringEvent],
    after: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
) -> Vec<Entry> {
    let mut events: Vec<&MonitoringEvent> = events
        .iter()
        .filter(|e| after.is_none_or(|t| e.at >= t) && before.is_none_or(|t| e.at < t))
        .collect();
    events.sort_by_key(|e| e.at);
    let mut events = events.into_iter().peekable();
    let mut entries = Vec::with_capacity(images.len());
    for image in images {
        while let Some(event) = events.next_if(|e| e.at <= image.timestamp) {
            entries.push(Entry::Event(event.clone()));
        }
        entries.push(Entry::Image(image.clone()));
    }
    entries.extend(events.map(|e| Entry::Event(e.clone())));
    entries
}

/// Images of `kind` captured within `[from, to]` (either end open).
pub fn filtered(
    images: &[ImageRef],
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Vec<ImageRef> {
    images
        .iter()
        .filter(|image| {
            from.is_none_or(|from| image.timestamp >= from)
                && to.is_none_or(|to| image.timestamp <= to)
        })
        .cloned()
        .collect()
}

pub fn kind_label(kind: ImageKind) -> &'static str {
    match kind {
        ImageKind::Camera => "Camera",
        ImageKind::Screen => "Screen",
        ImageKind::Id => "ID photo",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(second: i64) -> ImageRef {
        let key = format!("monitoring/6f1c2a3b-0000-4000-8000-00000000abcd/camera/{}-0b7e0000-1111-4222-8333-44445555{second:04}.jpg", second * 1000);
        let at = DateTime::from_timestamp(second, 0).unwrap();
        ImageRef::new(key.parse().unwrap(), at, at)
    }

    fn event(kind: EventKind, second: i64, image_type: Option<&str>) -> MonitoringEvent {
        MonitoringEvent {
            event_id: uuid::Uuid::from_u128(second as u128),
            kind,
            at: DateTime::from_timestamp(second, 0).unwrap(),
            ended_at: None,
            detail: image_type.map(|t| serde_json::json!({"imageType": t})),
            source: shared::integrity::EventSource::Browser,
            review: None,
            response: None,
        }
    }

    #[test]
    fn events_sit_between_the_images_of_their_page() {
        let images = [image(0), image(30), image(60)];
        let events = [
            event(EventKind::Paste, 45, None),
            event(EventKind::TabHidden, -10, None),
            event(EventKind::Copy, 90, None),
        ];
        let kinds = |entries: Vec<Entry>| {
            entries
                .into_iter()
                .map(|e| match e {
                    Entry::Image(i) => i.timestamp.timestamp().to_string(),
                    Entry::Event(e) => e.kind.to_string(),
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            kinds(with_events(&images, &events, None, None)),
            ["tab_hidden", "0", "30", "paste", "60", "copy"]
        );
        // A middle page: only what happened from its first image up to the next page's.
        let bounds = (Some(images[0].timestamp), Some(images[2].timestamp));
        assert_eq!(
            kinds(with_events(&images[..2], &events, bounds.0, bounds.1)),
            ["0", "30", "paste"]
        );
    }

    #[test]
    fn a_capture_gap_shows_on_its_own_kind_only() {
        let gap = event(EventKind::CaptureGap, 10, Some("screen"));
        assert!(on_timeline(&gap, ImageKind::Screen) && !on_timeline(&gap, ImageKind::Camera));
        assert!(on_timeline(
            &event(EventKind::Paste, 10, None),
            ImageKind::Camera
        ));
    }

    #[test]
    fn the_time_filter_keeps_both_ends() {
        let images = [image(0), image(30), image(60)];
        let kept = filtered(
            &images,
            Some(images[1].timestamp),
            Some(images[2].timestamp),
        );
        assert_eq!(kept, images[1..].to_vec());
        assert_eq!(filtered(&images, None, None).len(), 3);
    }
}
