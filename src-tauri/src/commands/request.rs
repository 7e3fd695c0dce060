//! The request page's commands: thin adapters from the UI's intents (read a
//! request, answer a prompt, pick and submit documents, acknowledge a
//! notice, retry or cancel a queued answer, open an attachment) to
//! `g2c_core`'s request API, and from core types to the IPC DTOs.
//!
//! The mapping is where the "nothing secret crosses" rule is enforced for
//! this page: core's model already carries no media URIs or keys, and the
//! DTOs have no field that could hold one.

use std::path::PathBuf;

use base64::Engine as _;
use g2c_core::documents::{DocumentError, PreparedDocument};
use g2c_core::request_page::{
    Answer, AnswerContent, AnswerSendState, Attachment, CannotDisplayReason, DocumentCheck,
    DocumentRefusal, Party, PromptContent, PromptItem, PromptStatus, RequestDetail,
    TimelineContent, TimelineItem,
};
use g2c_core::{CitizenClient, CoreError, CoreEvent, OutgoingMessage};
use tauri::{Emitter as _, State};

use super::{command_error, status_dto};
use crate::config::TrustRoots;
use crate::ipc::AuthorityTrustDto;
use crate::ipc::{
    AnswerContentDto, AnswerDto, AnswerSendStateDto, AppointmentSlotDto, AttachmentDto,
    CannotDisplayReasonDto, ChoiceOptionDto, CommandError, DocumentFilesDto, DocumentRefusalDto,
    NormalisationDto, NoticeKindDto, PartyDto, PreparedFileDto, PromptContentDto, PromptDto,
    PromptStateDto, QueuedAnswerDto, REQUEST_CHANGED, RequestChanged, RequestDetailDto,
    RequestedDocumentDto, StatusChangeDto, SubmittedDocumentDto, SubmittedFileDto,
    TimelineContentDto, TimelineItemDto,
};
use crate::session::Core;

/// In builds with the `dev-login` feature only: `pick_documents` returns
/// these paths (separated like `PATH`) instead of opening the native
/// dialog, which WebDriver cannot see.
#[cfg(feature = "dev-login")]
pub const TEST_PICK_PATHS_ENV: &str = "AMTSBOTE_TEST_PICK_PATHS";

/// The request's page: metadata, status history and timeline.
#[tauri::command]
pub async fn get_request(
    core: State<'_, Core>,
    roots: State<'_, TrustRoots>,
    room_id: String,
) -> Result<RequestDetailDto, CommandError> {
    with_client(&core, async |client| {
        let detail = client.request_detail(&room_id).await?;
        let trust = super::trust::authority_trust(client, &roots, &room_id).await;
        Ok(detail_dto(detail, trust))
    })
    .await
}

/// Answers an inquiry with text (queued; sent when possible).
#[tauri::command]
pub async fn answer_inquiry(
    core: State<'_, Core>,
    room_id: String,
    prompt_event_id: String,
    text: String,
) -> Result<QueuedAnswerDto, CommandError> {
    with_client(&core, async |client| {
        client
            .answer_inquiry(&room_id, &prompt_event_id, &text)
            .await
            .map(queued)
    })
    .await
}

/// Selects an appointment slot; `slot_id: null` answers "none of these".
#[tauri::command]
pub async fn select_appointment(
    core: State<'_, Core>,
    room_id: String,
    prompt_event_id: String,
    slot_id: Option<String>,
) -> Result<QueuedAnswerDto, CommandError> {
    with_client(&core, async |client| {
        client
            .select_appointment(&room_id, &prompt_event_id, slot_id.as_deref())
            .await
            .map(queued)
    })
    .await
}

/// Selects one option (single choice) or several (multiple choice).
#[tauri::command]
pub async fn select_choice(
    core: State<'_, Core>,
    room_id: String,
    prompt_event_id: String,
    option_ids: Vec<String>,
) -> Result<QueuedAnswerDto, CommandError> {
    with_client(&core, async |client| {
        client
            .select_choice(&room_id, &prompt_event_id, &option_ids)
            .await
            .map(queued)
    })
    .await
}

