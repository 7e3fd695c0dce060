//! The updater against a local update server on loopback.
//!
//! Each test makes a throw-away minisign key pair, signs a payload the way
//! the tauri CLI does (the version in the trusted comment), serves a
//! `latest.json` and the payload from 127.0.0.1, and runs the app's updater
//! code on Tauri's mock runtime with the `plugins.updater` section of the
//! real `Tauri.conf.json` (only the public key swapped for the test key).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use amtsbote_lib::updater::{
    self, TransportPolicy, UpdateError, UpdateInfo, UpdateSource, download_verified,
};
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use tauri::test::{MockRuntime, mock_builder, mock_context, noop_assets};
use url::Url;

/// The version the mock app runs as.
const RUNNING: &str = "0.1.0";

/// A throw-away signing key and its public half in the form
/// `plugins.updater.pubkey` takes (base64 of the minisign key file).
struct TestKey {
    pair: minisign::KeyPair,
    pubkey_config: String,
}

impl TestKey {
    fn generate() -> Self {
        let pair = minisign::KeyPair::generate_unencrypted_keypair().expect("key pair");
        let key_file = pair.pk.to_box().expect("public key box").into_string();
        Self {
            pubkey_config: BASE64.encode(key_file),
            pair,
        }
    }

    /// A `.sig` file's content, base64 as in `latest.json`, for `payload`
    /// released as `version`.
    fn sign(&self, payload: &[u8], version: &str) -> String {
        let trusted = format!("timestamp:1700000000\tfile:amtsbote.tar.gz\tversion:{version}");
        let signature = minisign::sign(
            Some(&self.pair.pk),
            &self.pair.sk,
            payload,
            Some(&trusted),
            Some("signature from tauri secret key"),
        )
        .expect("signing");
        BASE64.encode(signature.into_string())
    }
}

/// What the local update server serves, and how often it was asked.
struct Served {
    manifest: serde_json::Value,
    payload: Vec<u8>,
    manifest_requests: AtomicUsize,
    payload_requests: AtomicUsize,
}

struct UpdateServer {
    base: Url,
    served: Arc<Served>,
}

impl UpdateServer {
    /// Serves on 127.0.0.1: `/latest.json` announcing `version` with
    /// `signature` for `/payload`, which returns `payload`.
    async fn start(version: &str, signature: &str, payload: Vec<u8>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base = Url::parse(&format!(
            "http://{}/",
            listener.local_addr().expect("local address")
        ))
        .expect("base URL");
        let platform = format!("linux-{}", std::env::consts::ARCH);
        let manifest = serde_json::json!({
            "version": version,
            "notes": "Neue Benachrichtigungen.\nFehlerbehebungen.",
            "pub_date": "2026-11-27T10:00:00Z",
            "platforms": {
                platform: {
                    "url": base.join("payload").expect("payload URL"),
                    "signature": signature,
                }
            }
        });
        let served = Arc::new(Served {
            manifest,
            payload,
            manifest_requests: AtomicUsize::new(0),
            payload_requests: AtomicUsize::new(0),
        });
        let router = Router::new()
            .route("/latest.json", get(serve_manifest))
            .route("/payload", get(serve_payload))
            .with_state(Arc::clone(&served));
        tokio::spawn(async move {
            axum::serve(listener, router).await.expect("update server");
        });
        Self { base, served }
    }

    fn endpoint(&self) -> Url {
        self.base.join("latest.json").expect("endpoint URL")
    }

    fn source(&self) -> UpdateSource {
        UpdateSource::new(vec![self.endpoint()], TransportPolicy::LoopbackHttp)
            .expect("loopback source")
    }

    fn manifest_requests(&self) -> usize {
        self.served.manifest_requests.load(Ordering::SeqCst)
    }

    fn payload_requests(&self) -> usize {
        self.served.payload_requests.load(Ordering::SeqCst)
    }
}

