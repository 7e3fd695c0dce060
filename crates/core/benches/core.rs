//! Benchmarks of the citizen's Matrix core against a local Synapse (not a
//! test: it prints numbers and asserts no timing).
//!
//! ```text
//! scripts/with-keychain.sh cargo bench -p g2c-core --bench core -- \
//!     [--rooms 100] [--events 50] [--runs 10] [--offline-runs 3] [--memory-runs 3] \
//!     [--messages 200] [--updates 20] [--only cold,memory,decrypt,latency,sync] \
//!     [--keep-profile]
//! ```
//!
//! `--keep-profile` keeps the citizen's profile (store directory and
//! keychain entries; no logout at the end) and prints how to start one
//! cold start on it again, e.g. with a rebuilt binary and without a new
//! setup: `<bench binary> --child cold --profile-name NAME --data-dir DIR`
//! (under the same Secret Service session).
//!
//! Setup: a fresh Synapse (`g2c_testkit`), a citizen (`CitizenClient`,
//! password login, session in the keychain) and an authority
//! (`g2c_authority::AuthorityClient`). The authority opens `--rooms`
//! encrypted request rooms for the citizen (the citizen's sync loop joins
//! them) and sends `--events` encrypted events into each (one inquiry
//! prompt, the rest text messages); the setup waits until the citizen's
//! sync has decrypted every text message, then drops the citizen's client.
//!
//! Then, each phase on its own (see docs/benchmarks.md for the reading):
//!
//! 1. **cold**: in a fresh process per run, `CitizenClient::restore` from
//!    the store and keychain, then `rooms()` (the store's room list) and
//!    `requests()` (the overview the app's `list_requests` command shows),
//!    once with Synapse stopped (offline start) and once with it running.
//! 2. **memory**: in a fresh process per run, restore, one catch-up sync,
//!    `requests()`; `VmRSS` and `VmHWM` from `/proc/self/status`.
//! 3. **decrypt**: the rooms' encrypted events fetched raw with `/messages`,
//!    then only `Room::decrypt_event` timed, one event after the other
//!    (Megolm decryption plus the SDK's session lookup and sender checks).
//!    Also the whole back-pagination with decryption (`Room::messages`)
//!    against the same requests without decryption.
//! 4. **latency**: the citizen's sync loop runs (app defaults); the
//!    authority sends a text message; timed from just before the
//!    authority's `send` to `CoreEvent::MessageReceived` on the citizen's
//!    `subscribe()` stream. One message at a time.
//! 5. **sync**: classic `/sync` against simplified sliding sync (MSC4186,
//!    Synapse's native implementation) on plain matrix-sdk clients of the
//!    citizen (fresh devices), through a byte-counting TCP proxy: time and
//!    bytes of the initial sync and of an incremental update (one message
//!    in one room).
//!
//! Run it under `scripts/with-keychain.sh` (the session lives in the Secret
//! Service).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use g2c_authority::AuthorityClient;
use g2c_core::{CitizenClient, ConnectionState, CoreEvent, Profile, SecretString, SyncOptions};
use g2c_protocol::Language;
use g2c_protocol::datetime::Rfc3339;
use g2c_protocol::prompt::{InquiryEventContent, Prompt};
use g2c_protocol::request::RequestEventContent;
use g2c_testkit::{RegisteredUser, Synapse};
use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::api::client::filter::{FilterDefinition, LazyLoadOptions};
use matrix_sdk::ruma::api::client::message::get_message_events;
use matrix_sdk::ruma::api::client::sync::sync_events;
use matrix_sdk::ruma::api::client::sync::sync_events::v5;
use matrix_sdk::ruma::events::StateEventType;
use matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent;
use matrix_sdk::ruma::events::room::message::{
    OriginalSyncRoomMessageEvent, RoomMessageEventContent,
};
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{OwnedRoomId, RoomId, UInt, UserId};
use matrix_sdk::sliding_sync::Version;
use matrix_sdk::store::RoomLoadSettings;
use matrix_sdk::{Client, Room, SessionMeta, SessionTokens, SlidingSyncList, SlidingSyncMode};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, watch};

/// Requests in flight at once while setting up rooms and events.
const SETUP_CONCURRENCY: usize = 8;

/// The longest any single wait may take on a loaded machine.
const WAIT: Duration = Duration::from_secs(600);

/// Prefix of the one line a child process prints its result on.
const RESULT_PREFIX: &str = "BENCH-RESULT ";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

struct Options {
    rooms: usize,
    events: usize,
    runs: usize,
    offline_runs: usize,
    memory_runs: usize,
    messages: usize,
    updates: usize,
    phases: HashSet<String>,
    keep_profile: bool,
}

