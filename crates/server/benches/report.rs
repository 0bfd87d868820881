//! Review at scale, measured against the release server: 10,000 applications
//! of one organization (one in ten with a flag), then the CSV report of all of
//! them and a search for the flagged ones, in rounds: time and the server's
//! peak resident memory (VmHWM) before and after. The first round computes
//! and stores every summary; later rounds read them. Run by
//! `scripts/bench.sh report` (SERVER_BIN). It asserts nothing: it prints
//! figures.

mod common;

use std::time::Instant;

use chrono::Utc;
use common::{env, Server};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;
use server::db::entities::monitoring_event;

const APPLICATIONS: usize = 10_000;
const ROUNDS: usize = 3;

#[tokio::main]
async fn main() {
    let _ = env("SERVER_BIN");
    let server = Server::start(Vec::new()).await;
    let url = format!(
        "sqlite://{}?mode=rwc",
        server.dir.path().join("interview-monitor.db").display()
    );
    let db = server::db::connect_and_migrate(&url)
        .await
        .expect("database");
    let started = Instant::now();
    for n in 0..APPLICATIONS {
        let id = server::cli::create_application(
            &db,
            "demo",
            "candidate@demo.test",
            &format!("Role {n}"),
        )
        .await
        .expect("application");
        if n % 10 == 0 {
            monitoring_event::ActiveModel {
                application_id: Set(id.0),
                id: Set(uuid::Uuid::new_v4()),
                session_id: Set(None),
                kind: Set("paste".into()),
                at: Set(Utc::now()),
                ended_at: Set(None),
                detail: Set(None),
                source: Set("browser".into()),
                recorded_at: Set(Utc::now()),
                recorded_by: Set(None),
            }
            .insert(&db)
            .await
            .expect("event");
        }
    }
    println!(
        "{APPLICATIONS} applications made in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let recruiter = server.recruiter().await;

    let before = server.peak_rss_mib();
    println!(
        "server before: {:.1} MiB resident, {before:.1} MiB peak",
        server.rss_mib()
    );
    for round in 1..=ROUNDS {
        let start = Instant::now();
        let response = recruiter
            .get(format!("{}{}", server.url, shared::monitoring::REPORT_PATH))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let first_byte = start.elapsed();
        let body = response.text().await.unwrap();
        let whole = start.elapsed();
        let rows = body.lines().count() - 1;
        let search = Instant::now();
        let flagged = recruiter
            .post(format!("{}/api/applications/search", server.url))
            .json(&json!({"eventKind": "paste", "limit": 50}))
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap();
        let search = search.elapsed();
        println!(
            "round {round}: report of {rows} rows ({:.0} KiB) in {:.2} s (first byte {:.0} ms); search for flagged ones, first page of {}: {:.0} ms; server peak {:.1} MiB",
            body.len() as f64 / 1024.0,
            whole.as_secs_f64(),
            first_byte.as_secs_f64() * 1000.0,
            flagged["applications"].as_array().map_or(0, Vec::len),
            search.as_secs_f64() * 1000.0,
            server.peak_rss_mib()
        );
    }
    println!(
        "peak resident memory grew {:.1} MiB over the report rounds",
        server.peak_rss_mib() - before
    );
}
