//! The harness against a real Synapse: start, fresh users, stop and resume,
//! and no process left behind after a drop or a panic.

use std::time::Duration;

use g2c_testkit::Synapse;

async fn whoami(base_url: &str, token: &str) -> reqwest::Result<serde_json::Value> {
    reqwest::Client::new()
        .get(format!("{base_url}/_matrix/client/v3/account/whoami"))
        .bearer_auth(token)
        .timeout(Duration::from_secs(10))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await
}

fn process_exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[tokio::test]
async fn registers_fresh_users_that_can_use_the_api() {
    let synapse = Synapse::start().await.expect("Synapse starts");
    let alice = synapse.register_user("alice").await.expect("register");
    let alice_again = synapse.register_user("alice").await.expect("register");

    assert_ne!(
        alice.user_id, alice_again.user_id,
        "each call makes a new user"
    );
    assert!(alice.user_id.starts_with("@alice-"), "{}", alice.user_id);
    assert!(alice.user_id.ends_with(":localhost"), "{}", alice.user_id);

    let me = whoami(synapse.base_url(), &alice.access_token)
        .await
        .expect("whoami");
    assert_eq!(me["user_id"], alice.user_id.as_str());
    assert_eq!(me["device_id"], alice.device_id.as_str());
}

#[tokio::test]
async fn stop_takes_the_server_away_and_resume_brings_back_its_data() {
    let mut synapse = Synapse::start().await.expect("Synapse starts");
    let bob = synapse.register_user("bob").await.expect("register");
    let pid = synapse.pid().expect("running");

    synapse.stop().expect("stop");
    assert!(!process_exists(pid), "the process is gone after stop");
    assert!(
        whoami(synapse.base_url(), &bob.access_token).await.is_err(),
        "nothing answers while stopped"
    );

    synapse.resume().await.expect("resume");
    let me = whoami(synapse.base_url(), &bob.access_token)
        .await
        .expect("the same token works after resume");
    assert_eq!(me["user_id"], bob.user_id.as_str());
}

#[test]
fn a_panicking_test_leaves_no_server_behind() {
    let (pid_tx, pid_rx) = std::sync::mpsc::channel();
    let (dir_tx, dir_rx) = std::sync::mpsc::channel();
    let outcome = std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async move {
            let synapse = Synapse::start().await.expect("Synapse starts");
            pid_tx.send(synapse.pid().expect("running")).expect("send");
            dir_tx.send(synapse.data_dir().to_owned()).expect("send");
            panic!("a test failing while the server runs");
        })
    })
    .join();

    assert!(outcome.is_err(), "the thread panicked");
    let pid = pid_rx.recv().expect("the server had started");
    let dir = dir_rx.recv().expect("the server had a directory");
    assert!(!process_exists(pid), "Synapse {pid} still runs");
    assert!(!dir.exists(), "{} was not removed", dir.display());
}
