//! ISO/IEC 7816-4 secure messaging with AES (BSI TR-03110-3 F, ICAO Doc 9303-11 9.8).
//!
//! After PACE every APDU is protected: a 128-bit send sequence counter (SSC)
//! is incremented before each command and each response; the data field is
//! padded (ISO/IEC 7816-4, `80 00..`) and AES-CBC encrypted with
//! IV = AES(K_enc, SSC) into DO 87 (`01 || cryptogram`, DO 85 for odd INS);
//! DO 97 carries Le; DO 8E the AES-CMAC (8 bytes) over SSC, the padded header
//! and the DOs. Responses carry DO 87, DO 99 (status word) and DO 8E; the
//! response MAC is checked in constant time **before** anything is decrypted
//! or used.
//!
//! [`SecureMessaging`] is the sans-I/O codec, [`SecureChannel`] the codec over
//! a [`CardTransport`]. Any error leaves the counters out of step, so a
//! channel refuses further use after one.

use std::fmt;

use subtle::ConstantTimeEq;
use thiserror::Error;
use tracing::debug;
use zeroize::Zeroizing;

use crate::apdu::{
    ApduError, CommandApdu, EXTENDED_LE_MAX, ResponseApdu, SHORT_LE_MAX, StatusWord,
};
use crate::crypto::{self, BLOCK, CryptoError, KeySize};
use crate::tlv::{self, Tlv, TlvError};
use crate::transport::{CardTransport, TransportError};

/// The secure-messaging session keys K_enc and K_mac, wiped on drop.
#[derive(Clone)]
pub struct SessionKeys {
    enc: Zeroizing<Vec<u8>>,
    mac: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKeys(***)")
    }
}

impl SessionKeys {
    /// K_enc = KDF(K, 1), K_mac = KDF(K, 2) from the PACE shared secret K.
    pub fn derive(shared_secret: &[u8], size: KeySize) -> Self {
        Self {
            enc: crypto::kdf(shared_secret, crypto::KDF_ENC, size),
            mac: crypto::kdf(shared_secret, crypto::KDF_MAC, size),
        }
    }

    /// From raw keys (both 16, 24 or 32 bytes).
    pub fn from_keys(enc: &[u8], mac: &[u8]) -> Result<Self, CryptoError> {
        for k in [enc, mac] {
            if ![16, 24, 32].contains(&k.len()) {
                return Err(CryptoError::KeyLength(k.len()));
            }
        }
        Ok(Self {
            enc: Zeroizing::new(enc.to_vec()),
            mac: Zeroizing::new(mac.to_vec()),
        })
    }

    pub(crate) fn enc(&self) -> &[u8] {
        &self.enc
    }

    pub(crate) fn mac(&self) -> &[u8] {
        &self.mac
    }
}

/// Secure-messaging failures.
#[derive(Debug, Error)]
pub enum SmError {
    /// A required data object (87/99/8E, or 8E in a command) is missing.
    #[error("secure messaging data object {0:X} is missing")]
    MissingObject(u32),
    /// The MAC does not verify: the response was altered or not from the card.
    #[error("secure messaging MAC is wrong")]
    BadMac,
    /// The decrypted data is not correctly padded.
    #[error("secure messaging padding is wrong")]
    BadPadding,
    /// The data objects are not valid BER-TLV or have wrong lengths.
    #[error("malformed secure messaging data: {0}")]
    Malformed(#[from] TlvError),
    /// A malformed data object value.
    #[error("malformed secure messaging object {0:X}")]
    BadObject(u32),
    /// The card answered without protection, e.g. 6987/6988 after an SM error on its side.
    #[error("the card answered without secure messaging: {0}")]
    Unprotected(StatusWord),
    /// The send sequence counter would wrap.
    #[error("send sequence counter exhausted")]
    CounterExhausted,
    /// The channel had an error before and can no longer be used.
    #[error("the secure channel is closed after an earlier error")]
    Closed,
    /// A cryptographic length error.
    #[error("cryptographic error: {0}")]
    Crypto(CryptoError),
    /// Building the APDU failed.
    #[error("APDU error: {0}")]
    Apdu(#[from] ApduError),
    /// The link to the card failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl From<CryptoError> for SmError {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::Padding => Self::BadPadding,
            other => Self::Crypto(other),
        }
    }
}

