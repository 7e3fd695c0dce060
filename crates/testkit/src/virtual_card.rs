//! A virtual nPA (German eID card) in a virtual PC/SC reader, for tests of
//! the eID code through the normal PC/SC path.
//!
//! [`VirtualCard::start`] runs `scripts/virtual-card/start.sh`: pcscd with
//! only vsmartcard's vpcd reader, and `vicc -t nPA` (PIN 111111, CAN 222222,
//! PUK 3333333333) as the card, both in a private network namespace. Clients
//! reach pcscd through its usual socket, so any PC/SC client sees the reader
//! named by [`VirtualCard::reader_name`]. Dropping the [`VirtualCard`] runs
//! `stop.sh`, also when the test fails or panics.
//!
//! Only one pcscd can run per machine, so only one card can exist at a time:
//! a process-wide mutex serialises the tests of one binary, and an exclusive
//! lock on [`LOCK_FILE`] serialises test binaries (and any other process that
//! takes the same lock). A test that starts a card waits until the previous
//! one is dropped.
//!
//! Needs root (pcscd's socket directory, `unshare --net`) and the tools that
//! `scripts/virtual-card/setup.sh` installs. The calls block (about half a
//! second to start, less to stop); from async code, call them where blocking
//! is acceptable, e.g. at the start of a test.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The lock file that serialises virtual cards across processes.
pub const LOCK_FILE: &str = "/tmp/amtsbote-vcard.lock";

/// How long [`VirtualCard::start`] waits for another process's card to go.
const LOCK_LIMIT: Duration = Duration::from_secs(300);

/// How often the lock file is retried while another process holds it.
const LOCK_POLL: Duration = Duration::from_millis(50);

/// Serialises cards within this process (threads of one test binary).
static IN_PROCESS: Mutex<()> = Mutex::new(());

/// What can go wrong while running the virtual card.
#[derive(Debug, thiserror::Error)]
pub enum VirtualCardError {
    /// A script could not be run at all.
    #[error("could not run {script}: {source}")]
    Spawn {
        /// The script.
        script: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A script ran and failed (start.sh: no card within its time limit,
    /// tools not installed, another pcscd running, not root).
    #[error("{script} failed ({status}):\n{output}")]
    Script {
        /// The script.
        script: PathBuf,
        /// Its exit status.
        status: ExitStatus,
        /// What it printed (stdout, then stderr), with the logs' tails.
        output: String,
    },
    /// start.sh succeeded but did not say which reader holds the card.
    #[error("start.sh printed no `reader:` line:\n{output}")]
    NoReader {
        /// What it printed.
        output: String,
    },
    /// The lock file could not be opened or locked.
    #[error("could not lock {path}: {source}")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Another process held the lock file for too long.
    #[error("another process held {path} for {seconds} s")]
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// How long was waited.
        seconds: u64,
    },
}

/// A running virtual nPA in the vpcd reader, owned by one test.
///
/// Dropping it stops the card and pcscd and releases the locks.
#[derive(Debug)]
pub struct VirtualCard {
    reader: String,
    scripts: PathBuf,
    state_dir: PathBuf,
    stopped: bool,
    // Released after Drop::drop has stopped the card, in this order: other
    // processes first, then the threads of this one.
    _file_lock: File,
    _in_process: MutexGuard<'static, ()>,
}

impl VirtualCard {
    /// Starts a fresh virtual card with vicc's defaults and waits until it is
    /// present in the reader.
    pub fn start() -> Result<Self, VirtualCardError> {
        Self::start_with_args(std::iter::empty::<&str>())
    }

    /// Starts a fresh virtual card, passing `args` to `vicc` (e.g.
    /// `--cvca FILE`, `--disable-ta-checks`, `--ef-cardaccess FILE`,
    /// `--ca-key FILE`, `-d DATASET`).
    pub fn start_with_args<I, S>(args: I) -> Result<Self, VirtualCardError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        // A test that panicked while holding the mutex poisons it; the card
        // was still stopped by Drop, so the lock is good to take.
        let in_process = IN_PROCESS.lock().unwrap_or_else(|e| e.into_inner());
        let file_lock = lock_file(Path::new(LOCK_FILE))?;
        let scripts = scripts_dir();
        let state_dir = state_dir();

