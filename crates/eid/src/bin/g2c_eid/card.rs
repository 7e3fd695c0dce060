//! PC/SC access for the tool: the readers' states and PC/SC part 10
//! features. Reading EF.CardAccess is g2c_eid::read_file.

use std::ffi::CString;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use g2c_eid::reader::ReaderError;
use g2c_eid::transport::{CardTransport, TransportError};
use pcsc::{Context, Disposition, Protocols, ReaderState, Scope, ShareMode, State};

/// One reader as `SCardGetStatusChange` reports it.
#[derive(Debug, Clone)]
pub struct ReaderInfo {
    pub name: String,
    pub card_present: bool,
    /// Another program holds the card exclusively.
    pub exclusive: bool,
    pub atr: Vec<u8>,
}

/// A PC/SC context of the tool's own (shared-mode connections, control codes).
pub struct Pcsc {
    context: Context,
}

impl Pcsc {
    pub fn establish() -> Result<Self> {
        let context = Context::establish(Scope::User).map_err(|e| {
            anyhow!(
                "cannot reach the smart card service (is pcscd running?): {}",
                ReaderError::from(e)
            )
        })?;
        Ok(Self { context })
    }

    /// All readers with their card state (no waiting: the states start UNAWARE).
    pub fn readers(&self) -> Result<Vec<ReaderInfo>> {
        let names = match self.context.list_readers_owned() {
            Ok(names) => names,
            Err(pcsc::Error::NoReadersAvailable) => return Ok(Vec::new()),
            Err(e) => bail!("cannot list the readers: {}", ReaderError::from(e)),
        };
        let mut states: Vec<ReaderState> = names
            .into_iter()
            .map(|n| ReaderState::new(n, State::UNAWARE))
            .collect();
        if states.is_empty() {
            return Ok(Vec::new());
        }
        match self
            .context
            .get_status_change(Some(Duration::from_secs(2)), &mut states)
        {
            Ok(()) | Err(pcsc::Error::Timeout) => {}
            Err(e) => bail!("cannot read the readers' state: {}", ReaderError::from(e)),
        }
        Ok(states
            .iter()
            .map(|s| {
                let ev = s.event_state();
                ReaderInfo {
                    name: s.name().to_string_lossy().into_owned(),
                    card_present: ev.contains(State::PRESENT),
                    exclusive: ev.contains(State::EXCLUSIVE),
                    atr: s.atr().to_vec(),
                }
            })
            .collect())
    }

    /// Connects to the card in shared mode (for a look that does not disturb others).
    pub fn connect_shared(&self, reader: &str) -> Result<SharedCard, ReaderError> {
        let name = CString::new(reader).map_err(|_| ReaderError::InvalidName)?;
        let card = self
            .context
            .connect(&name, ShareMode::Shared, Protocols::ANY)?;
        Ok(SharedCard { card: Some(card) })
    }

    /// The reader's PC/SC part 10 features (GET_FEATURE_REQUEST), or why they are unknown.
    pub fn features(&self, reader: &str) -> Result<Vec<Feature>, String> {
        let name = CString::new(reader).map_err(|_| "invalid reader name".to_owned())?;
        let card = self
            .context
            .connect(&name, ShareMode::Direct, Protocols::UNDEFINED)
            .map_err(|e| format!("direct connection refused: {}", ReaderError::from(e)))?;
        tracing::debug!(
            reader,
            control_code = format_args!("{:#010x}", get_feature_request_code()),
            "GET_FEATURE_REQUEST"
        );
        let mut buffer = [0u8; 256];
        let result =
            match card.control(pcsc::ctl_code(GET_FEATURE_REQUEST.into()), &[], &mut buffer) {
                Ok(answer) => Ok(parse_features(answer)),
                // The driver has no PC/SC part 10 support: no PIN pad, no PACE of its own.
                Err(pcsc::Error::UnsupportedFeature) => Ok(Vec::new()),
                Err(e) => Err(format!(
                    "GET_FEATURE_REQUEST failed: {}",
                    ReaderError::from(e)
                )),
            };
        let _ = card.disconnect(Disposition::LeaveCard);
        result
    }
}

/// CM_IOCTL_GET_FEATURE_REQUEST is `SCARD_CTL_CODE(3400)`: 0x42000D48 on pcsc-lite.
const GET_FEATURE_REQUEST: u16 = 3400;

/// The control code of GET_FEATURE_REQUEST on this platform.
// DWORD is u64 on Linux but u32 on Windows and macOS.
#[allow(clippy::useless_conversion)]
pub fn get_feature_request_code() -> u64 {
    u64::from(pcsc::ctl_code(GET_FEATURE_REQUEST.into()))
}

/// A PC/SC part 10 feature a reader announced (tag and its control code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    pub tag: u8,
    pub control_code: u32,
}

