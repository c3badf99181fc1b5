//! The security suite: each test attacks one protection of the hardening (reuse logging, rate
//! limits, key rotation and pinning, password change, headers, the event log, races, hostile
//! input). Attacks already covered elsewhere (expired, tampered, typ swap, CSRF...) are not
//! repeated here.

use rocket::futures::future::{join_all, FutureExt, LocalBoxFuture};
use rocket::http::{ContentType, Cookie, Status};
use rocket_auth_template::auth::tokens::{now, AccessClaims, RefreshClaims};
use serde_json::{json, Value};

use crate::common::*;

// --- refresh-token theft -------------------------------------------------------------------

#[rocket::async_test]
async fn refresh_token_reuse_is_logged_as_a_security_event() {
    let app = app_with(|f| f.merge(("refresh_reuse_grace", 0))).await;
    let login = app.register("ann@example.com").await;
    let rotated = app.refresh_with_cookie(&login.refresh, &login.csrf).await;
    assert_eq!(rotated.status(), Status::Ok);
    rocket::tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let replay = refresh_from(&app, &login, &login.refresh, "203.0.113.66").await;
    assert_eq!(replay.status(), Status::Unauthorized);

    let again = app.login("ann@example.com", FIREFOX).await;
    let events = events(&app, &again.access).await;
    let reuse = events
        .iter()
        .find(|e| e["kind"] == "refresh_reuse")
        .expect("a refresh_reuse event");
    assert_eq!(reuse["session_id"], json!(login.session_id()));
    assert_eq!(
        reuse["ip"], "203.0.113.66",
        "the replaying client is recorded"
    );
}

#[rocket::async_test]
async fn a_second_tab_inside_the_grace_window_is_not_logged_as_reuse() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    for _ in 0..2 {
        let response = app.refresh_with_cookie(&login.refresh, &login.csrf).await;
        assert_eq!(response.status(), Status::Ok);
    }
    let kinds = event_kinds(&app, &login.access).await;
    assert!(!kinds.contains(&"refresh_reuse".to_owned()), "{kinds:?}");
}

// --- rate limits -----------------------------------------------------------------------------

#[rocket::async_test]
async fn login_is_rate_limited_per_ip() {
    let app = app_with(|f| f.merge(("rate_limit_login_per_ip", "3/h"))).await;
    app.register("ann@example.com").await;
    for _ in 0..3 {
        let response = login_from(&app, "ann@example.com", "wrong password", "192.0.2.1").await;
        assert_eq!(response.status(), Status::Unauthorized);
    }
    // The right password does not help once the IP is out of attempts...
    assert_rate_limited(login_from(&app, "ann@example.com", PASSWORD, "192.0.2.1").await).await;
    // ...while another IP is not affected.
    let response = login_from(&app, "ann@example.com", PASSWORD, "192.0.2.2").await;
    assert_eq!(response.status(), Status::Ok);
}

#[rocket::async_test]
async fn login_is_rate_limited_per_account_across_ips() {
    let app = app_with(|f| {
        f.merge(("rate_limit_login_per_account", "3/h"))
            .merge(("rate_limit_login_per_ip", "off"))
    })
    .await;
    app.register("ann@example.com").await;
    app.register("bob@example.com").await;
    for i in 1..=3 {
        let ip = format!("198.51.100.{i}");
        let response = login_from(&app, "ann@example.com", "wrong password", &ip).await;
        assert_eq!(response.status(), Status::Unauthorized);
    }
    // A botnet spreading guesses over many IPs still hits the account's quota (any spelling).
    assert_rate_limited(login_from(&app, " ANN@example.com", PASSWORD, "198.51.100.9").await).await;
    let response = login_from(&app, "bob@example.com", PASSWORD, "198.51.100.9").await;
    assert_eq!(response.status(), Status::Ok);
}

