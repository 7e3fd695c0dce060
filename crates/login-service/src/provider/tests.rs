//! Unit tests of the provider's rules, without HTTP.

use std::sync::Arc;

use super::*;
use crate::clock::ManualClock;
use crate::relay::TransmitResponses;
use crate::test_support::{TestEid, run_card};

const SECRET: &str = "0123456789abcdef0123456789abcdef";
const REDIRECT: &str = "https://matrix.example/_synapse/client/oidc/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

struct Fixture {
    provider: Provider,
    clock: Arc<ManualClock>,
    eid: TestEid,
}

fn fixture() -> Fixture {
    let clock = Arc::new(ManualClock::new(1_700_000_000));
    let eid = TestEid::generate();
    let provider = Provider::new(
        "https://login.example/",
        vec![ClientConfig {
            client_id: "synapse".into(),
            client_secret: Zeroizing::new(SECRET.into()),
            redirect_uris: vec![REDIRECT.into()],
        }],
        Lifetimes::default(),
        SigningKey::generate().unwrap(),
        Arc::new(eid.authenticator()),
        clock.clone(),
    )
    .unwrap();
    Fixture {
        provider,
        clock,
        eid,
    }
}

fn params() -> AuthorizeParams {
    AuthorizeParams {
        response_type: Some("code".into()),
        client_id: Some("synapse".into()),
        redirect_uri: Some(REDIRECT.into()),
        scope: Some("openid".into()),
        state: Some("st4te".into()),
        nonce: Some("n0nce".into()),
        code_challenge: Some(pkce::challenge_for(VERIFIER)),
        code_challenge_method: Some("S256".into()),
        response_mode: None,
    }
}

fn session_of(join: &JoinInfo) -> String {
    join.relay_url.rsplit('/').next().unwrap().to_owned()
}

/// Runs the relay with trusted card `card` (PACE, TA, CA, RI); returns the
/// code.
fn run_relay(f: &Fixture, session: &str, card: usize) -> String {
    let redirect_to = run_card(&f.provider, session, &mut f.eid.card(card)).unwrap();
    let url = url::Url::parse(&redirect_to).unwrap();
    assert!(redirect_to.starts_with(REDIRECT));
    let pairs: HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(pairs["state"], "st4te");
    pairs["code"].clone()
}

fn code(f: &Fixture) -> String {
    let join = f.provider.authorize(&params()).unwrap();
    run_relay(f, &session_of(&join), 0)
}

fn token_request(code: &str) -> TokenRequest {
    TokenRequest {
        grant_type: Some("authorization_code".into()),
        code: Some(code.into()),
        redirect_uri: Some(REDIRECT.into()),
        code_verifier: Some(VERIFIER.into()),
        client: Some(ClientCredentials {
            client_id: "synapse".into(),
            client_secret: Zeroizing::new(SECRET.into()),
        }),
    }
}

#[test]
fn full_flow_issues_a_verifiable_id_token_without_pii() {
    let f = fixture();
    let code = code(&f);
    let response = f.provider.token(&token_request(&code)).unwrap();

    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&["synapse"]);
    validation.set_issuer(&["https://login.example"]);
    validation.validate_exp = false; // the manual clock is in the past
    let key = f.provider.signing_key.decoding_key().unwrap();
    let raw = jsonwebtoken::decode::<serde_json::Value>(&response.id_token, &key, &validation)
        .unwrap()
        .claims;
    let claims: IdTokenClaims = serde_json::from_value(raw.clone()).unwrap();
    // The subject derives from card one's RI pseudonym in this sector.
    let expected_sub = pseudonym::localpart(&f.eid.expected_pseudonym(0));
    assert_eq!(claims.sub, expected_sub);
    assert_eq!(claims.nonce, "n0nce");
    assert_eq!(claims.iat, 1_700_000_000);
    assert_eq!(claims.exp, 1_700_000_300);
    assert_eq!(claims.at_hash, at_hash(&response.access_token));
    // Exactly these claims: no name, address or pseudonym.
    let mut keys: Vec<_> = raw.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "at_hash",
            "aud",
            "auth_time",
            "exp",
            "iat",
            "iss",
            "nonce",
            "sub"
        ]
    );

    let info = f.provider.userinfo(&response.access_token).unwrap();
    assert_eq!(info, serde_json::json!({ "sub": expected_sub }));
    assert!(f.provider.userinfo("not-a-token").is_none());
}

