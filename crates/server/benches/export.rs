//! Evidence export against the release server: the server's resident memory
//! while it streams a zip of 200 images and one of 2,000 (64 KiB each),
//! alternated in rounds; a streamed export's memory does not grow with the
//! interview. Also the export rate. Leaves the server as it found it.

mod common;

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use common::{env, jpeg, Server};
use futures::{stream, StreamExt};
use serde_json::json;

const IMAGE_BYTES: usize = 64 * 1024;
const SMALL: usize = 200;
const LARGE: usize = 2000;
const ROUNDS: usize = 5;

fn median(mut samples: Vec<f64>) -> (f64, f64, f64) {
    samples.sort_by(|a, b| a.total_cmp(b));
    (
        samples[samples.len() / 2],
        samples[0],
        samples[samples.len() - 1],
    )
}

async fn upload(server: &Server, application: &str, count: usize) {
    let url = format!(
        "{}/api/monitoring/upload-binary?applicationId={application}&imageType=camera",
        server.url
    );
    stream::iter(0..count)
        .map(|n| {
            let request = server
                .client
                .post(&url)
                .header("content-type", "image/jpeg")
                .body(jpeg(IMAGE_BYTES, n as u32));
            async move { assert_eq!(request.send().await.unwrap().status(), 200) }
        })
        .buffer_unordered(8)
        .collect::<Vec<()>>()
        .await;
}

/// Streams one export, sampling the server's memory: (growth over the start in MiB, MB/s, zip bytes).
async fn export(
    server: &Server,
    recruiter: &reqwest::Client,
    application: &str,
) -> (f64, f64, u64) {
    let before = server.rss_mib();
    let done = Arc::new(AtomicBool::new(false));
    let pid = server.child.id();
    let sampler = {
        let done = done.clone();
        tokio::spawn(async move {
            let mut peak: f64 = 0.0;
            while !done.load(Ordering::Relaxed) {
                peak = peak.max(common::status_mib(pid, "VmRSS:"));
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            peak
        })
    };
    let started = Instant::now();
    let response = recruiter
        .post(format!("{}/api/monitoring/export", server.url))
        .json(&serde_json::json!({ "applicationId": application }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let mut bytes = 0u64;
    while let Some(chunk) = body.next().await {
        bytes += chunk.unwrap().len() as u64;
    }
    let seconds = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let peak = sampler.await.unwrap();
    (
        (peak - before).max(0.0),
        bytes as f64 / seconds / 1e6,
        bytes,
    )
}

#[tokio::main]
async fn main() {
    let server = Server::start(vec![("FACE_DETECTION".into(), "off".into())]).await;
    // A second application of the demo candidate, for the small export.
    let created = std::process::Command::new(env("SERVER_BIN"))
        .args([
            "application",
            "create",
            "--org",
            "demo",
            "--candidate",
            "candidate@demo.test",
            "--title",
            "Small export",
        ])
        .envs(server.vars.clone())
        .output()
        .unwrap();
    assert!(created.status.success());
    let small = String::from_utf8_lossy(&created.stdout).trim().to_string();
    let consent = server
        .client
        .post(format!("{}/api/monitoring/consent", server.url));
    let consent = consent.json(
        &json!({"applicationId": small, "consentVersion": shared::integrity::CONSENT_VERSION}),
    );
    assert_eq!(consent.send().await.unwrap().status(), 200);
    upload(&server, &small, SMALL).await;
    upload(&server, &server.application, LARGE).await;

    let recruiter = server.recruiter().await;

    let (mut small_growth, mut large_growth, mut small_rate, mut large_rate) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut sizes = (0, 0);
    for _ in 0..ROUNDS {
        let (growth, rate, bytes) = export(&server, &recruiter, &small).await;
        small_growth.push(growth);
        small_rate.push(rate);
        sizes.0 = bytes;
        let (growth, rate, bytes) = export(&server, &recruiter, &server.application).await;
        large_growth.push(growth);
        large_rate.push(rate);
        sizes.1 = bytes;
    }
    let show = |name: &str, (median, low, high): (f64, f64, f64), unit: &str| {
        println!("{name:<44} median {median:>7.1} {unit} (range {low:.1} to {high:.1})")
    };
    println!("export, {ROUNDS} rounds alternating {SMALL} and {LARGE} images of {} KiB (zips of {:.1} and {:.1} MB)", IMAGE_BYTES / 1024, sizes.0 as f64 / 1e6, sizes.1 as f64 / 1e6);
    show(
        &format!("memory growth while exporting {SMALL} images"),
        median(small_growth),
        "MiB",
    );
    show(
        &format!("memory growth while exporting {LARGE} images"),
        median(large_growth),
        "MiB",
    );
    show(
        &format!("export rate, {SMALL} images"),
        median(small_rate),
        "MB/s",
    );
    show(
        &format!("export rate, {LARGE} images"),
        median(large_rate),
        "MB/s",
    );
    println!(
        "server peak resident memory overall: {:.1} MiB",
        server.peak_rss_mib()
    );
}
