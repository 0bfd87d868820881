//! Lists of job applications: a candidate's own, a recruiter's organization's, all for an admin.

mod invite;
mod list;

use leptos::prelude::*;
use shared::ApplicationSummary;

use crate::error::AppError;

pub use list::ApplicationsPage;

/// `POST /api/applications/get` `{applicationId}`: one application, if the caller may see it
/// (403 when not, 404 when there is none).
#[server(prefix = "/api", endpoint = "applications/get", input = leptos::server_fn::codec::Json)]
pub async fn get_application(
    #[server(rename = "applicationId")] application_id: String,
) -> Result<ApplicationSummary, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    let id = crate::input::monitoring::application_id(&application_id)?;
    crate::services::services()?
        .applications
        .get(&user, id)
        .await
}

/// `POST /api/applications` `{}`: the applications the caller may see, newest first.
#[server(prefix = "/api", endpoint = "applications", input = leptos::server_fn::codec::Json)]
pub async fn list_applications() -> Result<Vec<ApplicationSummary>, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    crate::services::services()?
        .applications
        .visible_to(&user)
        .await
}