impl Options {
    fn parse(args: &[String]) -> Self {
        let value = |flag: &str| {
            args.iter()
                .position(|a| a == flag)
                .and_then(|i| args.get(i + 1))
                .and_then(|v| v.parse::<usize>().ok())
        };
        let phases = args
            .iter()
            .position(|a| a == "--only")
            .and_then(|i| args.get(i + 1))
            .map_or_else(
                || "cold,memory,decrypt,latency,sync".to_owned(),
                Clone::clone,
            );
        Self {
            rooms: value("--rooms").unwrap_or(100).max(1),
            events: value("--events").unwrap_or(50).max(2),
            runs: value("--runs").unwrap_or(10).max(1),
            offline_runs: value("--offline-runs").unwrap_or(3).max(1),
            memory_runs: value("--memory-runs").unwrap_or(3).max(1),
            messages: value("--messages").unwrap_or(200).max(1),
            updates: value("--updates").unwrap_or(20).max(1),
            phases: phases.split(',').map(str::to_owned).collect(),
            keep_profile: args.iter().any(|a| a == "--keep-profile"),
        }
    }

    fn runs(&self, phase: &str) -> bool {
        self.phases.contains(phase)
    }
}

// ---------------------------------------------------------------- statistics

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The nearest-rank percentile `p` (0–100) of `values`.
fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median(values: &[f64]) -> f64 {
    percentile(values, 50.0)
}

fn max(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::NAN, f64::max)
}

fn min(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::NAN, f64::min)
}

