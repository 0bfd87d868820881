//! Lists of job applications: a candidate's own, a recruiter's organization's, all for an admin.

mod list;

use leptos::prelude::*;
use shared::ApplicationSummary;

use crate::error::AppError;

pub use list::ApplicationsPage;

/// `POST /api/applications` `{}`: the applications the caller may see, newest first.
#[server(prefix = "/api", endpoint = "applications", input = leptos::server_fn::codec::Json)]
pub async fn list_applications() -> Result<Vec<ApplicationSummary>, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    crate::services::services()?.applications.visible_to(&user).await
}
