//! The symmetric primitives PACE and secure messaging share (BSI TR-03110-3 A.2.3, F).
//!
//! AES in ECB (one block, for the SM IV), CBC without padding, CMAC, ISO/IEC
//! 7816-4 padding and the key derivation function `KDF(K, c)`. Keys are
//! passed as slices whose length selects AES-128, -192 or -256.

use aes::cipher::{BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit};
use aes::{Aes128, Aes192, Aes256};
use cmac::{Cmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use thiserror::Error;
use zeroize::Zeroizing;

/// The AES block size.
pub const BLOCK: usize = 16;

/// The AES key length a PACE protocol uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySize {
    /// AES-128 (key derivation with SHA-1).
    Aes128,
    /// AES-192 (key derivation with SHA-256, truncated).
    Aes192,
    /// AES-256 (key derivation with SHA-256).
    Aes256,
}

impl KeySize {
    /// Key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Self::Aes128 => 16,
            Self::Aes192 => 24,
            Self::Aes256 => 32,
        }
    }
}

/// Errors from the primitives (only on malformed lengths).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CryptoError {
    /// A key that is not 16, 24 or 32 bytes.
    #[error("AES key of {0} bytes")]
    KeyLength(usize),
    /// CBC input that is not a positive multiple of the block size.
    #[error("CBC input of {0} bytes is not a multiple of 16")]
    BlockLength(usize),
    /// ISO/IEC 7816-4 padding is missing or malformed.
    #[error("bad ISO/IEC 7816-4 padding")]
    Padding,
}

/// Counter values of `KDF(K, c)`.
pub const KDF_ENC: u32 = 1;
/// MAC key counter.
pub const KDF_MAC: u32 = 2;
/// Password key counter.
pub const KDF_PI: u32 = 3;

/// `KDF(K, c)`: SHA-1(K || c) truncated to 16 bytes for AES-128,
/// SHA-256(K || c) truncated to 24 or 32 bytes for AES-192/256
/// (c is a 32-bit big-endian counter).
pub fn kdf(secret: &[u8], counter: u32, size: KeySize) -> Zeroizing<Vec<u8>> {
    let c = counter.to_be_bytes();
    let digest: Zeroizing<Vec<u8>> = match size {
        KeySize::Aes128 => Zeroizing::new(
            Sha1::new()
                .chain_update(secret)
                .chain_update(c)
                .finalize()
                .to_vec(),
        ),
        KeySize::Aes192 | KeySize::Aes256 => Zeroizing::new(
            Sha256::new()
                .chain_update(secret)
                .chain_update(c)
                .finalize()
                .to_vec(),
        ),
    };
    Zeroizing::new(digest.iter().take(size.key_len()).copied().collect())
}

/// SHA-1 (for the MRZ password).
pub fn sha1(data: &[u8]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(Sha1::digest(data).to_vec())
}

macro_rules! with_aes {
    ($key:expr, $cipher:ident => $body:expr) => {
        match $key.len() {
            16 => {
                type $cipher = Aes128;
                $body
            }
            24 => {
                type $cipher = Aes192;
                $body
            }
            32 => {
                type $cipher = Aes256;
                $body
            }
            n => Err(CryptoError::KeyLength(n)),
        }
    };
}

fn blocks(data: &[u8]) -> Result<impl Iterator<Item = aes::Block> + '_, CryptoError> {
    if data.is_empty() || !data.len().is_multiple_of(BLOCK) {
        return Err(CryptoError::BlockLength(data.len()));
    }
    Ok(data
        .chunks_exact(BLOCK)
        .filter_map(|c| aes::Block::try_from(c).ok()))
}

/// Encrypts one block (the SM IV is `E(K_enc, SSC)`).
pub fn aes_block(key: &[u8], block: &[u8; BLOCK]) -> Result<[u8; BLOCK], CryptoError> {
    with_aes!(key, C => {
        let cipher = C::new_from_slice(key).map_err(|_| CryptoError::KeyLength(key.len()))?;
        let mut b = aes::Block::from(*block);
        cipher.encrypt_block(&mut b);
        Ok(b.into())
    })
}

/// AES-CBC encryption without padding.
pub fn cbc_encrypt(key: &[u8], iv: &[u8; BLOCK], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    with_aes!(key, C => {
        let mut enc = cbc::Encryptor::<C>::new_from_slices(key, iv)
            .map_err(|_| CryptoError::KeyLength(key.len()))?;
        let mut out = Vec::with_capacity(data.len());
        for mut b in blocks(data)? {
            enc.encrypt_block(&mut b);
            out.extend_from_slice(&b);
        }
        Ok(out)
    })
}

