//! Document preparation before upload: type sniffing, image normalisation,
//! PDF checks, thumbnails. No network, no I/O besides the given bytes.
//!
//! [`prepare_document`] takes the bytes of a file the citizen picked and
//! returns a [`PreparedDocument`] that is safe to upload into a request room:
//!
//! - The type is sniffed from the bytes (magic numbers), never from the file
//!   name. Supported: JPEG, PNG, WebP (decoded by the `image` crate) and PDF.
//!   HEIC/HEIF/AVIF, GIF, TIFF, BMP and anything else are
//!   [`DocumentError::Unsupported`] (the `image` crate has no pure-Rust HEIC
//!   decoder).
//! - Images are decoded within bounded memory (dimension, pixel and
//!   allocation limits are checked from the header before any pixel buffer is
//!   allocated), the EXIF orientation is applied, they are downscaled to
//!   [`DocumentLimits::max_side`] and re-encoded. Re-encoding writes no
//!   metadata at all: EXIF (GPS, camera, time), XMP, IPTC and ICC profiles are
//!   gone. Photos become JPEG; images with alpha and small PNGs stay PNG.
//!   A JPEG thumbnail ([`DocumentLimits::thumbnail_side`]) is made for the UI.
//! - PDFs are checked (`%PDF-` signature, `%%EOF` in the last 1024 bytes,
//!   size) and passed through byte for byte; no thumbnail.
//!
//! Hostile input (truncated files, random bytes, decompression bombs) gives a
//! typed [`DocumentError`], never a panic or an unbounded allocation.

use std::fmt::Write as _;
use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::{
    DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, RgbImage,
    metadata::Orientation,
};
use sha2::{Digest, Sha256};

/// Limits and targets for [`prepare_document`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentLimits {
    /// Largest accepted input file, in bytes.
    pub max_file_bytes: u64,
    /// Largest accepted declared width or height of an image, in pixels.
    /// Beyond it the image is treated as a decompression bomb.
    pub max_dimension: u32,
    /// Largest accepted declared pixel count (width × height) of an image.
    pub max_pixels: u64,
    /// Upper bound on the decoder's allocations, in bytes.
    pub max_decode_alloc: u64,
    /// Longest side of a normalised image; larger images are downscaled.
    pub max_side: u32,
    /// Longest side of the JPEG thumbnail.
    pub thumbnail_side: u32,
    /// JPEG quality (1–100) for re-encoded photos and thumbnails.
    pub jpeg_quality: u8,
    /// A PNG without alpha up to this input size stays PNG (screenshots,
    /// scans of text); larger ones are re-encoded as JPEG.
    pub keep_png_max_bytes: u64,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 25 * 1024 * 1024,
            max_dimension: 20_000,
            max_pixels: 50_000_000,
            max_decode_alloc: 512 * 1024 * 1024,
            max_side: 3000,
            thumbnail_side: 320,
            jpeg_quality: 85,
            keep_png_max_bytes: 2 * 1024 * 1024,
        }
    }
}

/// What was done to a document; the UI shows it to the citizen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalisationReport {
    /// Size of the input file, in bytes.
    pub original_size: u64,
    /// Width and height of the input as stored (before orientation);
    /// `None` for PDFs.
    pub original_dimensions: Option<(u32, u32)>,
    /// Width and height of the output; `None` for PDFs.
    pub final_dimensions: Option<(u32, u32)>,
    /// The EXIF orientation was applied (the pixels were rotated/flipped).
    pub rotated: bool,
    /// The input carried metadata (EXIF, XMP, IPTC or an ICC profile) that
    /// is not in the output.
    pub metadata_removed: bool,
    /// The output bytes were produced by re-encoding (always for images,
    /// never for PDFs).
    pub reencoded: bool,
}

