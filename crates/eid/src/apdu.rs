//! ISO/IEC 7816-4 application protocol data units.
//!
//! [`CommandApdu`] builds commands in short or extended length encoding
//! (extended is chosen automatically when the data field exceeds 255 bytes
//! or the expected response length exceeds 256 bytes) and parses them back
//! (for the card side of tests). [`ResponseApdu`] splits a response into its
//! data field and [`StatusWord`], which classifies the status words the eID
//! card uses into [`Status`].

use std::fmt;

use thiserror::Error;

/// The largest expected response length of a short APDU (encoded as `00`).
pub const SHORT_LE_MAX: usize = 256;
/// The largest expected response length of an extended APDU (encoded as `0000`).
pub const EXTENDED_LE_MAX: usize = 65_536;
/// The largest data field a short APDU can carry.
pub const SHORT_LC_MAX: usize = 255;
/// The largest data field an extended APDU can carry.
pub const EXTENDED_LC_MAX: usize = 65_535;

/// Errors building or parsing APDUs.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ApduError {
    /// The data field is longer than an extended APDU can carry.
    #[error("command data field of {0} bytes exceeds 65535")]
    DataTooLong(usize),
    /// The expected response length is zero or larger than 65536.
    #[error("expected response length {0} is outside 1..=65536")]
    InvalidLe(usize),
    /// A response shorter than the two status bytes.
    #[error("response of {0} bytes has no status word")]
    ResponseTooShort(usize),
    /// A command whose length fields do not match its size.
    #[error("malformed command APDU: {0}")]
    MalformedCommand(&'static str),
}

/// A command APDU: header, optional data field, optional expected length.
#[derive(Clone, PartialEq, Eq)]
pub struct CommandApdu {
    cla: u8,
    ins: u8,
    p1: u8,
    p2: u8,
    data: Vec<u8>,
    le: Option<usize>,
    force_extended: bool,
}

impl fmt::Debug for CommandApdu {
    // The data field may hold secrets (a new PIN in RESET RETRY COUNTER):
    // only its length is printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommandApdu")
            .field("cla", &format_args!("{:02X}", self.cla))
            .field("ins", &format_args!("{:02X}", self.ins))
            .field("p1", &format_args!("{:02X}", self.p1))
            .field("p2", &format_args!("{:02X}", self.p2))
            .field("data_len", &self.data.len())
            .field("le", &self.le)
            .finish()
    }
}

