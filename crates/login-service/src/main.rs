//! `g2c-login-service`: the eID login service binary (work in progress).

fn main() {}
