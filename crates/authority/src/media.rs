//! Attachments: encrypt and upload files for notices, download and check
//! the citizen's submitted files.
//!
//! Uploads go through matrix-sdk's `upload_encrypted_file` (AES-CTR with a
//! fresh key, ciphertext hash), so the homeserver stores only ciphertext.
//! The protocol's [`FileRef`] adds the SHA-256 of the plaintext, which both
//! sides quote in acknowledgements and receipts.

use std::io::Cursor;

use g2c_protocol::ids::Sha256Hex;
use g2c_protocol::media::{FileRef, MimeType};
use matrix_sdk::Client;
use matrix_sdk::media::{MediaFormat, MediaRequestParameters};
use matrix_sdk::ruma::events::room::MediaSource;
use sha2::{Digest as _, Sha256};

use crate::error::{AuthorityError, Result};

/// A file to attach, in memory.
#[derive(Clone, Debug)]
pub struct Attachment {
    /// The file name shown to the citizen.
    pub name: String,
    /// Its MIME type, e.g. `application/pdf`.
    pub mimetype: String,
    /// The plaintext bytes.
    pub bytes: Vec<u8>,
}

/// SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> Sha256Hex {
    Sha256Hex::new(hex::encode(Sha256::digest(bytes)))
}

/// Encrypts and uploads `attachment`; the result goes into a notice.
pub async fn upload_encrypted(client: &Client, attachment: &Attachment) -> Result<FileRef> {
    let mut reader = Cursor::new(attachment.bytes.as_slice());
    let file = client
        .upload_encrypted_file(&mut reader)
        .await
        .map_err(|e| AuthorityError::Media(format!("upload of {}: {e}", attachment.name)))?;
    let file_ref = FileRef {
        source: MediaSource::Encrypted(Box::new(file)),
        name: attachment.name.clone(),
        mimetype: MimeType::new(attachment.mimetype.clone()),
        size: attachment.bytes.len() as u64,
        sha256: sha256_hex(&attachment.bytes),
    };
    file_ref.check("attachment")?;
    Ok(file_ref)
}

/// The outcome of checking one submitted file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileCheck {
    /// Downloaded, decrypted, size and SHA-256 as announced.
    Verified(Sha256Hex),
    /// Something did not match or could not be fetched.
    Failed {
        /// The announced hash.
        announced: Sha256Hex,
        /// What went wrong.
        reason: String,
    },
}

/// Downloads (and decrypts) a file and checks size and plaintext hash
/// against what its [`FileRef`] announces.
pub async fn download_and_check(client: &Client, file: &FileRef) -> FileCheck {
    let request = MediaRequestParameters {
        source: file.source.clone(),
        format: MediaFormat::File,
    };
    let failed = |reason: String| FileCheck::Failed {
        announced: file.sha256.clone(),
        reason,
    };
    let bytes = match client.media().get_media_content(&request, false).await {
        Ok(bytes) => bytes,
        Err(e) => return failed(format!("download failed: {e}")),
    };
    if bytes.len() as u64 != file.size {
        return failed(format!(
            "size is {} bytes, {} announced",
            bytes.len(),
            file.size
        ));
    }
    let actual = sha256_hex(&bytes);
    if actual != file.sha256 {
        return failed(format!("SHA-256 is {actual}, not as announced"));
    }
    FileCheck::Verified(actual)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_sha256sum() {
        assert_eq!(
            sha256_hex(b"abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
