//! Capacity: N simulated candidates, each sending a camera and a screen
//! snapshot (64 KiB JPEGs, binary upload) every 30 s, against the release
//! server on the embedded defaults (SQLite, the built-in store), with the load
//! generator on the same machine. N rises step by step (CAPACITY_STEPS, default
//! 1000,2500,5000,7500,10000,12500,15000) for CAPACITY_STEP_SECS each (default
//! 30) until p99 upload latency passes 1 s or an upload fails; each step prints
//! N, uploads/s offered and done, p50/p99, the server's RSS and CPU.
//! CAPACITY_SOAK_SECS (default 0) then holds the last passing rate and prints
//! RSS every 30 s.
//!
//! CAPACITY_INSTANCES=2 runs two instances over PostgreSQL and SeaweedFS (started
//! by scripts/bench.sh) instead, each account signed in on one of them in turn;
//! RSS and CPU are then the two processes' sums.
//!
//! Candidates share ACCOUNTS accounts (an account per application, each signed in
//! once): creating 10,000 argon2-hashed accounts would take the bench longer than
//! the load, and the server's cost per upload does not depend on whose session it is.

mod common;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use common::{cpu_seconds, env, jpeg, Instance, Server};
use serde_json::json;

const ACCOUNTS: usize = 100;
const IMAGE_BYTES: usize = 64 * 1024;
/// Every candidate sends two snapshots per this many seconds.
const PERIOD_SECS: f64 = 30.0;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

struct Candidate {
    client: reqwest::Client,
    url: String,
}

struct Step {
    offered: f64,
    done: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: usize,
    rss_mib: f64,
    cpu_percent: f64,
}

/// The server processes under load.
struct Processes(Vec<u32>);

impl Processes {
    fn cpu_secs(&self) -> f64 {
        self.0.iter().map(|pid| cpu_seconds(*pid)).sum()
    }

    fn rss_mib(&self) -> f64 {
        self.0
            .iter()
            .map(|pid| common::status_mib(*pid, "VmRSS:"))
            .sum()
    }

    fn peak_rss_mib(&self) -> f64 {
        self.0
            .iter()
            .map(|pid| common::status_mib(*pid, "VmHWM:"))
            .sum()
    }
}

