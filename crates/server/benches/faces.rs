//! Face analysis, measured: time per 640×480 camera snapshot (median, p95) and
//! snapshots per second on this machine's cores, then the release server's upload
//! rate with FACE_DETECTION on against off, in alternating rounds. Run by
//! `scripts/bench.sh faces`, which passes SERVER_BIN (the shipped binary) and
//! TEST_PHOTOS. It asserts nothing: it prints figures.

mod common;

use std::time::{Duration, Instant};

use common::{env, Server};

use futures::{stream, StreamExt};
use image::{imageops, DynamicImage, RgbImage};
use server::faces::detector::FaceDetector;

const ROUNDS: usize = 5;
const UPLOADS: usize = 200;
const IN_FLIGHT: usize = 8;

/// A photo scaled and letterboxed into a 640×480 frame, as a camera would send it.
fn frame(name: &str) -> Vec<u8> {
    let photo = image::open(std::path::Path::new(&env("TEST_PHOTOS")).join(name)).expect("photo");
    let scaled = photo
        .resize(640, 480, imageops::FilterType::Triangle)
        .to_rgb8();
    let mut frame = RgbImage::new(640, 480);
    imageops::overlay(
        &mut frame,
        &scaled,
        i64::from((640 - scaled.width()) / 2),
        i64::from((480 - scaled.height()) / 2),
    );
    let mut bytes = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(frame)
        .write_to(&mut bytes, image::ImageFormat::Jpeg)
        .expect("encode");
    bytes.into_inner()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn detector_figures(frames: &[Vec<u8>]) {
    let mut detector = FaceDetector::new().expect("model");
    for frame in frames {
        detector.faces_in_jpeg(frame).expect("warm-up");
    }
    let mut times: Vec<f64> = (0..300)
        .map(|n| {
            let start = Instant::now();
            detector
                .faces_in_jpeg(&frames[n % frames.len()])
                .expect("analysed");
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "analysis of a 640×480 camera JPEG (decode, scale to 320, detect), one thread: median {:.1} ms, p95 {:.1} ms, range {:.1}–{:.1} ms ({} runs)",
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        times[0],
        times[times.len() - 1],
        times.len()
    );
    let cores = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1);
    let start = Instant::now();
    let per_thread = 150;
    std::thread::scope(|scope| {
        for t in 0..cores {
            scope.spawn(move || {
                let mut detector = FaceDetector::new().expect("model");
                for n in 0..per_thread {
                    detector
                        .faces_in_jpeg(&frames[(n + t) % frames.len()])
                        .expect("analysed");
                }
            });
        }
    });
    let rate = (cores * per_thread) as f64 / start.elapsed().as_secs_f64();
    println!("snapshots analysed per second on {cores} threads: {rate:.0}");
}

async fn start(face_detection: &str) -> Server {
    Server::start(vec![("FACE_DETECTION".into(), face_detection.into())]).await
}

impl Server {
    /// Uploads per second for `UPLOADS` camera snapshots, `IN_FLIGHT` at a time.
    async fn upload_rate(&self, frames: &[Vec<u8>]) -> f64 {
        let start = Instant::now();
        let url = format!(
            "{}/api/monitoring/upload-binary?applicationId={}&imageType=camera",
            self.url, self.application
        );
        let statuses: Vec<u16> = stream::iter(0..UPLOADS)
            .map(|n| {
                let request = self
                    .client
                    .post(&url)
                    .header("content-type", "image/jpeg")
                    .body(frames[n % frames.len()].clone());
                async move {
                    request
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .unwrap_or(0)
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        UPLOADS as f64 / start.elapsed().as_secs_f64()
    }

    async fn analysed(&self) -> usize {
        let list = self.images().await;
        list["camera"]
            .as_array()
            .map(|c| c.iter().filter(|i| i.get("faces").is_some()).count())
            .unwrap_or(0)
    }
}

#[tokio::main]
async fn main() {
    let frames: Vec<Vec<u8>> = ["astronaut.png", "camera.png", "coffee.png", "chelsea.png"]
        .iter()
        .map(|n| frame(n))
        .collect();
    println!(
        "frames: {} bytes each on average",
        frames.iter().map(Vec::len).sum::<usize>() / frames.len()
    );
    detector_figures(&frames);

    let (on, off) = (start("on").await, start("off").await);
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Alternate which goes first: the machine is shared and noisy.
        if round % 2 == 0 {
            without.push(off.upload_rate(&frames).await);
            with.push(on.upload_rate(&frames).await);
        } else {
            with.push(on.upload_rate(&frames).await);
            without.push(off.upload_rate(&frames).await);
        }
    }
    let range = |v: &[f64]| {
        format!(
            "{:.0}–{:.0}",
            v.iter().copied().fold(f64::MAX, f64::min),
            v.iter().copied().fold(0.0, f64::max)
        )
    };
    let (with_range, without_range) = (range(&with), range(&without));
    let (with_median, without_median) = (median(&mut with), median(&mut without));
    println!(
        "uploads/s of 640×480 camera JPEGs, {IN_FLIGHT} in flight, {ROUNDS} alternating rounds of {UPLOADS}: \
         FACE_DETECTION=off median {without_median:.0} ({without_range}), on median {with_median:.0} ({with_range}): \
         {:.0}% kept while analysis runs",
        with_median / without_median * 100.0
    );
    let total = ROUNDS * UPLOADS;
    let start = Instant::now();
    let mut done = on.analysed().await;
    let first = done;
    while done < total && start.elapsed() < Duration::from_secs(600) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        done = on.analysed().await;
    }
    println!(
        "after the uploads, the server's worker analysed the remaining {} of {total} in {:.1} s ({:.0}/s with FACE_WORKERS=1)",
        done - first,
        start.elapsed().as_secs_f64(),
        (done - first) as f64 / start.elapsed().as_secs_f64().max(0.001)
    );
}