/// Checks and normalises picked files for one requested document and
/// describes the result; nothing is uploaded.
#[tauri::command]
pub async fn prepare_documents(
    core: State<'_, Core>,
    room_id: String,
    prompt_event_id: String,
    document_id: String,
    paths: Vec<String>,
) -> Result<Vec<PreparedFileDto>, CommandError> {
    let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
    with_client(&core, async |client| {
        client
            .prepare_documents(&room_id, &prompt_event_id, &document_id, &paths)
            .await
            .map(|checks| checks.into_iter().map(prepared_dto).collect())
    })
    .await
}

/// Normalises the files and hands them to core's document outbox (kept
/// encrypted in the local store), which uploads them and queues the
/// submission, now or when the network returns. Offline the returned
/// transaction id is the outbox's, which `retry_send` and `cancel_send`
/// accept like any other.
#[tauri::command]
pub async fn submit_documents(
    core: State<'_, Core>,
    room_id: String,
    prompt_event_id: String,
    documents: Vec<DocumentFilesDto>,
) -> Result<QueuedAnswerDto, CommandError> {
    let documents: Vec<(String, Vec<PathBuf>)> = documents
        .into_iter()
        .map(|d| {
            (
                d.document_id,
                d.paths.into_iter().map(PathBuf::from).collect(),
            )
        })
        .collect();
    with_client(&core, async |client| {
        client
            .submit_documents(&room_id, &prompt_event_id, &documents)
            .await
            .map(queued)
    })
    .await
}

/// Acknowledges receipt of a notice (with the hashes of its attachments as
/// downloaded and checked).
#[tauri::command]
pub async fn acknowledge_notice(
    core: State<'_, Core>,
    room_id: String,
    prompt_event_id: String,
) -> Result<QueuedAnswerDto, CommandError> {
    with_client(&core, async |client| {
        client
            .acknowledge_notice(&room_id, &prompt_event_id)
            .await
            .map(queued)
    })
    .await
}

/// Sends a failed answer again.
#[tauri::command]
pub async fn retry_send(
    core: State<'_, Core>,
    room_id: String,
    transaction_id: String,
) -> Result<(), CommandError> {
    with_client(&core, async |client| {
        client.retry_send(&room_id, &transaction_id).await
    })
    .await
}

/// Withdraws an answer that was not sent yet; `false` if it had been sent.
#[tauri::command]
pub async fn cancel_send(
    core: State<'_, Core>,
    room_id: String,
    transaction_id: String,
) -> Result<bool, CommandError> {
    with_client(&core, async |client| {
        client.cancel_send(&room_id, &transaction_id).await
    })
    .await
}

/// Downloads, decrypts and checks a notice's attachment into a private
/// temporary file, then opens it with the system's viewer.
#[tauri::command]
pub async fn open_attachment(
    core: State<'_, Core>,
    room_id: String,
    prompt_event_id: String,
    index: u32,
) -> Result<(), CommandError> {
    let index = usize::try_from(index).map_err(|_| CommandError::NotFound)?;
    let path = with_client(&core, async |client| {
        client
            .save_attachment_for_viewing(&room_id, &prompt_event_id, index)
            .await
    })
    .await?;
    open::that_detached(&path).map_err(|error| {
        tracing::warn!(%error, "could not open the attachment with the system viewer");
        CommandError::OpenFailed
    })
}

/// Lets the citizen pick documents with the native file dialog (images and
/// PDFs); the paths picked, empty if cancelled.
#[tauri::command]
pub async fn pick_documents(title: String) -> Result<Vec<String>, CommandError> {
    #[cfg(feature = "dev-login")]
    if let Some(paths) = std::env::var_os(TEST_PICK_PATHS_ENV) {
        return Ok(std::env::split_paths(&paths)
            .map(|p| p.to_string_lossy().into_owned())
            .collect());
    }
    let picked = rfd::AsyncFileDialog::new()
        .set_title(title)
        .add_filter(
            "PDF, JPEG, PNG, WebP",
            &["pdf", "jpg", "jpeg", "png", "webp"],
        )
        .pick_files()
        .await
        .unwrap_or_default();
    Ok(picked
        .into_iter()
        .map(|file| file.path().to_string_lossy().into_owned())
        .collect())
}

