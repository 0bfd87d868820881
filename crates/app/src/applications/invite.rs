//! "Invite a candidate": a recruiter makes the candidate (if new), the
//! application and a capture link in one go, and copies the link to send.

use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use shared::integration::CaptureLink;

use crate::{
    error::AppError,
    integration::{issue_capture_link, provision_application, provision_candidate},
};

async fn invite(email: String, title: String) -> Result<CaptureLink, AppError> {
    let candidate = provision_candidate(email, None).await?;
    let application = provision_application(candidate.email, title, None, None, None, None).await?;
    issue_capture_link(application.id.to_string()).await
}

#[component]
pub fn InviteCandidate(
    /// Called once an application was made (the list shows it).
    on_invited: Callback<()>,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let link = RwSignal::new(None::<CaptureLink>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        busy.set(true);
        error.set(None);
        link.set(None);
        let (to, job) = (email.get_untracked(), title.get_untracked());
        spawn_local(async move {
            match invite(to, job).await {
                Ok(made) => {
                    link.try_set(Some(made));
                    on_invited.run(());
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
            busy.try_set(false);
        });
    };
    let copied = RwSignal::new(false);
    let copy = move |_| {
        #[cfg(feature = "browser")]
        if let (Some(made), Some(window)) = (link.get_untracked(), web_sys::window()) {
            let _ = window.navigator().clipboard().write_text(&made.url);
            copied.set(true);
        }
    };
    view! {
        <details class="invite">
            <summary>"Invite a candidate"</summary>
            <form on:submit=submit>
                <label>"Candidate's email" <input type="email" name="email" required bind:value=email/></label>
                <label>"Job title" <input type="text" name="title" required maxlength="200" bind:value=title/></label>
                <button type="submit" disabled=move || busy.get()>"Create the interview and a link"</button>
            </form>
            {move || link.get().map(|made| view! {
                <div class="invite-link" role="status">
                    <p>"Send this link to the candidate. It works once, until "
                        {crate::ui::time::local(made.expires_at)} "; it signs them in for this interview only."</p>
                    <input class="capture-link" readonly value=made.url.clone()/>
                    <button type="button" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
                </div>
            })}
            {move || error.get().map(|message| view! { <p class="notice error" role="alert">{message}</p> })}
        </details>
    }
}
