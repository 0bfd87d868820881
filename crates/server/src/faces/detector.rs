//! Face detection on one JPEG: decoded to grey (zune-jpeg), scaled down to at most
//! [`ANALYSIS_WIDTH`] pixels wide, and searched by rustface's SeetaFace frontal
//! detector, whose model is compiled into the binary. Boxes are fractions of the
//! image, so they can be drawn over it at any size.

use rustface::{Detector, ImageData};
use zune_jpeg::{
    zune_core::{bytestream::ZCursor, colorspace::ColorSpace, options::DecoderOptions},
    JpegDecoder,
};

/// The SeetaFace frontal model of rustface 0.1.7 (BSD-2-Clause; see `model/`).
static MODEL: &[u8] = include_bytes!("../../model/seeta_fd_frontal_v1.0.bin");

/// Images are scaled down to this width before detection (a few milliseconds each).
pub const ANALYSIS_WIDTH: usize = 320;
/// The smallest face looked for, in pixels of the scaled image (1/8 of its width).
pub const MIN_FACE: u32 = 40;
/// rustface's score threshold: higher finds fewer false faces and misses more real ones.
pub const SCORE_THRESHOLD: f64 = 2.0;
/// Larger images are refused before decoding: uploads already refuse more than
/// 4096 a side, so this only meets images stored before that rule.
const MAX_PIXELS: usize = 4096 * 4096;

pub use shared::FaceBox;

#[derive(Debug, thiserror::Error)]
pub enum FaceError {
    #[error("the image could not be decoded: {0}")]
    Undecodable(String),
    #[error("the model could not be read: {0}")]
    Model(String),
    #[error("a {0}×{1} image is too small to hold a face the detector can see")]
    TooSmall(usize, usize),
}

/// The second look's width ([`Search::Detail`]): faces half as large as the
/// first look's smallest are found.
pub const DETAIL_WIDTH: usize = 640;
/// How far the tilted looks turn the image ([`Search::DetailAndTilt`]), each way.
pub const TILT_DEGREES: f32 = 25.0;

/// How an image is searched for faces. A second face is what a first look
/// misses most (small, further back, or a tilted head): the further looks are
/// taken only when the looks before found at most one face.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    /// One look at [`ANALYSIS_WIDTH`].
    Single,
    /// Then a look at [`DETAIL_WIDTH`].
    Detail,
    /// Then the image turned [`TILT_DEGREES`] each way.
    DetailAndTilt,
}

/// What the server runs (chosen by `scripts/bench.sh accuracy`; README, "Face presence").
pub const SEARCH: Search = Search::Detail;

/// One detector with its model loaded: not shared between threads (rustface keeps
/// scratch buffers in it), so each worker thread owns one.
pub struct FaceDetector {
    detector: Box<dyn Detector>,
    search: Search,
}

/// A grey image.
pub struct Grey {
    pub pixels: Vec<u8>,
    pub width: usize,
    pub height: usize,
}

impl FaceDetector {
    /// The detector as the server runs it ([`SEARCH`]).
    pub fn new() -> Result<Self, FaceError> {
        Self::with_search(SEARCH)
    }

    pub fn with_search(search: Search) -> Result<Self, FaceError> {
        let model = rustface::read_model(MODEL).map_err(|e| FaceError::Model(e.to_string()))?;
        let mut detector = rustface::create_detector_with_model(model);
        detector.set_min_face_size(MIN_FACE);
        detector.set_score_thresh(SCORE_THRESHOLD);
        detector.set_pyramid_scale_factor(0.8);
        detector.set_slide_window_step(4, 4);
        Ok(FaceDetector { detector, search })
    }

    /// The faces in a JPEG (`TooSmall` when it could not hold one the detector sees).
    pub fn faces_in_jpeg(&mut self, jpeg: &[u8]) -> Result<Vec<FaceBox>, FaceError> {
        let grey = decode_grey(jpeg)?;
        if grey.width < MIN_FACE as usize || grey.height < MIN_FACE as usize {
            return Err(FaceError::TooSmall(grey.width, grey.height));
        }
        Ok(self.faces_in(&grey))
    }

