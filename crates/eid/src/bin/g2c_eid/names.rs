//! Names and report structures for PACE parameters and security infos.

use der::asn1::ObjectIdentifier;
use g2c_eid::card_access::{ID_PACE, PaceInfo};
use g2c_eid::pace::{Curve, PaceParameters};
use serde::Serialize;

/// The standardized domain parameters by id (BSI TR-03110-3 A.2.1.1).
pub fn parameter_name(id: u32) -> &'static str {
    match id {
        0 => "1024-bit MODP group with 160-bit prime order subgroup",
        1 => "2048-bit MODP group with 224-bit prime order subgroup",
        2 => "2048-bit MODP group with 256-bit prime order subgroup",
        8 => "NIST P-192",
        9 => "brainpoolP192r1",
        10 => "NIST P-224",
        11 => "brainpoolP224r1",
        12 => "NIST P-256",
        13 => "brainpoolP256r1",
        14 => "brainpoolP320r1",
        15 => "NIST P-384",
        16 => "brainpoolP384r1",
        17 => "brainpoolP512r1",
        18 => "NIST P-521",
        _ => "unknown",
    }
}

pub fn curve_name(curve: Curve) -> &'static str {
    parameter_name(curve.parameter_id())
}

fn arcs_below(oid: &ObjectIdentifier, prefix: &ObjectIdentifier) -> Option<Vec<u32>> {
    let n = prefix.arcs().count();
    let all: Vec<u32> = oid.arcs().collect();
    (all.len() > n && oid.arcs().zip(prefix.arcs()).all(|(a, b)| a == b))
        .then(|| all.get(n..).map(<[u32]>::to_vec).unwrap_or_default())
}

/// `id-PACE-ECDH-GM-AES-CBC-CMAC-128` and friends (TR-03110-3 A.1.1.1).
pub fn pace_protocol_name(oid: &ObjectIdentifier) -> String {
    let Some(below) = arcs_below(oid, &ID_PACE) else {
        return oid.to_string();
    };
    let mapping = match below.first() {
        Some(1) => "DH-GM",
        Some(2) => "ECDH-GM",
        Some(3) => "DH-IM",
        Some(4) => "ECDH-IM",
        Some(6) => "ECDH-CAM",
        _ => return format!("id-PACE-unknown ({oid})"),
    };
    let cipher = match below.get(1) {
        Some(1) => "3DES-CBC-CBC",
        Some(2) => "AES-CBC-CMAC-128",
        Some(3) => "AES-CBC-CMAC-192",
        Some(4) => "AES-CBC-CMAC-256",
        None => return format!("id-PACE-{mapping}"),
        _ => "unknown-cipher",
    };
    format!("id-PACE-{mapping}-{cipher}")
}

/// Names of the other security infos an eID card's EF.CardAccess carries.
pub fn security_info_name(oid: &ObjectIdentifier) -> String {
    let bsi = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2");
    let Some(below) = arcs_below(oid, &bsi) else {
        return "unknown".into();
    };
    let family = match below.first() {
        Some(1) => "id-PK (Chip Authentication public key)",
        Some(2) => "id-TA (Terminal Authentication)",
        Some(3) => "id-CA (Chip Authentication)",
        Some(4) => "id-PACE",
        Some(5) => "id-RI (Restricted Identification)",
        Some(6) => "id-CI (CardInfo locator)",
        Some(7) => "id-eIDSecurity",
        Some(8) => "id-PT (privileged terminal)",
        Some(11) => "id-PS (pseudonymous signature)",
        _ => "unknown BSI protocol",
    };
    family.into()
}

/// One PACEInfo, with whether this tool supports it.
#[derive(Serialize)]
pub struct PaceInfoReport {
    pub protocol_oid: String,
    pub protocol: String,
    pub version: u32,
    pub parameter_id: Option<u32>,
    pub curve: Option<&'static str>,
    /// Why it is not supported (null: supported).
    pub unsupported: Option<String>,
}

impl PaceInfoReport {
    pub fn from_info(info: &PaceInfo) -> Self {
        Self {
            protocol_oid: info.protocol.to_string(),
            protocol: pace_protocol_name(&info.protocol),
            version: info.version,
            parameter_id: info.parameter_id,
            curve: info.parameter_id.map(parameter_name),
            unsupported: PaceParameters::from_info(info).err().map(|e| e.to_string()),
        }
    }

    pub fn parameter_id_text(&self) -> String {
        self.parameter_id
            .map_or_else(|| "explicit".to_owned(), |id| id.to_string())
    }

    pub fn curve_text(&self) -> &'static str {
        self.curve.unwrap_or("explicit domain parameters")
    }
}

/// One line for `readers`.
pub fn pace_info_summary(info: &PaceInfo) -> String {
    let r = PaceInfoReport::from_info(info);
    format!("{} on {}", r.protocol, r.curve_text())
}

/// The PACE variant that is (or would be) used.
#[derive(Serialize)]
pub struct ParametersReport {
    pub protocol_oid: String,
    pub protocol: String,
    pub curve: &'static str,
    pub parameter_id: u32,
    pub cipher: &'static str,
    pub key_bits: usize,
}

impl ParametersReport {
    pub fn new(p: &PaceParameters) -> Self {
        let key_bits = p.key_size.key_len() * 8;
        Self {
            protocol_oid: p.protocol.to_string(),
            protocol: pace_protocol_name(&p.protocol),
            curve: curve_name(p.curve),
            parameter_id: p.curve.parameter_id(),
            cipher: "AES-CBC-CMAC",
            key_bits,
        }
    }
}

/// A non-PACE security info (CA, TA, ...).
#[derive(Serialize)]
pub struct OtherInfoReport {
    pub oid: String,
    pub name: String,
}

impl OtherInfoReport {
    pub fn new(oid: &ObjectIdentifier) -> Self {
        Self {
            oid: oid.to_string(),
            name: security_info_name(oid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_names() {
        let oid = |s| ObjectIdentifier::new_unwrap(s);
        assert_eq!(
            pace_protocol_name(&oid("0.4.0.127.0.7.2.2.4.2.2")),
            "id-PACE-ECDH-GM-AES-CBC-CMAC-128"
        );
        assert_eq!(
            pace_protocol_name(&oid("0.4.0.127.0.7.2.2.4.4.4")),
            "id-PACE-ECDH-IM-AES-CBC-CMAC-256"
        );
        assert_eq!(
            pace_protocol_name(&oid("0.4.0.127.0.7.2.2.4.2")),
            "id-PACE-ECDH-GM"
        );
        assert_eq!(pace_protocol_name(&oid("1.2.3")), "1.2.3");
        assert_eq!(
            security_info_name(&oid("0.4.0.127.0.7.2.2.3.2.2")),
            "id-CA (Chip Authentication)"
        );
        assert_eq!(parameter_name(13), "brainpoolP256r1");
        assert_eq!(curve_name(Curve::NistP384), "NIST P-384");
    }
}