impl CommandApdu {
    /// A command with only a header (ISO 7816-4 case 1).
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
            force_extended: false,
        }
    }

    /// Sets the data field (empty means none).
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Result<Self, ApduError> {
        let data = data.into();
        if data.len() > EXTENDED_LC_MAX {
            return Err(ApduError::DataTooLong(data.len()));
        }
        self.data = data;
        Ok(self)
    }

    /// Sets the expected response length (1..=65536; 256 and 65536 mean "all").
    pub fn with_le(mut self, le: usize) -> Result<Self, ApduError> {
        if le == 0 || le > EXTENDED_LE_MAX {
            return Err(ApduError::InvalidLe(le));
        }
        self.le = Some(le);
        Ok(self)
    }

    /// Encodes in extended length even where short length would do.
    pub fn extended(mut self) -> Self {
        self.force_extended = true;
        self
    }

    /// Class byte.
    pub fn cla(&self) -> u8 {
        self.cla
    }
    /// Instruction byte.
    pub fn ins(&self) -> u8 {
        self.ins
    }
    /// First parameter byte.
    pub fn p1(&self) -> u8 {
        self.p1
    }
    /// Second parameter byte.
    pub fn p2(&self) -> u8 {
        self.p2
    }
    /// Data field (empty if none).
    pub fn data(&self) -> &[u8] {
        &self.data
    }
    /// Expected response length, if any.
    pub fn le(&self) -> Option<usize> {
        self.le
    }

    /// Whether [`Self::to_bytes`] uses extended length encoding.
    pub fn is_extended(&self) -> bool {
        self.force_extended
            || self.data.len() > SHORT_LC_MAX
            || self.le.is_some_and(|le| le > SHORT_LE_MAX)
    }

    /// The encoded command.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 9);
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        let lc = self.data.len();
        if self.is_extended() {
            if lc > 0 {
                // Lc: 00 followed by two bytes; the range was checked.
                out.push(0);
                out.extend_from_slice(&(lc as u16).to_be_bytes());
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                if lc == 0 {
                    out.push(0);
                }
                // 65536 is encoded as 0000.
                out.extend_from_slice(&((le % EXTENDED_LE_MAX) as u16).to_be_bytes());
            }
        } else {
            if lc > 0 {
                out.push(lc as u8);
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                // 256 is encoded as 00.
                out.push((le % SHORT_LE_MAX) as u8);
            }
        }
        out
    }

    /// Parses an encoded command (the card side; used by the fake card).
    pub fn parse(bytes: &[u8]) -> Result<Self, ApduError> {
        let [cla, ins, p1, p2, body @ ..] = bytes else {
            return Err(ApduError::MalformedCommand("shorter than a header"));
        };
        let mut cmd = Self::new(*cla, *ins, *p1, *p2);
        match body {
            [] => {}
            [le] => {
                cmd.le = Some(if *le == 0 {
                    SHORT_LE_MAX
                } else {
                    usize::from(*le)
                });
            }
            [0, hi, lo] => {
                let le = usize::from(u16::from_be_bytes([*hi, *lo]));
                cmd.le = Some(if le == 0 { EXTENDED_LE_MAX } else { le });
                cmd.force_extended = true;
            }
            [0, hi, lo, rest @ ..] => {
                let lc = usize::from(u16::from_be_bytes([*hi, *lo]));
                if lc == 0 {
                    return Err(ApduError::MalformedCommand("extended Lc of zero"));
                }
                cmd.force_extended = true;
                match rest.len().checked_sub(lc) {
                    Some(0) => cmd.data = rest.to_vec(),
                    Some(2) => {
                        let (data, le) = rest.split_at(lc);
                        cmd.data = data.to_vec();
                        let le = usize::from(u16::from_be_bytes([
                            le.first().copied().unwrap_or(0),
                            le.get(1).copied().unwrap_or(0),
                        ]));
                        cmd.le = Some(if le == 0 { EXTENDED_LE_MAX } else { le });
                    }
                    _ => return Err(ApduError::MalformedCommand("extended Lc mismatch")),
                }
            }
            [lc, rest @ ..] => {
                let lc = usize::from(*lc);
                match rest.len().checked_sub(lc) {
                    Some(0) => cmd.data = rest.to_vec(),
                    Some(1) => {
                        let (data, le) = rest.split_at(lc);
                        cmd.data = data.to_vec();
                        let le = le.first().copied().unwrap_or(0);
                        cmd.le = Some(if le == 0 {
                            SHORT_LE_MAX
                        } else {
                            usize::from(le)
                        });
                    }
                    _ => return Err(ApduError::MalformedCommand("short Lc mismatch")),
                }
            }
        }
        Ok(cmd)
    }
}

/// The two status bytes SW1 SW2 of a response.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatusWord({:04X})", self.0)
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

/// The meaning of a status word, as far as the eID card uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 9000: normal processing.
    Success,
    /// 61xx: more response bytes available (xx, 0 meaning 256).
    MoreData(u8),
    /// 6282: end of file reached before Le bytes were read.
    EndOfFile,
    /// 6283: the selected file or password is deactivated.
    Deactivated,
    /// 6300: verification or authentication failed, no counter given.
    VerificationFailed,
    /// 63Cx: retry counter; x tries left (PIN: 1 suspended, 0 blocked).
    RetriesLeft(u8),
    /// 6581: memory failure.
    MemoryFailure,
    /// 6700: wrong length.
    WrongLength,
    /// 6982: security status not satisfied.
    SecurityStatusNotSatisfied,
    /// 6983: authentication method blocked.
    AuthenticationBlocked,
    /// 6984: reference data not usable.
    ReferenceDataNotUsable,
    /// 6985: conditions of use not satisfied.
    ConditionsNotSatisfied,
    /// 6986: command not allowed.
    CommandNotAllowed,
    /// 6987: expected secure-messaging data objects missing.
    SmObjectsMissing,
    /// 6988: secure-messaging data objects incorrect.
    SmObjectsIncorrect,
    /// 6A80: incorrect parameters in the data field.
    WrongData,
    /// 6A82: file or application not found.
    FileNotFound,
    /// 6A86 or 6B00: incorrect parameters P1-P2.
    WrongParameters,
    /// 6A88: referenced data not found.
    ReferenceDataNotFound,
    /// 6Cxx: wrong Le; xx is the exact length.
    WrongLe(u8),
    /// 6D00: instruction not supported.
    InsNotSupported,
    /// 6E00: class not supported.
    ClaNotSupported,
    /// Any other status word.
    Other(u16),
}

impl StatusWord {
    /// 9000.
    pub const SUCCESS: Self = Self(0x9000);

