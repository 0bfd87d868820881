//! Searching applications across interviews and the CSV report (README,
//! "Review at scale").

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use server::cli;

use crate::helpers::{error_body, interview, TestUser};
use crate::integrity::event;

impl crate::helpers::TestApp {
    async fn search(&self, query: Value) -> reqwest::Response {
        self.post_json("/api/applications/search", &query).await
    }

    async fn found(&self, query: Value) -> Value {
        let response = self.search(query.clone()).await;
        assert_eq!(response.status(), 200, "{query}");
        response.json().await.expect("json")
    }

    /// Every page of a search, `limit` at a time: the ids in order.
    async fn every_page(&self, mut query: Value, limit: u32) -> Vec<String> {
        let mut ids = Vec::new();
        query["limit"] = json!(limit);
        for _ in 0..100 {
            let page = self.found(query.clone()).await;
            let listed = crate::helpers::application_ids(&page);
            assert!(listed.len() <= limit as usize);
            ids.extend(listed);
            match page.get("next") {
                Some(next) => query["before"] = next.clone(),
                None => return ids,
            }
        }
        panic!("a search that never ends")
    }

    async fn report(&self, query: &str) -> reqwest::Response {
        self.client
            .get(self.url(&format!("/api/applications/report.csv{query}")))
            .send()
            .await
            .expect("request")
    }
}

fn ids(page: &Value) -> Vec<String> {
    crate::helpers::application_ids(page)
}

