//! The citizen's secrets: PIN, CAN, PUK and the MRZ, validated and wiped on drop.
//!
//! Each type checks its format on construction ([`SecretError`]), zeroizes
//! its contents when dropped and prints as `Pin(***)` in `Debug`, so a secret
//! cannot leak through logs or error messages.

use std::fmt;

use thiserror::Error;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::crypto;
use crate::pace::PasswordKind;

/// Why a secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SecretError {
    /// Characters other than the digits 0-9.
    #[error("{what} must contain only digits")]
    NotDigits {
        /// Which secret ("PIN", "CAN", "PUK").
        what: &'static str,
    },
    /// The wrong number of digits.
    #[error("{what} must have {expected} digits, not {actual}")]
    WrongLength {
        /// Which secret.
        what: &'static str,
        /// The expected number of digits (e.g. "6", "5 or 6").
        expected: &'static str,
        /// The given number of characters.
        actual: usize,
    },
    /// An MRZ field with wrong characters or length.
    #[error("the MRZ field {0} is invalid")]
    InvalidMrz(&'static str),
}

fn digits(
    value: &str,
    what: &'static str,
    lengths: &[usize],
    expected: &'static str,
) -> Result<String, SecretError> {
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SecretError::NotDigits { what });
    }
    if !lengths.contains(&value.len()) {
        return Err(SecretError::WrongLength {
            what,
            expected,
            actual: value.chars().count(),
        });
    }
    Ok(value.to_owned())
}

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
        pub struct $name(String);

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(***)"))
            }
        }

        impl $name {
            /// The digits as the card expects them (ISO 8859-1, i.e. ASCII).
            pub(crate) fn expose(&self) -> &[u8] {
                self.0.as_bytes()
            }
        }
    };
}

secret_type!(
    /// The eID PIN: 6 digits, or the 5-digit transport PIN of a new card.
    Pin
);
secret_type!(
    /// The card access number printed on the card: 6 digits.
    Can
);
secret_type!(
    /// The PIN unblocking key from the PIN letter: 10 digits.
    Puk
);

impl Pin {
    /// A 6-digit PIN or a 5-digit transport PIN.
    pub fn new(value: &str) -> Result<Self, SecretError> {
        digits(value, "PIN", &[5, 6], "5 or 6").map(Self)
    }

    /// A PIN that may become the new PIN: exactly 6 digits.
    pub fn new_six_digit(value: &str) -> Result<Self, SecretError> {
        digits(value, "PIN", &[6], "6").map(Self)
    }

    /// Whether this is a 5-digit transport PIN.
    pub fn is_transport(&self) -> bool {
        self.0.len() == 5
    }
}

impl Can {
    /// A 6-digit CAN.
    pub fn new(value: &str) -> Result<Self, SecretError> {
        digits(value, "CAN", &[6], "6").map(Self)
    }
}

impl Puk {
    /// A 10-digit PUK.
    pub fn new(value: &str) -> Result<Self, SecretError> {
        digits(value, "PUK", &[10], "10").map(Self)
    }
}

/// The MRZ fields PACE with MRZ uses (document number, birth and expiry dates).
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Mrz {
    document_number: String,
    date_of_birth: String,
    date_of_expiry: String,
}

impl fmt::Debug for Mrz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Mrz(***)")
    }
}

fn check_digit(field: &str) -> u8 {
    const WEIGHTS: [u32; 3] = [7, 3, 1];
    let sum: u32 = field
        .bytes()
        .zip(WEIGHTS.iter().cycle())
        .map(|(b, w)| {
            let v = match b {
                b'0'..=b'9' => u32::from(b - b'0'),
                b'A'..=b'Z' => u32::from(b - b'A') + 10,
                _ => 0,
            };
            v * w
        })
        .sum();
    b'0' + (sum % 10) as u8
}

impl Mrz {
    /// From the document number (up to 9 characters `A-Z0-9`, padded with `<`)
    /// and the dates of birth and expiry (`YYMMDD`).
    pub fn new(
        document_number: &str,
        date_of_birth: &str,
        date_of_expiry: &str,
    ) -> Result<Self, SecretError> {
        let doc = document_number.to_ascii_uppercase();
        if doc.is_empty()
            || doc.len() > 9
            || !doc
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'<')
        {
            return Err(SecretError::InvalidMrz("document number"));
        }
        let date_ok = |d: &str| d.len() == 6 && d.bytes().all(|b| b.is_ascii_digit());
        if !date_ok(date_of_birth) {
            return Err(SecretError::InvalidMrz("date of birth"));
        }
        if !date_ok(date_of_expiry) {
            return Err(SecretError::InvalidMrz("date of expiry"));
        }
        Ok(Self {
            document_number: format!("{doc:<<9}"),
            date_of_birth: date_of_birth.to_owned(),
            date_of_expiry: date_of_expiry.to_owned(),
        })
    }

    /// The PACE secret `f(π)` = SHA-1(number || cd || birth || cd || expiry || cd).
    fn pace_secret(&self) -> Zeroizing<Vec<u8>> {
        let mut info = Zeroizing::new(String::with_capacity(24));
        for field in [
            &self.document_number,
            &self.date_of_birth,
            &self.date_of_expiry,
        ] {
            info.push_str(field);
            info.push(char::from(check_digit(field)));
        }
        crypto::sha1(info.as_bytes())
    }
}

