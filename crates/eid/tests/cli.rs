//! The `g2c-eid` diagnostic tool, run as a process against the virtual nPA
//! (vsmartcard `vicc -t nPA` behind pcscd; PIN 111111, CAN 222222, PUK
//! 3333333333), started per test by `g2c_testkit::VirtualCard`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use g2c_testkit::VirtualCard;
use serde_json::Value;

const PACE_ECDH_GM_AES_128: &str = "0.4.0.127.0.7.2.2.4.2.2";

/// Runs the tool with `args`, `env` and `stdin`; no inherited secrets or log settings.
fn run(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_g2c-eid"));
    cmd.args(args)
        .env_remove("G2C_EID_SECRET")
        .env_remove("G2C_EID_NEW_SECRET")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn g2c-eid");
    {
        let mut input = child.stdin.take().expect("stdin");
        // The tool may exit before reading (e.g. a usage error): ignore EPIPE.
        let _ = input.write_all(stdin.as_bytes());
    }
    child.wait_with_output().expect("g2c-eid output")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 stderr")
}

/// Exactly one JSON object on stdout (one line), exit 0.
fn one_json(o: &Output) -> Value {
    assert!(
        o.status.success(),
        "exit {:?}; stderr: {}",
        o.status,
        stderr(o)
    );
    let out = stdout(o);
    assert_eq!(out.lines().count(), 1, "one line expected: {out}");
    let v: Value = serde_json::from_str(out.trim()).expect("valid JSON");
    assert!(v.is_object(), "{v}");
    v
}

/// Exit 1, nothing on stdout, exactly one line on stderr: the reason.
fn one_line_failure(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(1), "stderr: {}", stderr(o));
    assert!(o.stdout.is_empty(), "stdout: {}", stdout(o));
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "one line expected: {err:?}");
    assert!(err.starts_with("g2c-eid: "), "{err}");
    err
}

fn assert_pace_report(v: &Value, reader: &str, secret: &str) {
    assert_eq!(v["reader"], reader);
    assert_eq!(v["secret"], secret);
    assert_eq!(v["protocol_oid"], PACE_ECDH_GM_AES_128);
    assert_eq!(v["protocol"], "id-PACE-ECDH-GM-AES-CBC-CMAC-128");
    assert_eq!(v["curve"], "brainpoolP256r1");
    assert_eq!(v["parameter_id"], 13);
    assert_eq!(v["cipher"], "AES-CBC-CMAC");
    assert_eq!(v["key_bits"], 128);
    assert_eq!(v["file"], "EF.CardAccess");
    assert_eq!(v["file_bytes"], 182, "vicc's default EF.CardAccess");
    assert_eq!(v["file_matches_plain_read"], true);
    let pace_ms = v["pace_ms"].as_f64().expect("pace_ms");
    let elapsed_ms = v["elapsed_ms"].as_f64().expect("elapsed_ms");
    assert!(pace_ms > 0.0 && elapsed_ms >= pace_ms, "{v}");
}

#[test]
fn readers_lists_the_virtual_reader_with_an_eid_card() {
    let card = VirtualCard::start().expect("virtual card");
    let v = one_json(&run(&["readers", "--json"], &[], ""));
    let readers = v["readers"].as_array().expect("readers");
    let ours = readers
        .iter()
        .find(|r| r["name"] == card.reader_name())
        .unwrap_or_else(|| panic!("{} not listed: {v}", card.reader_name()));
    assert_eq!(ours["card_present"], true);
    assert_eq!(ours["card_type"], "eid", "{ours}");
    assert_eq!(
        ours["pace_protocols"][0],
        "id-PACE-ECDH-GM-AES-CBC-CMAC-128 on brainpoolP256r1"
    );
    assert!(ours["atr"].as_str().is_some_and(|a| a.starts_with("3b")));
    // vpcd has no PC/SC part 10 features: no PIN pad, no reader PACE.
    assert_eq!(ours["keypad"], false, "{ours}");
    assert_eq!(ours["reader_pace"], false, "{ours}");
    // The second slot of vpcd is empty.
    let empty = readers
        .iter()
        .find(|r| r["name"] == "Virtual PCD 00 01")
        .expect("second vpcd slot");
    assert_eq!(empty["card_present"], false);
    assert_eq!(empty["card_type"], Value::Null);

    let text = run(&["readers"], &[], "");
    assert!(text.status.success(), "{}", stderr(&text));
    let text = stdout(&text);
    assert!(text.contains(card.reader_name()), "{text}");
    assert!(text.contains("eID card (PACE)"), "{text}");
}

#[test]
fn info_shows_the_pace_parameters_and_the_pin_status() {
    let card = VirtualCard::start().expect("virtual card");
    let v = one_json(&run(&["info", "--json"], &[], ""));
    assert_eq!(v["reader"], card.reader_name());
    assert_eq!(v["card_access_bytes"], 182);
    let pace = v["pace"].as_array().expect("pace");
    assert_eq!(pace.len(), 1, "{v}");
    assert_eq!(pace[0]["protocol_oid"], PACE_ECDH_GM_AES_128);
    assert_eq!(pace[0]["version"], 2);
    assert_eq!(pace[0]["parameter_id"], 13);
    assert_eq!(pace[0]["unsupported"], Value::Null);
    assert_eq!(v["selected"]["curve"], "brainpoolP256r1");
    assert_eq!(v["selected"]["key_bits"], 128);
    let others: Vec<&str> = v["other_security_infos"]
        .as_array()
        .expect("others")
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert!(others.iter().any(|n| n.starts_with("id-CA")), "{others:?}");
    assert!(others.iter().any(|n| n.starts_with("id-TA")), "{others:?}");
    assert_eq!(v["pin"]["state"], "operational");
    assert_eq!(v["pin"]["retries_left"], 3);

    let text = run(&["info", "--reader", "PCD 00 00"], &[], "");
    assert!(text.status.success(), "{}", stderr(&text));
    let text = stdout(&text);
    assert!(
        text.contains("id-PACE-ECDH-GM-AES-CBC-CMAC-128 (0.4.0.127.0.7.2.2.4.2.2)"),
        "{text}"
    );
    assert!(text.contains("brainpoolP256r1"), "{text}");
    assert!(
        text.contains("PIN:           operational, 3 tries left"),
        "{text}"
    );
}

