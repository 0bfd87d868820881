use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn each_role_lists_the_applications_it_may_see() {
    let app = spawn_app().await;
    app.organization("acme").await;
    app.organization("globex").await;
    let recruiter = app.user("recruiter", Some("acme")).await;
    let candidate = app.user("candidate", None).await;
    let other_candidate = app.user("candidate", None).await;
    let admin = app.user("admin", None).await;
    let acme_job =
        server::cli::create_application(&app.db, "acme", &candidate.email, "Rust Engineer")
            .await
            .unwrap();
    let globex_job =
        server::cli::create_application(&app.db, "globex", &candidate.email, "Go Engineer")
            .await
            .unwrap();
    server::cli::create_application(&app.db, "acme", &other_candidate.email, "Designer")
        .await
        .unwrap();

    let ids = |body: serde_json::Value| -> Vec<String> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_string())
            .collect()
    };
    let list = || async {
        app.post_json("/api/applications", &json!({}))
            .await
            .json::<serde_json::Value>()
            .await
            .unwrap()
    };

    app.login_as(&candidate).await;
    let mine = ids(list().await);
    assert_eq!(mine.len(), 2);
    assert!(mine.contains(&acme_job.to_string()) && mine.contains(&globex_job.to_string()));

    app.login_as(&recruiter).await;
    let body = list().await;
    assert_eq!(
        ids(body.clone()).len(),
        2,
        "both acme applications, not globex's"
    );
    assert!(!ids(body.clone()).contains(&globex_job.to_string()));
    assert_eq!(body[0]["organizationName"], "Org acme");

    app.login_as(&admin).await;
    assert_eq!(ids(list().await).len(), 3);
}

#[tokio::test]
async fn the_sign_in_page_is_server_rendered_and_unknown_pages_are_404() {
    let app = spawn_app().await;
    let page = reqwest::get(app.url("/login")).await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Sign in") && html.contains("type=\"password\""));

    let missing = reqwest::get(app.url("/no/such/page")).await.unwrap();
    assert_eq!(missing.status(), 404);
}

