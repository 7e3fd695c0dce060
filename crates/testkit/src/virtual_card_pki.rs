//! The eID world of the virtual nPA, generated at run time: what the card
//! must know to take part in a whole online eID authentication, and what
//! the login-service's `[eid]` section needs to authenticate it.
//!
//! [`VirtualCardPki::generate`] makes (with g2c-eid's test PKI, so no
//! private key is ever committed):
//!
//! - a CV PKI: CVCA → DV → terminal, with a certificate description. The
//!   card trusts the CVCA (`vicc --cvca`); the service holds DV + terminal
//!   certificate and the terminal key;
//! - a chip: a CSCA → document signer, and an EF.CardSecurity signed by
//!   that document signer carrying the Chip Authentication public key, whose
//!   private key the card gets with `vicc --ca-key`; an EF.CardAccess that
//!   matches it (PACE, TA, CA infos). The service trusts the CSCA;
//! - a sector key pair for Restricted Identification (the service holds the
//!   public key). vicc answers RI with a fixed value whatever the sector, see
//!   [`VIRTUAL_CARD_RI_PSEUDONYM`].
//!
//! It writes them as files into a directory and returns the vicc options
//! ([`VirtualCardPki::vicc_args`], for [`VirtualCard::start_with_pki`]) and
//! the service's files ([`EidServiceFiles`], with [`EidServiceFiles::to_toml`]
//! for a login-service configuration). The API is small on purpose: the demo
//! and end-to-end harness (`g2c-stack`) configures its login-service with it.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use g2c_eid::pace::Curve;
use g2c_eid::test_pki::{CardSecurityFixture, TestKey, TestPki};

use crate::virtual_card::{VirtualCard, VirtualCardError};

/// The curve of every key of the virtual card's PKI (vicc's default PACE
/// domain parameters, id 13).
const CURVE: Curve = Curve::BrainpoolP256r1;

/// vicc's Restricted Identification answer: a fixed 32-byte value, whatever
/// the sector key (vicc's `nPA.py` has no RI). The pseudonym every login
/// with the virtual card yields, in every sector.
pub const VIRTUAL_CARD_RI_PSEUDONYM: [u8; 32] = [
    0x48, 0x1e, 0x58, 0xd1, 0x7c, 0x12, 0x9a, 0x0a, 0xb4, 0x63, 0x7d, 0x43, 0xc7, 0xf7, 0xeb, 0x2b,
    0x06, 0x10, 0x6f, 0x26, 0x90, 0xe3, 0x00, 0xc4, 0xe7, 0x03, 0x54, 0xa0, 0x41, 0xf0, 0xd3, 0x90,
];

/// The virtual card's PIN.
pub const VIRTUAL_CARD_PIN: &str = "111111";

/// What can go wrong while writing the PKI.
#[derive(Debug, thiserror::Error)]
pub enum VirtualCardPkiError {
    /// A file or the directory could not be written.
    #[error("could not write {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The files the login-service's `[eid]` configuration section names
/// (see docs/login-service.md), all absolute paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EidServiceFiles {
    /// DV and terminal CV certificates (DER), in this order.
    pub terminal_certificate_chain: Vec<PathBuf>,
    /// The terminal's private key, PKCS#8 DER, mode 0600.
    pub terminal_key: PathBuf,
    /// The terminal's certificate description (DER).
    pub certificate_description: PathBuf,
    /// The CSCA certificate that issued the card's document signer (PEM).
    pub trust_list: PathBuf,
    /// The sector public key for Restricted Identification (`04‖x‖y`).
    pub sector_public_key: PathBuf,
}

impl EidServiceFiles {
    /// The `[eid]` section of a login-service configuration naming these
    /// files (TOML, with its `[eid]` header).
    pub fn to_toml(&self) -> String {
        let quote = |p: &Path| toml_string(&p.display().to_string());
        let chain: Vec<String> = self
            .terminal_certificate_chain
            .iter()
            .map(|p| quote(p))
            .collect();
        format!(
            "[eid]\nterminal_certificate_chain = [{}]\nterminal_key = {}\n\
             certificate_description = {}\ntrust_list = {}\nsector_public_key = {}\n",
            chain.join(", "),
            quote(&self.terminal_key),
            quote(&self.certificate_description),
            quote(&self.trust_list),
            quote(&self.sector_public_key),
        )
    }
}

/// A TOML basic string.
pub(crate) fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The files the virtual card reads, all absolute paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualCardFiles {
    /// The CVCA certificate the card trusts in Terminal Authentication
    /// (`--cvca`).
    pub cvca: PathBuf,
    /// EF.CardAccess: PACE, TA and CA infos (`--ef-cardaccess`).
    pub ef_card_access: PathBuf,
    /// EF.CardSecurity: signed by the document signer, carries the CA
    /// public key (`--ef-cardsecurity`).
    pub ef_card_security: PathBuf,
    /// The chip's CA private key, PKCS#8 DER, mode 0600 (`--ca-key`).
    pub ca_key: PathBuf,
}