#[rocket::async_test]
async fn register_is_rate_limited_per_ip() {
    let app = app_with(|f| f.merge(("rate_limit_register_per_ip", "2/h"))).await;
    let register = |email: &str, ip: &'static str| {
        let body = json!({ "email": email, "password": PASSWORD });
        let app = &app;
        async move { post_from(app, "/api/auth/register", body, ip).await }
    };
    assert_eq!(
        register("a@example.com", "192.0.2.7").await.status(),
        Status::Created
    );
    assert_eq!(
        register("b@example.com", "192.0.2.7").await.status(),
        Status::Created
    );
    assert_rate_limited(register("c@example.com", "192.0.2.7").await).await;
    assert_eq!(
        register("c@example.com", "192.0.2.8").await.status(),
        Status::Created
    );
}

#[rocket::async_test]
async fn refresh_is_rate_limited_per_ip_without_harming_the_session() {
    let app = app_with(|f| f.merge(("rate_limit_refresh_per_ip", "2/h"))).await;
    let login = app.register("ann@example.com").await;
    let mut token = login.refresh.clone();
    for _ in 0..2 {
        let response = refresh_from(&app, &login, &token, "192.0.2.20").await;
        assert_eq!(response.status(), Status::Ok);
        token = refresh_of(&response, &Value::Null);
    }
    let limited = refresh_from(&app, &login, &token, "192.0.2.20").await;
    assert!(
        set_cookie(&limited, "refresh_token").is_none(),
        "a 429 must not clear the refresh cookie"
    );
    assert_rate_limited(limited).await;
    let response = refresh_from(&app, &login, &token, "192.0.2.21").await;
    assert_eq!(
        response.status(),
        Status::Ok,
        "the session survived the 429"
    );
}

#[rocket::async_test]
async fn bad_rate_limit_config_stops_the_launch() {
    let figment = rocket::Config::figment()
        .merge(("jwt_secret", SECRET))
        .merge(("rate_limit_login_per_ip", "lots"));
    assert!(rocket_auth_template::config::load(&figment).is_err());
}

// --- keys: rotation, kid, algorithm pinning ----------------------------------------------------

#[rocket::async_test]
async fn rotating_the_signing_key_keeps_sessions_alive_until_the_old_key_is_dropped() {
    let old = app().await;
    let login = old.register("ann@example.com").await;
    let old_kid = kid_of(&login.access);

    let rotated = app_sharing_db(&old, |f| {
        f.merge(("jwt_secret", OTHER_SECRET))
            .merge(("jwt_previous_secrets", vec![SECRET]))
    })
    .await;
    assert_eq!(
        rotated
            .get_with("/api/auth/me", &login.access)
            .await
            .status(),
        Status::Ok,
        "an access token of the previous key still verifies"
    );
    let response = rotated
        .refresh_with_cookie(&login.refresh, &login.csrf)
        .await;
    assert_eq!(
        response.status(),
        Status::Ok,
        "and so does its refresh token"
    );
    let new_refresh = refresh_of(&response, &Value::Null);
    let body: Value = response.into_json().await.unwrap();
    let new_access = body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(
        kid_of(&new_access),
        old_kid,
        "new tokens are signed with the new key"
    );
    assert_eq!(kid_of(&new_refresh), kid_of(&new_access));

    // The old key dropped from the set: its tokens are refused, the new ones still work.
    let dropped = app_sharing_db(&old, |f| f.merge(("jwt_secret", OTHER_SECRET))).await;
    assert_eq!(
        dropped
            .get_with("/api/auth/me", &login.access)
            .await
            .status(),
        Status::Unauthorized
    );
    assert_eq!(
        dropped.get_with("/api/auth/me", &new_access).await.status(),
        Status::Ok
    );
    // A previous key never signs: the app without the new key refuses the new tokens.
    assert_eq!(
        old.get_with("/api/auth/me", &new_access).await.status(),
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn a_missing_or_unknown_kid_is_refused_even_with_the_right_secret() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let claims = payload(&login.access);
    let kid = kid_of(&login.access);
    let genuine = resign(&claims, hs256_with_kid(Some(&kid)), SECRET.as_bytes());
    assert_eq!(
        app.get_with("/api/auth/claims", &genuine).await.status(),
        Status::Ok
    );
    for header in [hs256_with_kid(None), hs256_with_kid(Some("not-a-key"))] {
        let token = resign(&claims, header, SECRET.as_bytes());
        assert_eq!(
            app.get_with("/api/auth/claims", &token).await.status(),
            Status::Unauthorized
        );
    }
    let refresh = resign(
        &payload(&login.refresh),
        hs256_with_kid(Some("x")),
        SECRET.as_bytes(),
    );
    let response = app.refresh_with_cookie(&refresh, &login.csrf).await;
    assert_eq!(error_code(response).await, "invalid_refresh_token");
}

#[rocket::async_test]
async fn alg_none_is_refused_even_with_a_valid_kid() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let header = json!({ "alg": "none", "typ": "JWT", "kid": kid_of(&login.access) });
    let body = login.access.split('.').nth(1).unwrap();
    for signature in ["", "AAAA"] {
        let token = format!("{}.{body}.{signature}", b64(header.to_string().as_bytes()));
        assert_eq!(
            app.get_with("/api/auth/claims", &token).await.status(),
            Status::Unauthorized
        );
    }
}

