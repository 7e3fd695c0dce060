//! The authority's side of the G2C channel, as a library and a CLI.
//!
//! Opens a room per application, sets its metadata and status, sends
//! structured prompts and notices, and reads the citizen's answers. Used by
//! an authority's domain system adapter, by the tests and by the demo.
//!
//! It must not depend on the citizen's app, the card or Tauri.
