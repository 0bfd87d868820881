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