/// `VmRSS` and `VmHWM` of this process in MiB (Linux; `None` elsewhere).
fn memory_mib() -> Option<(f64, f64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

// ------------------------------------------------------------------- setup

/// The citizen's profile as a child process needs it.
struct CitizenProfile {
    name: String,
    data_dir: PathBuf,
}

impl CitizenProfile {
    fn profile(&self) -> Profile {
        Profile::new(self.name.clone(), &self.data_dir)
    }
}

struct Setup {
    synapse: Synapse,
    citizen_user: RegisteredUser,
    citizen: CitizenProfile,
    authority: AuthorityClient,
    room_ids: Vec<OwnedRoomId>,
    /// The citizen's profile directory first, then the authority's; removed
    /// when dropped.
    temp_dirs: Vec<tempfile::TempDir>,
}

fn request_metadata(i: usize) -> RequestEventContent {
    RequestEventContent {
        service_name: format!("Leistung {i}"),
        authority_name: "Bürgeramt Benchmark".into(),
        reference_number: format!("BENCH-{i:04}"),
        submitted_at: Rfc3339::new(format!("2026-11-{:02}T09:30:00+01:00", 1 + i % 28)),
        description: None,
        language: None,
    }
}

async fn wait_for_events(
    events: &mut broadcast::Receiver<CoreEvent>,
    what: &str,
    mut condition: impl FnMut(Option<&CoreEvent>) -> bool,
) -> Result<(), BoxError> {
    tokio::time::timeout(WAIT, async {
        if condition(None) {
            return Ok(());
        }
        loop {
            match events.recv().await {
                Ok(event) => {
                    if condition(Some(&event)) {
                        return Ok(());
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    if condition(None) {
                        return Ok(());
                    }
                }
                Err(broadcast::error::RecvError::Closed) => {
                    return Err(BoxError::from("event stream closed"));
                }
            }
        }
    })
    .await
    .map_err(|_| BoxError::from(format!("timed out waiting for {what}")))?
}

async fn setup(options: &Options) -> Result<Setup, BoxError> {
    let started = Instant::now();
    let synapse = Synapse::start().await?;
    let citizen_user = synapse.register_user("citizen").await?;
    let authority_user = synapse.register_user("amt").await?;

    let citizen_dir = tempfile::Builder::new()
        .prefix("g2c-core-bench-")
        .tempdir()?;
    let unique = citizen_dir
        .path()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let citizen_profile = CitizenProfile {
        name: format!("bench-{unique}"),
        data_dir: citizen_dir.path().to_owned(),
    };
    let citizen = CitizenClient::login_with_password(
        citizen_profile.profile(),
        synapse.base_url(),
        &citizen_user.user_id,
        &SecretString::new(citizen_user.password.clone()),
    )
    .await?;

    // Counts the authority's text messages the citizen's sync decrypted.
    let (received_tx, mut received) = watch::channel(0usize);
    let authority_id = authority_user.user_id.clone();
    citizen
        .matrix()
        .add_event_handler(move |event: OriginalSyncRoomMessageEvent| {
            let received_tx = received_tx.clone();
            let from_authority = event.sender.as_str() == authority_id;
            async move {
                if from_authority {
                    received_tx.send_modify(|n| *n += 1);
                }
            }
        });
    let mut citizen_events = citizen.subscribe();
    citizen.start_sync(SyncOptions::default());

    let authority_dir = tempfile::tempdir()?;
    let authority = AuthorityClient::login(
        synapse.base_url(),
        authority_dir.path(),
        &authority_user.localpart,
        &authority_user.password,
    )
    .await?;
    let citizen_id = UserId::parse(citizen_user.user_id.as_str())?;

    let rooms_started = Instant::now();
    let mut room_ids: Vec<(usize, OwnedRoomId)> = futures_util::stream::iter(0..options.rooms)
        .map(|i| {
            let authority = &authority;
            let citizen_id = &citizen_id;
            async move {
                authority
                    .open_request_room(citizen_id, request_metadata(i))
                    .await
                    .map(|room_id| (i, room_id))
            }
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    room_ids.sort_by_key(|(i, _)| *i);
    let room_ids: Vec<OwnedRoomId> = room_ids.into_iter().map(|(_, id)| id).collect();
    let expected_rooms = options.rooms;
    let matrix = citizen.matrix().clone();
    wait_for_events(&mut citizen_events, "the citizen joins every room", |_| {
        matrix.joined_rooms().len() >= expected_rooms
    })
    .await?;
    println!(
        "setup: {} rooms created and joined in {:.1} s",
        options.rooms,
        rooms_started.elapsed().as_secs_f64()
    );

    authority.sync_once(Duration::ZERO).await?;
    let events_started = Instant::now();
    let texts_per_room = options.events - 1;
    futures_util::stream::iter(room_ids.iter().enumerate())
        .map(|(i, room_id)| {
            let authority = &authority;
            async move {
                let inquiry = InquiryEventContent::new(
                    format!("Bitte nennen Sie Ihre Kundennummer für Vorgang {i}."),
                    Language::De,
                );
                authority
                    .send_prompt(room_id, Prompt::Inquiry(inquiry), None)
                    .await?;
                let room = authority
                    .matrix()
                    .get_room(room_id)
                    .ok_or_else(|| BoxError::from("authority lost a room"))?;
                for j in 0..texts_per_room {
                    room.send(RoomMessageEventContent::text_plain(format!(
                        "Nachricht {j} zu Vorgang {i}: Ihre Unterlagen sind eingegangen."
                    )))
                    .await?;
                }
                Ok::<_, BoxError>(())
            }
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<()>, _>>()?;
    println!(
        "setup: {} encrypted events sent in {:.1} s",
        options.rooms * options.events,
        events_started.elapsed().as_secs_f64()
    );
    let expected = options.rooms * texts_per_room;
    let all_received = tokio::time::timeout(WAIT, received.wait_for(|n| *n >= expected))
        .await
        .map(|result| result.map(|_| ()));
    if all_received.is_err() {
        return Err(format!(
            "the citizen decrypted only {} of {expected} messages",
            *received.borrow()
        )
        .into());
    }
    all_received??;
    println!(
        "setup: citizen synced and decrypted {expected} messages; setup took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    citizen.stop_sync();
    drop(citizen);

    Ok(Setup {
        synapse,
        citizen_user,
        citizen: citizen_profile,
        authority,
        room_ids,
        temp_dirs: vec![citizen_dir, authority_dir],
    })
}

// ------------------------------------------------------- child processes

/// Runs this binary again as `--child KIND` for the citizen's profile and
/// parses the JSON it prints.
fn run_child(kind: &str, citizen: &CitizenProfile) -> Result<serde_json::Value, BoxError> {
    let exe = std::env::current_exe()?;
    let started = Instant::now();
    let output = Command::new(exe)
        .args(["--child", kind, "--profile-name", &citizen.name])
        .arg("--data-dir")
        .arg(&citizen.data_dir)
        .stderr(std::process::Stdio::inherit())
        .output()?;
    let process_ms = ms(started.elapsed());
    if !output.status.success() {
        return Err(format!("child {kind} failed: {}", output.status).into());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix(RESULT_PREFIX))
        .ok_or("child printed no result")?;
    let mut value: serde_json::Value = serde_json::from_str(line)?;
    value["process_ms"] = serde_json::json!(process_ms);
    Ok(value)
}

fn child_main(args: &[String]) -> Result<(), BoxError> {
    let arg = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .ok_or_else(|| BoxError::from(format!("missing {flag}")))
    };
    let kind = arg("--child")?;
    let profile = Profile::new(arg("--profile-name")?, PathBuf::from(arg("--data-dir")?));
    let main_started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        match kind.as_str() {
            "cold" => cold_start_child(profile, main_started).await,
            "memory" => memory_child(profile).await,
            other => Err(BoxError::from(format!("unknown child {other}"))),
        }
    })?;
    println!("{RESULT_PREFIX}{result}");
    Ok(())
}

/// One cold start: restore, the store's room list, the request overview.
async fn cold_start_child(
    profile: Profile,
    main_started: Instant,
) -> Result<serde_json::Value, BoxError> {
    let started = Instant::now();
    let client = CitizenClient::restore(profile)
        .await?
        .ok_or("no session to restore")?;
    let restore = started.elapsed();
    let rooms = client.rooms();
    let rooms_ready = started.elapsed();
    let requests = client.requests().await?;
    let requests_ready = started.elapsed();
    let with_prompt = requests.iter().filter(|r| r.open_prompts > 0).count();
    let (rss, hwm) = memory_mib().unwrap_or((f64::NAN, f64::NAN));
    Ok(serde_json::json!({
        "runtime_ms": ms(started.duration_since(main_started)),
        "restore_ms": ms(restore),
        "rooms_ms": ms(rooms_ready),
        "requests_ms": ms(requests_ready),
        "rooms": rooms.len(),
        "requests": requests.len(),
        "requests_with_open_prompt": with_prompt,
        "rss_mib": rss,
        "hwm_mib": hwm,
    }))
}

/// Memory after restore, one catch-up sync and the request overview.
async fn memory_child(profile: Profile) -> Result<serde_json::Value, BoxError> {
    let (start_rss, _) = memory_mib().ok_or("no /proc/self/status")?;
    let client = CitizenClient::restore(profile)
        .await?
        .ok_or("no session to restore")?;
    let (restored_rss, _) = memory_mib().ok_or("no /proc/self/status")?;
    let mut events = client.subscribe();
    client.start_sync(SyncOptions::default());
    wait_for_events(&mut events, "the first sync", |event| {
        matches!(
            event,
            Some(CoreEvent::ConnectionChanged {
                state: ConnectionState::Connected
            })
        )
    })
    .await?;
    let (synced_rss, _) = memory_mib().ok_or("no /proc/self/status")?;
    let requests = client.requests().await?;
    let (overview_rss, hwm) = memory_mib().ok_or("no /proc/self/status")?;
    client.stop_sync();
    Ok(serde_json::json!({
        "start_rss_mib": start_rss,
        "restored_rss_mib": restored_rss,
        "synced_rss_mib": synced_rss,
        "overview_rss_mib": overview_rss,
        "hwm_mib": hwm,
        "requests": requests.len(),
    }))
}

// ----------------------------------------------------------------- phases

fn field(values: &[serde_json::Value], name: &str) -> Vec<f64> {
    values
        .iter()
        .filter_map(|v| v.get(name).and_then(serde_json::Value::as_f64))
        .collect()
}

fn print_cold(label: &str, runs: &[serde_json::Value]) {
    let line = |name: &str| {
        let values = field(runs, name);
        format!(
            "median {:8.1}  min {:8.1}  max {:8.1}",
            median(&values),
            min(&values),
            max(&values)
        )
    };
    println!("  {label} ({} runs, ms):", runs.len());
    println!("    restore()                 {}", line("restore_ms"));
    println!("    + rooms() (store list)    {}", line("rooms_ms"));
    println!("    + requests() (overview)   {}", line("requests_ms"));
    println!("    whole child process       {}", line("process_ms"));
    if let Some(first) = runs.first() {
        println!(
            "    rooms {}, requests {}, with open prompt {}, VmRSS {:.1} MiB, VmHWM {:.1} MiB",
            first["rooms"],
            first["requests"],
            first["requests_with_open_prompt"],
            median(&field(runs, "rss_mib")),
            median(&field(runs, "hwm_mib"))
        );
    }
}

async fn cold_start_phase(setup: &mut Setup, options: &Options) -> Result<(), BoxError> {
    println!(
        "\n## cold start (fresh process per run), load {}",
        load_average()
    );
    setup.synapse.stop()?;
    let mut offline = Vec::new();
    for _ in 0..options.offline_runs {
        offline.push(run_child("cold", &setup.citizen)?);
    }
    setup.synapse.resume().await?;
    let mut online = Vec::new();
    for _ in 0..options.runs {
        online.push(run_child("cold", &setup.citizen)?);
    }
    // The online runs stored every room's summary (their histories reach
    // the rooms' starts); offline again, the overview is a store read.
    setup.synapse.stop()?;
    let mut offline_stored = Vec::new();
    for _ in 0..options.offline_runs {
        offline_stored.push(run_child("cold", &setup.citizen)?);
    }
    setup.synapse.resume().await?;
    print_cold("offline (Synapse stopped)", &offline);
    print_cold("online (Synapse running)", &online);
    print_cold(
        "offline again, after the online runs (Synapse stopped)",
        &offline_stored,
    );
    println!("  load after: {}", load_average());
    Ok(())
}

fn memory_phase(setup: &Setup, options: &Options) -> Result<(), BoxError> {
    println!(
        "\n## resident memory (fresh process per run), load {}",
        load_average()
    );
    let mut runs = Vec::new();
    for _ in 0..options.memory_runs {
        runs.push(run_child("memory", &setup.citizen)?);
    }
    let line = |name: &str| {
        let values = field(&runs, name);
        format!("median {:7.1}  max {:7.1}", median(&values), max(&values))
    };
    println!("  {} runs, MiB:", runs.len());
    println!(
        "    VmRSS at process start        {}",
        line("start_rss_mib")
    );
    println!(
        "    VmRSS after restore()         {}",
        line("restored_rss_mib")
    );
    println!(
        "    VmRSS after catch-up sync     {}",
        line("synced_rss_mib")
    );
    println!(
        "    VmRSS after requests()        {}",
        line("overview_rss_mib")
    );
    println!("    VmHWM (peak)                  {}", line("hwm_mib"));
    Ok(())
}

/// Every event of `room`'s history, raw and undecrypted, with the time
/// the requests took.
async fn raw_history(
    client: &Client,
    room_id: &RoomId,
) -> Result<Vec<Raw<serde_json::Value>>, BoxError> {
    let mut events = Vec::new();
    let mut from: Option<String> = None;
    loop {
        let mut request = get_message_events::v3::Request::backward(room_id.to_owned());
        request.from = from.clone();
        request.limit = UInt::from(100u32);
        let response = client.send(request).await?;
        let done = response.chunk.is_empty() || response.end.is_none();
        events.extend(response.chunk.into_iter().map(Raw::cast_unchecked));
        if done {
            break;
        }
        from = response.end;
    }
    Ok(events)
}

/// Pages through `room`'s whole history with `Room::messages` (decrypting).
async fn decrypted_history(room: &Room) -> Result<(usize, usize), BoxError> {
    let mut decrypted = 0;
    let mut total = 0;
    let mut from: Option<String> = None;
    loop {
        let mut options = matrix_sdk::room::MessagesOptions::backward().from(from.as_deref());
        options.limit = UInt::from(100u32);
        let page = room.messages(options).await?;
        total += page.chunk.len();
        decrypted += page
            .chunk
            .iter()
            .filter(|e| e.encryption_info().is_some())
            .count();
        if page.chunk.is_empty() || page.end.is_none() {
            break;
        }
        from = page.end;
    }
    Ok((decrypted, total))
}

async fn decrypt_phase(setup: &Setup) -> Result<(), BoxError> {
    println!("\n## decryption, load {}", load_average());
    let client = CitizenClient::restore(setup.citizen.profile())
        .await?
        .ok_or("no session to restore")?;
    let matrix = client.matrix();

    let fetch_started = Instant::now();
    let mut encrypted: Vec<(Room, Raw<OriginalSyncRoomEncryptedEvent>)> = Vec::new();
    let mut fetched = 0;
    for room_id in &setup.room_ids {
        let room = matrix.get_room(room_id).ok_or("citizen lost a room")?;
        for raw in raw_history(matrix, room_id).await? {
            fetched += 1;
            if raw.get_field::<String>("type").ok().flatten().as_deref() == Some("m.room.encrypted")
            {
                encrypted.push((room.clone(), raw.cast_unchecked()));
            }
        }
    }
    let fetch = fetch_started.elapsed();

    let mut rates = Vec::new();
    let mut failed = 0;
    for round in 0..3 {
        let started = Instant::now();
        let mut ok = 0usize;
        for (room, raw) in &encrypted {
            let event = room.decrypt_event(raw, None).await?;
            if event.encryption_info().is_some() {
                ok += 1;
            }
        }
        let elapsed = started.elapsed();
        if round == 0 {
            failed = encrypted.len() - ok;
        }
        #[allow(clippy::cast_precision_loss)]
        rates.push(ok as f64 / elapsed.as_secs_f64());
        println!(
            "  round {round}: {ok} of {} events decrypted in {:.1} ms ({:.0} events/s, {:.3} ms/event)",
            encrypted.len(),
            ms(elapsed),
            rates[round],
            ms(elapsed) / f64::from(u32::try_from(ok.max(1)).unwrap_or(u32::MAX))
        );
    }
    println!(
        "  Room::decrypt_event: median {:.0} events/s over 3 rounds ({failed} undecryptable)",
        median(&rates)
    );

    let paginate_started = Instant::now();
    let mut decrypted = 0;
    let mut total = 0;
    for room_id in &setup.room_ids {
        let room = matrix.get_room(room_id).ok_or("citizen lost a room")?;
        let (d, t) = decrypted_history(&room).await?;
        decrypted += d;
        total += t;
    }
    let paginate = paginate_started.elapsed();
    println!(
        "  /messages raw, all rooms:          {fetched} events in {:.1} ms",
        ms(fetch)
    );
    #[allow(clippy::cast_precision_loss)]
    let rate = decrypted as f64 / paginate.as_secs_f64();
    println!(
        "  Room::messages (decrypting), all:  {total} events ({decrypted} decrypted) in {:.1} ms ({rate:.0} decrypted events/s incl. network)",
        ms(paginate)
    );
    Ok(())
}

async fn latency_phase(setup: &Setup, options: &Options) -> Result<(), BoxError> {
    println!("\n## latency, load {}", load_average());
    let client = CitizenClient::restore(setup.citizen.profile())
        .await?
        .ok_or("no session to restore")?;
    let mut events = client.subscribe();
    client.start_sync(SyncOptions::default());
    wait_for_events(&mut events, "the first sync", |event| {
        matches!(
            event,
            Some(CoreEvent::ConnectionChanged {
                state: ConnectionState::Connected
            })
        )
    })
    .await?;
    let room_id = setup.room_ids[0].clone();
    let room = setup
        .authority
        .matrix()
        .get_room(&room_id)
        .ok_or("authority lost a room")?;
    let warm_up = 5;
    let mut deliveries = Vec::new();
    let mut send_returns = Vec::new();
    for i in 0..(warm_up + options.messages) {
        let body = format!("Latenzmessung {i}");
        let started = Instant::now();
        let send = {
            let room = room.clone();
            let body = body.clone();
            tokio::spawn(async move {
                room.send(RoomMessageEventContent::text_plain(body)).await?;
                Ok::<_, matrix_sdk::Error>(started.elapsed())
            })
        };
        let target = room_id.as_str();
        wait_for_events(&mut events, "the latency message", |event| {
            matches!(
                event,
                Some(CoreEvent::MessageReceived { room_id, body: Some(b), .. })
                    if room_id == target && *b == body
            )
        })
        .await?;
        let delivered = started.elapsed();
        let sent = send.await??;
        if i >= warm_up {
            deliveries.push(ms(delivered));
            send_returns.push(ms(sent));
        }
    }
    println!(
        "  {} messages (after {warm_up} warm-up), authority send -> citizen MessageReceived:",
        deliveries.len()
    );
    println!(
        "    delivery  p50 {:.1} ms  p95 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
        percentile(&deliveries, 50.0),
        percentile(&deliveries, 95.0),
        percentile(&deliveries, 99.0),
        max(&deliveries)
    );
    println!(
        "    (the authority's send() returned after p50 {:.1} ms, p95 {:.1} ms)",
        percentile(&send_returns, 50.0),
        percentile(&send_returns, 95.0)
    );
    client.stop_sync();
    Ok(())
}

// ------------------------------------------------------ classic vs sliding

/// Bytes through the proxy, both directions (HTTP headers included).
#[derive(Default)]
struct ByteCounter {
    to_client: AtomicU64,
    to_server: AtomicU64,
}

impl ByteCounter {
    fn take(&self) -> (u64, u64) {
        (
            self.to_client.swap(0, Ordering::SeqCst),
            self.to_server.swap(0, Ordering::SeqCst),
        )
    }
}

async fn copy_counting(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    counter: &AtomicU64,
) -> std::io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            return to.shutdown().await;
        }
        counter.fetch_add(n as u64, Ordering::SeqCst);
        to.write_all(&buf[..n]).await?;
    }
}

/// A TCP proxy on loopback to Synapse that counts the bytes it forwards.
async fn counting_proxy(target_port: u16) -> Result<(String, Arc<ByteCounter>), BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let counter = Arc::new(ByteCounter::default());
    let accept_counter = counter.clone();
    tokio::spawn(async move {
        while let Ok((inbound, _)) = listener.accept().await {
            let counter = accept_counter.clone();
            tokio::spawn(async move {
                let Ok(outbound) = TcpStream::connect(("127.0.0.1", target_port)).await else {
                    return;
                };
                let (in_read, in_write) = inbound.into_split();
                let (out_read, out_write) = outbound.into_split();
                let _ = tokio::join!(
                    copy_counting(in_read, out_write, &counter.to_server),
                    copy_counting(out_read, in_write, &counter.to_client),
                );
            });
        }
    });
    Ok((url, counter))
}

