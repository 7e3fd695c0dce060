//! X.509 verification of an authority's master key, without a homeserver:
//! the authority tool signs a master key JSON with a chain from the test
//! PKI, the citizen's core checks it. Each impostor is refused with its
//! reason.

use std::time::{Duration, SystemTime};

use g2c_authority::certificate::MasterKeyCertificate;
use g2c_core::trust::{
    AuthorityClaim, AuthorityTrust, TrustAnchors, UntrustedReason, evaluate_master_key,
};
use g2c_testkit::{TestCa, self_signed_leaf};
use matrix_sdk::ruma::UserId;

const AUTHORITY: &str = "@fischereiamt:gov.example";
const NAME: &str = "Fischereiamt Berlin";

/// The authority tool's signer for a chain (leaf first) and key.
fn signer(chain: &[&str], key_pem: &str) -> MasterKeyCertificate {
    MasterKeyCertificate::from_pem(&chain.concat(), key_pem).expect("signer")
}

fn master_key(key: &str) -> serde_json::Value {
    serde_json::json!({
        "user_id": AUTHORITY,
        "usage": ["master"],
        "keys": { format!("ed25519:{key}"): key },
        "signatures": { AUTHORITY: { "ed25519:DEVICE": "c2lnbmF0dXJl" } },
    })
}

fn claim() -> AuthorityClaim {
    AuthorityClaim {
        user_id: UserId::parse(AUTHORITY).unwrap(),
        authority_name: NAME.to_owned(),
    }
}

/// 2026-11-27: inside the test leaves' validity.
fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_780_800)
}

struct Pki {
    root: TestCa,
    intermediate: TestCa,
}

impl Pki {
    fn new() -> Self {
        let root = TestCa::root("Test-Wurzel Verwaltungs-PKI");
        let intermediate = root.intermediate("Test-CA Behörden");
        Self { root, intermediate }
    }

    fn anchors(&self) -> TrustAnchors {
        TrustAnchors::from_roots_pem(&self.root.pem).unwrap()
    }

    /// Signs `key` with a leaf for `name`/`user` under the intermediate.
    fn signed(&self, key: &serde_json::Value, name: &str, user: &str) -> serde_json::Value {
        let (leaf, leaf_key) = self.intermediate.leaf(name, user, 42, (2025, 2030));
        signer(&[&leaf, &self.intermediate.pem], &leaf_key)
            .signed_master_key(key, AUTHORITY)
            .unwrap()
    }
}

fn evaluate(signed: &serde_json::Value, anchors: &TrustAnchors) -> AuthorityTrust {
    evaluate_master_key(signed, &claim(), anchors, now())
}

fn reason(trust: AuthorityTrust) -> UntrustedReason {
    trust
        .reason()
        .unwrap_or_else(|| panic!("unexpectedly verified: {trust:?}"))
}

#[test]
fn a_chain_to_the_root_naming_the_authority_verifies() {
    let pki = Pki::new();
    let signed = pki.signed(&master_key("AAAA"), NAME, AUTHORITY);
    let key_id = signed["signatures"][AUTHORITY]
        .as_object()
        .unwrap()
        .keys()
        .find(|k| k.starts_with("io.element.x509:"))
        .cloned();
    assert!(
        key_id.is_some(),
        "published under io.element.x509: {signed}"
    );
    assert_eq!(
        evaluate(&signed, &pki.anchors()),
        AuthorityTrust::Verified {
            authority_name: NAME.to_owned()
        }
    );
}

#[test]
fn no_signature_means_no_certificate() {
    let pki = Pki::new();
    assert_eq!(
        reason(evaluate(&master_key("AAAA"), &pki.anchors())),
        UntrustedReason::NoCertificate
    );
}

#[test]
fn a_forged_chain_under_a_lookalike_root_is_refused() {
    let pki = Pki::new();
    // The impostor copies the root's and the intermediate's names, but not
    // their keys.
    let fake_root = TestCa::root("Test-Wurzel Verwaltungs-PKI");
    let fake_intermediate = fake_root.intermediate("Test-CA Behörden");
    let (leaf, key) = fake_intermediate.leaf(NAME, AUTHORITY, 42, (2025, 2030));
    let signed = signer(&[&leaf, &fake_intermediate.pem], &key)
        .signed_master_key(&master_key("AAAA"), AUTHORITY)
        .unwrap();
    assert_eq!(
        reason(evaluate(&signed, &pki.anchors())),
        UntrustedReason::ForgedChain
    );

    // A genuine intermediate cannot vouch for a leaf it did not sign.
    let (leaf, key) = fake_intermediate.leaf(NAME, AUTHORITY, 43, (2025, 2030));
    let signed = signer(&[&leaf, &pki.intermediate.pem], &key)
        .signed_master_key(&master_key("AAAA"), AUTHORITY)
        .unwrap();
    assert_eq!(
        reason(evaluate(&signed, &pki.anchors())),
        UntrustedReason::ForgedChain
    );
}