/// A document ready for upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedDocument {
    /// The bytes to upload.
    pub bytes: Vec<u8>,
    /// MIME type of [`Self::bytes`]: `image/jpeg`, `image/png` or
    /// `application/pdf`.
    pub mime: &'static str,
    /// Sanitised file name, its extension matching [`Self::mime`].
    pub file_name: String,
    /// Length of [`Self::bytes`].
    pub size: u64,
    /// SHA-256 of [`Self::bytes`], lowercase hex.
    pub sha256: String,
    /// JPEG thumbnail for images; `None` for PDFs.
    pub thumbnail: Option<Vec<u8>>,
    /// What was done.
    pub normalisation: NormalisationReport,
}

/// Why a document can't be prepared.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum DocumentError {
    /// The file is empty.
    #[error("the file is empty")]
    Empty,
    /// The file type is not accepted; the detected type is given.
    #[error("unsupported file type: {0}")]
    Unsupported(String),
    /// The file claims to be a supported type but is damaged or truncated.
    #[error("the file is damaged: {0}")]
    Corrupt(String),
    /// The file is larger than the limit (bytes).
    #[error("the file is too large (limit {limit} bytes)")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The image declares dimensions that would need far more memory than
    /// the file size suggests or the limits allow.
    #[error("the image is too large to decode safely (possible decompression bomb)")]
    DecompressionBomb,
}

/// A type detected from magic numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sniffed {
    Jpeg,
    Png,
    WebP,
    Pdf,
    Other(&'static str),
}

fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Sniffed::Jpeg;
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Sniffed::Png;
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Sniffed::WebP;
    }
    if bytes.starts_with(b"%PDF-") {
        return Sniffed::Pdf;
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return Sniffed::Other(match &bytes[8..12] {
            b"avif" | b"avis" => "AVIF",
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"hevm" | b"hevs"
            | b"mif1" | b"msf1" => "HEIC/HEIF",
            _ => "ISO media (MP4/MOV)",
        });
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Sniffed::Other("GIF");
    }
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return Sniffed::Other("TIFF");
    }
    if bytes.starts_with(b"BM") {
        return Sniffed::Other("BMP");
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Sniffed::Other("ZIP/Office document");
    }
    Sniffed::Other("unknown")
}

/// Prepares a document for upload; see the [module docs](self).
pub fn prepare_document(
    bytes: &[u8],
    file_name: &str,
    limits: &DocumentLimits,
) -> Result<PreparedDocument, DocumentError> {
    if bytes.is_empty() {
        return Err(DocumentError::Empty);
    }
    let original_size = bytes.len() as u64;
    if original_size > limits.max_file_bytes {
        return Err(DocumentError::TooLarge {
            limit: limits.max_file_bytes,
        });
    }
    let name = sanitise_file_name(file_name);
    match sniff(bytes) {
        Sniffed::Pdf => prepare_pdf(bytes, &name),
        Sniffed::Jpeg => prepare_image(bytes, ImageFormat::Jpeg, &name, limits),
        Sniffed::Png => prepare_image(bytes, ImageFormat::Png, &name, limits),
        Sniffed::WebP => prepare_image(bytes, ImageFormat::WebP, &name, limits),
        Sniffed::Other(kind) => Err(DocumentError::Unsupported(kind.to_owned())),
    }
}

fn prepare_pdf(bytes: &[u8], name: &str) -> Result<PreparedDocument, DocumentError> {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(DocumentError::Corrupt(
            "PDF without %%EOF at the end (truncated?)".into(),
        ));
    }
    Ok(PreparedDocument {
        bytes: bytes.to_vec(),
        mime: "application/pdf",
        file_name: with_extension(name, "pdf"),
        size: bytes.len() as u64,
        sha256: sha256_hex(bytes),
        thumbnail: None,
        normalisation: NormalisationReport {
            original_size: bytes.len() as u64,
            original_dimensions: None,
            final_dimensions: None,
            rotated: false,
            metadata_removed: false,
            reencoded: false,
        },
    })
}

fn map_image_error(err: ImageError) -> DocumentError {
    match err {
        ImageError::Limits(_) => DocumentError::DecompressionBomb,
        ImageError::Unsupported(e) => DocumentError::Unsupported(e.to_string()),
        other => DocumentError::Corrupt(other.to_string()),
    }
}

