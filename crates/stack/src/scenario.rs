//! `--scenario FILE`: the authority plays a case for the citizen as soon as
//! the citizen has logged in with the virtual card, so the demo shows a
//! live request without anyone typing a user id.
//!
//! The citizen's Matrix id is known in advance: the login service derives
//! the localpart from the card's Restricted Identification pseudonym, and
//! the virtual card's RI answer is a fixed value. The stack waits until
//! that user has a device with uploaded keys (the app's first login), so
//! the authority's encrypted prompts are shared with it, then plays the
//! scenario with the authority library, publishing the authority's test
//! certificate in the room first; its notices go out only once the
//! citizen's app has published the login service's eID attestation of the
//! citizen's master key. Each answer the authority receives
//! is printed as a JSON line (`{"event":"authority", …}`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use g2c_authority::certificate::MasterKeyCertificate;
use g2c_authority::scenario::{RunOptions, Scenario, run_scenario};
use g2c_authority::trust::AttestationVerifier;
use g2c_authority::{AuthorityClient, Incoming};
use g2c_login_service::authenticator::SectorPseudonym;
use g2c_testkit::{AuthorityPkiFiles, RegisteredUser, VIRTUAL_CARD_RI_PSEUDONYM};

/// How often the stack asks whether the citizen's device is there yet.
const DEVICE_POLL: Duration = Duration::from_millis(500);

/// The Matrix id the virtual card's citizen gets on `server_name`.
pub fn citizen_user_id(server_name: &str) -> String {
    let pseudonym = SectorPseudonym::new(VIRTUAL_CARD_RI_PSEUDONYM.to_vec());
    format!(
        "@{}:{server_name}",
        g2c_login_service::pseudonym::localpart(&pseudonym)
    )
}

/// The virtual card's citizen, as the authority sees them.
pub struct EidCitizen {
    /// Their Matrix id ([`citizen_user_id`]).
    pub user_id: String,
    /// The login service's attestations: the scenario's notices go to the
    /// citizen only once their app has published a valid one (the demo
    /// runs the whole chain: card, login service, app, room, authority).
    pub attestation: AttestationVerifier,
}

/// Waits for the citizen's first device, then plays `file` as `authority`.
pub async fn play(
    homeserver: String,
    authority: RegisteredUser,
    observer: RegisteredUser,
    citizen: EidCitizen,
    file: PathBuf,
    data_dir: PathBuf,
    pki: AuthorityPkiFiles,
) -> anyhow::Result<()> {
    let EidCitizen {
        user_id: citizen,
        attestation,
    } = citizen;
    let scenario = Scenario::from_path(&file)
        .with_context(|| format!("reading the scenario {}", file.display()))?;
    let chain = std::fs::read_to_string(&pki.authority_chain)?;
    let key = zeroize::Zeroizing::new(std::fs::read_to_string(&pki.authority_key)?);
    let certificate =
        MasterKeyCertificate::from_pem(&chain, &key).context("the authority's test certificate")?;
    let client = AuthorityClient::login(
        &homeserver,
        &data_dir,
        &authority.localpart,
        &authority.password,
    )
    .await
    .context("the authority's login")?;
    tracing::info!(%citizen, "waiting for the citizen's first login");
    wait_for_device(&homeserver, &observer, &citizen).await?;
    tracing::info!(%citizen, scenario = %file.display(), "the citizen is here: playing the scenario");
    let options = RunOptions {
        citizen: Some(
            citizen
                .as_str()
                .try_into()
                .context("the citizen's user id")?,
        ),
        room: None,
        answer_timeout: Some(Duration::from_secs(24 * 60 * 60)),
        certificate: Some(std::sync::Arc::new(certificate)),
        require_attestation: Some(std::sync::Arc::new(attestation)),
    };
    let outcome = run_scenario(&client, &scenario, options, print_incoming).await?;
    tracing::info!(room = ?outcome.room_id, answers = outcome.answers.len(), "scenario finished");
    Ok(())
}

fn print_incoming(item: &Incoming) {
    let mut line: serde_json::Value =
        serde_json::from_str(&item.to_json_line()).unwrap_or_default();
    if let Some(object) = line.as_object_mut() {
        object.insert("event".into(), "authority".into());
    }
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

/// Polls `keys/query` (as `observer`, any account) until `citizen` has a
/// device with uploaded keys.
async fn wait_for_device(
    homeserver: &str,
    observer: &RegisteredUser,
    citizen: &str,
) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let url = format!("{homeserver}/_matrix/client/v3/keys/query");
    loop {
        let response: serde_json::Value = http
            .post(&url)
            .bearer_auth(&observer.access_token)
            .json(&serde_json::json!({ "device_keys": { citizen: [] } }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let devices = response["device_keys"][citizen]
            .as_object()
            .map_or(0, serde_json::Map::len);
        if devices > 0 {
            return Ok(());
        }
        tokio::time::sleep(DEVICE_POLL).await;
    }
}

/// The scenario path, relative to the current directory or the repository.
pub fn resolve(path: &Path) -> PathBuf {
    if path.exists() {
        return path.to_owned();
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}
