//! Reading a transparent file from the card by READ BINARY, as far as the
//! DER object in it goes: EF.CardAccess (short file id 1C), plain or
//! through a secure channel.
//!
//! Cards differ in what Le they accept and how they end a file, so
//! [`read_card_access`] reads by short EF identifier first, then by offset
//! until the DER object is complete, the card reports the end of the file,
//! or a short chunk arrives; a 6Cxx answer is retried once with the exact
//! Le. It is bounded ([`MAX_FILE`]) and never loops on a confused card.

use crate::apdu::{ApduError, CommandApdu, ResponseApdu, Status, StatusWord};

/// The most EF.CardAccess may hold; real cards have a few hundred bytes.
pub const MAX_FILE: usize = 16 * 1024;

/// What reading EF.CardAccess gave.
#[derive(Debug)]
pub enum FileRead<E> {
    /// The file's bytes.
    Data(Vec<u8>),
    /// The card refused to give it (e.g. 6A82: not an eID card).
    Refused(StatusWord),
    /// The link failed.
    Failed(E),
}

fn read_binary(offset: usize, le: usize) -> Result<CommandApdu, ApduError> {
    if offset == 0 {
        // READ BINARY with short EF identifier 1C (EF.CardAccess).
        CommandApdu::new(0x00, 0xB0, 0x9C, 0x00).with_le(le)
    } else {
        let [hi, lo] = u16::try_from(offset).unwrap_or(u16::MAX).to_be_bytes();
        CommandApdu::new(0x00, 0xB0, hi & 0x7F, lo).with_le(le)
    }
}

/// The total length of a DER object from its header, if the header is complete.
fn der_total_len(bytes: &[u8]) -> Option<usize> {
    let (&first_len, rest) = bytes.get(1..)?.split_first()?;
    if first_len < 0x80 {
        return Some(2 + usize::from(first_len));
    }
    let n = usize::from(first_len & 0x7F);
    if n == 0 || n > 3 {
        return None;
    }
    let len = rest
        .get(..n)?
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Some(2 + n + len)
}

/// Reads EF.CardAccess with `send` (plain or a secure channel): READ BINARY by
/// short EF identifier, then by offset until the DER object is complete, the
/// card says end of file, or a short chunk arrives.
pub fn read_card_access<E>(
    mut send: impl FnMut(&CommandApdu) -> Result<ResponseApdu, E>,
) -> FileRead<E> {
    let mut data: Vec<u8> = Vec::new();
    let mut le = 256;
    // Bounded: at most MAX_FILE / 1 + a few retries with a corrected Le.
    for _ in 0..(MAX_FILE / 16) {
        let cmd = match read_binary(data.len(), le) {
            Ok(c) => c,
            Err(_) => break,
        };
        let resp = match send(&cmd) {
            Ok(r) => r,
            Err(e) => return FileRead::Failed(e),
        };
        match resp.sw().status() {
            Status::Success | Status::EndOfFile => {
                let chunk = resp.data();
                data.extend_from_slice(chunk);
                let complete = der_total_len(&data).is_some_and(|total| data.len() >= total);
                if resp.sw().status() == Status::EndOfFile
                    || chunk.is_empty()
                    || chunk.len() < le
                    || complete
                    || data.len() >= MAX_FILE
                {
                    break;
                }
                le = 256;
            }
            Status::WrongLe(exact) if le != usize::from(exact) && exact != 0 => {
                le = usize::from(exact);
            }
            // Past the end of a file whose length is a multiple of the chunk size.
            Status::WrongParameters if !data.is_empty() => break,
            _ if data.is_empty() => return FileRead::Refused(resp.sw()),
            _ => break,
        }
    }
    if let Some(total) = der_total_len(&data) {
        data.truncate(total);
    }
    FileRead::Data(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths() {
        assert_eq!(der_total_len(&[0x31, 0x14]), Some(0x16));
        assert_eq!(der_total_len(&[0x31, 0x81, 0xB4]), Some(3 + 0xB4));
        assert_eq!(der_total_len(&[0x31, 0x82, 0x01, 0x00]), Some(4 + 256));
        assert_eq!(der_total_len(&[0x31, 0x82, 0x01]), None);
        assert_eq!(der_total_len(&[0x31, 0x80]), None);
        assert_eq!(der_total_len(&[0x31]), None);
    }

    fn resp(data: &[u8], sw: u16) -> ResponseApdu {
        ResponseApdu::new(data.to_vec(), StatusWord(sw))
    }

    #[test]
    fn reads_in_chunks_and_stops_at_the_der_end() {
        let mut file = vec![0x31, 0x82, 0x01, 0x2C];
        file.extend((0..0x12C).map(|i| i as u8));
        let served = file.clone();
        let mut calls = Vec::new();
        let r = read_card_access(|cmd: &CommandApdu| -> Result<ResponseApdu, ()> {
            let off = if cmd.p1() & 0x80 != 0 {
                0
            } else {
                usize::from(cmd.p1()) << 8 | usize::from(cmd.p2())
            };
            calls.push(off);
            let end = (off + cmd.le().unwrap_or(0)).min(served.len());
            Ok(resp(&served[off..end], 0x9000))
        });
        match r {
            FileRead::Data(d) => assert_eq!(d, file),
            other => panic!("{other:?}"),
        }
        assert_eq!(calls, vec![0, 256]);
    }

    #[test]
    fn refusal_and_wrong_le() {
        match read_card_access(|_: &CommandApdu| -> Result<ResponseApdu, ()> {
            Ok(resp(&[], 0x6A82))
        }) {
            FileRead::Refused(sw) => assert_eq!(sw.0, 0x6A82),
            other => panic!("{other:?}"),
        }
        let mut n = 0;
        match read_card_access(|cmd: &CommandApdu| -> Result<ResponseApdu, ()> {
            n += 1;
            if cmd.le() == Some(4) {
                Ok(resp(&[0x31, 0x02, 0x05, 0x00], 0x9000))
            } else {
                Ok(resp(&[], 0x6C04))
            }
        }) {
            FileRead::Data(d) => assert_eq!(d, [0x31, 0x02, 0x05, 0x00]),
            other => panic!("{other:?}"),
        }
        assert_eq!(n, 2);
        // A card that always answers 6Cxx with the same Le does not loop forever.
        match read_card_access(|_: &CommandApdu| -> Result<ResponseApdu, ()> {
            Ok(resp(&[], 0x6C00))
        }) {
            FileRead::Refused(sw) => assert_eq!(sw.0, 0x6C00),
            other => panic!("{other:?}"),
        }
    }
}