/// A plain matrix-sdk client of the citizen on a fresh device (SQLite
/// store, E2EE) that talks to `homeserver` (the proxy).
///
/// The device is logged in with a direct request to Synapse and restored
/// into the client: matrix-sdk's own login would switch the client to the
/// homeserver URL the login response advertises, past the proxy.
async fn plain_client(
    synapse: &Synapse,
    homeserver: &str,
    store: &Path,
    user: &RegisteredUser,
    device_name: &str,
) -> Result<Client, BoxError> {
    let login: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/_matrix/client/v3/login", synapse.base_url()))
        .json(&serde_json::json!({
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user.user_id},
            "password": user.password,
            "initial_device_display_name": device_name,
        }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let text = |name: &str| {
        login
            .get(name)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| BoxError::from(format!("login response without {name}")))
    };
    let session = MatrixSession {
        meta: SessionMeta {
            user_id: UserId::parse(text("user_id")?)?,
            device_id: text("device_id")?.into(),
        },
        tokens: SessionTokens {
            access_token: text("access_token")?,
            refresh_token: None,
        },
    };
    let client = Client::builder()
        .homeserver_url(homeserver)
        .sqlite_store(store, None)
        .build()
        .await?;
    client
        .matrix_auth()
        .restore_session(session, RoomLoadSettings::default())
        .await?;
    Ok(client)
}

