//! The sign-in page.

use leptos::{ev::SubmitEvent, html, prelude::*};
use leptos_router::hooks::{use_navigate, use_query_map};

use super::Login;

/// Where to go after signing in: the `next` query parameter when it is a local
/// path (never another site), else the applications list.
fn next_path(next: Option<String>) -> String {
    next.filter(|path| path.starts_with('/') && !path.starts_with("//"))
        .unwrap_or_else(|| "/applications".to_string())
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let email = NodeRef::<html::Input>::new();
    let password = NodeRef::<html::Input>::new();
    let query = use_query_map();
    let navigate = use_navigate();

    Effect::new(move |_| {
        if let Some(Ok(_user)) = login.value().get() {
            let next = next_path(query.read_untracked().get("next"));
            navigate(&next, Default::default());
        }
    });

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let (Some(email), Some(password)) = (email.get(), password.get()) else { return };
        login.dispatch(Login { email: email.value(), password: password.value() });
    };

    let error = move || match login.value().get() {
        Some(Err(error)) => Some(view! { <p class="form-error" role="alert">{error.to_string()}</p> }),
        _ => None,
    };

    view! {
        <section class="card sign-in">
            <h1>"Sign in"</h1>
            <p class="muted">"Interview monitoring for candidates, recruiters and admins."</p>
            <form on:submit=on_submit>
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
    use super::next_path;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(next_path(Some("/applications/1".into())), "/applications/1");
        assert_eq!(next_path(Some("//evil.example".into())), "/applications");
        assert_eq!(next_path(Some("https://evil.example".into())), "/applications");
        assert_eq!(next_path(None), "/applications");
    }
}
