//! The candidate's language: the consent terms in the language asked for (or
//! the browser's), consent recorded per text version and language, and the
//! panel's texts handed out one language at a time.

use serde_json::{json, Value};
use shared::integrity::CONSENT_VERSION;

use crate::helpers::{error_body, interview};

#[tokio::test]
async fn consent_is_recorded_per_language_and_asked_again_in_another() {
    let mut i = interview().await;
    // An application of theirs without the fixture's (English) consent.
    i.application =
        server::cli::create_application(&i.app.db, "acme", &i.candidate.email, "Languages")
            .await
            .expect("application")
            .to_string();
    let i = i;
    let app = &i.app;
    let terms = |language: Option<&str>| {
        let mut body = json!({"applicationId": i.application});
        if let Some(language) = language {
            body["language"] = json!(language);
        }
        async move {
            let response = app.post_json("/api/monitoring/consent/terms", &body).await;
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.expect("json")
        }
    };
    app.login_as(&i.candidate).await;
    // Asked for, or else the browser's Accept-Language, else English.
    assert_eq!(terms(Some("de")).await["language"], "de");
    assert_eq!(terms(None).await["language"], "en");
    let browser = app
        .client
        .post(app.url("/api/monitoring/consent/terms"))
        .header("accept-language", "fr-CH, de;q=0.8, en;q=0.5")
        .json(&json!({"applicationId": i.application}))
        .send()
        .await
        .expect("request");
    assert_eq!(
        browser.json::<Value>().await.expect("json")["language"],
        "de"
    );
    for bad in ["fr", "", "DE", &"x".repeat(5000)] {
        let refused = app
            .post_json(
                "/api/monitoring/consent/terms",
                &json!({"applicationId": i.application, "language": bad}),
            )
            .await;
        assert_eq!(refused.status(), 400, "language {bad:.10}");
        assert!(error_body(refused).await["message"]
            .as_str()
            .is_some_and(|m| m.len() < 120));
    }

    // Consent to the German text: recorded as such, and only that text counts.
    let consent = app
        .post_json(
            "/api/monitoring/consent",
            &json!({"applicationId": i.application, "consentVersion": CONSENT_VERSION, "language": "de"}),
        )
        .await;
    assert_eq!(consent.status(), 200);
    assert_eq!(
        consent.json::<Value>().await.expect("json")["language"],
        "de"
    );
    assert!(terms(Some("de")).await["consentedAt"].is_string());
    assert!(
        terms(Some("en")).await["consentedAt"].is_null(),
        "the English text was not agreed to: it is asked again"
    );
    // Without a language, consent is to the English text (as before languages).
    let english = app
        .post_json(
            "/api/monitoring/consent",
            &json!({"applicationId": i.application, "consentVersion": CONSENT_VERSION}),
        )
        .await;
    assert_eq!(
        english.json::<Value>().await.expect("json")["language"],
        "en"
    );
    assert!(terms(Some("en")).await["consentedAt"].is_string());
    // Each is an entry of the trail, naming the language.
    let targets: Vec<String> = crate::accountability::trail(&i)
        .await
        .iter()
        .filter(|e| e["action"] == "consent")
        .map(|e| e["target"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        targets,
        vec![
            format!("consent text {CONSENT_VERSION} (de)"),
            format!("consent text {CONSENT_VERSION} (en)")
        ]
    );
}

#[tokio::test]
async fn the_panels_texts_come_one_language_at_a_time() {
    let i = interview().await;
    let app = &i.app;
    let anonymous = app
        .post_json("/api/monitoring/texts", &json!({"language": "de"}))
        .await;
    assert_eq!(anonymous.status(), 401);
    app.login_as(&i.candidate).await;
    let german: Value = app
        .post_json("/api/monitoring/texts", &json!({"language": "de"}))
        .await
        .json()
        .await
        .expect("json");
    // What crates/panel/texts/de.json says (its unit test holds it to every
    // text of the panel but the sign-in address).
    let file: Value = serde_json::from_str(include_str!("../../../panel/texts/de.json"))
        .expect("de.json is JSON");
    assert_eq!(german, file);
    assert!(german.get("sign_in_url").is_none());
    assert_eq!(
        german["consent_accept"],
        "Ich stimme zu, Überwachung starten"
    );
    let english = app
        .post_json("/api/monitoring/texts", &json!({"language": "en"}))
        .await;
    assert_eq!(english.json::<Value>().await.expect("json"), json!({}));
    let unknown = app
        .post_json("/api/monitoring/texts", &json!({"language": "xx"}))
        .await;
    assert_eq!(unknown.status(), 400);
}

#[tokio::test]
async fn the_application_pages_words_come_in_the_asked_or_the_browsers_language() {
    let i = interview().await;
    let app = &i.app;
    let anonymous = app
        .post_json("/api/applications/texts", &json!({"language": "de"}))
        .await;
    assert_eq!(anonymous.status(), 401);
    app.login_as(&i.candidate).await;
    let asked = app
        .ok_json("/api/applications/texts", &json!({"language": "de"}))
        .await;
    assert_eq!(asked["language"], "de");
    // What crates/app/texts/de.json says: English text → German.
    let file: Value =
        serde_json::from_str(include_str!("../../../app/texts/de.json")).expect("de.json is JSON");
    assert_eq!(asked["texts"], file);
    assert_eq!(
        asked["texts"]["Who saw these images"],
        "Wer diese Bilder gesehen hat"
    );
    // Not asked: the browser's Accept-Language decides.
    let in_browsers = |accept: &'static str| async move {
        app.client
            .post(app.url("/api/applications/texts"))
            .header("accept-language", accept)
            .json(&json!({}))
            .send()
            .await
            .expect("request")
            .json::<Value>()
            .await
            .expect("json")
    };
    let browser = in_browsers("fr-CH, de-AT;q=0.8, en;q=0.5").await;
    assert_eq!(browser["language"], "de");
    let english = in_browsers("en-GB").await;
    assert_eq!(english, json!({"language": "en", "texts": {}}));
    let unknown = app
        .post_json(
            "/api/applications/texts",
            &json!({"language": "x".repeat(5_000)}),
        )
        .await;
    assert_eq!(unknown.status(), 400);
}
