//! The card readers, live: a watcher thread waits on the smart card
//! service for readers and cards coming and going, keeps the latest state
//! for `eid_readers`, and emits `readers-changed` on every change.
//!
//! PC/SC's wait blocks, so it runs on its own thread. When the service is
//! not running (pcscd stopped, no reader ever plugged in on Windows), the
//! state says so and the thread tries again every few seconds.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use g2c_eid::reader::{ReaderContext, ReaderStatus};
use tauri::{AppHandle, Emitter as _, Runtime};

use crate::ipc::{CardReaderDto, READERS_CHANGED, ReadersDto};

/// How long to wait before asking a missing smart card service again.
const SERVICE_RETRY: Duration = Duration::from_secs(3);

/// The latest reader state, shared with the commands.
#[derive(Clone)]
pub struct Readers(Arc<Mutex<ReadersDto>>);

impl Default for Readers {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(ReadersDto {
            service_available: false,
            readers: Vec::new(),
        })))
    }
}

impl Readers {
    /// The latest state.
    pub fn current(&self) -> ReadersDto {
        self.0
            .lock()
            .map(|s| s.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    fn set<R: Runtime>(&self, app: &AppHandle<R>, state: ReadersDto) {
        let changed = {
            let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
            let changed = *slot != state;
            *slot = state.clone();
            changed
        };
        if changed && let Err(error) = app.emit(READERS_CHANGED, state) {
            tracing::warn!(%error, "could not emit readers-changed");
        }
    }

    /// Starts the watcher thread for the app's lifetime.
    pub fn watch<R: Runtime>(&self, app: AppHandle<R>) {
        let readers = self.clone();
        let spawned = std::thread::Builder::new()
            .name("card-readers".into())
            .spawn(move || readers.run(&app));
        if let Err(error) = spawned {
            tracing::warn!(%error, "could not start the card reader watcher");
        }
    }

    fn run<R: Runtime>(&self, app: &AppHandle<R>) {
        loop {
            let context = match ReaderContext::establish() {
                Ok(context) => context,
                Err(error) => {
                    tracing::debug!(%error, "no smart card service");
                    self.set(app, unavailable());
                    std::thread::sleep(SERVICE_RETRY);
                    continue;
                }
            };
            let mut watcher = context.watcher();
            loop {
                match watcher.wait(None) {
                    Ok(Some(statuses)) => self.set(app, available(&statuses)),
                    Ok(None) => {}
                    Err(error) => {
                        tracing::debug!(%error, "card reader watch ended");
                        self.set(app, unavailable());
                        std::thread::sleep(SERVICE_RETRY);
                        break;
                    }
                }
            }
        }
    }
}

fn unavailable() -> ReadersDto {
    ReadersDto {
        service_available: false,
        readers: Vec::new(),
    }
}

fn available(statuses: &[ReaderStatus]) -> ReadersDto {
    ReadersDto {
        service_available: true,
        readers: statuses
            .iter()
            .map(|status| CardReaderDto {
                name: status.name.clone(),
                card_present: status.card_present,
            })
            .collect(),
    }
}