    /// From SW1 and SW2.
    pub fn from_bytes(sw1: u8, sw2: u8) -> Self {
        Self(u16::from_be_bytes([sw1, sw2]))
    }

    /// SW1 and SW2.
    pub fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }

    /// Whether this is 9000.
    pub fn is_success(self) -> bool {
        self.0 == 0x9000
    }

    /// The classified meaning.
    pub fn status(self) -> Status {
        let [sw1, sw2] = self.to_bytes();
        match (sw1, sw2) {
            (0x90, 0x00) => Status::Success,
            (0x61, n) => Status::MoreData(n),
            (0x62, 0x82) => Status::EndOfFile,
            (0x62, 0x83) => Status::Deactivated,
            (0x63, 0x00) => Status::VerificationFailed,
            (0x63, n) if n & 0xF0 == 0xC0 => Status::RetriesLeft(n & 0x0F),
            (0x65, 0x81) => Status::MemoryFailure,
            (0x67, 0x00) => Status::WrongLength,
            (0x69, 0x82) => Status::SecurityStatusNotSatisfied,
            (0x69, 0x83) => Status::AuthenticationBlocked,
            (0x69, 0x84) => Status::ReferenceDataNotUsable,
            (0x69, 0x85) => Status::ConditionsNotSatisfied,
            (0x69, 0x86) => Status::CommandNotAllowed,
            (0x69, 0x87) => Status::SmObjectsMissing,
            (0x69, 0x88) => Status::SmObjectsIncorrect,
            (0x6A, 0x80) => Status::WrongData,
            (0x6A, 0x82) => Status::FileNotFound,
            (0x6A, 0x86) | (0x6B, 0x00) => Status::WrongParameters,
            (0x6A, 0x88) => Status::ReferenceDataNotFound,
            (0x6C, n) => Status::WrongLe(n),
            (0x6D, 0x00) => Status::InsNotSupported,
            (0x6E, 0x00) => Status::ClaNotSupported,
            _ => Status::Other(self.0),
        }
    }
}

/// A response APDU: data field and status word.
#[derive(Clone, PartialEq, Eq)]
pub struct ResponseApdu {
    data: Vec<u8>,
    sw: StatusWord,
}

impl fmt::Debug for ResponseApdu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseApdu")
            .field("data_len", &self.data.len())
            .field("sw", &self.sw)
            .finish()
    }
}

impl ResponseApdu {
    /// A response from its parts.
    pub fn new(data: impl Into<Vec<u8>>, sw: StatusWord) -> Self {
        Self {
            data: data.into(),
            sw,
        }
    }

