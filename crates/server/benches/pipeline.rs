//! Throughput, latency and memory of the image pipeline, printed as figures.
//! Run by `scripts/bench.sh`, which builds the release server, starts SeaweedFS and
//! passes SERVER_BIN, BENCH_S3_ENDPOINT and the credentials. Not a test: it asserts
//! nothing, it measures.
//!
//! Upload rates are compared in interleaved rounds (PIPELINE_ROUNDS, default 5,
//! after one warm-up round that is not counted): in each round raw PutObject,
//! then our upload-binary and base64 upload on S3, then both on the built-in
//! store, each PIPELINE_UPLOADS (default 640) uploads of 64 KiB with 8 in
//! flight. Every side is driven by the same client, curl `--parallel`: raw
//! PutObject as a plain SigV4-signed PUT (`--aws-sigv4`, unsigned payload,
//! SSE-S3), the leanest client there is here (the SDK adds a checksum and its
//! retry layer). Our uploads go without `Expect: 100-continue`, as browsers send
//! them; the signed PUT keeps curl's (an empty `Expect:` would be signed but not
//! sent), which SeaweedFS answers at once (1,234 against 1,270 puts/s without).
//! Each round's ratios to that round's raw rate are printed, then the median and
//! min–max of each ratio over the rounds. Each round also sends raw PutObject
//! one at a time under keys laid out as ours: SeaweedFS's CPU per object grows
//! as requests come slower, so our PUT's cost to it compares with a raw PUT's at
//! a like rate. Every raw PUT writes a new object.
//!
//! Beside each rate, the CPU each upload cost the server and the object store
//! (SeaweedFS, BENCH_S3_PID): user and system time from `/proc/PID/stat`, read
//! around the batch and divided by its uploads. On two shared cores a rate
//! moves with whatever else runs; the CPU an upload costs does not. A fifth side
//! sends upload-binary bodies that are not JPEGs, refused with 415 once read:
//! the server's CPU for the HTTP exchange, the session and the 64 KiB body,
//! with no database work but the session lookup (a read) and nothing stored.
//!
//! The peak RSS printed after the rounds is over the rounds alone: it is reset
//! (`/proc/PID/clear_refs`) after the servers start and sign the candidate in.

mod common;

use std::{path::Path, process::Command, sync::Arc, time::Instant};

use common::{cpu_seconds, env, jpeg, s3_client, Server};

use base64::Engine;
use futures::{stream, StreamExt};
use serde_json::json;

const IMAGE_BYTES: usize = 64 * 1024;
// One user may have 8 binary uploads in flight (429 beyond: per-user upload slots),
// and the bench uploads as one user.
const IN_FLIGHT: usize = 8;

impl Server {
    async fn start_pipeline(s3_bucket: Option<&str>) -> Server {
        let mut vars: Vec<(String, String)> = Vec::new();
        if let Some(bucket) = s3_bucket {
            vars.extend([
                ("AWS_S3_BUCKET_NAME".into(), bucket.to_string()),
                ("AWS_REGION".into(), "us-east-1".into()),
                ("AWS_ENDPOINT_URL_S3".into(), env("BENCH_S3_ENDPOINT")),
                ("AWS_ACCESS_KEY_ID".into(), env("BENCH_S3_ACCESS_KEY")),
                ("AWS_SECRET_ACCESS_KEY".into(), env("BENCH_S3_SECRET_KEY")),
            ]);
        }
        Server::start(vars).await
    }

    /// A base64 upload; its status.
    async fn upload_base64(&self, image: &[u8]) -> u16 {
        let data = base64::engine::general_purpose::STANDARD.encode(image);
        let response = self
            .client
            .post(format!("{}/api/monitoring/upload", self.url))
            .json(&json!({"applicationId": self.application, "imageType": "screen", "imageData": data}))
            .send()
            .await
            .unwrap();
        response.status().as_u16()
    }
}

/// Runs `count` operations with `in_flight` at a time; operations per second.
async fn rate<F, Fut>(count: usize, in_flight: usize, op: F) -> f64
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let start = Instant::now();
    stream::iter(0..count)
        .map(&op)
        .buffer_unordered(in_flight)
        .collect::<Vec<()>>()
        .await;
    count as f64 / start.elapsed().as_secs_f64()
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[samples.len() / 2]
}

