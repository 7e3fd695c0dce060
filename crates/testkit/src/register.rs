//! Fresh users through Synapse's shared-secret registration API.
//!
//! The admin API (`/_synapse/admin/v1/register`) takes a nonce and an
//! HMAC-SHA1 over `nonce\0user\0password\0(admin|notadmin)` keyed with the
//! server's `registration_shared_secret`: the same thing
//! `register_new_matrix_user -k` does, without a Python process per user.

use hmac::{Hmac, Mac as _};
use serde::Deserialize;
use sha1::Sha1;

use crate::Error;

/// A user registered on a test homeserver, already logged in once.
#[derive(Clone, Debug)]
pub struct RegisteredUser {
    /// The full Matrix user id, e.g. `@citizen-1a2b:localhost`.
    pub user_id: String,
    /// The localpart the user was registered with.
    pub localpart: String,
    /// The password, for tests that log in again.
    pub password: String,
    /// The access token of the device registration created.
    pub access_token: String,
    /// That device's id.
    pub device_id: String,
}

#[derive(Deserialize)]
struct Nonce {
    nonce: String,
}

#[derive(Deserialize)]
struct Registered {
    user_id: String,
    access_token: String,
    device_id: String,
}

pub(crate) async fn register(
    http: &reqwest::Client,
    base_url: &str,
    shared_secret: &str,
    localpart: &str,
    password: &str,
    admin: bool,
) -> Result<RegisteredUser, Error> {
    let url = format!("{base_url}/_synapse/admin/v1/register");
    let Nonce { nonce } = check(http.get(&url).send().await?, "a registration nonce")
        .await?
        .json()
        .await?;

    let mut mac = Hmac::<Sha1>::new_from_slice(shared_secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(nonce.as_bytes());
    mac.update(b"\0");
    mac.update(localpart.as_bytes());
    mac.update(b"\0");
    mac.update(password.as_bytes());
    mac.update(b"\0");
    mac.update(if admin { b"admin" } else { b"notadmin" });
    let mac = hex::encode(mac.finalize().into_bytes());

    let body = serde_json::json!({
        "nonce": nonce,
        "username": localpart,
        "password": password,
        "admin": admin,
        "mac": mac,
    });
    let registered: Registered = check(
        http.post(&url).json(&body).send().await?,
        "the registration",
    )
    .await?
    .json()
    .await?;

    Ok(RegisteredUser {
        user_id: registered.user_id,
        localpart: localpart.to_owned(),
        password: password.to_owned(),
        access_token: registered.access_token,
        device_id: registered.device_id,
    })
}

pub(crate) async fn check(
    response: reqwest::Response,
    what: &'static str,
) -> Result<reqwest::Response, Error> {
    let status = response.status();
    if status.is_success() {
        Ok(response)
    } else {
        let body = response.text().await.unwrap_or_default();
        Err(Error::Refused { what, status, body })
    }
}