impl Feature {
    /// The feature's name in PC/SC part 10 (rev. 2.02.09) and its PACE amendment.
    pub fn name(self) -> String {
        let name = match self.tag {
            0x01 => "VERIFY_PIN_START",
            0x02 => "VERIFY_PIN_FINISH",
            0x03 => "MODIFY_PIN_START",
            0x04 => "MODIFY_PIN_FINISH",
            0x05 => "GET_KEY_PRESSED",
            0x06 => "VERIFY_PIN_DIRECT",
            0x07 => "MODIFY_PIN_DIRECT",
            0x08 => "MCT_READER_DIRECT",
            0x09 => "MCT_UNIVERSAL",
            0x0A => "IFD_PIN_PROPERTIES",
            0x0B => "ABORT",
            0x0C => "SET_SPE_MESSAGE",
            0x0D => "VERIFY_PIN_DIRECT_APP_ID",
            0x0E => "MODIFY_PIN_DIRECT_APP_ID",
            0x0F => "WRITE_DISPLAY",
            0x10 => "GET_KEY",
            0x11 => "IFD_DISPLAY_PROPERTIES",
            0x12 => "GET_TLV_PROPERTIES",
            0x13 => "CCID_ESC_COMMAND",
            0x20 => "EXECUTE_PACE",
            other => return format!("UNKNOWN_{other:02X}"),
        };
        name.to_owned()
    }

    /// A PIN pad: the reader can take a PIN itself.
    pub fn is_keypad(self) -> bool {
        matches!(self.tag, 0x01 | 0x03 | 0x06 | 0x07 | 0x0D | 0x0E)
    }

    /// The reader runs PACE itself (EXECUTE_PACE).
    pub fn is_pace(self) -> bool {
        self.tag == 0x20
    }
}

/// Parses the GET_FEATURE_REQUEST answer: `tag(1) len(1)=4 code(4, big endian)` repeated.
/// Malformed trailing bytes are ignored; never panics.
pub fn parse_features(mut bytes: &[u8]) -> Vec<Feature> {
    let mut out = Vec::new();
    while let [tag, len, rest @ ..] = bytes {
        let len = usize::from(*len);
        let Some(value) = rest.get(..len) else { break };
        if let Ok(code) = <[u8; 4]>::try_from(value) {
            out.push(Feature {
                tag: *tag,
                control_code: u32::from_be_bytes(code),
            });
        }
        bytes = rest.get(len..).unwrap_or_default();
    }
    out
}

/// A card connected in shared mode (left as it is on drop, not reset).
pub struct SharedCard {
    card: Option<pcsc::Card>,
}

impl Drop for SharedCard {
    fn drop(&mut self) {
        if let Some(card) = self.card.take() {
            let _ = card.disconnect(Disposition::LeaveCard);
        }
    }
}

impl CardTransport for SharedCard {
    fn transmit_raw(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let card = self.card.as_ref().ok_or(TransportError::CardRemoved)?;
        let mut buffer = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        let response = card
            .transmit(command, &mut buffer)
            .map_err(|e| TransportError::from(ReaderError::from(e)))?;
        Ok(response.to_vec())
    }
}

/// Picks the reader: `wanted` exactly or as the only reader whose name contains
/// it (case-insensitive); without `wanted`, the first reader with a card.
pub fn choose_reader(readers: &[ReaderInfo], wanted: Option<&str>) -> Result<ReaderInfo> {
    if readers.is_empty() {
        bail!("no card reader found (is the reader plugged in and pcscd running?)");
    }
    let names = || {
        readers
            .iter()
            .map(|r| format!("'{}'", r.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let chosen = match wanted {
        Some(w) => {
            if let Some(r) = readers.iter().find(|r| r.name == w) {
                r.clone()
            } else {
                let lower = w.to_lowercase();
                let matching: Vec<&ReaderInfo> = readers
                    .iter()
                    .filter(|r| r.name.to_lowercase().contains(&lower))
                    .collect();
                match matching.as_slice() {
                    [one] => (*one).clone(),
                    [] => bail!("no reader named '{w}' (readers: {})", names()),
                    _ => bail!("'{w}' names several readers (readers: {})", names()),
                }
            }
        }
        None => readers
            .iter()
            .find(|r| r.card_present)
            .cloned()
            .ok_or_else(|| anyhow!("no card on any reader (readers: {})", names()))?,
    };
    if !chosen.card_present {
        bail!("no card on the reader '{}'", chosen.name);
    }
    Ok(chosen)
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_request_control_code() {
        #[cfg(target_os = "linux")]
        assert_eq!(get_feature_request_code(), 0x4200_0D48);
    }

    #[test]
    fn features_parse_and_classify() {
        let bytes = [
            0x06, 4, 0x42, 0x33, 0x00, 0x06, // VERIFY_PIN_DIRECT
            0x20, 4, 0x42, 0x33, 0x00, 0x20, // EXECUTE_PACE
            0x12, 4, 0x42, 0x33, 0x00, 0x12, // GET_TLV_PROPERTIES
            0x99, 9, 0x00, // truncated junk
        ];
        let f = parse_features(&bytes);
        assert_eq!(f.len(), 3);
        assert!(f[0].is_keypad() && !f[0].is_pace());
        assert!(f[1].is_pace() && !f[1].is_keypad());
        assert_eq!(f[1].control_code, 0x4233_0020);
        assert_eq!(f[2].name(), "GET_TLV_PROPERTIES");
        assert!(parse_features(&[]).is_empty());
        assert!(parse_features(&[0x06]).is_empty());
        assert!(parse_features(&[0x06, 2, 1, 2]).is_empty());
    }
}
