//! SeaORM entities, one module per table.

pub mod job_application;
pub mod monitoring_image;
pub mod organization;
pub mod session;
pub mod user;