/// Every page, as every role and signed out, and pages that do not exist:
/// each server function they run finds the services (`services()` counts
/// every time it does not, in `/metrics`). A server process of its own, so the
/// count is this walk's alone.
#[tokio::test]
async fn every_page_finds_its_services_whoever_asks() {
    let (mut server, application) = crate::helpers::ServerProcess::prepare_interview().await;
    server.cli(
        &[
            "user",
            "create",
            "--email",
            "a@example.test",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("admin-pass"),
    );
    server.serve().await;
    let address = server.address.clone();
    let pages = [
        "/".to_string(),
        "/login".into(),
        "/applications".into(),
        format!("/applications/{application}/interview"),
        format!("/applications/{application}/review"),
        format!("/applications/{application}/review?at=now"),
        "/search".into(),
        "/search?unreviewed=true&level=major&from=2026-01-01".into(),
        "/live".into(),
        "/audit".into(),
        "/admin/keys".into(),
        "/admin/webhooks".into(),
        "/no/such/page".into(),
        "/applications/not-an-id/review".into(),
        "/capture/no-such-token".into(),
    ];
    let missing = || async {
        let metrics = reqwest::get(format!("{address}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        metrics
            .lines()
            .find(|line| line.starts_with("interview_monitor_services_missing_total"))
            .map(str::to_string)
    };
    for (who, account) in [
        ("signed out", None),
        ("candidate", Some(("c@example.test", "candidate-pass"))),
        ("recruiter", Some(("r@example.test", "recruiter-pass"))),
        ("admin", Some(("a@example.test", "admin-pass"))),
    ] {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        if let Some((email, password)) = account {
            let login = client
                .post(format!("{address}/api/auth/login"))
                .json(&json!({"email": email, "password": password}))
                .send()
                .await
                .unwrap();
            assert_eq!(login.status(), 200, "{who} signs in");
        }
        for page in &pages {
            // 503 is the server saying it is overloaded (a database connection
            // not free within its wait, on a CI machine running every other
            // test at once), not a fault of the page: it is asked again, a few
            // times, and what the server logged is shown.
            let mut status = reqwest::StatusCode::SERVICE_UNAVAILABLE;
            for attempt in 1..=3 {
                status = client
                    .get(format!("{address}{page}"))
                    .send()
                    .await
                    .unwrap()
                    .status();
                if status != reqwest::StatusCode::SERVICE_UNAVAILABLE {
                    break;
                }
                eprintln!(
                    "{who} {page}: 503 on attempt {attempt}\n{}",
                    server.log_tail(10)
                );
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
            assert!(
                status.as_u16() < 500,
                "{who} {page}: {status}\n{}",
                server.log_tail(40)
            );
            assert_eq!(
                missing().await,
                None,
                "{who} {page}: a server function ran without its services\n{}",
                server.log_tail(40)
            );
        }
    }
    // Work a page left running after its answer (a resource of a discarded
    // render) would show up a little later.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        missing().await,
        None,
        "a server function ran late without its services"
    );
}

/// A page that loads a resource while it renders (the applications list)
/// renders many at once on a runtime of several threads, each answer whole.
/// (Browser-only values, dropped on another thread than the one that made
/// them, once panicked and cut the answer off.) Other instances start in the
/// same process meanwhile: each start once found the app's routes again, and a
/// page whose resource was first polled then never answered.
/// On the server's own runtime (its workers' stack size), with four workers.
#[test]
fn pages_render_whole_on_many_threads() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .thread_stack_size(server::startup::WORKER_STACK_BYTES)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(pages_render_whole())
}

async fn pages_render_whole() {
    use std::sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    };
    // A value dropped on another thread panics inside the server's runtime,
    // where the test sees only the panic: count those.
    let dropped_elsewhere = Arc::new(AtomicUsize::new(0));
    let counted = dropped_elsewhere.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.to_string().contains("SendWrapper") {
            counted.fetch_add(1, Ordering::SeqCst);
        }
        previous(info);
    }));
    let i = crate::helpers::interview().await;
    let cookie = i.app.session_cookie_of(&i.candidate).await;
    let url = i.app.url("/applications");
    // A page that never finishes fails the test (named), not the whole run.
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("client");
    let pages = (0..128).map(|_| {
        let (client, url, cookie) = (client.clone(), url.clone(), cookie.clone());
        tokio::spawn(async move {
            let response = client.get(url).header("cookie", cookie).send().await?;
            let status = response.status();
            let html = response.text().await?;
            Ok::<_, reqwest::Error>((status, html))
        })
    });
    // Other instances start in this process while the pages render, as other
    // tests' servers do: an instance's start made leptos hold every resource
    // first polled meanwhile, in any server of the process, for good.
    let pages: Vec<_> = pages.collect();
    for _ in 0..6 {
        drop(crate::helpers::spawn_instance_of(&i.app, &[]).await);
    }
    for page in futures::future::join_all(pages).await {
        let (status, html) = page
            .expect("task")
            .expect("a whole answer within 60 s (a stalled render never ends its stream)");
        assert_eq!(status, 200);
        assert!(
            html.contains("</html>"),
            "cut off: …{}",
            &html[html.len().saturating_sub(80)..]
        );
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        dropped_elsewhere.load(Ordering::SeqCst),
        0,
        "a browser-only value was dropped on another thread of the server"
    );
}

/// The candidate's interview page is the document of its own wasm: named with
/// a version of their content, its inline start allowed by the nonce in the
/// page's policy and nothing else, revalidated on every visit. A signed-out
/// visitor goes to sign-in and back; an address with no application id in it
/// is 404 (whether the application is the caller's to open is the page's
/// API calls' to say).
#[tokio::test]
async fn the_interview_page_loads_its_own_wasm_under_its_nonce() {
    let i = crate::helpers::interview().await;
    let cookie = i.app.session_cookie_of(&i.candidate).await;
    let path = format!("/applications/{}/interview", i.application);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(i.app.url(&path))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let html = page.text().await.unwrap();
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    assert!(
        html.contains(&format!(
            "<script type=\"module\" nonce=\"{nonce}\">import('/pkg/candidate.js?v="
        )),
        "{html}"
    );
    assert!(html.contains("module_or_path: '/pkg/candidate_bg.wasm?v="));
    assert!(!html.contains("interview-monitor.js") && !html.contains("hydrate"));
    // A new nonce for each answer.
    let again = client
        .get(i.app.url(&path))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert!(!again.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains(nonce));

    let signed_out = client.get(i.app.url(&path)).send().await.unwrap();
    assert_eq!(signed_out.status(), 303);
    assert_eq!(
        signed_out.headers()["location"],
        format!("/login?next={path}").as_str()
    );
    for id in [
        "not-an-id".to_string(),
        "x".repeat(5_000),
        "%2F..%2F".into(),
    ] {
        let missing = client
            .get(i.app.url(&format!("/applications/{id}/interview")))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404, "{}", &id[..id.len().min(20)]);
        let html = missing.text().await.unwrap();
        assert!(html.contains("Not found") && !html.contains("<script"));
    }
}