/// Emits `request-changed` for the room a core event concerns: new events
/// in it, or a queued answer's send state changed. Called by the session's
/// event forwarder.
pub fn notify_request_changed<R: tauri::Runtime>(app: &tauri::AppHandle<R>, event: &CoreEvent) {
    let room_ids: Vec<&String> = match event {
        CoreEvent::RoomsChanged { room_ids } => room_ids.iter().collect(),
        CoreEvent::MessageReceived { room_id, .. }
        | CoreEvent::SendStateChanged { room_id, .. } => vec![room_id],
        _ => Vec::new(),
    };
    for room_id in room_ids {
        let payload = RequestChanged {
            room_id: room_id.clone(),
        };
        if let Err(error) = app.emit(REQUEST_CHANGED, payload) {
            tracing::warn!(%error, "could not emit request-changed");
        }
    }
}

/// Runs `f` with the logged-in client, mapping errors for the UI.
async fn with_client<T>(
    core: &Core,
    f: impl AsyncFnOnce(&CitizenClient) -> Result<T, CoreError>,
) -> Result<T, CommandError> {
    let slot = core.client().read().await;
    let client = slot.as_ref().ok_or(CommandError::NotLoggedIn)?;
    f(client).await.map_err(request_error)
}

/// Maps the request page's errors; the rest as every command does.
fn request_error(error: CoreError) -> CommandError {
    match error {
        CoreError::UnknownRoom { .. }
        | CoreError::UnknownPrompt { .. }
        | CoreError::UnknownTransaction { .. }
        | CoreError::UnknownAttachment => CommandError::NotFound,
        CoreError::PromptNotOpen { .. } => CommandError::PromptNotOpen,
        CoreError::InvalidAnswer(error) => {
            tracing::info!(%error, "answer refused");
            CommandError::InvalidAnswer {
                field: g2c_core::request_page::field_of(&error),
            }
        }
        CoreError::DocumentRefused { path, refusal } => CommandError::DocumentRefused {
            path: path.to_string_lossy().into_owned(),
            reason: refusal_dto(refusal),
        },
        CoreError::AttachmentMismatch => CommandError::AttachmentDamaged,
        CoreError::Matrix(_) => {
            tracing::warn!(%error, "request command failed");
            CommandError::Network
        }
        other => command_error(other),
    }
}

fn queued(outgoing: OutgoingMessage) -> QueuedAnswerDto {
    QueuedAnswerDto {
        transaction_id: outgoing.transaction_id().to_owned(),
    }
}

fn detail_dto(detail: RequestDetail, authority_trust: AuthorityTrustDto) -> RequestDetailDto {
    RequestDetailDto {
        room_id: detail.room_id,
        service: detail.metadata.service,
        authority: detail.metadata.authority,
        authority_trust,
        reference: detail.metadata.reference,
        submitted_at: detail.metadata.submitted_at,
        description: detail.metadata.description,
        language: detail.metadata.language,
        status: detail.status.as_ref().map(status_dto),
        status_history: detail
            .status_history
            .into_iter()
            .map(|s| StatusChangeDto {
                event_id: s.event_id,
                at_ms: s.at_ms,
                status: status_dto(&s.status),
                note: s.note,
            })
            .collect(),
        open_prompts: u32::try_from(detail.open_prompts).unwrap_or(u32::MAX),
        needs_action: detail.needs_action,
        timeline: detail.timeline.into_iter().map(item_dto).collect(),
        history_complete: detail.history_complete,
    }
}

