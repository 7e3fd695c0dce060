//! BER-TLV data objects (ISO/IEC 7816-4 / X.690) as the card uses them.
//!
//! Tags may span several bytes (`7F49`, `5F37`) and are kept as the big-endian
//! number of their bytes. Lengths may be short or long form (up to four length
//! bytes, values bounded by [`MAX_VALUE_LEN`]); the indefinite form is refused.
//! Every parse error is a typed [`TlvError`]; nothing here panics on input.

use thiserror::Error;

/// The largest value length accepted (1 MiB); anything larger is absurd for an eID card.
pub const MAX_VALUE_LEN: usize = 1 << 20;
/// The longest tag accepted, in bytes.
const MAX_TAG_LEN: usize = 4;

/// Errors parsing BER-TLV.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TlvError {
    /// The input ended inside a tag, length or value.
    #[error("TLV truncated: {0}")]
    Truncated(&'static str),
    /// The indefinite length form (0x80) is not allowed.
    #[error("indefinite TLV length is not supported")]
    IndefiniteLength,
    /// A length field with more than four bytes or a value over [`MAX_VALUE_LEN`].
    #[error("TLV length field is absurd")]
    AbsurdLength,
    /// A tag longer than four bytes.
    #[error("TLV tag is too long")]
    TagTooLong,
    /// A required data object is missing.
    #[error("data object {0:X} is missing")]
    Missing(u32),
}

/// A BER-TLV tag, as the big-endian number of its bytes (e.g. `0x7F49`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tag(pub u32);

impl Tag {
    /// The encoded tag bytes.
    pub fn to_bytes(self) -> Vec<u8> {
        let bytes = self.0.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count().min(3);
        bytes.iter().skip(skip).copied().collect()
    }

    /// Whether the tag marks a constructed object (bit 6 of the first byte).
    pub fn is_constructed(self) -> bool {
        self.to_bytes().first().is_some_and(|b| b & 0x20 != 0)
    }
}

/// One parsed data object, borrowing its value from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag.
    pub tag: Tag,
    /// The value bytes.
    pub value: &'a [u8],
    /// The complete encoding (tag, length and value) as it appeared in the input.
    pub raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// Parses the first data object of `input`, returning it and the rest.
    pub fn parse(input: &'a [u8]) -> Result<(Self, &'a [u8]), TlvError> {
        let (tag, tag_len) = parse_tag(input)?;
        let after_tag = input.get(tag_len..).ok_or(TlvError::Truncated("tag"))?;
        let (len, len_len) = parse_length(after_tag)?;
        let header = tag_len + len_len;
        let end = header.checked_add(len).ok_or(TlvError::AbsurdLength)?;
        let raw = input.get(..end).ok_or(TlvError::Truncated("value"))?;
        let value = raw.get(header..).ok_or(TlvError::Truncated("value"))?;
        let rest = input.get(end..).unwrap_or_default();
        Ok((Tlv { tag, value, raw }, rest))
    }

    /// Parses the children of a constructed object.
    pub fn children(&self) -> Result<Vec<Tlv<'a>>, TlvError> {
        parse_all(self.value)
    }
}

/// Parses a sequence of data objects that must fill `input` exactly.
pub fn parse_all(mut input: &[u8]) -> Result<Vec<Tlv<'_>>, TlvError> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let (tlv, rest) = Tlv::parse(input)?;
        out.push(tlv);
        input = rest;
    }
    Ok(out)
}

/// Finds the first object with `tag` among `objects`.
pub fn find<'a>(objects: &[Tlv<'a>], tag: u32) -> Option<Tlv<'a>> {
    objects.iter().find(|t| t.tag == Tag(tag)).copied()
}

/// Like [`find`], but a missing object is an error.
pub fn require<'a>(objects: &[Tlv<'a>], tag: u32) -> Result<Tlv<'a>, TlvError> {
    find(objects, tag).ok_or(TlvError::Missing(tag))
}

fn parse_tag(input: &[u8]) -> Result<(Tag, usize), TlvError> {
    let first = *input.first().ok_or(TlvError::Truncated("tag"))?;
    let mut value = u32::from(first);
    if first & 0x1F != 0x1F {
        return Ok((Tag(value), 1));
    }
    let mut len = 1;
    loop {
        let b = *input.get(len).ok_or(TlvError::Truncated("tag"))?;
        len += 1;
        if len > MAX_TAG_LEN {
            return Err(TlvError::TagTooLong);
        }
        value = (value << 8) | u32::from(b);
        if b & 0x80 == 0 {
            return Ok((Tag(value), len));
        }
    }
}

