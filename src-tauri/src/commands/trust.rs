//! The authority's trust for the UI: core's verdict
//! (`CitizenClient::authority_trust`) in the IPC's terms, with the app's
//! own reasons first: no roots configured, or roots unreadable.

use g2c_core::CitizenClient;
use g2c_core::requests::RequestSummary;
use g2c_core::trust::{AuthorityTrust, UntrustedReason};

use crate::config::TrustRoots;
use crate::ipc::{AuthorityTrustDto, UntrustedReasonDto};

/// Checks the authority of `room_id` (a keys query when online): for the
/// request page.
pub(crate) async fn authority_trust(
    client: &CitizenClient,
    roots: &TrustRoots,
    room_id: &str,
) -> AuthorityTrustDto {
    let verdict = client.authority_trust(room_id).await.map_err(|error| {
        tracing::warn!(%error, %room_id, "could not check the authority");
    });
    trust_dto(roots, verdict)
}

/// Checks the authorities of `requests` (in their order) with their
/// identities as stored (kept current by sync): for the overview, which
/// would otherwise cost one keys query per request. Core checks each
/// distinct authority certificate once per call, not once per room, and
/// takes each room's claim and certificate from its summary, not from the
/// room's state.
pub(crate) async fn stored_authority_trusts(
    client: &CitizenClient,
    roots: &TrustRoots,
    requests: &[RequestSummary],
) -> Vec<AuthorityTrustDto> {
    client
        .stored_authority_trusts(requests)
        .await
        .into_iter()
        .zip(requests)
        .map(|(verdict, request)| {
            let verdict = verdict.map_err(|error| {
                tracing::warn!(%error, room_id = %request.room_id, "could not check the authority");
            });
            trust_dto(roots, verdict)
        })
        .collect()
}

/// Core's verdict under the configured roots. A changed identity is the
/// most urgent reason; without usable roots nothing else matters.
pub(crate) fn trust_dto(
    roots: &TrustRoots,
    verdict: Result<AuthorityTrust, ()>,
) -> AuthorityTrustDto {
    let unverified = |reason| AuthorityTrustDto::Unverified { reason };
    match verdict {
        Ok(AuthorityTrust::Verified { authority_name }) => AuthorityTrustDto::Verified {
            name: authority_name,
        },
        Ok(AuthorityTrust::Unverified {
            identity_changed: true,
            ..
        }) => unverified(UntrustedReasonDto::IdentityChanged),
        _ if matches!(roots, TrustRoots::NotConfigured) => {
            unverified(UntrustedReasonDto::NoRootsConfigured)
        }
        _ if matches!(roots, TrustRoots::Unreadable) => {
            unverified(UntrustedReasonDto::RootsUnreadable)
        }
        Ok(AuthorityTrust::Unverified { reason, .. }) => unverified(reason_dto(reason)),
        Err(()) => unverified(UntrustedReasonDto::CheckFailed),
    }
}

fn reason_dto(reason: UntrustedReason) -> UntrustedReasonDto {
    match reason {
        UntrustedReason::NoCertificate => UntrustedReasonDto::NoCertificate,
        UntrustedReason::ForgedChain => UntrustedReasonDto::InvalidChain,
        UntrustedReason::SelfSigned | UntrustedReason::UnknownRoot => UntrustedReasonDto::OtherRoot,
        UntrustedReason::OtherAuthority => UntrustedReasonDto::NameMismatch,
        UntrustedReason::Expired => UntrustedReasonDto::Expired,
        UntrustedReason::NotYetValid => UntrustedReasonDto::NotYetValid,
        UntrustedReason::Revoked => UntrustedReasonDto::Revoked,
        UntrustedReason::KeyMismatch => UntrustedReasonDto::KeyMismatch,
        UntrustedReason::Malformed => UntrustedReasonDto::Malformed,
        UntrustedReason::NoIdentity => UntrustedReasonDto::NoIdentity,
        UntrustedReason::NotARequestRoom => UntrustedReasonDto::NotARequestRoom,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use g2c_core::trust::TrustAnchors;

    fn loaded() -> TrustRoots {
        TrustRoots::Loaded(TrustAnchors::none())
    }

    fn unverified(reason: UntrustedReason, identity_changed: bool) -> Result<AuthorityTrust, ()> {
        Ok(AuthorityTrust::Unverified {
            reason,
            identity_changed,
        })
    }

    #[test]
    fn a_verified_authority_keeps_its_certificate_name() {
        let verdict = Ok(AuthorityTrust::Verified {
            authority_name: "Fischereiamt Berlin".into(),
        });
        assert_eq!(
            trust_dto(&loaded(), verdict),
            AuthorityTrustDto::Verified {
                name: "Fischereiamt Berlin".into()
            }
        );
        let json = serde_json::to_value(trust_dto(
            &loaded(),
            Ok(AuthorityTrust::Verified {
                authority_name: "X".into(),
            }),
        ))
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "state": "verified", "name": "X" })
        );
    }

    #[test]
    fn without_usable_roots_the_reason_says_so() {
        let verdict = || unverified(UntrustedReason::UnknownRoot, false);
        assert_eq!(
            trust_dto(&TrustRoots::NotConfigured, verdict()),
            AuthorityTrustDto::Unverified {
                reason: UntrustedReasonDto::NoRootsConfigured
            }
        );
        assert_eq!(
            trust_dto(&TrustRoots::Unreadable, verdict()),
            AuthorityTrustDto::Unverified {
                reason: UntrustedReasonDto::RootsUnreadable
            }
        );
        let json = serde_json::to_value(trust_dto(&TrustRoots::NotConfigured, verdict())).unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "state": "unverified", "reason": "noRootsConfigured" })
        );
    }

    #[test]
    fn a_changed_identity_comes_first() {
        assert_eq!(
            trust_dto(
                &TrustRoots::NotConfigured,
                unverified(UntrustedReason::NoCertificate, true)
            ),
            AuthorityTrustDto::Unverified {
                reason: UntrustedReasonDto::IdentityChanged
            }
        );
    }

    #[test]
    fn core_reasons_map_to_the_ui_reasons() {
        for (core, ui) in [
            (
                UntrustedReason::NoCertificate,
                UntrustedReasonDto::NoCertificate,
            ),
            (
                UntrustedReason::OtherAuthority,
                UntrustedReasonDto::NameMismatch,
            ),
            (UntrustedReason::Expired, UntrustedReasonDto::Expired),
            (UntrustedReason::Revoked, UntrustedReasonDto::Revoked),
            (UntrustedReason::UnknownRoot, UntrustedReasonDto::OtherRoot),
            (UntrustedReason::SelfSigned, UntrustedReasonDto::OtherRoot),
            (
                UntrustedReason::ForgedChain,
                UntrustedReasonDto::InvalidChain,
            ),
        ] {
            assert_eq!(
                trust_dto(&loaded(), unverified(core, false)),
                AuthorityTrustDto::Unverified { reason: ui },
                "{core:?}"
            );
        }
        assert_eq!(
            trust_dto(&loaded(), Err(())),
            AuthorityTrustDto::Unverified {
                reason: UntrustedReasonDto::CheckFailed
            }
        );
    }
}
