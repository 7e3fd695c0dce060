//! End to end: the `g2c-authority` binary plays `scenarios/fishing-permit.toml`
//! against a real Synapse while a citizen client (matrix-sdk, E2EE) answers
//! every prompt. The authority's stdout must carry each answer as a JSON
//! line with the right content; the citizen must see the documents receipt
//! with its file's hash, the permit PDF, and only encrypted G2C messages.

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use common::{Behaviour, Citizen, run_citizen, sha256_hex};
use g2c_authority::Incoming;
use g2c_testkit::Synapse;
use matrix_sdk::ruma::OwnedUserId;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, BufReader};

/// Bound for the whole case (a cold debug build of the crypto is slow).
const CASE_TIMEOUT: Duration = Duration::from_secs(240);

fn scenario_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/fishing-permit.toml")
}

fn bin() -> tokio::process::Command {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_g2c-authority"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fishing_permit_scenario_runs_end_to_end() {
    let synapse = Synapse::start().await.expect("synapse");
    let authority_user = synapse.register_user("fischereiamt").await.unwrap();
    let citizen_user = synapse.register_user("erika").await.unwrap();
    let data_dir = tempfile::tempdir().unwrap();

    // Log in through the CLI: password from the environment.
    let login = bin()
        .arg("--data-dir")
        .arg(data_dir.path())
        .args(["login", "--homeserver", synapse.base_url(), "--user"])
        .arg(&authority_user.localpart)
        .env("G2C_AUTHORITY_PASSWORD", &authority_user.password)
        .output()
        .await
        .unwrap();
    assert!(
        login.status.success(),
        "login failed: {}",
        String::from_utf8_lossy(&login.stderr)
    );
    let login_out: Value = serde_json::from_slice(&login.stdout).unwrap();
    assert_eq!(login_out["user_id"], authority_user.user_id.as_str());
    assert_eq!(login_out["cross_signing"], true);
    let stderr = String::from_utf8_lossy(&login.stderr);
    assert!(
        !stderr.contains(&authority_user.password) && !stdout_has_token(&login.stdout),
        "secrets must not be printed"
    );

    // The citizen is online (device keys uploaded) before the room exists.
    let citizen = Citizen::login(synapse.base_url(), &citizen_user).await;
    let authority_id = OwnedUserId::try_from(authority_user.user_id.as_str()).unwrap();

    let mut runner = bin()
        .arg("--data-dir")
        .arg(data_dir.path())
        .arg("run-scenario")
        .arg(scenario_path())
        .args(["--citizen", &citizen_user.user_id, "--timeout-secs", "180"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = runner.stdout.take().unwrap();
    let stderr = runner.stderr.take().unwrap();
    let stderr_task = tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        let mut all = String::new();
        while let Ok(Some(line)) = lines.next_line().await {
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let stdout_task = tokio::spawn(async move {
        let mut lines = BufReader::new(stdout).lines();
        let mut all = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            all.push(line);
        }
        all
    });

    let citizen_run = run_citizen(&citizen, &authority_id, Behaviour::Honest, |r| {
        r.answered.len() == 5
            && !r.receipt_hashes.is_empty()
            && r.statuses.last().map(String::as_str) == Some("decided")
    });
    let report = tokio::time::timeout(CASE_TIMEOUT, citizen_run)
        .await
        .expect("the citizen did not get through the case in time");
    let status = tokio::time::timeout(CASE_TIMEOUT, runner.wait())
        .await
        .expect("the scenario runner did not finish in time")
        .unwrap();
    let lines = stdout_task.await.unwrap();
    let log = stderr_task.await.unwrap();
    assert!(status.success(), "run-scenario failed:\n{log}");
    assert!(
        !log.contains(&authority_user.password),
        "the password must never be logged"
    );
    // Neither is the access token the CLI stored at login.
    let session: Value =
        serde_json::from_slice(&std::fs::read(data_dir.path().join("session.json")).unwrap())
            .unwrap();
    let token = session["session"]["access_token"].as_str().unwrap();
    assert!(token.len() > 8);
    let login_log = String::from_utf8_lossy(&login.stderr);
    assert!(!log.contains(token) && !login_log.contains(token));
    assert!(!lines.iter().any(|l| l.contains(token)));

    // Every stdout line is one JSON item; all five are accepted answers.
    let items: Vec<Incoming> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let values: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        items.len(),
        5,
        "expected five answers, got:\n{}",
        lines.join("\n")
    );
    assert!(values.iter().all(|v| v["outcome"] == "answer"), "{lines:?}");
    assert!(values.iter().all(|v| v["encrypted"] == true));
    let room_id = values[0]["room_id"].as_str().unwrap().to_owned();
    assert!(values.iter().all(|v| v["room_id"] == room_id.as_str()));
    assert!(
        values
            .iter()
            .all(|v| v["sender"] == citizen_user.user_id.as_str())
    );

    let by_label = |label: &str| -> &Value {
        values
            .iter()
            .find(|v| v["prompt_label"] == label)
            .unwrap_or_else(|| panic!("no answer to {label}: {lines:?}"))
    };
    let appointment = by_label("appointment");
    assert_eq!(appointment["kind"], "appointment_selection");
    assert_eq!(appointment["content"]["slot_id"], "2025-09-21-1200");
    assert!(
        appointment["content"]["body"]
            .as_str()
            .unwrap()
            .contains("21.09.2025 12:00")
    );

    let inquiry = by_label("inquiry");
    assert_eq!(inquiry["kind"], "inquiry_answer");
    assert!(
        inquiry["content"]["text"]
            .as_str()
            .unwrap()
            .contains("Potsdam")
    );

    let uploaded = report.uploaded_sha256.clone().unwrap();
    let documents = by_label("id_card");
    assert_eq!(documents["kind"], "documents_submission");
    let file = &documents["content"]["documents"][0]["files"][0];
    assert_eq!(
        documents["content"]["documents"][0]["document_id"],
        "id_card_copy"
    );
    assert_eq!(file["sha256"], uploaded.as_str());
    assert_eq!(file["mimetype"], "image/png");
    assert!(
        file["file"]["url"].as_str().unwrap().starts_with("mxc://"),
        "uploaded encrypted"
    );

    let delivery = by_label("delivery");
    assert_eq!(delivery["kind"], "choice_selection");
    assert_eq!(
        delivery["content"]["option_ids"],
        serde_json::json!(["pickup"])
    );

    let pdf = std::fs::read(scenario_path().with_file_name("fishing-permit.pdf")).unwrap();
    let permit = by_label("permit");
    assert_eq!(permit["kind"], "notice_acknowledgement");
    assert_eq!(
        permit["content"]["attachment_sha256"],
        serde_json::json!([sha256_hex(&pdf)])
    );

    // The citizen's side: receipt with the uploaded hash, the PDF, status
    // history, and only encrypted G2C messages.
    assert_eq!(report.receipt_hashes, vec![uploaded]);
    assert!(report.notice_pdf, "the notice carries the permit PDF");
    assert_eq!(report.notice_attachment_hashes, vec![sha256_hex(&pdf)]);
    assert_eq!(
        report.statuses,
        ["submitted", "in_review", "action_required", "decided"]
    );
    assert!(
        report.plaintext_g2c_messages.is_empty(),
        "G2C messages in plaintext: {:?}",
        report.plaintext_g2c_messages
    );
    // 5 prompts + 5 answers + 1 receipt, all Megolm-encrypted.
    assert_eq!(report.encrypted_g2c_messages, 11);
    let room = citizen
        .client
        .get_room(&matrix_sdk::ruma::OwnedRoomId::try_from(room_id.as_str()).unwrap())
        .unwrap();
    assert!(room.latest_encryption_state().await.unwrap().is_encrypted());
}

fn stdout_has_token(stdout: &[u8]) -> bool {
    String::from_utf8_lossy(stdout).contains("access_token")
}
