//! The HTTP surface (axum 0.8): discovery, `/authorize`, the relay
//! endpoint, `/token`, `/userinfo`, `/jwks`, all below the issuer's path.
//!
//! Handlers only translate between HTTP and [`Provider`]. Nothing here logs
//! request URLs or bodies: they carry codes, session ids and card data.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use zeroize::Zeroizing;

use crate::provider::{AuthorizeError, AuthorizeParams, ClientCredentials, Provider, TokenRequest};
use crate::relay::{self, ClientMessage, RelayError, RelayErrorCode, ServiceBody, ServiceMessage};

/// Upper bound for any request, start to end.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Largest form body for `/token`.
const MAX_FORM_BYTES: usize = 16 * 1024;

/// The router, nested below the issuer URL's path.
pub fn router(provider: Arc<Provider>) -> Router {
    let base = url::Url::parse(provider.issuer())
        .map(|u| u.path().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let routes = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/authorize", get(authorize))
        .route(
            "/relay/v1/{session}",
            post(relay_message).layer(DefaultBodyLimit::max(relay::MAX_MESSAGE_BYTES)),
        )
        .route(
            "/token",
            post(token).layer(DefaultBodyLimit::max(MAX_FORM_BYTES)),
        )
        .route("/userinfo", get(userinfo).post(userinfo))
        .route("/jwks", get(jwks))
        .route(
            "/attestation/v1/{session}",
            post(crate::attestation::http_attest).layer(DefaultBodyLimit::max(MAX_FORM_BYTES)),
        )
        .with_state(provider)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ));
    if base.is_empty() {
        routes
    } else {
        Router::new().nest(&base, routes)
    }
}

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// Parses `application/x-www-form-urlencoded` text, refusing repeated keys
/// (RFC 6749 3.1, 3.2).
fn parse_form(text: &str) -> Option<HashMap<String, String>> {
    let mut map = HashMap::new();
    for (key, value) in url::form_urlencoded::parse(text.as_bytes()) {
        if map.insert(key.into_owned(), value.into_owned()).is_some() {
            return None;
        }
    }
    Some(map)
}

async fn discovery(State(provider): State<Arc<Provider>>) -> Response {
    axum::Json(provider.discovery()).into_response()
}

async fn jwks(State(provider): State<Arc<Provider>>) -> Response {
    axum::Json(provider.jwks()).into_response()
}

fn error_page(status: StatusCode, text: &str) -> Response {
    let page = format!(
        "<!doctype html><meta charset=utf-8><title>Anmeldung nicht möglich</title><p>{text}</p>"
    );
    let mut response = (status, Html(page)).into_response();
    set_page_headers(response.headers_mut());
    no_store(response)
}

fn set_page_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn authorize(
    State(provider): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(map) = parse_form(query.as_deref().unwrap_or_default()) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Ungültige Anfrage (doppelte Parameter).",
        );
    };
    let take = |key: &str| map.get(key).cloned();
    let params = AuthorizeParams {
        response_type: take("response_type"),
        client_id: take("client_id"),
        redirect_uri: take("redirect_uri"),
        scope: take("scope"),
        state: take("state"),
        nonce: take("nonce"),
        code_challenge: take("code_challenge"),
        code_challenge_method: take("code_challenge_method"),
        response_mode: take("response_mode"),
    };
    let join = match provider.authorize(&params) {
        Ok(join) => join,
        Err(AuthorizeError::UntrustedRedirect) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Unbekannter Dienst oder nicht registrierte Rücksprungadresse.",
            );
        }
        Err(AuthorizeError::Redirect { redirect_to, .. }) => {
            return no_store(Redirect::to(&redirect_to).into_response());
        }
        Err(AuthorizeError::Busy) => {
            return error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Bitte später erneut versuchen.",
            );
        }
    };
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if wants_json {
        return no_store(axum::Json(join).into_response());
    }
    let relay_url = escape(&join.relay_url);
    let page = format!(
        "<!doctype html><meta charset=utf-8><title>Anmelden mit dem Personalausweis</title>\
         <h1>Anmelden mit dem Personalausweis</h1>\
         <p>Öffnen Sie diese Anmeldung in der Amtsbote-App. Die App verbindet sich mit:</p>\
         <p><a id=\"eid-relay\" rel=\"eid-relay\" href=\"{relay_url}\">{relay_url}</a></p>"
    );
    let mut response = Html(page).into_response();
    set_page_headers(response.headers_mut());
    no_store(response)
}

