//! Declares the cfg that ruma's derive macros test in generated code, so
//! `unexpected_cfgs` stays quiet. Nothing else: no files, no network.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(ruma_unstable_exhaustive_types)");
}