#[rocket::async_test]
async fn eddsa_tokens_verify_with_the_published_jwks_alone() {
    let app = eddsa_app().await;
    let login = app.register("ann@example.com").await;
    let header = jsonwebtoken::decode_header(&login.access).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);

    let response = app.client.get("/.well-known/jwks.json").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let jwks: Value = response.into_json().await.unwrap();
    let jwk = &jwks["keys"][0];
    assert_eq!(jwk["kid"], json!(header.kid.unwrap()));
    assert_eq!(
        (jwk["kty"].as_str(), jwk["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );
    assert!(jwk.get("d").is_none(), "never the private key");

    // Another service, holding only the JWKS, verifies the access token.
    let key = jsonwebtoken::DecodingKey::from_ed_components(jwk["x"].as_str().unwrap()).unwrap();
    let validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    let data = jsonwebtoken::decode::<AccessClaims>(&login.access, &key, &validation).unwrap();
    assert_eq!(data.claims.sid, login.session_id());

    assert_eq!(
        app.get_with("/api/auth/me", &login.access).await.status(),
        Status::Ok
    );
    let response = app.refresh_with_cookie(&login.refresh, &login.csrf).await;
    assert_eq!(response.status(), Status::Ok);
}

#[rocket::async_test]
async fn moving_from_hmac_to_eddsa_and_rotating_ed25519_keys_keeps_sessions_alive() {
    let hmac = app().await;
    let login = hmac.register("ann@example.com").await;
    let first_key = ed25519_pem();
    let moved = app_sharing_db(&hmac, |f| {
        f.merge(("jwt_algorithm", "EdDSA"))
            .merge(("jwt_private_key", first_key.clone()))
            .merge(("jwt_previous_secrets", vec![SECRET]))
    })
    .await;
    assert_eq!(
        moved.get_with("/api/auth/me", &login.access).await.status(),
        Status::Ok
    );
    let response = moved.refresh_with_cookie(&login.refresh, &login.csrf).await;
    assert_eq!(response.status(), Status::Ok);
    let body: Value = response.into_json().await.unwrap();
    let eddsa_access = body["access_token"].as_str().unwrap().to_owned();
    let header = jsonwebtoken::decode_header(&eddsa_access).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);

    // Next rotation: a new Ed25519 key signs, the first one's public key only verifies.
    let first_public = {
        let der = pem::parse(&first_key).unwrap().into_contents();
        let pair = ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).unwrap();
        let mut spki = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        spki.extend_from_slice(ring::signature::KeyPair::public_key(&pair).as_ref());
        pem::encode(&pem::Pem::new("PUBLIC KEY", spki))
    };
    let rotated = app_sharing_db(&hmac, |f| {
        f.merge(("jwt_algorithm", "EdDSA"))
            .merge(("jwt_private_key", ed25519_pem()))
            .merge(("jwt_previous_public_keys", vec![first_public]))
    })
    .await;
    assert_eq!(
        rotated
            .get_with("/api/auth/me", &eddsa_access)
            .await
            .status(),
        Status::Ok
    );
    let response = rotated
        .client
        .get("/.well-known/jwks.json")
        .dispatch()
        .await;
    let jwks: Value = response.into_json().await.unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(
        kids.len(),
        2,
        "current and previous public keys are published"
    );
    assert!(kids.contains(&header.kid.unwrap().as_str()));
    // The HMAC secret was not carried over: the oldest token is refused now.
    assert_eq!(
        rotated
            .get_with("/api/auth/me", &login.access)
            .await
            .status(),
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn an_hmac_token_keyed_with_the_public_key_is_refused() {
    // The classic confusion: the public key is public, so an attacker HMACs with it and claims
    // the EdDSA key's kid. The kid's key is pinned to EdDSA, so HS256 is refused.
    let app = eddsa_app().await;
    let login = app.register("ann@example.com").await;
    let response = app.client.get("/.well-known/jwks.json").dispatch().await;
    let jwks: Value = response.into_json().await.unwrap();
    let x = jwks["keys"][0]["x"].as_str().unwrap().to_owned();
    let raw = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&x)
            .unwrap()
    };
    let kid = kid_of(&login.access);
    let mut claims = payload(&login.access);
    claims["role"] = json!("admin");
    for secret in [raw.as_slice(), x.as_bytes(), jwks.to_string().as_bytes()] {
        for alg in [
            jsonwebtoken::Algorithm::HS256,
            jsonwebtoken::Algorithm::HS512,
        ] {
            let mut header = jsonwebtoken::Header::new(alg);
            header.kid = Some(kid.clone());
            let forged = resign(&claims, header, secret);
            assert_eq!(
                app.get_with("/api/auth/claims", &forged).await.status(),
                Status::Unauthorized
            );
        }
    }
}

