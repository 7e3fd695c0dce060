//! `g2c-eid`: diagnosis of card readers and the German eID card (nPA).
//!
//! ```text
//! g2c-eid readers [--json]                  readers, card present, card type, keypad / PACE
//! g2c-eid info [--reader NAME] [--json]     PACE parameters (EF.CardAccess) and PIN status
//! g2c-eid pace --secret pin|can|puk [--reader NAME]
//!                                           PACE + one secure-messaging read, one JSON object
//! g2c-eid change-pin [--reader NAME]        old and new PIN from G2C_EID_SECRET /
//!                                           G2C_EID_NEW_SECRET or two stdin lines
//! ```
//!
//! Secrets come from `G2C_EID_SECRET` (and `G2C_EID_NEW_SECRET`) or one line
//! of stdin each; they are held in zeroizing buffers and never printed. Logs
//! go to stderr (`-v`, `-vv` or `RUST_LOG`). On failure the tool exits with 1
//! (2 for a usage error) and prints one line saying why.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Parser, Subcommand, ValueEnum};
use g2c_eid::card_access::{SecurityInfo, SecurityInfos};
use g2c_eid::pace::{self, Pace, PaceError, PaceParameters};
use g2c_eid::pin::{self, PinError, PinState};
use g2c_eid::reader::{PcscCard, ReaderContext};
use g2c_eid::secrets::{Can, Password, Pin, Puk};
use g2c_eid::sm::SecureChannel;
use g2c_eid::transport::CardTransport;
use serde::Serialize;
use tracing::{debug, info};

#[path = "g2c_eid/card.rs"]
mod card;
#[path = "g2c_eid/names.rs"]
mod names;
#[path = "g2c_eid/secret.rs"]
mod secret;

use card::{Pcsc, ReaderInfo};
use g2c_eid::read_file::FileRead;
use secret::SecretSource;

/// Environment variable holding the secret (PIN, CAN or PUK; the old PIN for change-pin).
const ENV_SECRET: &str = "G2C_EID_SECRET";
/// Environment variable holding the new PIN for change-pin.
const ENV_NEW_SECRET: &str = "G2C_EID_NEW_SECRET";