    /// The faces in a grey image: a look at [`ANALYSIS_WIDTH`], then the
    /// further looks of the detector's [`Search`] while at most one face is
    /// found (the look that found the most gives the answer).
    pub fn faces_in(&mut self, image: &Grey) -> Vec<FaceBox> {
        let mut best = self.faces_at(image, ANALYSIS_WIDTH);
        if self.search != Search::Single && best.len() <= 1 && image.width > ANALYSIS_WIDTH {
            let detail = self.faces_at(image, DETAIL_WIDTH);
            if detail.len() > best.len() {
                best = detail;
            }
        }
        if self.search == Search::DetailAndTilt && best.len() <= 1 {
            let scaled = scale_down(image, ANALYSIS_WIDTH);
            for degrees in [-TILT_DEGREES, TILT_DEGREES] {
                let found: Vec<FaceBox> = self
                    .detect(&rotate(&scaled, degrees))
                    .into_iter()
                    .map(|face| turned_back(face, degrees, &scaled))
                    .collect();
                if found.len() > best.len() {
                    best = found;
                }
            }
        }
        best
    }

    /// The faces in a grey image scaled down to at most `width` pixels wide.
    pub fn faces_at(&mut self, image: &Grey, width: usize) -> Vec<FaceBox> {
        self.detect(&scale_down(image, width))
    }

    /// The faces in `scaled` as it is.
    fn detect(&mut self, scaled: &Grey) -> Vec<FaceBox> {
        // rustface panics on an empty image or one smaller than its window.
        if scaled.width < 20 || scaled.height < 20 {
            return Vec::new();
        }
        let data = ImageData::new(&scaled.pixels, scaled.width as u32, scaled.height as u32);
        let (w, h) = (scaled.width as f32, scaled.height as f32);
        self.detector
            .detect(&data)
            .iter()
            .map(|face| {
                let b = face.bbox();
                let x = (b.x().max(0) as f32 / w).min(1.0);
                let y = (b.y().max(0) as f32 / h).min(1.0);
                FaceBox {
                    x,
                    y,
                    w: (b.width() as f32 / w).min(1.0 - x),
                    h: (b.height() as f32 / h).min(1.0 - y),
                    score: face.score() as f32,
                }
            })
            .collect()
    }
}

/// Decodes a JPEG straight to grey (the luma the detector needs, no colour work).
pub fn decode_grey(jpeg: &[u8]) -> Result<Grey, FaceError> {
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::Luma)
        .set_max_width(16_384)
        .set_max_height(16_384);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(jpeg), options);
    decoder
        .decode_headers()
        .map_err(|e| FaceError::Undecodable(e.to_string()))?;
    let info = decoder
        .info()
        .ok_or_else(|| FaceError::Undecodable("no image header".into()))?;
    let (width, height) = (usize::from(info.width), usize::from(info.height));
    if width == 0 || height == 0 || width * height > MAX_PIXELS {
        return Err(FaceError::Undecodable(format!(
            "{width}×{height} is not a camera image"
        )));
    }
    let pixels = decoder
        .decode()
        .map_err(|e| FaceError::Undecodable(e.to_string()))?;
    if pixels.len() != width * height {
        return Err(FaceError::Undecodable(
            "the decoder gave another size than the header".into(),
        ));
    }
    Ok(Grey {
        pixels,
        width,
        height,
    })
}

