//! The release server as the benches start it: a fresh data directory and port,
//! the demo data, and a client signed in as the demo candidate, who has consented.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::json;

pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by scripts/bench.sh"))
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[allow(dead_code)] // each bench uses what it needs of it
pub struct Server {
    pub child: Child,
    pub url: String,
    pub client: reqwest::Client,
    pub application: String,
    /// The data directory, removed when the server is dropped.
    #[allow(dead_code)] // the pipeline bench reads it; the faces bench only keeps it
    pub dir: tempfile::TempDir,
    /// What `demo` printed (the accounts and their passwords).
    #[allow(dead_code)] // the export bench signs in as the recruiter
    pub demo: String,
    /// The settings it was started with.
    #[allow(dead_code)]
    pub vars: Vec<(String, String)>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// `SERVER_BIN serve` with `vars` added to the bench's own settings.
    pub async fn start(vars: Vec<(String, String)>) -> Server {
        let bin = env("SERVER_BIN");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut all: Vec<(String, String)> = vec![
            ("DATA_DIR".into(), dir.path().display().to_string()),
            ("BIND".into(), format!("127.0.0.1:{port}")),
            ("UPLOADS_PER_MINUTE".into(), "1000000".into()),
            ("RUST_LOG".into(), "warn".into()),
        ];
        all.extend(vars);
        let demo = Command::new(&bin)
            .arg("demo")
            .envs(all.clone())
            .output()
            .unwrap();
        assert!(
            demo.status.success(),
            "{}",
            String::from_utf8_lossy(&demo.stderr)
        );
        let demo = String::from_utf8_lossy(&demo.stdout).to_string();
        let password = demo
            .lines()
            .find(|l| l.contains("candidate@demo.test"))
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap()
            .to_string();
        let application = demo
            .lines()
            .find(|l| l.starts_with("Application"))
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap()
            .to_string();
        let (child, url) = serve(&all).await;
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .pool_max_idle_per_host(512)
            .build()
            .unwrap();
        let login = client
            .post(format!("{url}/api/auth/login"))
            .json(&json!({"email": "candidate@demo.test", "password": password}));
        assert_eq!(login.send().await.unwrap().status(), 200);
        let consent = client
            .post(format!("{url}/api/monitoring/consent"))
            .json(&json!({"applicationId": application, "consentVersion": shared::integrity::CONSENT_VERSION}));
        assert_eq!(
            consent.send().await.unwrap().status(),
            200,
            "the candidate consents"
        );
        Server {
            child,
            url,
            client,
            application,
            dir,
            demo,
            vars: all,
        }
    }

    /// Another instance over the same database and object store (a data directory
    /// and port of its own), as a second machine would run it.
    #[allow(dead_code)] // the capacity bench's two-instance variant
    pub async fn another(&self) -> Instance {
        let dir = tempfile::tempdir().unwrap();
        let mut vars = self.vars.clone();
        for (name, value) in vars.iter_mut() {
            match name.as_str() {
                "DATA_DIR" => *value = dir.path().display().to_string(),
                "BIND" => *value = format!("127.0.0.1:{}", free_port()),
                _ => {}
            }
        }
        let (child, url) = serve(&vars).await;
        Instance {
            child,
            url,
            _dir: dir,
        }
    }

    /// `images` of the demo application: `{camera, screen}`.
    #[allow(dead_code)] // not every bench lists
    pub async fn images(&self) -> serde_json::Value {
        let response = self
            .client
            .post(format!("{}/api/monitoring/images", self.url))
            .json(&json!({"applicationId": self.application}));
        response.send().await.unwrap().json().await.unwrap()
    }

    /// A client signed in as the demo recruiter.
    #[allow(dead_code)] // the export and report benches review
    pub async fn recruiter(&self) -> reqwest::Client {
        let password = self
            .demo
            .lines()
            .find(|l| l.contains("recruiter@demo.test"))
            .and_then(|l| l.rsplit(' ').next())
            .expect("the demo recruiter")
            .to_string();
        let recruiter = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let login = recruiter
            .post(format!("{}/api/auth/login", self.url))
            .json(&json!({"email": "recruiter@demo.test", "password": password}));
        assert_eq!(login.send().await.unwrap().status(), 200);
        recruiter
    }