/// `median (min–max)` of `samples`.
fn spread(samples: &[f64], digits: usize) -> String {
    let min = samples.iter().copied().fold(f64::INFINITY, f64::min);
    let max = samples.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!(
        "{:.digits$} ({min:.digits$}–{max:.digits$})",
        median(samples.to_vec())
    )
}

async fn time_ms<Fut: std::future::Future<Output = ()>>(runs: usize, op: impl Fn() -> Fut) -> f64 {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        op().await;
        samples.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    median(samples)
}

async fn create_bucket(name: &str) {
    s3_client().create_bucket().bucket(name).send().await.ok();
}

/// What one batch cost: uploads per second, and microseconds of CPU per upload in
/// the server and in the object store.
#[derive(Clone, Copy)]
struct Cost {
    rate: f64,
    server_us: f64,
    store_us: f64,
}

/// One side of the comparison: a batch of uploads curl sends with 8 in flight.
struct Batch {
    /// curl's options for every transfer of the batch.
    options: Vec<String>,
    /// The curl config file: one `url` and `upload-file` per upload.
    config: std::path::PathBuf,
    /// The status every upload of the batch is answered with.
    expect: &'static str,
    /// Uploads in flight at a time.
    in_flight: usize,
}

impl Batch {
    /// `uploads` transfers to `url(n)` of `file(n)`.
    fn new(
        dir: &Path,
        name: &str,
        options: Vec<String>,
        uploads: usize,
        url: impl Fn(usize) -> String,
        file: impl Fn(usize) -> std::path::PathBuf,
    ) -> Batch {
        let mut text = String::new();
        for n in 0..uploads {
            text.push_str(&format!(
                "url = \"{}\"\nupload-file = \"{}\"\noutput = \"/dev/null\"\n",
                url(n),
                file(n).display()
            ));
        }
        let config = dir.join(format!("{name}.curl"));
        std::fs::write(&config, text).unwrap();
        Batch {
            options,
            config,
            expect: "200",
            in_flight: IN_FLIGHT,
        }
    }

    /// The same batch, one upload at a time.
    fn one_at_a_time(self) -> Batch {
        Batch {
            in_flight: 1,
            ..self
        }
    }

    /// The same batch, every upload of it answered with `status` instead of 200.
    fn answered(self, status: &'static str) -> Batch {
        Batch {
            expect: status,
            ..self
        }
    }

    /// Sends the batch (every upload must succeed); what it cost `server` and `store`.
    fn cost(&self, server: Option<u32>, store: Option<u32>) -> Cost {
        let cpu = |pid: Option<u32>| pid.map(cpu_seconds).unwrap_or(0.0);
        let (server_before, store_before) = (cpu(server), cpu(store));
        let (rate, uploads) = self.run();
        let per_upload = |after: f64, before: f64| (after - before) / uploads as f64 * 1e6;
        Cost {
            rate,
            server_us: per_upload(cpu(server), server_before),
            store_us: per_upload(cpu(store), store_before),
        }
    }

    /// Sends the batch; uploads per second and the number of uploads.
    fn run(&self) -> (f64, usize) {
        let started = Instant::now();
        let output = Command::new("curl")
            .args([
                "--silent",
                "--no-progress-meter",
                "--parallel",
                "--parallel-max",
                &self.in_flight.to_string(),
            ])
            .args(["--write-out", "%{http_code}\\n"])
            .args(&self.options)
            .arg("--config")
            .arg(&self.config)
            .output()
            .unwrap();
        let elapsed = started.elapsed().as_secs_f64();
        let codes = String::from_utf8_lossy(&output.stdout);
        let (ok, total) = (
            codes.lines().filter(|c| *c == self.expect).count(),
            codes.lines().count(),
        );
        assert_eq!(
            ok,
            total,
            "every upload is answered {} ({}): {}",
            self.expect,
            self.config.display(),
            codes
                .lines()
                .filter(|c| *c != self.expect)
                .take(5)
                .collect::<Vec<_>>()
                .join(" ")
        );
        (total as f64 / elapsed, total)
    }
}

/// The session cookie of the demo candidate, for curl.
async fn session_cookie(server: &Server) -> String {
    let password = server
        .demo
        .lines()
        .find(|l| l.contains("candidate@demo.test"))
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/api/auth/login", server.url))
        .json(&json!({"email": "candidate@demo.test", "password": password}))
        .send()
        .await
        .unwrap();
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap();
    cookie.split(';').next().unwrap().to_string()
}