#[test]
fn pace_with_the_pin_prints_one_json_object_and_no_secret() {
    let card = VirtualCard::start().expect("virtual card");
    // Trace logging on: the secret must still appear nowhere.
    let o = run(
        &["pace", "--secret", "pin", "--reader", card.reader_name()],
        &[("G2C_EID_SECRET", "111111"), ("RUST_LOG", "trace")],
        "",
    );
    let v = one_json(&o);
    assert_pace_report(&v, card.reader_name(), "pin");
    let err = stderr(&o);
    assert!(err.contains("PACE"), "trace logs expected on stderr: {err}");
    assert!(!err.contains("111111") && !stdout(&o).contains("111111"));
}

#[test]
fn pace_with_a_wrong_pin_fails_with_one_line() {
    let _card = VirtualCard::start().expect("virtual card");
    let err = one_line_failure(&run(&["pace", "--secret", "pin"], &[], "123456\n"));
    assert!(err.contains("wrong PIN"), "{err}");
    assert!(!err.contains("123456"), "{err}");
}

#[test]
fn pace_with_the_can_and_the_puk_from_stdin() {
    let card = VirtualCard::start().expect("virtual card");
    let v = one_json(&run(&["pace", "--secret", "can"], &[], "222222\n"));
    assert_pace_report(&v, card.reader_name(), "can");
    let v = one_json(&run(&["pace", "--secret", "puk"], &[], "3333333333\n"));
    assert_pace_report(&v, card.reader_name(), "puk");
    // A wrong CAN is named as such.
    let err = one_line_failure(&run(&["pace", "--secret", "can"], &[], "999999\n"));
    assert!(err.contains("wrong CAN"), "{err}");
}

#[test]
fn change_pin_and_back() {
    let card = VirtualCard::start().expect("virtual card");
    let v = one_json(&run(&["change-pin"], &[], "111111\n654321\n"));
    assert_eq!(v["pin_changed"], true);
    assert_eq!(v["from_transport_pin"], false);
    // The old PIN is now wrong, the new one works.
    let err = one_line_failure(&run(
        &["pace", "--secret", "pin"],
        &[("G2C_EID_SECRET", "111111")],
        "",
    ));
    assert!(err.contains("wrong PIN"), "{err}");
    let v = one_json(&run(
        &["pace", "--secret", "pin"],
        &[("G2C_EID_SECRET", "654321")],
        "",
    ));
    assert_pace_report(&v, card.reader_name(), "pin");
    // Back, through the environment this time.
    let v = one_json(&run(
        &["change-pin"],
        &[
            ("G2C_EID_SECRET", "654321"),
            ("G2C_EID_NEW_SECRET", "111111"),
        ],
        "",
    ));
    assert_eq!(v["pin_changed"], true);
    let v = one_json(&run(&["pace", "--secret", "pin"], &[], "111111\n"));
    assert_pace_report(&v, card.reader_name(), "pin");
}

#[test]
fn reader_selection_and_input_errors_are_one_line() {
    let _card = VirtualCard::start().expect("virtual card");
    let err = one_line_failure(&run(
        &["pace", "--secret", "pin", "--reader", "No Such Reader"],
        &[("G2C_EID_SECRET", "111111")],
        "",
    ));
    assert!(err.contains("no reader named 'No Such Reader'"), "{err}");
    assert!(err.contains("Virtual PCD 00 00"), "{err}");
    let err = one_line_failure(&run(&["info", "--reader", "Virtual PCD 00 01"], &[], ""));
    assert!(
        err.contains("no card on the reader 'Virtual PCD 00 01'"),
        "{err}"
    );
    // "Virtual PCD" matches both slots.
    let err = one_line_failure(&run(&["info", "--reader", "virtual pcd"], &[], ""));
    assert!(err.contains("several readers"), "{err}");
}

#[test]
fn malformed_or_missing_secrets_fail_before_the_card_is_touched() {
    // No virtual card needed: the secret is checked first.
    let err = one_line_failure(&run(
        &["pace", "--secret", "pin"],
        &[("G2C_EID_SECRET", "12a456")],
        "",
    ));
    assert!(err.contains("PIN must contain only digits"), "{err}");
    assert!(!err.contains("12a456"), "{err}");
    let err = one_line_failure(&run(&["pace", "--secret", "puk"], &[], "12345\n"));
    assert!(err.contains("PUK must have 10 digits"), "{err}");
    let err = one_line_failure(&run(&["pace", "--secret", "can"], &[], ""));
    assert!(err.contains("no CAN given"), "{err}");
    let err = one_line_failure(&run(&["change-pin"], &[], "111111\n12345\n"));
    assert!(err.contains("new PIN"), "{err}");
    // A usage error is clap's exit code 2.
    let o = run(&["pace", "--secret", "tan"], &[], "");
    assert_eq!(o.status.code(), Some(2));
}
