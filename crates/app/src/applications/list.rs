//! The applications page.

use leptos::prelude::*;
use leptos_router::components::Redirect;
use shared::{ApplicationSummary, Role};

use super::{invite::InviteCandidate, list_applications};
use crate::{auth::me, error::AppError, integrity::LevelBadge};

fn heading(role: Role) -> &'static str {
    match role {
        Role::Candidate => "Your applications",
        Role::Recruiter | Role::Integration => "Your organization's applications",
        Role::Admin => "All applications",
    }
}

#[component]
pub fn ApplicationsPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| me());
    // Apart from the user, so that a new invitation reloads the list and not
    // the invitation form with its link.
    let version = RwSignal::new(0u32);
    let applications = Resource::new(move || version.get(), |_| list_applications(None));

    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || user.get().map(|result| match result {
                Ok(user) => view! {
                    <section class="card">
                        <h1>{heading(user.role)}</h1>
                        <p class="muted">"Signed in as " {user.email.clone()} " (" {user.role.to_string()} ")"</p>
                        {(user.role == Role::Admin).then(|| view! {
                            <p class="admin-links"><a href="/audit">"Audit trail"</a> " · " <a href="/admin/keys">"Service keys"</a> " · " <a href="/admin/webhooks">"Webhooks"</a></p>
                        })}
                        {(user.role != Role::Candidate).then(|| view! {
                            <p class="search-link"><a href="/live">"Live interviews"</a> " · " <a href="/search">"Find interviews"</a> " · " <a href="/search?unreviewed=true">"Flags to review"</a></p>
                        })}
                        {(user.role != Role::Candidate && user.organization_id.is_some()).then(|| view! {
                            <InviteCandidate on_invited=Callback::new(move |()| version.update(|v| *v += 1))/>
                        })}
                        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                            {move || applications.get().map(|list| match list {
                                Ok(applications) => view! { <ApplicationTable applications show_candidate=user.role != Role::Candidate/> }.into_any(),
                                Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                            })}
                        </Transition>
                    </section>
                }.into_any(),
                Err(AppError::Unauthenticated(_)) => view! { <Redirect path="/login?next=/applications"/> }.into_any(),
                Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// How the list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Created,
    LastCaptureNewest,
    LastCaptureOldest,
    /// Highest integrity level first, then most unreviewed flags.
    NeedsReview,
}

fn sorted(mut applications: Vec<ApplicationSummary>, order: Order) -> Vec<ApplicationSummary> {
    match order {
        Order::Created => applications.sort_by_key(|a| std::cmp::Reverse(a.created_at)),
        // Never-captured applications go last either way.
        Order::LastCaptureNewest => {
            applications.sort_by_key(|a| std::cmp::Reverse(a.last_capture_at))
        }
        Order::LastCaptureOldest => {
            applications.sort_by_key(|a| (a.last_capture_at.is_none(), a.last_capture_at))
        }
        Order::NeedsReview => applications.sort_by(|a, b| {
            (b.integrity_level, b.unreviewed_flags, b.created_at).cmp(&(
                a.integrity_level,
                a.unreviewed_flags,
                a.created_at,
            ))
        }),
    }
    applications
}

/// How long its images are kept: the retention period, or that it was erased.
fn kept(application: &ApplicationSummary) -> String {
    match (application.erased_at, application.retention_days) {
        (Some(_), _) => "erased".into(),
        (None, Some(days)) => format!("{days} days"),
        (None, None) => "until deleted".into(),
    }
}

#[component]
pub fn ApplicationTable(
    applications: Vec<ApplicationSummary>,
    show_candidate: bool,
) -> impl IntoView {
    if applications.is_empty() {
        return view! { <p class="muted">"No applications yet."</p> }.into_any();
    }
    let order = RwSignal::new(Order::Created);
    let to_review_only = RwSignal::new(false);
    let rows = move || {
        let mut rows = sorted(applications.clone(), order.get());
        if to_review_only.get() {
            rows.retain(|a| a.unreviewed_flags > 0);
        }
        rows
    };
    let cycle = move |_| {
        order.update(|o| {
            *o = match o {
                Order::LastCaptureNewest => Order::LastCaptureOldest,
                _ => Order::LastCaptureNewest,
            }
        })
    };
    let arrow = move || match order.get() {
        Order::LastCaptureNewest => " ↓",
        Order::LastCaptureOldest => " ↑",
        _ => "",
    };
    let review_arrow = move || {
        if order.get() == Order::NeedsReview {
            " ↓"
        } else {
            ""
        }
    };
    view! {
        {show_candidate.then(|| view! {
            <p class="list-controls">
                <button class="link sort-needs-review" on:click=move |_| order.set(Order::NeedsReview)>"Needs review first"</button>
                <label><input type="checkbox" class="to-review-only" prop:checked=to_review_only on:change=move |_| to_review_only.update(|v| *v = !*v)/>
                    " Only with flags to review"</label>
            </p>
        })}
        <div class="table-scroll"><table class="applications">
            <thead>
                <tr>
                    <th>"Job"</th>
                    {show_candidate.then(|| view! { <th>"Candidate"</th> })}
                    <th>"Organization"</th>
                    <th>"Created"</th>
                    <th class="num">"Camera"</th>
                    <th class="num">"Screen"</th>
                    <th><button class="link sort-last-capture" on:click=cycle>"Last capture" {arrow}</button></th>
                    <th>"Kept"</th>
                    <th>"State"</th>
                    {show_candidate.then(|| view! {
                        <th><button class="link sort-integrity" on:click=move |_| order.set(Order::NeedsReview)>"Integrity" {review_arrow}</button></th>
                        <th class="num">"To review"</th>
                    })}
                    <th></th>
                </tr>
            </thead>
            <tbody>
                {move || rows().into_iter().map(|application| {
                    let review = format!("/applications/{}/review", application.id);
                    let kept = kept(&application);
                    view! {
                        <tr data-application-id=application.id.to_string()>
                            <td><a href=review.clone()>{application.title}</a></td>
                            {show_candidate.then(|| view! { <td class="candidate">{application.candidate_email.clone()}</td> })}
                            <td>{application.organization_name}</td>
                            <td>{crate::ui::time::local(application.created_at)}</td>
                            <td class="num camera-images">{application.camera_images}</td>
                            <td class="num screen-images">{application.screen_images}</td>
                            <td class="last-capture">{application.last_capture_at.map(crate::ui::time::local).unwrap_or_else(|| "—".into())}</td>
                            <td class="kept">{kept}</td>
                            <td class="state" data-state=application.state.as_str()>{application.state.as_str().replace('_', " ")}</td>
                            {show_candidate.then(|| view! {
                                <td class="integrity"><LevelBadge level=application.integrity_level/></td>
                                <td class="num unreviewed" data-unreviewed=application.unreviewed_flags>{application.unreviewed_flags}</td>
                            })}
                            <td class="actions">
                                {(!show_candidate).then(|| view! {
                                    <a class="button" rel="external" href=format!("/applications/{}/interview", application.id)>"Start interview"</a>
                                })}
                                " " <a class="button secondary" href=review>{if show_candidate { "Review" } else { "View images" }}</a>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn application(created: i64, last: Option<i64>) -> ApplicationSummary {
        ApplicationSummary {
            id: shared::ApplicationId(uuid::Uuid::from_u128(created as u128)),
            title: "t".into(),
            organization_id: shared::OrganizationId(uuid::Uuid::nil()),
            organization_name: "o".into(),
            candidate_email: "c@x.test".into(),
            created_at: DateTime::<Utc>::from_timestamp(created, 0).unwrap(),
            camera_images: 0,
            screen_images: 0,
            id_images: 0,
            id_retention_days: None,
            last_capture_at: last.and_then(|t| DateTime::<Utc>::from_timestamp(t, 0)),
            integrity_level: Default::default(),
            unreviewed_flags: 0,
            state: Default::default(),
            retention_days: None,
            erased_at: None,
            capture: Default::default(),
        }
    }

    #[test]
    fn sorting_by_last_capture_puts_never_captured_last_both_ways() {
        let list = vec![
            application(1, None),
            application(2, Some(50)),
            application(3, Some(90)),
        ];
        let created = |l: Vec<ApplicationSummary>| {
            l.iter()
                .map(|a| a.created_at.timestamp())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            created(sorted(list.clone(), Order::LastCaptureNewest)),
            [3, 2, 1]
        );
        assert_eq!(
            created(sorted(list.clone(), Order::LastCaptureOldest)),
            [2, 3, 1]
        );
        assert_eq!(created(sorted(list, Order::Created)), [3, 2, 1]);
    }

    #[test]
    fn needs_review_first_puts_the_highest_level_then_the_most_unreviewed_first() {
        use shared::integrity::IntegrityLevel as L;
        let with = |created, level, unreviewed| ApplicationSummary {
            integrity_level: level,
            unreviewed_flags: unreviewed,
            ..application(created, None)
        };
        let list = vec![
            with(1, L::None, 0),
            with(2, L::Some, 3),
            with(3, L::Major, 1),
            with(4, L::Some, 7),
        ];
        let created: Vec<_> = sorted(list, Order::NeedsReview)
            .iter()
            .map(|a| a.created_at.timestamp())
            .collect();
        assert_eq!(created, [3, 4, 2, 1]);
    }
}