fn relay_response(result: Result<ServiceBody, RelayError>) -> Response {
    let (status, body) = match result {
        Ok(body) => (StatusCode::OK, body),
        Err(error) => (
            StatusCode::from_u16(error.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
            ServiceBody::Error(error),
        ),
    };
    no_store((status, axum::Json(ServiceMessage::new(body))).into_response())
}

async fn relay_message(
    State(provider): State<Arc<Provider>>,
    Path(session): Path<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let Ok(body) = body else {
        return relay_response(Err(RelayError::new(
            RelayErrorCode::TooLarge,
            "message too large",
        )));
    };
    let message = match ClientMessage::parse(&body) {
        Ok(message) => message,
        Err(error) => return relay_response(Err(error)),
    };
    relay_response(provider.relay(&session, message.body))
}

fn token_error(error: crate::provider::TokenError, basic: bool) -> Response {
    let status = match error.error {
        "invalid_client" => StatusCode::UNAUTHORIZED,
        "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let body = serde_json::json!({ "error": error.error, "error_description": error.description });
    let mut response = (status, axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED && basic {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"token\""),
        );
    }
    no_store(response)
}

/// Decodes `Authorization: Basic` per RFC 6749 2.3.1 (form-encoded parts).
fn basic_credentials(headers: &HeaderMap) -> Option<Option<ClientCredentials>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let Some(encoded) = value.strip_prefix("Basic ") else {
        return Some(None);
    };
    let decoded = Zeroizing::new(
        data_encoding::BASE64
            .decode(encoded.trim().as_bytes())
            .ok()?,
    );
    let text = std::str::from_utf8(&decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |s: &str| -> String {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some(Some(ClientCredentials {
        client_id: unescape(id),
        client_secret: Zeroizing::new(unescape(secret)),
    }))
}

async fn token(
    State(provider): State<Arc<Provider>>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let invalid_request = |why| {
        token_error(
            crate::provider::TokenError {
                error: "invalid_request",
                description: why,
            },
            false,
        )
    };
    let Ok(body) = body else {
        return invalid_request("body too large");
    };
    let Some(mut form) = std::str::from_utf8(&body).ok().and_then(parse_form) else {
        return invalid_request("malformed or repeated parameters");
    };
    let form_secret = form.remove("client_secret").map(Zeroizing::new);
    let form_id = form.remove("client_id");
    let basic = headers.contains_key(header::AUTHORIZATION);
    let client = match (basic_credentials(&headers), form_secret) {
        (Some(Some(_)), Some(_)) => {
            return invalid_request("use exactly one client authentication method");
        }
        (Some(Some(credentials)), None) => {
            if form_id
                .as_ref()
                .is_some_and(|id| *id != credentials.client_id)
            {
                return invalid_request("client_id does not match the credentials");
            }
            Some(credentials)
        }
        (Some(None), _) => None,
        (None, Some(secret)) => form_id.map(|client_id| ClientCredentials {
            client_id,
            client_secret: secret,
        }),
        (None, None) => None,
    };
    let request = TokenRequest {
        grant_type: form.remove("grant_type"),
        code: form.remove("code"),
        redirect_uri: form.remove("redirect_uri"),
        code_verifier: form.remove("code_verifier"),
        client,
    };
    match provider.token(&request) {
        Ok(response) => no_store(axum::Json(response).into_response()),
        Err(error) => token_error(error, basic),
    }
}

async fn userinfo(State(provider): State<Arc<Provider>>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match token.and_then(|t| provider.userinfo(t.trim())) {
        Some(info) => no_store(axum::Json(info).into_response()),
        None => {
            let mut response = StatusCode::UNAUTHORIZED.into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            response
        }
    }
}

#[cfg(all(test, feature = "client"))]
mod tests {
    use std::sync::Arc;

    use zeroize::Zeroizing;

    use super::*;
    use crate::client::RelayClient;
    use crate::clock::SystemClock;
    use crate::config::{ClientConfig, Lifetimes};
    use crate::server::{ServeError, Transport, serve};
    use crate::signing::SigningKey;
    use crate::test_support::{TestEid, pace};

    const SECRET: &str = "0123456789abcdef0123456789abcdef";
    const REDIRECT: &str = "http://127.0.0.1:9/callback";
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    async fn start() -> (String, reqwest::Client, TestEid) {
        let eid = TestEid::generate();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let issuer = format!("http://{}/oidc", listener.local_addr().unwrap());
        let provider = Provider::new(
            &issuer,
            vec![ClientConfig {
                client_id: "synapse".into(),
                client_secret: Zeroizing::new(SECRET.into()),
                redirect_uris: vec![REDIRECT.into()],
            }],
            Lifetimes::default(),
            SigningKey::generate().unwrap(),
            Arc::new(eid.authenticator()),
            Arc::new(SystemClock),
        )
        .unwrap();
        let app = router(Arc::new(provider));
        tokio::spawn(serve(
            listener,
            Transport::PlainOnLoopback,
            app,
            std::future::pending(),
        ));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        (issuer, http, eid)
    }

    async fn code(issuer: &str, http: &reqwest::Client, eid: &TestEid) -> String {
        let challenge = crate::pkce::challenge_for(VERIFIER);
        let authorize = format!(
            "{issuer}/authorize?response_type=code&client_id=synapse&scope=openid&state=s&nonce=n\
             &code_challenge={challenge}&code_challenge_method=S256&redirect_uri={}",
            url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
        );
        let relay = RelayClient::join(http.clone(), &authorize).await.unwrap();
        let hello = relay.hello().await.unwrap();
        let mut card = eid.card(0);
        let (start, mut card_relay) = pace(&mut card, &hello.required_chat);
        let redirect = relay.run(start, &mut card_relay).await.unwrap();
        let url = url::Url::parse(&redirect).unwrap();
        url.query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned()
    }

    fn encode(pairs: &[(&str, String)]) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    }

    fn form(code: &str) -> Vec<(&'static str, String)> {
        vec![
            ("grant_type", "authorization_code".into()),
            ("code", code.into()),
            ("redirect_uri", REDIRECT.into()),
            ("code_verifier", VERIFIER.into()),
        ]
    }

    #[tokio::test]
    async fn token_endpoint_client_authentication_over_http() {
        let (issuer, http, eid) = start().await;
        let token_url = format!("{issuer}/token");

        // Wrong secret with Basic: 401 and a challenge.
        let code1 = code(&issuer, &http, &eid).await;
        let response = http
            .post(&token_url)
            .basic_auth("synapse", Some("wrong-secret"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(encode(&form(&code1)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client");

        // Two methods at once: refused.
        let mut both = form(&code1);
        both.push(("client_id", "synapse".into()));
        both.push(("client_secret", SECRET.into()));
        let response = http
            .post(&token_url)
            .basic_auth("synapse", Some(SECRET))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(encode(&both))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);

        // Basic with the right secret works; the response is not cached.
        let response = http
            .post(&token_url)
            .basic_auth("synapse", Some(SECRET))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(encode(&form(&code1)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        let tokens: serde_json::Value = response.json().await.unwrap();
        let userinfo = http
            .get(format!("{issuer}/userinfo"))
            .bearer_auth(tokens["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(userinfo.status(), StatusCode::OK);

        // client_secret_post works too.
        let code2 = code(&issuer, &http, &eid).await;
        let mut post = form(&code2);
        post.push(("client_id", "synapse".into()));
        post.push(("client_secret", SECRET.into()));
        let response = http
            .post(&token_url)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(encode(&post))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);

        // A repeated parameter is refused.
        let code3 = code(&issuer, &http, &eid).await;
        let mut repeated = form(&code3);
        repeated.push(("code", "other".into()));
        let response = http
            .post(&token_url)
            .basic_auth("synapse", Some(SECRET))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(encode(&repeated))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn authorize_never_redirects_to_an_unregistered_uri_and_relay_errors_are_typed() {
        let (issuer, http, _eid) = start().await;
        let response = http
            .get(format!(
                "{issuer}/authorize?response_type=code&client_id=synapse&scope=openid\
                 &redirect_uri=https%3A%2F%2Fevil.example%2F"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().get(header::LOCATION).is_none());

        let response = http
            .post(format!("{issuer}/relay/v1/no-such-session"))
            .body(r#"{"version":1,"type":"hello"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "unknown_session");

        let response = http
            .post(format!("{issuer}/relay/v1/no-such-session"))
            .body(vec![b' '; relay::MAX_MESSAGE_BYTES + 1])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

        let discovery: serde_json::Value = http
            .get(format!("{issuer}/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(discovery["issuer"], issuer);
        assert_eq!(discovery["token_endpoint"], format!("{issuer}/token"));
    }

    #[tokio::test]
    async fn plain_http_is_refused_off_loopback() {
        // 0.0.0.0 is not loopback; nothing is served.
        let listener = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
        let app = Router::new();
        let result = serve(
            listener,
            Transport::PlainOnLoopback,
            app,
            std::future::pending(),
        )
        .await;
        assert!(matches!(result, Err(ServeError::PlainHttpNotOnLoopback(_))));
    }
}