#[rocket::async_test]
async fn the_jwks_never_publishes_an_hmac_secret() {
    let app = app().await;
    let response = app.client.get("/.well-known/jwks.json").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let body: Value = response.into_json().await.unwrap();
    assert_eq!(body, json!({ "keys": [] }));
}

#[rocket::async_test]
async fn tokens_from_the_future_are_refused() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let claims: AccessClaims = serde_json::from_value(payload(&login.access)).unwrap();
    let sign = |value: Value| {
        let claims: Value = value;
        app.keys().sign(&claims).unwrap()
    };
    let mut nbf = json!(claims.clone());
    nbf["nbf"] = json!(now() + 3600);
    let mut iat = json!(claims.clone());
    iat["iat"] = json!(now() + 3600);
    for token in [sign(nbf), sign(iat)] {
        assert_eq!(
            app.get_with("/api/auth/claims", &token).await.status(),
            Status::Unauthorized
        );
    }
    // A few seconds of clock skew between instances is tolerated.
    let mut skewed = json!(claims);
    skewed["iat"] = json!(now() + 5);
    assert_eq!(
        app.get_with("/api/auth/claims", &sign(skewed))
            .await
            .status(),
        Status::Ok
    );
    let mut refresh: RefreshClaims = serde_json::from_value(payload(&login.refresh)).unwrap();
    refresh.iat = now() + 3600;
    let token = app.keys().sign(&refresh).unwrap();
    let response = app.refresh_with_cookie(&token, &login.csrf).await;
    assert_eq!(error_code(response).await, "invalid_refresh_token");
}

// --- password change ---------------------------------------------------------------------------