/// The secure-messaging codec (terminal side; the card side is crate-internal for the fake card).
pub struct SecureMessaging {
    keys: SessionKeys,
    ssc: [u8; BLOCK],
}

impl fmt::Debug for SecureMessaging {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecureMessaging").finish_non_exhaustive()
    }
}

fn tag_of(t: &Tlv<'_>) -> u32 {
    t.tag.0
}

impl SecureMessaging {
    /// A session with SSC = 0, as after PACE.
    pub fn new(keys: SessionKeys) -> Self {
        Self {
            keys,
            ssc: [0; BLOCK],
        }
    }

    fn increment(&mut self) -> Result<(), SmError> {
        for b in self.ssc.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                return Ok(());
            }
        }
        Err(SmError::CounterExhausted)
    }

    fn iv(&self) -> Result<[u8; BLOCK], SmError> {
        Ok(crypto::aes_block(self.keys.enc(), &self.ssc)?)
    }

    fn mac(&self, header: Option<[u8; 4]>, objects: &[u8]) -> Result<[u8; 8], SmError> {
        let mut input = Zeroizing::new(self.ssc.to_vec());
        if let Some(h) = header {
            input.extend(crypto::pad(&h));
        }
        if !objects.is_empty() {
            input.extend(crypto::pad(objects));
        }
        let full = crypto::cmac(self.keys.mac(), &input)?;
        let mut out = [0; 8];
        out.copy_from_slice(full.get(..8).ok_or(SmError::BadMac)?);
        Ok(out)
    }

    fn encrypt_object(&self, ins: u8, data: &[u8]) -> Result<Vec<u8>, SmError> {
        let cryptogram = crypto::cbc_encrypt(self.keys.enc(), &self.iv()?, &crypto::pad(data))?;
        Ok(if ins & 1 == 1 {
            tlv::encode(0x85, &cryptogram)
        } else {
            let mut v = Vec::with_capacity(cryptogram.len() + 1);
            v.push(0x01);
            v.extend(cryptogram);
            tlv::encode(0x87, &v)
        })
    }

    fn decrypt_object(&self, objects: &[Tlv<'_>]) -> Result<Option<Zeroizing<Vec<u8>>>, SmError> {
        let cryptogram = if let Some(t) = tlv::find(objects, 0x87) {
            match t.value.split_first() {
                Some((0x01, c)) => c,
                _ => return Err(SmError::BadObject(0x87)),
            }
        } else if let Some(t) = tlv::find(objects, 0x85) {
            t.value
        } else {
            return Ok(None);
        };
        let plain = crypto::cbc_decrypt(self.keys.enc(), &self.iv()?, cryptogram)?;
        Ok(Some(Zeroizing::new(crypto::unpad(&plain)?.to_vec())))
    }

    /// Splits protected data into the DOs before 8E (MAC input) and the MAC, checking it.
    fn verify<'a>(&self, header: Option<[u8; 4]>, data: &'a [u8]) -> Result<Vec<Tlv<'a>>, SmError> {
        let objects = tlv::parse_all(data)?;
        let (last, covered) = objects.split_last().ok_or(SmError::MissingObject(0x8E))?;
        if tag_of(last) != 0x8E {
            return Err(SmError::MissingObject(0x8E));
        }
        if last.value.len() != 8 {
            return Err(SmError::BadObject(0x8E));
        }
        let covered_bytes: Vec<u8> = covered.iter().flat_map(|t| t.raw.iter().copied()).collect();
        let expected = self.mac(header, &covered_bytes)?;
        if !bool::from(expected.ct_eq(last.value)) {
            return Err(SmError::BadMac);
        }
        Ok(covered.to_vec())
    }

    /// Protects a command (increments the SSC first).
    pub fn protect(&mut self, cmd: &CommandApdu) -> Result<CommandApdu, SmError> {
        self.increment()?;
        let cla = cmd.cla() | 0x0C;
        let header = [cla, cmd.ins(), cmd.p1(), cmd.p2()];
        let mut body = Vec::new();
        if !cmd.data().is_empty() {
            body.extend(self.encrypt_object(cmd.ins(), cmd.data())?);
        }
        if let Some(le) = cmd.le() {
            let le_bytes = if le <= SHORT_LE_MAX {
                vec![(le % SHORT_LE_MAX) as u8]
            } else {
                ((le % EXTENDED_LE_MAX) as u16).to_be_bytes().to_vec()
            };
            body.extend(tlv::encode(0x97, &le_bytes));
        }
        let mac = self.mac(Some(header), &body)?;
        body.extend(tlv::encode(0x8E, &mac));
        let extended = body.len() > 255 || cmd.le().is_some_and(|le| le > SHORT_LE_MAX);
        let protected = CommandApdu::new(cla, cmd.ins(), cmd.p1(), cmd.p2()).with_data(body)?;
        Ok(if extended {
            protected.with_le(EXTENDED_LE_MAX)?.extended()
        } else {
            protected.with_le(SHORT_LE_MAX)?
        })
    }

    /// Verifies and decrypts a response (increments the SSC first). The MAC is
    /// checked before any data object is decrypted; the status word returned is
    /// the authenticated one from DO 99.
    pub fn unprotect(&mut self, resp: &ResponseApdu) -> Result<ResponseApdu, SmError> {
        self.increment()?;
        if resp.data().is_empty() {
            return Err(SmError::Unprotected(resp.sw()));
        }
        let objects = self.verify(None, resp.data())?;
        let sw = tlv::find(&objects, 0x99).ok_or(SmError::MissingObject(0x99))?;
        let [sw1, sw2] = sw.value else {
            return Err(SmError::BadObject(0x99));
        };
        let sw = StatusWord::from_bytes(*sw1, *sw2);
        let data = self.decrypt_object(&objects)?;
        Ok(ResponseApdu::new(
            data.as_deref().cloned().unwrap_or_default(),
            sw,
        ))
    }

    /// Card side: verifies and decrypts a protected command (increments the SSC first).
    #[cfg(any(test, feature = "fake-card"))]
    pub(crate) fn card_unprotect_command(
        &mut self,
        cmd: &CommandApdu,
    ) -> Result<CommandApdu, SmError> {
        self.increment()?;
        let header = [cmd.cla(), cmd.ins(), cmd.p1(), cmd.p2()];
        let objects = self.verify(Some(header), cmd.data())?;
        let data = self.decrypt_object(&objects)?;
        let mut plain = CommandApdu::new(cmd.cla() & !0x0C, cmd.ins(), cmd.p1(), cmd.p2());
        if let Some(d) = data {
            plain = plain.with_data(d.to_vec())?;
        }
        if let Some(le) = tlv::find(&objects, 0x97) {
            let le = match le.value {
                [0] => SHORT_LE_MAX,
                [n] => usize::from(*n),
                [0, 0] => EXTENDED_LE_MAX,
                [hi, lo] => usize::from(u16::from_be_bytes([*hi, *lo])),
                _ => return Err(SmError::BadObject(0x97)),
            };
            plain = plain.with_le(le)?;
        }
        Ok(plain)
    }

    /// Card side: protects a response (increments the SSC first).
    #[cfg(any(test, feature = "fake-card"))]
    pub(crate) fn card_protect_response(
        &mut self,
        resp: &ResponseApdu,
        odd_ins: bool,
    ) -> Result<ResponseApdu, SmError> {
        self.increment()?;
        let mut body = Vec::new();
        if !resp.data().is_empty() {
            body.extend(self.encrypt_object(u8::from(odd_ins), resp.data())?);
        }
        body.extend(tlv::encode(0x99, &resp.sw().to_bytes()));
        let mac = self.mac(None, &body)?;
        body.extend(tlv::encode(0x8E, &mac));
        Ok(ResponseApdu::new(body, resp.sw()))
    }
}