/// `image` turned `degrees` (clockwise on screen) around its centre, nearest
/// neighbour; what comes in from outside is the image's mean grey.
pub fn rotate(image: &Grey, degrees: f32) -> Grey {
    let (w, h) = (image.width, image.height);
    let mean = (image.pixels.iter().map(|p| u64::from(*p)).sum::<u64>()
        / image.pixels.len().max(1) as u64) as u8;
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let mut pixels = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            let sx = cos * dx + sin * dy + cx;
            let sy = -sin * dx + cos * dy + cy;
            pixels.push(
                if sx >= 0.0 && sy >= 0.0 && (sx as usize) < w && (sy as usize) < h {
                    image.pixels[sy as usize * w + sx as usize]
                } else {
                    mean
                },
            );
        }
    }
    Grey {
        pixels,
        width: w,
        height: h,
    }
}

/// A box found in `image` turned by `degrees`, moved back to where its centre
/// is in the image itself (its size kept).
fn turned_back(face: FaceBox, degrees: f32, image: &Grey) -> FaceBox {
    let (w, h) = (image.width as f32, image.height as f32);
    let (cx, cy) = (
        (face.x + face.w / 2.0) * w - w / 2.0,
        (face.y + face.h / 2.0) * h - h / 2.0,
    );
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (x, y) = (
        cos * cx + sin * cy + w / 2.0,
        -sin * cx + cos * cy + h / 2.0,
    );
    let left = (x / w - face.w / 2.0).clamp(0.0, 1.0 - face.w.min(1.0));
    let top = (y / h - face.h / 2.0).clamp(0.0, 1.0 - face.h.min(1.0));
    FaceBox {
        x: left,
        y: top,
        ..face
    }
}

/// An area-average scale-down to at most `max_width` (images already narrower are copied).
pub fn scale_down(image: &Grey, max_width: usize) -> Grey {
    if image.width <= max_width {
        return Grey {
            pixels: image.pixels.clone(),
            width: image.width,
            height: image.height,
        };
    }
    let width = max_width;
    let height = (image.height * max_width / image.width).max(1);
    let mut pixels = Vec::with_capacity(width * height);
    for y in 0..height {
        let (y0, y1) = (
            y * image.height / height,
            ((y + 1) * image.height / height).max(y * image.height / height + 1),
        );
        for x in 0..width {
            let (x0, x1) = (
                x * image.width / width,
                ((x + 1) * image.width / width).max(x * image.width / width + 1),
            );
            let mut sum = 0u32;
            for row in y0..y1 {
                let start = row * image.width;
                sum += image.pixels[start + x0..start + x1]
                    .iter()
                    .map(|p| u32::from(*p))
                    .sum::<u32>();
            }
            pixels.push((sum / ((y1 - y0) * (x1 - x0)) as u32) as u8);
        }
    }
    Grey {
        pixels,
        width,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_down_averages_and_keeps_the_aspect() {
        let image = Grey {
            pixels: (0..640 * 480)
                .map(|i| if (i % 640) < 320 { 0 } else { 200 })
                .collect(),
            width: 640,
            height: 480,
        };
        let scaled = scale_down(&image, 320);
        assert_eq!((scaled.width, scaled.height), (320, 240));
        assert_eq!(scaled.pixels[0], 0);
        assert_eq!(scaled.pixels[319], 200);
        let small = Grey {
            pixels: vec![7; 100],
            width: 10,
            height: 10,
        };
        assert_eq!(scale_down(&small, 320).pixels, small.pixels);
    }

    #[test]
    fn no_face_in_a_blank_image_and_no_panic_on_tiny_or_broken_ones() {
        let mut detector = FaceDetector::new().expect("the model loads");
        let blank = Grey {
            pixels: vec![128; 640 * 480],
            width: 640,
            height: 480,
        };
        assert!(detector.faces_in(&blank).is_empty());
        let tiny = Grey {
            pixels: vec![128; 10 * 10],
            width: 10,
            height: 10,
        };
        assert!(detector.faces_in(&tiny).is_empty());
        assert!(detector.faces_in_jpeg(b"\xff\xd8\xff\xd9").is_err());
        assert!(detector.faces_in_jpeg(&[]).is_err());
    }
}
