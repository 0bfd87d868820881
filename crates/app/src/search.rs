//! Finding interviews across an organization (all of them for an admin): the
//! filters live in the page's address, so a search can be bookmarked and
//! handed on, and the CSV report takes the same ones.

use leptos::prelude::*;
use leptos_router::{components::Redirect, hooks::use_query_map};
use shared::{
    integrity::{EventKind, IntegrityLevel},
    lifecycle::InterviewState,
    search::{ApplicationPage, OrganizationRef},
    Role,
};

use crate::{
    applications::{list_organizations, search_applications, ApplicationTable},
    auth::me,
    error::AppError,
    ui::refusal::Refusal,
};

/// The filters a search page takes from its address (`?state=…&level=…`).
const FILTERS: [&str; 7] = [
    "state",
    "level",
    "eventKind",
    "unreviewed",
    "from",
    "to",
    "organizationId",
];

/// A date field's value (`YYYY-MM-DD`) as the start of that day in UTC.
fn day(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty()).map(|v| {
        if v.contains('T') {
            v
        } else {
            format!("{v}T00:00:00Z")
        }
    })
}

#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move |name: &str| query.read().get(name).filter(|v| !v.is_empty());
    let search = move |before: Option<String>| {
        search_applications(
            filter("state"),
            filter("level"),
            filter("eventKind"),
            filter("unreviewed").map(|v| v == "true"),
            day(filter("from")),
            day(filter("to")),
            filter("organizationId"),
            before,
            None,
        )
    };
    let first = Resource::new(
        move || FILTERS.map(&filter),
        move |_| async move {
            let user = me().await?;
            let page = search(None).await?;
            // An admin may narrow the search to one organization.
            let organizations = if user.role == Role::Admin {
                Some(list_organizations().await?.organizations)
            } else {
                None
            };
            Ok::<_, AppError>((user.role, page, organizations))
        },
    );
    // Later pages, appended by "More".
    let more = RwSignal::new(Vec::new());
    let next = RwSignal::new(None::<String>);
    let load_more = Action::new(move |before: &String| search(Some(before.clone())));
    // A new search starts over.
    Effect::new(move |_| {
        if let Some(Ok((_, page, _))) = first.get() {
            more.set(Vec::new());
            next.set(page.next);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(page)) = load_more.value().get() {
            let ApplicationPage {
                applications,
                next: after,
            } = page;
            more.update(|rows: &mut Vec<_>| rows.extend(applications));
            next.set(after);
        }
    });
    let report = move || {
        let pairs: Vec<String> = FILTERS
            .iter()
            .filter_map(|name| {
                let value = match *name {
                    "from" | "to" => day(filter(name)),
                    _ => filter(name),
                }?;
                Some(format!("{name}={}", urlencoding(&value)))
            })
            .collect();
        format!("{}?{}", shared::monitoring::REPORT_PATH, pairs.join("&"))
    };

    view! {
        <section class="card">
            <h1>"Find interviews"</h1>
            <p class="muted"><a href="/applications">"Back to the applications"</a></p>
            <Transition fallback=|| view! { <p class="muted">"Searching…"</p> }>
                {move || first.get().map(|result| match result {
                    Ok((role, page, organizations)) => {
                        let shown = page.applications;
                        view! {
                            <SearchForm organizations/>
                            <p class="search-actions">
                                <a class="button secondary download-report" href=report download="applications.csv">"Download CSV"</a>
                            </p>
                            {if shown.is_empty() {
                                view! { <p class="muted no-results">"No interview matches."</p> }.into_any()
                            } else {
                                view! {
                                    <ApplicationTable applications=shown show_candidate=role != Role::Candidate/>
                                    <Show when=move || !more.read().is_empty()>
                                        <ApplicationTable applications=more.get() show_candidate=true/>
                                    </Show>
                                    <Show when=move || next.read().is_some()>
                                        <button class="secondary load-more" disabled=move || load_more.pending().get()
                                            on:click=move |_| { if let Some(before) = next.get() { load_more.dispatch(before); } }>
                                            "More"
                                        </button>
                                    </Show>
                                }.into_any()
                            }}
                        }.into_any()
                    }
                    Err(AppError::Unauthenticated(_)) => view! { <Redirect path="/login?next=/search"/> }.into_any(),
                    Err(error) => view! { <Refusal error/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// The filters as a plain GET form: submitting it loads `/search?…`.
/// `organizations`: an admin's choice of one (others search their own).
#[component]
fn SearchForm(organizations: Option<Vec<OrganizationRef>>) -> impl IntoView {
    let query = use_query_map();
    let value = move |name: &str| query.read_untracked().get(name).unwrap_or_default();
    let selected = move |name: &str, option: &str| value(name) == option;
    view! {
        <form class="search-form" method="get" action="/search">
            <label>"State"
                <select name="state">
                    <option value="">"Any"</option>
                    {InterviewState::ALL.map(|state| view! {
                        <option value=state.as_str() selected=selected("state", state.as_str())>{state.as_str().replace('_', " ")}</option>
                    })}
                </select>
            </label>
            <label>"Level"
                <select name="level">
                    <option value="">"Any"</option>
                    {IntegrityLevel::ALL.map(|level| view! {
                        <option value=level.as_str() selected=selected("level", level.as_str())>{level.as_str()}</option>
                    })}
                </select>
            </label>
            <label>"Event"
                <select name="eventKind">
                    <option value="">"Any"</option>
                    {EventKind::ALL.map(|kind| view! {
                        <option value=kind.as_str() selected=selected("eventKind", kind.as_str())>{kind.label()}</option>
                    })}
                </select>
            </label>
            <label>"Flags"
                <select name="unreviewed">
                    <option value="">"Any"</option>
                    <option value="true" selected=selected("unreviewed", "true")>"Some not reviewed"</option>
                    <option value="false" selected=selected("unreviewed", "false")>"All reviewed"</option>
                </select>
            </label>
            <label>"Created from" <input type="date" name="from" value=value("from")/></label>
            <label>"Created before" <input type="date" name="to" value=value("to")/></label>
            {organizations.map(|organizations| view! {
                <label>"Organization"
                    <select name="organizationId">
                        <option value="">"All"</option>
                        {organizations.into_iter().map(|o| {
                            let id = o.id.to_string();
                            let chosen = selected("organizationId", &id);
                            view! { <option value=id selected=chosen>{o.name}</option> }
                        }).collect_view()}
                    </select>
                </label>
            })}
            <button type="submit">"Search"</button>
        </form>
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
fn urlencoding(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_its_start_in_utc_and_times_pass_unchanged() {
        assert_eq!(
            day(Some("2026-12-01".into())).as_deref(),
            Some("2026-12-01T00:00:00Z")
        );
        assert_eq!(
            day(Some("2026-12-01T10:00:00Z".into())).as_deref(),
            Some("2026-12-01T10:00:00Z")
        );
        assert_eq!(day(Some(String::new())), None);
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            urlencoding("2026-12-01T00:00:00Z"),
            "2026-12-01T00%3A00%3A00Z"
        );
        assert_eq!(urlencoding("a b&c"), "a%20b%26c");
    }
}