#[rocket::async_test]
async fn changing_the_password_revokes_every_other_session() {
    let app = app().await;
    let here = app.register("ann@example.com").await;
    let thief = app.login("ann@example.com", IPHONE).await;

    let response = change_password(&app, &here.access, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(response.status(), Status::NoContent);
    assert!(
        set_cookie(&response, "refresh_token").is_none(),
        "this device stays signed in"
    );

    assert_eq!(
        app.get_with("/api/auth/me", &thief.access).await.status(),
        Status::Unauthorized
    );
    let response = app.refresh_with_cookie(&thief.refresh, &thief.csrf).await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(
        app.get_with("/api/auth/me", &here.access).await.status(),
        Status::Ok
    );
    let response = app.refresh_with_cookie(&here.refresh, &here.csrf).await;
    assert_eq!(response.status(), Status::Ok);

    let old = login_from(&app, "ann@example.com", PASSWORD, "192.0.2.1").await;
    assert_eq!(old.status(), Status::Unauthorized);
    let new = login_from(&app, "ann@example.com", NEW_PASSWORD, "192.0.2.1").await;
    assert_eq!(new.status(), Status::Ok);
    let kinds = event_kinds(&app, &here.access).await;
    assert!(kinds.contains(&"password_changed".to_owned()), "{kinds:?}");
}

#[rocket::async_test]
async fn a_wrong_current_password_changes_nothing() {
    let app = app().await;
    let here = app.register("ann@example.com").await;
    let other = app.login("ann@example.com", IPHONE).await;
    let response = change_password(&app, &here.access, "not my password", NEW_PASSWORD).await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(error_code(response).await, "invalid_credentials");
    let response = app.refresh_with_cookie(&other.refresh, &other.csrf).await;
    assert_eq!(response.status(), Status::Ok, "no session was revoked");
    app.login("ann@example.com", FIREFOX).await; // the old password still works
    let kinds = event_kinds(&app, &here.access).await;
    assert!(
        kinds.contains(&"password_change_failed".to_owned()),
        "{kinds:?}"
    );
    assert!(!kinds.contains(&"password_changed".to_owned()));
}

#[rocket::async_test]
async fn password_change_needs_a_live_session_csrf_and_a_strong_password() {
    let app = app().await;
    let here = app.register("ann@example.com").await;
    let response = change_password(&app, &here.access, PASSWORD, "short").await;
    assert_eq!(error_code(response).await, "weak_password");

    // By access cookie without the CSRF header: refused before anything happens.
    let response = app
        .client
        .post("/api/auth/password")
        .header(ContentType::JSON)
        .cookie(Cookie::new("access_token", here.access.clone()))
        .cookie(Cookie::new("csrf_token", here.csrf.clone()))
        .body(json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }).to_string())
        .dispatch()
        .await;
    assert_eq!(error_code(response).await, "csrf_failed");

    // A revoked session's access token (still unexpired) cannot change the password.
    let other = app.login("ann@example.com", IPHONE).await;
    let revoke = app
        .delete_with(
            &format!("/api/sessions/{}", other.session_id()),
            &here.access,
        )
        .await;
    assert_eq!(revoke.status(), Status::NoContent);
    let response = change_password(&app, &other.access, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(response.status(), Status::Unauthorized);
    app.login("ann@example.com", FIREFOX).await; // unchanged
}

#[rocket::async_test]
async fn password_change_guesses_count_against_the_account_quota() {
    // A stolen access token must not become an unlimited oracle for the current password.
    let app = app_with(|f| f.merge(("rate_limit_login_per_account", "2/h"))).await;
    let here = app.register("ann@example.com").await;
    for _ in 0..2 {
        let response = change_password(&app, &here.access, "guess guess", NEW_PASSWORD).await;
        assert_eq!(response.status(), Status::Unauthorized);
    }
    assert_rate_limited(change_password(&app, &here.access, PASSWORD, NEW_PASSWORD).await).await;
}

// --- headers -------------------------------------------------------------------------------------

#[rocket::async_test]
async fn pages_and_api_answers_carry_the_security_headers() {
    let app = app().await;
    let page = app.client.get("/some/page").dispatch().await;
    let csp = page
        .headers()
        .get_one("Content-Security-Policy")
        .expect("a CSP on pages")
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert!(
        csp.contains("object-src 'none'") && csp.contains("base-uri 'none'"),
        "{csp}"
    );

    let api = app.client.get("/api/auth/me").dispatch().await;
    for response in [&page, &api] {
        let h = response.headers();
        assert_eq!(h.get_one("X-Frame-Options"), Some("DENY"));
        assert_eq!(h.get_one("X-Content-Type-Options"), Some("nosniff"));
        assert_eq!(h.get_one("Referrer-Policy"), Some("no-referrer"));
    }
    let api_csp = api.headers().get_one("Content-Security-Policy").unwrap();
    assert!(api_csp.contains("default-src 'none'"), "{api_csp}");
    assert!(
        page.headers()
            .get_one("Strict-Transport-Security")
            .is_none(),
        "plain HTTP"
    );

    let https = app_with(|f| f.merge(("cookie_secure", true))).await;
    let response = https.client.get("/api/auth/me").dispatch().await;
    assert!(response
        .headers()
        .get_one("Strict-Transport-Security")
        .is_some_and(|v| v.starts_with("max-age=")));
}

