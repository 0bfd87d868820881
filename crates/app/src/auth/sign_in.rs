//! The sign-in page.

use leptos::{ev::SubmitEvent, html, prelude::*};
use leptos_router::hooks::use_query_map;

use shared::redirect::{after_sign_in, local_path};

use super::Login;

/// Words for the error kinds the server's form handler (`POST /login`) sends back.
fn form_error(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "unauthenticated" => "wrong email or password",
        "too_many_requests" => "too many failed sign-in attempts; wait a few minutes and try again",
        "bad_request" => "the email or password is not valid",
        "unavailable" => "the service is busy; try again in a moment",
        "" => return None,
        _ => "sign-in failed; try again",
    })
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let email = NodeRef::<html::Input>::new();
    let password = NodeRef::<html::Input>::new();
    let query = use_query_map();

    // A full load, not the router's: the next page may be the candidate's
    // interview page, which is a wasm of its own rather than a route of this app.
    Effect::new(move |_| {
        if let Some(Ok(_user)) = login.value().get() {
            let next = after_sign_in(query.read_untracked().get("next").as_deref());
            let _ = window().location().assign(&next);
        }
    });
    // Carried through the form when it is posted without the wasm.
    let next = move || {
        query
            .read()
            .get("next")
            .filter(|next| local_path(next).is_some())
    };

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let (Some(email), Some(password)) = (email.get(), password.get()) else {
            return;
        };
        login.dispatch(Login {
            email: email.value(),
            password: password.value(),
        });
    };

    let error = move || {
        let message = match login.value().get() {
            Some(Err(error)) => Some(error.to_string()),
            Some(Ok(_)) => None,
            None => query
                .read()
                .get("error")
                .as_deref()
                .and_then(form_error)
                .map(str::to_string),
        };
        message.map(|message| view! { <p class="form-error" role="alert">{message}</p> })
    };

    view! {
        <section class="card sign-in">
            <h1>"Sign in"</h1>
            <p class="muted">"Interview monitoring for candidates, recruiters and admins."</p>
            // Posts to the server's form handler until the wasm takes over, so a
            // password never ends up in a URL.
            <form method="post" action="/login" on:submit=on_submit>
                {move || next().map(|next| view! { <input type="hidden" name="next" value=next/> })}
                <label>"Email"
                    <input type="email" name="email" autocomplete="username" required node_ref=email/>
                </label>
                <label>"Password"
                    <input type="password" name="password" autocomplete="current-password" required node_ref=password/>
                </label>
                {error}
                <button type="submit" disabled=move || login.pending().get()>
                    {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::form_error;

    #[test]
    fn only_known_error_kinds_are_shown_in_words_of_ours() {
        assert_eq!(
            form_error("unauthenticated"),
            Some("wrong email or password")
        );
        assert_eq!(
            form_error("call 555-0100 to unlock your account"),
            Some("sign-in failed; try again")
        );
        assert_eq!(form_error(""), None);
    }
}
