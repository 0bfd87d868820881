//! Review: recruiters and admins (and candidates, read-only) see an interview's
//! images as two timelines, open them full size, and delete them.

mod lightbox;
mod page;
pub mod time;
mod timeline;

pub use page::ReviewPage;

use chrono::{DateTime, Utc};
use shared::{ImageKind, ImageRef};

/// Thumbnails per page of a timeline; each page is signed with one call.
pub const PAGE_SIZE: usize = 24;
/// The capture interval assumed when marking gaps (a gap is longer than twice it).
pub const DEFAULT_INTERVAL_SECS: i64 = 30;

/// One row of a timeline: an image, or a gap in the captures before it.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Image(ImageRef),
    Gap { from: DateTime<Utc>, to: DateTime<Utc> },
}

/// The images in capture order with a gap marked wherever two neighbours are
/// more than twice `interval_secs` apart.
pub fn with_gaps(images: &[ImageRef], interval_secs: i64) -> Vec<Entry> {
    let mut entries = Vec::with_capacity(images.len());
    for (index, image) in images.iter().enumerate() {
        if let Some(previous) = index.checked_sub(1).map(|i| &images[i]) {
            if (image.timestamp - previous.timestamp).num_seconds() > 2 * interval_secs {
                entries.push(Entry::Gap { from: previous.timestamp, to: image.timestamp });
            }
        }
        entries.push(Entry::Image(image.clone()));
    }
    entries
}

/// Images of `kind` captured within `[from, to]` (either end open).
pub fn filtered(images: &[ImageRef], from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Vec<ImageRef> {
    images
        .iter()
        .filter(|image| from.is_none_or(|from| image.timestamp >= from) && to.is_none_or(|to| image.timestamp <= to))
        .cloned()
        .collect()
}

pub fn kind_label(kind: ImageKind) -> &'static str {
    match kind {
        ImageKind::Camera => "Camera",
        ImageKind::Screen => "Screen",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(second: i64) -> ImageRef {
        let key = format!("monitoring/6f1c2a3b-0000-4000-8000-00000000abcd/camera/{}-0b7e0000-1111-4222-8333-44445555{second:04}.jpg", second * 1000);
        ImageRef { s3_key: key.parse().unwrap(), timestamp: DateTime::from_timestamp(second, 0).unwrap(), stored_at: DateTime::from_timestamp(second, 0).unwrap() }
    }

    #[test]
    fn gaps_longer_than_twice_the_interval_are_marked() {
        let images = [image(0), image(30), image(60), image(200), image(230)];
        let entries = with_gaps(&images, 30);
        assert_eq!(entries.len(), 6);
        assert_eq!(entries[3], Entry::Gap { from: images[2].timestamp, to: images[3].timestamp });
        assert_eq!(with_gaps(&images[..3], 30).len(), 3, "exactly the interval is no gap");
    }

    #[test]
    fn the_time_filter_keeps_both_ends() {
        let images = [image(0), image(30), image(60)];
        let kept = filtered(&images, Some(images[1].timestamp), Some(images[2].timestamp));
        assert_eq!(kept, images[1..].to_vec());
        assert_eq!(filtered(&images, None, None).len(), 3);
    }
}