#[tokio::test]
async fn reviewers_find_applications_by_what_happened_page_by_page() {
    let i = interview().await;
    let app = &i.app;
    app.organization("beta").await;
    let admin = app.user("admin", None).await;
    let other = app.user("candidate", None).await;
    // Nine more in acme, three of them created at the very same moment (the
    // cursor breaks ties by id), one before 1970; two in beta.
    let mut acme = vec![i.application.clone()];
    for n in 0..9 {
        let id = cli::create_application(&app.db, "acme", &other.email, &format!("Role {n}"))
            .await
            .unwrap()
            .to_string();
        let at = match n {
            0..=2 => "2026-06-01T12:00:00.123456Z".to_string(),
            3 => "1969-07-20T20:17:40Z".to_string(),
            _ => format!("2026-0{}-01T00:00:00Z", n - 2),
        };
        app.set_application_created(&id, &at).await;
        acme.push(id);
    }
    let mut beta = Vec::new();
    for n in 0..2 {
        beta.push(
            cli::create_application(&app.db, "beta", &other.email, &format!("Beta {n}"))
                .await
                .unwrap()
                .to_string(),
        );
    }

    // The fixture's interview has a paste (a flag) and a copy (not one).
    app.login_as(&i.candidate).await;
    let now = Utc::now();
    let paste = event("paste", now, None);
    let copy = event("copy", now + Duration::milliseconds(1), None);
    assert_eq!(
        app.send_events(&i.application, &[paste.clone(), copy])
            .await
            .status(),
        200
    );

    // Paging: every application once, newest first, whatever the page's length.
    app.login_as(&i.recruiter).await;
    let all = app.every_page(json!({}), 500).await;
    assert_eq!(all.len(), 10);
    let mut expected = acme.clone();
    expected.sort();
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(
        sorted, expected,
        "the recruiter's organization, nothing else"
    );
    assert_eq!(all[0], i.application, "newest first");
    assert_eq!(all[9], acme[4], "the one from 1969 last");
    for limit in [1, 3, 7] {
        assert_eq!(app.every_page(json!({}), limit).await, all, "limit {limit}");
    }
    let first = app.found(json!({"limit": 10})).await;
    assert!(
        first.get("next").is_none(),
        "nothing follows the last page: {first}"
    );

    // Filters.
    let just_this = vec![i.application.clone()];
    let paste_only = app.found(json!({"eventKind": "paste"})).await;
    assert_eq!(ids(&paste_only), just_this);
    assert_eq!(
        ids(&app.found(json!({"eventKind": "copy"})).await),
        just_this
    );
    assert_eq!(
        ids(&app.found(json!({"eventKind": "multiple_faces"})).await),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&app.found(json!({"unreviewed": true})).await),
        just_this
    );
    assert_eq!(
        app.found(json!({"unreviewed": false})).await["applications"]
            .as_array()
            .unwrap()
            .len(),
        9
    );
    let level = paste_only["applications"][0]["integrityLevel"].clone();
    assert_ne!(level, "none");
    assert_eq!(ids(&app.found(json!({"level": level})).await), just_this);
    assert_eq!(
        app.found(json!({"level": "none"})).await["applications"]
            .as_array()
            .unwrap()
            .len(),
        9
    );
    let june = app
        .found(json!({"from": "2026-06-01T12:00:00Z", "to": "2026-06-02T00:00:00Z"}))
        .await;
    let mut june = ids(&june);
    june.sort();
    let mut same_moment = acme[1..4].to_vec();
    same_moment.sort();
    assert_eq!(june, same_moment);
    let before_1970 = app.found(json!({"to": "1970-01-01T00:00:00Z"})).await;
    assert_eq!(ids(&before_1970), [acme[4].clone()]);
    assert_eq!(
        ids(&app.found(json!({"state": "in_progress"})).await).len()
            + ids(&app.found(json!({"state": "invited"})).await).len(),
        10
    );
    // A verdict moves it out of "unreviewed".
    let listed = app.events_of(&i.application).await;
    let paste_id = listed["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "paste")
        .unwrap()["eventId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.review(&i.application, &paste_id, "ok", "")
            .await
            .status(),
        200
    );
    assert_eq!(
        ids(&app.found(json!({"unreviewed": true})).await),
        Vec::<String>::new()
    );
    assert_eq!(
        app.found(json!({"unreviewed": false})).await["applications"]
            .as_array()
            .unwrap()
            .len(),
        10
    );

    // Organizations: a recruiter's own only; an admin's any (and only an admin
    // lists them all).
    assert_eq!(
        app.post_json("/api/organizations", &json!({}))
            .await
            .status(),
        403
    );
    let beta_id = app.organization_id("beta").await.to_string();
    let acme_id = app.organization_id("acme").await.to_string();
    assert_eq!(
        app.search(json!({"organizationId": beta_id}))
            .await
            .status(),
        403
    );
    assert_eq!(
        app.found(json!({"organizationId": acme_id})).await["applications"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
    app.login_as(&admin).await;
    let organizations: Value = app
        .post_json("/api/organizations", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let slugs: Vec<&str> = organizations["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["acme", "beta"], "by name: Org acme, Org beta");
    assert_eq!(organizations["organizations"][1]["id"], beta_id.as_str());
    assert_eq!(app.every_page(json!({}), 4).await.len(), 12);
    let mut theirs = ids(&app.found(json!({"organizationId": beta_id})).await);
    theirs.sort();
    beta.sort();
    assert_eq!(theirs, beta);

    // Candidates do not search.
    app.login_as(&i.candidate).await;
    assert_eq!(app.search(json!({})).await.status(), 403);
    assert_eq!(app.report("").await.status(), 403);
}

#[tokio::test]
async fn a_search_that_cannot_be_read_is_refused_with_its_reason() {
    let i = interview().await;
    i.app.login_as(&i.recruiter).await;
    for (query, words) in [
        (json!({"limit": 0}), "limit"),
        (json!({"limit": 501}), "limit"),
        (json!({"limit": u32::MAX}), "limit"),
        (json!({"limit": -1}), ""),
        (json!({"before": "yesterday"}), "cursor"),
        (json!({"state": "x".repeat(5_000)}), "not a state"),
        (json!({"eventKind": "teleport"}), "event kind"),
        (json!({"level": "huge"}), "level"),
        (
            json!({"from": "2026-12-05T00:00:00Z", "to": "2026-12-04T00:00:00Z"}),
            "after",
        ),
        (json!({"organizationId": "acme"}), "UUID"),
        (json!({"unreviewed": "yes"}), ""),
    ] {
        let response = i.app.search(query.clone()).await;
        assert_eq!(response.status(), 400, "{query}");
        let body = error_body(response).await;
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains(words), "{query}: {body}");
        assert!(message.len() < 400, "{query}: {message}");
    }
    // The report takes the filters, not the paging.
    for query in [
        "?limit=5",
        "?before=1",
        "?color=red",
        "?unreviewed=maybe",
        "?state=running",
    ] {
        assert_eq!(i.app.report(query).await.status(), 400, "{query}");
    }
}

#[tokio::test]
async fn the_report_has_a_row_per_application_the_search_finds() {
    let i = interview().await;
    let app = &i.app;
    let other = app.user("candidate", None).await;
    for title in [
        "=HYPERLINK(\"http://evil\")",
        "Data, \"Platform\"\nEngineer",
    ] {
        cli::create_application(&app.db, "acme", &other.email, title)
            .await
            .unwrap();
    }
    app.login_as(&i.candidate).await;
    let paste = event("paste", Utc::now(), None);
    let sent = app.send_events(&i.application, &[paste]).await;
    assert_eq!(sent.status(), 200, "{}", sent.text().await.unwrap());
    app.login_as(&i.recruiter).await;

    let response = app.report("").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[0], "applicationId");
    assert_eq!(header.len(), 11);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let search = app.found(json!({})).await;
    assert_eq!(
        rows.iter().map(|r| r[0].to_string()).collect::<Vec<_>>(),
        ids(&search),
        "the report lists what the search finds, in its order"
    );
    for (row, listed) in rows.iter().zip(search["applications"].as_array().unwrap()) {
        assert_eq!(row[3], listed["candidateEmail"]);
        assert_eq!(row[5], listed["state"]);
        assert_eq!(row[6], listed["integrityLevel"]);
        assert_eq!(row[7], listed["unreviewedFlags"].to_string());
    }
    let titles: Vec<&str> = rows.iter().map(|r| r.get(1).unwrap()).collect();
    assert!(
        titles.contains(&"'=HYPERLINK(\"http://evil\")"),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Data, \"Platform\"\nEngineer"),
        "{titles:?}"
    );

    let flagged = app
        .report("?eventKind=paste&unreviewed=true")
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(flagged.as_bytes());
    let rows: Vec<_> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][0], i.application.as_str());
    let none = app
        .report("?eventKind=multiple_faces")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(none.lines().count(), 1, "the header alone: {none}");
}

#[tokio::test]
async fn a_recruiter_of_another_organization_finds_nothing_of_acme() {
    let i = interview().await;
    i.app.organization("beta").await;
    let stranger: TestUser = i.app.user("recruiter", Some("beta")).await;
    i.app.login_as(&stranger).await;
    assert_eq!(ids(&i.app.found(json!({})).await), Vec::<String>::new());
    let report = i.app.report("").await.text().await.unwrap();
    assert!(!report.contains(&i.application), "{report}");
}