// --- the security-event log ----------------------------------------------------------------------

#[rocket::async_test]
async fn security_events_are_the_callers_own_newest_first_with_ip_and_device() {
    let app = app().await;
    let ann = app.register("ann@example.com").await;
    let wrong = login_from(&app, "ann@example.com", "wrong password", "192.0.2.44").await;
    assert_eq!(wrong.status(), Status::Unauthorized);
    let phone = app.login("ann@example.com", IPHONE).await;
    let revoke = app
        .delete_with(
            &format!("/api/sessions/{}", phone.session_id()),
            &ann.access,
        )
        .await;
    assert_eq!(revoke.status(), Status::NoContent);
    let bob = app.register("bob@example.com").await;

    let events = events(&app, &ann.access).await;
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "session_revoked",
            "login_succeeded",
            "login_failed",
            "registered"
        ]
    );
    let failed = &events[2];
    assert_eq!(failed["ip"], "192.0.2.44");
    assert_eq!(failed["browser"], "Firefox");
    assert_eq!(failed["os"], "Windows 10");
    assert_eq!(failed["device"], "pc");
    assert_eq!(events[1]["device"], "smartphone");
    assert_eq!(events[0]["session_id"], json!(phone.session_id()));
    assert!(events[0]["at"].as_str().is_some_and(|t| t.ends_with('Z')));

    assert_eq!(
        event_kinds(&app, &bob.access).await,
        ["registered"],
        "only your own"
    );
}

#[rocket::async_test]
async fn security_events_are_bounded() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    for _ in 0..3 {
        app.login("ann@example.com", FIREFOX).await;
    }
    let get = |query: &'static str| app.get_with(query, &login.access);
    let body: Value = get("/api/security-events?limit=2")
        .await
        .into_json()
        .await
        .unwrap();
    assert_eq!(body["events"].as_array().unwrap().len(), 2);
    for query in [
        "/api/security-events?limit=0",
        "/api/security-events?limit=-9",
    ] {
        let body: Value = get(query).await.into_json().await.unwrap();
        assert_eq!(body["events"].as_array().unwrap().len(), 1, "{query}");
    }
    sqlx::query(
        "INSERT INTO security_events (user_id, kind, created_at) \
         SELECT user_id, 'login_succeeded', created_at FROM security_events",
    )
    .execute(app.db())
    .await
    .unwrap();
    for _ in 0..5 {
        sqlx::query(
            "INSERT INTO security_events (user_id, kind, created_at) \
             SELECT user_id, kind, created_at FROM security_events",
        )
        .execute(app.db())
        .await
        .unwrap();
    }
    let body: Value = get("/api/security-events?limit=100000")
        .await
        .into_json()
        .await
        .unwrap();
    assert_eq!(body["events"].as_array().unwrap().len(), 100);
    let body: Value = get("/api/security-events").await.into_json().await.unwrap();
    assert_eq!(body["events"].as_array().unwrap().len(), 50);
}

#[rocket::async_test]
async fn failed_logins_for_unknown_emails_are_kept_without_a_user_or_the_email() {
    let app = app().await;
    let response = login_from(&app, "nobody@example.com", "hunter2 hunter2", "192.0.2.9").await;
    assert_eq!(response.status(), Status::Unauthorized);
    let rows: Vec<(Option<i64>, String, Option<String>)> =
        sqlx::query_as("SELECT user_id, kind, ip FROM security_events")
            .fetch_all(app.db())
            .await
            .unwrap();
    assert_eq!(
        rows,
        [(
            None,
            "login_failed".to_owned(),
            Some("192.0.2.9".to_owned())
        )]
    );
}

