use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::Value;

use crate::helpers::{
    create_bucket, interview, interview_with, jpeg, restartable_port, using_s3, S3_ACCESS_KEY,
    S3_SECRET_KEY,
};

/// A SeaweedFS S3 server of this test's own, to stop and start again.
struct Seaweed {
    child: Option<Child>,
    dir: tempfile::TempDir,
    /// HTTP ports of master, volume, filer, S3, then their gRPC ports; the same on restart.
    ports: [u16; 8],
}

/// SeaweedFS leaves `/tmp/seaweedfs-<part>-<port>.sock` behind when killed; one left
/// from an earlier run for a port we now use stops it from starting.
fn remove_stale_sockets(ports: &[u16]) {
    let Ok(entries) = std::fs::read_dir("/tmp") else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale = name.starts_with("seaweedfs-")
            && name
                .strip_suffix(".sock")
                .and_then(|n| n.rsplit('-').next())
                .and_then(|p| p.parse::<u16>().ok())
                .is_some_and(|p| ports.contains(&p));
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

impl Seaweed {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let identities = serde_json::json!({"identities": [{"name": "test", "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]});
        std::fs::write(dir.path().join("s3.json"), identities.to_string()).unwrap();
        Seaweed {
            child: None,
            dir,
            ports: std::array::from_fn(|_| restartable_port()),
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports[3])
    }

    async fn start(&mut self) {
        let weed = std::env::var("WEED_BIN").expect("WEED_BIN is set by scripts/test.sh");
        let [master, volume, filer, s3, master_grpc, volume_grpc, filer_grpc, s3_grpc] = self.ports;
        let d = self.dir.path().display().to_string();
        remove_stale_sockets(&self.ports);
        let log = std::fs::File::create(self.dir.path().join("weed.log")).unwrap();
        let child = Command::new(weed)
            .env("WEED_S3_SSE_KEY", "interview-monitor-test-sse-key")
            // One volume per bucket rather than seven (scripts/services.sh).
            .env("WEED_MASTER_VOLUME_GROWTH_COPY_1", "1")
            .args([
                "server",
                "-ip=127.0.0.1",
                &format!("-dir={d}"),
                &format!("-master.port={master}"),
                "-master.telemetry=false",
                "-master.volumeSizeLimitMB=64",
                "-volume.max=20",
                "-volume.minFreeSpace=32MiB",
                &format!("-volume.port={volume}"),
                "-volume.preStopSeconds=0",
                "-filer",
                &format!("-filer.port={filer}"),
                "-s3",
                &format!("-s3.port={s3}"),
                &format!("-s3.config={d}/s3.json"),
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                &format!("-master.port.grpc={master_grpc}"),
                &format!("-s3.port.grpc={s3_grpc}"),
                &format!("-volume.port.grpc={volume_grpc}"),
                &format!("-filer.port.grpc={filer_grpc}"),
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start weed");
        self.child = Some(child);
        let client = crate::helpers::s3_client(&self.endpoint());
        for _ in 0..300 {
            if client.list_buckets().send().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let log = std::fs::read_to_string(self.dir.path().join("weed.log")).unwrap_or_default();
        // glog's fatal lines (`F1126 ...`) say why; a stack trace follows them.
        let fatal: Vec<&str> = log
            .lines()
            .filter(|l| l.starts_with('F') && l.as_bytes().get(1).is_some_and(u8::is_ascii_digit))
            .collect();
        let tail: Vec<&str> = log.lines().rev().take(15).collect();
        panic!(
            "SeaweedFS did not start within 60 s on ports {:?}: {}\nits log ends:\n{}",
            self.ports,
            fatal.join("\n"),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        remove_stale_sockets(&self.ports);
    }
}

impl Drop for Seaweed {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test]
async fn when_s3_is_down_uploads_get_503_leave_nothing_behind_and_work_again_after() {
    if !using_s3() {
        eprintln!("runs with TEST_STORAGE=s3");
        return;
    }
    let mut weed = Seaweed::new();
    weed.start().await;
    let bucket = "outage";
    create_bucket(&weed.endpoint(), bucket).await;
    let endpoint = weed.endpoint();
    let i = interview_with(&[
        ("AWS_S3_BUCKET_NAME", bucket),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL_S3", &endpoint),
        ("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY),
    ])
    .await;
    i.app.login_as(&i.candidate).await;
    assert_eq!(
        i.app
            .upload_binary(&i.application, "camera", jpeg(5000, 1))
            .await
            .status(),
        200
    );

    weed.kill();
    let response = i
        .app
        .upload_binary(&i.application, "camera", jpeg(5000, 2))
        .await;
    assert_eq!(response.status(), 503);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("5")
    );
    assert!(response.json::<Value>().await.unwrap()["message"]
        .as_str()
        .unwrap()
        .contains("storage"));
    assert_eq!(
        i.app.count_image_rows().await,
        1,
        "no row for the failed upload"
    );

    weed.start().await;
    assert_eq!(
        i.app
            .upload_binary(&i.application, "camera", jpeg(5000, 3))
            .await
            .status(),
        200
    );
    let list: Value = i.app.images(&i.application).await.json().await.unwrap();
    assert_eq!(list["camera"].as_array().unwrap().len(), 2);
    for image in list["camera"].as_array().unwrap() {
        assert!(
            i.app.object_exists(image["s3Key"].as_str().unwrap()).await,
            "every acknowledged image is stored"
        );
    }
}

#[tokio::test]
async fn reconcile_reports_and_fixes_objects_without_rows_and_rows_without_objects() {
    let i = interview_with(&[]).await;
    i.app.login_as(&i.candidate).await;
    let kept = i
        .app
        .uploaded(&i.application, "camera", &jpeg(900, 1))
        .await;
    let lost_object = i
        .app
        .uploaded(&i.application, "camera", &jpeg(900, 2))
        .await;
    let lost_row = i
        .app
        .uploaded(&i.application, "screen", &jpeg(900, 3))
        .await;

    // Break both ways behind the server's back.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use server::db::entities::monitoring_image;
    monitoring_image::Entity::delete_many()
        .filter(monitoring_image::Column::ObjectKey.eq(lost_row.clone()))
        .exec(&i.app.db)
        .await
        .unwrap();
    match &i.app.s3 {
        Some((endpoint, bucket)) => {
            crate::helpers::s3_client(endpoint)
                .delete_object()
                .bucket(bucket)
                .key(&lost_object)
                .send()
                .await
                .unwrap();
        }
        None => std::fs::remove_file(i.app.data_dir.join("objects").join(&lost_object)).unwrap(),
    }

    // Awaited, not blocked on: the server under test runs on this test's runtime
    // and must go on committing while the command waits for its locks.
    let run = |args: &'static [&'static str]| {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_interview-monitor"));
        command
            .args(args)
            .env("DATA_DIR", &i.app.data_dir)
            .env("DATABASE_URL", &i.app.database_url)
            .env("RUST_LOG", "error");
        if let Some((endpoint, bucket)) = &i.app.s3 {
            command
                .env("AWS_S3_BUCKET_NAME", bucket)
                .env("AWS_REGION", "us-east-1")
                .env("AWS_ENDPOINT_URL_S3", endpoint)
                .env("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
                .env("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY);
        }
        async move {
            let output = command.output().await.unwrap();
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8_lossy(&output.stdout).to_string()
        }
    };

    let fresh = run(&["storage", "reconcile"]).await;
    assert!(
        fresh.contains("0 objects without rows"),
        "young objects are left alone: {fresh}"
    );
    let report = run(&["storage", "reconcile", "--grace-secs", "0"]).await;
    assert!(
        report.contains(&format!("object without a row (found): {lost_row}")),
        "{report}"
    );
    assert!(
        report.contains(&format!("row without an object (found): {lost_object}")),
        "{report}"
    );
    assert!(
        i.app.object_exists(&lost_row).await,
        "a report changes nothing"
    );

    let fixed = run(&["storage", "reconcile", "--fix", "--grace-secs", "0"]).await;
    assert!(
        fixed.contains(
            "1 objects without rows, 1 rows without objects, 0 abandoned reservations removed"
        ),
        "{fixed}"
    );
    assert!(!i.app.object_exists(&lost_row).await);
    let list: Value = i.app.images(&i.application).await.json().await.unwrap();
    assert_eq!(list["camera"].as_array().unwrap().len(), 1);
    assert_eq!(list["camera"][0]["s3Key"], kept.as_str());
    let clean = run(&["storage", "reconcile", "--grace-secs", "0"]).await;
    assert!(
        clean.contains("0 objects without rows, 0 rows without objects"),
        "{clean}"
    );
}

#[tokio::test]
async fn each_server_sweeps_orphan_objects_and_finishes_abandoned_uploads_by_itself() {
    use sea_orm::{ActiveModelTrait, Set};
    let i = crate::helpers::interview_with(&[
        ("RECONCILE_INTERVAL_SECS", "1"),
        ("RECONCILE_GRACE_SECS", "1"),
    ])
    .await;
    let long_ago = chrono::Utc::now() - chrono::Duration::minutes(5);
    let orphan = format!(
        "monitoring/{}/camera/{}-{}.jpg",
        i.application,
        long_ago.timestamp_millis(),
        uuid::Uuid::new_v4()
    );
    i.app
        .put_raw_object(&orphan, crate::helpers::jpeg(900, 1))
        .await;

    // An upload that stored its object and then lost the database before completing its row.
    let id = uuid::Uuid::new_v4();
    let unfinished = format!(
        "monitoring/{}/screen/{}-{id}.jpg",
        i.application,
        long_ago.timestamp_millis()
    );
    i.app
        .put_raw_object(&unfinished, crate::helpers::jpeg(900, 2))
        .await;
    let candidate = server::db::accounts::user_by_email(&i.app.db, &i.candidate.email)
        .await
        .unwrap()
        .unwrap();
    server::db::entities::monitoring_image::ActiveModel {
        id: Set(id),
        application_id: Set(uuid::Uuid::parse_str(&i.application).unwrap()),
        kind: Set("screen".into()),
        object_key: Set(unfinished.clone()),
        captured_at: Set(long_ago),
        stored_at: Set(long_ago),
        size_bytes: Set(900),
        sha256: Set("0".repeat(64)),
        uploaded_by: Set(candidate.id),
        pending: Set(true),
        ..Default::default()
    }
    .insert(&i.app.db)
    .await
    .unwrap();

    i.app.login_as(&i.recruiter).await;
    let mut swept = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let list: serde_json::Value = i.app.images(&i.application).await.json().await.unwrap();
        let finished = list["screen"]
            .as_array()
            .unwrap()
            .iter()
            .any(|image| image["s3Key"] == unfinished.as_str());
        if finished && !i.app.object_exists(&orphan).await {
            swept = true;
            break;
        }
    }
    assert!(
        swept,
        "the orphan is removed and the unfinished upload completed without anyone asking"
    );
    assert!(i.app.object_exists(&unfinished).await);
}

/// A tiny tmpfs mounted over the built-in store's objects, unmounted on drop.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    /// None where this process may not mount (not root, or no CAP_SYS_ADMIN).
    fn mount(at: std::path::PathBuf, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(&at).expect("mount point");
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&at)
            .status()
            .is_ok_and(|status| status.success());
        mounted.then_some(SmallDisk(at))
    }

    fn resize(&self, size: &str) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .expect("mount");
        assert!(status.success(), "remount the small disk");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

#[tokio::test]
async fn a_full_disk_answers_503_keeps_nothing_half_written_and_uploads_resume_once_there_is_room()
{
    if using_s3() {
        eprintln!("the built-in store's disk: runs without TEST_STORAGE=s3");
        return;
    }
    let i = interview().await;
    let Some(disk) = SmallDisk::mount(i.app.data_dir.join("objects").join("monitoring"), "1m")
    else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    i.app.login_as(&i.candidate).await;

    let mut stored = 0;
    let mut full = None;
    for seed in 0..40u8 {
        let response = i
            .app
            .upload_binary(&i.application, "camera", jpeg(100_000, seed))
            .await;
        match response.status().as_u16() {
            200 => stored += 1,
            503 => {
                full = Some(response);
                break;
            }
            other => panic!(
                "upload {seed} on a filling disk answered {other}: {}",
                response.text().await.unwrap_or_default()
            ),
        }
    }
    let full = full.expect("a 1 MiB disk fills within 40 uploads of 100 kB");
    assert!(
        stored >= 5,
        "uploads went through until the disk filled ({stored})"
    );
    assert_eq!(
        full.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("5")
    );
    let body: Value = full.json().await.unwrap();
    assert_eq!(body["error"], "unavailable");
    assert!(body["message"].as_str().unwrap().contains("full"), "{body}");
    assert_eq!(
        i.app.count_image_rows().await,
        stored,
        "no row for an upload the disk refused"
    );
    let leftovers: Vec<_> = walk(&disk.0)
        .into_iter()
        .filter(|path| path.to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no half-written file is left: {leftovers:?}"
    );

    disk.resize("8m");
    assert_eq!(
        i.app
            .upload_binary(&i.application, "camera", jpeg(100_000, 99))
            .await
            .status(),
        200
    );
    let list: Value = i.app.images(&i.application).await.json().await.unwrap();
    assert_eq!(list["camera"].as_array().unwrap().len() as u64, stored + 1);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}
