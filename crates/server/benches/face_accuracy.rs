//! How often face presence is right, per condition: the detector's ways of
//! searching (the one the server ships among them) run on labelled frames made from photos anyone can fetch (see
//! `common/accuracy.rs`), with the time it takes per frame. Run by
//! `scripts/bench.sh accuracy`, which passes TEST_PHOTOS. It asserts nothing:
//! it prints the table the README carries.

#[path = "common/accuracy.rs"]
mod accuracy;

use std::{collections::BTreeMap, time::Instant};

use accuracy::{percent, samples, Tally, CONDITIONS};
use server::faces::detector::{self, FaceDetector, Search};

fn main() {
    let dir = std::path::PathBuf::from(
        std::env::var("TEST_PHOTOS").expect("TEST_PHOTOS is set by scripts/bench.sh"),
    );
    let samples = samples(&dir, &CONDITIONS);
    println!(
        "face presence on {} labelled 640×480 frames; the server runs {:?}",
        samples.len(),
        detector::SEARCH
    );
    for search in [Search::Single, Search::Detail, Search::DetailAndTilt] {
        evaluate(search, &samples);
    }
}

fn evaluate(search: Search, samples: &[accuracy::Sample]) {
    let mut detector = FaceDetector::with_search(search).expect("the model loads");
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut misses: Vec<String> = Vec::new();
    let mut times = Vec::with_capacity(samples.len());
    for sample in samples {
        let start = Instant::now();
        let found = detector
            .faces_in_jpeg(&sample.jpeg)
            .map(|f| f.len())
            .unwrap_or(0);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        tallies
            .entry(sample.condition)
            .or_default()
            .add(sample.faces, found);
        if found.min(2) != sample.faces.min(2) {
            misses.push(format!(
                "{} / {}: {} found, {} there",
                sample.scene, sample.condition, found, sample.faces
            ));
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "\n{search:?}: {:.1} ms a frame (median), {:.1} ms (p95), {:.1} ms (mean)",
        times[times.len() / 2],
        times[times.len() * 95 / 100],
        times.iter().sum::<f64>() / times.len() as f64
    );
    println!("| condition | one face: no flag | no face: flagged | several: flagged | one face flagged \"no face\" | one face flagged \"several\" |");
    println!("|---|---|---|---|---|---|");
    let mut all = Tally::default();
    for condition in CONDITIONS {
        let t = tallies.get(condition).copied().unwrap_or_default();
        println!(
            "| {condition} | {} | {} | {} | {} | {} |",
            percent(t.one),
            percent(t.none),
            percent(t.several),
            t.false_no_face,
            t.false_several
        );
        all.one = (all.one.0 + t.one.0, all.one.1 + t.one.1);
        all.none = (all.none.0 + t.none.0, all.none.1 + t.none.1);
        all.several = (all.several.0 + t.several.0, all.several.1 + t.several.1);
        all.false_no_face += t.false_no_face;
        all.false_several += t.false_several;
    }
    println!(
        "| all | {} | {} | {} | {} | {} |",
        percent(all.one),
        percent(all.none),
        percent(all.several),
        all.false_no_face,
        all.false_several
    );
    // Where it is wrong, by kind of scene (each scene is tried under every condition).
    let mut by_scene: BTreeMap<String, u32> = BTreeMap::new();
    for miss in &misses {
        let scene = miss.split(" / ").next().unwrap_or_default();
        let kind = scene.split(',').next().unwrap_or_default().to_string();
        *by_scene.entry(kind).or_default() += 1;
    }
    println!("wrong answers by kind of scene: {by_scene:?}");
    if std::env::var("ACCURACY_VERBOSE").is_ok() {
        for miss in misses {
            println!("  {miss}");
        }
    }
}
