//! Certification path validation: leaf → presented intermediates → a
//! configured root, with signatures, CA constraints, validity periods and
//! revocation lists checked.
//!
//! A deliberately small subset of RFC 5280 path validation, enough for a
//! government PKI with a fixed root: names are matched exactly, every
//! issuer above the leaf must be a CA (basic constraints), path length
//! constraints, policies and name constraints are not evaluated (see
//! docs/security.md). Each failure maps to one [`UntrustedReason`].

use std::time::SystemTime;

use der::Encode;
use x509_cert::Certificate;
use x509_cert::ext::pkix::BasicConstraints;

use super::anchors::TrustAnchors;
use super::signature;
use super::verdict::UntrustedReason;

/// The longest chain followed (leaf, intermediates, root).
const MAX_PATH: usize = 6;

/// Validates the path from `leaf` over `intermediates` to one of the
/// `anchors`' roots at time `now`. Returns the root the path ends at.
pub fn validate<'a>(
    leaf: &Certificate,
    intermediates: &[Certificate],
    anchors: &'a TrustAnchors,
    now: SystemTime,
) -> Result<&'a Certificate, UntrustedReason> {
    let mut path: Vec<&Certificate> = vec![leaf];
    let root = loop {
        if path.len() > MAX_PATH {
            return Err(UntrustedReason::UnknownRoot);
        }
        let current = *path.last().expect("the path starts with the leaf");
        let issuer_name = current.tbs_certificate().issuer();

        let named_roots: Vec<&Certificate> = anchors
            .roots()
            .iter()
            .filter(|root| root.tbs_certificate().subject() == issuer_name)
            .collect();
        if !named_roots.is_empty() {
            // The issuer claims to be a configured root: it must have
            // signed, or the chain is forged.
            match named_roots
                .into_iter()
                .find(|root| is_signed_by(current, root))
            {
                Some(root) => break root,
                None => return Err(UntrustedReason::ForgedChain),
            }
        }
        if current.tbs_certificate().subject() == issuer_name {
            return Err(if path.len() == 1 {
                UntrustedReason::SelfSigned
            } else {
                UntrustedReason::UnknownRoot
            });
        }
        let Some(issuer) = intermediates.iter().find(|candidate| {
            candidate.tbs_certificate().subject() == issuer_name && !path.contains(candidate)
        }) else {
            return Err(UntrustedReason::UnknownRoot);
        };
        if !is_signed_by(current, issuer) || !is_ca(issuer) {
            return Err(UntrustedReason::ForgedChain);
        }
        path.push(issuer);
    };

    check_revocation(&path, root, anchors)?;
    for certificate in path.iter().copied().chain(std::iter::once(root)) {
        check_validity(certificate, now)?;
    }
    Ok(root)
}

/// Whether `issuer`'s key made `certificate`'s signature.
fn is_signed_by(certificate: &Certificate, issuer: &Certificate) -> bool {
    let Ok(tbs) = certificate.tbs_certificate().to_der() else {
        return false;
    };
    let Some(signature) = certificate.signature().as_bytes() else {
        return false;
    };
    signature::verify(
        issuer.tbs_certificate().subject_public_key_info(),
        &certificate.signature_algorithm().oid,
        &tbs,
        signature,
    )
    .is_ok()
}

/// Whether the certificate may issue certificates (basic constraints, CA).
fn is_ca(certificate: &Certificate) -> bool {
    matches!(
        certificate
            .tbs_certificate()
            .get_extension::<BasicConstraints>(),
        Ok(Some((_, BasicConstraints { ca: true, .. })))
    )
}

fn check_validity(certificate: &Certificate, now: SystemTime) -> Result<(), UntrustedReason> {
    let validity = certificate.tbs_certificate().validity();
    if now < validity.not_before.to_system_time() {
        return Err(UntrustedReason::NotYetValid);
    }
    if now > validity.not_after.to_system_time() {
        return Err(UntrustedReason::Expired);
    }
    Ok(())
}

/// Every certificate below the root is looked up in the configured CRLs
/// its issuer signed. A CRL whose signature does not verify is ignored
/// (and logged); a listed serial number means [`UntrustedReason::Revoked`].
fn check_revocation(
    path: &[&Certificate],
    root: &Certificate,
    anchors: &TrustAnchors,
) -> Result<(), UntrustedReason> {
    for (index, certificate) in path.iter().enumerate() {
        let issuer = path.get(index + 1).copied().unwrap_or(root);
        let issuer_name = issuer.tbs_certificate().subject();
        for crl in anchors
            .crls()
            .iter()
            .filter(|crl| crl.tbs_cert_list.issuer == *issuer_name)
        {
            let signed = crl.tbs_cert_list.to_der().ok().and_then(|tbs| {
                let signature = crl.signature.as_bytes()?;
                signature::verify(
                    issuer.tbs_certificate().subject_public_key_info(),
                    &crl.signature_algorithm.oid,
                    &tbs,
                    signature,
                )
                .ok()
            });
            if signed.is_none() {
                tracing::warn!("ignoring a CRL whose signature does not verify");
                continue;
            }
            let serial = certificate.tbs_certificate().serial_number();
            if crl
                .tbs_cert_list
                .revoked_certificates
                .iter()
                .flatten()
                .any(|revoked| revoked.serial_number == *serial)
            {
                return Err(UntrustedReason::Revoked);
            }
        }
    }
    Ok(())
}