#[derive(Default)]
struct SyncSample {
    ms: Vec<f64>,
    to_client: Vec<f64>,
    to_server: Vec<f64>,
    requests: Vec<f64>,
}

impl SyncSample {
    #[allow(clippy::cast_precision_loss)]
    fn push(&mut self, elapsed: Duration, bytes: (u64, u64), requests: usize) {
        self.ms.push(ms(elapsed));
        self.to_client.push(bytes.0 as f64);
        self.to_server.push(bytes.1 as f64);
        self.requests.push(requests as f64);
    }

    fn print(&self, label: &str) {
        println!(
            "    {label:<38} {:8.1} ms (max {:8.1})  {:9.0} B down  {:7.0} B up  {:.0} request(s)",
            median(&self.ms),
            max(&self.ms),
            median(&self.to_client),
            median(&self.to_server),
            median(&self.requests),
        );
    }
}

/// Classic `/sync`: without a filter (as the core syncs today) when
/// `timeline_limit` is `None`, else with a filter that limits the timeline
/// and lazy-loads members.
async fn classic_sync(
    setup: &Setup,
    proxy: &str,
    counter: &ByteCounter,
    options: &Options,
    timeline_limit: Option<u32>,
) -> Result<(), BoxError> {
    let base = match timeline_limit {
        None => SyncSettings::default(),
        Some(limit) => {
            let lazy = LazyLoadOptions::Enabled {
                include_redundant_members: false,
            };
            let mut filter = FilterDefinition::default();
            filter.room.timeline.limit = Some(UInt::from(limit));
            filter.room.timeline.lazy_load_options = lazy;
            filter.room.state.lazy_load_options = lazy;
            SyncSettings::default().filter(sync_events::v3::Filter::FilterDefinition(filter))
        }
    };
    let dir = tempfile::tempdir()?;
    let client = plain_client(
        &setup.synapse,
        proxy,
        dir.path(),
        &setup.citizen_user,
        "bench classic",
    )
    .await?;
    counter.take();
    let started = Instant::now();
    let response = client.sync_once(base.clone()).await?;
    let mut initial = SyncSample::default();
    initial.push(started.elapsed(), counter.take(), 1);
    let shape = timeline_limit.map_or_else(
        || "no filter, Synapse's default timeline limit 10".to_owned(),
        |limit| format!("filter: timeline limit {limit}, lazy-loaded members"),
    );
    println!(
        "  classic /sync ({shape}), {} joined rooms in the initial response:",
        response.rooms.joined.len()
    );
    initial.print("initial sync");

    let settings = base.timeout(Duration::from_secs(30));
    // Settle: the first incremental syncs carry the device's own key
    // uploads and device list changes.
    client
        .sync_once(settings.clone().timeout(Duration::ZERO))
        .await?;
    let mut updates = SyncSample::default();
    for i in 0..options.updates {
        let room_id = &setup.room_ids[i % setup.room_ids.len()];
        let room = setup
            .authority
            .matrix()
            .get_room(room_id)
            .ok_or("lost room")?;
        counter.take();
        let started = Instant::now();
        room.send(RoomMessageEventContent::text_plain(format!("Classic {i}")))
            .await?;
        let mut requests = 0;
        loop {
            requests += 1;
            let response = client.sync_once(settings.clone()).await?;
            if response
                .rooms
                .joined
                .get(room_id)
                .is_some_and(|r| !r.timeline.events.is_empty())
            {
                break;
            }
        }
        updates.push(started.elapsed(), counter.take(), requests);
    }
    updates.print(&format!("update, one message ({} runs)", options.updates));
    Ok(())
}

