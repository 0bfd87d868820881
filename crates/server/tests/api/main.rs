//! The API test binary: the real server on port 0 against a fresh database per
//! test (SQLite by default; PostgreSQL with TEST_DATABASE=postgres).

mod accountability;
mod auth;
mod cli;
mod faces;
mod health;
mod helpers;
mod monitoring;
mod pages;
mod access;
mod consistency;
mod hardening;
mod https;
mod integrity;
mod operations;
mod retention;
