//! The applications page.

use leptos::prelude::*;
use leptos_router::components::Redirect;
use shared::{ApplicationSummary, Role};

use super::list_applications;
use crate::{auth::me, error::AppError};

fn heading(role: Role) -> &'static str {
    match role {
        Role::Candidate => "Your applications",
        Role::Recruiter => "Your organization's applications",
        Role::Admin => "All applications",
    }
}

#[component]
pub fn ApplicationsPage() -> impl IntoView {
    let page = Resource::new(|| (), |_| async move {
        let user = me().await?;
        let applications = list_applications().await?;
        Ok::<_, AppError>((user, applications))
    });

    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || page.get().map(|result| match result {
                Ok((user, applications)) => view! {
                    <section class="card">
                        <h1>{heading(user.role)}</h1>
                        <p class="muted">"Signed in as " {user.email.clone()} " (" {user.role.to_string()} ")"</p>
                        <ApplicationTable applications show_candidate=user.role != Role::Candidate/>
                    </section>
                }.into_any(),
                Err(AppError::Unauthenticated(_)) => view! { <Redirect path="/login?next=/applications"/> }.into_any(),
                Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn ApplicationTable(applications: Vec<ApplicationSummary>, show_candidate: bool) -> impl IntoView {
    if applications.is_empty() {
        return view! { <p class="muted">"No applications yet."</p> }.into_any();
    }
    view! {
        <table class="applications">
            <thead>
                <tr>
                    <th>"Job"</th>
                    <th>"Organization"</th>
                    {show_candidate.then(|| view! { <th>"Candidate"</th> })}
                    <th>"Created"</th>
                    {(!show_candidate).then(|| view! { <th></th> })}
                </tr>
            </thead>
            <tbody>
                {applications.into_iter().map(|application| view! {
                    <tr data-application-id=application.id.to_string()>
                        <td>{application.title}</td>
                        <td>{application.organization_name}</td>
                        {show_candidate.then(|| view! { <td>{application.candidate_email.clone()}</td> })}
                        <td><time datetime=application.created_at.to_rfc3339()>{application.created_at.format("%Y-%m-%d %H:%M UTC").to_string()}</time></td>
                        {(!show_candidate).then(|| view! {
                            <td><a class="button" href=format!("/applications/{}/interview", application.id)>"Start interview"</a></td>
                        })}
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}