async fn sliding_sync(
    setup: &Setup,
    proxy: &str,
    counter: &ByteCounter,
    options: &Options,
    timeline_limit: u32,
) -> Result<(), BoxError> {
    let dir = tempfile::tempdir()?;
    let client = plain_client(
        &setup.synapse,
        proxy,
        dir.path(),
        &setup.citizen_user,
        "bench sliding",
    )
    .await?;
    let last = u32::try_from(setup.room_ids.len().saturating_sub(1))?;
    let list = SlidingSyncList::builder("requests")
        .sync_mode(SlidingSyncMode::new_selective().add_range(0..=last))
        .timeline_limit(timeline_limit)
        .required_state(vec![
            (StateEventType::RoomCreate, String::new()),
            (StateEventType::RoomEncryption, String::new()),
            (StateEventType::RoomName, String::new()),
            (StateEventType::RoomMember, "$LAZY".to_owned()),
            (StateEventType::RoomMember, "$ME".to_owned()),
            (
                StateEventType::from(g2c_protocol::event::REQUEST),
                String::new(),
            ),
            (
                StateEventType::from(g2c_protocol::event::STATUS),
                String::new(),
            ),
        ]);
    let sliding = client
        .sliding_sync("bench")?
        .version(Version::Native)
        .with_e2ee_extension(assign_enabled_e2ee())
        .with_to_device_extension(assign_enabled_to_device())
        .with_account_data_extension(assign_enabled_account_data())
        .poll_timeout(Duration::from_secs(30))
        .add_list(list)
        .build()
        .await?;
    counter.take();
    let started = Instant::now();
    let summary = sliding.sync_once().await?;
    let mut initial = SyncSample::default();
    initial.push(started.elapsed(), counter.take(), 1);
    println!(
        "  sliding sync (MSC4186, one list over all rooms, timeline_limit {timeline_limit}, e2ee + to-device + account data), {} rooms in the first response:",
        summary.rooms.iter().collect::<HashSet<_>>().len()
    );
    initial.print("initial sync");

    // Settle, as for classic sync.
    let settle = tokio::time::timeout(Duration::from_secs(2), sliding.sync_once()).await;
    if let Ok(result) = settle {
        result?;
    }
    let mut updates = SyncSample::default();
    for i in 0..options.updates {
        let room_id = &setup.room_ids[i % setup.room_ids.len()];
        let room = setup
            .authority
            .matrix()
            .get_room(room_id)
            .ok_or("lost room")?;
        counter.take();
        let started = Instant::now();
        room.send(RoomMessageEventContent::text_plain(format!("Sliding {i}")))
            .await?;
        let mut requests = 0;
        loop {
            requests += 1;
            let summary = sliding.sync_once().await?;
            if summary.rooms.contains(room_id) {
                break;
            }
        }
        updates.push(started.elapsed(), counter.take(), requests);
    }
    updates.print(&format!("update, one message ({} runs)", options.updates));
    Ok(())
}

