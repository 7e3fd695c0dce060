//! The request list, read once per change and shared.
//!
//! Two readers want the whole list after every change: the overview
//! (`list_requests`) and the notifications' worker (tray count, new
//! prompts). Each read walks every request room (core's
//! `CitizenClient::requests`), so at start with a hundred requests the two
//! doubled the work and the overview waited for the worker's read. Here the
//! first reader after a change reads, the other waits for that read and
//! shares it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use g2c_core::requests::RequestSummary;
use g2c_core::{CitizenClient, CoreError};
use tokio::sync::Mutex;

/// The last read list and which change it reflects.
#[derive(Default)]
pub struct RequestList {
    /// Bumped by every change of the client's state.
    generation: AtomicU64,
    /// The list read at `generation`; the lock is held while reading, so
    /// concurrent readers wait for one read instead of starting their own.
    cached: Mutex<Option<(u64, Arc<Vec<RequestSummary>>)>>,
}

impl RequestList {
    /// Marks the cached list out of date: called for every event of the
    /// client and at login.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The current list: the cached one if nothing changed since it was
    /// read, else a fresh read from `client`.
    pub async fn read(
        &self,
        client: &CitizenClient,
    ) -> Result<Arc<Vec<RequestSummary>>, CoreError> {
        let mut cached = self.cached.lock().await;
        // Read before the walk: a change during it bumps the generation
        // past this one, so the next reader reads again.
        let generation = self.generation.load(Ordering::SeqCst);
        if let Some((read_at, list)) = cached.as_ref()
            && *read_at == generation
        {
            return Ok(Arc::clone(list));
        }
        let list = Arc::new(client.requests().await?);
        *cached = Some((generation, Arc::clone(&list)));
        Ok(list)
    }
}
