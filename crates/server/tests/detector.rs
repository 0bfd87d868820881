//! The face detector on real photos from registry packages (scikit-image's samples
//! and rustface's group photo; `scripts/setup.sh --test` puts them in
//! `$TEST_PHOTOS`), each encoded as a JPEG the way a camera snapshot arrives.

use std::path::PathBuf;

#[path = "../benches/common/accuracy.rs"]
#[allow(dead_code)] // the bench uses all of it, this test a part
mod accuracy;

use image::{imageops, DynamicImage, GenericImageView, RgbImage};
use server::faces::detector::FaceDetector;

fn photos() -> PathBuf {
    let dir = std::env::var("TEST_PHOTOS")
        .unwrap_or_else(|_| "/var/cache/interview-monitor/tools/photos".into());
    let dir = PathBuf::from(dir);
    assert!(
        dir.join("astronaut.png").exists(),
        "the test photos are missing from {}: run `scripts/setup.sh --test` (or set TEST_PHOTOS)",
        dir.display()
    );
    dir
}

fn photo(name: &str) -> DynamicImage {
    image::open(photos().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn jpeg(image: &DynamicImage) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image.to_rgb8())
        .write_to(&mut bytes, image::ImageFormat::Jpeg)
        .expect("encode");
    bytes.into_inner()
}

fn faces(image: &DynamicImage) -> usize {
    let mut detector = FaceDetector::new().expect("the model loads");
    detector
        .faces_in_jpeg(&jpeg(image))
        .expect("analysed")
        .len()
}

#[test]
fn one_face_on_the_astronaut() {
    let astronaut = photo("astronaut.png");
    assert_eq!(faces(&astronaut), 1);
    // As a 640×480 camera frame would show her (scaled, letterboxed).
    let mut frame = RgbImage::new(640, 480);
    let scaled = astronaut
        .resize(480, 480, imageops::FilterType::Triangle)
        .to_rgb8();
    imageops::overlay(&mut frame, &scaled, 80, 0);
    assert_eq!(faces(&DynamicImage::ImageRgb8(frame)), 1);
}

#[test]
fn one_face_on_the_cameraman() {
    assert_eq!(faces(&photo("camera.png")), 1);
}

#[test]
fn no_face_on_the_cat_or_the_coffee() {
    assert_eq!(faces(&photo("chelsea.png")), 0, "chelsea (a cat)");
    assert_eq!(faces(&photo("coffee.png")), 0, "coffee");
}

#[test]
fn two_faces_when_two_crops_are_side_by_side() {
    let astronaut = photo("astronaut.png");
    let face = astronaut.crop_imm(96, 0, 320, 320).to_rgb8();
    let mut pair = RgbImage::new(640, 320);
    imageops::overlay(&mut pair, &face, 0, 0);
    imageops::overlay(&mut pair, &imageops::flip_horizontal(&face), 320, 0);
    assert!(faces(&DynamicImage::ImageRgb8(pair)) >= 2);
}

#[test]
fn the_group_photo_is_counted_and_reported() {
    use server::faces::detector::{decode_grey, ANALYSIS_WIDTH};
    let group = photo("group.png");
    let (width, height) = group.dimensions();
    let grey = decode_grey(&jpeg(&group)).expect("decoded");
    let mut detector = FaceDetector::new().expect("the model loads");
    let first = detector.faces_at(&grey, ANALYSIS_WIDTH).len();
    let searched = detector.faces_in(&grey).len();
    let full = detector.faces_at(&grey, width as usize).len();
    println!("rustface's group photo ({width}×{height}): {first} faces at {ANALYSIS_WIDTH} px wide, {searched} as the server searches, {full} at full size");
    // Its faces are about 2% of its width: a few pixels at the first look's
    // width, below the smallest face looked for; the second look finds some.
    assert_eq!(first, 0);
    assert!(
        searched >= 2,
        "the second look finds more than one: {searched}"
    );
    assert!(
        full >= 25,
        "the detector itself finds the group at full size: {full}"
    );
}

/// The evaluation's clear frames (`scripts/bench.sh accuracy` runs every
/// condition): what the README's table says of them, held here.
#[test]
fn the_clear_frames_of_the_evaluation_score_as_the_readme_says() {
    let samples = accuracy::samples(&photos(), &["clear"]);
    let mut detector = FaceDetector::new().expect("the model loads");
    let mut tally = accuracy::Tally::default();
    for sample in &samples {
        let found = detector
            .faces_in_jpeg(&sample.jpeg)
            .map(|f| f.len())
            .unwrap_or(0);
        tally.add(sample.faces, found);
    }
    println!(
        "clear frames: one face {}, no face {}, several {}",
        accuracy::percent(tally.one),
        accuracy::percent(tally.none),
        accuracy::percent(tally.several)
    );
    assert_eq!(tally.none.0, tally.none.1, "no face: all right");
    assert_eq!(
        tally.false_several, 0,
        "one face is never taken for several"
    );
    assert!(
        tally.one.0 >= 18,
        "one face: {:?} (the README: 18 of 24)",
        tally.one
    );
    assert!(
        tally.several.0 >= 11,
        "several: {:?} (the README: 11 of 17)",
        tally.several
    );
}