fn prepare_image(
    bytes: &[u8],
    format: ImageFormat,
    name: &str,
    limits: &DocumentLimits,
) -> Result<PreparedDocument, DocumentError> {
    let mut decode_limits = Limits::default();
    decode_limits.max_image_width = Some(limits.max_dimension);
    decode_limits.max_image_height = Some(limits.max_dimension);
    decode_limits.max_alloc = Some(limits.max_decode_alloc);

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(decode_limits);
    // `into_decoder` reads only the header and checks the dimension limits.
    let mut decoder = reader.into_decoder().map_err(map_image_error)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(DocumentError::Corrupt("image with zero size".into()));
    }
    if width > limits.max_dimension
        || height > limits.max_dimension
        || u64::from(width) * u64::from(height) > limits.max_pixels
        || decoder.total_bytes() > limits.max_decode_alloc
    {
        return Err(DocumentError::DecompressionBomb);
    }

    // Metadata is only inspected (never copied): a damaged metadata block
    // counts as present and is dropped like any other.
    let exif = decoder.exif_metadata();
    let had_metadata = !matches!(exif, Ok(None))
        || !matches!(decoder.xmp_metadata(), Ok(None))
        || !matches!(decoder.iptc_metadata(), Ok(None))
        || !matches!(decoder.icc_profile(), Ok(None));
    let orientation = exif
        .ok()
        .flatten()
        .and_then(|chunk| Orientation::from_exif_chunk(&chunk))
        .unwrap_or(Orientation::NoTransforms);
    let has_alpha = decoder.color_type().has_alpha();

    let mut img = DynamicImage::from_decoder(decoder).map_err(map_image_error)?;
    let rotated = orientation != Orientation::NoTransforms;
    img.apply_orientation(orientation);
    if img.width().max(img.height()) > limits.max_side {
        img = img.resize(limits.max_side, limits.max_side, FilterType::CatmullRom);
    }

    let keep_png = has_alpha
        || (format == ImageFormat::Png && bytes.len() as u64 <= limits.keep_png_max_bytes);
    let (out, mime, ext) = if keep_png {
        (encode_png(&img, has_alpha)?, "image/png", "png")
    } else {
        (
            encode_jpeg(&img.to_rgb8(), limits.jpeg_quality)?,
            "image/jpeg",
            "jpg",
        )
    };
    // `thumbnail` would also upscale; small images are their own thumbnail.
    let thumbnail = if img.width().max(img.height()) > limits.thumbnail_side {
        let small = img.thumbnail(limits.thumbnail_side, limits.thumbnail_side);
        encode_jpeg(&flatten_on_white(&small), limits.jpeg_quality)?
    } else {
        encode_jpeg(&flatten_on_white(&img), limits.jpeg_quality)?
    };

    Ok(PreparedDocument {
        size: out.len() as u64,
        sha256: sha256_hex(&out),
        bytes: out,
        mime,
        file_name: with_extension(name, ext),
        thumbnail: Some(thumbnail),
        normalisation: NormalisationReport {
            original_size: bytes.len() as u64,
            original_dimensions: Some((width, height)),
            final_dimensions: Some((img.width(), img.height())),
            rotated,
            metadata_removed: had_metadata,
            reencoded: true,
        },
    })
}

fn encode_error(err: ImageError) -> DocumentError {
    DocumentError::Corrupt(format!("re-encoding failed: {err}"))
}

fn encode_jpeg(img: &RgbImage, quality: u8) -> Result<Vec<u8>, DocumentError> {
    let mut out = Vec::new();
    img.write_with_encoder(JpegEncoder::new_with_quality(
        &mut out,
        quality.clamp(1, 100),
    ))
    .map_err(encode_error)?;
    Ok(out)
}

fn encode_png(img: &DynamicImage, alpha: bool) -> Result<Vec<u8>, DocumentError> {
    let mut out = Vec::new();
    let encoder = PngEncoder::new(&mut out);
    if alpha {
        img.to_rgba8().write_with_encoder(encoder)
    } else {
        img.to_rgb8().write_with_encoder(encoder)
    }
    .map_err(encode_error)?;
    Ok(out)
}