/// The uploads of one server: upload-binary, base64 upload, and upload-binary of
/// bodies that are not JPEGs, refused (415) once read: what a request costs
/// the server with no database work but its session lookup and nothing stored.
async fn server_batches(
    server: &Server,
    name: &str,
    dir: &Path,
    images: usize,
) -> (Batch, Batch, Batch) {
    let cookie = format!("Cookie: {}", session_cookie(server).await);
    for n in 0..images {
        let jpeg = std::fs::read(dir.join(format!("image-{n}.jpg"))).unwrap();
        let data = base64::engine::general_purpose::STANDARD.encode(jpeg);
        let body =
            json!({"applicationId": server.application, "imageType": "screen", "imageData": data});
        std::fs::write(dir.join(format!("{name}-{n}.json")), body.to_string()).unwrap();
    }
    // Screen images on both sides: camera ones would also queue face analyses.
    let binary_url = format!(
        "{}/api/monitoring/upload-binary?applicationId={}&imageType=screen",
        server.url, server.application
    );
    let binary = Batch::new(
        dir,
        &format!("{name}-binary"),
        vec![
            "-X".into(),
            "POST".into(),
            "-H".into(),
            "Content-Type: image/jpeg".into(),
            "-H".into(),
            cookie.clone(),
            "-H".into(),
            "Expect:".into(),
        ],
        uploads(),
        |_| binary_url.clone(),
        |n| dir.join(format!("image-{}.jpg", n % images)),
    );
    let not_jpeg = dir.join("not-a-jpeg.bin");
    std::fs::write(&not_jpeg, vec![0u8; IMAGE_BYTES]).unwrap();
    let refused = Batch::new(
        dir,
        &format!("{name}-refused"),
        binary.options.clone(),
        uploads(),
        |_| binary_url.clone(),
        |_| not_jpeg.clone(),
    )
    .answered("415");
    let base64_url = format!("{}/api/monitoring/upload", server.url);
    let base64 = Batch::new(
        dir,
        &format!("{name}-base64"),
        vec![
            "-X".into(),
            "POST".into(),
            "-H".into(),
            "Content-Type: application/json".into(),
            "-H".into(),
            cookie,
            "-H".into(),
            "Expect:".into(),
        ],
        uploads(),
        |_| base64_url.clone(),
        |n| dir.join(format!("{name}-{}.json", n % images)),
    );
    (binary, base64, refused)
}