async fn serve_manifest(State(served): State<Arc<Served>>) -> impl IntoResponse {
    served.manifest_requests.fetch_add(1, Ordering::SeqCst);
    axum::Json(served.manifest.clone())
}

async fn serve_payload(State(served): State<Arc<Served>>) -> impl IntoResponse {
    served.payload_requests.fetch_add(1, Ordering::SeqCst);
    (
        [(header::CONTENT_TYPE, "application/octet-stream")],
        served.payload.clone(),
    )
}

/// The repository's `Tauri.conf.json`.
fn app_config() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../Tauri.conf.json");
    let text = std::fs::read_to_string(path).expect("Tauri.conf.json");
    serde_json::from_str(&text).expect("Tauri.conf.json is JSON")
}

/// A mock app at version [`RUNNING`] with the updater plugin, configured
/// as the real app but trusting `pubkey`.
fn mock_app(pubkey: &str) -> tauri::App<MockRuntime> {
    let mut context = mock_context(noop_assets());
    context.package_info_mut().version = RUNNING.parse().expect("version");
    let plugins = app_config()["plugins"]
        .as_object()
        .expect("Tauri.conf.json has plugins")
        .clone();
    for (name, config) in plugins {
        context.config_mut().plugins.0.insert(name, config);
    }
    mock_builder()
        .plugin(tauri_plugin_updater::Builder::new().pubkey(pubkey).build())
        .build(context)
        .expect("mock app")
}

fn payload_bytes() -> Vec<u8> {
    (0..64 * 1024).map(|i| (i % 251) as u8).collect()
}

#[tokio::test]
async fn a_signed_newer_release_is_downloaded_and_verified() {
    let key = TestKey::generate();
    let payload = payload_bytes();
    let server = UpdateServer::start("0.2.0", &key.sign(&payload, "0.2.0"), payload.clone()).await;
    let app = mock_app(&key.pubkey_config);

    let update = updater::check(app.handle(), &server.source())
        .await
        .expect("check")
        .expect("0.2.0 is on offer");
    let info = UpdateInfo::of(&update);
    assert_eq!(info.version, "0.2.0");
    assert_eq!(info.current_version, RUNNING);
    assert_eq!(
        info.notes.as_deref(),
        Some("Neue Benachrichtigungen.\nFehlerbehebungen.")
    );
    assert!(info.published_at.is_some());

    let mut last_progress = None;
    let bytes = download_verified(&update, TransportPolicy::LoopbackHttp, |progress| {
        last_progress = Some(progress);
    })
    .await
    .expect("a correctly signed release verifies");
    assert_eq!(bytes, payload);
    assert_eq!(
        last_progress.map(|progress| progress.downloaded),
        Some(payload.len() as u64)
    );
}

#[tokio::test]
async fn a_payload_changed_by_one_byte_is_refused() {
    let key = TestKey::generate();
    let payload = payload_bytes();
    let signature = key.sign(&payload, "0.2.0");
    let mut tampered = payload;
    tampered[4242] ^= 0x01;
    let server = UpdateServer::start("0.2.0", &signature, tampered).await;
    let app = mock_app(&key.pubkey_config);

    let update = updater::check(app.handle(), &server.source())
        .await
        .expect("check")
        .expect("0.2.0 is announced");
    let refused = download_verified(&update, TransportPolicy::LoopbackHttp, |_| {}).await;
    assert!(
        matches!(refused, Err(UpdateError::BadSignature(_))),
        "tampered payload: {refused:?}"
    );
    assert_eq!(server.payload_requests(), 1);
}

#[tokio::test]
async fn a_release_signed_by_another_key_is_refused() {
    let project_key = TestKey::generate();
    let other_key = TestKey::generate();
    let payload = payload_bytes();
    let server = UpdateServer::start("0.2.0", &other_key.sign(&payload, "0.2.0"), payload).await;
    let app = mock_app(&project_key.pubkey_config);

    let update = updater::check(app.handle(), &server.source())
        .await
        .expect("check")
        .expect("0.2.0 is announced");
    let refused = download_verified(&update, TransportPolicy::LoopbackHttp, |_| {}).await;
    assert!(
        matches!(refused, Err(UpdateError::BadSignature(_))),
        "foreign key: {refused:?}"
    );
}

