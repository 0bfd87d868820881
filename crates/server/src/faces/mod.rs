//! Face presence: camera images are analysed after they are stored, off the
//! upload path, by a bounded worker in each instance (see [`worker`]).

pub mod detector;
pub mod worker;