fn uploads() -> usize {
    std::env::var("PIPELINE_UPLOADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(640)
}

/// Upload rates in interleaved rounds, as ratios to raw PutObject.
async fn bench_uploads(images: &Arc<Vec<Vec<u8>>>) -> (Server, Server) {
    let rounds: usize = std::env::var("PIPELINE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let dir = tempfile::tempdir().unwrap();
    for (n, image) in images.iter().enumerate() {
        std::fs::write(dir.path().join(format!("image-{n}.jpg")), image).unwrap();
    }
    create_bucket("bench-raw").await;
    create_bucket("bench-server").await;
    let endpoint = env("BENCH_S3_ENDPOINT");
    let raw_options: Vec<String> = vec![
        "--aws-sigv4".into(),
        "aws:amz:us-east-1:s3".into(),
        "--user".into(),
        format!(
            "{}:{}",
            env("BENCH_S3_ACCESS_KEY"),
            env("BENCH_S3_SECRET_KEY")
        ),
        "-H".into(),
        "x-amz-content-sha256: UNSIGNED-PAYLOAD".into(),
        "-H".into(),
        "x-amz-server-side-encryption: AES256".into(),
    ];
    // Each round's raw PUTs write new objects, as uploads do: raw PutObject with
    // 8 in flight (the baseline), and one at a time under keys laid out as ours
    // (SeaweedFS's CPU per object rises as requests come slower, and our uploads
    // reach about half the raw rate).
    let raw_rounds: Vec<(Batch, Batch)> = (0..=rounds)
        .map(|round| {
            let raw = Batch::new(
                dir.path(),
                &format!("raw-{round}"),
                raw_options.clone(),
                uploads(),
                |n| format!("{endpoint}/bench-raw/raw/{}-{n}.jpg", uuid::Uuid::new_v4()),
                |n| dir.path().join(format!("image-{}.jpg", n % images.len())),
            );
            let application = uuid::Uuid::new_v4();
            let one = Batch::new(
                dir.path(),
                &format!("raw-one-{round}"),
                raw_options.clone(),
                uploads(),
                |n| {
                    format!(
                        "{endpoint}/bench-raw/monitoring/{application}/screen/{}-{}.jpg",
                        1_700_000_000_000u64 + n as u64,
                        uuid::Uuid::new_v4()
                    )
                },
                |n| dir.path().join(format!("image-{}.jpg", n % images.len())),
            )
            .one_at_a_time();
            (raw, one)
        })
        .collect();
    let s3 = Server::start_pipeline(Some("bench-server")).await;
    let builtin = Server::start_pipeline(None).await;
    let (s3_binary, s3_base64, s3_refused) =
        server_batches(&s3, "s3", dir.path(), images.len()).await;
    let (builtin_binary, builtin_base64, _) =
        server_batches(&builtin, "builtin", dir.path(), images.len()).await;
    let store = std::env::var("BENCH_S3_PID")
        .ok()
        .and_then(|v| v.parse().ok());
    let (s3_pid, builtin_pid) = (Some(s3.child.id()), Some(builtin.child.id()));
    // Each side with the server it goes through and whether the object store serves it.
    let sides: [(&str, &Batch, Option<u32>, Option<u32>); 5] = [
        ("S3 upload-binary", &s3_binary, s3_pid, store),
        ("S3 base64 upload", &s3_base64, s3_pid, store),
        ("built-in upload-binary", &builtin_binary, builtin_pid, None),
        ("built-in base64 upload", &builtin_base64, builtin_pid, None),
        (
            "upload-binary refused as not a JPEG (415)",
            &s3_refused,
            s3_pid,
            None,
        ),
    ];
    println!(
        "uploads: {} of {} KiB a side with {IN_FLIGHT} in flight, curl --parallel on every side; {rounds} rounds after a warm-up",
        uploads(),
        IMAGE_BYTES / 1024
    );
    if store.is_none() {
        println!("  (no BENCH_S3_PID: the object store's CPU is not measured)");
    }
    // The peak memory read after the rounds is theirs alone, not the sign-ins'
    // and set-up's before them.
    s3.reset_peak_rss();
    builtin.reset_peak_rss();
    let (mut raw_costs, mut one_costs) = (Vec::new(), Vec::new());
    let mut costs: Vec<Vec<Cost>> = vec![Vec::new(); sides.len()];
    for (round, (raw, one)) in raw_rounds.iter().enumerate() {
        let raw_cost = raw.cost(None, store);
        let one_cost = one.cost(None, store);
        let round_costs: Vec<Cost> = sides
            .iter()
            .map(|(_, batch, server, store)| batch.cost(*server, *store))
            .collect();
        if round == 0 {
            continue; // warm-up
        }
        let line: Vec<String> = sides
            .iter()
            .zip(&round_costs)
            .map(|((name, ..), cost)| {
                format!(
                    "{name} {:.0}/s ({:.2}; server {:.0} µs, store {:.0} µs)",
                    cost.rate,
                    cost.rate / raw_cost.rate,
                    cost.server_us,
                    cost.store_us
                )
            })
            .collect();
        println!(
            "  round {round}: raw PutObject {:.0}/s (store {:.0} µs), one at a time {:.0}/s (store {:.0} µs); {}",
            raw_cost.rate,
            raw_cost.store_us,
            one_cost.rate,
            one_cost.store_us,
            line.join(", ")
        );
        for (i, cost) in round_costs.iter().enumerate() {
            costs[i].push(*cost);
        }
        raw_costs.push(raw_cost);
        one_costs.push(one_cost);
    }
    let of =
        |costs: &[Cost], field: fn(&Cost) -> f64| costs.iter().map(field).collect::<Vec<f64>>();
    println!(
        "raw PutObject (signed PUT, SSE-S3) to SeaweedFS: {}/s; the store's CPU per object {} µs",
        spread(&of(&raw_costs, |c| c.rate), 0),
        spread(&of(&raw_costs, |c| c.store_us), 0)
    );
    println!(
        "raw PutObject one at a time, keys laid out as ours: {}/s; the store's CPU per object {} µs",
        spread(&of(&one_costs, |c| c.rate), 0),
        spread(&of(&one_costs, |c| c.store_us), 0)
    );
    for (i, (name, _, _, store)) in sides.iter().enumerate() {
        let store_cpu = match store {
            Some(_) => format!(
                "; the store's CPU per upload {} µs",
                spread(&of(&costs[i], |c| c.store_us), 0)
            ),
            None => String::new(),
        };
        // Each round's rate as a share of the same round's raw rate.
        let ratios: Vec<f64> = costs[i]
            .iter()
            .zip(&raw_costs)
            .map(|(cost, raw)| cost.rate / raw.rate)
            .collect();
        println!(
            "{name}: {} of raw PutObject; the server's CPU per upload {} µs{store_cpu} (median, min–max of {rounds} rounds)",
            spread(&ratios, 2),
            spread(&of(&costs[i], |c| c.server_us), 0),
        );
    }
    (s3, builtin)
}

/// The server's signing time so far: (seconds, batches), from /metrics.
async fn signing_so_far(server: &Server) -> (f64, f64) {
    let text = reqwest::get(format!("{}/metrics", server.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (
        value("interview_monitor_signing_seconds_sum"),
        value("interview_monitor_signing_seconds_count"),
    )
}

/// signed-urls with 1,000 keys, 20 times: the server's time (from /metrics) and the round trip.
async fn sign_thousand(name: &str, server: &Arc<Server>, keys: Vec<String>) {
    let (seconds_before, count_before) = signing_so_far(server).await;
    let sign = time_ms(20, || {
        let server = server.clone();
        let keys = keys.clone();
        async move {
            let response = server
                .client
                .post(format!("{}/api/monitoring/signed-urls", server.url))
                .json(&json!({"s3Keys": keys}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.bytes().await.unwrap();
        }
    })
    .await;
    let (seconds_after, count_after) = signing_so_far(server).await;
    let server_ms =
        (seconds_after - seconds_before) / (count_after - count_before).max(1.0) * 1000.0;
    println!(
        "{name}: signed-urls with 1,000 keys: {server_ms:.1} ms in the server (mean of 20, authorizing, signing and the audit entry), {sign:.1} ms round trip (median of 20, on loopback)"
    );
}

async fn bench_signing_and_memory(name: &str, server: Server, images: &Arc<Vec<Vec<u8>>>) {
    let server = Arc::new(server);
    // 1,000 keys in one signed-urls call.
    let list = server.images().await;
    let mut keys: Vec<String> = ["camera", "screen"]
        .iter()
        .flat_map(|kind| {
            list[*kind]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["s3Key"].as_str().unwrap().to_string())
        })
        .collect();
    keys.truncate(1000);
    if keys.len() < 1000 {
        // Fewer uploads than that (a small PIPELINE_UPLOADS): no figure rather than another one.
        println!(
            "{name}: signed-urls with 1,000 keys: not measured, {} images stored",
            keys.len()
        );
    } else {
        sign_thousand(name, &server, keys).await;
    }

    // Peak memory with 256 base64 uploads sent at once from one client: it may
    // have 8 bodies read at a time (429 beyond, with Retry-After).
    let before = server.peak_rss_mib();
    let statuses = std::sync::Mutex::new(Vec::new());
    rate(256, 256, |n| {
        let (server, images, statuses) = (server.clone(), images.clone(), &statuses);
        async move {
            let status = server.upload_base64(&images[n % images.len()]).await;
            statuses.lock().unwrap().push(status);
        }
    })
    .await;
    let statuses = statuses.into_inner().unwrap();
    let stored = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        stored + refused,
        256,
        "every upload is stored or refused with 429: {statuses:?}"
    );
    println!(
        "{name}: peak server RSS {:.1} MiB after 256 base64 uploads at once ({stored} stored, {refused} answered 429; peak before that burst: {before:.1} MiB)",
        server.peak_rss_mib()
    );
}

/// `images` of an application with 20,000 rows, on SQLite or (with `postgres`, a
/// server URL) a new PostgreSQL database. Camera images have face analyses, as
/// with FACE_DETECTION on. PIPELINE_LISTING_CALLS (default 20) calls are timed.
async fn bench_listing(postgres: Option<&str>) {
    let (database, label) = match postgres {
        Some(server) => (
            Some(common::postgres_database(server, "im_listing").await),
            "PostgreSQL",
        ),
        None => (None, "SQLite"),
    };
    let mut vars = Vec::new();
    if let Some(url) = &database {
        vars.push(("DATABASE_URL".to_string(), url.clone()));
    }
    let server = Server::start(vars).await;
    let url = database.unwrap_or_else(|| {
        format!(
            "sqlite://{}/interview-monitor.db?mode=rwc",
            server.dir.path().display()
        )
    });
    let db = sea_orm::Database::connect(url).await.unwrap();
    use sea_orm::{ConnectionTrait, EntityTrait, Set};
    use server::db::entities::monitoring_image;
    let application: uuid::Uuid = server.application.parse().unwrap();
    let uploader: uuid::Uuid = {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT id FROM users WHERE role = 'candidate'",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index(0).unwrap()
    };
    let start = chrono::Utc::now() - chrono::Duration::hours(100);
    for chunk in (0..20_000).collect::<Vec<i64>>().chunks(500) {
        let rows = chunk.iter().map(|n| {
            let kind = if n % 2 == 0 {
                shared::ImageKind::Camera
            } else {
                shared::ImageKind::Screen
            };
            let captured = start + chrono::Duration::seconds(*n * 15);
            let key = shared::ObjectKey::new(
                shared::ApplicationId(application),
                kind,
                captured.timestamp_millis(),
                uuid::Uuid::new_v4(),
            )
            .expect("a time after 1970");
            monitoring_image::ActiveModel {
                id: Set(key.id),
                application_id: Set(application),
                kind: Set(kind.as_str().into()),
                object_key: Set(key.to_string()),
                captured_at: Set(captured),
                stored_at: Set(captured),
                size_bytes: Set(65536),
                sha256: Set("0".repeat(64)),
                uploaded_by: Set(uploader),
                pending: Set(false),
                ..Default::default()
            }
        });
        monitoring_image::Entity::insert_many(rows)
            .exec_without_returning(&db)
            .await
            .unwrap();
    }
    // A face analysis for every camera image, as the workers leave them.
    let analyses = "INSERT INTO face_analyses (image_id, application_id, outcome, faces, boxes, analysed_at) \
         SELECT id, application_id, 'analysed', 1, '[{\"x\":0.3,\"y\":0.2,\"w\":0.4,\"h\":0.5,\"score\":9.5}]', stored_at \
         FROM monitoring_images WHERE kind = 'camera'";
    let analysed = db
        .execute_unprepared(analyses)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(analysed, 10_000);
    let listed = server.images().await;
    assert_eq!(
        listed["camera"].as_array().unwrap().len() + listed["screen"].as_array().unwrap().len(),
        20_000
    );
    let bytes = std::sync::atomic::AtomicUsize::new(0);
    let calls = std::env::var("PIPELINE_LISTING_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let images = time_ms(calls, || async {
        let response = server
            .client
            .post(format!("{}/api/monitoring/images", server.url))
            .json(&json!({"applicationId": server.application}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        bytes.store(
            response.bytes().await.unwrap().len(),
            std::sync::atomic::Ordering::Relaxed,
        );
    })
    .await;
    let kib = bytes.load(std::sync::atomic::Ordering::Relaxed) / 1024;
    println!("images with 20,000 rows ({label}): {images:.1} ms per call (median of {calls}, round trip to the last of {kib} KiB of JSON)");
}

#[tokio::main]
async fn main() {
    let images: Arc<Vec<Vec<u8>>> = Arc::new((0..64).map(|seed| jpeg(IMAGE_BYTES, seed)).collect());
    println!(
        "interview-monitor pipeline benchmark: {} KiB JPEGs",
        IMAGE_BYTES / 1024
    );
    // PIPELINE_ONLY=listing (or uploads) runs one part.
    let only = std::env::var("PIPELINE_ONLY").unwrap_or_default();
    if only.is_empty() || only == "uploads" {
        let (s3, builtin) = bench_uploads(&images).await;
        for (name, server) in [("S3 (SeaweedFS)", &s3), ("built-in store", &builtin)] {
            let (anon, file) = server.rss_parts_mib();
            println!(
                "{name}: peak server RSS {:.1} MiB over the upload rounds (8 in flight, binary and base64; after them {anon:.1} MiB anonymous, {file:.1} MiB file-backed, mostly the binary's code; the S3 server's also took the 415 side)",
                server.peak_rss_mib()
            );
        }
        bench_signing_and_memory("S3 (SeaweedFS)", s3, &images).await;
        bench_signing_and_memory("built-in store", builtin, &images).await;
    }
    if only.is_empty() || only == "listing" {
        bench_listing(None).await;
        match std::env::var("BENCH_POSTGRES_URL") {
            Ok(postgres) if !postgres.is_empty() => bench_listing(Some(&postgres)).await,
            _ => println!("images on PostgreSQL: not measured (no BENCH_POSTGRES_URL)"),
        }
    }
}
