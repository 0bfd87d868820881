//! The server under hostile and unlucky requests: each test is one row of the
//! hardening issue's table, with the behaviour it must have now.

use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::{
    base64, error_body, host_of, interview, interview_with, jpeg, new_client, spawn_app,
    spawn_app_with, spawn_instance_of, status_of, ServerProcess,
};

#[tokio::test]
async fn capture_times_before_the_application_or_ahead_of_the_clock_are_refused() {
    let i = interview().await;
    i.app.login_as(&i.candidate).await;
    let upload = |at: String| {
        let app = &i.app;
        let application = i.application.clone();
        async move {
            app.post_json(
                "/api/monitoring/upload",
                &json!({"applicationId": application, "imageType": "camera", "imageData": base64(&jpeg(900, 1)), "capturedAt": at}),
            )
            .await
        }
    };
    let in_ten_minutes = (chrono::Utc::now() + chrono::Duration::minutes(10)).to_rfc3339();
    for at in [
        "1960-01-01T00:00:00Z",
        "1970-01-01T00:00:00Z",
        "2001-01-01T00:00:00Z",
        "-0001-01-01T00:00:00Z",
        in_ten_minutes.as_str(),
    ] {
        let response = upload(at.to_string()).await;
        assert_eq!(response.status(), 400, "capturedAt {at}");
        assert_eq!(error_body(response).await["error"], "bad_request");
    }
    // The application stays reviewable and deletable: nothing was stored.
    let list = i.app.images(&i.application).await;
    assert_eq!(list.status(), 200);
    assert_eq!(i.app.count_image_rows().await, 0);

    // Now (a clock a little ahead included) is fine.
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    assert_eq!(upload(soon).await.status(), 200);
    let list: Value = i.app.images(&i.application).await.json().await.unwrap();
    assert_eq!(list["camera"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_capture_that_waited_in_a_queue_is_accepted_and_shown_as_received_late() {
    let i = interview().await;
    i.app.login_as(&i.candidate).await;
    i.app
        .set_application_created(
            &i.application,
            &(chrono::Utc::now() - chrono::Duration::days(4)).to_rfc3339(),
        )
        .await;
    let three_days_ago = chrono::Utc::now() - chrono::Duration::days(3);
    let at = shared::monitoring::millis::format(&three_days_ago);
    let response = i
        .app
        .post_json(
            "/api/monitoring/upload",
            &json!({"applicationId": i.application, "imageType": "screen", "imageData": base64(&jpeg(900, 2)), "capturedAt": at}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let list: Value = i.app.images(&i.application).await.json().await.unwrap();
    let image = &list["screen"][0];
    assert_eq!(image["timestamp"], at.as_str());
    let stored = chrono::DateTime::parse_from_rfc3339(image["storedAt"].as_str().unwrap()).unwrap();
    assert!(
        stored.with_timezone(&chrono::Utc) - three_days_ago > chrono::Duration::days(2),
        "storedAt is when it arrived"
    );
}

/// Opens `count` binary uploads that declare 100,000 bytes and send 2.
async fn stalled_uploads(
    address: &str,
    cookie: &str,
    application: &str,
    count: usize,
) -> Vec<TcpStream> {
    let mut streams = Vec::new();
    for _ in 0..count {
        let mut stream = TcpStream::connect(host_of(address)).await.unwrap();
        let head = format!(
            "POST /api/monitoring/upload-binary?applicationId={application}&imageType=camera HTTP/1.1\r\nHost: {}\r\n\
             Cookie: {cookie}\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n\u{FF}\u{D8}",
            host_of(address)
        );
        // Two body bytes (the JPEG's first marker), then nothing more.
        let mut bytes = head.into_bytes();
        bytes.truncate(bytes.len() - 4);
        bytes.extend([0xFF, 0xD8]);
        stream.write_all(&bytes).await.unwrap();
        streams.push(stream);
    }
    streams
}

#[tokio::test]
async fn one_user_stalling_forty_uploads_does_not_hold_up_anyone_else() {
    let i = interview().await;
    let cookie = i.app.session_cookie_of(&i.candidate).await;
    let mut stalled = stalled_uploads(&i.app.address, &cookie, &i.application, 40).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Everyone else: an honest upload goes straight through.
    i.app.login_as(&i.recruiter).await;
    let started = Instant::now();
    let honest = i
        .app
        .upload_binary(&i.application, "camera", jpeg(4000, 3))
        .await;
    assert_eq!(honest.status(), 200);
    let latency = started.elapsed();
    assert!(
        latency < Duration::from_secs(5),
        "an honest upload took {latency:?}"
    );
    println!("honest upload latency while another user stalls 40 bodies: {latency:?}");

    // The staller got 429 for everything beyond their share, at once...
    let mut refused = 0;
    for stream in stalled.iter_mut() {
        if status_of(stream, Duration::from_millis(200)).await == Some(429) {
            refused += 1;
        }
    }
    assert!(
        refused >= 32,
        "only {refused} of 40 stalled uploads were refused at once (a user's share is 8)"
    );
    // ...and the bodies that stopped arriving are cut off with 408.
    let mut timed_out = 0;
    for stream in stalled.iter_mut() {
        if status_of(stream, Duration::from_secs(15)).await == Some(408) {
            timed_out += 1;
        }
    }
    assert!(timed_out >= 1, "stalled bodies are answered 408");
    assert_eq!(i.app.count_image_rows().await, 1);
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let app = spawn_app().await;
    let mut stream = TcpStream::connect(host_of(&app.address)).await.unwrap();
    stream
        .write_all(b"POST /api/auth/me HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 256];
    let outcome = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buffer)).await;
    assert!(
        outcome.is_ok(),
        "the connection is closed (or answered) within the header timeout"
    );
    assert!(started.elapsed() >= Duration::from_secs(5));
}

#[tokio::test]
async fn a_json_body_that_stops_arriving_gets_408() {
    let app = spawn_app().await;
    let mut stream = TcpStream::connect(host_of(&app.address)).await.unwrap();
    let head = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"email\":",
        host_of(&app.address)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    assert_eq!(
        status_of(&mut stream, Duration::from_secs(20)).await,
        Some(408)
    );
}

#[tokio::test]
async fn eight_copies_of_one_capture_at_once_store_one_readable_image() {
    let i = interview().await;
    i.app.login_as(&i.candidate).await;
    let capture = uuid::Uuid::new_v4();
    let at = shared::monitoring::millis::format(&chrono::Utc::now());
    let image = jpeg(30_000, 7);
    let capture = capture.to_string();
    let copies = (0..8).map(|_| {
        i.app.upload_capture(
            &i.application,
            "camera",
            Some(&at),
            Some(&capture),
            image.clone(),
        )
    });
    let mut keys = Vec::new();
    for response in join_all(copies).await {
        assert_eq!(response.status(), 200);
        keys.push(
            response.json::<Value>().await.unwrap()["s3Key"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    keys.dedup();
    assert_eq!(keys.len(), 1, "every answer names the same key");
    assert_eq!(i.app.count_image_rows().await, 1);
    assert!(
        i.app.object_exists(&keys[0]).await,
        "the object was not removed by a losing copy"
    );
    let url: Value = i.app.signed_url(&keys[0]).await.json().await.unwrap();
    let fetched = i.app.fetch(url["url"].as_str().unwrap()).await;
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), image);

    // The same capture id with other bytes is a conflict, and changes nothing.
    let other = i
        .app
        .upload_capture(
            &i.application,
            "camera",
            Some(&at),
            Some(&capture),
            jpeg(30_000, 8),
        )
        .await;
    assert_eq!(other.status(), 409);
    let fetched = i.app.fetch(url["url"].as_str().unwrap()).await;
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), image);
}

#[tokio::test]
async fn the_per_minute_upload_limit_holds_under_thirty_at_once() {
    // Below the 8 upload slots a client may hold, so the limit is what stops them.
    let i = interview_with(&[("UPLOADS_PER_MINUTE", "5")]).await;
    i.app.login_as(&i.candidate).await;
    let images: Vec<Vec<u8>> = (0..30u8).map(|n| jpeg(900, n)).collect();
    let uploads = images
        .iter()
        .map(|image| i.app.upload_base64(&i.application, "camera", image));
    let statuses: Vec<u16> = join_all(uploads)
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect();
    let stored = i.app.count_image_rows().await;
    assert_eq!(stored, 5, "exactly the limit is stored, however they race");
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count() as u64,
        stored
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn two_instances_share_one_upload_limit() {
    // 20 a minute: each instance leases 2 at a time from the database.
    let i = interview_with(&[("UPLOADS_PER_MINUTE", "20")]).await;
    let b = spawn_instance_of(&i.app, &[("UPLOADS_PER_MINUTE", "20")]).await;
    i.app.login_as(&i.candidate).await;
    b.login_as(&i.candidate).await;
    for n in 0..15u8 {
        assert_eq!(
            i.app
                .upload_binary(&i.application, "screen", jpeg(900, n))
                .await
                .status(),
            200,
            "upload {n} on A"
        );
    }
    // A leased 16 of the 20 and holds one; B gets the last 4.
    let mut on_b = 0;
    for n in 15..30u8 {
        match b
            .upload_binary(&i.application, "screen", jpeg(900, n))
            .await
            .status()
            .as_u16()
        {
            200 => on_b += 1,
            429 => break,
            other => panic!("upload {n} on B answered {other}"),
        }
    }
    assert_eq!(on_b, 4, "B stores what A has not leased");
    assert_eq!(
        i.app
            .upload_binary(&i.application, "screen", jpeg(900, 40))
            .await
            .status(),
        200,
        "A spends the one it holds"
    );
    assert_eq!(
        i.app
            .upload_binary(&i.application, "screen", jpeg(900, 41))
            .await
            .status(),
        429
    );
    assert_eq!(
        i.app.count_image_rows().await,
        20,
        "exactly the limit, across both instances"
    );
}

#[tokio::test]
async fn sign_in_attempts_at_once_cannot_pass_the_throttle() {
    let app = spawn_app().await;
    let user = app.user("candidate", None).await;
    let attempts = (0..60).map(|_| {
        new_client()
            .post(app.url("/api/auth/login"))
            .json(&json!({"email": user.email, "password": "wrong"}))
            .send()
    });
    let statuses: Vec<u16> = join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(
        checked, 5,
        "exactly 5 wrong passwords were checked, however they raced"
    );
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert_eq!(
        app.login(&user.email, &user.password).await.status(),
        429,
        "locked after five failures"
    );
}

#[tokio::test]
async fn credentials_no_account_can_have_are_400() {
    let app = spawn_app().await;
    let long_email = format!("{}@example.test", "a".repeat(5000));
    let response = app.login(&long_email, "password").await;
    assert_eq!(response.status(), 400);
    let response = app.login("someone@example.test", &"p".repeat(2000)).await;
    assert_eq!(response.status(), 400);
    let err = server::cli::create_user(
        &app.db,
        &long_email,
        "candidate",
        None,
        "long enough".into(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("not an email address"), "{err}");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_failures() {
    let app = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.0/8")]).await;
    for n in 0..20 {
        assert_eq!(
            app.login_forwarded(
                "198.51.100.1",
                &format!("guess{n}@example.test"),
                "wrong-password"
            )
            .await
            .status(),
            401
        );
    }
    assert_eq!(
        app.login_forwarded("198.51.100.1", "one-more@example.test", "wrong-password")
            .await
            .status(),
        429
    );
    // Someone else behind the same proxy is not locked out.
    let user = app.user("candidate", None).await;
    assert_eq!(
        app.login_forwarded("203.0.113.50", &user.email, &user.password)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_does_not_reset_the_throttle() {
    let app = spawn_app().await;
    for n in 0..20 {
        let response = app
            .login_forwarded(
                &format!("192.0.2.{n}"),
                &format!("guess{n}@example.test"),
                "wrong-password",
            )
            .await;
        assert_eq!(response.status(), 401);
    }
    let response = app
        .login_forwarded("192.0.2.200", "another@example.test", "wrong-password")
        .await;
    assert_eq!(response.status(), 429, "the spoofed header changed nothing");
}

#[tokio::test]
async fn cross_site_and_non_json_requests_are_refused() {
    let i = interview().await;
    i.app.login_as(&i.candidate).await;
    let me = |origin: Option<&str>, site: Option<&str>, content_type: &str, body: &str| {
        let mut request = i
            .app
            .client
            .post(i.app.url("/api/auth/me"))
            .header("content-type", content_type)
            .body(body.to_string());
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(site) = site {
            request = request.header("sec-fetch-site", site);
        }
        request.send()
    };
    let own = i.app.address.clone();
    assert_eq!(
        me(None, None, "application/json", "{}")
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        me(Some(&own), Some("same-origin"), "application/json", "{}")
            .await
            .unwrap()
            .status(),
        200
    );
    let evil = me(Some("https://evil.example"), None, "application/json", "{}")
        .await
        .unwrap();
    assert_eq!(evil.status(), 403);
    assert_eq!(error_body(evil).await["error"], "forbidden");
    assert_eq!(
        me(None, Some("cross-site"), "application/json", "{}")
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        me(Some("null"), None, "application/json", "{}")
            .await
            .unwrap()
            .status(),
        403
    );
    // What a cross-site form can send, even without Origin.
    let plain = me(None, None, "text/plain", "{}").await.unwrap();
    assert_eq!(plain.status(), 415);
    assert_eq!(error_body(plain).await["error"], "unsupported_media_type");
    assert_eq!(
        me(None, None, "application/x-www-form-urlencoded", "a=b")
            .await
            .unwrap()
            .status(),
        415
    );
    // JSON that is not an object.
    let array = me(None, None, "application/json", "[]").await.unwrap();
    assert_eq!(array.status(), 400);
    assert_eq!(error_body(array).await["error"], "bad_request");
    // A cross-site upload with the candidate's cookie stores nothing.
    let upload = i
        .app
        .client
        .post(i.app.url(&format!(
            "/api/monitoring/upload-binary?applicationId={}&imageType=camera",
            i.application
        )))
        .header("origin", "https://evil.example")
        .header("content-type", "image/jpeg")
        .body(jpeg(900, 1))
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 403);
    let wrong_type = i
        .app
        .client
        .post(i.app.url(&format!(
            "/api/monitoring/upload-binary?applicationId={}&imageType=camera",
            i.application
        )))
        .header("content-type", "text/plain")
        .body(jpeg(900, 1))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 415);
    assert_eq!(i.app.count_image_rows().await, 0);
}

#[tokio::test]
async fn the_public_url_is_our_origin_behind_a_proxy() {
    let app = spawn_app_with(&[("PUBLIC_URL", "https://monitor.example.com")]).await;
    let send = |origin: &'static str| {
        new_client()
            .post(app.url("/api/auth/me"))
            .header("origin", origin)
            .json(&json!({}))
            .send()
    };
    assert_eq!(
        send("https://monitor.example.com").await.unwrap().status(),
        401,
        "passes the check; not signed in"
    );
    assert_eq!(
        send(Box::leak(app.address.clone().into_boxed_str()))
            .await
            .unwrap()
            .status(),
        403
    );
}

#[tokio::test]
async fn oversized_bodies_get_a_json_413() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/json")
        .body(format!("{{\"email\":\"{}\"}}", "a".repeat(70 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(error_body(response).await["error"], "payload_too_large");
    // signed-urls takes the 1,000 keys it allows.
    let keys: Vec<String> = (0..1000)
        .map(|_| {
            format!(
                "monitoring/{}/camera/1764063000123-{}.jpg",
                uuid::Uuid::new_v4(),
                uuid::Uuid::new_v4()
            )
        })
        .collect();
    let response = app
        .post_json("/api/monitoring/signed-urls", &json!({"s3Keys": keys}))
        .await;
    assert_eq!(
        response.status(),
        401,
        "read whole, then refused for want of a session"
    );
}

#[tokio::test]
async fn pages_and_answers_carry_security_headers() {
    let app = spawn_app().await;
    let page = app.client.get(app.url("/login")).send().await.unwrap();
    let headers = page.headers().clone();
    let csp = headers
        .get("content-security-policy")
        .expect("a CSP")
        .to_str()
        .unwrap()
        .to_string();
    let html = page.text().await.unwrap();
    assert!(
        csp.contains("default-src 'self'")
            && csp.contains("'wasm-unsafe-eval'")
            && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the page's scripts carry the policy's nonce"
    );
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(headers["permissions-policy"]
        .to_str()
        .unwrap()
        .contains("camera=(self)"));
    assert!(
        headers.get("x-interview-monitor-csp-nonce").is_none(),
        "the internal header is removed"
    );
    assert!(
        headers.get("strict-transport-security").is_none(),
        "no HSTS over plain HTTP"
    );

    // The sign-in form posts, so a submit before the wasm loads sends no password in a URL.
    assert!(
        html.contains("method=\"post\"") && html.contains("action=\"/login\""),
        "{html}"
    );

    let api = app.post_json("/api/auth/me", &json!({})).await;
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
    assert!(api.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    let media = app
        .client
        .get(app.url("/media/monitoring/x.jpg?expires=abc&sig=00"))
        .send()
        .await
        .unwrap();
    assert_eq!(media.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn a_changed_or_malformed_media_link_is_403() {
    let app = spawn_app().await;
    for query in [
        "expires=abc&sig=00",
        "expires=99999999999999999999&sig=zz",
        "sig=00",
        "",
    ] {
        let response = app
            .client
            .get(app.url(&format!("/media/monitoring/x/camera/1-y.jpg?{query}")))
            .send()
            .await
            .unwrap();
        if crate::helpers::using_s3() {
            assert_eq!(response.status(), 404, "no /media with S3");
        } else {
            assert_eq!(response.status(), 403, "{query}");
        }
    }
}

#[tokio::test]
async fn the_sign_in_form_works_without_javascript_and_only_redirects_home() {
    let app = spawn_app().await;
    let user = app.user("candidate", None).await;
    let form = |next: &str, password: &str| {
        new_client()
            .post(app.url("/login"))
            .form(&[
                ("email", user.email.as_str()),
                ("password", password),
                ("next", next),
            ])
            .send()
    };
    let ok = form("/applications/x/interview", &user.password)
        .await
        .unwrap();
    assert_eq!(ok.status(), 303);
    assert_eq!(ok.headers()["location"], "/applications/x/interview");
    assert!(ok.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .starts_with("im_session="));

    for evil in [
        "//evil.example",
        "/\\evil.example/x",
        "/\t/evil.example",
        "https://evil.example",
        "/\n/x",
        "javascript:alert(1)",
    ] {
        let response = form(evil, &user.password).await.unwrap();
        assert_eq!(
            response.headers()["location"],
            "/applications",
            "next={evil:?}"
        );
    }
    let wrong = form("/applications", "wrong-password").await.unwrap();
    assert_eq!(wrong.status(), 303);
    let location = wrong.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("/login?error=unauthenticated"),
        "{location}"
    );
    assert!(wrong.headers().get("set-cookie").is_none());
    // The form is refused from another site like any other POST.
    let cross = new_client()
        .post(app.url("/login"))
        .header("origin", "https://evil.example")
        .form(&[
            ("email", user.email.as_str()),
            ("password", user.password.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
}

#[tokio::test]
async fn a_sign_in_rotates_the_session() {
    let app = spawn_app().await;
    let user = app.user("candidate", None).await;
    let first = app.session_cookie_of(&user).await;
    let second = app
        .client
        .post(app.url("/api/auth/login"))
        .header("cookie", first.clone())
        .json(&json!({"email": user.email, "password": user.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 200);
    let second = second.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert_ne!(first, second);
    let old = new_client()
        .post(app.url("/api/auth/me"))
        .header("cookie", first)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401, "the session signed in over is gone");
}

#[tokio::test]
async fn times_in_listings_have_milliseconds() {
    let i = interview().await;
    i.app.login_as(&i.recruiter).await;
    let list: Value = i
        .app
        .post_json("/api/applications", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let created = list[0]["createdAt"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");
}

#[tokio::test]
async fn the_api_description_is_served() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/openapi.yaml"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(
        text.starts_with("openapi: 3"),
        "{}",
        &text[..text.len().min(80)]
    );
    assert!(text.contains("/api/monitoring/upload-binary"));
    // Every server function the server mounts is described.
    let paths: Vec<&str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .collect();
    assert!(paths.len() >= 20, "{paths:?}");
    for path in paths {
        assert!(
            text.contains(&format!("\n  {path}:\n")),
            "{path} is not in openapi.yaml"
        );
    }
}

/// A candidate account made with the command line, before the server starts.
fn create_candidate(server: &ServerProcess, email: &str, password: &str) {
    server.cli(
        &[
            "user",
            "create",
            "--email",
            email,
            "--role",
            "candidate",
            "--password-stdin",
        ],
        Some(password),
    );
}

#[cfg(target_os = "linux")] // reads /proc
#[tokio::test]
async fn sign_ins_give_the_memory_they_hashed_with_back() {
    let mut server = ServerProcess::prepare().await;
    for email in ["first@example.test", "second@example.test"] {
        create_candidate(&server, email, "the-right-password");
    }
    server.serve().await;
    server.reset_peak_memory();
    let (resident, _) = server.memory_mib();
    let before = server.anonymous_mib();
    // Two at a time, so that every hashing thread (one per core) hashes.
    for _ in 0..2 {
        let sign_ins = ["first@example.test", "second@example.test"].map(|email| {
            new_client()
                .post(format!("{}/api/auth/login", server.address))
                .json(&json!({"email": email, "password": "the-right-password"}))
                .send()
        });
        for response in join_all(sign_ins).await {
            assert_eq!(response.unwrap().status(), 200);
        }
    }
    let (_, peak) = server.memory_mib();
    let after = server.anonymous_mib();
    println!("4 sign-ins: the server's anonymous memory {before:.1} MiB before, {after:.1} after; RSS {resident:.1} MiB before, peak {peak:.1}");
    assert!(
        peak - resident > 15.0,
        "a hash took its 19 MiB: peak {peak:.1} MiB, {resident:.1} before"
    );
    assert!(
        after - before < 10.0,
        "the hashing memory went back: {after:.1} MiB anonymous after, {before:.1} before"
    );
}

#[tokio::test]
async fn six_hundred_sign_ins_at_once_keep_memory_bounded_and_answer_without_5xx() {
    let mut server = ServerProcess::prepare().await;
    create_candidate(&server, "flooded@example.test", "the-right-password");
    server.serve().await;
    let (before, _) = server.memory_mib();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let attempts = (0..600).map(|n| {
        let email = if n % 2 == 0 {
            "flooded@example.test".to_string()
        } else {
            format!("guess{n}@example.test")
        };
        client
            .post(format!("{}/api/auth/login", server.address))
            .json(&json!({"email": email, "password": "wrong"}))
            .send()
    });
    let started = Instant::now();
    let statuses: Vec<u16> = join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.map(|r| r.status().as_u16()).unwrap_or(0))
        .collect();
    let elapsed = started.elapsed();
    let (after, peak) = server.memory_mib();
    println!("600 sign-ins at once: {elapsed:?}; server RSS {before:.1} MiB before, {after:.1} after, peak {peak:.1}");
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "only 401 and 429: {statuses:?}"
    );
    assert!(
        statuses.iter().filter(|s| **s == 401).count() <= 20,
        "at most 20 per address (5 per email) were hashed"
    );
    assert!(peak < 160.0, "peak RSS {peak:.1} MiB");
}
