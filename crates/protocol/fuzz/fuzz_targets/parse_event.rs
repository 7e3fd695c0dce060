//! cargo-fuzz target: see `g2c_protocol_fuzz::parse_event`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| g2c_protocol_fuzz::parse_event(data));
