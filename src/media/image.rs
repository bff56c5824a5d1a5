//! Images (teachers' photos; next, portraits): the type and pixel size read from the file's
//! header with `imagesize`, and the file's end checked for the format's end marker, so a file
//! that only starts like an image, or was cut off on the way, is refused.

/// The image types accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    Jpeg,
    Png,
}

impl ImageType {
    pub const MEDIA_TYPES: &'static [&'static str] = &["image/jpeg", "image/png"];

    pub fn media_type(self) -> &'static str {
        match self {
            ImageType::Jpeg => "image/jpeg",
            ImageType::Png => "image/png",
        }
    }

    /// The type a `Content-Type` names, if accepted.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        match media_type {
            "image/jpeg" => Some(ImageType::Jpeg),
            "image/png" => Some(ImageType::Png),
            _ => None,
        }
    }

    /// The bytes every complete file of this type ends with.
    fn end_marker(self) -> &'static [u8] {
        match self {
            // EOI.
            ImageType::Jpeg => &[0xFF, 0xD9],
            // The IEND chunk: empty, with its CRC.
            ImageType::Png => &[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82],
        }
    }
}

/// How many leading bytes are kept for the header: enough for the EXIF and colour profile
/// segments a camera writes before a JPEG's frame header.
pub const HEAD_BYTES: usize = 512 * 1024;
/// How many trailing bytes are kept for the end marker.
pub const TAIL_BYTES: usize = 12;

/// The smallest and largest side, in pixels, of an accepted image.
pub const MIN_SIDE: usize = 64;
pub const MAX_SIDE: usize = 8192;

/// What an image file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageFacts {
    pub kind: ImageType,
    pub width: u32,
    pub height: u32,
}

/// Why a file is not an accepted image; the message is for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotAnImage(pub String);

/// Checks a file from its first bytes (`head`, up to [`HEAD_BYTES`]) and its last
/// (`tail`, up to [`TAIL_BYTES`]) against the type its sender declared.
pub fn inspect(declared: ImageType, head: &[u8], tail: &[u8]) -> Result<ImageFacts, NotAnImage> {
    let kind = match imagesize::image_type(head) {
        Ok(imagesize::ImageType::Jpeg) => ImageType::Jpeg,
        Ok(imagesize::ImageType::Png) => ImageType::Png,
        _ => return Err(NotAnImage("the file is not a JPEG or PNG image".into())),
    };
    if kind != declared {
        return Err(NotAnImage(format!(
            "the file is {} but was sent as {}",
            kind.media_type(),
            declared.media_type()
        )));
    }
    let size = imagesize::blob_size(head)
        .map_err(|_| NotAnImage(format!("the {} header cannot be read", kind.media_type())))?;
    if !tail.ends_with(kind.end_marker()) {
        return Err(NotAnImage(format!(
            "the {} file is incomplete (it does not end as the format requires)",
            kind.media_type()
        )));
    }
    let sides = MIN_SIDE..=MAX_SIDE;
    if !sides.contains(&size.width) || !sides.contains(&size.height) {
        return Err(NotAnImage(format!(
            "the image is {}×{} pixels; each side must be {MIN_SIDE}–{MAX_SIDE}",
            size.width, size.height
        )));
    }
    Ok(ImageFacts {
        kind,
        width: size.width as u32,
        height: size.height as u32,
    })
}

/// Keeps the first [`HEAD_BYTES`] and the last [`TAIL_BYTES`] of a stream of chunks.
#[derive(Debug, Default)]
pub struct Ends {
    pub head: Vec<u8>,
    pub tail: Vec<u8>,
}

