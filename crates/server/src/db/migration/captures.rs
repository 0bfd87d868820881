//! Columns the capture record (`shared::capture::CaptureMeta`) gains, one
//! migration each, in the order they came: a new fact about a capture is
//! added here, so the record's path from the browser to the database stays in
//! the files that hold the record.

use sea_orm_migration::prelude::*;

/// This module's migrations, oldest first (run after every other).
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![]
}
