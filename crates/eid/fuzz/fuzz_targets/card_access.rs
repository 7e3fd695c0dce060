//! cargo-fuzz target: see `g2c_eid_fuzz::card_access`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| g2c_eid_fuzz::card_access(data));
