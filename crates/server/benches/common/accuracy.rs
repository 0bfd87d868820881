//! Labelled camera frames for the face-presence evaluation, made from photos
//! anyone can fetch (scikit-image's samples and rustface's group photo, in
//! `$TEST_PHOTOS`): people composed into a 640×480 frame over a real scene, at
//! three distances, alone, in pairs, or none, then put through what a webcam
//! does to them (dim light, blur, heavy JPEG, a tilted head). Each frame knows
//! how many faces it holds.

use image::{imageops, DynamicImage, RgbImage};

pub const WIDTH: u32 = 640;
pub const HEIGHT: u32 = 480;

/// One labelled frame.
pub struct Sample {
    pub scene: String,
    pub condition: &'static str,
    /// Faces in the frame.
    pub faces: usize,
    pub jpeg: Vec<u8>,
}

fn photo(dir: &std::path::Path, name: &str) -> DynamicImage {
    image::open(dir.join(name))
        .unwrap_or_else(|e| panic!("{name}: {e} (run `scripts/setup.sh --test`)"))
}

/// A person: the photo cropped to the head and shoulders.
struct Person {
    name: &'static str,
    image: RgbImage,
}

/// The scene behind: a photo covering the frame.
fn background(photo: &DynamicImage) -> RgbImage {
    photo
        .resize_to_fill(WIDTH, HEIGHT, imageops::FilterType::Triangle)
        .to_rgb8()
}

/// `sprite` rotated by `degrees` around its centre (nearest neighbour), the
/// corners filled from `fill`.
pub fn rotate(sprite: &RgbImage, degrees: f32) -> RgbImage {
    let (w, h) = sprite.dimensions();
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let fill = *sprite.get_pixel(0, h - 1);
    RgbImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let sx = cos * dx + sin * dy + cx;
        let sy = -sin * dx + cos * dy + cy;
        if sx >= 0.0 && sy >= 0.0 && (sx as u32) < w && (sy as u32) < h {
            *sprite.get_pixel(sx as u32, sy as u32)
        } else {
            fill
        }
    })
}

/// `person` `height` pixels tall, its centre at `x` (fraction of the width),
/// standing on the frame's bottom edge.
fn place(frame: &mut RgbImage, person: &RgbImage, height: u32, x: f32, tilt: f32) {
    let width = person.width() * height / person.height();
    let mut scaled = imageops::resize(person, width, height, imageops::FilterType::Triangle);
    if tilt != 0.0 {
        scaled = rotate(&scaled, tilt);
    }
    let left = (x * WIDTH as f32) as i64 - i64::from(width / 2);
    imageops::overlay(frame, &scaled, left, i64::from(HEIGHT - height));
}

fn encode(image: &DynamicImage, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality);
    encoder.encode_image(image).expect("encode");
    bytes
}

/// What a webcam does to a frame.
pub const CONDITIONS: [&str; 7] = [
    "clear",
    "dim",
    "dark",
    "blur",
    "jpeg q15",
    "tilt 15°",
    "tilt 30°",
];

fn apply(condition: &str, frame: &RgbImage) -> (DynamicImage, u8) {
    let frame = DynamicImage::ImageRgb8(frame.clone());
    match condition {
        "dim" => (frame.brighten(-70).adjust_contrast(-30.0), 85),
        "dark" => (dim(&frame, 0.25), 85),
        "blur" => (frame.blur(2.5), 85),
        "jpeg q15" => (frame, 15),
        _ => (frame, 85),
    }
}

fn dim(frame: &DynamicImage, factor: f32) -> DynamicImage {
    let mut rgb = frame.to_rgb8();
    for pixel in rgb.pixels_mut() {
        for channel in pixel.0.iter_mut() {
            *channel = (f32::from(*channel) * factor) as u8;
        }
    }
    DynamicImage::ImageRgb8(rgb)
}

