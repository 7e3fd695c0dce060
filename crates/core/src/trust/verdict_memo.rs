//! One list's authority verdicts, each distinct input checked once:
//! [`AuthorityVerdicts`].
//!
//! The overview checks the authority of every request room. The rooms of
//! one authority usually carry the same inputs (its master key, the same
//! published certificate, the same name), and checking a certificate
//! chain and signature costs ~5 ms in a debug build: a list of a hundred
//! requests would spend half a second checking one chain a hundred times.
//!
//! A memo is keyed by everything [`evaluate_master_key`] reads
//! ([`VerdictKey`]: the claimed account and name, the master key as stored,
//! the room's published certificate), and it holds the rest itself: the
//! trust anchors and the time, fixed when the memo is made. It lives for
//! one list only; nothing is kept across lists, so a changed root or CRL,
//! or a certificate that expired in between, shows on the next list.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use matrix_sdk::ruma::OwnedUserId;

use super::anchors::TrustAnchors;
use super::authority::{AuthorityClaim, evaluate_master_key};
use super::master_key_signature::merge_published;
use super::verdict::AuthorityTrust;

/// What one verdict depends on besides the anchors and the time: two
/// rooms with equal keys get the same verdict.
///
/// The JSON parts are compared as serialised: equal values read from the
/// same store serialise equally; values that differ only in key order
/// would be checked twice, never share a wrong verdict.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VerdictKey {
    user_id: OwnedUserId,
    authority_name: String,
    master_key: String,
    published: Option<String>,
}

impl VerdictKey {
    /// The key for `claim`, the authority's master key JSON as stored
    /// (with its signatures) and the content of the room's certificate
    /// state event, if it has one.
    pub fn new(
        claim: &AuthorityClaim,
        master_key: &serde_json::Value,
        published: Option<&serde_json::Value>,
    ) -> Self {
        Self {
            user_id: claim.user_id.clone(),
            authority_name: claim.authority_name.clone(),
            master_key: master_key.to_string(),
            published: published.map(serde_json::Value::to_string),
        }
    }
}

/// Authority verdicts under one set of trust anchors at one moment, each
/// distinct [`VerdictKey`] evaluated once.
#[derive(Debug)]
pub struct AuthorityVerdicts {
    anchors: Arc<TrustAnchors>,
    now: SystemTime,
    verdicts: HashMap<VerdictKey, AuthorityTrust>,
}

impl AuthorityVerdicts {
    /// An empty memo checking against `anchors` at time `now`.
    pub fn new(anchors: Arc<TrustAnchors>, now: SystemTime) -> Self {
        Self {
            anchors,
            now,
            verdicts: HashMap::new(),
        }
    }

    /// The verdict on `claim` with the authority's stored `master_key` and
    /// the room's `published` certificate event content (merged into the
    /// master key's signatures before checking): [`evaluate_master_key`]'s,
    /// computed on the first call with these inputs and repeated after.
    pub fn verdict(
        &mut self,
        claim: &AuthorityClaim,
        master_key: &serde_json::Value,
        published: Option<&serde_json::Value>,
    ) -> AuthorityTrust {
        let key = VerdictKey::new(claim, master_key, published);
        if let Some(trust) = self.verdicts.get(&key) {
            return trust.clone();
        }
        let mut merged = master_key.clone();
        if let Some(published) = published {
            merge_published(&mut merged, claim.user_id.as_str(), published);
        }
        let trust = evaluate_master_key(&merged, claim, &self.anchors, self.now);
        self.verdicts.insert(key, trust.clone());
        trust
    }

    /// How many distinct inputs were evaluated so far.
    pub fn evaluations(&self) -> usize {
        self.verdicts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::UntrustedReason;
    use matrix_sdk::ruma::UserId;

    const AUTHORITY: &str = "@fischereiamt:gov.example";

    fn claim(name: &str) -> AuthorityClaim {
        AuthorityClaim {
            user_id: UserId::parse(AUTHORITY).unwrap(),
            authority_name: name.to_owned(),
        }
    }

    fn master_key(key: &str) -> serde_json::Value {
        serde_json::json!({
            "user_id": AUTHORITY,
            "usage": ["master"],
            "keys": { format!("ed25519:{key}"): key },
            "signatures": { AUTHORITY: { "ed25519:DEVICE": "c2lnbmF0dXJl" } },
        })
    }

    fn published(pem: &str) -> serde_json::Value {
        serde_json::json!({ "signatures": { "io.element.x509:AAAA": pem } })
    }

    #[test]
    fn the_key_tells_apart_every_input_of_the_verdict() {
        let base = VerdictKey::new(&claim("Amt A"), &master_key("K1"), Some(&published("P1")));
        assert_eq!(
            base,
            VerdictKey::new(&claim("Amt A"), &master_key("K1"), Some(&published("P1")))
        );
        let other_account = AuthorityClaim {
            user_id: UserId::parse("@bauamt:gov.example").unwrap(),
            authority_name: "Amt A".to_owned(),
        };
        let mut resigned = master_key("K1");
        resigned["signatures"][AUTHORITY]["ed25519:OTHER"] = "b3RoZXI".into();
        for (what, other) in [
            (
                "claimed name",
                VerdictKey::new(&claim("Amt B"), &master_key("K1"), Some(&published("P1"))),
            ),
            (
                "claimed account",
                VerdictKey::new(&other_account, &master_key("K1"), Some(&published("P1"))),
            ),
            (
                "master key",
                VerdictKey::new(&claim("Amt A"), &master_key("K2"), Some(&published("P1"))),
            ),
            (
                "master key signatures",
                VerdictKey::new(&claim("Amt A"), &resigned, Some(&published("P1"))),
            ),
            (
                "published certificate",
                VerdictKey::new(&claim("Amt A"), &master_key("K1"), Some(&published("P2"))),
            ),
            (
                "no published certificate",
                VerdictKey::new(&claim("Amt A"), &master_key("K1"), None),
            ),
        ] {
            assert_ne!(base, other, "{what}");
        }
    }

    #[test]
    fn equal_inputs_are_evaluated_once_and_different_ones_each() {
        let mut verdicts =
            AuthorityVerdicts::new(Arc::new(TrustAnchors::none()), SystemTime::now());
        let no_certificate = AuthorityTrust::Unverified {
            reason: UntrustedReason::NoCertificate,
            identity_changed: false,
        };
        for _ in 0..3 {
            assert_eq!(
                verdicts.verdict(&claim("Amt A"), &master_key("K1"), None),
                no_certificate
            );
        }
        assert_eq!(verdicts.evaluations(), 1);
        verdicts.verdict(&claim("Amt B"), &master_key("K1"), None);
        assert_eq!(verdicts.evaluations(), 2);
        // An unreadable published signature is merged and checked.
        assert_eq!(
            verdicts
                .verdict(&claim("Amt A"), &master_key("K1"), Some(&published("P1")))
                .reason(),
            Some(UntrustedReason::Malformed)
        );
        assert_eq!(verdicts.evaluations(), 3);
    }
}