/// A password for PACE, borrowed from one of the secret types.
#[derive(Debug, Clone, Copy)]
pub enum Password<'a> {
    /// MRZ (key reference 01).
    Mrz(&'a Mrz),
    /// CAN (key reference 02).
    Can(&'a Can),
    /// PIN (key reference 03).
    Pin(&'a Pin),
    /// PUK (key reference 04).
    Puk(&'a Puk),
}

impl Password<'_> {
    /// The key reference this password selects.
    pub fn kind(&self) -> PasswordKind {
        match self {
            Self::Mrz(_) => PasswordKind::Mrz,
            Self::Can(_) => PasswordKind::Can,
            Self::Pin(_) => PasswordKind::Pin,
            Self::Puk(_) => PasswordKind::Puk,
        }
    }

    /// `f(π)`: the bytes the password key is derived from.
    pub(crate) fn pace_secret(&self) -> Zeroizing<Vec<u8>> {
        match self {
            Self::Mrz(m) => m.pace_secret(),
            Self::Can(c) => Zeroizing::new(c.expose().to_vec()),
            Self::Pin(p) => Zeroizing::new(p.expose().to_vec()),
            Self::Puk(p) => Zeroizing::new(p.expose().to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::tests::hex;

    #[test]
    fn validation() {
        assert!(Pin::new("123456").is_ok());
        assert!(Pin::new("12345").unwrap().is_transport());
        assert!(!Pin::new("123456").unwrap().is_transport());
        assert_eq!(
            Pin::new("1234"),
            Err(SecretError::WrongLength {
                what: "PIN",
                expected: "5 or 6",
                actual: 4
            })
        );
        assert_eq!(
            Pin::new("12a456"),
            Err(SecretError::NotDigits { what: "PIN" })
        );
        assert!(Pin::new_six_digit("12345").is_err());
        assert!(Can::new("123456").is_ok());
        assert!(Can::new("12345").is_err());
        assert!(Puk::new("1234567890").is_ok());
        assert!(Puk::new("123456789").is_err());
        assert!(Pin::new("１２３４５６").is_err());
        assert!(Mrz::new("T22000129", "640812", "101031").is_ok());
        assert_eq!(
            Mrz::new("T2200012!", "640812", "101031"),
            Err(SecretError::InvalidMrz("document number"))
        );
        assert_eq!(
            Mrz::new("T22000129", "6408", "101031"),
            Err(SecretError::InvalidMrz("date of birth"))
        );
    }

    #[test]
    fn debug_hides_the_secret() {
        assert_eq!(format!("{:?}", Pin::new("123456").unwrap()), "Pin(***)");
        assert_eq!(format!("{:?}", Can::new("222222").unwrap()), "Can(***)");
        assert_eq!(format!("{:?}", Puk::new("3333333333").unwrap()), "Puk(***)");
        let m = Mrz::new("T22000129", "640812", "101031").unwrap();
        assert_eq!(format!("{:?}", Password::Mrz(&m)), "Mrz(Mrz(***))");
    }

    #[test]
    fn zeroize_wipes() {
        let mut p = Pin::new("123456").unwrap();
        p.zeroize();
        assert!(p.expose().iter().all(|b| *b == 0) || p.expose().is_empty());
    }

    #[test]
    fn icao_mrz_secret() {
        // ICAO Doc 9303-11 App. G.1.
        let m = Mrz::new("T22000129", "640812", "101031").unwrap();
        assert_eq!(
            *Password::Mrz(&m).pace_secret(),
            hex("7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD")
        );
        // Short document numbers are padded with '<'.
        let short = Mrz::new("L898902C", "690806", "940623").unwrap();
        assert_eq!(short.document_number, "L898902C<");
        assert_eq!(check_digit("L898902C<"), b'3');
    }

    #[test]
    fn can_secret_is_ascii() {
        let c = Can::new("123456").unwrap();
        assert_eq!(*Password::Can(&c).pace_secret(), b"123456".to_vec());
    }
}