#[tokio::test]
async fn an_older_or_equal_version_is_not_offered() {
    let key = TestKey::generate();
    let payload = payload_bytes();
    for version in ["0.0.9", RUNNING, "0.1.0-rc.1"] {
        let server =
            UpdateServer::start(version, &key.sign(&payload, version), payload.clone()).await;
        let app = mock_app(&key.pubkey_config);
        let offer = updater::check(app.handle(), &server.source())
            .await
            .expect("check");
        assert!(
            offer.is_none(),
            "{version} must not be offered to {RUNNING}"
        );
        assert_eq!(server.manifest_requests(), 1, "the server was asked");
        assert_eq!(server.payload_requests(), 0, "nothing was downloaded");
    }
}

#[tokio::test]
async fn an_old_release_announced_as_new_is_refused() {
    // A signed 0.0.9 artifact re-announced as 0.2.0: the signature is the
    // project's, but it was made for another version.
    let key = TestKey::generate();
    let payload = payload_bytes();
    let server = UpdateServer::start("0.2.0", &key.sign(&payload, "0.0.9"), payload).await;
    let app = mock_app(&key.pubkey_config);

    let update = updater::check(app.handle(), &server.source())
        .await
        .expect("check")
        .expect("0.2.0 is announced");
    let refused = download_verified(&update, TransportPolicy::LoopbackHttp, |_| {}).await;
    assert!(
        matches!(refused, Err(UpdateError::BadSignature(_))),
        "version mismatch: {refused:?}"
    );
}

#[tokio::test]
async fn plain_http_is_refused_in_the_release_configuration() {
    let key = TestKey::generate();
    let payload = payload_bytes();
    let server = UpdateServer::start("0.2.0", &key.sign(&payload, "0.2.0"), payload).await;

    // The app's own source: the configured endpoints, HTTPS only.
    let app = mock_app(&key.pubkey_config);
    let configured = UpdateSource::from_config(app.handle()).expect("configured source");
    assert!(!configured.endpoints().is_empty());
    assert!(
        configured
            .endpoints()
            .iter()
            .all(|endpoint| endpoint.scheme() == "https")
    );

    // The same policy refuses the plain-HTTP server, even on loopback.
    let refused = UpdateSource::new(vec![server.endpoint()], TransportPolicy::HttpsOnly);
    assert!(matches!(refused, Err(UpdateError::InsecureUrl(_))));

    // And a plain-HTTP download URL is refused before any download.
    let update = updater::check(app.handle(), &server.source())
        .await
        .expect("check")
        .expect("0.2.0 is announced");
    let refused = download_verified(&update, TransportPolicy::HttpsOnly, |_| {}).await;
    assert!(matches!(refused, Err(UpdateError::InsecureUrl(_))));
    assert_eq!(server.payload_requests(), 0);
}

#[test]
fn the_configured_public_key_is_a_minisign_key_and_signing_is_required() {
    let config = app_config();
    let updater = &config["plugins"]["updater"];
    let pubkey = updater["pubkey"].as_str().expect("pubkey");
    let key_file = String::from_utf8(BASE64.decode(pubkey).expect("base64")).expect("UTF-8");
    minisign::PublicKeyBox::from_string(&key_file)
        .and_then(minisign::PublicKeyBox::into_public_key)
        .expect("a minisign public key");
    assert_eq!(updater["requireSignedVersion"], serde_json::json!(true));
    assert!(
        updater.get("dangerousInsecureTransportProtocol").is_none(),
        "the app config must never allow plain HTTP"
    );
    assert_eq!(
        config["bundle"]["createUpdaterArtifacts"],
        serde_json::json!(true)
    );
}
