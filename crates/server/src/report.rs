//! `GET /api/applications/report.csv?…`: every application a search with the
//! same filters finds (`/api/applications/search`), one CSV row each with its
//! summary, streamed a page at a time so memory stays flat however many there
//! are. Cells a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab,
//! carriage return first) are prefixed with `'`.

use app::{auth::ssr::SignedIn, services::Services, AppError};
use axum::{
    body::Body,
    extract::{rejection::QueryRejection, Query},
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    Extension,
};
use bytes::Bytes;
use shared::{
    monitoring::millis,
    search::{ApplicationFilter, ApplicationPage, SearchQuery, MAX_LIMIT},
    ApplicationSummary, CurrentUser,
};

pub use shared::monitoring::REPORT_PATH;

const COLUMNS: [&str; 11] = [
    "applicationId",
    "title",
    "organization",
    "candidateEmail",
    "createdAt",
    "state",
    "level",
    "unreviewedFlags",
    "cameraImages",
    "screenImages",
    "lastCaptureAt",
];

pub async fn report(
    Extension(services): Extension<Services>,
    SignedIn(user): SignedIn,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(query) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    if query.before.is_some() || query.limit.is_some() {
        return Err(AppError::BadRequest(
            "a report has every application the filters find: `before` and `limit` are for search"
                .into(),
        ));
    }
    let mut filter = shared::input::search::filter(query)?;
    filter.limit = MAX_LIMIT;
    // The first page before the first byte: a caller who may not search gets
    // the error's status, not a 200 with a cut body.
    let first = services.applications.search(&user, &filter).await?;
    let pages = Pages {
        services,
        user,
        filter,
        ready: Some(first),
        header: true,
    };
    let stream = futures::stream::unfold(pages, |mut pages| async move {
        let chunk = pages.next_chunk().await?;
        Some((chunk, pages))
    });
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"applications.csv\""),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// The report's pages, read one at a time as the client takes them.
struct Pages {
    services: Services,
    user: CurrentUser,
    /// `before` moves on with each page.
    filter: ApplicationFilter,
    /// A page read and not yet written.
    ready: Option<ApplicationPage>,
    header: bool,
}

impl Pages {
    /// The next piece of the CSV; `None` when the report is complete. An error
    /// ends the body early (the client sees a cut transfer, never a report
    /// that looks whole).
    async fn next_chunk(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        let page = match self.ready.take() {
            Some(page) => page,
            None => {
                self.filter.before?;
                match self
                    .services
                    .applications
                    .search(&self.user, &self.filter)
                    .await
                {
                    Ok(page) => page,
                    Err(error) => {
                        tracing::warn!(%error, "a report stopped");
                        self.filter.before = None;
                        return Some(Err(std::io::Error::other("the report stopped")));
                    }
                }
            }
        };
        self.filter.before = page.next.as_deref().and_then(|next| next.parse().ok());
        let mut rows = csv::Writer::from_writer(Vec::new());
        let written = (|| {
            if std::mem::take(&mut self.header) {
                rows.write_record(COLUMNS)?;
            }
            for application in &page.applications {
                rows.write_record(row(application))?;
            }
            rows.into_inner().map_err(|e| e.into_error().into())
        })();
        Some(written.map(Bytes::from).map_err(|e: csv::Error| {
            self.filter.before = None;
            std::io::Error::other(e)
        }))
    }
}

fn row(a: &ApplicationSummary) -> [String; 11] {
    [
        a.id.to_string(),
        cell(&a.title),
        cell(&a.organization_name),
        cell(&a.candidate_email),
        millis::format(&a.created_at),
        a.state.to_string(),
        a.integrity_level.as_str().to_string(),
        a.unreviewed_flags.to_string(),
        a.camera_images.to_string(),
        a.screen_images.to_string(),
        a.last_capture_at
            .map(|t| millis::format(&t))
            .unwrap_or_default(),
    ]
}

/// Text as a cell no spreadsheet runs as a formula.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formulas_are_not_left_for_a_spreadsheet_to_run() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("@sum"), "'@sum");
        assert_eq!(cell("Rust Engineer"), "Rust Engineer");
        assert_eq!(cell(""), "");
    }
}