fn parse_length(input: &[u8]) -> Result<(usize, usize), TlvError> {
    let first = *input.first().ok_or(TlvError::Truncated("length"))?;
    if first < 0x80 {
        return Ok((usize::from(first), 1));
    }
    if first == 0x80 {
        return Err(TlvError::IndefiniteLength);
    }
    let n = usize::from(first & 0x7F);
    if n > 4 {
        return Err(TlvError::AbsurdLength);
    }
    let bytes = input.get(1..1 + n).ok_or(TlvError::Truncated("length"))?;
    let len = bytes
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    if len > MAX_VALUE_LEN {
        return Err(TlvError::AbsurdLength);
    }
    Ok((len, 1 + n))
}

/// Encodes a length in the shortest definite form.
pub fn encode_length(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u64).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
}

/// Encodes one data object.
pub fn encode(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut out = Tag(tag).to_bytes();
    encode_length(value.len(), &mut out);
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_and_multi_byte_tags() {
        let (t, rest) = Tlv::parse(&[0x80, 0x01, 0xAA, 0xFF]).unwrap();
        assert_eq!(t.tag, Tag(0x80));
        assert_eq!(t.value, &[0xAA]);
        assert_eq!(rest, &[0xFF]);
        let (t, _) = Tlv::parse(&[0x7F, 0x49, 0x02, 0x86, 0x00]).unwrap();
        assert_eq!(t.tag, Tag(0x7F49));
        assert!(t.tag.is_constructed());
        assert_eq!(t.children().unwrap()[0].tag, Tag(0x86));
        let (t, _) = Tlv::parse(&[0x5F, 0x81, 0x02, 0x00]).unwrap();
        assert_eq!(t.tag, Tag(0x5F8102));
    }

    #[test]
    fn long_form_lengths() {
        let mut input = vec![0x87, 0x81, 0x99];
        input.extend(vec![7; 0x99]);
        let (t, rest) = Tlv::parse(&input).unwrap();
        assert_eq!(t.value.len(), 0x99);
        assert!(rest.is_empty());
        let mut input = vec![0x53, 0x82, 0x01, 0x2C];
        input.extend(vec![1; 300]);
        assert_eq!(Tlv::parse(&input).unwrap().0.value.len(), 300);
    }

    #[test]
    fn encode_round_trips() {
        for len in [0usize, 1, 127, 128, 255, 256, 70_000] {
            let v = vec![3u8; len];
            let enc = encode(0x7F49, &v);
            let (t, rest) = Tlv::parse(&enc).unwrap();
            assert_eq!(t.tag, Tag(0x7F49));
            assert_eq!(t.value.len(), len);
            assert_eq!(t.raw, &enc[..]);
            assert!(rest.is_empty());
        }
        assert_eq!(encode(0x80, &[1]), [0x80, 1, 1]);
        assert_eq!(encode(0x87, &[0; 200])[..3], [0x87, 0x81, 200]);
    }

    #[test]
    fn hostile_input_gives_typed_errors() {
        assert_eq!(Tlv::parse(&[]), Err(TlvError::Truncated("tag")));
        assert_eq!(Tlv::parse(&[0x7F]), Err(TlvError::Truncated("tag")));
        assert_eq!(Tlv::parse(&[0x80]), Err(TlvError::Truncated("length")));
        assert_eq!(
            Tlv::parse(&[0x80, 0x82, 0x01]),
            Err(TlvError::Truncated("length"))
        );
        assert_eq!(
            Tlv::parse(&[0x80, 0x03, 1, 2]),
            Err(TlvError::Truncated("value"))
        );
        assert_eq!(
            Tlv::parse(&[0x30, 0x80, 0, 0]),
            Err(TlvError::IndefiniteLength)
        );
        assert_eq!(
            Tlv::parse(&[0x04, 0x88, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
            Err(TlvError::AbsurdLength)
        );
        assert_eq!(
            Tlv::parse(&[0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]),
            Err(TlvError::AbsurdLength)
        );
        assert_eq!(
            Tlv::parse(&[0x1F, 0x81, 0x82, 0x83, 0x04, 0x00]),
            Err(TlvError::TagTooLong)
        );
        assert!(parse_all(&[0x80, 0x01, 0x00, 0x81]).is_err());
    }

    #[test]
    fn require_names_the_missing_tag() {
        let objs = parse_all(&[0x80, 0x00]).unwrap();
        assert_eq!(require(&objs, 0x86), Err(TlvError::Missing(0x86)));
        assert!(require(&objs, 0x80).is_ok());
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap deterministic fuzz: every prefix and many byte patterns.
        let mut state = 0x1234_5678u32;
        for _ in 0..5000 {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let len = (state >> 24) as usize % 12;
            let bytes: Vec<u8> = (0..len)
                .map(|i| (state.rotate_left(i as u32 * 5) & 0xFF) as u8)
                .collect();
            let _ = parse_all(&bytes);
        }
    }
}
