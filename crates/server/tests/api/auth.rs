use std::time::Duration;

use serde_json::json;

use crate::helpers::{error_body, new_client, spawn_app, spawn_app_with};

#[tokio::test]
async fn login_returns_the_user_and_me_knows_them() {
    let app = spawn_app().await;
    app.organization("acme").await;
    let user = app.user("recruiter", Some("acme")).await;

    let response = app.login(&user.email, &user.password).await;
    assert_eq!(response.status(), 200);
    let cookie = response
        .headers()
        .get("set-cookie")
        .expect("cookie")
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("im_session="));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "plain HTTP gets no Secure flag");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["email"], user.email.as_str());
    assert_eq!(body["role"], "recruiter");
    assert!(body["organizationId"].is_string());

    let me = app.me().await;
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me, body);
}

#[tokio::test]
async fn emails_are_matched_case_insensitively() {
    let app = spawn_app().await;
    let user = app.user("admin", None).await;
    let response = app.login(&user.email.to_uppercase(), &user.password).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["organizationId"], serde_json::Value::Null);
}

#[tokio::test]
async fn the_cookie_is_secure_and_host_bound_behind_a_trusted_https_proxy_only() {
    let login = |app: &crate::helpers::TestApp, user: &crate::helpers::TestUser| {
        app.client
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-proto", "https")
            .json(&json!({"email": user.email, "password": user.password}))
            .send()
    };
    let proxied = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1/32")]).await;
    let user = proxied.user("candidate", None).await;
    let response = login(&proxied, &user).await.unwrap();
    assert_eq!(response.status(), 200);
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.starts_with("__Host-im_session=")
            && cookie.contains("; Secure")
            && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(
        response
            .headers()
            .get("strict-transport-security")
            .is_some(),
        "HSTS over HTTPS"
    );

    // From a peer nobody trusts, the header is a claim, not a fact.
    let direct = spawn_app().await;
    let user = direct.user("candidate", None).await;
    let response = login(&direct, &user).await.unwrap();
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        cookie.starts_with("im_session=") && !cookie.contains("Secure"),
        "{cookie}"
    );
    assert!(response
        .headers()
        .get("strict-transport-security")
        .is_none());
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_401() {
    let app = spawn_app().await;
    let user = app.user("candidate", None).await;

    let wrong_password = app.login(&user.email, "not-the-password").await;
    assert_eq!(wrong_password.status(), 401);
    let wrong_password = error_body(wrong_password).await;
    let unknown_email = app.login("nobody@example.test", &user.password).await;
    assert_eq!(unknown_email.status(), 401);
    assert_eq!(error_body(unknown_email).await, wrong_password);
    assert_eq!(app.me().await.status(), 401);
}

#[tokio::test]
async fn calls_without_a_session_get_401() {
    let app = spawn_app().await;
    for path in ["/api/auth/me", "/api/applications"] {
        let response = app.post_json(path, &json!({})).await;
        assert_eq!(response.status(), 401, "{path}");
        assert_eq!(error_body(response).await["error"], "unauthenticated");
    }
    let forged = app
        .client
        .post(app.url("/api/auth/me"))
        .header("cookie", "im_session=forged-token")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    let user = app.user("candidate", None).await;
    let response = app.login(&user.email, &user.password).await;
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap();
    let token_pair = cookie.split(';').next().unwrap().to_string();

    let logout = app.post_json("/api/auth/logout", &json!({})).await;
    assert_eq!(logout.status(), 200);
    assert_eq!(logout.json::<serde_json::Value>().await.unwrap(), json!({}));
    assert_eq!(app.me().await.status(), 401);

    // The old cookie, replayed by another client, no longer works either.
    let replay = new_client()
        .post(app.url("/api/auth/me"))
        .header("cookie", token_pair)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);
}

#[tokio::test]
async fn sessions_expire() {
    let app = spawn_app_with(&[("SESSION_TTL_SECS", "1")]).await;
    let user = app.user("candidate", None).await;
    app.login_as(&user).await;
    assert_eq!(app.me().await.status(), 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(app.me().await.status(), 401);
}

#[tokio::test]
async fn repeated_failures_for_one_email_get_429_even_with_the_right_password() {
    let app = spawn_app().await;
    let user = app.user("candidate", None).await;
    for _ in 0..5 {
        assert_eq!(app.login(&user.email, "wrong-password").await.status(), 401);
    }
    let blocked = app.login(&user.email, &user.password).await;
    assert_eq!(blocked.status(), 429);
    assert_eq!(error_body(blocked).await["error"], "too_many_requests");

    // Another account is not locked by that email's failures.
    let other = app.user("candidate", None).await;
    assert_eq!(app.login(&other.email, &other.password).await.status(), 200);
}

#[tokio::test]
async fn repeated_failures_from_one_address_get_429() {
    let app = spawn_app().await;
    for i in 0..20 {
        let status = app
            .login(&format!("guess{i}@example.test"), "wrong-password")
            .await
            .status();
        assert_eq!(status, 401, "attempt {i}");
    }
    let user = app.user("candidate", None).await;
    assert_eq!(app.login(&user.email, &user.password).await.status(), 429);
}

#[tokio::test]
async fn malformed_login_bodies_are_400() {
    let app = spawn_app().await;
    let missing = app
        .post_json("/api/auth/login", &json!({"email": "a@b.c"}))
        .await;
    assert_eq!(missing.status(), 400);
    assert_eq!(error_body(missing).await["error"], "bad_request");

    let not_json = app
        .client
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
}
