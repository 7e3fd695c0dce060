//! `g2c-authority`: the authority's adapter on the command line.
//!
//! Every result goes to stdout as one JSON line (answers, rejections, ids);
//! logs go to stderr (`RUST_LOG`, default `info`). Secrets (password,
//! access token, store key) are never printed or logged.

use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::{Parser, Subcommand};
use g2c_authority::scenario::{RunOptions, Scenario, notice_from_json, parse_status, run_scenario};
use g2c_authority::{Attachment, AuthorityClient, Incoming};
use g2c_protocol::Language;
use g2c_protocol::language::LanguageTag;
use g2c_protocol::request::{RequestEventContent, StatusEventContent};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId};
use zeroize::Zeroizing;

/// The authority side of the G2C channel (Amtsbote).
#[derive(Parser, Debug)]
#[command(name = "g2c-authority", version, about)]
struct Cli {
    /// The account's data directory (session, store key, encrypted store).
    #[arg(
        long,
        env = "G2C_AUTHORITY_DATA_DIR",
        default_value = "g2c-authority-data",
        global = true
    )]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Log in with a password and bootstrap cross-signing. The password is
    /// read from $G2C_AUTHORITY_PASSWORD, or else the first line of stdin.
    Login {
        /// Homeserver base URL, e.g. https://matrix.example.org
        #[arg(long)]
        homeserver: String,
        /// User name or full Matrix id of the authority account.
        #[arg(long)]
        user: String,
    },
    /// Publish the authority's X.509 certificate in a request room: sign
    /// the account's cross-signing master key with the leaf key (an
    /// `io.element.x509` signature) and send it as the room's
    /// de.amtsbote.g2c.v1.authority_certificate state event; prints {"key_id":…}.
    PublishCertificate {
        /// The request room.
        #[arg(long)]
        room: String,
        /// PEM chain: the leaf (naming the authority in O and the account as
        /// a matrix:u/… URI), then intermediates.
        #[arg(long)]
        chain: PathBuf,
        /// The leaf's private key, PKCS#8 PEM (P-256 or P-384).
        #[arg(long)]
        key: PathBuf,
    },
    /// Open an encrypted request room with a citizen; prints {"room_id":…}.
    OpenRoom {
        /// The citizen's Matrix id.
        #[arg(long)]
        citizen: String,
        /// The request metadata, JSON or TOML (service_name,
        /// authority_name, reference_number, submitted_at, description,
        /// language).
        #[arg(long)]
        request: PathBuf,
        /// The language the case is written in, a BCP 47 tag such as `en`
        /// (overrides the file's `language`; absent in both: German).
        #[arg(long)]
        language: Option<String>,
    },
    /// Send a prompt from a JSON file {"type": …, "content": {…}}; prints {"event_id":…}.
    SendPrompt {
        /// The request room.
        #[arg(long)]
        room: String,
        /// The prompt file.
        file: PathBuf,
    },
    /// Set the request's status (submitted, in_review, action_required, decided, closed).
    SetStatus {
        /// The request room.
        #[arg(long)]
        room: String,
        /// The new status.
        status: String,
        /// A note (required to reopen a decided request).
        #[arg(long)]
        note: Option<String>,
    },
    /// Send a notice (content JSON without body) with encrypted attachments.
    SendNotice {
        /// The request room.
        #[arg(long)]
        room: String,
        /// The notice content: notice_kind, title, text, requires_acknowledgement.
        #[arg(long)]
        content: PathBuf,
        /// Files to attach (PDF by extension; others need --mimetype).
        #[arg(long = "attach")]
        attachments: Vec<PathBuf>,
        /// MIME type for attachments that are not .pdf.
        #[arg(long)]
        mimetype: Option<String>,
        /// Refuse unless every citizen in the room has a valid eID
        /// attestation of this login service (issuer URL); needs
        /// --attestation-jwks.
        #[arg(long, requires = "attestation_jwks")]
        require_attestation: Option<String>,
        /// The login service's JWKS (JSON file), for --require-attestation.
        #[arg(long)]
        attestation_jwks: Option<PathBuf>,
    },
    /// Download and check the files of a documents submission and send a receipt.
    ConfirmDocuments {
        /// The request room.
        #[arg(long)]
        room: String,
        /// The documents submission event.
        #[arg(long)]
        submission: String,
    },
    /// Print every answer and rejection as one JSON line, until interrupted.
    Watch {
        /// Exit after this many lines.
        #[arg(long)]
        count: Option<usize>,
    },
    /// Play a scenario file (TOML or JSON), printing answers as JSON lines.
    RunScenario {
        /// The scenario file.
        file: PathBuf,
        /// The citizen to invite (overrides the scenario's `citizen`).
        #[arg(long)]
        citizen: Option<String>,
        /// Play into this existing room instead of opening a new one.
        #[arg(long)]
        room: Option<String>,
        /// Bound for every wait, in seconds (overrides the scenario's).
        #[arg(long)]
        timeout_secs: Option<u64>,
        /// Publish this certificate chain (PEM, leaf first) in the room
        /// before the first step, as `publish-certificate` does; needs
        /// --certificate-key.
        #[arg(long, requires = "certificate_key")]
        certificate: Option<PathBuf>,
        /// The certificate's private key, PKCS#8 PEM.
        #[arg(long, requires = "certificate")]
        certificate_key: Option<PathBuf>,
        /// Send notices only to citizens with a valid eID attestation of
        /// this login service (issuer URL); an unattested citizen ends the
        /// run unsent. Needs --attestation-jwks.
        #[arg(long, requires = "attestation_jwks")]
        require_attestation: Option<String>,
        /// The login service's JWKS (JSON file), for --require-attestation.
        #[arg(long, requires = "require_attestation")]
        attestation_jwks: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                "info,matrix_sdk=warn,matrix_sdk_crypto=warn,matrix_sdk_base=warn".into()
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Login { homeserver, user } => {
            let password = read_password()?;
            let client = AuthorityClient::login(&homeserver, &cli.data_dir, &user, &password)
                .await
                .context("login")?;
            print_json(&serde_json::json!({
                "user_id": client.user_id(),
                "cross_signing": client.has_cross_signing().await,
            }));
        }
        Command::OpenRoom {
            citizen,
            request,
            language,
        } => {
            let request = with_language(read_structured(&request)?, language)?;
            let client = restore(&cli.data_dir).await?;
            let citizen = OwnedUserId::try_from(citizen.as_str()).context("citizen")?;
            let room_id = client.open_request_room(&citizen, request).await?;
            print_json(&serde_json::json!({ "room_id": room_id }));
        }
        Command::SendPrompt { room, file } => {
            let client = restore(&cli.data_dir).await?;
            let spec = g2c_authority::prompt_spec::PromptSpec::from_json(&read(&file)?)?;
            let prompt = spec.to_prompt(Language::De)?;
            let event_id = client.send_prompt(&room_id(&room)?, prompt, None).await?;
            print_json(&serde_json::json!({ "event_id": event_id }));
        }
        Command::SetStatus { room, status, note } => {
            let client = restore(&cli.data_dir).await?;
            let content = StatusEventContent {
                status: parse_status(&status)?,
                note,
            };
            let event_id = client.set_status(&room_id(&room)?, content).await?;
            print_json(&serde_json::json!({ "event_id": event_id }));
        }
        Command::PublishCertificate { room, chain, key } => {
            let client = restore(&cli.data_dir).await?;
            let certificate = read_certificate(&chain, &key)?;
            let key_id = client
                .publish_certificate(&room_id(&room)?, &certificate)
                .await?;
            print_json(&serde_json::json!({ "key_id": key_id }));
        }
        Command::SendNotice {
            room,
            content,
            attachments,
            mimetype,
            require_attestation,
            attestation_jwks,
        } => {
            let client = restore(&cli.data_dir).await?;
            let content: serde_json::Value = read_structured(&content)?;
            let notice = notice_from_json(&content)?;
            let files = attachments
                .iter()
                .map(|path| attachment(path, mimetype.as_deref()))
                .collect::<Result<Vec<_>>>()?;
            let event_id = match (require_attestation, attestation_jwks) {
                (Some(issuer), Some(jwks)) => {
                    let verifier = attestation_verifier(&issuer, &jwks)?;
                    client
                        .send_notice_to_attested(&room_id(&room)?, notice, &files, None, &verifier)
                        .await?
                }
                _ => {
                    client
                        .send_notice(&room_id(&room)?, notice, &files, None)
                        .await?
                }
            };
            print_json(&serde_json::json!({ "event_id": event_id }));
        }
        Command::ConfirmDocuments { room, submission } => {
            let client = restore(&cli.data_dir).await?;
            let submission = OwnedEventId::try_from(submission.as_str()).context("submission")?;
            let done = client
                .confirm_documents(&room_id(&room)?, &submission)
                .await?;
            print_json(&serde_json::json!({
                "event_id": done.receipt_event_id,
                "received_sha256": done.receipt.received_sha256,
                "failed": done.failed.len(),
            }));
        }
        Command::Watch { count } => {
            let client = restore(&cli.data_dir).await?;
            let mut stream = client.answers();
            let mut printed = 0usize;
            // Runs until interrupted (SIGINT/SIGTERM end the process; the
            // store is transactional) or until `count` lines are printed.
            while count.is_none_or(|n| printed < n) {
                match stream.next().await {
                    Some(item) => {
                        print_line(&item);
                        printed += 1;
                    }
                    None => bail!("the sync loop stopped"),
                }
            }
        }
        Command::RunScenario {
            file,
            citizen,
            room,
            timeout_secs,
            certificate,
            certificate_key,
            require_attestation,
            attestation_jwks,
        } => {
            let scenario = Scenario::from_path(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let certificate = match (certificate, certificate_key) {
                (Some(chain), Some(key)) => {
                    Some(std::sync::Arc::new(read_certificate(&chain, &key)?))
                }
                _ => None,
            };
            let client = restore(&cli.data_dir).await?;
            let options = RunOptions {
                citizen: citizen
                    .map(|c| OwnedUserId::try_from(c.as_str()))
                    .transpose()
                    .context("citizen")?,
                room: room.as_deref().map(room_id).transpose()?,
                answer_timeout: timeout_secs.map(Duration::from_secs),
                certificate,
                require_attestation: match (require_attestation, attestation_jwks) {
                    (Some(issuer), Some(jwks)) => {
                        Some(std::sync::Arc::new(attestation_verifier(&issuer, &jwks)?))
                    }
                    _ => None,
                },
            };
            let outcome = run_scenario(&client, &scenario, options, print_line).await?;
            tracing::info!(
                room_id = ?outcome.room_id,
                answers = outcome.answers.len(),
                rejections = outcome.rejections.len(),
                receipts = outcome.receipts.len(),
                "scenario finished"
            );
        }
    }
    Ok(())
}