#[test]
fn wrong_pkce_verifier_is_refused() {
    let f = fixture();
    let code = code(&f);
    let mut request = token_request(&code);
    request.code_verifier = Some("x".repeat(43));
    assert_eq!(
        f.provider.token(&request).unwrap_err().error,
        "invalid_grant"
    );
    request.code_verifier = None;
    assert_eq!(
        f.provider.token(&request).unwrap_err().error,
        "invalid_grant"
    );
}

#[test]
fn a_code_works_once_and_its_replay_revokes_the_token() {
    let f = fixture();
    let code = code(&f);
    let response = f.provider.token(&token_request(&code)).unwrap();
    assert!(f.provider.userinfo(&response.access_token).is_some());
    let replay = f.provider.token(&token_request(&code)).unwrap_err();
    assert_eq!(
        replay,
        TokenError::new("invalid_grant", "code already used")
    );
    assert!(f.provider.userinfo(&response.access_token).is_none());
}

#[test]
fn a_failed_exchange_still_consumes_the_code() {
    let f = fixture();
    let code = code(&f);
    let mut wrong = token_request(&code);
    wrong.code_verifier = Some("y".repeat(43));
    assert!(f.provider.token(&wrong).is_err());
    assert_eq!(
        f.provider.token(&token_request(&code)).unwrap_err().error,
        "invalid_grant"
    );
}

#[test]
fn wrong_redirect_uri_at_the_token_endpoint_is_refused() {
    let f = fixture();
    let code = code(&f);
    let mut request = token_request(&code);
    request.redirect_uri = Some(format!("{REDIRECT}/"));
    assert_eq!(
        f.provider.token(&request).unwrap_err(),
        TokenError::new("invalid_grant", "redirect_uri does not match")
    );
}

#[test]
fn expired_code_is_refused() {
    let f = fixture();
    let code = code(&f);
    f.clock.advance(Lifetimes::default().code);
    assert_eq!(
        f.provider.token(&token_request(&code)).unwrap_err().error,
        "invalid_grant"
    );
}

#[test]
fn code_just_before_expiry_is_accepted() {
    let f = fixture();
    let code = code(&f);
    f.clock.advance(Lifetimes::default().code - 1);
    assert!(f.provider.token(&token_request(&code)).is_ok());
}

#[test]
fn bad_or_missing_client_secret_is_refused() {
    let f = fixture();
    let code = code(&f);
    let mut request = token_request(&code);
    request.client = Some(ClientCredentials {
        client_id: "synapse".into(),
        client_secret: Zeroizing::new(SECRET.replace('0', "1")),
    });
    assert_eq!(
        f.provider.token(&request).unwrap_err().error,
        "invalid_client"
    );
    request.client = None;
    assert_eq!(
        f.provider.token(&request).unwrap_err().error,
        "invalid_client"
    );
    // Client authentication fails before the code is looked at: still usable.
    assert!(f.provider.token(&token_request(&code)).is_ok());
}

#[test]
fn authorize_refuses_unregistered_clients_and_redirects_without_redirecting() {
    let f = fixture();
    let mut p = params();
    p.redirect_uri = Some("https://evil.example/cb".into());
    assert!(matches!(
        f.provider.authorize(&p),
        Err(AuthorizeError::UntrustedRedirect)
    ));
    let mut p = params();
    p.redirect_uri = Some(format!("{REDIRECT}?x=1"));
    assert!(matches!(
        f.provider.authorize(&p),
        Err(AuthorizeError::UntrustedRedirect)
    ));
    let mut p = params();
    p.client_id = Some("other".into());
    assert!(matches!(
        f.provider.authorize(&p),
        Err(AuthorizeError::UntrustedRedirect)
    ));
}

