use serde_json::{json, Value};

use crate::helpers::{base64, error_body, interview, interview_with, jpeg};

#[tokio::test]
async fn uploads_of_every_form_are_listed_oldest_first_by_kind() {
    let i = interview().await;
    i.app.login_as(&i.candidate).await;

    let bare = i
        .app
        .upload_base64(&i.application, "camera", &jpeg(2000, 1))
        .await;
    assert_eq!(bare.status(), 200);
    let bare: Value = bare.json().await.unwrap();
    assert_eq!(bare["success"], true);
    let key = bare["s3Key"].as_str().unwrap();
    assert!(
        key.starts_with(&format!("monitoring/{}/camera/", i.application)) && key.ends_with(".jpg"),
        "{key}"
    );
    let stamp = bare["timestamp"].as_str().unwrap();
    assert!(
        stamp.ends_with('Z') && stamp.len() == 24,
        "RFC 3339 UTC with milliseconds: {stamp}"
    );

    let data_url = format!("data:image/jpeg;base64,{}", base64(&jpeg(2000, 2)));
    let screen = i
        .app
        .post_json(
            "/api/monitoring/upload-screen",
            &json!({"applicationId": i.application, "imageData": data_url}),
        )
        .await;
    assert_eq!(screen.status(), 200);
    let camera = i
        .app
        .post_json(
            "/api/monitoring/upload-camera",
            &json!({"applicationId": i.application, "imageData": base64(&jpeg(2000, 3))}),
        )
        .await;
    assert_eq!(camera.status(), 200);
    let binary = i
        .app
        .upload_binary(&i.application, "screen", jpeg(3000, 4))
        .await;
    assert_eq!(binary.status(), 200);

    let list: Value = i.app.images(&i.application).await.json().await.unwrap();
    let camera = list["camera"].as_array().unwrap();
    let screen = list["screen"].as_array().unwrap();
    assert_eq!((camera.len(), screen.len()), (2, 2));
    assert_eq!(camera[0]["s3Key"], key);
    assert!(camera[0]["timestamp"].as_str() <= camera[1]["timestamp"].as_str());
    assert!(screen
        .iter()
        .all(|image| image["s3Key"].as_str().unwrap().contains("/screen/")));
}

#[tokio::test]
async fn a_streamed_binary_upload_is_stored_whole() {
    let i = interview().await;
    i.app.login_as(&i.candidate).await;
    let image = jpeg(200_000, 9);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        image.chunks(8192).map(|c| Ok(c.to_vec())).collect();
    let response = i
        .app
        .client
        .post(i.app.url(&format!(
            "/api/monitoring/upload-binary?applicationId={}&imageType=camera",
            i.application
        )))
        .header("content-type", "image/jpeg")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let key = response.json::<Value>().await.unwrap()["s3Key"]
        .as_str()
        .unwrap()
        .to_string();
    let url: Value = i.app.signed_url(&key).await.json().await.unwrap();
    let fetched = i.app.fetch(url["url"].as_str().unwrap()).await;
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), image);
}

/// The upload's one checksum: the SHA-256 the server records goes to S3 as
/// `x-amz-checksum-sha256`, which the store checked the bytes against and keeps.
#[tokio::test]
async fn s3_keeps_the_sha256_the_upload_was_checked_against() {
    let i = interview().await;
    let Some((endpoint, bucket)) = i.app.s3.clone() else {
        return; // the built-in store has no checksums to ask for
    };
    i.app.login_as(&i.candidate).await;
    let image = jpeg(64 * 1024, 3);
    let key = i.app.uploaded(&i.application, "screen", &image).await;
    let head = crate::helpers::s3_client(&endpoint)
        .head_object()
        .bucket(&bucket)
        .key(&key)
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    use sha2::Digest;
    let expected = base64(&sha2::Sha256::digest(&image));
    assert_eq!(head.checksum_sha256(), Some(expected.as_str()));
    assert_eq!(head.content_length(), Some(image.len() as i64));
}