#[rocket::async_test]
async fn logout_and_revoking_other_devices_are_logged() {
    let app = app().await;
    let here = app.register("ann@example.com").await;
    app.login("ann@example.com", IPHONE).await;
    let response = app.delete_with("/api/sessions", &here.access).await;
    assert_eq!(response.status(), Status::Ok);
    let response = app
        .client
        .post("/api/auth/logout")
        .header(here.bearer())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::NoContent);
    let again = app.login("ann@example.com", FIREFOX).await;
    let kinds = event_kinds(&app, &again.access).await;
    assert_eq!(kinds[1..3], ["logout", "other_sessions_revoked"]);
}

// --- races ---------------------------------------------------------------------------------------

#[rocket::async_test]
async fn concurrent_refreshes_and_revokes_leave_one_consistent_session() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let sid = login.session_id();
    let first_jti = payload(&login.refresh)["jti"].as_str().unwrap().to_owned();

    // 30 refreshes, 10 device revokes, 5 logouts, 5 revoke-others, all at once, interleaved.
    let mut work: Vec<LocalBoxFuture<'_, (&str, Status, Option<String>)>> = Vec::new();
    for i in 0..50 {
        let future = match i % 5 {
            0 if i < 20 => async {
                let r = app
                    .delete_with(&format!("/api/sessions/{sid}"), &login.access)
                    .await;
                ("revoke", r.status(), None)
            }
            .boxed_local(),
            1 if i < 25 => async {
                let r = app
                    .client
                    .post("/api/auth/logout")
                    .header(login.bearer())
                    .dispatch()
                    .await;
                ("logout", r.status(), None)
            }
            .boxed_local(),
            2 if i < 25 => async {
                let r = app.delete_with("/api/sessions", &login.access).await;
                ("others", r.status(), None)
            }
            .boxed_local(),
            _ => async {
                let r = app.refresh_with_cookie(&login.refresh, &login.csrf).await;
                let token = (r.status() == Status::Ok).then(|| refresh_of(&r, &Value::Null));
                ("refresh", r.status(), token)
            }
            .boxed_local(),
        };
        work.push(future);
    }
    let results = join_all(work).await;

    let mut issued_jtis = vec![first_jti];
    for (what, status, token) in &results {
        let allowed: &[u16] = match *what {
            "refresh" => &[200, 401],
            "revoke" => &[204, 401, 404],
            "logout" => &[204, 401],
            _ => &[200, 401],
        };
        assert!(allowed.contains(&status.code), "{what}: {status}");
        if let Some(token) = token {
            issued_jtis.push(payload(token)["jti"].as_str().unwrap().to_owned());
        }
    }
    let rows: Vec<(String, Option<i64>)> =
        sqlx::query_as("SELECT refresh_jti, revoked_at FROM sessions")
            .fetch_all(app.db())
            .await
            .unwrap();
    assert_eq!(rows.len(), 1, "one session row, no duplicates");
    let (current_jti, revoked_at) = &rows[0];
    assert!(revoked_at.is_some(), "a revoke always wins in the end");
    assert!(
        issued_jtis.contains(current_jti),
        "the current jti is one that was issued"
    );
    let revocations: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM security_events WHERE kind IN ('session_revoked', 'logout')",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(revocations, 1, "exactly one request revoked the session");
    let orphans: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM security_events e WHERE e.session_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = e.session_id)",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(orphans, 0);
    for (_, _, token) in results {
        if let Some(token) = token {
            let response = app.refresh_with_cookie(&token, &login.csrf).await;
            assert_eq!(response.status(), Status::Unauthorized);
        }
    }
}

// --- hostile input -------------------------------------------------------------------------------