impl VirtualCardFiles {
    /// The options for `vicc -t nPA` that load these files.
    pub fn vicc_args(&self) -> Vec<OsString> {
        let option = |name: &str, path: &Path| [OsString::from(name), path.as_os_str().to_owned()];
        [
            option("--cvca", &self.cvca),
            option("--ef-cardaccess", &self.ef_card_access),
            option("--ef-cardsecurity", &self.ef_card_security),
            option("--ca-key", &self.ca_key),
        ]
        .concat()
    }
}

/// The virtual card's PKI, written into a directory.
#[derive(Debug, Clone)]
pub struct VirtualCardPki {
    /// Options for `vicc -t nPA`: `--cvca`, `--ef-cardaccess`,
    /// `--ef-cardsecurity`, `--ca-key` with the files in [`Self::card`].
    pub vicc_args: Vec<OsString>,
    /// The files the card reads.
    pub card: VirtualCardFiles,
    /// The login-service's `[eid]` files.
    pub eid: EidServiceFiles,
}

impl VirtualCardPki {
    /// Generates fresh keys and certificates and writes them into `dir`
    /// (created if missing): `card/` holds what vicc reads (CVCA
    /// certificate, EF.CardAccess, EF.CardSecurity, the CA private key),
    /// `service/` what the login-service reads. Private keys are written
    /// with mode 0600; the files are for tests and the demo only.
    pub fn generate(dir: &Path) -> Result<Self, VirtualCardPkiError> {
        let pki = TestPki::generate(CURVE);
        let chip = CardSecurityFixture::generate(CURVE);
        let sector = TestKey::generate(CURVE);

        let card_dir = dir.join("card");
        let service_dir = dir.join("service");
        for d in [&card_dir, &service_dir] {
            std::fs::create_dir_all(d).map_err(|source| io(d, source))?;
        }
        let card_dir = std::path::absolute(&card_dir).map_err(|source| io(&card_dir, source))?;
        let service_dir =
            std::path::absolute(&service_dir).map_err(|source| io(&service_dir, source))?;

        let cvca = write(&card_dir.join("cvca.cvcert"), pki.cvca.to_bytes())?;
        let card_access = write(&card_dir.join("ef_cardaccess.der"), &chip.card_access)?;
        let card_security = write(
            &card_dir.join("ef_cardsecurity.der"),
            &chip.ef_card_security,
        )?;
        let ca_key = write_secret(&card_dir.join("ca_key.pkcs8"), &chip.ca_key.pkcs8_der())?;

        let dv = write(&service_dir.join("dv.cvcert"), pki.dv.to_bytes())?;
        let terminal = write(
            &service_dir.join("terminal.cvcert"),
            pki.terminal.to_bytes(),
        )?;
        let terminal_key = write_secret(
            &service_dir.join("terminal.pkcs8"),
            &pki.terminal_key.pkcs8_der(),
        )?;
        let certificate_description = write(
            &service_dir.join("description.der"),
            &pki.description.to_der(),
        )?;
        let trust_list = write(
            &service_dir.join("csca.pem"),
            pem("CERTIFICATE", &chip.csca_der).as_bytes(),
        )?;
        let sector_public_key = write(&service_dir.join("sector.pub"), &sector.public)?;

        let card = VirtualCardFiles {
            cvca,
            ef_card_access: card_access,
            ef_card_security: card_security,
            ca_key,
        };
        Ok(Self {
            vicc_args: card.vicc_args(),
            card,
            eid: EidServiceFiles {
                terminal_certificate_chain: vec![dv, terminal],
                terminal_key,
                certificate_description,
                trust_list,
                sector_public_key,
            },
        })
    }
}

impl VirtualCard {
    /// Starts a fresh virtual card that takes part in online eID
    /// authentication with `pki` (TA against its CVCA, CA with its key,
    /// EF.CardSecurity signed under its CSCA).
    pub fn start_with_pki(pki: &VirtualCardPki) -> Result<Self, VirtualCardError> {
        Self::start_with_args(&pki.vicc_args)
    }
}

fn io(path: &Path, source: std::io::Error) -> VirtualCardPkiError {
    VirtualCardPkiError::Io {
        path: path.to_owned(),
        source,
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<PathBuf, VirtualCardPkiError> {
    std::fs::write(path, bytes).map_err(|source| io(path, source))?;
    Ok(path.to_owned())
}

/// Writes a private key readable by its owner only (replacing an old file).
fn write_secret(path: &Path, bytes: &[u8]) -> Result<PathBuf, VirtualCardPkiError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(io(path, source)),
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut file| file.write_all(bytes))
        .map_err(|source| io(path, source))?;
    Ok(path.to_owned())
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}
