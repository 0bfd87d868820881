//! Webhook endpoints (`/api/integration/webhooks...`): an organization's
//! service key (or an admin) registers where its messages go, reads each
//! endpoint's delivery log, rotates its secret and asks for a redelivery.

use leptos::prelude::*;
use shared::webhooks::{Deliveries, NewWebhook, WebhookDone, WebhookList};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use shared::input::integration::{message_id as parse_message_id, uuid, webhook_events};

/// `POST /api/integration/webhooks` `{url, events?, organization?}` → `{id, url, secret}`
/// (the secret shown this once). `organization` (a slug) is for admins.
#[server(prefix = "/api", endpoint = "integration/webhooks", input = leptos::server_fn::codec::Json)]
pub async fn register_webhook(
    url: String,
    #[server(default)] events: Option<Vec<String>>,
    #[server(default)] organization: Option<String>,
) -> Result<NewWebhook, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    let events = webhook_events(events)?;
    crate::services::services()?
        .webhooks
        .register(
            &caller,
            url.trim(),
            events,
            organization.as_deref().map(str::trim),
        )
        .await
}

/// `POST /api/integration/webhooks/list` `{}` → `{webhooks: [{id, url, events, createdAt}]}`.
#[server(prefix = "/api", endpoint = "integration/webhooks/list", input = leptos::server_fn::codec::Json)]
pub async fn list_webhooks() -> Result<WebhookList, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    crate::services::services()?.webhooks.list(&caller).await
}

/// `POST /api/integration/webhooks/delete` `{id}` → `{success}`.
#[server(prefix = "/api", endpoint = "integration/webhooks/delete", input = leptos::server_fn::codec::Json)]
pub async fn delete_webhook(id: String) -> Result<WebhookDone, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    let id = uuid("webhook id", &id)?;
    crate::services::services()?
        .webhooks
        .delete(&caller, id)
        .await?;
    Ok(WebhookDone { success: true })
}

/// `POST /api/integration/webhooks/rotate` `{id}` → `{id, url, secret}`: the
/// new secret, shown once; messages carry both signatures for a day.
#[server(prefix = "/api", endpoint = "integration/webhooks/rotate", input = leptos::server_fn::codec::Json)]
pub async fn rotate_webhook(id: String) -> Result<NewWebhook, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    let id = uuid("webhook id", &id)?;
    crate::services::services()?
        .webhooks
        .rotate(&caller, id)
        .await
}

/// `POST /api/integration/webhooks/deliveries` `{id}` → `{deliveries: [...]}`, newest first.
#[server(prefix = "/api", endpoint = "integration/webhooks/deliveries", input = leptos::server_fn::codec::Json)]
pub async fn webhook_deliveries(id: String) -> Result<Deliveries, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    let id = uuid("webhook id", &id)?;
    crate::services::services()?
        .webhooks
        .deliveries(&caller, id)
        .await
}

/// `POST /api/integration/webhooks/redeliver` `{id, messageId}` → `{success}`.
#[server(prefix = "/api", endpoint = "integration/webhooks/redeliver", input = leptos::server_fn::codec::Json)]
pub async fn redeliver_webhook(
    id: String,
    #[server(rename = "messageId")] message_id: String,
) -> Result<WebhookDone, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    let id = uuid("webhook id", &id)?;
    let message = parse_message_id(&message_id)?;
    crate::services::services()?
        .webhooks
        .redeliver(&caller, id, &message)
        .await?;
    Ok(WebhookDone { success: true })
}