async fn restore(data_dir: &Path) -> Result<AuthorityClient> {
    AuthorityClient::restore(data_dir)
        .await
        .context("restoring the session")
}

fn read_password() -> Result<Zeroizing<String>> {
    if let Ok(password) = std::env::var("G2C_AUTHORITY_PASSWORD") {
        return Ok(Zeroizing::new(password));
    }
    let mut line = Zeroizing::new(String::new());
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let password = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
    if password.is_empty() {
        bail!("no password: set G2C_AUTHORITY_PASSWORD or pipe it on stdin");
    }
    Ok(password)
}

/// The verifier of the login service `issuer`'s attestations, with its
/// JWKS from the file `jwks`.
fn attestation_verifier(
    issuer: &str,
    jwks: &Path,
) -> Result<g2c_authority::trust::AttestationVerifier> {
    let jwks =
        std::fs::read_to_string(jwks).with_context(|| format!("reading {}", jwks.display()))?;
    Ok(g2c_authority::trust::AttestationVerifier::new(
        issuer, &jwks,
    )?)
}

/// The certificate chain (PEM) and its PKCS#8 key (read into zeroizing
/// memory and dropped once parsed).
fn read_certificate(
    chain: &Path,
    key: &Path,
) -> Result<g2c_authority::certificate::MasterKeyCertificate> {
    let chain_pem =
        std::fs::read_to_string(chain).with_context(|| format!("reading {}", chain.display()))?;
    let key_pem = Zeroizing::new(
        std::fs::read_to_string(key).with_context(|| format!("reading {}", key.display()))?,
    );
    Ok(g2c_authority::certificate::MasterKeyCertificate::from_pem(
        &chain_pem, &key_pem,
    )?)
}

