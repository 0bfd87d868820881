//! Pieces every page uses: the refusal page and times in the viewer's zone.
//! The bottom layer of the UI: it imports nothing of the features.

pub mod refusal;
pub mod time;