#[test]
fn a_self_signed_certificate_is_refused() {
    let pki = Pki::new();
    let (leaf, key) = self_signed_leaf(NAME, AUTHORITY);
    let signed = signer(&[&leaf], &key)
        .signed_master_key(&master_key("AAAA"), AUTHORITY)
        .unwrap();
    assert_eq!(
        reason(evaluate(&signed, &pki.anchors())),
        UntrustedReason::SelfSigned
    );
}

#[test]
fn a_certificate_for_another_authority_is_refused() {
    let pki = Pki::new();
    // Another organisation's name, this account.
    let signed = pki.signed(&master_key("AAAA"), "Bauamt Spandau", AUTHORITY);
    assert_eq!(
        reason(evaluate(&signed, &pki.anchors())),
        UntrustedReason::OtherAuthority
    );
    // This organisation's name, another account.
    let signed = pki.signed(&master_key("AAAA"), NAME, "@bauamt:gov.example");
    assert_eq!(
        reason(evaluate(&signed, &pki.anchors())),
        UntrustedReason::OtherAuthority
    );
}

#[test]
fn an_expired_certificate_is_refused() {
    let pki = Pki::new();
    let (leaf, key) = pki.intermediate.leaf(NAME, AUTHORITY, 42, (2020, 2024));
    let signed = signer(&[&leaf, &pki.intermediate.pem], &key)
        .signed_master_key(&master_key("AAAA"), AUTHORITY)
        .unwrap();
    assert_eq!(
        reason(evaluate(&signed, &pki.anchors())),
        UntrustedReason::Expired
    );
    let (leaf, key) = pki.intermediate.leaf(NAME, AUTHORITY, 43, (2090, 2095));
    let signed = signer(&[&leaf, &pki.intermediate.pem], &key)
        .signed_master_key(&master_key("AAAA"), AUTHORITY)
        .unwrap();
    assert_eq!(
        reason(evaluate(&signed, &pki.anchors())),
        UntrustedReason::NotYetValid
    );
}

#[test]
fn a_revoked_certificate_is_refused() {
    let pki = Pki::new();
    let signed = pki.signed(&master_key("AAAA"), NAME, AUTHORITY);
    let anchors = pki
        .anchors()
        .with_crl(pki.intermediate.crl(&[42]).as_bytes())
        .unwrap();
    assert_eq!(
        reason(evaluate(&signed, &anchors)),
        UntrustedReason::Revoked
    );

    // A CRL listing other serials changes nothing; a CRL the issuer did not
    // sign is ignored.
    let anchors = pki
        .anchors()
        .with_crl(pki.intermediate.crl(&[41]).as_bytes())
        .unwrap()
        .with_crl(TestCa::root("Test-CA Behörden").crl(&[42]).as_bytes())
        .unwrap();
    assert!(evaluate(&signed, &anchors).is_verified());
}

#[test]
fn a_chain_to_another_root_is_refused() {
    let pki = Pki::new();
    let other = TestCa::root("Eine andere Wurzel");
    let other_intermediate = other.intermediate("Andere CA");
    let (leaf, key) = other_intermediate.leaf(NAME, AUTHORITY, 42, (2025, 2030));
    let signed = signer(&[&leaf, &other_intermediate.pem], &key)
        .signed_master_key(&master_key("AAAA"), AUTHORITY)
        .unwrap();
    assert_eq!(
        reason(evaluate(&signed, &pki.anchors())),
        UntrustedReason::UnknownRoot
    );
    // No configured root at all.
    assert_eq!(
        reason(evaluate(&signed, &TrustAnchors::none())),
        UntrustedReason::UnknownRoot
    );
}

#[test]
fn a_signature_over_a_replaced_master_key_is_refused() {
    let pki = Pki::new();
    let signed_old = pki.signed(&master_key("AAAA"), NAME, AUTHORITY);
    // The server swaps in a new master key but keeps the old signature.
    let mut swapped = master_key("BBBB");
    swapped["signatures"] = signed_old["signatures"].clone();
    assert_eq!(
        reason(evaluate(&swapped, &pki.anchors())),
        UntrustedReason::KeyMismatch
    );
}

#[test]
fn garbage_in_the_signature_is_malformed() {
    let pki = Pki::new();
    let mut key = master_key("AAAA");
    key["signatures"][AUTHORITY]["io.element.x509:AAAA"] = "not pem".into();
    assert_eq!(
        reason(evaluate(&key, &pki.anchors())),
        UntrustedReason::Malformed
    );
}

#[test]
fn the_verdict_serialises_for_the_ui() {
    let json = serde_json::to_value(AuthorityTrust::Unverified {
        reason: UntrustedReason::Expired,
        identity_changed: true,
    })
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!({"state": "unverified", "reason": "expired", "identity_changed": true})
    );
}
