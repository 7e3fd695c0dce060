//! PACE benchmark (not a test: it prints numbers and asserts no timing).
//!
//! ```text
//! cargo bench -p g2c-eid --features fake-card --bench pace [-- --runs N --no-virtual-card]
//! ```
//!
//! 1. The terminal's own cost per PACE, per curve: PACE runs against the
//!    in-process fake card, timing only the terminal side (`Pace::new`,
//!    `start` and every `on_response`; the fake card's work in `transmit` is
//!    timed apart). CPU time is the thread's run time from
//!    `/proc/thread-self/schedstat` (Linux; ns resolution), wall time from
//!    `Instant`.
//! 2. PACE against the virtual nPA (vicc behind pcscd, `g2c_testkit`):
//!    wall time per PACE, the terminal's share of it, and this thread's whole
//!    CPU time during the PACE (terminal plus the PC/SC client library).
//!    brainpoolP256r1 only: vicc sets up its PACE from EF.CardSecurity, so a
//!    different `--ef-cardaccess` alone does not change its curve (its points
//!    are then rejected as invalid), and a signed EF.CardSecurity for other
//!    curves is not at hand.
//!
//! Medians of N runs after a warm-up.

use std::time::{Duration, Instant};

use g2c_eid::apdu::CommandApdu;
use g2c_eid::card_access::SecurityInfos;
use g2c_eid::fake_card::{self, FakeCard};
use g2c_eid::pace::{Curve, Pace, PaceParameters, PaceStep};
use g2c_eid::reader::ReaderContext;
use g2c_eid::secrets::{Password, Pin};
use g2c_eid::transport::CardTransport;

/// This thread's CPU time so far (ns): `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`,
/// exact to the nanosecond (unlike `/proc/thread-self/schedstat`, which is only
/// brought up to date at scheduler ticks).
#[cfg(unix)]
fn thread_cpu_ns() -> Option<u64> {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    let secs = u64::try_from(t.tv_sec).ok()?;
    let nanos = u64::try_from(t.tv_nsec).ok()?;
    Some(secs * 1_000_000_000 + nanos)
}

#[cfg(not(unix))]
fn thread_cpu_ns() -> Option<u64> {
    None
}

/// Accumulates wall and CPU time over several timed sections.
#[derive(Default, Clone, Copy)]
struct Meter {
    wall: Duration,
    cpu_ns: Option<u64>,
    sections: u32,
}

impl Meter {
    fn new() -> Self {
        Self {
            cpu_ns: Some(0),
            ..Self::default()
        }
    }

    fn time<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let c0 = thread_cpu_ns();
        let w0 = Instant::now();
        let r = f();
        let w = w0.elapsed();
        let c1 = thread_cpu_ns();
        self.wall += w;
        self.cpu_ns = match (self.cpu_ns, c0, c1) {
            (Some(acc), Some(a), Some(b)) => Some(acc + b.saturating_sub(a)),
            _ => None,
        };
        self.sections += 1;
        r
    }
}

struct Sample {
    total_wall: Duration,
    total_cpu_ns: Option<u64>,
    terminal: Meter,
    card: Meter,
}