        // We hold the lock, so anything still running is a leftover of a
        // process that died without stopping it: clear it for a fresh card.
        run(&scripts.join("stop.sh"), std::iter::empty::<&str>())?;
        let output = run(&scripts.join("start.sh"), args)?;
        let reader = output
            .lines()
            .find_map(|line| line.strip_prefix("reader: "))
            .map(str::to_owned)
            .ok_or_else(|| VirtualCardError::NoReader {
                output: output.clone(),
            })?;
        tracing::debug!(%reader, "virtual card started");
        Ok(Self {
            reader,
            scripts,
            state_dir,
            stopped: false,
            _file_lock: file_lock,
            _in_process: in_process,
        })
    }

    /// The PC/SC name of the reader that holds the card, e.g.
    /// `Virtual PCD 00 00`.
    pub fn reader_name(&self) -> &str {
        &self.reader
    }

    /// The pid of the pcscd that serves the card, while it runs.
    pub fn pcscd_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.state_dir.join("pcscd.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// The directory with the card's and pcscd's logs (`vicc.log`,
    /// `pcscd.log`), to look at when a test fails.
    pub fn log_dir(&self) -> &Path {
        &self.state_dir
    }

    /// Stops the card and pcscd now, reporting a failure (Drop only logs it).
    pub fn stop(mut self) -> Result<(), VirtualCardError> {
        self.stopped = true;
        run(&self.scripts.join("stop.sh"), std::iter::empty::<&str>()).map(drop)
    }
}

impl Drop for VirtualCard {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        if let Err(error) = run(&self.scripts.join("stop.sh"), std::iter::empty::<&str>()) {
            tracing::error!(%error, "could not stop the virtual card");
            eprintln!("could not stop the virtual card: {error}");
        }
    }
}

/// The environment variable naming the checkout's `scripts/virtual-card`
/// (scripts/env.sh sets it). Binaries built from one checkout may run from
/// another (a shared Cargo target directory, a moved checkout): the
/// compiled-in path would then name scripts that are gone or different.
pub const SCRIPTS_DIR_ENV: &str = "G2C_VIRTUAL_CARD_SCRIPTS";

/// `scripts/virtual-card`: [`SCRIPTS_DIR_ENV`], else the one of the
/// checkout this crate was built from.
fn scripts_dir() -> PathBuf {
    std::env::var_os(SCRIPTS_DIR_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/virtual-card"))
}

/// Where start.sh keeps pid files and logs (its default, or the same
/// environment variable it reads).
fn state_dir() -> PathBuf {
    std::env::var_os("VCARD_STATE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/amtsbote-vcard"))
}

/// Takes the exclusive lock on `path`, waiting at most [`LOCK_LIMIT`].
fn lock_file(path: &Path) -> Result<File, VirtualCardError> {
    let lock_error = |source| VirtualCardError::Lock {
        path: path.to_owned(),
        source,
    };
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(lock_error)?;
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(TryLockError::WouldBlock) if started.elapsed() < LOCK_LIMIT => {
                std::thread::sleep(LOCK_POLL);
            }
            Err(TryLockError::WouldBlock) => {
                return Err(VirtualCardError::LockTimeout {
                    path: path.to_owned(),
                    seconds: LOCK_LIMIT.as_secs(),
                });
            }
            Err(TryLockError::Error(source)) => return Err(lock_error(source)),
        }
    }
}

/// Runs a script with bash and returns its stdout; a failure carries both
/// streams.
fn run<I, S>(script: &Path, args: I) -> Result<String, VirtualCardError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let output = Command::new("bash")
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| VirtualCardError::Spawn {
            script: script.to_owned(),
            source,
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(VirtualCardError::Script {
            script: script.to_owned(),
            status: output.status,
            output: format!("{stdout}{}", String::from_utf8_lossy(&output.stderr)),
        })
    }
}