impl Ends {
    pub fn push(&mut self, chunk: &[u8]) {
        let room = HEAD_BYTES.saturating_sub(self.head.len());
        self.head.extend_from_slice(&chunk[..room.min(chunk.len())]);
        self.tail
            .extend_from_slice(&chunk[chunk.len().saturating_sub(TAIL_BYTES)..]);
        let excess = self.tail.len().saturating_sub(TAIL_BYTES);
        self.tail.drain(..excess);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal PNG of `w`×`h`: signature, IHDR, and IEND (no pixel data is needed to read
    /// the header).
    pub fn png(w: u32, h: u32) -> Vec<u8> {
        let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        out.extend_from_slice(&13u32.to_be_bytes());
        out.extend_from_slice(b"IHDR");
        out.extend_from_slice(&w.to_be_bytes());
        out.extend_from_slice(&h.to_be_bytes());
        out.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(ImageType::Png.end_marker());
        out
    }

    #[test]
    fn a_png_is_read_from_its_header_and_end() {
        let file = png(300, 400);
        let facts = inspect(ImageType::Png, &file, &file[file.len() - TAIL_BYTES..]).unwrap();
        assert_eq!((facts.width, facts.height), (300, 400));
        assert_eq!(facts.kind, ImageType::Png);
    }

    #[test]
    fn what_is_not_a_whole_image_of_the_declared_type_is_refused() {
        let file = png(300, 400);
        let cut = &file[..file.len() - 1];
        let e = inspect(ImageType::Png, cut, cut).unwrap_err();
        assert!(e.0.contains("incomplete"), "{e}");
        let e = inspect(ImageType::Jpeg, &file, &file).unwrap_err();
        assert_eq!(e.0, "the file is image/png but was sent as image/jpeg");
        let e = inspect(ImageType::Png, b"GIF89a....", b"").unwrap_err();
        assert_eq!(e.0, "the file is not a JPEG or PNG image");
    }

    /// A minimal JPEG of `w`×`h` whose frame header comes after `exif` bytes of APP1 segments,
    /// as a camera writes EXIF data and a colour profile first.
    fn jpeg_after(exif: usize, w: u16, h: u16) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        let mut left = exif;
        while left > 0 {
            let n = left.min(65_533);
            out.extend_from_slice(&[0xFF, 0xE1]);
            out.extend_from_slice(&((n + 2) as u16).to_be_bytes());
            out.extend(std::iter::repeat_n(0u8, n));
            left -= n;
        }
        out.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
        out.extend_from_slice(&h.to_be_bytes());
        out.extend_from_slice(&w.to_be_bytes());
        out.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        out.extend_from_slice(&[0xFF, 0xD9]);
        out
    }

    #[test]
    fn a_jpeg_frame_header_after_large_exif_data_is_found() {
        // 300 KB of EXIF before the frame header: within the head that is kept.
        let file = jpeg_after(300 * 1024, 640, 480);
        let mut ends = Ends::default();
        for chunk in file.chunks(64 * 1024) {
            ends.push(chunk);
        }
        let facts = inspect(ImageType::Jpeg, &ends.head, &ends.tail).unwrap();
        assert_eq!((facts.width, facts.height), (640, 480));
    }

    #[test]
    fn sides_must_be_within_bounds() {
        for (w, h, ok) in [
            (64, 64, true),
            (63, 100, false),
            (100, 63, false),
            (8192, 8192, true),
            (8193, 100, false),
            (100, 8193, false),
        ] {
            let file = png(w, h);
            assert_eq!(inspect(ImageType::Png, &file, &file).is_ok(), ok, "{w}×{h}");
        }
    }

    #[test]
    fn ends_keep_the_first_and_last_bytes_of_any_chunking() {
        let data: Vec<u8> = (0..HEAD_BYTES + 100).map(|i| (i % 251) as u8).collect();
        for size in [1, 7, 4096, HEAD_BYTES + 100] {
            let mut ends = Ends::default();
            for chunk in data.chunks(size) {
                ends.push(chunk);
            }
            assert_eq!(ends.head, data[..HEAD_BYTES], "chunks of {size}");
            assert_eq!(
                ends.tail,
                data[data.len() - TAIL_BYTES..],
                "chunks of {size}"
            );
        }
    }
}