/// A secure channel: protects each command, sends it, verifies the response.
#[derive(Debug)]
pub struct SecureChannel<T: CardTransport> {
    transport: T,
    sm: SecureMessaging,
    closed: bool,
}

impl<T: CardTransport> SecureChannel<T> {
    /// A channel over `transport` with the keys from PACE.
    pub fn new(transport: T, keys: SessionKeys) -> Self {
        Self {
            transport,
            sm: SecureMessaging::new(keys),
            closed: false,
        }
    }

    /// Sends one command under secure messaging and returns the verified plain response.
    pub fn transmit(&mut self, cmd: &CommandApdu) -> Result<ResponseApdu, SmError> {
        if self.closed {
            return Err(SmError::Closed);
        }
        let result = self
            .sm
            .protect(cmd)
            .and_then(|p| Ok(self.transport.transmit(&p)?))
            .and_then(|r| self.sm.unprotect(&r));
        match &result {
            Ok(r) => debug!(ins = cmd.ins(), sw = %r.sw(), "SM exchange"),
            Err(e) => {
                debug!(ins = cmd.ins(), error = %e, "SM exchange failed; channel closed");
                self.closed = true;
            }
        }
        result
    }

    /// The underlying transport (e.g. to run PACE again).
    pub fn into_inner(self) -> T {
        self.transport
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::tests::hex;

    fn icao_keys() -> SessionKeys {
        SessionKeys::from_keys(
            &hex("F5F0E35C0D7161EE6724EE513A0D9A7F"),
            &hex("FE251C7858B356B24514B3BD5F4297D1"),
        )
        .unwrap()
    }

    fn pair() -> (SecureMessaging, SecureMessaging) {
        (
            SecureMessaging::new(icao_keys()),
            SecureMessaging::new(icao_keys()),
        )
    }

    fn exchange(
        term: &mut SecureMessaging,
        card: &mut SecureMessaging,
        cmd: &CommandApdu,
        data: &[u8],
        sw: u16,
    ) -> (CommandApdu, ResponseApdu) {
        let protected = term.protect(cmd).unwrap();
        let wire = CommandApdu::parse(&protected.to_bytes()).unwrap();
        let plain = card.card_unprotect_command(&wire).unwrap();
        assert_eq!(plain.data(), cmd.data());
        assert_eq!(plain.le(), cmd.le());
        assert_eq!(plain.ins(), cmd.ins());
        let resp = card
            .card_protect_response(
                &ResponseApdu::new(data.to_vec(), StatusWord(sw)),
                cmd.ins() & 1 == 1,
            )
            .unwrap();
        let unwrapped = term
            .unprotect(&ResponseApdu::parse(&resp.to_bytes()).unwrap())
            .unwrap();
        assert_eq!(unwrapped.data(), data);
        assert_eq!(unwrapped.sw(), StatusWord(sw));
        (protected, resp)
    }

    #[test]
    fn counter_increments_with_carry() {
        let mut sm = SecureMessaging::new(icao_keys());
        sm.ssc = [0; 16];
        sm.ssc[15] = 0xFF;
        sm.increment().unwrap();
        assert_eq!(&sm.ssc[14..], &[1, 0]);
        sm.ssc = [0xFF; 16];
        assert!(matches!(sm.increment(), Err(SmError::CounterExhausted)));
    }

    #[test]
    fn protected_command_layout() {
        let (mut term, _) = pair();
        // SELECT with data and no Le: 0C A4 .. Lc 87 11 01 <16> 8E 08 <8> 00
        let cmd = CommandApdu::new(0, 0xA4, 0x02, 0x0C)
            .with_data(vec![0x01, 0x1E])
            .unwrap();
        let p = term.protect(&cmd).unwrap();
        let b = p.to_bytes();
        assert_eq!(&b[..5], &[0x0C, 0xA4, 0x02, 0x0C, 0x1D]);
        assert_eq!(&b[5..8], &[0x87, 0x11, 0x01]);
        assert_eq!(&b[24..26], &[0x8E, 0x08]);
        assert_eq!(b.last(), Some(&0x00));
        assert_eq!(term.ssc[15], 1);
        // READ BINARY with Le only: 97 01 04 then 8E.
        let rb = CommandApdu::new(0, 0xB0, 0, 0).with_le(4).unwrap();
        let b = term.protect(&rb).unwrap().to_bytes();
        assert_eq!(&b[..8], &[0x0C, 0xB0, 0, 0, 0x0D, 0x97, 0x01, 0x04]);
    }

    #[test]
    fn round_trips_short_and_extended() {
        let (mut term, mut card) = pair();
        let select = CommandApdu::new(0, 0xA4, 0x02, 0x0C)
            .with_data(vec![0x01, 0x1C])
            .unwrap();
        exchange(&mut term, &mut card, &select, &[], 0x9000);
        let rb = CommandApdu::new(0, 0xB0, 0, 0).with_le(4).unwrap();
        exchange(&mut term, &mut card, &rb, &[0x60, 0x14, 0x5F, 0x01], 0x9000);
        // Data > 255 → extended protected APDU; response with a warning status.
        let upd = CommandApdu::new(0, 0xD6, 0, 0)
            .with_data(vec![7; 300])
            .unwrap();
        let (p, _) = exchange(&mut term, &mut card, &upd, &[], 0x6282);
        assert!(p.is_extended());
        // Le 65536 → DO 97 = 0000, extended.
        let big = CommandApdu::new(0, 0xB0, 0, 0).with_le(65_536).unwrap();
        let (p, _) = exchange(&mut term, &mut card, &big, &[9; 1000], 0x9000);
        assert!(p.is_extended());
        // Data of exactly one block and 240 bytes (protected body > 255 → extended).
        let (p, _) = exchange(
            &mut term,
            &mut card,
            &CommandApdu::new(0, 0xD6, 0, 0)
                .with_data(vec![1; 240])
                .unwrap(),
            &[],
            0x9000,
        );
        assert!(p.is_extended());
        exchange(
            &mut term,
            &mut card,
            &CommandApdu::new(0, 0xD6, 0, 0)
                .with_data(vec![1; 16])
                .unwrap(),
            &[],
            0x9000,
        );
        // Odd INS uses DO 85.
        let odd = CommandApdu::new(0, 0xB1, 0, 0)
            .with_data(vec![0x54, 0x02, 0x80, 0x00])
            .unwrap()
            .with_le(256)
            .unwrap();
        let (p, r) = exchange(&mut term, &mut card, &odd, &[0x53, 0x01, 0xAA], 0x9000);
        assert_eq!(p.data()[0], 0x85);
        assert_eq!(r.data()[0], 0x85);
        assert_eq!(term.ssc, card.ssc);
        assert_eq!(term.ssc[15], 14);
    }

    #[test]
    fn tampered_response_fails_mac_before_decryption() {
        let (mut term, mut card) = pair();
        let rb = CommandApdu::new(0, 0xB0, 0, 0).with_le(4).unwrap();
        let p = term.protect(&rb).unwrap();
        card.card_unprotect_command(&p).unwrap();
        let resp = card
            .card_protect_response(
                &ResponseApdu::new(vec![1, 2, 3, 4], StatusWord::SUCCESS),
                false,
            )
            .unwrap();
        let mut bytes = resp.to_bytes();
        // Flip a bit inside the cryptogram: the MAC must catch it.
        bytes[5] ^= 0x01;
        let mut t2 = SecureMessaging {
            keys: icao_keys(),
            ssc: term.ssc,
        };
        assert!(matches!(
            t2.unprotect(&ResponseApdu::parse(&bytes).unwrap()),
            Err(SmError::BadMac)
        ));
        // A changed DO 99 (status) also fails.
        let mut bytes = resp.to_bytes();
        let pos = bytes.windows(2).position(|w| w == [0x99, 0x02]).unwrap();
        bytes[pos + 3] ^= 0x01;
        let mut t3 = SecureMessaging {
            keys: icao_keys(),
            ssc: term.ssc,
        };
        assert!(matches!(
            t3.unprotect(&ResponseApdu::parse(&bytes).unwrap()),
            Err(SmError::BadMac)
        ));
        // The unmodified response verifies with the right counter.
        assert_eq!(term.unprotect(&resp).unwrap().data(), &[1, 2, 3, 4]);
    }

    #[test]
    fn missing_objects_and_plain_errors() {
        let mut term = SecureMessaging::new(icao_keys());
        assert!(matches!(
            term.unprotect(&ResponseApdu::new(vec![], StatusWord(0x6988))),
            Err(SmError::Unprotected(StatusWord(0x6988)))
        ));
        assert!(matches!(
            term.unprotect(&ResponseApdu::new(
                vec![0x99, 0x02, 0x90, 0x00],
                StatusWord::SUCCESS
            )),
            Err(SmError::MissingObject(0x8E))
        ));
        assert!(matches!(
            term.unprotect(&ResponseApdu::new(
                vec![0x8E, 0x02, 0x90, 0x00],
                StatusWord::SUCCESS
            )),
            Err(SmError::BadObject(0x8E))
        ));
        assert!(matches!(
            term.unprotect(&ResponseApdu::new(
                vec![0x99, 0x05, 0x90],
                StatusWord::SUCCESS
            )),
            Err(SmError::Malformed(_))
        ));
        // A correctly MACed response without DO 99.
        let mut card = SecureMessaging::new(icao_keys());
        let mut term = SecureMessaging::new(icao_keys());
        card.increment().unwrap();
        term.increment().unwrap();
        card.increment().unwrap();
        let mac = card.mac(None, &[]).unwrap();
        let resp = ResponseApdu::new(tlv::encode(0x8E, &mac), StatusWord::SUCCESS);
        assert!(matches!(
            term.unprotect(&resp),
            Err(SmError::MissingObject(0x99))
        ));
    }

    #[test]
    fn bad_padding_is_reported_after_a_valid_mac() {
        let mut card = SecureMessaging::new(icao_keys());
        let mut term = SecureMessaging::new(icao_keys());
        card.increment().unwrap();
        term.increment().unwrap();
        card.increment().unwrap();
        // Encrypt an unpadded all-zero block, MAC it correctly.
        let crypt = crypto::cbc_encrypt(card.keys.enc(), &card.iv().unwrap(), &[0; 16]).unwrap();
        let mut body = tlv::encode(0x87, &[&[1u8][..], &crypt].concat());
        body.extend(tlv::encode(0x99, &[0x90, 0x00]));
        let mac = card.mac(None, &body).unwrap();
        body.extend(tlv::encode(0x8E, &mac));
        let r = term.unprotect(&ResponseApdu::new(body, StatusWord::SUCCESS));
        assert!(matches!(r, Err(SmError::BadPadding)));
    }

    #[test]
    fn card_refuses_tampered_command() {
        let (mut term, mut card) = pair();
        let cmd = CommandApdu::new(0, 0x2C, 0x02, 0x03)
            .with_data(b"654321".to_vec())
            .unwrap();
        let p = term.protect(&cmd).unwrap();
        let mut b = p.to_bytes();
        b[3] ^= 1; // P2 is MACed via the header
        let tampered = CommandApdu::parse(&b).unwrap();
        assert!(matches!(
            card.card_unprotect_command(&tampered),
            Err(SmError::BadMac)
        ));
    }

    #[test]
    fn keys_do_not_debug_print() {
        assert_eq!(format!("{:?}", icao_keys()), "SessionKeys(***)");
        assert!(SessionKeys::from_keys(&[0; 15], &[0; 16]).is_err());
    }
}