fn item_dto(item: TimelineItem) -> TimelineItemDto {
    TimelineItemDto {
        key: item.event_id,
        at_ms: item.at_ms,
        from: match item.from {
            Party::Authority => PartyDto::Authority,
            Party::Citizen => PartyDto::Citizen,
        },
        content: match item.content {
            TimelineContent::StatusChange { status, note } => TimelineContentDto::StatusChange {
                status: status_dto(&status),
                note,
            },
            TimelineContent::Prompt(prompt) => TimelineContentDto::Prompt {
                prompt: prompt_dto(*prompt),
            },
            TimelineContent::DocumentsReceived {
                submission_event_id,
                received_sha256,
                missing_sha256,
                note,
            } => TimelineContentDto::DocumentsReceived {
                submission_event_id,
                received_sha256,
                missing_sha256,
                note,
            },
            TimelineContent::Message { body } => TimelineContentDto::Message { body },
            TimelineContent::CannotDisplay {
                reason,
                event_type,
                fallback,
            } => TimelineContentDto::CannotDisplay {
                reason: match reason {
                    CannotDisplayReason::Malformed => CannotDisplayReasonDto::Malformed,
                    CannotDisplayReason::UnsupportedVersion => {
                        CannotDisplayReasonDto::UnsupportedVersion
                    }
                    CannotDisplayReason::Undecryptable => CannotDisplayReasonDto::Undecryptable,
                    CannotDisplayReason::Rejected => CannotDisplayReasonDto::Rejected,
                },
                event_type,
                fallback,
            },
        },
    }
}

fn prompt_dto(prompt: PromptItem) -> PromptDto {
    PromptDto {
        event_id: prompt.event_id,
        state: match prompt.state {
            PromptStatus::Open => PromptStateDto::Open,
            PromptStatus::Answered => PromptStateDto::Answered,
            PromptStatus::Expired => PromptStateDto::Expired,
            PromptStatus::Superseded => PromptStateDto::Superseded,
            PromptStatus::Informational => PromptStateDto::Informational,
            PromptStatus::Closed => PromptStateDto::Closed,
        },
        superseded_by: prompt.superseded_by,
        expires_at: prompt.expires_at,
        content: prompt_content_dto(prompt.content),
        answer: prompt.answer.map(answer_dto),
    }
}

fn prompt_content_dto(content: PromptContent) -> PromptContentDto {
    match content {
        PromptContent::Inquiry {
            question,
            max_answer_length,
            attachments_allowed,
        } => PromptContentDto::Inquiry {
            question,
            max_answer_length: u32::try_from(max_answer_length).unwrap_or(u32::MAX),
            attachments_allowed,
        },
        PromptContent::AppointmentOffer {
            text,
            slots,
            none_of_the_above_allowed,
        } => PromptContentDto::AppointmentOffer {
            text,
            slots: slots
                .into_iter()
                .map(|s| AppointmentSlotDto {
                    id: s.id,
                    start: s.start,
                    end: s.end,
                    time_zone: s.time_zone,
                    local_date: s.local_date,
                    local_start: s.local_start,
                    local_end: s.local_end,
                    place: s.place,
                    address: s.address,
                })
                .collect(),
            none_of_the_above_allowed,
        },
        PromptContent::DocumentRequest { text, documents } => PromptContentDto::DocumentRequest {
            text,
            documents: documents
                .into_iter()
                .map(|d| RequestedDocumentDto {
                    id: d.id.as_str().to_owned(),
                    title: d.title,
                    description: d.description,
                    accepted_mimetypes: d
                        .accepted_mimetypes
                        .iter()
                        .map(|m| m.as_str().to_owned())
                        .collect(),
                    max_size: d.max_size,
                    required: d.required,
                })
                .collect(),
        },
        PromptContent::Choice {
            question,
            multiple,
            options,
        } => PromptContentDto::Choice {
            question,
            multiple,
            options: options
                .into_iter()
                .map(|o| ChoiceOptionDto {
                    id: o.id.as_str().to_owned(),
                    label: o.label,
                })
                .collect(),
        },
        PromptContent::Notice {
            decision,
            title,
            text,
            attachments,
            requires_acknowledgement,
        } => PromptContentDto::Notice {
            notice_kind: if decision {
                NoticeKindDto::Decision
            } else {
                NoticeKindDto::Notice
            },
            title,
            text,
            attachments: attachments.into_iter().map(attachment_dto).collect(),
            requires_acknowledgement,
        },
    }
}

