//! Scenarios: a case played from a file (TOML or JSON), step by step.
//!
//! ```toml
//! name = "fishing-permit"
//! answer_timeout_secs = 300          # default bound for every wait
//!
//! [request]                          # the request metadata (state event)
//! service_name = "Angelschein"
//! authority_name = "Fischereiamt Berlin"
//! reference_number = "FA-B-2025-004711"
//! submitted_at = "2025-09-01T10:15:00+02:00"
//!
//! [[steps]]
//! action = "set_status"              # submitted → in_review → …
//! status = "in_review"
//!
//! [[steps]]
//! action = "send_prompt"             # inquiry | appointment_offer |
//! id = "question"                    # document_request | choice | notice
//! type = "inquiry"
//! content = { question = "…" }       # the content without `body`
//!
//! [[steps]]
//! action = "wait_for_answer"
//! prompt = "question"
//!
//! [[steps]]
//! action = "send_notice"             # with encrypted file attachments
//! id = "permit"
//! content = { notice_kind = "decision", title = "…", text = "…", requires_acknowledgement = true }
//! attachments = [{ path = "fishing-permit.pdf", mimetype = "application/pdf" }]
//!
//! [[steps]]
//! action = "confirm_documents"       # receipt for the answer to a document request
//! prompt = "id_card"
//! ```
//!
//! Attachment paths are relative to the scenario file. The room is opened
//! (with the metadata and `submitted`) before the first step, unless an
//! existing room is given. Every answer and rejection is handed to the
//! caller as it arrives; rejections never stop the run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use g2c_protocol::prompt::{NoticeEventContent, Prompt, PromptKind};
use g2c_protocol::request::{RequestEventContent, Status, StatusEventContent};
use g2c_protocol::{Language, Validate as _};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId};
use serde::{Deserialize, Serialize};

use crate::answer::{Answer, Incoming, Rejection};
use crate::certificate::MasterKeyCertificate;
use crate::client::{AuthorityClient, DocumentsConfirmation};
use crate::error::{AuthorityError, Result};
use crate::media::Attachment;
use crate::prompt_spec::{prompt_from_json, prompt_type};
use crate::trust::AttestationVerifier;

/// Largest attachment a scenario may load.
pub const MAX_ATTACHMENT_BYTES: u64 = 50 * 1024 * 1024;

/// Default bound for waiting on one answer.
const DEFAULT_ANSWER_TIMEOUT_SECS: u64 = 300;

/// A file to attach to a notice.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentSpec {
    /// The file, relative to the scenario file.
    pub path: PathBuf,
    /// The name shown to the citizen; the file name by default.
    #[serde(default)]
    pub name: Option<String>,
    /// Its MIME type; `application/pdf` for `.pdf` files by default.
    #[serde(default)]
    pub mimetype: Option<String>,
}

/// One step of a scenario.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Set the request's status.
    SetStatus {
        /// `submitted`, `in_review`, `action_required`, `decided`, `closed`.
        status: String,
        /// Optional note (required to reopen a decided request).
        #[serde(default)]
        note: Option<String>,
    },
    /// Send a prompt.
    SendPrompt {
        /// The step's name for the prompt, used by later steps and in answers.
        id: String,
        /// Prompt type (short name or full event type).
        #[serde(rename = "type")]
        prompt_type: String,
        /// The content without `body`.
        content: serde_json::Value,
    },
    /// Send a notice with encrypted attachments.
    SendNotice {
        /// The step's name for the notice.
        id: String,
        /// The notice content without `body` and `attachments`.
        content: serde_json::Value,
        /// Files to upload and attach.
        #[serde(default)]
        attachments: Vec<AttachmentSpec>,
    },
    /// Wait until the prompt named `prompt` has an accepted answer.
    WaitForAnswer {
        /// The prompt's step id.
        prompt: String,
        /// Bound for this wait; the scenario's default otherwise.
        #[serde(default)]
        timeout_secs: Option<u64>,
    },
    /// Confirm the documents submitted for the document request `prompt`
    /// (waits for its answer first).
    ConfirmDocuments {
        /// The document request's step id.
        prompt: String,
    },
}