    /// Splits raw response bytes into data and status word.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApduError> {
        match bytes {
            [data @ .., sw1, sw2] => Ok(Self::new(data, StatusWord::from_bytes(*sw1, *sw2))),
            _ => Err(ApduError::ResponseTooShort(bytes.len())),
        }
    }

    /// The data field.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Takes the data field.
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }

    /// The status word.
    pub fn sw(&self) -> StatusWord {
        self.sw
    }

    /// The encoded response (data followed by SW1 SW2).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.data.clone();
        out.extend_from_slice(&self.sw.to_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd() -> CommandApdu {
        CommandApdu::new(0x00, 0xB0, 0x9C, 0x00)
    }

    #[test]
    fn case1_is_header_only() {
        assert_eq!(cmd().to_bytes(), [0x00, 0xB0, 0x9C, 0x00]);
    }

    #[test]
    fn short_le_256_is_encoded_as_zero() {
        let c = cmd().with_le(256).unwrap();
        assert!(!c.is_extended());
        assert_eq!(c.to_bytes(), [0x00, 0xB0, 0x9C, 0x00, 0x00]);
        assert_eq!(cmd().with_le(4).unwrap().to_bytes(), [0, 0xB0, 0x9C, 0, 4]);
    }

    #[test]
    fn short_case4() {
        let c = CommandApdu::new(0x10, 0x86, 0, 0)
            .with_data(vec![0x7C, 0x00])
            .unwrap()
            .with_le(256)
            .unwrap();
        assert_eq!(c.to_bytes(), [0x10, 0x86, 0, 0, 2, 0x7C, 0, 0]);
    }

    #[test]
    fn le_above_256_switches_to_extended() {
        let c = cmd().with_le(257).unwrap();
        assert!(c.is_extended());
        assert_eq!(c.to_bytes(), [0x00, 0xB0, 0x9C, 0x00, 0x00, 0x01, 0x01]);
        let max = cmd().with_le(65_536).unwrap();
        assert_eq!(max.to_bytes(), [0x00, 0xB0, 0x9C, 0x00, 0x00, 0x00, 0x00]);
    }

    #[test]
    fn data_above_255_switches_to_extended() {
        let c = CommandApdu::new(0, 0x2A, 0, 0xBE)
            .with_data(vec![0xAB; 300])
            .unwrap();
        let b = c.to_bytes();
        assert_eq!(&b[..7], &[0, 0x2A, 0, 0xBE, 0, 0x01, 0x2C]);
        assert_eq!(b.len(), 7 + 300);
        let with_le = c.with_le(256).unwrap().to_bytes();
        assert_eq!(&with_le[with_le.len() - 2..], &[0x01, 0x00]);
    }

    #[test]
    fn forced_extended_case4() {
        let c = CommandApdu::new(0, 0x86, 0, 0)
            .with_data(vec![1, 2])
            .unwrap()
            .with_le(65_536)
            .unwrap()
            .extended();
        assert_eq!(c.to_bytes(), [0, 0x86, 0, 0, 0, 0, 2, 1, 2, 0, 0]);
    }

    #[test]
    fn invalid_lengths_are_refused() {
        assert_eq!(cmd().with_le(0), Err(ApduError::InvalidLe(0)));
        assert_eq!(cmd().with_le(65_537), Err(ApduError::InvalidLe(65_537)));
        assert_eq!(
            cmd().with_data(vec![0; 65_536]),
            Err(ApduError::DataTooLong(65_536))
        );
    }

    #[test]
    fn parse_round_trips_all_cases() {
        let cases = [
            cmd(),
            cmd().with_le(1).unwrap(),
            cmd().with_le(256).unwrap(),
            cmd().with_le(1000).unwrap(),
            cmd().with_le(65_536).unwrap(),
            cmd().with_data(vec![5; 10]).unwrap(),
            cmd().with_data(vec![5; 10]).unwrap().with_le(20).unwrap(),
            cmd().with_data(vec![5; 400]).unwrap(),
            cmd()
                .with_data(vec![5; 400])
                .unwrap()
                .with_le(65_536)
                .unwrap(),
        ];
        for c in cases {
            let parsed = CommandApdu::parse(&c.to_bytes()).unwrap();
            assert_eq!(parsed.to_bytes(), c.to_bytes());
            assert_eq!(parsed.data(), c.data());
            assert_eq!(parsed.le(), c.le());
        }
    }

    #[test]
    fn parse_rejects_inconsistent_lengths() {
        assert!(CommandApdu::parse(&[0, 1, 2]).is_err());
        assert!(CommandApdu::parse(&[0, 1, 2, 3, 5, 1, 2]).is_err());
        assert!(CommandApdu::parse(&[0, 1, 2, 3, 0, 0, 0, 1]).is_err());
        assert!(CommandApdu::parse(&[0, 1, 2, 3, 0, 0, 3, 1]).is_err());
    }

    #[test]
    fn response_parsing() {
        let r = ResponseApdu::parse(&[1, 2, 3, 0x90, 0x00]).unwrap();
        assert_eq!(r.data(), &[1, 2, 3]);
        assert!(r.sw().is_success());
        assert_eq!(r.to_bytes(), [1, 2, 3, 0x90, 0x00]);
        assert_eq!(
            ResponseApdu::parse(&[0x90]),
            Err(ApduError::ResponseTooShort(1))
        );
        assert_eq!(
            ResponseApdu::parse(&[0x63, 0xC2]).unwrap().data(),
            &[] as &[u8]
        );
    }

    #[test]
    fn status_words_are_classified() {
        let s = |v| StatusWord(v).status();
        assert_eq!(s(0x9000), Status::Success);
        assert_eq!(s(0x63C2), Status::RetriesLeft(2));
        assert_eq!(s(0x63C0), Status::RetriesLeft(0));
        assert_eq!(s(0x6300), Status::VerificationFailed);
        assert_eq!(s(0x6283), Status::Deactivated);
        assert_eq!(s(0x6983), Status::AuthenticationBlocked);
        assert_eq!(s(0x6984), Status::ReferenceDataNotUsable);
        assert_eq!(s(0x6985), Status::ConditionsNotSatisfied);
        assert_eq!(s(0x6988), Status::SmObjectsIncorrect);
        assert_eq!(s(0x6C10), Status::WrongLe(0x10));
        assert_eq!(s(0x6310), Status::Other(0x6310));
        assert_eq!(StatusWord(0x63C1).to_string(), "63C1");
    }
}
