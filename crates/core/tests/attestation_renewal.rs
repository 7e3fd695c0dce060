//! What the citizen is told about their eID attestation, and its renewal,
//! against a real Synapse: after a login without the eID (a password login
//! of a development build) the account has none and this device can renew
//! it; a refusal of the login service or an answer for another key keeps
//! nothing; the service's attestation of this account's key is kept and
//! valid until its expiry; an expired one reads as expired; a second device
//! before its recovery holds no master key and cannot renew (the login
//! service is not even asked). The attestations here are unsigned JWTs:
//! the app reads their claims for the citizen and leaves the signature to
//! the authorities (tests/attestation.rs). Run with `scripts/with-keychain.sh`.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use common::{fresh_profile, login, login_device};
use g2c_core::attestation::{AttestationRenewalError, EidAttestationState, EidAttestationStatus};

/// A JWT with the login service's claims; the signature part is a dummy.
fn attestation(user_id: &str, master_key: &str, exp: u64) -> String {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let claims = serde_json::json!({
        "iss": "https://login.example/eid", "sub": user_id,
        "aud": "de.amtsbote.g2c.eid_attestation", "iat": 1_700_000_000u64,
        "exp": exp, "master_key": master_key,
    });
    format!(
        "{}.{}.c2ln",
        b64(br#"{"alg":"ES256","kid":"k1"}"#),
        b64(claims.to_string().as_bytes())
    )
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_attestation_is_reported_and_renewed_with_the_login_services_answer() {
    let synapse = g2c_testkit::Synapse::start().await.unwrap();
    let citizen = login(&synapse, "erika").await;
    let client = &citizen.client;
    let user_id = client.user_id();
    let master_key = client
        .master_key_to_attest()
        .await
        .unwrap()
        .expect("the first device holds the master key");

    // A password login got no attestation: missing, and this device can renew it.
    assert_eq!(
        client.eid_attestation_state().await.unwrap(),
        EidAttestationState {
            status: EidAttestationStatus::Missing,
            renewable: true,
        }
    );

    // The login service refused (the ticket expired): nothing is kept.
    let error = client
        .renew_eid_attestation(|_, _| async { Err::<String, _>("410 Gone: ticket expired") })
        .await
        .unwrap_err();
    assert!(
        matches!(&error, AttestationRenewalError::NotIssued(reason) if reason.contains("expired")),
        "{error}"
    );
    // An answer that binds another key (or another account) is not kept.
    let year_ahead = now() + 365 * 24 * 3600;
    let error = client
        .renew_eid_attestation(|user, _| async move {
            Ok::<_, String>(attestation(&user, "b3RoZXIta2V5", year_ahead))
        })
        .await
        .unwrap_err();
    assert!(
        matches!(error, AttestationRenewalError::WrongBinding),
        "{error}"
    );
    let error = client
        .renew_eid_attestation(|_, key| async move {
            Ok::<_, String>(attestation("@someone-else:localhost", &key, year_ahead))
        })
        .await
        .unwrap_err();
    assert!(
        matches!(error, AttestationRenewalError::WrongBinding),
        "{error}"
    );
    assert_eq!(client.eid_attestation().await.unwrap(), None);
    assert_eq!(
        client.eid_attestation_state().await.unwrap().status,
        EidAttestationStatus::Missing
    );

    // The service's attestation of this account's key: kept, valid until it expires.
    let asked_for = std::sync::Mutex::new(None);
    client
        .renew_eid_attestation(|user, key| {
            *asked_for.lock().unwrap() = Some((user.clone(), key.clone()));
            async move { Ok::<_, String>(attestation(&user, &key, year_ahead)) }
        })
        .await
        .unwrap();
    assert_eq!(
        asked_for.lock().unwrap().clone(),
        Some((user_id.clone(), master_key.clone()))
    );
    assert_eq!(
        client.eid_attestation_state().await.unwrap(),
        EidAttestationState {
            status: EidAttestationStatus::Valid {
                expires_at: year_ahead
            },
            renewable: true,
        }
    );

    // One that has run out reads as expired, with its date.
    let last_year = now() - 24 * 3600;
    client
        .set_eid_attestation(&attestation(&user_id, &master_key, last_year))
        .await
        .unwrap();
    assert_eq!(
        client.eid_attestation_state().await.unwrap().status,
        EidAttestationStatus::Expired {
            expired_at: last_year
        }
    );

    // A second device of the account, before its recovery: no master key,
    // so it cannot renew, and the login service is not asked.
    let (profile, _dir) = fresh_profile("erika-second");
    let second = login_device(&synapse, &citizen.user, &profile).await;
    let state = second.eid_attestation_state().await.unwrap();
    assert!(!state.renewable, "{state:?}");
    let asked = AtomicBool::new(false);
    let error = second
        .renew_eid_attestation(|_, _| {
            asked.store(true, Ordering::SeqCst);
            async { Ok::<_, String>(String::new()) }
        })
        .await
        .unwrap_err();
    assert!(
        matches!(error, AttestationRenewalError::NoMasterKey),
        "{error}"
    );
    assert!(!asked.load(Ordering::SeqCst));
}
