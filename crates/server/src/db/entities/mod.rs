//! SeaORM entities, one module per table.

pub mod api_key;
pub mod audit_checkpoint;
pub mod audit_entry;
pub mod audit_head;
pub mod capture_link;
pub mod consent;
pub mod face_analysis;
pub mod face_job;
pub mod flag_response;
pub mod flag_review;
pub mod idempotency_key;
pub mod integrity_summary;
pub mod job_application;
pub mod monitoring_event;
pub mod monitoring_image;
pub mod monitoring_session;
pub mod organization;
pub mod session;
pub mod user;
pub mod webhook_delivery;
pub mod webhook_endpoint;
pub mod webhook_message;