/// Every labelled frame: each scene under each of `conditions` (of [`CONDITIONS`]).
pub fn samples(dir: &std::path::Path, conditions: &[&'static str]) -> Vec<Sample> {
    let astronaut = photo(dir, "astronaut.png").to_rgb8();
    let cameraman = photo(dir, "camera.png").to_rgb8();
    let people = [
        Person {
            name: "astronaut",
            image: imageops::crop_imm(&astronaut, 40, 0, 420, 512).to_image(),
        },
        Person {
            name: "cameraman",
            image: imageops::crop_imm(&cameraman, 60, 0, 360, 512).to_image(),
        },
    ];
    let backgrounds = [
        ("coffee", background(&photo(dir, "coffee.png"))),
        (
            "plain wall",
            RgbImage::from_pixel(WIDTH, HEIGHT, image::Rgb([196, 190, 180])),
        ),
    ];
    let cat = background(&photo(dir, "chelsea.png"));
    // Distances: the head and shoulders filling the frame's height, half of it,
    // a third of it (a person further back).
    let distances = [("near", HEIGHT), ("mid", HEIGHT / 2), ("far", HEIGHT / 3)];

    // Its name, the faces in it, and how it is drawn at a light level.
    type Scene = (String, usize, Box<dyn Fn(f32) -> RgbImage>);
    let mut scenes: Vec<Scene> = Vec::new();
    for (bg_name, bg) in &backgrounds {
        let bg = bg.clone();
        scenes.push((
            format!("nobody, {bg_name}"),
            0,
            Box::new(move |_| bg.clone()),
        ));
    }
    {
        let cat = cat.clone();
        scenes.push(("a cat".into(), 0, Box::new(move |_| cat.clone())));
    }
    for person in &people {
        for (distance, height) in distances {
            for (bg_name, bg) in &backgrounds {
                for x in [0.35f32, 0.6] {
                    let (bg, sprite) = (bg.clone(), person.image.clone());
                    scenes.push((
                        format!("one {distance}, {}, {bg_name}", person.name),
                        1,
                        Box::new(move |tilt| {
                            let mut frame = bg.clone();
                            place(&mut frame, &sprite, height, x, tilt);
                            frame
                        }),
                    ));
                }
            }
        }
    }
    // Two people: side by side at one distance, or one near and one further back.
    for (label, near, far) in [
        ("two near", HEIGHT * 3 / 4, HEIGHT * 3 / 4),
        ("two mid", HEIGHT / 2, HEIGHT / 2),
        ("two far", HEIGHT / 3, HEIGHT / 3),
        ("near and far", HEIGHT * 3 / 4, HEIGHT / 3),
    ] {
        for (bg_name, bg) in &backgrounds {
            for flip in [false, true] {
                let (bg, a, b) = (bg.clone(), people[0].image.clone(), people[1].image.clone());
                let (a, b) = if flip { (b, a) } else { (a, b) };
                scenes.push((
                    format!("{label}, {bg_name}"),
                    2,
                    Box::new(move |tilt| {
                        let mut frame = bg.clone();
                        place(&mut frame, &b, far, 0.75, tilt);
                        place(&mut frame, &a, near, 0.3, tilt);
                        frame
                    }),
                ));
            }
        }
    }
    let group = photo(dir, "group.png").to_rgb8();
    scenes.push((
        "a group photo".into(),
        2,
        Box::new(move |_| imageops::resize(&group, WIDTH, HEIGHT, imageops::FilterType::Triangle)),
    ));

    let mut samples = Vec::new();
    for (scene, faces, make) in &scenes {
        for &condition in conditions {
            let tilt = match condition {
                "tilt 15°" => 15.0,
                "tilt 30°" => 30.0,
                _ => 0.0,
            };
            let (frame, quality) = apply(condition, &make(tilt));
            samples.push(Sample {
                scene: scene.clone(),
                condition,
                faces: *faces,
                jpeg: encode(&frame, quality),
            });
        }
    }
    samples
}

/// How the detector did on samples: per condition, how often each answer was right.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    /// (right, of) for frames with one face ("one face": no flag raised),
    /// with no face ("no face" raised), with several ("more than one face" raised).
    pub one: (u32, u32),
    pub none: (u32, u32),
    pub several: (u32, u32),
    /// Frames with one face flagged "no face" or "more than one face" by mistake.
    pub false_no_face: u32,
    pub false_several: u32,
}

impl Tally {
    pub fn add(&mut self, truth: usize, found: usize) {
        let class = |n: usize| n.min(2);
        let right = u32::from(class(truth) == class(found));
        match class(truth) {
            0 => self.none = (self.none.0 + right, self.none.1 + 1),
            1 => {
                self.one = (self.one.0 + right, self.one.1 + 1);
                self.false_no_face += u32::from(found == 0);
                self.false_several += u32::from(found >= 2);
            }
            _ => self.several = (self.several.0 + right, self.several.1 + 1),
        }
    }
}

pub fn percent((right, of): (u32, u32)) -> String {
    if of == 0 {
        "—".into()
    } else {
        format!(
            "{:.0}% ({right}/{of})",
            f64::from(right) * 100.0 / f64::from(of)
        )
    }
}
