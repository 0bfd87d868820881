//! The admins' service keys: `/admin/keys` lists them (never the keys), makes
//! one for an organization (shown once) and revokes them. The same as the
//! `apikey` commands, without a shell on the server.

use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use leptos_router::components::Redirect;
use shared::{
    integration::{KeyRevoked, NewServiceKey, ServiceKeys},
    Role,
};

use crate::{auth::me, error::AppError};

/// `POST /api/integration/keys` `{}` → `{keys: [{name, organization, createdAt, lastUsedAt, revokedAt}]}` (admins).
#[server(prefix = "/api", endpoint = "integration/keys", input = leptos::server_fn::codec::Json)]
pub async fn list_service_keys() -> Result<ServiceKeys, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    crate::services::services()?
        .provisioning
        .keys(&caller)
        .await
}

/// `POST /api/integration/keys/create` `{organization, name}` → `{name, organization, key}` (admins).
#[server(prefix = "/api", endpoint = "integration/keys/create", input = leptos::server_fn::codec::Json)]
pub async fn create_service_key(
    organization: String,
    name: String,
) -> Result<NewServiceKey, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    crate::services::services()?
        .provisioning
        .create_key(&caller, organization.trim(), name.trim())
        .await
}

/// `POST /api/integration/keys/revoke` `{name}` → `{success}` (admins).
#[server(prefix = "/api", endpoint = "integration/keys/revoke", input = leptos::server_fn::codec::Json)]
pub async fn revoke_service_key(name: String) -> Result<KeyRevoked, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    crate::services::services()?
        .provisioning
        .revoke_key(&caller, name.trim())
        .await?;
    Ok(KeyRevoked { success: true })
}

#[component]
pub fn KeysPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| me());
    // Made here, once, not in the component the Suspense renders: that one may
    // be rendered more than once on the server, and a resource made in a
    // discarded render would run without the request's context.
    let version = RwSignal::new(0u32);
    let keys = Resource::new(move || version.get(), |_| list_service_keys());
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || user.get().map(|user| match user {
                Ok(user) if user.role == Role::Admin => view! { <Keys version keys/> }.into_any(),
                Ok(_) => view! { <crate::ui::refusal::Refusal error=AppError::Forbidden("only admins manage service keys".into())/> }.into_any(),
                Err(AppError::Unauthenticated(_)) => view! { <Redirect path="/login?next=/admin/keys"/> }.into_any(),
                Err(error) => view! { <crate::ui::refusal::Refusal error/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Keys(version: RwSignal<u32>, keys: Resource<Result<ServiceKeys, AppError>>) -> impl IntoView {
    let organization = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let made = RwSignal::new(None::<NewServiceKey>);
    let error = RwSignal::new(None::<String>);
    let create = move |event: SubmitEvent| {
        event.prevent_default();
        error.set(None);
        made.set(None);
        let (org, key_name) = (organization.get_untracked(), name.get_untracked());
        spawn_local(async move {
            match create_service_key(org, key_name).await {
                Ok(key) => {
                    made.try_set(Some(key));
                    version.update(|v| *v += 1);
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
        });
    };
    let revoke = move |key_name: String| {
        spawn_local(async move {
            match revoke_service_key(key_name).await {
                Ok(_) => version.update(|v| *v += 1),
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
        });
    };
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map(crate::ui::time::local).unwrap_or_else(|| "—".into())
    };
    view! {
        <section class="card keys">
            <h1>"Service keys"</h1>
            <p class="muted">"A key lets a hiring platform's server create interviews and capture links in one organization, and read what was recorded there. It is shown once; only its hash is kept."</p>
            <form class="new-key" on:submit=create>
                <label>"Organization (slug)" <input type="text" name="organization" required bind:value=organization/></label>
                <label>"Key name" <input type="text" name="name" required maxlength="63" bind:value=name/></label>
                <button type="submit">"Create a key"</button>
            </form>
            {move || made.get().map(|key| view! {
                <div class="new-key-shown" role="status">
                    <p>"The key " <strong>{key.name.clone()}</strong> " for " {key.organization.clone()} ". Copy it now: it is not shown again."</p>
                    <input class="service-key" readonly value=key.key.clone()/>
                </div>
            })}
            {move || error.get().map(|message| view! { <p class="notice error" role="alert">{message}</p> })}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || keys.get().map(|list| match list {
                    Ok(list) if list.keys.is_empty() => view! { <p class="muted">"No keys yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-scroll"><table class="keys">
                            <thead><tr><th>"Name"</th><th>"Organization"</th><th>"Created"</th><th>"Last used"</th><th>"Revoked"</th><th></th></tr></thead>
                            <tbody>
                                {list.keys.into_iter().map(|key| {
                                    let revoked = key.revoked_at.is_some();
                                    let key_name = key.name.clone();
                                    view! {
                                        <tr data-key-name=key.name.clone()>
                                            <td>{key.name.clone()}</td>
                                            <td>{key.organization.clone()}</td>
                                            <td>{when(Some(key.created_at))}</td>
                                            <td class="last-used">{when(key.last_used_at)}</td>
                                            <td class="revoked">{when(key.revoked_at)}</td>
                                            <td>{(!revoked).then(|| {
                                                let key_name = key_name.clone();
                                                view! { <button class="danger revoke" on:click=move |_| revoke(key_name.clone())>"Revoke"</button> }
                                            })}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any(),
                    Err(error) => view! { <p class="notice error" role="alert">{error.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}
