//! The interview-monitor server: settings, startup, accounts and sessions,
//! persistence, the access policy, object storage, monitoring and integrity signals.
// Leptos view types nest deeply; release builds (without erased components) need room.
#![recursion_limit = "256"]

pub mod accountability;
pub mod accounts;
pub mod applications;
pub mod candidate_page;
pub mod cli;
pub mod db;
pub mod edge;
pub mod encoding;
pub mod error;
pub mod export;
pub mod faces;
pub mod http_errors;
pub mod integration;
pub mod integrity;
pub mod keys;
pub mod live;
pub mod media;
pub mod monitoring;
pub mod openapi;
pub mod periods;
pub mod policy;
pub mod report;
pub mod retention;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod webhooks;
