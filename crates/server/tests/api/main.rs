//! The API test binary: the real server on port 0 against a fresh database per
//! test (SQLite by default; PostgreSQL with TEST_DATABASE=postgres).

mod access;
mod accountability;
mod auth;
mod cli;
mod consistency;
mod faces;
mod hardening;
mod health;
mod helpers;
mod https;
mod identity;
mod integration;
mod integrity;
mod languages;
mod lifecycle;
mod live;
mod monitoring;
mod operations;
mod pages;
mod responses;
mod retention;
mod search;
mod trust;
mod webhooks;
