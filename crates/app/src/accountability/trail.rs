//! What is kept and who saw it: the retention line and the audit trail on an
//! application's page, the admin's erase control, and the admin audit page.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use shared::{
    audit::{AuditAction, AuditEntry},
    ApplicationSummary, Role,
};

use super::{application_trail, audit_entries, erase_application, PAGE_ENTRIES};
use crate::{
    auth::me,
    error::AppError,
    ui::{
        refusal::Refusal,
        time,
        words::{t, words},
    },
};

/// "Kept 90 days after capture…", or that it is kept until deleted, or erased.
#[component]
pub fn RetentionNote(application: ApplicationSummary) -> impl IntoView {
    let words = words();
    let text = match (application.erased_at, application.retention_days) {
        (Some(at), _) => words.fill(
            "Erased on {moment}: its images, events and sessions were deleted.",
            &[("moment", &time::local(at))],
        ),
        (None, Some(days)) => {
            let latest = application.last_capture_at.map(|at| {
                words.fill(
                    " The latest image is deleted on {moment}.",
                    &[(
                        "moment",
                        &time::local(at + chrono::Duration::days(i64::from(days))),
                    )],
                )
            });
            words.fill(
                "Images and events are deleted automatically {days} days after they are taken.{latest}",
                &[("days", &days.to_string()), ("latest", &latest.unwrap_or_default())],
            )
        }
        (None, None) => {
            words.get("Images and events are kept until the hiring organization deletes them.")
        }
    };
    view! { <p class="retention" data-retention-days=application.retention_days.map(|d| d.to_string())>{text}</p> }
}

/// A target in words: image keys become a count, with the keys behind a toggle.
fn target_view(entry: &AuditEntry) -> AnyView {
    if entry.action == AuditAction::View || entry.action == AuditAction::Delete {
        let keys: Vec<String> = entry
            .target
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let count = keys.len();
        let label = if count == 1 {
            t("1 image")
        } else {
            words().fill("{count} images", &[("count", &count.to_string())])
        };
        return view! {
            <details><summary>{label}</summary><ul class="keys">{keys.into_iter().map(|k| view! { <li><code>{k}</code></li> }).collect_view()}</ul></details>
        }
        .into_any();
    }
    view! { <span>{entry.target.clone()}</span> }.into_any()
}

fn entry_row(entry: AuditEntry) -> impl IntoView {
    view! {
        <tr class="audit-entry" data-action=entry.action.as_str()>
            <td class="seq">{entry.seq}</td>
            <td>{time::local(entry.at)}</td>
            <td class="actor">{entry.actor.clone()}</td>
            <td>{t(entry.action.describe())}</td>
            <td class="target">{target_view(&entry)}</td>
        </tr>
    }
}

fn entries_table(entries: Vec<AuditEntry>) -> impl IntoView {
    view! {
        <div class="table-scroll"><table class="audit">
            <thead><tr><th>"#"</th><th>{t("When")}</th><th>{t("Who")}</th><th>{t("What")}</th><th>{t("Of what")}</th></tr></thead>
            <tbody>{entries.into_iter().map(entry_row).collect_view()}</tbody>
        </table></div>
    }
}

/// The application's audit trail, oldest first: consent, every viewing,
/// deletion, export, purge and erasure.
#[component]
pub fn AuditTrailPanel(
    application_id: shared::ApplicationId,
    #[prop(into)] refresh: Signal<u32>,
) -> impl IntoView {
    let trail = LocalResource::new(move || {
        refresh.track();
        async move { application_trail(application_id.to_string(), None, None).await }
    });
    view! {
        <section class="audit-trail" aria-label=t("Who saw these images")>
            <h2>{t("Who saw these images")}</h2>
            <p class="muted">{t("Every time someone opens, deletes or exports this application's images it is recorded here, in a tamper-evident log.")}</p>
            {move || match trail.get() {
                None => view! { <p class="muted">{t("Loading…")}</p> }.into_any(),
                Some(Err(error)) => view! { <p class="notice error" role="alert">{error.to_string()}</p> }.into_any(),
                Some(Ok(trail)) if trail.entries.is_empty() => view! { <p class="muted">{t("Nothing recorded yet.")}</p> }.into_any(),
                Some(Ok(trail)) => entries_table(trail.entries).into_any(),
            }}
        </section>
    }
}

/// Admins: erase everything of the application (asks first).
#[component]
pub fn ErasePanel(application_id: shared::ApplicationId, erased: Callback<()>) -> impl IntoView {
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let erase = move |_| {
        if !time::confirm(
            "Erase every image, event and session of this application? This cannot be undone.",
        ) {
            return;
        }
        leptos::task::spawn_local(async move {
            match erase_application(application_id.to_string()).await {
                Ok(receipt) => {
                    outcome.set(Some(Ok(format!(
                        "Erased {} images and {} events.",
                        receipt.erased_images, receipt.erased_events
                    ))));
                    erased.run(());
                }
                Err(error) => outcome.set(Some(Err(error.to_string()))),
            }
        });
    };
    view! {
        <div class="erase">
            <button type="button" class="danger erase-application" on:click=erase>"Erase this application's data"</button>
            {move || outcome.get().map(|result| match result {
                Ok(text) => view! { <p class="notice" role="status">{text}</p> }.into_any(),
                Err(text) => view! { <p class="notice error" role="alert">{text}</p> }.into_any(),
            })}
        </div>
    }
}

/// `/audit`: every entry, newest first (admins).
#[component]
pub fn AuditPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| me());
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || user.get().map(|user| match user {
                Ok(user) if user.role == Role::Admin => view! { <AllEntries/> }.into_any(),
                Ok(_) => view! { <Refusal error=AppError::Forbidden("only admins see the whole audit trail".into())/> }.into_any(),
                Err(AppError::Unauthenticated(_)) => view! { <Redirect path="/login?next=/audit"/> }.into_any(),
                Err(error) => view! { <Refusal error/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn AllEntries() -> impl IntoView {
    let entries = RwSignal::new(Vec::<AuditEntry>::new());
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(false);
    let load = move || {
        let before = entries.with_untracked(|e| e.last().map(|e| e.seq));
        leptos::task::spawn_local(async move {
            match audit_entries(before, Some(PAGE_ENTRIES)).await {
                Ok(page) => {
                    done.set(page.entries.len() < PAGE_ENTRIES as usize);
                    entries.update(|e| e.extend(page.entries));
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    Effect::new(move |_| load());
    let newest: Signal<Option<DateTime<Utc>>> =
        Signal::derive(move || entries.with(|e| e.first().map(|e| e.at)));
    view! {
        <section class="card">
            <h1>"Audit trail"</h1>
            <p class="muted">
                "Every signed URL issued, image deleted, application erased, export, consent and retention purge, newest first. "
                "The entries are hash-chained: " <code>"interview-monitor audit verify"</code> " checks that none was changed or removed."
            </p>
            {move || newest.get().map(|at| view! { <p class="muted">"Latest entry: " {time::local(at)}</p> })}
            {move || error.get().map(|message| view! { <p class="notice error" role="alert">{message}</p> })}
            {move || entries_table(entries.get())}
            <Show when=move || !done.get()>
                <button type="button" on:click=move |_| load()>"Older entries"</button>
            </Show>
        </section>
    }
}