#[test]
fn authorize_requires_pkce_s256_state_nonce_and_openid() {
    let f = fixture();
    type Case = (fn(&mut AuthorizeParams), &'static str);
    let cases: Vec<Case> = vec![
        (|p| p.code_challenge = None, "invalid_request"),
        (
            |p| p.code_challenge_method = Some("plain".into()),
            "invalid_request",
        ),
        (|p| p.code_challenge_method = None, "invalid_request"),
        (
            |p| p.code_challenge = Some("too-short".into()),
            "invalid_request",
        ),
        (|p| p.state = None, "invalid_request"),
        (|p| p.nonce = None, "invalid_request"),
        (|p| p.scope = Some("profile".into()), "invalid_scope"),
        (
            |p| p.response_type = Some("token".into()),
            "unsupported_response_type",
        ),
    ];
    for (change, expected) in cases {
        let mut p = params();
        change(&mut p);
        match f.provider.authorize(&p) {
            Err(AuthorizeError::Redirect {
                error, redirect_to, ..
            }) => {
                assert_eq!(error, expected);
                assert!(redirect_to.starts_with(REDIRECT));
                assert!(redirect_to.contains(&format!("error={expected}")));
            }
            other => panic!("expected a redirect with {expected}, got {other:?}"),
        }
    }
}

#[test]
fn relay_sessions_are_single_use_and_ordered() {
    let f = fixture();
    let join = f.provider.authorize(&params()).unwrap();
    let session = session_of(&join);
    assert_eq!(join.expires_in, relay::SESSION_LIFETIME_SECS);
    assert!(
        join.relay_url
            .starts_with("https://login.example/relay/v1/")
    );
    assert!(session.len() >= 43);

    // Start before hello: out of order, the session is over.
    let err = f
        .provider
        .relay(&session, ClientBody::Start(f.eid.start()))
        .unwrap_err();
    assert_eq!(err.code, RelayErrorCode::UnexpectedMessage);
    assert!(err.redirect_to.unwrap().contains("error=access_denied"));
    let err = f.provider.relay(&session, ClientBody::Hello).unwrap_err();
    assert_eq!(err.code, RelayErrorCode::UnknownSession);

    // A finished session cannot be run again.
    let join = f.provider.authorize(&params()).unwrap();
    let session = session_of(&join);
    run_relay(&f, &session, 0);
    let err = f.provider.relay(&session, ClientBody::Hello).unwrap_err();
    assert_eq!(err.code, RelayErrorCode::UnknownSession);
}

#[test]
fn relay_replayed_step_is_refused() {
    let f = fixture();
    let session = session_of(&f.provider.authorize(&params()).unwrap());
    f.provider.relay(&session, ClientBody::Hello).unwrap();
    f.provider
        .relay(&session, ClientBody::Start(f.eid.start()))
        .unwrap();
    let batch = TransmitResponses {
        step: 2,
        responses: vec![vec![0x90, 0x00]],
    };
    let err = f
        .provider
        .relay(&session, ClientBody::Transmit(batch))
        .unwrap_err();
    assert_eq!(err.code, RelayErrorCode::UnexpectedMessage);
}

#[test]
fn relay_times_out_between_steps_and_overall() {
    let f = fixture();
    let session = session_of(&f.provider.authorize(&params()).unwrap());
    f.provider.relay(&session, ClientBody::Hello).unwrap();
    f.clock.advance(relay::STEP_TIMEOUT_SECS);
    let err = f
        .provider
        .relay(&session, ClientBody::Start(f.eid.start()))
        .unwrap_err();
    assert_eq!(err.code, RelayErrorCode::Timeout);

    let session = session_of(&f.provider.authorize(&params()).unwrap());
    f.clock.advance(relay::SESSION_LIFETIME_SECS);
    let err = f.provider.relay(&session, ClientBody::Hello).unwrap_err();
    assert_eq!(err.code, RelayErrorCode::UnknownSession);
}

#[test]
fn card_errors_and_aborts_end_the_session_with_an_error_redirect() {
    let f = fixture();
    let session = session_of(&f.provider.authorize(&params()).unwrap());
    f.provider.relay(&session, ClientBody::Hello).unwrap();
    let ServiceBody::Transmit(first) = f
        .provider
        .relay(&session, ClientBody::Start(f.eid.start()))
        .unwrap()
    else {
        panic!("expected the first batch");
    };
    // The card accepts the certificates and refuses GET CHALLENGE, the
    // batch's last command. (A batch cut short, by a refused certificate,
    // means the card did not accept the terminal: terminal_not_accepted.)
    let mut responses = vec![vec![0x90, 0x00]; first.commands.len() - 1];
    responses.push(vec![0x69, 0x82]);
    let batch = TransmitResponses { step: 1, responses };
    let err = f
        .provider
        .relay(&session, ClientBody::Transmit(batch))
        .unwrap_err();
    assert_eq!(err.code, RelayErrorCode::CardError);
    assert!(err.redirect_to.unwrap().contains("state=st4te"));

    let session = session_of(&f.provider.authorize(&params()).unwrap());
    let err = f
        .provider
        .relay(
            &session,
            ClientBody::Abort {
                reason: "user_cancelled".into(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, RelayErrorCode::Aborted);
}

#[test]
fn same_card_same_subject_other_card_other_subject() {
    let f = fixture();
    let sub = |card: usize| {
        let join = f.provider.authorize(&params()).unwrap();
        let code = run_relay(&f, &session_of(&join), card);
        let token = f.provider.token(&token_request(&code)).unwrap();
        f.provider.userinfo(&token.access_token).unwrap()["sub"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(sub(0), sub(0));
    assert_ne!(sub(0), sub(1));
    assert_eq!(sub(1), pseudonym::localpart(&f.eid.expected_pseudonym(1)));
}

#[test]
fn a_card_under_an_untrusted_csca_is_refused() {
    let f = fixture();
    let session = session_of(&f.provider.authorize(&params()).unwrap());
    let err = run_card(&f.provider, &session, &mut f.eid.card_under_unknown_csca()).unwrap_err();
    assert_eq!(err.code, RelayErrorCode::CardNotTrusted, "{err}");
    assert!(
        err.message.contains("not issued by a trusted CSCA"),
        "{err}"
    );
    assert!(err.redirect_to.unwrap().contains("error=access_denied"));
    // The session is over; no code was issued.
    let err = f.provider.relay(&session, ClientBody::Hello).unwrap_err();
    assert_eq!(err.code, RelayErrorCode::UnknownSession);
    assert!(f.provider.state().codes.is_empty());
}

#[test]
fn a_card_that_does_not_trust_the_terminal_refuses_it() {
    let f = fixture();
    let session = session_of(&f.provider.authorize(&params()).unwrap());
    let err = run_card(&f.provider, &session, &mut f.eid.card_with_other_cvca()).unwrap_err();
    assert_eq!(err.code, RelayErrorCode::TerminalNotAccepted, "{err}");
    assert!(f.provider.state().codes.is_empty());
}

#[test]
fn a_chat_without_restricted_identification_is_refused_before_ta() {
    let f = fixture();
    let session = session_of(&f.provider.authorize(&params()).unwrap());
    f.provider.relay(&session, ClientBody::Hello).unwrap();
    let mut start = f.eid.start();
    let chat = g2c_eid::cvc::Chat::parse(&f.eid.pki.terminal.body.chat.to_tlv())
        .unwrap()
        .restrict_to(&[g2c_eid::cvc::AccessRight::AgeVerification]);
    start.chat = Some(chat.to_tlv());
    let err = f
        .provider
        .relay(&session, ClientBody::Start(start))
        .unwrap_err();
    assert_eq!(err.code, RelayErrorCode::AuthenticationFailed);
    assert!(err.message.contains("restricted identification"), "{err}");
}

#[test]
fn discovery_names_the_endpoints_below_the_issuer() {
    let f = fixture();
    let d = f.provider.discovery();
    assert_eq!(d["issuer"], "https://login.example");
    assert_eq!(
        d["authorization_endpoint"],
        "https://login.example/authorize"
    );
    assert_eq!(
        d["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        d["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES256"])
    );
}