/// One PACE with the PIN over `card`, timing the terminal side and the card side apart.
fn timed_pace(
    card: &mut dyn CardTransport,
    params: &PaceParameters,
    pin: &Pin,
) -> Result<Sample, String> {
    let mut terminal = Meter::new();
    let mut card_side = Meter::new();
    let c0 = thread_cpu_ns();
    let w0 = Instant::now();
    let mut pace = terminal
        .time(|| Pace::new(params, Password::Pin(pin), None))
        .map_err(|e| e.to_string())?;
    let mut cmd = terminal.time(|| pace.start()).map_err(|e| e.to_string())?;
    loop {
        let resp = card_side
            .time(|| card.transmit(&cmd))
            .map_err(|e| e.to_string())?;
        match terminal
            .time(|| pace.on_response(&resp))
            .map_err(|e| e.to_string())?
        {
            PaceStep::Send(next) => cmd = next,
            PaceStep::Done(_) => break,
        }
    }
    let total_wall = w0.elapsed();
    let total_cpu_ns = match (c0, thread_cpu_ns()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    Ok(Sample {
        total_wall,
        total_cpu_ns,
        terminal,
        card: card_side,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn cpu_ms(ns: Option<u64>) -> Option<f64> {
    ns.map(|n| n as f64 / 1e6)
}

fn median_opt(v: Vec<Option<f64>>) -> Option<f64> {
    v.into_iter().collect::<Option<Vec<f64>>>().map(median)
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |x| format!("{x:.2}"))
}

/// The PACE variants benchmarked (id-PACE-ECDH-GM-AES-CBC-CMAC-*).
fn variants() -> Vec<(PaceParameters, &'static str)> {
    let access = |arc: u8, id: u8| {
        let oid = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, arc];
        let mut info = g2c_eid::tlv::encode(0x06, &oid);
        info.extend(g2c_eid::tlv::encode(0x02, &[2]));
        info.extend(g2c_eid::tlv::encode(0x02, &[id]));
        g2c_eid::tlv::encode(0x31, &g2c_eid::tlv::encode(0x30, &info))
    };
    let params = |arc, id| {
        let infos = SecurityInfos::parse(&access(arc, id)).expect("EF.CardAccess");
        PaceParameters::select(&infos).expect("supported")
    };
    vec![
        (params(2, 13), "brainpoolP256r1, AES-128"),
        (params(2, 12), "NIST P-256, AES-128"),
        (params(4, 16), "brainpoolP384r1, AES-256"),
        (params(4, 15), "NIST P-384, AES-256"),
    ]
}

/// The per-section overhead of the meter itself (two schedstat reads).
fn meter_overhead() -> (f64, Option<f64>) {
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    for _ in 0..2000 {
        let mut m = Meter::new();
        m.time(|| std::hint::black_box(0));
        walls.push(ms(m.wall));
        cpus.push(cpu_ms(m.cpu_ns));
    }
    (median(walls), median_opt(cpus))
}

fn fake_card_bench(runs: usize) {
    let pin = Pin::new("111111").expect("PIN");
    let (overhead_wall, overhead_cpu) = meter_overhead();
    println!("## Terminal side per PACE (in-process fake card), median of {runs} runs");
    println!(
        "meter overhead per timed section: wall {:.4} ms, CPU {} ms (subtracted below)",
        overhead_wall,
        overhead_cpu.map_or_else(|| "n/a".into(), |c| format!("{c:.4}"))
    );
    println!(
        "| curve, cipher | terminal CPU ms | terminal wall ms | fake card wall ms | total wall ms |"
    );
    println!("|---|---|---|---|---|");
    for (params, label) in variants() {
        let mut samples = Vec::new();
        for i in 0..runs + 3 {
            let mut card =
                FakeCard::with_parameters(params.clone(), "111111", "222222", "3333333333");
            let s = timed_pace(&mut card, &params, &pin).expect("PACE with the fake card");
            if i >= 3 {
                samples.push(s);
            }
        }
        let sections = samples.first().map_or(0, |s| s.terminal.sections) as f64;
        let term_cpu = median_opt(
            samples
                .iter()
                .map(|s| {
                    cpu_ms(s.terminal.cpu_ns).map(|c| c - sections * overhead_cpu.unwrap_or(0.0))
                })
                .collect(),
        );
        let term_wall = median(
            samples
                .iter()
                .map(|s| ms(s.terminal.wall) - sections * overhead_wall)
                .collect(),
        );
        let card_wall = median(samples.iter().map(|s| ms(s.card.wall)).collect());
        let total = median(samples.iter().map(|s| ms(s.total_wall)).collect());
        println!(
            "| {label} | {} | {term_wall:.2} | {card_wall:.2} | {total:.2} |",
            fmt_opt(term_cpu)
        );
    }
}

fn read_card_access(card: &mut dyn CardTransport) -> Result<Vec<u8>, String> {
    let cmd = CommandApdu::new(0, 0xB0, 0x9C, 0)
        .with_le(256)
        .map_err(|e| e.to_string())?;
    let r = card.transmit(&cmd).map_err(|e| e.to_string())?;
    Ok(r.into_data())
}

fn virtual_card_bench(runs: usize) {
    println!();
    println!(
        "## PACE with the PIN against the virtual nPA (vicc via pcscd), median of {runs} runs"
    );
    println!(
        "| curve, cipher | wall ms | terminal CPU ms | terminal wall ms | client thread CPU ms (terminal + PC/SC) | APDUs |"
    );
    println!("|---|---|---|---|---|---|");
    let pin = Pin::new("111111").expect("PIN");
    let dir = std::env::temp_dir().join(format!("g2c-eid-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    for (params, label) in variants().into_iter().take(1) {
        let file = dir.join(format!("cardaccess-{}", params.curve.parameter_id()));
        let args: Vec<String> = if params.curve == Curve::BrainpoolP256r1 {
            Vec::new() // vicc's own EF.CardAccess
        } else {
            if let Err(e) = std::fs::write(&file, fake_card::card_access_for(&params)) {
                println!("| {label} | not run: {e} | | | | |");
                continue;
            }
            vec!["--ef-cardaccess".into(), file.display().to_string()]
        };
        let vcard = match g2c_testkit::VirtualCard::start_with_args(&args) {
            Ok(c) => c,
            Err(e) => {
                println!("| {label} | virtual card did not start: {e} | | | | |");
                continue;
            }
        };
        let result = (|| -> Result<Vec<Sample>, String> {
            let ctx = ReaderContext::establish().map_err(|e| e.to_string())?;
            let mut card = ctx
                .connect(vcard.reader_name())
                .map_err(|e| e.to_string())?;
            let access = read_card_access(&mut card)?;
            let infos = SecurityInfos::parse(&access).map_err(|e| e.to_string())?;
            let p = PaceParameters::select(&infos).map_err(|e| e.to_string())?;
            if p != params {
                return Err(format!("the card offers {:?}", p.curve));
            }
            let mut samples = Vec::new();
            for i in 0..runs + 1 {
                let s = timed_pace(&mut card, &p, &pin)?;
                if i >= 1 {
                    samples.push(s);
                }
            }
            Ok(samples)
        })();
        drop(vcard);
        match result {
            Ok(samples) => {
                let wall = median(samples.iter().map(|s| ms(s.total_wall)).collect());
                let term_cpu =
                    median_opt(samples.iter().map(|s| cpu_ms(s.terminal.cpu_ns)).collect());
                let term_wall = median(samples.iter().map(|s| ms(s.terminal.wall)).collect());
                let thread = median_opt(samples.iter().map(|s| cpu_ms(s.total_cpu_ns)).collect());
                let apdus = samples.first().map_or(0, |s| s.card.sections);
                println!(
                    "| {label} | {wall:.1} | {} | {term_wall:.2} | {} | {apdus} |",
                    fmt_opt(term_cpu),
                    fmt_opt(thread)
                );
            }
            Err(e) => println!("| {label} | failed: {e} | | | | |"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<usize>().ok())
    };
    let runs = value("--runs").unwrap_or(30).max(1);
    let vcard_runs = value("--virtual-runs").unwrap_or(15).max(1);
    println!(
        "g2c-eid PACE benchmark ({} build)",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    fake_card_bench(runs);
    if args.iter().any(|a| a == "--no-virtual-card") {
        return;
    }
    virtual_card_bench(vcard_runs);
}
