//! The page: the frame every page of the app has (the name, "Sign out"), then
//! the application's interview in the language asked for, or why not.

use std::collections::BTreeMap;

use leptos::prelude::*;
use panel::{interval_or_default, transport, Connection, ErrorKind, Interview, PanelError, Texts};
use shared::{integrity::ConsentTerms, language::Language, ApplicationSummary, CurrentUser, Role};

use crate::address;

/// The page's address, read once.
#[derive(Clone)]
struct Address {
    path: String,
    search: String,
}

impl Address {
    fn current() -> Address {
        let location = window().location();
        Address {
            path: location.pathname().unwrap_or_default(),
            search: location.search().unwrap_or_default(),
        }
    }
}

/// A full load of `href` (the other pages are the app's, not this wasm's).
fn go(href: &str) {
    let _ = window().location().assign(href);
}

#[component]
pub fn CandidatePage() -> impl IntoView {
    view! {
        <header class="top">
            <a class="brand" href="/">"interview-monitor"</a>
            <SignOut/>
        </header>
        <main>
            <InterviewPage/>
        </main>
    }
}

/// What the interview shows: who is asking, the application, the consent
/// terms in the language asked for (else the browser's, which the server
/// picks), asked for at once; then the panel's texts in that language.
async fn load(
    connection: Connection,
    id: String,
    asked: Option<String>,
) -> Result<
    (
        Role,
        ApplicationSummary,
        ConsentTerms,
        BTreeMap<String, String>,
    ),
    PanelError,
> {
    let no_body = serde_json::json!({});
    let application_body = serde_json::json!({ "applicationId": id });
    let terms_body = serde_json::json!({ "applicationId": id, "language": asked });
    let (user, application, terms) = futures::join!(
        transport::post_json::<CurrentUser>(&connection, "/api/auth/me", &no_body),
        transport::post_json::<ApplicationSummary>(
            &connection,
            "/api/applications/get",
            &application_body
        ),
        transport::post_json::<ConsentTerms>(
            &connection,
            "/api/monitoring/consent/terms",
            &terms_body
        ),
    );
    // Signed out first: the other two fail for the same reason.
    let (user, application, terms) = (user?, application?, terms?);
    let translation = match terms.language {
        Language::En => BTreeMap::new(),
        other => {
            let body = serde_json::json!({ "language": other.code() });
            transport::post_json(&connection, "/api/monitoring/texts", &body).await?
        }
    };
    Ok((user.role, application, terms, translation))
}

#[component]
fn InterviewPage() -> impl IntoView {
    let here = Address::current();
    let Some(id) = address::application_id(&here.path).map(str::to_string) else {
        let error = PanelError::new(ErrorKind::NotFound, "There is no page here.");
        return view! { <Refusal error/> }.into_any();
    };
    let asked = address::value(&here.search, "lang").map(str::to_string);
    let connection = Connection::same_origin();
    let application =
        LocalResource::new(move || load(connection.clone(), id.clone(), asked.clone()));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || application.get().map(|result| match result {
                Ok((role, application, terms, translation)) => {
                    // The application's own intervals (set when it was
                    // provisioned) win; else the page's query, else the default.
                    let capture = application.capture;
                    let intervals = (
                        interval_or_default(capture.camera_interval.or_else(|| address::seconds(&here.search, "cameraInterval"))),
                        interval_or_default(capture.screen_interval.or_else(|| address::seconds(&here.search, "screenInterval"))),
                    );
                    let language = terms.language;
                    // The panel made below reads its texts from here.
                    provide_context(Texts::translated(language, &translation));
                    view! {
                        <div lang=language.code()>
                            <LanguageSwitch current=language search=here.search.clone()/>
                            <Interview application terms candidate=role == Role::Candidate intervals/>
                        </div>
                    }.into_any()
                }
                Err(error) if error.kind == ErrorKind::Unauthenticated => {
                    go(&shared::redirect::sign_in_then(&here.path));
                    ().into_any()
                }
                Err(error) => view! { <Refusal error/> }.into_any(),
            })}
        </Suspense>
    }
    .into_any()
}

/// Links to the page in each language (a full load: the server picks the
/// terms' language from `?lang=`).
#[component]
fn LanguageSwitch(current: Language, search: String) -> impl IntoView {
    view! {
        <nav class="language-switch" aria-label="Language / Sprache">
            {Language::ALL.into_iter().map(|language| view! {
                <a href=address::with_language(&search, language.code()) rel="external"
                    hreflang=language.code() lang=language.code()
                    aria-current=(language == current).then_some("true")
                    class:current=language == current>{language.name()}</a>
            }).collect_view()}
        </nav>
    }
}

/// What the viewer may not see (403), what does not exist (404), or another
/// failure, with a way to try again when trying again can help.
#[component]
fn Refusal(error: PanelError) -> impl IntoView {
    let title = match error.kind {
        ErrorKind::Forbidden => "Not allowed",
        ErrorKind::NotFound => "Not found",
        _ => "Something went wrong",
    };
    let passing = matches!(
        error.kind,
        ErrorKind::Network
            | ErrorKind::Unavailable
            | ErrorKind::TooManyRequests
            | ErrorKind::RequestTimeout
    );
    view! {
        <section class="card refusal" data-status=error.kind.status()>
            <h1>{title}</h1>
            <p>{error.message}</p>
            {passing.then(|| view! {
                <p><button on:click=|_| { let _ = window().location().reload(); }>"Try again"</button></p>
            })}
            <p><a href="/applications">"Back to the applications"</a></p>
        </section>
    }
}

#[component]
fn SignOut() -> impl IntoView {
    let sign_out = move |_| {
        leptos::task::spawn_local(async {
            let no_body = serde_json::json!({});
            let signed_out: Result<serde_json::Value, PanelError> =
                transport::post_json(&Connection::same_origin(), "/api/auth/logout", &no_body)
                    .await;
            if signed_out.is_ok() {
                go("/login");
            }
        });
    };
    view! { <button class="link" on:click=sign_out>"Sign out"</button> }
}
