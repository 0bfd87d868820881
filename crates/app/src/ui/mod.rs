//! Pieces every page uses: the refusal page, times in the viewer's zone, and
//! the candidate's pages' words and language switch.
//! The bottom layer of the UI: it imports nothing of the features.

pub mod language;
pub mod refusal;
pub mod time;
pub mod words;