#[tokio::test]
async fn signed_urls_serve_the_bytes_and_refuse_changed_or_expired_links() {
    let i = interview_with(&[("SIGNED_URL_TTL_SECS", "2")]).await;
    i.app.login_as(&i.candidate).await;
    let image = jpeg(5000, 7);
    let key = i.app.uploaded(&i.application, "camera", &image).await;
    assert!(i.app.object_exists(&key).await);

    i.app.login_as(&i.recruiter).await;
    let signed = i.app.signed_url(&key).await;
    assert_eq!(signed.status(), 200);
    let signed: Value = signed.json().await.unwrap();
    assert_eq!(signed["s3Key"], key.as_str());
    let url = signed["url"].as_str().unwrap().to_string();
    assert!(signed["expiresAt"].as_str().unwrap().ends_with('Z'));

    let fetched = i.app.fetch(&url).await;
    assert_eq!(fetched.status(), 200);
    if i.app.s3.is_none() {
        assert!(fetched.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("private"));
    }
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), image);

    // One character of the signature changed.
    let marker = if i.app.s3.is_some() {
        "X-Amz-Signature="
    } else {
        "sig="
    };
    let at = url.find(marker).unwrap() + marker.len();
    let mut tampered = url.clone().into_bytes();
    tampered[at] = if tampered[at] == b'0' { b'1' } else { b'0' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(i.app.fetch(&tampered).await.status(), 403);
    // Another key with the same signature.
    let other = url.replace("/camera/", "/screen/");
    assert!(matches!(
        i.app.fetch(&other).await.status().as_u16(),
        403 | 404
    ));

    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    assert_eq!(i.app.fetch(&url).await.status(), 403, "expired");
}