fn assign_enabled_e2ee() -> v5::request::E2EE {
    let mut e2ee = v5::request::E2EE::default();
    e2ee.enabled = Some(true);
    e2ee
}

fn assign_enabled_to_device() -> v5::request::ToDevice {
    let mut to_device = v5::request::ToDevice::default();
    to_device.enabled = Some(true);
    to_device
}

fn assign_enabled_account_data() -> v5::request::AccountData {
    let mut account_data = v5::request::AccountData::default();
    account_data.enabled = Some(true);
    account_data
}

async fn sync_phase(setup: &Setup, options: &Options) -> Result<(), BoxError> {
    println!(
        "\n## classic vs sliding sync (fresh device each, through a byte-counting proxy), load {}",
        load_average()
    );
    let (proxy, counter) = counting_proxy(setup.synapse.port()).await?;
    classic_sync(setup, &proxy, &counter, options, None).await?;
    classic_sync(setup, &proxy, &counter, options, Some(1)).await?;
    for limit in [10, 1] {
        if let Err(error) = sliding_sync(setup, &proxy, &counter, options, limit).await {
            println!("  sliding sync (timeline_limit {limit}) failed: {error}");
        }
    }
    Ok(())
}

// -------------------------------------------------------------------- main

async fn run(options: Options) -> Result<(), BoxError> {
    println!(
        "g2c-core benchmark ({} build): {} rooms x {} events, load {}",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "optimised"
        },
        options.rooms,
        options.events,
        load_average()
    );
    let mut setup = setup(&options).await?;
    if options.runs("cold") {
        cold_start_phase(&mut setup, &options).await?;
    }
    if options.runs("memory") {
        memory_phase(&setup, &options)?;
    }
    if options.runs("decrypt") {
        decrypt_phase(&setup).await?;
    }
    if options.runs("latency") {
        latency_phase(&setup, &options).await?;
    }
    if options.runs("sync") {
        sync_phase(&setup, &options).await?;
    }
    println!("\nload at the end: {}", load_average());
    if options.keep_profile {
        let data_dir = setup.temp_dirs.remove(0).keep();
        println!(
            "kept profile: --child cold --profile-name {} --data-dir {}",
            setup.citizen.name,
            data_dir.display()
        );
        return Ok(());
    }
    // The citizen's keychain entries go with the profile's logout.
    if let Some(client) = CitizenClient::restore(setup.citizen.profile()).await? {
        client.logout().await?;
    }
    Ok(())
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--child") {
        return child_main(&args);
    }
    // `cargo bench` passes `--bench`; nothing else of libtest applies.
    let options = Options::parse(&args);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(options))
}
