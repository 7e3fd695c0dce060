//! Reading the citizen's secrets: from an environment variable or one line of
//! standard input, held in zeroizing buffers and never printed or logged.

use std::io::{BufRead, IsTerminal, Read, Write};

use anyhow::{Result, bail};
use zeroize::Zeroizing;

/// The longest line accepted as a secret (a PUK has 10 digits).
const MAX_LINE: u64 = 64;

/// Where the secrets come from: the environment first, then stdin lines in order.
pub struct SecretSource<R: BufRead> {
    stdin: R,
    interactive: bool,
}

impl SecretSource<std::io::StdinLock<'static>> {
    /// Standard input of this process.
    pub fn stdin() -> Self {
        let stdin = std::io::stdin();
        let interactive = stdin.is_terminal();
        Self {
            stdin: stdin.lock(),
            interactive,
        }
    }
}

impl<R: BufRead> SecretSource<R> {
    /// A source reading lines from `reader` (for tests).
    #[cfg(test)]
    pub fn from_reader(reader: R) -> Self {
        Self {
            stdin: reader,
            interactive: false,
        }
    }

    /// The secret from `env_var` if set, else the next line of stdin. `what`
    /// names it in messages ("PIN", "new PIN", ...).
    pub fn read(&mut self, env_var: &str, what: &str) -> Result<Zeroizing<String>> {
        match std::env::var(env_var) {
            Ok(value) => {
                let value = Zeroizing::new(value);
                return Ok(Zeroizing::new(value.trim().to_owned()));
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                bail!("{env_var} is not valid text");
            }
            Err(std::env::VarError::NotPresent) => {}
        }
        if self.interactive {
            // The terminal echoes what is typed: say so.
            let mut err = std::io::stderr();
            let _ = write!(err, "{what} (visible as you type; or set {env_var}): ");
            let _ = err.flush();
        }
        // Capacity reserved up front so the buffer holding the secret is never
        // reallocated (which would leave an unzeroized copy behind).
        let mut line = Zeroizing::new(String::with_capacity(MAX_LINE as usize + 1));
        let read = (&mut self.stdin).take(MAX_LINE).read_line(&mut line);
        match read {
            Ok(0) => bail!("no {what} given: set {env_var} or write it as one line on stdin"),
            Ok(_) => {}
            Err(e) => bail!("cannot read the {what} from stdin: {}", e.kind()),
        }
        if !line.ends_with('\n') && line.len() as u64 >= MAX_LINE {
            bail!("the {what} on stdin is too long");
        }
        Ok(Zeroizing::new(line.trim().to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_in_order_and_trimmed() {
        let mut src = SecretSource::from_reader(&b"123456\r\n654321\n"[..]);
        let a = src.read("G2C_EID_TEST_UNSET_A", "PIN").unwrap();
        let b = src.read("G2C_EID_TEST_UNSET_B", "new PIN").unwrap();
        assert_eq!(a.as_str(), "123456");
        assert_eq!(b.as_str(), "654321");
        let err = src.read("G2C_EID_TEST_UNSET_C", "PIN").unwrap_err();
        assert!(err.to_string().contains("no PIN given"), "{err}");
    }

    #[test]
    fn overlong_line_is_refused_without_echo() {
        let long = "7".repeat(200);
        let mut src = SecretSource::from_reader(long.as_bytes());
        let err = src.read("G2C_EID_TEST_UNSET_D", "PUK").unwrap_err();
        assert!(err.to_string().contains("too long"));
        assert!(!err.to_string().contains("777"));
    }
}