/// `/admin/webhooks`: every organization's endpoints, for admins; the same as
/// the API and the `webhook` commands.
#[component]
pub fn WebhooksPage() -> impl IntoView {
    use leptos_router::components::Redirect;
    let user = Resource::new(|| (), |_| crate::auth::me());
    // Made here, once, not in the component the Suspense renders: that one may
    // be rendered more than once on the server, and a resource made in a
    // discarded render would run without the request's context.
    let version = RwSignal::new(0u32);
    let endpoints = Resource::new(move || version.get(), |_| list_webhooks());
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || user.get().map(|user| match user {
                Ok(user) if user.role == shared::Role::Admin => view! { <Webhooks version endpoints/> }.into_any(),
                Ok(_) => view! { <crate::ui::refusal::Refusal error=AppError::Forbidden("only admins manage webhooks here; a platform uses its service key".into())/> }.into_any(),
                Err(AppError::Unauthenticated(_)) => view! { <Redirect path="/login?next=/admin/webhooks"/> }.into_any(),
                Err(error) => view! { <crate::ui::refusal::Refusal error/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Webhooks(
    version: RwSignal<u32>,
    endpoints: Resource<Result<WebhookList, AppError>>,
) -> impl IntoView {
    use leptos::{ev::SubmitEvent, task::spawn_local};
    let organization = RwSignal::new(String::new());
    let url = RwSignal::new(String::new());
    // A secret just made or rotated: shown once.
    let secret = RwSignal::new(None::<NewWebhook>);
    let error = RwSignal::new(None::<String>);
    // The endpoint whose deliveries are shown, and them.
    let log = RwSignal::new(None::<(uuid::Uuid, Deliveries)>);
    let report = move |result: Result<(), AppError>| match result {
        Ok(()) => version.update(|v| *v += 1),
        Err(e) => {
            error.try_set(Some(e.to_string()));
        }
    };
    let register = move |event: SubmitEvent| {
        event.prevent_default();
        error.set(None);
        secret.set(None);
        let (org, address) = (organization.get_untracked(), url.get_untracked());
        spawn_local(async move {
            let made = register_webhook(address, None, Some(org)).await;
            report(made.map(|made| {
                secret.try_set(Some(made));
            }));
        });
    };
    let rotate = move |id: uuid::Uuid| {
        error.set(None);
        spawn_local(async move {
            let made = rotate_webhook(id.to_string()).await;
            report(made.map(|made| {
                secret.try_set(Some(made));
            }));
        });
    };
    let delete = move |id: uuid::Uuid| {
        spawn_local(async move {
            report(delete_webhook(id.to_string()).await.map(|_| ()));
        });
    };
    let show_log = move |id: uuid::Uuid| {
        spawn_local(async move {
            report(webhook_deliveries(id.to_string()).await.map(|list| {
                log.try_set(Some((id, list)));
            }));
        });
    };
    view! {
        <section class="card webhooks">
            <h1>"Webhooks"</h1>
            <p class="muted">"Where an organization's hiring platform is told what happened: interviews started, ended and analysed, flags raised and reviewed, applications erased. Signed per Standard Webhooks; the secret is shown once."</p>
            <form class="new-webhook" on:submit=register>
                <label>"Organization (slug)" <input type="text" name="organization" required bind:value=organization/></label>
                <label>"Endpoint URL (https)" <input type="url" name="url" required maxlength="2000" bind:value=url/></label>
                <button type="submit">"Add an endpoint"</button>
            </form>
            {move || secret.get().map(|made| view! {
                <div class="new-key-shown" role="status">
                    <p>"The signing secret of " {made.url.clone()} ". Copy it now: it is not shown again."</p>
                    <input class="webhook-secret" readonly aria-label="Signing secret" value=made.secret.clone()/>
                </div>
            })}
            {move || error.get().map(|message| view! { <p class="notice error" role="alert">{message}</p> })}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || endpoints.get().map(|list| match list {
                    Ok(list) if list.webhooks.is_empty() => view! { <p class="muted">"No endpoints yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-scroll"><table class="webhooks">
                            <thead><tr><th>"Organization"</th><th>"URL"</th><th>"Events"</th><th>"Created"</th><th></th></tr></thead>
                            <tbody>
                                {list.webhooks.into_iter().map(|hook| {
                                    let id = hook.id;
                                    let events: Vec<&str> = hook.events.iter().map(|e| e.as_str()).collect();
                                    view! {
                                        <tr data-webhook-id=id.to_string()>
                                            <td>{hook.organization.clone()}</td>
                                            <td class="url">{hook.url.clone()}</td>
                                            <td>{events.join(", ")}</td>
                                            <td>{crate::ui::time::local(hook.created_at)}</td>
                                            <td class="actions">
                                                <button class="deliveries" on:click=move |_| show_log(id)>"Deliveries"</button>
                                                <button class="rotate" on:click=move |_| rotate(id)>"Rotate secret"</button>
                                                <button class="danger delete" on:click=move |_| delete(id)>"Delete"</button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any(),
                    Err(error) => view! { <p class="notice error" role="alert">{error.to_string()}</p> }.into_any(),
                })}
            </Transition>
            {move || log.get().map(|(id, list)| view! {
                <section class="delivery-log" aria-label="Deliveries">
                    <h2>"Deliveries of " {id.to_string()}</h2>
                    {if list.deliveries.is_empty() {
                        view! { <p class="muted">"Nothing sent yet."</p> }.into_any()
                    } else {
                        view! {
                            <div class="table-scroll"><table>
                                <thead><tr><th>"Message"</th><th>"Event"</th><th>"Status"</th><th>"Attempts"</th><th>"Last error"</th></tr></thead>
                                <tbody>
                                    {list.deliveries.into_iter().map(|d| view! {
                                        <tr data-status=d.status.as_str()>
                                            <td><code>{d.message_id.clone()}</code></td>
                                            <td>{d.event.as_str()}</td>
                                            <td>{d.status.as_str()}</td>
                                            <td>{d.attempts}</td>
                                            <td>{d.last_error.clone().unwrap_or_default()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        }.into_any()
                    }}
                </section>
            })}
        </section>
    }
}