fn answer_dto(answer: Answer) -> AnswerDto {
    AnswerDto {
        event_id: answer.event_id,
        transaction_id: answer.transaction_id,
        send_state: match answer.send_state {
            AnswerSendState::Sending => AnswerSendStateDto::Sending,
            AnswerSendState::WaitingForNetwork => AnswerSendStateDto::WaitingForNetwork,
            AnswerSendState::Failed => AnswerSendStateDto::Failed,
            AnswerSendState::Sent => AnswerSendStateDto::Sent,
        },
        content: match answer.content {
            AnswerContent::InquiryAnswer { text, attachments } => AnswerContentDto::InquiryAnswer {
                text,
                attachments: attachments.into_iter().map(attachment_dto).collect(),
            },
            AnswerContent::AppointmentSelection { slot_id } => {
                AnswerContentDto::AppointmentSelection { slot_id }
            }
            AnswerContent::DocumentsSubmission { documents } => {
                AnswerContentDto::DocumentsSubmission {
                    documents: documents
                        .into_iter()
                        .map(|d| SubmittedDocumentDto {
                            document_id: d.document_id,
                            files: d
                                .files
                                .into_iter()
                                .map(|(file, confirmed)| SubmittedFileDto {
                                    file: attachment_dto(file),
                                    confirmed,
                                })
                                .collect(),
                        })
                        .collect(),
                }
            }
            AnswerContent::ChoiceSelection { option_ids } => {
                AnswerContentDto::ChoiceSelection { option_ids }
            }
            AnswerContent::NoticeAcknowledgement { attachment_sha256 } => {
                AnswerContentDto::NoticeAcknowledgement { attachment_sha256 }
            }
        },
    }
}

fn attachment_dto(file: Attachment) -> AttachmentDto {
    AttachmentDto {
        index: u32::try_from(file.index).unwrap_or(u32::MAX),
        name: file.name,
        mimetype: file.mimetype,
        size: file.size,
        sha256: file.sha256,
    }
}

fn prepared_dto(check: DocumentCheck) -> PreparedFileDto {
    let path = check.path.to_string_lossy().into_owned();
    match check.outcome {
        Ok(prepared) => ready_dto(path, prepared),
        Err(refusal) => PreparedFileDto::Refused {
            path,
            file_name: check.file_name,
            reason: refusal_dto(refusal),
        },
    }
}

fn ready_dto(path: String, prepared: PreparedDocument) -> PreparedFileDto {
    let report = &prepared.normalisation;
    PreparedFileDto::Ready {
        path,
        file_name: prepared.file_name.clone(),
        mimetype: prepared.mime.to_owned(),
        size: prepared.size,
        sha256: prepared.sha256.clone(),
        thumbnail_data_url: prepared.thumbnail.as_ref().map(|jpeg| {
            format!(
                "data:image/jpeg;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(jpeg)
            )
        }),
        normalisation: NormalisationDto {
            original_size: report.original_size,
            original_dimensions: report.original_dimensions.map(|(w, h)| [w, h]),
            final_dimensions: report.final_dimensions.map(|(w, h)| [w, h]),
            rotated: report.rotated,
            metadata_removed: report.metadata_removed,
            reencoded: report.reencoded,
        },
    }
}

fn refusal_dto(refusal: DocumentRefusal) -> DocumentRefusalDto {
    match refusal {
        DocumentRefusal::Unreadable => DocumentRefusalDto::Unreadable,
        DocumentRefusal::Document(error) => match error {
            DocumentError::Empty => DocumentRefusalDto::Empty,
            DocumentError::Unsupported(detected) => {
                DocumentRefusalDto::UnsupportedType { detected }
            }
            DocumentError::Corrupt(_) => DocumentRefusalDto::Corrupt,
            DocumentError::TooLarge { limit } => DocumentRefusalDto::TooLarge {
                max_size: limit,
                size: limit.saturating_add(1),
            },
            DocumentError::DecompressionBomb => DocumentRefusalDto::ImageTooLarge,
        },
        DocumentRefusal::TooLarge { max_size, size } => {
            DocumentRefusalDto::TooLarge { max_size, size }
        }
        DocumentRefusal::TypeNotAccepted { mimetype, accepted } => {
            DocumentRefusalDto::TypeNotAccepted { mimetype, accepted }
        }
    }
}
