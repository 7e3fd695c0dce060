//! The binary loads the `[eid]` section: `check-config` reads and checks the
//! terminal chain, key, description, CSCA trust list and sector key (all
//! generated here with g2c-eid's test PKI), and refuses a key that is not
//! the terminal's.

use std::path::Path;
use std::process::Command;

use g2c_eid::pace::Curve;
use g2c_eid::test_pki::{CardSecurityFixture, TestKey, TestPki};
use g2c_login_service::eac::encode_pkcs8;

fn write_config(dir: &Path, key_secret: &[u8], pki: &TestPki) -> std::path::PathBuf {
    let chip = CardSecurityFixture::generate(Curve::BrainpoolP256r1);
    let sector = TestKey::generate(Curve::BrainpoolP256r1);
    std::fs::write(dir.join("dv.cvcert"), pki.dv.to_bytes()).unwrap();
    std::fs::write(dir.join("terminal.cvcert"), pki.terminal.to_bytes()).unwrap();
    std::fs::write(
        dir.join("terminal.pkcs8"),
        encode_pkcs8(Curve::BrainpoolP256r1, key_secret).as_slice(),
    )
    .unwrap();
    std::fs::write(dir.join("description.der"), pki.description.to_der()).unwrap();
    std::fs::write(dir.join("csca.der"), &chip.csca_der).unwrap();
    std::fs::write(dir.join("sector.pub"), &sector.public).unwrap();
    let d = |name: &str| format!("{:?}", dir.join(name).display().to_string());
    let config = format!(
        r#"listen = "127.0.0.1:0"
issuer = "http://127.0.0.1:0"
insecure_plain_http = true
clients = []

[eid]
terminal_certificate_chain = [{}, {}]
terminal_key = {}
certificate_description = {}
trust_list = {}
sector_public_key = {}
"#,
        d("dv.cvcert"),
        d("terminal.cvcert"),
        d("terminal.pkcs8"),
        d("description.der"),
        d("csca.der"),
        d("sector.pub"),
    );
    let path = dir.join("login.toml");
    std::fs::write(&path, config).unwrap();
    path
}

fn check_config(config: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_g2c-login-service"))
        .arg("--config")
        .arg(config)
        .arg("check-config")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

#[test]
fn check_config_loads_the_eid_terminal() {
    let pki = TestPki::generate(Curve::BrainpoolP256r1);
    let dir = tempfile::tempdir().unwrap();
    let output = check_config(&write_config(dir.path(), pki.terminal_key.secret(), &pki));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("terminal DETESTTERM00001"), "{stdout}");
}

#[test]
fn check_config_refuses_a_key_that_is_not_the_terminals() {
    let pki = TestPki::generate(Curve::BrainpoolP256r1);
    let stranger = TestKey::generate(Curve::BrainpoolP256r1);
    let dir = tempfile::tempdir().unwrap();
    let output = check_config(&write_config(dir.path(), stranger.secret(), &pki));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("does not belong to the terminal certificate"),
        "{stderr}"
    );
    // No key material in the error output.
    let hex: String = stranger
        .secret()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!stderr.to_lowercase().contains(&hex));
}