/// A case to play.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A short name.
    pub name: String,
    /// What the case is about.
    #[serde(default)]
    pub description: Option<String>,
    /// The citizen to invite, unless given when running.
    #[serde(default)]
    pub citizen: Option<String>,
    /// Default bound for each wait, in seconds.
    #[serde(default)]
    pub answer_timeout_secs: Option<u64>,
    /// The request metadata.
    pub request: RequestEventContent,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Where relative paths are resolved (the file's directory).
    #[serde(skip)]
    pub base_dir: PathBuf,
}

impl Scenario {
    /// Reads a scenario file: `.json` as JSON, anything else as TOML.
    pub fn from_path(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| AuthorityError::io(path, e))?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            Self::from_json_str(&text, base)
        } else {
            Self::from_toml_str(&text, base)
        }
    }

    /// Parses TOML; relative paths resolve against `base_dir`.
    pub fn from_toml_str(text: &str, base_dir: impl Into<PathBuf>) -> Result<Self> {
        let mut scenario: Self =
            toml::from_str(text).map_err(|e| AuthorityError::Spec(format!("scenario: {e}")))?;
        scenario.base_dir = base_dir.into();
        scenario.check()?;
        Ok(scenario)
    }

    /// Parses JSON; relative paths resolve against `base_dir`.
    pub fn from_json_str(text: &str, base_dir: impl Into<PathBuf>) -> Result<Self> {
        let mut scenario: Self = serde_json::from_str(text)
            .map_err(|e| AuthorityError::Spec(format!("scenario: {e}")))?;
        scenario.base_dir = base_dir.into();
        scenario.check()?;
        Ok(scenario)
    }

    /// Checks the whole scenario before anything is sent: metadata and
    /// prompts valid, step ids unique, waits and confirmations name an
    /// earlier prompt of a fitting kind, attachments exist.
    pub fn check(&self) -> Result<()> {
        self.request.validate()?;
        let mut kinds: BTreeMap<&str, PromptKind> = BTreeMap::new();
        for (i, step) in self.steps.iter().enumerate() {
            let at = |msg: String| AuthorityError::Spec(format!("step {}: {msg}", i + 1));
            match step {
                Step::SetStatus { status, .. } => {
                    parse_status(status).map_err(|e| at(e.to_string()))?;
                }
                Step::SendPrompt {
                    id,
                    prompt_type,
                    content,
                } => {
                    let prompt = prompt_from_json(prompt_type, content.clone(), Language::De)
                        .map_err(|e| at(e.to_string()))?;
                    if kinds.insert(id, prompt.kind()).is_some() {
                        return Err(at(format!("duplicate id {id:?}")));
                    }
                }
                Step::SendNotice {
                    id,
                    content,
                    attachments,
                } => {
                    notice_from_json(content).map_err(|e| at(e.to_string()))?;
                    for spec in attachments {
                        let path = self.base_dir.join(&spec.path);
                        if !path.is_file() {
                            return Err(at(format!("attachment {} not found", path.display())));
                        }
                    }
                    if kinds.insert(id, PromptKind::Notice).is_some() {
                        return Err(at(format!("duplicate id {id:?}")));
                    }
                }
                Step::WaitForAnswer { prompt, .. } => {
                    if !kinds.contains_key(prompt.as_str()) {
                        return Err(at(format!(
                            "waits for {prompt:?}, which no earlier step sends"
                        )));
                    }
                }
                Step::ConfirmDocuments { prompt } => {
                    if kinds.get(prompt.as_str()) != Some(&PromptKind::DocumentRequest) {
                        return Err(at(format!(
                            "confirms {prompt:?}, which is no earlier document request"
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    fn timeout(&self, step: Option<u64>) -> Duration {
        Duration::from_secs(
            step.or(self.answer_timeout_secs)
                .unwrap_or(DEFAULT_ANSWER_TIMEOUT_SECS),
        )
    }

    fn load_attachment(&self, spec: &AttachmentSpec) -> Result<Attachment> {
        let path = self.base_dir.join(&spec.path);
        let meta = std::fs::metadata(&path).map_err(|e| AuthorityError::io(&path, e))?;
        if meta.len() > MAX_ATTACHMENT_BYTES {
            return Err(AuthorityError::Spec(format!(
                "{} is larger than {MAX_ATTACHMENT_BYTES} bytes",
                path.display()
            )));
        }
        let bytes = std::fs::read(&path).map_err(|e| AuthorityError::io(&path, e))?;
        let name = spec.name.clone().unwrap_or_else(|| {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "attachment".into())
        });
        let mimetype = match &spec.mimetype {
            Some(m) => m.clone(),
            None if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("pdf")) =>
            {
                "application/pdf".into()
            }
            None => {
                return Err(AuthorityError::Spec(format!(
                    "{}: give a mimetype",
                    path.display()
                )));
            }
        };
        Ok(Attachment {
            name,
            mimetype,
            bytes,
        })
    }
}

/// Parses a status name.
pub fn parse_status(name: &str) -> Result<Status> {
    let status = Status::from_wire(name);
    StatusEventContent::new(status.clone()).validate()?;
    Ok(status)
}

/// A notice from its content JSON (without `body`; attachments are added later).
pub fn notice_from_json(content: &serde_json::Value) -> Result<NoticeEventContent> {
    match prompt_from_json("notice", content.clone(), Language::De)? {
        Prompt::Notice(n) => Ok(n),
        _ => Err(AuthorityError::Spec("not a notice".into())),
    }
}

/// How to run a scenario.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// The citizen to invite (overrides the scenario's).
    pub citizen: Option<OwnedUserId>,
    /// Play into this existing room instead of opening one.
    pub room: Option<OwnedRoomId>,
    /// Overrides every wait's bound.
    pub answer_timeout: Option<Duration>,
    /// The authority's X.509 certificate: published in the room (signing
    /// the account's master key) before the first step, so the citizen's
    /// app verifies the authority.
    pub certificate: Option<Arc<MasterKeyCertificate>>,
    /// When set, notices go only to citizens attested by this login
    /// service's eID attestation (`send_notice_to_attested`); an
    /// unattested citizen ends the run with [`AuthorityError::NotAttested`]
    /// and the notice is not sent.
    pub require_attestation: Option<Arc<AttestationVerifier>>,
}

/// What a run produced.
#[derive(Clone, Debug, Default)]
pub struct ScenarioOutcome {
    /// The request room.
    pub room_id: Option<OwnedRoomId>,
    /// Step id → prompt event id.
    pub prompts: BTreeMap<String, OwnedEventId>,
    /// Every accepted answer, in arrival order.
    pub answers: Vec<Answer>,
    /// Every rejected event, in arrival order.
    pub rejections: Vec<Rejection>,
    /// Documents receipts sent.
    pub receipts: Vec<DocumentsConfirmation>,
}

impl ScenarioOutcome {
    fn answer_to(&self, prompt: &OwnedEventId) -> Option<&Answer> {
        self.answers.iter().find(|a| &a.prompt_event_id == prompt)
    }
}

/// Plays `scenario`; `on_incoming` sees every answer and rejection of the
/// room as it arrives (the CLI prints them as JSON lines).
pub async fn run_scenario(
    client: &AuthorityClient,
    scenario: &Scenario,
    options: RunOptions,
    mut on_incoming: impl FnMut(&Incoming),
) -> Result<ScenarioOutcome> {
    scenario.check()?;
    let mut stream = client.answers();
    let mut outcome = ScenarioOutcome::default();
    let room_id = match options.room {
        Some(room) => room,
        None => {
            let citizen = match (&options.citizen, &scenario.citizen) {
                (Some(c), _) => c.clone(),
                (None, Some(c)) => OwnedUserId::try_from(c.as_str())?,
                (None, None) => {
                    return Err(AuthorityError::Spec(
                        "no citizen: give one in the scenario or when running".into(),
                    ));
                }
            };
            client
                .open_request_room(&citizen, scenario.request.clone())
                .await?
        }
    };
    outcome.room_id = Some(room_id.clone());
    if let Some(certificate) = &options.certificate {
        let key_id = client.publish_certificate(&room_id, certificate).await?;
        tracing::info!(%room_id, %key_id, "certificate published");
    }
    tracing::info!(%room_id, scenario = %scenario.name, "playing scenario");

    for (i, step) in scenario.steps.iter().enumerate() {
        tracing::info!(step = i + 1, ?step, "step");
        match step {
            Step::SetStatus { status, note } => {
                let content = StatusEventContent {
                    status: parse_status(status)?,
                    note: note.clone(),
                };
                client.set_status(&room_id, content).await?;
            }
            Step::SendPrompt {
                id,
                prompt_type: ty,
                content,
            } => {
                prompt_type(ty)?;
                let prompt = prompt_from_json(ty, content.clone(), Language::De)?;
                let event_id = client.send_prompt(&room_id, prompt, Some(id)).await?;
                outcome.prompts.insert(id.clone(), event_id);
            }
            Step::SendNotice {
                id,
                content,
                attachments,
            } => {
                let notice = notice_from_json(content)?;
                let files = attachments
                    .iter()
                    .map(|spec| scenario.load_attachment(spec))
                    .collect::<Result<Vec<_>>>()?;
                let event_id = match &options.require_attestation {
                    Some(verifier) => {
                        client
                            .send_notice_to_attested(&room_id, notice, &files, Some(id), verifier)
                            .await?
                    }
                    None => {
                        client
                            .send_notice(&room_id, notice, &files, Some(id))
                            .await?
                    }
                };
                outcome.prompts.insert(id.clone(), event_id);
            }
            Step::WaitForAnswer {
                prompt,
                timeout_secs,
            } => {
                let target = outcome.prompts[prompt].clone();
                let bound = options
                    .answer_timeout
                    .unwrap_or_else(|| scenario.timeout(*timeout_secs));
                wait_for(
                    &mut stream,
                    &mut outcome,
                    &target,
                    prompt,
                    bound,
                    &mut on_incoming,
                )
                .await?;
            }
            Step::ConfirmDocuments { prompt } => {
                let target = outcome.prompts[prompt].clone();
                let bound = options
                    .answer_timeout
                    .unwrap_or_else(|| scenario.timeout(None));
                wait_for(
                    &mut stream,
                    &mut outcome,
                    &target,
                    prompt,
                    bound,
                    &mut on_incoming,
                )
                .await?;
                let submission = outcome
                    .answer_to(&target)
                    .map(|a| a.event_id.clone())
                    .ok_or_else(|| AuthorityError::StreamEnded("answer vanished".into()))?;
                let receipt = client.confirm_documents(&room_id, &submission).await?;
                outcome.receipts.push(receipt);
            }
        }
    }
    Ok(outcome)
}

/// Takes items from the stream until `target` has an accepted answer.
/// Items of the account's other rooms are passed on and recorded too: the
/// adapter sees everything its account receives.
async fn wait_for(
    stream: &mut crate::watch::AnswerStream,
    outcome: &mut ScenarioOutcome,
    target: &OwnedEventId,
    label: &str,
    bound: Duration,
    on_incoming: &mut impl FnMut(&Incoming),
) -> Result<()> {
    let deadline = tokio::time::Instant::now() + bound;
    while outcome.answer_to(target).is_none() {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let item = match stream.next_within(left).await {
            Ok(item) => item,
            Err(AuthorityError::Timeout { .. }) => {
                return Err(AuthorityError::Timeout {
                    what: format!("an answer to {label:?}"),
                    seconds: bound.as_secs(),
                });
            }
            Err(e) => return Err(e),
        };
        on_incoming(&item);
        match item {
            Incoming::Answer(a) => outcome.answers.push(a),
            Incoming::Rejected(r) => outcome.rejections.push(r),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Scenario {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/fishing-permit.toml");
        Scenario::from_path(&path).unwrap()
    }

    #[test]
    fn the_fishing_permit_case_parses_and_checks() {
        let scenario = shipped();
        assert_eq!(scenario.request.service_name, "Angelschein");
        assert_eq!(scenario.request.authority_name, "Fischereiamt Berlin");
        let statuses: Vec<&str> = scenario
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::SetStatus { status, .. } => Some(status.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(statuses, ["in_review", "action_required", "decided"]);
        let Some(Step::SendPrompt { content, .. }) = scenario
            .steps
            .iter()
            .find(|s| matches!(s, Step::SendPrompt { prompt_type, .. } if prompt_type == "appointment_offer"))
        else {
            panic!("no appointment offer");
        };
        let Prompt::AppointmentOffer(offer) =
            prompt_from_json("appointment_offer", content.clone(), Language::De).unwrap()
        else {
            panic!("not an offer");
        };
        assert!(offer.none_of_the_above_allowed);
        let body = &offer.fallback.body;
        for slot in ["19.09.2025 09:00", "21.09.2025 12:00", "22.09.2025 14:00"] {
            assert!(body.contains(slot), "{slot} missing in {body}");
        }
        let attachment = scenario
            .steps
            .iter()
            .find_map(|s| match s {
                Step::SendNotice { attachments, .. } => attachments.first(),
                _ => None,
            })
            .unwrap();
        let file = scenario.load_attachment(attachment).unwrap();
        assert!(file.bytes.starts_with(b"%PDF-1.4") && file.bytes.ends_with(b"%%EOF\n"));
        assert!(file.bytes.len() < 2048);
    }

    #[test]
    fn broken_scenarios_are_refused_before_anything_is_sent() {
        let head = r#"
name = "x"
[request]
service_name = "Angelschein"
authority_name = "Fischereiamt Berlin"
reference_number = "1"
submitted_at = "2025-09-01T10:15:00+02:00"
"#;
        let wait_first =
            format!("{head}\n[[steps]]\naction = \"wait_for_answer\"\nprompt = \"q\"\n");
        assert!(Scenario::from_toml_str(&wait_first, ".").is_err());
        let bad_status =
            format!("{head}\n[[steps]]\naction = \"set_status\"\nstatus = \"approved\"\n");
        assert!(Scenario::from_toml_str(&bad_status, ".").is_err());
        let typo = format!(
            "{head}\n[[steps]]\naction = \"set_status\"\nstatus = \"decided\"\nnotes = \"x\"\n"
        );
        assert!(Scenario::from_toml_str(&typo, ".").is_err());
        let confirm_inquiry = format!(
            "{head}\n[[steps]]\naction = \"send_prompt\"\nid = \"q\"\ntype = \"inquiry\"\ncontent = {{ question = \"?\" }}\n\
             [[steps]]\naction = \"confirm_documents\"\nprompt = \"q\"\n"
        );
        assert!(Scenario::from_toml_str(&confirm_inquiry, ".").is_err());
        let ok = format!(
            "{head}\n[[steps]]\naction = \"send_prompt\"\nid = \"q\"\ntype = \"inquiry\"\ncontent = {{ question = \"?\" }}\n\
             [[steps]]\naction = \"wait_for_answer\"\nprompt = \"q\"\n"
        );
        Scenario::from_toml_str(&ok, ".").unwrap();
    }
}
