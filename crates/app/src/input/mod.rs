//! What the server functions accept, checked: the bottom layer the features'
//! server functions and the service traits share (server only). It imports
//! nothing of the features.

pub mod integration;
pub mod integrity;
pub mod monitoring;
