//! Telling a JPEG from its bytes, with zune-jpeg's header reader (the
//! decoder face detection uses): the SOI marker, then well-formed marker
//! segments up to a frame header and the start of scan, in strict mode; and
//! its size in pixels from the frame header, so that an image no camera or
//! screen makes (a few kilobytes declaring 40 megapixels) is refused before any
//! decoder allocates for it. Only the headers are read, never the scan.

use zune_jpeg::{
    zune_core::{bytestream::ZCursor, options::DecoderOptions},
    JpegDecoder,
};

/// The largest width and height an image may declare (a 4K screen fits).
pub const MAX_SIDE: u16 = 4096;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum JpegError {
    #[error("the image is not a JPEG: {0}")]
    NotJpeg(String),
    #[error("the image is {width}×{height} pixels; at most {MAX_SIDE}×{MAX_SIDE} are taken")]
    TooManyPixels { width: u16, height: u16 },
}

/// Checks the bytes are a JPEG of at most [`MAX_SIDE`] pixels a side.
pub fn check(bytes: &[u8]) -> Result<(), JpegError> {
    if bytes.len() < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8 {
        return Err(JpegError::NotJpeg(
            "it does not start with a JPEG marker".into(),
        ));
    }
    // Any size a frame header can declare is read; the limit is ours, below,
    // so that it answers as itself (400), not as a malformed file (415).
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(usize::from(u16::MAX))
        .set_max_height(usize::from(u16::MAX));
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder
        .decode_headers()
        .map_err(|e| JpegError::NotJpeg(e.to_string()))?;
    let (width, height) = decoder
        .dimensions()
        .ok_or_else(|| JpegError::NotJpeg("it has no frame header".into()))?;
    let (width, height) = (
        u16::try_from(width).unwrap_or(u16::MAX),
        u16::try_from(height).unwrap_or(u16::MAX),
    );
    if width == 0 || height == 0 {
        return Err(JpegError::NotJpeg(
            "its frame header declares no size".into(),
        ));
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(JpegError::TooManyPixels { width, height });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal well-formed header: SOI, APP0, SOF0, SOS, data, EOI.
    pub fn tiny_jpeg() -> Vec<u8> {
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend([
            0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
        ]);
        jpeg.extend([0xFF, 0xC0, 0x00, 0x0B, 8, 0, 1, 0, 1, 1, 1, 0x11, 0]);
        jpeg.extend([0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 0x3F, 0]);
        jpeg.extend([0x12, 0x34, 0xFF, 0xD9]);
        jpeg
    }

    #[test]
    fn a_well_formed_jpeg_passes() {
        assert_eq!(check(&tiny_jpeg()), Ok(()));
    }

    /// The tiny JPEG declaring `width`×`height`.
    fn declaring(width: u16, height: u16) -> Vec<u8> {
        let mut jpeg = tiny_jpeg();
        // SOF0 starts at 20: FF C0, length (2), precision (1), height, width.
        jpeg[25..27].copy_from_slice(&height.to_be_bytes());
        jpeg[27..29].copy_from_slice(&width.to_be_bytes());
        jpeg
    }

    #[test]
    fn the_declared_size_is_bounded_at_its_edges() {
        assert_eq!(check(&declaring(MAX_SIDE, MAX_SIDE)), Ok(()));
        assert_eq!(check(&declaring(1, 1)), Ok(()));
        for (width, height) in [
            (MAX_SIDE + 1, 1),
            (1, MAX_SIDE + 1),
            (u16::MAX, u16::MAX),
            (8000, 5000),
        ] {
            assert_eq!(
                check(&declaring(width, height)),
                Err(JpegError::TooManyPixels { width, height })
            );
        }
        assert!(matches!(
            check(&declaring(0, 10)),
            Err(JpegError::NotJpeg(_))
        ));
        assert!(matches!(
            check(&declaring(10, 0)),
            Err(JpegError::NotJpeg(_))
        ));
    }

    #[test]
    fn other_bytes_fail() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        let mut truncated = tiny_jpeg();
        truncated.truncate(20);
        let mut no_frame = vec![0xFF, 0xD8];
        no_frame.extend([0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 0x3F, 0]);
        for bad in [
            png,
            truncated,
            no_frame,
            vec![0xFF, 0xD8, 0xFF, 0xD9],
            b"hello".to_vec(),
            vec![0xFF, 0xD8, 0x00, 0x00],
        ] {
            assert!(check(&bad).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        /// Any bytes at all: a verdict, never a panic (a huge segment length near the end included).
        #[test]
        fn checking_any_bytes_is_total(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = check(&bytes);
        }

        /// The header of a real JPEG with anything after it is still a JPEG; cut inside it, never.
        #[test]
        fn cuts_and_tails(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100), cut in 0usize..43) {
            let mut jpeg = tiny_jpeg();
            jpeg.truncate(43);
            proptest::prop_assert!(check(&jpeg[..cut]).is_err());
            jpeg.extend(tail);
            proptest::prop_assert_eq!(check(&jpeg), Ok(()));
        }
    }
}