fn room_id(room: &str) -> Result<OwnedRoomId> {
    OwnedRoomId::try_from(room).context("room id")
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Reads JSON (`.json`) or TOML (anything else).
fn read_structured<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = read(path)?;
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    } else {
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }
}

/// The request with `--language` (if given) as its language, the tag
/// checked before anything is sent.
fn with_language(
    mut request: RequestEventContent,
    language: Option<String>,
) -> Result<RequestEventContent> {
    if let Some(language) = language {
        let tag = LanguageTag::new(language);
        tag.check("--language")?;
        request.language = Some(tag);
    }
    Ok(request)
}

fn attachment(path: &Path, mimetype: Option<&str>) -> Result<Attachment> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let is_pdf = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
    let mimetype = match (mimetype, is_pdf) {
        (Some(m), _) => m.to_owned(),
        (None, true) => "application/pdf".to_owned(),
        (None, false) => bail!("{}: give --mimetype", path.display()),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .context("attachment without a file name")?;
    Ok(Attachment {
        name,
        mimetype,
        bytes,
    })
}

fn print_line(item: &Incoming) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", item.to_json_line());
    let _ = out.flush();
}

fn print_json(value: &serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> RequestEventContent {
        serde_json::from_value(serde_json::json!({
            "service_name": "Fishing licence",
            "authority_name": "Fischereiamt Berlin",
            "reference_number": "FA-1",
            "submitted_at": "2025-09-01T10:15:00+02:00",
        }))
        .unwrap()
    }

    #[test]
    fn open_room_language_is_optional_and_checked() {
        let cli = Cli::try_parse_from([
            "g2c-authority",
            "open-room",
            "--citizen",
            "@erika:example.org",
            "--request",
            "request.json",
            "--language",
            "en-GB",
        ])
        .unwrap();
        let Command::OpenRoom { language, .. } = cli.command else {
            panic!("not open-room");
        };
        assert_eq!(language.as_deref(), Some("en-GB"));

        assert_eq!(with_language(request(), None).unwrap().language, None);
        assert_eq!(
            with_language(request(), language)
                .unwrap()
                .language_or_default(),
            "en-GB"
        );
        assert!(with_language(request(), Some("english (uk)".into())).is_err());
    }
}