#[derive(Parser)]
#[command(
    name = "g2c-eid",
    version,
    about = "Diagnose card readers and the German eID card (nPA) over PC/SC"
)]
struct Cli {
    /// More log output on stderr (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lists the readers: card present, card type (by EF.CardAccess), keypad and PACE capability.
    Readers {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Shows the card's PACE parameters (EF.CardAccess) and the PIN status.
    Info {
        /// The reader (exact name or a unique part of it); default: the first with a card.
        #[arg(long)]
        reader: Option<String>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Runs PACE with the secret from G2C_EID_SECRET or stdin and reads EF.CardAccess over
    /// secure messaging; prints one JSON object.
    Pace {
        /// Which secret.
        #[arg(long, value_enum)]
        secret: SecretKind,
        /// The reader (exact name or a unique part of it); default: the first with a card.
        #[arg(long)]
        reader: Option<String>,
    },
    /// Changes the PIN (also the 5-digit transport PIN): old PIN from G2C_EID_SECRET or the
    /// first stdin line, new 6-digit PIN from G2C_EID_NEW_SECRET or the next line.
    ChangePin {
        /// The reader (exact name or a unique part of it); default: the first with a card.
        #[arg(long)]
        reader: Option<String>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
enum SecretKind {
    /// The 6-digit eID PIN (or the 5-digit transport PIN).
    Pin,
    /// The 6-digit card access number printed on the card.
    Can,
    /// The 10-digit PUK from the PIN letter.
    Puk,
}

impl SecretKind {
    fn label(self) -> &'static str {
        match self {
            Self::Pin => "PIN",
            Self::Can => "CAN",
            Self::Puk => "PUK",
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the context chain joined with ": ".
            let line = format!("{e:#}").replace(['\n', '\r'], " ");
            eprintln!("g2c-eid: {line}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Readers { json } => readers(json),
        Command::Info { reader, json } => info_cmd(reader.as_deref(), json),
        Command::Pace { secret, reader } => pace_cmd(secret, reader.as_deref()),
        Command::ChangePin { reader } => change_pin_cmd(reader.as_deref()),
    }
}

fn print_json(value: &impl Serialize) -> Result<()> {
    println!("{}", serde_json::to_string(value).context("JSON output")?);
    Ok(())
}

// ---------------------------------------------------------------- readers

#[derive(Serialize)]
struct ReadersReport {
    readers: Vec<ReaderReport>,
}

#[derive(Serialize)]
struct ReaderReport {
    name: String,
    card_present: bool,
    /// "eid" (EF.CardAccess with PACE), "other", "unknown" (could not be read), or null.
    card_type: Option<&'static str>,
    /// Why the card type is unknown or "other".
    card_detail: Option<String>,
    atr: Option<String>,
    /// The PACE protocols the card offers (EF.CardAccess).
    pace_protocols: Vec<String>,
    /// PC/SC part 10: whether the reader has a PIN pad; null if it could not be asked.
    keypad: Option<bool>,
    /// PC/SC part 10: whether the reader runs PACE itself (EXECUTE_PACE); null if unknown.
    reader_pace: Option<bool>,
    /// The part 10 feature names the reader announced.
    features: Vec<String>,
    /// Why the features are unknown.
    features_detail: Option<String>,
}

fn probe_card(pcsc: &Pcsc, reader: &ReaderInfo, report: &mut ReaderReport) {
    if reader.exclusive {
        report.card_type = Some("unknown");
        report.card_detail = Some("the card is in use by another program".into());
        return;
    }
    let mut card = match pcsc.connect_shared(&reader.name) {
        Ok(c) => c,
        Err(e) => {
            report.card_type = Some("unknown");
            report.card_detail = Some(format!("cannot connect: {e}"));
            return;
        }
    };
    match g2c_eid::read_file::read_card_access(|c| card.transmit(c)) {
        FileRead::Data(bytes) => match SecurityInfos::parse(&bytes) {
            Ok(infos) if infos.pace_infos().next().is_some() => {
                report.card_type = Some("eid");
                report.pace_protocols = infos.pace_infos().map(names::pace_info_summary).collect();
            }
            Ok(_) => {
                report.card_type = Some("other");
                report.card_detail = Some("EF.CardAccess names no PACE protocol".into());
            }
            Err(e) => {
                report.card_type = Some("other");
                report.card_detail = Some(format!("EF.CardAccess unreadable: {e}"));
            }
        },
        FileRead::Refused(sw) => {
            report.card_type = Some("other");
            report.card_detail = Some(format!("no EF.CardAccess (card answered {sw})"));
        }
        FileRead::Failed(e) => {
            report.card_type = Some("unknown");
            report.card_detail = Some(format!("reading EF.CardAccess failed: {e}"));
        }
    }
}

fn readers(json: bool) -> Result<()> {
    let pcsc = Pcsc::establish()?;
    let mut reports = Vec::new();
    for reader in pcsc.readers()? {
        let mut report = ReaderReport {
            name: reader.name.clone(),
            card_present: reader.card_present,
            card_type: None,
            card_detail: None,
            atr: (!reader.atr.is_empty() && reader.card_present).then(|| card::hex(&reader.atr)),
            pace_protocols: Vec::new(),
            keypad: None,
            reader_pace: None,
            features: Vec::new(),
            features_detail: None,
        };
        match pcsc.features(&reader.name) {
            Ok(features) => {
                report.keypad = Some(features.iter().any(|f| f.is_keypad()));
                report.reader_pace = Some(features.iter().any(|f| f.is_pace()));
                report.features = features.iter().map(|f| f.name()).collect();
            }
            Err(why) => report.features_detail = Some(why),
        }
        if reader.card_present {
            probe_card(&pcsc, &reader, &mut report);
        }
        debug!(reader = %report.name, card = ?report.card_type, "reader probed");
        reports.push(report);
    }
    if json {
        return print_json(&ReadersReport { readers: reports });
    }
    if reports.is_empty() {
        println!("No card reader found.");
    }
    let yes_no = |b: Option<bool>| match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    };
    for r in &reports {
        println!("{}", r.name);
        let card = match (r.card_present, r.card_type) {
            (false, _) => "no card".to_owned(),
            (true, Some("eid")) => "eID card (PACE)".to_owned(),
            (true, Some("other")) => "a card, not an eID card".to_owned(),
            (true, _) => "a card of unknown type".to_owned(),
        };
        println!("  card:      {card}");
        if let Some(detail) = &r.card_detail {
            println!("             {detail}");
        }
        for p in &r.pace_protocols {
            println!("  PACE:      {p}");
        }
        if let Some(atr) = &r.atr {
            println!("  ATR:       {atr}");
        }
        println!(
            "  keypad:    {}    reader PACE: {}",
            yes_no(r.keypad),
            yes_no(r.reader_pace)
        );
        match &r.features_detail {
            Some(why) => println!("  features:  unknown ({why})"),
            None if r.features.is_empty() => println!("  features:  none (PC/SC part 10)"),
            None => println!("  features:  {}", r.features.join(", ")),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- card access

/// An exclusive connection to the chosen reader's card, with its EF.CardAccess.
struct Session {
    reader: String,
    card: PcscCard,
    card_access: Vec<u8>,
    infos: SecurityInfos,
}

fn open_session(wanted: Option<&str>) -> Result<Session> {
    let pcsc = Pcsc::establish()?;
    let reader = card::choose_reader(&pcsc.readers()?, wanted)?;
    let context = ReaderContext::establish().context("smart card service")?;
    let mut card = context
        .connect(&reader.name)
        .with_context(|| format!("cannot connect to the card on '{}'", reader.name))?;
    let card_access = match g2c_eid::read_file::read_card_access(|c| card.transmit(c)) {
        FileRead::Data(bytes) => bytes,
        FileRead::Refused(sw) => {
            bail!("not an eID card: no EF.CardAccess (card answered {sw})")
        }
        FileRead::Failed(e) => return Err(anyhow!(e).context("reading EF.CardAccess failed")),
    };
    let infos = SecurityInfos::parse(&card_access)
        .context("not an eID card: EF.CardAccess is malformed")?;
    info!(reader = %reader.name, bytes = card_access.len(), "EF.CardAccess read");
    Ok(Session {
        reader: reader.name,
        card,
        card_access,
        infos,
    })
}

// ---------------------------------------------------------------- info

#[derive(Serialize)]
struct InfoReport {
    reader: String,
    card_access_bytes: usize,
    /// EF.CardAccess in hex (public data: it is readable without PACE).
    card_access: String,
    pace: Vec<names::PaceInfoReport>,
    /// The variant `pace` would use, if any is supported.
    selected: Option<names::ParametersReport>,
    other_security_infos: Vec<names::OtherInfoReport>,
    pin: PinReport,
}

#[derive(Serialize)]
struct PinReport {
    /// "operational", "suspended", "blocked", "puk-exhausted", "deactivated" or "unknown".
    state: &'static str,
    /// Tries left, if known.
    retries_left: Option<u8>,
    /// What to do, in plain English.
    advice: String,
}

fn pin_report(state: Result<PinState, PinError>) -> PinReport {
    match state {
        Ok(PinState::Operational(n)) => PinReport {
            state: "operational",
            retries_left: Some(n),
            advice: format!("the PIN can be used ({n} tries left)"),
        },
        Ok(PinState::Suspended) => PinReport {
            state: "suspended",
            retries_left: Some(1),
            advice: "one try left: enter the CAN first, then the PIN".into(),
        },
        Ok(PinState::Blocked) => PinReport {
            state: "blocked",
            retries_left: Some(0),
            advice: "the PIN is blocked: unblock it with the PUK".into(),
        },
        Ok(PinState::PukExhausted) => PinReport {
            state: "puk-exhausted",
            retries_left: Some(0),
            advice: "the PIN is blocked and the PUK is used up: only the citizens' office can help"
                .into(),
        },
        Ok(PinState::Deactivated) => PinReport {
            state: "deactivated",
            retries_left: None,
            advice: "the online-ID function is switched off".into(),
        },
        Err(e) => PinReport {
            state: "unknown",
            retries_left: None,
            advice: format!("the card did not tell: {e}"),
        },
    }
}

fn info_cmd(wanted: Option<&str>, json: bool) -> Result<()> {
    let mut session = open_session(wanted)?;
    let pace: Vec<_> = session
        .infos
        .pace_infos()
        .map(names::PaceInfoReport::from_info)
        .collect();
    if pace.is_empty() {
        bail!("not an eID card: EF.CardAccess names no PACE protocol");
    }
    let selected = PaceParameters::select(&session.infos);
    let other: Vec<_> = session
        .infos
        .infos
        .iter()
        .filter_map(|i| match i {
            SecurityInfo::Pace(_) => None,
            SecurityInfo::PaceDomainParameters { protocol, .. } => {
                Some(names::OtherInfoReport::new(protocol))
            }
            SecurityInfo::Unknown { protocol, .. } => Some(names::OtherInfoReport::new(protocol)),
        })
        .collect();
    let pin = match &selected {
        Ok(params) => pin_report(pin::pin_state(&mut session.card, params)),
        Err(e) => PinReport {
            state: "unknown",
            retries_left: None,
            advice: format!("no supported PACE variant to ask with: {e}"),
        },
    };
    let report = InfoReport {
        reader: session.reader.clone(),
        card_access_bytes: session.card_access.len(),
        card_access: card::hex(&session.card_access),
        pace,
        selected: selected.as_ref().ok().map(names::ParametersReport::new),
        other_security_infos: other,
        pin,
    };
    if json {
        return print_json(&report);
    }
    println!("Reader:        {}", report.reader);
    println!(
        "EF.CardAccess: {} bytes, {} PACE variant(s)",
        report.card_access_bytes,
        report.pace.len()
    );
    for p in &report.pace {
        let support = match &p.unsupported {
            None => "supported".to_owned(),
            Some(why) => format!("not supported: {why}"),
        };
        println!(
            "  PACE {} ({}) version {}, domain parameters {} ({}): {support}",
            p.protocol,
            p.protocol_oid,
            p.version,
            p.parameter_id_text(),
            p.curve_text()
        );
    }
    match &report.selected {
        Some(s) => println!(
            "Selected:      {} on {}, {} with {}-bit keys",
            s.protocol, s.curve, s.cipher, s.key_bits
        ),
        None => println!("Selected:      none (no supported PACE variant)"),
    }
    for o in &report.other_security_infos {
        println!("Also offered:  {} ({})", o.name, o.oid);
    }
    match report.pin.retries_left {
        Some(n) => println!("PIN:           {}, {n} tries left", report.pin.state),
        None => println!("PIN:           {}", report.pin.state),
    }
    println!("               {}", report.pin.advice);
    Ok(())
}

// ---------------------------------------------------------------- pace

#[derive(Serialize)]
struct PaceReport {
    reader: String,
    secret: SecretKind,
    protocol_oid: String,
    protocol: String,
    curve: &'static str,
    parameter_id: u32,
    cipher: &'static str,
    key_bits: usize,
    /// Tries left as MSE:Set AT reported them (63Cx), if it did.
    retries_left: Option<u8>,
    /// The file read over secure messaging.
    file: &'static str,
    file_bytes: usize,
    /// The file read over secure messaging equals the plain read.
    file_matches_plain_read: bool,
    /// PACE alone.
    pace_ms: f64,
    /// PACE plus the secure-messaging read.
    elapsed_ms: f64,
}

/// A one-line reason for a failed PACE, naming the secret.
fn pace_failure(kind: SecretKind, e: PaceError) -> anyhow::Error {
    let what = kind.label();
    match e {
        PaceError::WrongPassword {
            retries_left: Some(n),
        } if n > 0 => anyhow!("wrong {what}: {n} tries left"),
        PaceError::WrongPassword { .. } => anyhow!("wrong {what}: the card refused PACE"),
        PaceError::Blocked if kind == SecretKind::Puk => anyhow!("the PUK is used up"),
        PaceError::Blocked => anyhow!("the {what} is blocked (the PUK unblocks the PIN)"),
        PaceError::Suspended => {
            anyhow!("the PIN is suspended: PACE with the CAN must come first")
        }
        PaceError::Deactivated => anyhow!("the {what} is deactivated (online-ID function off)"),
        other => anyhow!("PACE with the {what} failed: {other}"),
    }
}

fn read_secret(
    kind: SecretKind,
    source: &mut SecretSource<impl std::io::BufRead>,
) -> Result<Secret> {
    let text = source.read(ENV_SECRET, kind.label())?;
    Ok(match kind {
        SecretKind::Pin => Secret::Pin(Pin::new(&text)?),
        SecretKind::Can => Secret::Can(Can::new(&text)?),
        SecretKind::Puk => Secret::Puk(Puk::new(&text)?),
    })
}

/// One of the secrets (each zeroized on drop).
enum Secret {
    Pin(Pin),
    Can(Can),
    Puk(Puk),
}

impl Secret {
    fn password(&self) -> Password<'_> {
        match self {
            Self::Pin(p) => Password::Pin(p),
            Self::Can(c) => Password::Can(c),
            Self::Puk(p) => Password::Puk(p),
        }
    }
}

fn pace_cmd(kind: SecretKind, wanted: Option<&str>) -> Result<()> {
    // The secret first: a missing or malformed one fails before the card is touched.
    let secret = read_secret(kind, &mut SecretSource::stdin())?;
    let mut session = open_session(wanted)?;
    let params = PaceParameters::select(&session.infos)
        .map_err(|e| anyhow!("the card offers no supported PACE variant: {e}"))?;
    let started = Instant::now();
    let pace = Pace::new(&params, secret.password(), None).map_err(|e| pace_failure(kind, e))?;
    let outcome = pace::establish(&mut session.card, pace).map_err(|e| pace_failure(kind, e))?;
    let pace_ms = ms(started);
    drop(secret);
    let retries_left = outcome.retries_left;
    let mut channel = SecureChannel::new(&mut session.card, outcome.keys);
    let read = g2c_eid::read_file::read_card_access(|c| channel.transmit(c));
    let elapsed_ms = ms(started);
    let bytes = match read {
        FileRead::Data(bytes) => bytes,
        FileRead::Refused(sw) => {
            bail!("reading EF.CardAccess over secure messaging: card answered {sw}")
        }
        FileRead::Failed(e) => {
            return Err(anyhow!(e).context("reading EF.CardAccess over secure messaging"));
        }
    };
    let matches = bytes == session.card_access;
    if !matches {
        bail!("EF.CardAccess read over secure messaging differs from the plain read");
    }
    let p = names::ParametersReport::new(&params);
    print_json(&PaceReport {
        reader: session.reader,
        secret: kind,
        protocol_oid: p.protocol_oid,
        protocol: p.protocol,
        curve: p.curve,
        parameter_id: p.parameter_id,
        cipher: p.cipher,
        key_bits: p.key_bits,
        retries_left,
        file: "EF.CardAccess",
        file_bytes: bytes.len(),
        file_matches_plain_read: matches,
        pace_ms,
        elapsed_ms,
    })
}

fn ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1e4).round() / 10.0
}

// ---------------------------------------------------------------- change-pin

#[derive(Serialize)]
struct ChangePinReport {
    reader: String,
    pin_changed: bool,
    /// The old PIN was a 5-digit transport PIN.
    from_transport_pin: bool,
    elapsed_ms: f64,
}

fn pin_failure(e: PinError) -> anyhow::Error {
    match e {
        // The card may not report the counter (6300): only say a number if it did.
        PinError::WrongPin {
            retries_left: Some(retries_left),
        } if retries_left > 0 => {
            anyhow!("wrong PIN: {retries_left} tries left")
        }
        PinError::WrongPin { .. } => anyhow!("wrong PIN: the card refused PACE"),
        other => anyhow!("changing the PIN failed: {other}"),
    }
}

fn change_pin_cmd(wanted: Option<&str>) -> Result<()> {
    let mut source = SecretSource::stdin();
    let old_text = source.read(ENV_SECRET, "current PIN")?;
    let new_text = source.read(ENV_NEW_SECRET, "new PIN")?;
    let old = Pin::new(&old_text).context("current PIN")?;
    let new = Pin::new_six_digit(&new_text).context("new PIN")?;
    drop((old_text, new_text));
    let mut session = open_session(wanted)?;
    let params = PaceParameters::select(&session.infos)
        .map_err(|e| anyhow!("the card offers no supported PACE variant: {e}"))?;
    let started = Instant::now();
    pin::change_pin(&mut session.card, &params, None, &old, &new).map_err(pin_failure)?;
    print_json(&ChangePinReport {
        reader: session.reader,
        pin_changed: true,
        from_transport_pin: old.is_transport(),
        elapsed_ms: ms(started),
    })
}