/// Composites onto white so transparent areas don't turn black in JPEG.
fn flatten_on_white(img: &DynamicImage) -> RgbImage {
    if !img.color().has_alpha() {
        return img.to_rgb8();
    }
    let rgba = img.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend = |c: u8| -> u8 {
            let v = (u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a)) + 127) / 255;
            u8::try_from(v).unwrap_or(u8::MAX)
        };
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// Longest sanitised file name, in bytes.
const MAX_NAME_BYTES: usize = 200;

/// The last path component without control characters, bidi overrides,
/// leading dots or surrounding whitespace; `"document"` if nothing is left.
pub(crate) fn sanitise_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c) && *c != ':')
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    let mut out = String::new();
    for c in cleaned.chars() {
        if out.len() + c.len_utf8() > MAX_NAME_BYTES {
            break;
        }
        out.push(c);
    }
    if out.is_empty() {
        "document".to_owned()
    } else {
        out
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Replaces the extension (if any) so it matches the output type.
fn with_extension(name: &str, ext: &str) -> String {
    let stem = match name.rfind('.') {
        Some(i) if i > 0 => &name[..i],
        _ => name,
    };
    format!("{stem}.{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::webp::WebPEncoder;
    use image::{Rgb, Rgba, RgbaImage};

    fn limits() -> DocumentLimits {
        DocumentLimits::default()
    }

    fn jpeg_of(img: &RgbImage) -> Vec<u8> {
        encode_jpeg(img, 95).unwrap()
    }

    fn png_of(img: &DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    /// An EXIF APP1 segment (big-endian TIFF) with IFD0 = {Orientation,
    /// GPSInfo pointer} and a GPS IFD holding GPSLatitudeRef = "N".
    fn exif_app1(orientation: u16) -> Vec<u8> {
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"MM\0*");
        tiff.extend_from_slice(&8u32.to_be_bytes()); // IFD0 offset
        // IFD0: 2 entries.
        tiff.extend_from_slice(&2u16.to_be_bytes());
        // Orientation, SHORT, count 1, value left-justified.
        tiff.extend_from_slice(&0x0112u16.to_be_bytes());
        tiff.extend_from_slice(&3u16.to_be_bytes());
        tiff.extend_from_slice(&1u32.to_be_bytes());
        tiff.extend_from_slice(&orientation.to_be_bytes());
        tiff.extend_from_slice(&[0, 0]);
        // GPSInfo IFD pointer, LONG, count 1, offset 8 + 2 + 24 + 4 = 38.
        tiff.extend_from_slice(&0x8825u16.to_be_bytes());
        tiff.extend_from_slice(&4u16.to_be_bytes());
        tiff.extend_from_slice(&1u32.to_be_bytes());
        tiff.extend_from_slice(&38u32.to_be_bytes());
        tiff.extend_from_slice(&0u32.to_be_bytes()); // no IFD1
        assert_eq!(tiff.len(), 38);
        // GPS IFD: GPSLatitudeRef, ASCII, count 2, "N\0".
        tiff.extend_from_slice(&1u16.to_be_bytes());
        tiff.extend_from_slice(&0x0001u16.to_be_bytes());
        tiff.extend_from_slice(&2u16.to_be_bytes());
        tiff.extend_from_slice(&2u32.to_be_bytes());
        tiff.extend_from_slice(b"N\0\0\0");
        tiff.extend_from_slice(&0u32.to_be_bytes());

        let mut payload = b"Exif\0\0".to_vec();
        payload.extend_from_slice(&tiff);
        let mut seg = vec![0xFF, 0xE1];
        seg.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        seg.extend_from_slice(&payload);
        seg
    }

    /// Inserts the APP1 segment right after SOI.
    fn with_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&exif_app1(orientation));
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    fn decode(bytes: &[u8]) -> DynamicImage {
        image::load_from_memory(bytes).unwrap()
    }

    #[test]
    fn exif_orientation_applied_and_metadata_stripped() {
        let src = with_exif(&jpeg_of(&RgbImage::from_pixel(2, 1, Rgb([200, 30, 30]))), 6);
        // The helper's segment really is EXIF with GPS, as image reads it.
        assert!(contains(&src, b"Exif\0\0"));
        let mut dec = ImageReader::with_format(Cursor::new(&src), ImageFormat::Jpeg)
            .into_decoder()
            .unwrap();
        assert_eq!(dec.orientation().unwrap(), Orientation::Rotate90);

        let doc = prepare_document(&src, "IMG_0001.JPG", &limits()).unwrap();
        assert_eq!(doc.mime, "image/jpeg");
        assert_eq!(doc.file_name, "IMG_0001.jpg");
        assert!(!contains(&doc.bytes, b"Exif"));
        assert!(!contains(&doc.bytes, &[0xFF, 0xE1]), "no APP1 segment");
        let out = decode(&doc.bytes);
        assert_eq!((out.width(), out.height()), (1, 2));
        let r = &doc.normalisation;
        assert_eq!(r.original_dimensions, Some((2, 1)));
        assert_eq!(r.final_dimensions, Some((1, 2)));
        assert!(r.rotated && r.metadata_removed && r.reencoded);
        assert_eq!(r.original_size, src.len() as u64);
        assert_eq!(doc.size, doc.bytes.len() as u64);
        assert_eq!(doc.sha256, sha256_hex(&doc.bytes));
        let thumb = doc.thumbnail.unwrap();
        assert!(!contains(&thumb, b"Exif"));
        assert_eq!(decode(&thumb).height(), 2);
    }

    #[test]
    fn rotation_moves_pixels_clockwise() {
        // Left half red, right half blue; orientation 6 = rotate 90° CW,
        // so red ends up on top.
        let img = RgbImage::from_fn(32, 16, |x, _| {
            if x < 16 {
                Rgb([255, 0, 0])
            } else {
                Rgb([0, 0, 255])
            }
        });
        let doc = prepare_document(&with_exif(&jpeg_of(&img), 6), "a.jpg", &limits()).unwrap();
        let out = decode(&doc.bytes).to_rgb8();
        assert_eq!(out.dimensions(), (16, 32));
        let top = out.get_pixel(8, 4).0;
        let bottom = out.get_pixel(8, 28).0;
        assert!(top[0] > 200 && top[2] < 60, "top {top:?}");
        assert!(bottom[2] > 200 && bottom[0] < 60, "bottom {bottom:?}");
    }

    #[test]
    fn plain_jpeg_not_rotated() {
        let src = jpeg_of(&RgbImage::from_pixel(40, 20, Rgb([10, 120, 10])));
        let doc = prepare_document(&src, "x.jpeg", &limits()).unwrap();
        assert!(!doc.normalisation.rotated);
        assert!(!doc.normalisation.metadata_removed);
        assert_eq!(doc.normalisation.final_dimensions, Some((40, 20)));
    }

    #[test]
    fn downscales_to_max_side_keeping_aspect() {
        let src = jpeg_of(&RgbImage::from_pixel(400, 100, Rgb([1, 2, 3])));
        let lim = DocumentLimits {
            max_side: 200,
            thumbnail_side: 20,
            ..limits()
        };
        let doc = prepare_document(&src, "big.jpg", &lim).unwrap();
        assert_eq!(doc.normalisation.final_dimensions, Some((200, 50)));
        assert_eq!(decode(&doc.bytes).width(), 200);
        let thumb = decode(doc.thumbnail.as_ref().unwrap());
        assert_eq!((thumb.width(), thumb.height()), (20, 5));
    }

    #[test]
    fn png_with_alpha_stays_png_and_thumbnail_is_jpeg() {
        let img = DynamicImage::ImageRgba8(RgbaImage::from_pixel(10, 10, Rgba([0, 0, 0, 0])));
        let doc = prepare_document(&png_of(&img), "logo.png", &limits()).unwrap();
        assert_eq!(doc.mime, "image/png");
        assert!(doc.bytes.starts_with(b"\x89PNG"));
        assert!(decode(&doc.bytes).color().has_alpha());
        let thumb = doc.thumbnail.unwrap();
        assert!(thumb.starts_with(&[0xFF, 0xD8, 0xFF]));
        // Transparent flattened onto white, not black.
        assert!(decode(&thumb).to_rgb8().get_pixel(5, 5).0[0] > 240);
    }

    #[test]
    fn small_opaque_png_stays_png_large_becomes_jpeg() {
        let src = png_of(&DynamicImage::ImageRgb8(RgbImage::from_pixel(
            20,
            20,
            Rgb([9, 9, 9]),
        )));
        let doc = prepare_document(&src, "scan.png", &limits()).unwrap();
        assert_eq!(doc.mime, "image/png");
        let lim = DocumentLimits {
            keep_png_max_bytes: 0,
            ..limits()
        };
        let doc = prepare_document(&src, "scan.png", &lim).unwrap();
        assert_eq!(doc.mime, "image/jpeg");
        assert_eq!(doc.file_name, "scan.jpg");
        assert!(doc.bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
    }

    #[test]
    fn webp_is_decoded_and_reencoded() {
        let img = RgbImage::from_pixel(12, 6, Rgb([50, 60, 70]));
        let mut src = Vec::new();
        img.write_with_encoder(WebPEncoder::new_lossless(&mut src))
            .unwrap();
        let doc = prepare_document(&src, "photo.webp", &limits()).unwrap();
        assert_eq!(doc.mime, "image/jpeg");
        assert_eq!(doc.file_name, "photo.jpg");
        assert_eq!(doc.normalisation.final_dimensions, Some((12, 6)));
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// A valid 1×1 PNG whose IHDR is rewritten to declare `w`×`h`.
    fn png_declaring(w: u32, h: u32) -> Vec<u8> {
        let mut png = png_of(&DynamicImage::ImageRgb8(RgbImage::new(1, 1)));
        assert_eq!(&png[12..16], b"IHDR");
        png[16..20].copy_from_slice(&w.to_be_bytes());
        png[20..24].copy_from_slice(&h.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png
    }

    #[test]
    fn decompression_bomb_rejected_from_the_header() {
        // Rejected from the declared size alone, before any pixel is
        // decoded (no timing threshold here: see docs/testing.md).
        let bomb = png_declaring(100_000, 100_000);
        assert!(bomb.len() < 100);
        assert_eq!(
            prepare_document(&bomb, "bomb.png", &limits()),
            Err(DocumentError::DecompressionBomb)
        );
        // Within the per-side limit but over the pixel budget.
        let wide = png_declaring(15_000, 15_000);
        assert_eq!(
            prepare_document(&wide, "wide.png", &limits()),
            Err(DocumentError::DecompressionBomb)
        );
        // A real (decodable) image over a tiny pixel budget.
        let src = jpeg_of(&RgbImage::new(20, 20));
        let lim = DocumentLimits {
            max_pixels: 100,
            ..limits()
        };
        assert_eq!(
            prepare_document(&src, "a.jpg", &lim),
            Err(DocumentError::DecompressionBomb)
        );
    }

    fn pdf() -> Vec<u8> {
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
            .to_vec()
    }

    #[test]
    fn pdf_passes_through_unchanged() {
        let src = pdf();
        let doc = prepare_document(&src, "../../Bescheid 2026", &limits()).unwrap();
        assert_eq!(doc.bytes, src);
        assert_eq!(doc.mime, "application/pdf");
        assert_eq!(doc.file_name, "Bescheid 2026.pdf");
        assert_eq!(doc.thumbnail, None);
        assert_eq!(doc.sha256, sha256_hex(&src));
        let r = &doc.normalisation;
        assert!(!r.reencoded && !r.rotated && !r.metadata_removed);
        assert_eq!(r.final_dimensions, None);
    }

    #[test]
    fn pdf_checks() {
        let mut truncated = pdf();
        truncated.truncate(truncated.len() - 8);
        assert!(matches!(
            prepare_document(&truncated, "a.pdf", &limits()),
            Err(DocumentError::Corrupt(_))
        ));
        let lim = DocumentLimits {
            max_file_bytes: 10,
            ..limits()
        };
        assert_eq!(
            prepare_document(&pdf(), "a.pdf", &lim),
            Err(DocumentError::TooLarge { limit: 10 })
        );
        // The name says PDF, the bytes don't.
        assert_eq!(
            prepare_document(b"MZ\x90\0 not a pdf", "invoice.pdf", &limits()),
            Err(DocumentError::Unsupported("unknown".into()))
        );
    }

    #[test]
    fn empty_and_unsupported_types() {
        assert_eq!(
            prepare_document(&[], "a.jpg", &limits()),
            Err(DocumentError::Empty)
        );
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        assert_eq!(
            prepare_document(heic, "IMG.HEIC", &limits()),
            Err(DocumentError::Unsupported("HEIC/HEIF".into()))
        );
        assert_eq!(
            prepare_document(b"GIF89a\x01\0\x01\0", "a.gif", &limits()),
            Err(DocumentError::Unsupported("GIF".into()))
        );
    }

    #[test]
    fn file_names_sanitised() {
        assert_eq!(sanitise_file_name("C:\\Users\\x\\scan.pdf"), "scan.pdf");
        assert_eq!(sanitise_file_name("/etc/passwd"), "passwd");
        assert_eq!(
            sanitise_file_name("a\u{0}b\nc\u{202E}fdp.exe"),
            "abcfdp.exe"
        );
        assert_eq!(sanitise_file_name(".."), "document");
        assert_eq!(sanitise_file_name(" .hidden "), "hidden");
        assert_eq!(sanitise_file_name(""), "document");
        assert!(sanitise_file_name(&"ä".repeat(500)).len() <= MAX_NAME_BYTES);
        assert_eq!(with_extension("a.b.png", "jpg"), "a.b.jpg");
        assert_eq!(with_extension("noext", "pdf"), "noext.pdf");
    }

    #[test]
    fn sha256_known_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hostile_input_never_panics() {
        let lim = limits();
        let jpeg = with_exif(&jpeg_of(&RgbImage::from_pixel(24, 16, Rgb([1, 2, 3]))), 6);
        let png = png_of(&DynamicImage::ImageRgba8(RgbaImage::new(24, 16)));
        let mut webp = Vec::new();
        RgbImage::new(24, 16)
            .write_with_encoder(WebPEncoder::new_lossless(&mut webp))
            .unwrap();
        let mut truncated_errors = 0;
        for valid in [&jpeg, &png, &webp] {
            assert!(prepare_document(valid, "v", &lim).is_ok());
            for cut in 1..valid.len() {
                if prepare_document(&valid[..cut], "t", &lim).is_err() {
                    truncated_errors += 1;
                }
            }
        }
        // Most truncations must be detected (JPEG decoding is lenient about
        // a missing tail, PNG and WebP are not).
        assert!(truncated_errors > (png.len() + webp.len()) / 2);

        let mut rng = fastrand::Rng::with_seed(0x9E37_79B9_7F4A_7C15);
        let prefixes: [&[u8]; 5] = [
            b"",
            &[0xFF, 0xD8, 0xFF],
            b"\x89PNG\r\n\x1a\n",
            b"RIFF\x10\0\0\0WEBP",
            b"%PDF-",
        ];
        for i in 0..400 {
            let len = rng.usize(..512);
            let mut data = prefixes[i % prefixes.len()].to_vec();
            data.extend(std::iter::repeat_with(|| rng.u8(..)).take(len));
            let _ = prepare_document(&data, "r", &lim);
            // Random bytes after a valid header.
            let mut mangled = [&jpeg, &png, &webp][i % 3].clone();
            let start = 30.min(mangled.len());
            for b in &mut mangled[start..] {
                if rng.usize(..16) == 0 {
                    *b = rng.u8(..);
                }
            }
            let _ = prepare_document(&mangled, "m", &lim);
        }
    }
}
