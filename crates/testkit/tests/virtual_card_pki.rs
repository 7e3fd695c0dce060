//! The virtual card's PKI as files: what vicc and the login-service read
//! holds together (the terminal chain verifies under the card's CVCA,
//! EF.CardSecurity under the service's CSCA), private keys are 0600, and
//! the `[eid]` section names the files. No card, no root needed; the whole
//! authentication with these files runs in
//! `crates/login-service/tests/virtual_card_login.rs`.

use std::os::unix::fs::PermissionsExt as _;

use g2c_eid::card_security::CardSecurity;
use g2c_eid::cvc::{CertificateDescription, CvCertificate, CvDate, TrustAnchor, verify_chain};
use g2c_testkit::VirtualCardPki;

fn read(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn csca_from_pem(pem: &str) -> x509_cert::Certificate {
    use base64::Engine as _;
    use der::Decode as _;
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    x509_cert::Certificate::from_der(&der).unwrap()
}

#[test]
fn card_and_service_files_fit_together() {
    let dir = tempfile::tempdir().unwrap();
    let pki = VirtualCardPki::generate(&dir.path().join("pki")).unwrap();

    // vicc's options name the card's files, in pairs.
    let card = &pki.card;
    let expected: Vec<std::ffi::OsString> = [
        ("--cvca", &card.cvca),
        ("--ef-cardaccess", &card.ef_card_access),
        ("--ef-cardsecurity", &card.ef_card_security),
        ("--ca-key", &card.ca_key),
    ]
    .into_iter()
    .flat_map(|(o, p)| [o.into(), p.clone().into_os_string()])
    .collect();
    assert_eq!(pki.vicc_args, expected);

    // The terminal chain verifies under the CVCA the card trusts, and the
    // description is the one the terminal certificate names.
    let cvca = CvCertificate::parse(&read(&card.cvca)).unwrap();
    let anchor = TrustAnchor::from_certificate(&cvca).unwrap();
    let chain: Vec<CvCertificate> = pki
        .eid
        .terminal_certificate_chain
        .iter()
        .map(|p| CvCertificate::parse(&read(p)).unwrap())
        .collect();
    assert_eq!(chain.len(), 2, "DV and terminal");
    verify_chain(&anchor, &chain, CvDate::new(2026, 6, 1).unwrap()).unwrap();
    let description =
        CertificateDescription::parse(&read(&pki.eid.certificate_description)).unwrap();
    assert_eq!(description.subject_name, "Amtsbote Testdienst");

    // EF.CardSecurity is signed under the CSCA the service trusts, and
    // carries a CA public key on the sector key's curve.
    let trust = csca_from_pem(&String::from_utf8(read(&pki.eid.trust_list)).unwrap());
    let security = CardSecurity::parse(&read(&card.ef_card_security)).unwrap();
    security.verify_signer(&[trust]).unwrap();
    let sector = read(&pki.eid.sector_public_key);
    assert_eq!((sector.len(), sector[0]), (65, 0x04), "uncompressed point");

    // Another PKI: another CSCA, which does not vouch for this chip.
    let other = VirtualCardPki::generate(&dir.path().join("other")).unwrap();
    let other_trust = csca_from_pem(&String::from_utf8(read(&other.eid.trust_list)).unwrap());
    assert!(security.verify_signer(&[other_trust]).is_err());

    // Private keys only for their owner.
    for key in [&card.ca_key, &pki.eid.terminal_key] {
        let mode = std::fs::metadata(key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", key.display());
    }
    // Generating again into the same directory replaces the files.
    let again = VirtualCardPki::generate(&dir.path().join("pki")).unwrap();
    assert_eq!(again.eid, pki.eid);
    assert_ne!(read(&again.card.cvca), cvca.to_bytes());
}

#[test]
fn eid_section_names_the_files() {
    let dir = tempfile::tempdir().unwrap();
    // A directory name TOML must escape.
    let pki = VirtualCardPki::generate(&dir.path().join("a \"quoted\" dir")).unwrap();
    let toml = pki.eid.to_toml();
    assert!(toml.starts_with("[eid]\n"), "{toml}");
    let quoted = |p: &std::path::Path| p.display().to_string().replace('"', "\\\"");
    for (key, path) in [
        ("terminal_key", &pki.eid.terminal_key),
        ("certificate_description", &pki.eid.certificate_description),
        ("trust_list", &pki.eid.trust_list),
        ("sector_public_key", &pki.eid.sector_public_key),
    ] {
        assert!(path.is_absolute(), "{}", path.display());
        assert!(
            toml.contains(&format!("{key} = \"{}\"\n", quoted(path))),
            "{key} in {toml}"
        );
    }
    let chain: Vec<String> = pki
        .eid
        .terminal_certificate_chain
        .iter()
        .map(|p| format!("\"{}\"", quoted(p)))
        .collect();
    assert!(toml.contains(&format!(
        "terminal_certificate_chain = [{}]\n",
        chain.join(", ")
    )));
}
