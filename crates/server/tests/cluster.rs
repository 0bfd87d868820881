//! Beyond one machine: two instances of the server (each its own process) on one
//! PostgreSQL database and a SeaweedFS cluster of one master, three volume
//! servers with replication 001 (every object on two of them) and two filers,
//! each with its S3 gateway (`weed s3` in front of it). Instance A is given gateway 1 then 2, B gateway 2
//! then 1 (AWS_ENDPOINT_URL_S3 with a comma). Then instance A, a volume server
//! and gateway 2 are killed in turn while candidates go on uploading.
//!
//! Runs with TEST_CLUSTER=1 (scripts/test.sh sets it with TEST_POSTGRES_URL and WEED_BIN).

use std::{
    collections::HashSet,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use futures::StreamExt;
use reqwest::{Client, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};

const ACCESS_KEY: &str = "cluster-test";
const SECRET_KEY: &str = "cluster-test-secret";
const BUCKET: &str = "cluster";

/// A free port below the kernel's ephemeral range (32768 and up): every port of
/// the cluster is chosen before its process starts, and a port from the
/// ephemeral range could be taken meanwhile by one of the outgoing connections
/// the processes started before it make (a gateway then never comes up).
fn free_port() -> u16 {
    for _ in 0..1000 {
        let port = 20_000 + (uuid::Uuid::new_v4().as_u128() % 12_000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port between 20000 and 32000");
}

/// A child process killed when dropped (SeaweedFS needs SIGKILL to stop promptly).
struct Process {
    name: String,
    child: Option<Child>,
    /// How it was started, to start it again if it fails to come up.
    program: std::ffi::OsString,
    args: Vec<std::ffi::OsString>,
    envs: Vec<(std::ffi::OsString, std::ffi::OsString)>,
    log: std::path::PathBuf,
}

impl Process {
    fn start(name: &str, command: &mut Command, log: &Path) -> Process {
        let mut process = Process {
            name: name.into(),
            child: None,
            program: command.get_program().to_owned(),
            args: command.get_args().map(|a| a.to_owned()).collect(),
            envs: command
                .get_envs()
                .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
                .collect(),
            log: log.to_path_buf(),
        };
        process.spawn();
        process
    }

    fn spawn(&mut self) {
        let log = std::fs::File::create(&self.log).expect("log file");
        let child = Command::new(&self.program)
            .args(&self.args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", self.name));
        self.child = Some(child);
    }

    /// Starts it again if it has exited (a SeaweedFS process now and then dies
    /// while starting on this busy machine); says so, with why.
    fn restart_if_exited(&mut self) {
        let exited = self
            .child
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(Some(_))));
        if exited {
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            let why: Vec<&str> = text
                .lines()
                .filter(|line| line.starts_with('F') || line.starts_with('E'))
                .take(5)
                .collect();
            eprintln!(
                "{} exited while starting; starting it again. Its errors: {}",
                self.name,
                why.join(" | ")
            );
            self.spawn();
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            eprintln!("killed {}", self.name);
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

async fn wait_until<F, Fut>(what: &str, seconds: u64, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{what} was not ready within {seconds} s{}", log_tails());
}

/// Where the processes of this test write their logs.
static LOG_DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// The last lines of every process's log: what a failure needs to be understood
/// (the directory is gone once the test ends).
fn log_tails() -> String {
    let Some(dir) = LOG_DIR.get() else {
        return String::new();
    };
    // The logs are in the test's directory or one below it.
    let mut logs = Vec::new();
    let mut dirs = vec![dir.clone()];
    while let Some(dir) = dirs.pop() {
        for path in std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
        {
            if path.is_dir() && path.parent() == LOG_DIR.get().map(|d| d.as_path()) {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "log") {
                logs.push(path);
            }
        }
    }
    logs.sort();
    let mut out = String::new();
    for log in logs {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        out.push_str(&format!("\n--- {} (last lines) ---\n", log.display()));
        let errors: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| l.starts_with('F') || l.starts_with('E'))
            .take(5)
            .collect();
        if !errors.is_empty() {
            out.push_str(&errors.join("\n"));
            out.push_str("\n...\n");
        }
        out.push_str(&lines[lines.len().saturating_sub(12)..].join("\n"));
    }
    out
}

fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "test",
        ))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// The SeaweedFS cluster; each part is its own process.
struct Seaweed {
    master: Process,
    volumes: Vec<Process>,
    filers: Vec<Process>,
    /// `weed s3`, one in front of each filer.
    gateways: Vec<Process>,
    s3_endpoints: Vec<String>,
    ports: Vec<u16>,
}

impl Seaweed {
    /// Starts again every process of the cluster that has exited.
    fn restart_exited(&mut self) {
        for process in std::iter::once(&mut self.master)
            .chain(self.volumes.iter_mut())
            .chain(self.filers.iter_mut())
            .chain(self.gateways.iter_mut())
        {
            process.restart_if_exited();
        }
    }

    async fn start(dir: &Path) -> Seaweed {
        let weed = std::env::var("WEED_BIN").expect("WEED_BIN is set by scripts/test.sh");
        let mut ports = Vec::new();
        // Distinct: a port chosen earlier is not bound until its process starts.
        let mut port = || loop {
            let p = free_port();
            if !ports.contains(&p) {
                ports.push(p);
                break p;
            }
        };
        let (master_port, master_grpc) = (port(), port());
        let master_address = format!("127.0.0.1:{master_port}.{master_grpc}");
        std::fs::create_dir_all(dir.join("master")).unwrap();
        let master = Process::start(
            "master",
            Command::new(&weed).args([
                "master",
                "-ip=127.0.0.1",
                &format!("-port={master_port}"),
                &format!("-port.grpc={master_grpc}"),
                &format!("-mdir={}", dir.join("master").display()),
                "-defaultReplication=001",
                "-volumeSizeLimitMB=64",
                "-telemetry=false",
            ]),
            &dir.join("master.log"),
        );
        let mut volumes = Vec::new();
        for n in 0..3 {
            let (volume_port, volume_grpc) = (port(), port());
            let data = dir.join(format!("volume{n}"));
            std::fs::create_dir_all(&data).unwrap();
            volumes.push(Process::start(
                &format!("volume server {n}"),
                Command::new(&weed).args([
                    "volume",
                    "-ip=127.0.0.1",
                    &format!("-port={volume_port}"),
                    &format!("-port.grpc={volume_grpc}"),
                    &format!("-dir={}", data.display()),
                    "-max=30",
                    // Read-only below this much free disk (by default 1% of the
                    // disk, gigabytes on a large shared one, which tests reach).
                    "-minFreeSpace=32MiB",
                    &format!("-master={master_address}"),
                    "-preStopSeconds=0",
                ]),
                &dir.join(format!("volume{n}.log")),
            ));
        }
        std::fs::write(
            dir.join("s3.json"),
            json!({"identities": [{"name": "test", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]})
            .to_string(),
        )
        .unwrap();
        let mut filers = Vec::new();
        let mut gateways = Vec::new();
        let mut s3_endpoints = Vec::new();
        for n in 0..2 {
            let (filer_port, filer_grpc, s3_port, s3_grpc) = (port(), port(), port(), port());
            let store = dir.join(format!("filer{n}"));
            std::fs::create_dir_all(&store).unwrap();
            filers.push(Process::start(
                &format!("filer {}", n + 1),
                Command::new(&weed).args([
                    "filer",
                    "-ip=127.0.0.1",
                    &format!("-port={filer_port}"),
                    &format!("-port.grpc={filer_grpc}"),
                    &format!("-master={master_address}"),
                    &format!("-defaultStoreDir={}", store.display()),
                ]),
                &dir.join(format!("filer{n}.log")),
            ));
            gateways.push(Process::start(
                &format!("S3 gateway {}", n + 1),
                Command::new(&weed)
                    .env("WEED_S3_SSE_KEY", "cluster-test-sse-key")
                    .args([
                        "s3",
                        &format!("-filer=127.0.0.1:{filer_port}.{filer_grpc}"),
                        "-ip.bind=127.0.0.1",
                        &format!("-port={s3_port}"),
                        &format!("-port.grpc={s3_grpc}"),
                        &format!("-config={}", dir.join("s3.json").display()),
                        "-port.iceberg=0",
                        "-port.lance=0",
                    ]),
                &dir.join(format!("s3-{n}.log")),
            ));
            s3_endpoints.push(format!("http://127.0.0.1:{s3_port}"));
        }
        let mut cluster = Seaweed {
            master,
            volumes,
            filers,
            gateways,
            s3_endpoints,
            ports,
        };
        // Until every gateway answers, start again any process that died
        // starting (a filer that starts before its peer can fail to bootstrap
        // from it, and exits).
        for n in 0..cluster.s3_endpoints.len() {
            let client = s3_client(&cluster.s3_endpoints[n]);
            let deadline = Instant::now() + Duration::from_secs(60);
            while client.list_buckets().send().await.is_err() {
                if Instant::now() >= deadline {
                    panic!("an S3 gateway was not ready within 60 s{}", log_tails());
                }
                cluster.restart_exited();
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        let first = s3_client(&cluster.s3_endpoints[0]);
        first
            .create_bucket()
            .bucket(BUCKET)
            .send()
            .await
            .expect("create the bucket");
        // Objects written through one gateway read back through the other.
        wait_until("the cluster to take writes", 60, || async {
            first
                .put_object()
                .bucket(BUCKET)
                .key("probe")
                .body(aws_sdk_s3::primitives::ByteStream::from_static(b"probe"))
                .send()
                .await
                .is_ok()
        })
        .await;
        let second = s3_client(&cluster.s3_endpoints[1]);
        wait_until(
            "the second gateway to see the first one's object",
            30,
            || async {
                second
                    .get_object()
                    .bucket(BUCKET)
                    .key("probe")
                    .send()
                    .await
                    .is_ok()
            },
        )
        .await;
        cluster
    }
}

impl Drop for Seaweed {
    fn drop(&mut self) {
        self.master.kill();
        for process in self
            .volumes
            .iter_mut()
            .chain(self.filers.iter_mut())
            .chain(self.gateways.iter_mut())
        {
            process.kill();
        }
        // A killed SeaweedFS leaves sockets named after its ports.
        for port in &self.ports {
            if let Ok(entries) = std::fs::read_dir("/tmp") {
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().to_string();
                    if name.starts_with("seaweedfs-") && name.ends_with(&format!("-{port}.sock")) {
                        let _ = std::fs::remove_file(entry.path());
                    }
                }
            }
        }
    }
}

/// One instance of the server.
struct Instance {
    process: Process,
    url: String,
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_interview-monitor")
}

fn settings(database_url: &str, data_dir: &Path, endpoints: &str) -> Vec<(String, String)> {
    [
        ("DATABASE_URL", database_url.to_string()),
        ("DATA_DIR", data_dir.display().to_string()),
        ("AWS_S3_BUCKET_NAME", BUCKET.into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ENDPOINT_URL_S3", endpoints.into()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.into()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.into()),
        ("UPLOADS_PER_MINUTE", "100000".into()),
        ("FACE_DETECTION", "off".into()),
        ("RUST_LOG", "warn".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

impl Instance {
    async fn start(name: &str, dir: &Path, database_url: &str, endpoints: &str) -> Instance {
        let port = free_port();
        let data = dir.join(name);
        std::fs::create_dir_all(&data).unwrap();
        let process = Process::start(
            &format!("instance {name}"),
            Command::new(binary())
                .arg("serve")
                .envs(settings(database_url, &data, endpoints))
                .env("BIND", format!("127.0.0.1:{port}")),
            &dir.join(format!("{name}.log")),
        );
        let url = format!("http://127.0.0.1:{port}");
        let health = Client::new();
        wait_until(&format!("instance {name}"), 60, || async {
            health
                .get(format!("{url}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        })
        .await;
        Instance { process, url }
    }
}

fn cli(
    database_url: &str,
    dir: &Path,
    endpoints: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> String {
    use std::io::Write;
    let mut child = Command::new(binary())
        .args(args)
        .envs(settings(database_url, &dir.join("cli"), endpoints))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the CLI starts");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{text}\n").as_bytes())
            .expect("stdin");
    }
    let output = child.wait_with_output().expect("the CLI ends");
    assert!(output.status.success(), "interview-monitor {args:?} failed");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn jpeg(n: u32) -> Vec<u8> {
    let mut jpeg = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
    ];
    jpeg.extend([0xFF, 0xC0, 0x00, 0x0B, 8, 0, 1, 0, 1, 1, 1, 0x11, 0]);
    jpeg.extend([0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 0x3F, 0]);
    jpeg.extend(
        (0..8000u32).map(|i| (i.wrapping_mul(2654435761).wrapping_add(n) >> 13) as u8 % 0xFE),
    );
    jpeg.extend([0xFF, 0xD9]);
    jpeg
}

/// One capture sent as the browser queue sends it: the same capture id and time to each
/// instance in turn, again on a refused connection, a timeout or a 503, until
/// stored (within two minutes: a copy that died with its instance is taken over
/// once its reservation is a minute old).
async fn upload(client: &Client, instances: &[&str], application: &str, n: u32) -> (String, usize) {
    let capture = uuid::Uuid::new_v4();
    // As the panel does: the capture's own time and id, the same on every attempt.
    let captured_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut attempts = 0;
    loop {
        let base = instances[attempts % instances.len()];
        attempts += 1;
        assert!(
            Instant::now() < deadline,
            "capture {n} was not stored within two minutes ({attempts} attempts)"
        );
        let url = format!("{base}/api/monitoring/upload-binary?applicationId={application}&imageType=camera&captureId={capture}&capturedAt={captured_at}");
        let sent = client
            .post(url)
            .header("content-type", "image/jpeg")
            .body(jpeg(n))
            .timeout(Duration::from_secs(30))
            .send()
            .await;
        match sent {
            Ok(response) if response.status() == StatusCode::OK => {
                let body: Value = response.json().await.expect("receipt");
                return (body["s3Key"].as_str().expect("key").to_string(), attempts);
            }
            Ok(response) if response.status() == StatusCode::SERVICE_UNAVAILABLE => {}
            Ok(response) => panic!(
                "capture {n}: {} {}",
                response.status(),
                response.text().await.unwrap_or_default()
            ),
            Err(_) => {} // the instance is gone: the next one
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn listed(client: &Client, base: &str, application: &str) -> Vec<String> {
    let list: Value = client
        .post(format!("{base}/api/monitoring/images"))
        .json(&json!({"applicationId": application}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list["camera"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["s3Key"].as_str().unwrap().to_string())
        .collect()
}

/// Signs every key through `base` and fetches each URL: all must be the bytes stored.
async fn all_readable(client: &Client, base: &str, keys: &[String]) {
    let signed: Value = client
        .post(format!("{base}/api/monitoring/signed-urls"))
        .json(&json!({"s3Keys": keys}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for url in signed["urls"].as_array().unwrap() {
        let response = reqwest::get(url["url"].as_str().unwrap()).await.unwrap();
        assert_eq!(response.status(), 200, "{}", url["s3Key"]);
        assert!(response.bytes().await.unwrap().starts_with(&[0xFF, 0xD8]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_database_and_a_seaweedfs_cluster_survive_losing_an_instance_a_volume_server_and_a_gateway(
) {
    if std::env::var("TEST_CLUSTER").is_err() {
        eprintln!("runs with TEST_CLUSTER=1 (scripts/test.sh)");
        return;
    }
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let _ = LOG_DIR.set(dir.path().to_path_buf());
    let mut cluster = Seaweed::start(dir.path()).await;
    let postgres =
        std::env::var("TEST_POSTGRES_URL").expect("TEST_POSTGRES_URL is set by scripts/test.sh");
    let name = format!("im_cluster_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(format!("{postgres}/postgres"))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let database_url = format!("{postgres}/{name}");
    let (gw1, gw2) = (
        cluster.s3_endpoints[0].clone(),
        cluster.s3_endpoints[1].clone(),
    );
    let (a_endpoints, b_endpoints) = (format!("{gw1},{gw2}"), format!("{gw2},{gw1}"));

    let run = |args: &[&str], stdin: Option<&str>| {
        cli(&database_url, dir.path(), &a_endpoints, args, stdin)
    };
    run(&["org", "create", "--slug", "acme", "--name", "Acme"], None);
    run(
        &[
            "user",
            "create",
            "--email",
            "c@example.test",
            "--role",
            "candidate",
            "--password-stdin",
        ],
        Some("candidate-pass"),
    );
    let application = run(
        &[
            "application",
            "create",
            "--org",
            "acme",
            "--candidate",
            "c@example.test",
            "--title",
            "Cluster",
        ],
        None,
    );
    let mut a = Instance::start("a", dir.path(), &database_url, &a_endpoints).await;
    let b = Instance::start("b", dir.path(), &database_url, &b_endpoints).await;
    eprintln!(
        "cluster and two instances up in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Signed in on A; the session is a database row, so B knows it too.
    let client = Client::builder().cookie_store(true).build().unwrap();
    let login = client
        .post(format!("{}/api/auth/login", a.url))
        .json(&json!({"email": "c@example.test", "password": "candidate-pass"}));
    assert_eq!(login.send().await.unwrap().status(), 200);
    let consent =
        json!({"applicationId": application, "consentVersion": shared::integrity::CONSENT_VERSION});
    assert_eq!(
        client
            .post(format!("{}/api/monitoring/consent", b.url))
            .json(&consent)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let mut keys = Vec::new();
    for n in 0..8 {
        keys.push(upload(&client, &[&b.url], &application, n).await.0);
    }
    assert_eq!(
        listed(&client, &a.url, &application).await,
        keys,
        "uploaded through B, listed through A"
    );
    all_readable(&client, &a.url, &keys).await;
    all_readable(&client, &b.url, &keys).await;

    // Instance A dies while candidates upload through it: the queue moves to B.
    // Four in flight, as a few candidates' queues would be (one user may hold 8).
    let (c, a_url, b_url, app) = (
        client.clone(),
        a.url.clone(),
        b.url.clone(),
        application.clone(),
    );
    let uploads = futures::stream::iter(8..48u32).map(move |n| {
        let (client, a_url, b_url, application) =
            (c.clone(), a_url.clone(), b_url.clone(), app.clone());
        async move { upload(&client, &[&a_url, &b_url], &application, n).await }
    });
    let uploading = tokio::spawn(uploads.buffer_unordered(4).collect::<Vec<_>>());
    tokio::time::sleep(Duration::from_millis(150)).await;
    a.process.kill();
    let results = uploading.await.unwrap();
    let moved = results.iter().filter(|(_, attempts)| *attempts > 1).count();
    keys.extend(results.into_iter().map(|(key, _)| key));
    let stored = listed(&client, &b.url, &application).await;
    assert_eq!(stored.len(), 48, "every capture stored exactly once");
    assert_eq!(
        stored.iter().collect::<HashSet<_>>(),
        keys.iter().collect::<HashSet<_>>()
    );
    eprintln!(
        "instance A killed mid-upload: 40 captures stored once each, {moved} of them retried on B"
    );

    // A volume server dies: each object has a copy on another, and writes go to volumes that are whole.
    cluster.volumes[0].kill();
    let mut retried = 0;
    for n in 48..64 {
        let (key, attempts) = upload(&client, &[&b.url], &application, n).await;
        retried += usize::from(attempts > 1);
        keys.push(key);
    }
    all_readable(&client, &b.url, &keys).await;
    eprintln!("volume server killed: 16 more stored ({retried} after a 503), all 64 readable");

    // B's own gateway dies: B turns to the other one, without a 503.
    cluster.gateways[1].kill();
    for n in 64..72 {
        let (key, attempts) = upload(&client, &[&b.url], &application, n).await;
        assert_eq!(
            attempts, 1,
            "B fails over to the other gateway within the request"
        );
        keys.push(key);
    }
    assert_eq!(listed(&client, &b.url, &application).await.len(), 72);
    all_readable(&client, &b.url, &keys).await;
    eprintln!("gateway 2 killed: B failed over to gateway 1");

    // The database goes away: 503 within the pool's 5 s acquire timeout, never a
    // 500 or a hang; back again, B works on without a restart.
    admin.close().await.ok();
    postgres_ctl(&["stop", "-m", "immediate"]);
    let down = Instant::now();
    let health = client
        .get(format!("{}/healthz", b.url))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 503);
    let refused = client
        .post(format!(
            "{}/api/monitoring/upload-binary?applicationId={application}&imageType=camera",
            b.url
        ))
        .header("content-type", "image/jpeg")
        .body(jpeg(99))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(
        refused
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("5"),
        "the client is told when to come back"
    );
    let answered = down.elapsed();
    assert!(
        answered < Duration::from_secs(15),
        "answered within the timeouts, not hung: {answered:?}"
    );
    postgres_ctl(&["restart", "-w"]);
    wait_until("B to reach the database again", 60, || async {
        client
            .get(format!("{}/healthz", b.url))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
    keys.push(upload(&client, &[&b.url], &application, 72).await.0);
    assert_eq!(listed(&client, &b.url, &application).await.len(), 73);
    eprintln!(
        "PostgreSQL stopped: 503 in {:.1} s; restarted: B carries on; whole test {:.1} s",
        answered.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

/// `pg_ctl` on the test's PostgreSQL, as its owner.
fn postgres_ctl(args: &[&str]) {
    let pg_ctl = std::env::var("TEST_PG_CTL").expect("TEST_PG_CTL is set by scripts/test.sh");
    let data = std::env::var("TEST_PGDATA").expect("TEST_PGDATA is set by scripts/test.sh");
    let status = Command::new("runuser")
        .args(["-u", "postgres", "--", &pg_ctl, "-D", &data])
        .args(args)
        .stdout(Stdio::null())
        .status()
        .expect("pg_ctl runs");
    assert!(status.success(), "pg_ctl {args:?}");
}
