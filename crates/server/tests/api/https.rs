//! The server speaking HTTPS itself (TLS_CERT_FILE, TLS_KEY_FILE), with a
//! self-signed certificate made for the test.

use serde_json::{json, Value};

use crate::helpers::{interview_with, jpeg};

#[tokio::test]
async fn with_a_certificate_the_api_is_served_over_https_with_secure_cookies_and_hsts() {
    // Both rustls providers are compiled in: name the one to use.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("certificate");
    let dir = tempfile::tempdir().unwrap();
    let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_file, certified.cert.pem()).unwrap();
    std::fs::write(&key_file, certified.key_pair.serialize_pem()).unwrap();
    let i = interview_with(&[
        ("TLS_CERT_FILE", cert_file.to_str().unwrap()),
        ("TLS_KEY_FILE", key_file.to_str().unwrap()),
    ])
    .await;
    let https = i
        .app
        .address
        .replace("http://127.0.0.1", "https://localhost");

    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap(),
        )
        .cookie_store(true)
        .build()
        .unwrap();
    let login = client
        .post(format!("{https}/api/auth/login"))
        .json(&json!({"email": i.candidate.email, "password": i.candidate.password}))
        .send()
        .await
        .expect("an HTTPS answer");
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("__Host-im_session=") && cookie.contains("; Secure"),
        "{cookie}"
    );
    assert!(login.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age="));

    let upload = client
        .post(format!(
            "{https}/api/monitoring/upload-binary?applicationId={}&imageType=camera",
            i.application
        ))
        .header("content-type", "image/jpeg")
        .body(jpeg(2000, 1))
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 200);
    let me: Value = client
        .post(format!("{https}/api/auth/me"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], i.candidate.email.as_str());

    // Plain HTTP to the TLS port gets no answer of ours.
    let plain = reqwest::Client::new()
        .post(format!("{}/api/auth/me", i.app.address))
        .json(&json!({}))
        .send()
        .await;
    assert!(plain.map(|r| !r.status().is_success()).unwrap_or(true));
}