/// Sends `rate` uploads a second, spread evenly over the accounts, for `secs`.
async fn run_step(
    servers: &Processes,
    accounts: &Arc<Vec<Candidate>>,
    images: &Arc<Vec<Vec<u8>>>,
    rate: f64,
    secs: u64,
) -> Step {
    let latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
    let errors = Arc::new(Mutex::new(0usize));
    let (cpu_before, started) = (servers.cpu_secs(), Instant::now());
    let total = (rate * secs as f64) as usize;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let mut tasks = Vec::with_capacity(total);
    let mut next = tokio::time::Instant::now();
    for n in 0..total {
        tokio::time::sleep_until(next).await;
        next += interval;
        let (accounts, images, latencies, errors) = (
            accounts.clone(),
            images.clone(),
            latencies.clone(),
            errors.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let candidate = &accounts[n % accounts.len()];
            let kind = if n % 2 == 0 { "camera" } else { "screen" };
            let body = images[n % images.len()].clone();
            let sent = Instant::now();
            let response = candidate
                .client
                .post(format!("{}&imageType={kind}", candidate.url))
                .header("content-type", "image/jpeg")
                .body(body)
                .timeout(Duration::from_secs(30))
                .send()
                .await;
            match response {
                Ok(r) if r.status() == 200 => latencies
                    .lock()
                    .unwrap()
                    .push(sent.elapsed().as_secs_f64() * 1000.0),
                _ => *errors.lock().unwrap() += 1,
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let wall = started.elapsed().as_secs_f64();
    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let errors = *errors.lock().unwrap();
    Step {
        offered: rate,
        done: latencies.len() as f64 / wall,
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        errors,
        rss_mib: servers.rss_mib(),
        cpu_percent: (servers.cpu_secs() - cpu_before) / wall * 100.0,
    }
}

#[tokio::main]
async fn main() {
    let steps: Vec<usize> = std::env::var("CAPACITY_STEPS")
        .unwrap_or_else(|_| "1000,2500,5000,7500,10000,12500,15000".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let step_secs: u64 = std::env::var("CAPACITY_STEP_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30)
        .min(180);
    let soak_secs: u64 = std::env::var("CAPACITY_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);

    let two = std::env::var("CAPACITY_INSTANCES").as_deref() == Ok("2");
    let mut vars = vec![("FACE_DETECTION".into(), "off".into())];
    if two {
        vars.extend(shared_engines().await);
    }
    let server = Server::start(vars).await;
    let others: Vec<Instance> = if two {
        vec![server.another().await]
    } else {
        Vec::new()
    };
    let urls: Vec<String> = std::iter::once(server.url.clone())
        .chain(others.iter().map(|o| o.url.clone()))
        .collect();
    let processes = Processes(
        std::iter::once(server.child.id())
            .chain(others.iter().map(|o| o.child.id()))
            .collect(),
    );
    let bin = env("SERVER_BIN");
    let prepared = Instant::now();
    let mut accounts = Vec::with_capacity(ACCOUNTS);
    for n in 0..ACCOUNTS {
        let email = format!("load-{n}@capacity.test");
        let password = format!("capacity-password-{n}");
        let mut create = std::process::Command::new(&bin)
            .args([
                "user",
                "create",
                "--email",
                &email,
                "--role",
                "candidate",
                "--password-stdin",
            ])
            .envs(server.vars.clone())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::io::Write::write_all(
            &mut create.stdin.take().unwrap(),
            format!("{password}\n").as_bytes(),
        )
        .unwrap();
        assert!(create.wait().unwrap().success());
        let application = std::process::Command::new(&bin)
            .args([
                "application",
                "create",
                "--org",
                "demo",
                "--candidate",
                &email,
                "--title",
                "Load",
            ])
            .envs(server.vars.clone())
            .output()
            .unwrap();
        let application = String::from_utf8_lossy(&application.stdout)
            .trim()
            .to_string();
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .pool_max_idle_per_host(64)
            .build()
            .unwrap();
        let url = &urls[n % urls.len()];
        let login = client
            .post(format!("{url}/api/auth/login"))
            .json(&json!({"email": email, "password": password}));
        assert_eq!(login.send().await.unwrap().status(), 200);
        let consent = client
            .post(format!("{url}/api/monitoring/consent"))
            .json(&json!({"applicationId": application, "consentVersion": shared::integrity::CONSENT_VERSION}));
        assert_eq!(consent.send().await.unwrap().status(), 200);
        accounts.push(Candidate {
            client,
            url: format!("{url}/api/monitoring/upload-binary?applicationId={application}"),
        });
    }
    eprintln!(
        "{ACCOUNTS} accounts ready in {:.0} s",
        prepared.elapsed().as_secs_f64()
    );
    let accounts = Arc::new(accounts);
    let images: Arc<Vec<Vec<u8>>> = Arc::new((0..32).map(|n| jpeg(IMAGE_BYTES, n)).collect());

    let setup = if two {
        "two instances on PostgreSQL and SeaweedFS"
    } else {
        "one instance on the embedded defaults (SQLite, built-in store)"
    };
    println!(
        "capacity, {setup}, {step_secs} s a step, a camera and a screen snapshot of {} KiB per candidate every {PERIOD_SECS} s",
        IMAGE_BYTES / 1024
    );
    println!(
        "{:>10} {:>12} {:>10} {:>9} {:>9} {:>7} {:>9} {:>7}",
        "candidates", "offered/s", "done/s", "p50 ms", "p99 ms", "errors", "RSS MiB", "CPU %"
    );
    let mut passing = None;
    for candidates in steps {
        let rate = candidates as f64 * 2.0 / PERIOD_SECS;
        let step = run_step(&processes, &accounts, &images, rate, step_secs).await;
        println!(
            "{candidates:>10} {:>12.0} {:>10.0} {:>9.1} {:>9.1} {:>7} {:>9.1} {:>7.0}",
            step.offered,
            step.done,
            step.p50_ms,
            step.p99_ms,
            step.errors,
            step.rss_mib,
            step.cpu_percent
        );
        if step.p99_ms > 1000.0 || step.errors > 0 {
            println!("limit: p99 over 1 s or errors at {candidates} candidates");
            break;
        }
        passing = Some(candidates);
    }
    if let (Some(candidates), true) = (passing, soak_secs > 0) {
        let rate = candidates as f64 * 2.0 / PERIOD_SECS;
        println!("soak at {candidates} candidates ({rate:.0} uploads/s) for {soak_secs} s:");
        let mut elapsed = 0;
        while elapsed < soak_secs {
            let step = run_step(&processes, &accounts, &images, rate, 30).await;
            elapsed += 30;
            println!(
                "  {elapsed:>5} s: {:.0} uploads/s, p99 {:.1} ms, {} errors, RSS {:.1} MiB",
                step.done, step.p99_ms, step.errors, step.rss_mib
            );
        }
    }
    println!(
        "server peak resident memory: {:.1} MiB",
        processes.peak_rss_mib()
    );
}

/// A new PostgreSQL database and S3 bucket of this run's own, as settings.
async fn shared_engines() -> Vec<(String, String)> {
    let database = common::postgres_database(&env("BENCH_POSTGRES_URL"), "im_capacity").await;
    let bucket = format!("capacity-{}", uuid::Uuid::new_v4().simple());
    common::s3_client()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    vec![
        ("DATABASE_URL".into(), database),
        ("AWS_S3_BUCKET_NAME".into(), bucket),
        ("AWS_REGION".into(), "us-east-1".into()),
        ("AWS_ENDPOINT_URL_S3".into(), env("BENCH_S3_ENDPOINT")),
        ("AWS_ACCESS_KEY_ID".into(), env("BENCH_S3_ACCESS_KEY")),
        ("AWS_SECRET_ACCESS_KEY".into(), env("BENCH_S3_SECRET_KEY")),
    ]
}