#[tokio::test]
async fn batch_signing_keeps_the_order_asked_and_refuses_unknown_keys() {
    let i = interview().await;
    i.app.login_as(&i.candidate).await;
    let mut keys = Vec::new();
    for n in 0..5u8 {
        keys.push(
            i.app
                .uploaded(
                    &i.application,
                    if n % 2 == 0 { "camera" } else { "screen" },
                    &jpeg(1000, n),
                )
                .await,
        );
    }
    keys.reverse();
    let response = i
        .app
        .post_json("/api/monitoring/signed-urls", &json!({"s3Keys": keys}))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let returned: Vec<&str> = body["urls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["s3Key"].as_str().unwrap())
        .collect();
    assert_eq!(
        returned,
        keys.iter().map(String::as_str).collect::<Vec<_>>()
    );

    let unknown = format!(
        "monitoring/{}/camera/1764063000123-0b7e0000-1111-4222-8333-444455556666.jpg",
        i.application
    );
    let mut with_unknown = keys.clone();
    with_unknown.push(unknown.clone());
    let response = i
        .app
        .post_json(
            "/api/monitoring/signed-urls",
            &json!({"s3Keys": with_unknown}),
        )
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(i.app.signed_url(&unknown).await.status(), 404);
    assert_eq!(
        i.app
            .signed_url("monitoring/../../etc/passwd")
            .await
            .status(),
        400
    );
    let too_many: Vec<String> = (0..1001).map(|_| keys[0].clone()).collect();
    assert_eq!(
        i.app
            .post_json("/api/monitoring/signed-urls", &json!({"s3Keys": too_many}))
            .await
            .status(),
        400
    );
}

#[tokio::test]
async fn a_recruiter_deletes_an_image_from_the_list_and_storage_and_twice_is_404() {
    let i = interview().await;
    i.app.login_as(&i.candidate).await;
    let key = i
        .app
        .uploaded(&i.application, "camera", &jpeg(1000, 1))
        .await;
    let kept = i
        .app
        .uploaded(&i.application, "camera", &jpeg(1000, 2))
        .await;
    let body = json!({"applicationId": i.application, "imageType": "camera", "s3Key": key});
    let refused = i.app.post_json("/api/monitoring/delete", &body).await;
    assert_eq!(refused.status(), 403, "candidates never delete");

    i.app.login_as(&i.recruiter).await;
    let wrong_kind = json!({"applicationId": i.application, "imageType": "screen", "s3Key": key});
    assert_eq!(
        i.app
            .post_json("/api/monitoring/delete", &wrong_kind)
            .await
            .status(),
        404
    );
    let deleted = i.app.post_json("/api/monitoring/delete", &body).await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(deleted.json::<Value>().await.unwrap()["success"], true);
    assert!(!i.app.object_exists(&key).await);
    assert!(i.app.object_exists(&kept).await);
    let list: Value = i.app.images(&i.application).await.json().await.unwrap();
    assert_eq!(list["camera"].as_array().unwrap().len(), 1);
    assert_eq!(
        i.app
            .post_json("/api/monitoring/delete", &body)
            .await
            .status(),
        404
    );
    assert_eq!(i.app.signed_url(&key).await.status(), 404);
}

#[tokio::test]
async fn capture_times_are_kept_and_future_ones_refused() {
    let i = interview().await.backdated().await;
    i.app.login_as(&i.candidate).await;
    let earlier = "2026-11-25T08:00:00.250Z";
    let response = i
        .app
        .post_json(
            "/api/monitoring/upload",
            &json!({"applicationId": i.application, "imageType": "screen", "imageData": base64(&jpeg(900, 1)), "capturedAt": earlier}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let key = response.json::<Value>().await.unwrap()["s3Key"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        key.contains("/screen/1795593600250-"),
        "the key carries the capture time: {key}"
    );
    let list: Value = i.app.images(&i.application).await.json().await.unwrap();
    assert_eq!(list["screen"][0]["timestamp"], earlier);

    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let response = i
        .app
        .post_json(
            "/api/monitoring/upload",
            &json!({"applicationId": i.application, "imageType": "screen", "imageData": base64(&jpeg(900, 1)), "capturedAt": future}),
        )
        .await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn long_interviews_page_through_images() {
    let i = interview().await.backdated().await;
    i.app.login_as(&i.candidate).await;
    for minute in 0..5u8 {
        let at = format!("2026-11-25T08:0{minute}:00.000Z");
        let body = json!({"applicationId": i.application, "imageType": "camera", "imageData": base64(&jpeg(900, minute)), "capturedAt": at});
        assert_eq!(
            i.app
                .post_json("/api/monitoring/upload", &body)
                .await
                .status(),
            200
        );
    }
    let app = &i.app;
    let page = |before: Option<&str>| {
        let mut body = json!({"applicationId": i.application, "limit": 2});
        if let Some(before) = before {
            body["before"] = json!(before);
        }
        async move {
            app.post_json("/api/monitoring/images", &body)
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let times = |v: &Value| {
        v["camera"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["timestamp"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let latest = page(None).await;
    assert_eq!(
        times(&latest),
        ["2026-11-25T08:03:00.000Z", "2026-11-25T08:04:00.000Z"]
    );
    let older = page(Some("2026-11-25T08:03:00.000Z")).await;
    assert_eq!(
        times(&older),
        ["2026-11-25T08:01:00.000Z", "2026-11-25T08:02:00.000Z"]
    );
    assert_eq!(
        i.app
            .post_json(
                "/api/monitoring/images",
                &json!({"applicationId": i.application, "limit": 0})
            )
            .await
            .status(),
        400
    );
}

#[tokio::test]
async fn every_bad_input_gets_its_status_and_a_message() {
    let i = interview_with(&[("MAX_IMAGE_BYTES", "4096")]).await;
    let valid = base64(&jpeg(1000, 1));
    let app = &i.application;
    let post = |path: &'static str, body: Value| {
        let app = &i.app;
        async move { app.post_json(path, &body).await }
    };

    // 401 before anything else.
    let response = post(
        "/api/monitoring/upload",
        json!({"applicationId": app, "imageType": "camera", "imageData": valid}),
    )
    .await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        i.app
            .upload_binary(app, "camera", jpeg(1000, 1))
            .await
            .status(),
        401
    );

    i.app.login_as(&i.candidate).await;
    let unknown_app = "6f1c2a3b-0000-4000-8000-00000000abcd";
    let cases: Vec<(&str, Value, u16)> = vec![
        (
            "/api/monitoring/upload",
            json!({"applicationId": app, "imageType": "camera"}),
            400,
        ),
        (
            "/api/monitoring/upload",
            json!({"applicationId": "nope", "imageType": "camera", "imageData": valid}),
            400,
        ),
        (
            "/api/monitoring/upload",
            json!({"applicationId": app, "imageType": "audio", "imageData": valid}),
            400,
        ),
        (
            "/api/monitoring/upload",
            json!({"applicationId": app, "imageType": "camera", "imageData": "!!not base64!!"}),
            400,
        ),
        (
            "/api/monitoring/upload",
            json!({"applicationId": app, "imageType": "camera", "imageData": ""}),
            400,
        ),
        (
            "/api/monitoring/upload",
            json!({"applicationId": unknown_app, "imageType": "camera", "imageData": valid}),
            404,
        ),
        (
            "/api/monitoring/upload",
            json!({"applicationId": app, "imageType": "camera", "imageData": base64(&jpeg(5000, 1))}),
            413,
        ),
        (
            "/api/monitoring/upload",
            json!({"applicationId": app, "imageType": "camera", "imageData": base64(b"GIF89a not a jpeg")}),
            415,
        ),
        (
            "/api/monitoring/upload-camera",
            json!({"applicationId": app, "imageData": base64(b"\x89PNG\r\n\x1a\n")}),
            415,
        ),
        ("/api/monitoring/images", json!({"applicationId": "x"}), 400),
        (
            "/api/monitoring/images",
            json!({"applicationId": unknown_app}),
            404,
        ),
        ("/api/monitoring/images", json!({}), 400),
        (
            "/api/monitoring/signed-url",
            json!({"s3Key": "monitoring/x/camera/1-2.jpg"}),
            400,
        ),
        (
            "/api/monitoring/signed-urls",
            json!({"s3Keys": "not a list"}),
            400,
        ),
        (
            "/api/monitoring/delete",
            json!({"applicationId": app, "imageType": "camera", "s3Key": "nope"}),
            400,
        ),
    ];
    for (path, body, status) in cases {
        let response = post(path, body.clone()).await;
        assert_eq!(response.status(), status, "{path} {body}");
        let error = error_body(response).await;
        let message = error["message"].as_str().unwrap();
        assert!(
            !message.contains("sqlx") && !message.contains("panicked"),
            "{message}"
        );
    }

    let not_json = i
        .app
        .client
        .post(i.app.url("/api/monitoring/upload"))
        .header("content-type", "application/json")
        .body("{\"applicationId\":")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);

    assert_eq!(
        i.app
            .upload_binary(app, "camera", jpeg(5000, 1))
            .await
            .status(),
        413
    );
    assert_eq!(
        i.app
            .upload_binary(app, "camera", b"plain text".to_vec())
            .await
            .status(),
        415
    );
    assert_eq!(
        i.app
            .upload_binary(app, "camera", Vec::new())
            .await
            .status(),
        400
    );
    assert_eq!(
        i.app
            .upload_binary(app, "video", jpeg(1000, 1))
            .await
            .status(),
        400
    );
    assert_eq!(
        i.app
            .upload_binary("nope", "camera", jpeg(1000, 1))
            .await
            .status(),
        400
    );
    let huge_json = post(
        "/api/monitoring/upload",
        json!({"applicationId": app, "imageType": "camera", "imageData": "A".repeat(200_000)}),
    )
    .await;
    assert_eq!(huge_json.status(), 413);
    assert_eq!(
        i.app.count_image_rows().await,
        0,
        "nothing stored by bad input"
    );
}

#[tokio::test]
async fn too_many_uploads_in_a_minute_get_429() {
    let i = interview_with(&[("UPLOADS_PER_MINUTE", "3")]).await;
    i.app.login_as(&i.candidate).await;
    for n in 0..3u8 {
        assert_eq!(
            i.app
                .upload_binary(&i.application, "camera", jpeg(900, n))
                .await
                .status(),
            200
        );
    }
    let response = i
        .app
        .upload_binary(&i.application, "camera", jpeg(900, 9))
        .await;
    assert_eq!(response.status(), 429);
    assert_eq!(i.app.count_image_rows().await, 3);
}

#[tokio::test]
async fn a_retried_capture_with_the_same_capture_id_is_stored_once() {
    let i = interview().await.backdated().await;
    i.app.login_as(&i.candidate).await;
    let capture = "3d6f7a9e-0c1b-4c5d-9e8f-0a1b2c3d4e5f";
    let at = "2026-11-25T08:00:00.000Z";
    let upload = || {
        i.app.upload_capture(
            &i.application,
            "camera",
            Some(at),
            Some(capture),
            jpeg(1500, 5),
        )
    };
    let first: Value = upload().await.json().await.unwrap();
    let second: Value = upload().await.json().await.unwrap();
    assert_eq!(first["s3Key"], second["s3Key"]);
    assert!(first["s3Key"]
        .as_str()
        .unwrap()
        .ends_with(&format!("{capture}.jpg")));
    assert_eq!(i.app.count_image_rows().await, 1);

    let screen = i
        .app
        .upload_capture(&i.application, "screen", None, Some(capture), jpeg(1500, 5))
        .await;
    assert_eq!(screen.status(), 409, "one capture id names one image");
}

#[tokio::test]
async fn a_large_batch_is_signed_in_the_order_asked() {
    let i = interview().await;
    i.app.login_as(&i.candidate).await;
    let mut keys = Vec::new();
    for n in 0..6u8 {
        keys.push(
            i.app
                .uploaded(&i.application, "camera", &jpeg(900, n))
                .await,
        );
    }
    // 300 keys (repeats allowed) crosses the size at which signing is split across cores.
    let asked: Vec<String> = (0..300)
        .map(|n| keys[(n * 7) % keys.len()].clone())
        .collect();
    let response = i
        .app
        .post_json("/api/monitoring/signed-urls", &json!({"s3Keys": asked}))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let returned: Vec<&str> = body["urls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["s3Key"].as_str().unwrap())
        .collect();
    assert_eq!(
        returned,
        asked.iter().map(String::as_str).collect::<Vec<_>>()
    );
}

/// A capture's device label travels in its record, binary or base64, and is
/// listed with it: cleaned and cut at 200 characters, never a reason to refuse.
#[tokio::test]
async fn a_captures_device_label_is_recorded_and_listed() {
    let i = interview().await;
    let app = &i.app;
    app.login_as(&i.candidate).await;
    let long = "Ж".repeat(5000);
    for (label, bytes) in [
        ("FaceTime HD Camera (Built-in)", jpeg(900, 1)),
        (long.as_str(), jpeg(900, 2)),
    ] {
        let response = reqwest::Client::new()
            .post(app.url("/api/monitoring/upload-binary"))
            .query(&[
                ("applicationId", i.application.as_str()),
                ("imageType", "camera"),
                ("deviceLabel", label),
            ])
            .header("cookie", app.session_cookie_of(&i.candidate).await)
            .header("content-type", "image/jpeg")
            .body(bytes)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let base64 = app
        .post_json(
            "/api/monitoring/upload",
            &json!({"applicationId": i.application, "imageType": "screen",
                    "imageData": base64(&jpeg(900, 3)), "deviceLabel": " Entire screen \n"}),
        )
        .await;
    assert_eq!(base64.status(), 200);
    app.upload_binary(&i.application, "screen", jpeg(900, 4))
        .await;
    let listed: Value = app.images(&i.application).await.json().await.unwrap();
    let camera: Vec<&str> = listed["camera"]
        .as_array()
        .unwrap()
        .iter()
        .map(|image| image["deviceLabel"].as_str().unwrap())
        .collect();
    assert!(camera.contains(&"FaceTime HD Camera (Built-in)"));
    assert!(camera.contains(&"Ж".repeat(200).as_str()));
    let screen: Vec<Option<&str>> = listed["screen"]
        .as_array()
        .unwrap()
        .iter()
        .map(|image| image["deviceLabel"].as_str())
        .collect();
    assert!(screen.contains(&Some("Entire screen")), "{screen:?}");
    assert!(screen.contains(&None), "no label, no field: {screen:?}");
}