    /// The server's resident memory now, in MiB.
    #[allow(dead_code)] // not every bench reads it
    pub fn rss_mib(&self) -> f64 {
        status_mib(self.child.id(), "VmRSS:")
    }

    /// The server's peak resident memory so far, in MiB.
    #[allow(dead_code)] // not every bench reads it
    pub fn peak_rss_mib(&self) -> f64 {
        status_mib(self.child.id(), "VmHWM:")
    }

    /// Starts the peak resident memory over from the current one (Linux: 5 written
    /// to /proc/PID/clear_refs), so that [`Server::peak_rss_mib`] covers what follows.
    #[allow(dead_code)] // not every bench reads a peak of part of its run
    pub fn reset_peak_rss(&self) {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5")
            .expect("the peak RSS can be reset (Linux 4.0 or later)");
    }

    /// The server's resident memory now, anonymous and file-backed (mostly the
    /// binary's code), in MiB.
    #[allow(dead_code)]
    pub fn rss_parts_mib(&self) -> (f64, f64) {
        (
            status_mib(self.child.id(), "RssAnon:"),
            status_mib(self.child.id(), "RssFile:"),
        )
    }
}

/// A further instance of the server (see [`Server::another`]).
#[allow(dead_code)]
pub struct Instance {
    pub child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `SERVER_BIN serve` with exactly `vars`, once `/healthz` answers: the process and its URL.
async fn serve(vars: &[(String, String)]) -> (Child, String) {
    let bind = vars
        .iter()
        .find(|(name, _)| name == "BIND")
        .map(|(_, v)| v.clone())
        .unwrap();
    let child = Command::new(env("SERVER_BIN"))
        .arg("serve")
        .envs(vars.iter().cloned())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://{bind}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client
            .get(format!("{url}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (child, url)
}

/// CPU seconds (user and system, all threads, living and gone) `pid` has used.
#[allow(dead_code)] // not every bench reads it
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime are fields 14 and 15 of the line; 12 and 13 after the name.
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    ticks / clock_ticks()
}

/// The kernel's clock ticks per second, in which /proc reports CPU time.
fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// A memory line of `/proc/PID/status` (`VmRSS:`, `VmHWM:`), in MiB.
#[allow(dead_code)] // not every bench reads it
pub fn status_mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// A JPEG the server accepts (SOI, JFIF, SOF0, SOS, EOI around noise) of `size` bytes; `seed` varies the noise.
#[allow(dead_code)] // not every bench uploads
pub fn jpeg(size: usize, seed: u32) -> Vec<u8> {
    let mut jpeg = vec![0xFF, 0xD8];
    jpeg.extend([
        0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
    ]);
    jpeg.extend([0xFF, 0xC0, 0x00, 0x0B, 8, 0, 1, 0, 1, 1, 1, 0x11, 0]);
    jpeg.extend([0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 0x3F, 0]);
    let data = size - jpeg.len() - 2;
    jpeg.extend(
        (0..data as u32)
            .map(|i| (i.wrapping_mul(2654435761).wrapping_add(seed) >> 13) as u8 % 0xFE),
    );
    jpeg.extend([0xFF, 0xD9]);
    jpeg
}

/// A client of the bench's S3 server (BENCH_S3_*), as the server itself makes one.
#[allow(dead_code)] // not every bench uses S3
pub fn s3_client() -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(env("BENCH_S3_ENDPOINT"))
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            env("BENCH_S3_ACCESS_KEY"),
            env("BENCH_S3_SECRET_KEY"),
            None,
            None,
            "bench",
        ))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// A new database `{prefix}_{uuid}` on the PostgreSQL server at `server`; its URL.
#[allow(dead_code)] // not every bench uses PostgreSQL
pub async fn postgres_database(server: &str, prefix: &str) -> String {
    use sea_orm::ConnectionTrait;
    let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    let admin = sea_orm::Database::connect(format!("{server}/postgres"))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    admin.close().await.ok();
    format!("{server}/{name}")
}