#[rocket::async_test]
async fn hostile_tokens_are_401_never_500() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let kid = kid_of(&login.access);
    let header = |json: Value| b64(json.to_string().as_bytes());
    let signed_garbage = |body: &[u8]| {
        let head = header(json!({ "alg": "HS256", "kid": kid }));
        let message = format!("{head}.{}", b64(body));
        let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes());
        let sig =
            jsonwebtoken::crypto::sign(message.as_bytes(), &key, jsonwebtoken::Algorithm::HS256)
                .unwrap();
        format!("{message}.{sig}")
    };
    let tokens = vec![
        String::new(),
        "a.b.c".into(),
        "....".into(),
        "\u{1F600}.\u{1F600}.\u{1F600}".into(),
        "x".repeat(64 * 1024),
        format!("{}.{}.", b64(b"\xff\xfe\xfd"), b64(b"\xff")),
        format!("{}.e30.AAAA", header(json!({ "alg": "HS256", "kid": 7 }))),
        format!("{}.e30.AAAA", header(json!({ "alg": "RS256", "kid": kid }))),
        format!(
            "{}.e30.AAAA",
            header(json!({ "alg": "HS256", "kid": "x".repeat(10_000) }))
        ),
        signed_garbage(b"\xff\xfe not utf-8"),
        signed_garbage(b"[1,2,3]"),
        signed_garbage(br#"{"sub":7,"exp":"soon"}"#),
        signed_garbage(br#"{"sub":"7","exp":99999999999999999999999}"#),
    ];
    for token in &tokens {
        let shown: String = token.chars().take(30).collect();
        for path in ["/api/auth/me", "/api/auth/claims", "/api/security-events"] {
            let response = app.get_with(path, token).await;
            assert_eq!(response.status(), Status::Unauthorized, "{path} {shown}");
        }
        let response = app.refresh_with_cookie(token, &login.csrf).await;
        assert_eq!(response.status(), Status::Unauthorized, "refresh {shown}");
    }
    // Well-formed and signed by us, but naming a user id that is not a number: the stateless
    // claims route may show it, the user-loading guard refuses it without a 500.
    let odd = signed_garbage(
        br#"{"sub":"x","sid":"s","jti":"j","iat":0,"exp":9999999999,"typ":"access","role":"admin"}"#,
    );
    let response = app.get_with("/api/auth/me", &odd).await;
    assert_eq!(response.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn hostile_bodies_on_the_new_endpoints_get_json_4xx() {
    let app = app_with(|f| f.merge(("refresh_token_as_cookie", false))).await;
    let login = app.register("ann@example.com").await;
    let big = format!(
        r#"{{"current_password":"{}","new_password":"x"}}"#,
        "x".repeat(64 * 1024)
    );
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("/api/auth/password", big.into_bytes(), 413),
        (
            "/api/auth/password",
            b"{\"current_password\":\"\xff\xfe\",\"new_password\":\"x\"}".to_vec(),
            400,
        ),
        (
            "/api/auth/password",
            br#"{"current_password":1}"#.to_vec(),
            422,
        ),
        ("/api/auth/password", b"{".to_vec(), 400),
        (
            "/api/auth/refresh",
            b"{\"refresh_token\":\"\xff\xfe\"}".to_vec(),
            401,
        ),
        (
            "/api/auth/refresh",
            br#"{"refresh_token":12}"#.to_vec(),
            401,
        ),
        (
            "/api/auth/refresh",
            format!(r#"{{"refresh_token":"{}"}}"#, "a".repeat(64 * 1024)).into_bytes(),
            401,
        ),
    ];
    for (path, body, status) in cases {
        let shown: String = String::from_utf8_lossy(&body).chars().take(40).collect();
        let response = app
            .client
            .post(path)
            .header(ContentType::JSON)
            .header(login.bearer())
            .body(body)
            .dispatch()
            .await;
        assert_eq!(response.status().code, status, "{path} {shown}");
        let json: Value = response.into_json().await.expect("a JSON error");
        assert!(json["error"]["code"].is_string(), "{path} {shown}");
    }
    // Over-long password fields are refused without hashing a megabyte.
    let long = "x".repeat(2000);
    let response = change_password(&app, &login.access, &long, NEW_PASSWORD).await;
    assert_eq!(error_code(response).await, "invalid_credentials");
    let response = change_password(&app, &login.access, PASSWORD, &long).await;
    assert_eq!(error_code(response).await, "weak_password");
}