/// AES-CBC decryption without padding.
pub fn cbc_decrypt(
    key: &[u8],
    iv: &[u8; BLOCK],
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    with_aes!(key, C => {
        let mut dec = cbc::Decryptor::<C>::new_from_slices(key, iv)
            .map_err(|_| CryptoError::KeyLength(key.len()))?;
        let mut out = Zeroizing::new(Vec::with_capacity(data.len()));
        for mut b in blocks(data)? {
            dec.decrypt_block(&mut b);
            out.extend_from_slice(&b);
        }
        Ok(out)
    })
}

/// AES-CMAC (full 16 bytes).
pub fn cmac(key: &[u8], data: &[u8]) -> Result<[u8; BLOCK], CryptoError> {
    with_aes!(key, C => {
        let mut mac = <Cmac<C> as KeyInit>::new_from_slice(key)
            .map_err(|_| CryptoError::KeyLength(key.len()))?;
        mac.update(data);
        Ok(mac.finalize().into_bytes().into())
    })
}

/// ISO/IEC 7816-4 padding: `80` then zeros up to a multiple of 16.
pub fn pad(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + BLOCK);
    out.extend_from_slice(data);
    out.push(0x80);
    while !out.len().is_multiple_of(BLOCK) {
        out.push(0);
    }
    out
}

/// Removes ISO/IEC 7816-4 padding.
pub fn unpad(data: &[u8]) -> Result<&[u8], CryptoError> {
    let end = data
        .iter()
        .rposition(|b| *b != 0)
        .ok_or(CryptoError::Padding)?;
    if data.get(end) != Some(&0x80) || data.len() - end > BLOCK {
        return Err(CryptoError::Padding);
    }
    data.get(..end).ok_or(CryptoError::Padding)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn icao_kdf_and_nonce_decryption() {
        // ICAO Doc 9303-11 App. G.1: K = f(pi) = SHA-1(MRZ information).
        let k = sha1(b"T22000129364081251010318");
        assert_eq!(*k, hex("7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD"));
        let kpi = kdf(&k, KDF_PI, KeySize::Aes128);
        assert_eq!(*kpi, hex("89DED1B26624EC1E634C1989302849DD"));
        let s = cbc_decrypt(&kpi, &[0; 16], &hex("95A3A016522EE98D01E76CB6B98B42C3")).unwrap();
        assert_eq!(*s, hex("3F00C4D39D153F2B2A214A078D899B22"));
        let z = cbc_encrypt(&kpi, &[0; 16], &s).unwrap();
        assert_eq!(z, hex("95A3A016522EE98D01E76CB6B98B42C3"));
    }

    #[test]
    fn icao_session_keys() {
        let shared = hex("28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925");
        assert_eq!(
            *kdf(&shared, KDF_ENC, KeySize::Aes128),
            hex("F5F0E35C0D7161EE6724EE513A0D9A7F")
        );
        assert_eq!(
            *kdf(&shared, KDF_MAC, KeySize::Aes128),
            hex("FE251C7858B356B24514B3BD5F4297D1")
        );
        assert_eq!(kdf(&shared, KDF_MAC, KeySize::Aes192).len(), 24);
        assert_eq!(kdf(&shared, KDF_MAC, KeySize::Aes256).len(), 32);
        // AES-192 uses the SHA-256 prefix of the AES-256 key.
        assert_eq!(
            kdf(&shared, KDF_ENC, KeySize::Aes256)[..24],
            kdf(&shared, KDF_ENC, KeySize::Aes192)[..]
        );
    }

    #[test]
    fn cmac_rfc4493_vector() {
        let key = hex("2b7e151628aed2a6abf7158809cf4f3c");
        let msg = hex("6bc1bee22e409f96e93d7e117393172a");
        assert_eq!(
            cmac(&key, &msg).unwrap().to_vec(),
            hex("070a16b46b4d4144f79bdd9dd04a287c")
        );
    }

    #[test]
    fn padding() {
        assert_eq!(pad(&[]).len(), 16);
        assert_eq!(pad(&[1; 16]).len(), 32);
        assert_eq!(unpad(&pad(&[1, 2, 0])).unwrap(), &[1, 2, 0]);
        assert_eq!(unpad(&[0; 16]), Err(CryptoError::Padding));
        assert_eq!(unpad(&[1; 16]), Err(CryptoError::Padding));
        assert_eq!(unpad(&[]), Err(CryptoError::Padding));
        let mut long = vec![0x80];
        long.extend([0; 20]);
        assert_eq!(unpad(&long), Err(CryptoError::Padding));
    }

    #[test]
    fn bad_lengths_are_errors() {
        assert_eq!(
            cbc_encrypt(&[0; 16], &[0; 16], &[0; 15]),
            Err(CryptoError::BlockLength(15))
        );
        assert_eq!(
            cbc_encrypt(&[0; 16], &[0; 16], &[]),
            Err(CryptoError::BlockLength(0))
        );
        assert_eq!(cmac(&[0; 17], &[]), Err(CryptoError::KeyLength(17)));
    }
}
