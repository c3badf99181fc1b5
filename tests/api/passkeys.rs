//! Passkeys through the API with a software authenticator (`common::passkey`): add, list, rename,
//! remove; sign in with a passkey alone; the second step with one; and each refusal, one broken
//! part at a time.

use rocket::http::Status;
use rocket::local::asynchronous::LocalResponse;
use serde_json::{json, Value};

use crate::common::*;

const ANN: &str = "ann@example.com";
const BOB: &str = "bob@example.com";

/// An app whose per-IP sign-in quota does not get in the way of many ceremonies in a row.
async fn passkey_app() -> TestApp {
    app_with(|f| f.merge(("rate_limit_login_per_ip", "off"))).await
}

async fn json_of(response: LocalResponse<'_>) -> Value {
    response.into_json().await.expect("json body")
}

impl TestApp {
    pub(crate) async fn passkey_register_start(&self, by: &Login) -> Value {
        let response = self
            .post_as(by, "/api/account/passkeys/register/start", json!({}))
            .await;
        assert_eq!(response.status(), Status::Ok);
        json_of(response).await
    }

    /// Adds `key` to `by`'s account; the answer's `passkey`.
    pub(crate) async fn add_passkey(&self, by: &Login, key: &mut SoftPasskey) -> Value {
        let started = self.passkey_register_start(by).await;
        let credential = key.register(&started["options"]);
        let body = json!({ "challenge_id": started["challenge_id"], "credential": credential });
        let response = self
            .post_as(by, "/api/account/passkeys/register/finish", body)
            .await;
        assert_eq!(response.status(), Status::Created);
        json_of(response).await["passkey"].clone()
    }

    async fn passkey_start(&self) -> Value {
        let response = self
            .post_json("/api/auth/passkey/start", json!({}), FIREFOX)
            .await;
        assert_eq!(response.status(), Status::Ok);
        json_of(response).await
    }

    async fn passkey_finish(&self, challenge_id: &Value, credential: Value) -> LocalResponse<'_> {
        let body = json!({ "challenge_id": challenge_id, "credential": credential });
        self.post_json("/api/auth/passkey/finish", body, FIREFOX)
            .await
    }
}

async fn assert_refused(response: LocalResponse<'_>, what: &str) {
    assert_eq!(response.status(), Status::Unauthorized, "{what}");
    assert_eq!(error_code(response).await, "invalid_passkey", "{what}");
}

#[rocket::async_test]
async fn registration_options_require_a_resident_key_and_verification_and_exclude_held_keys() {
    let app = app().await;
    let anonymous = app
        .client
        .post("/api/account/passkeys/register/start")
        .dispatch()
        .await;
    assert_eq!(anonymous.status(), Status::Unauthorized);

    let ann = app.register(ANN).await;
    let started = app.passkey_register_start(&ann).await;
    let options = &started["options"];
    assert_eq!(options["rp"]["id"], "app.test");
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(
        options["authenticatorSelection"]["requireResidentKey"],
        true
    );
    assert_eq!(
        options["authenticatorSelection"]["userVerification"],
        "required"
    );
    assert!(
        options["user"]["id"].as_str().unwrap().len() >= 22,
        "a random 16-byte handle"
    );
    assert_ne!(options["user"]["id"], json!(ann.body["user"]["id"]));

    let mut key = SoftPasskey::new();
    app.add_passkey(&ann, &mut key).await;
    let again = app.passkey_register_start(&ann).await;
    let excluded = again["options"]["excludeCredentials"].as_array().unwrap();
    assert_eq!(excluded.len(), 1);
    assert_eq!(
        excluded[0]["id"],
        json!(key.register(&again["options"])["id"])
    );
    assert_eq!(
        again["options"]["user"]["id"], options["user"]["id"],
        "one handle per account"
    );

    // Adding is a sensitive step: an old session re-authenticates first.
    app.age_authentication(&ann.session_id(), 3600).await;
    let late = app
        .post_as(&ann, "/api/account/passkeys/register/start", json!({}))
        .await;
    assert_eq!(late.status(), Status::Unauthorized);
    assert_eq!(error_code(late).await, "reauth_required");
}

#[rocket::async_test]
async fn add_list_rename_and_remove_with_their_events() {
    let app = app().await;
    let ann = app.register(ANN).await;
    let mut key = SoftPasskey::new();
    let added = app.add_passkey(&ann, &mut key).await;
    assert_eq!(
        added["name"], "Firefox on Windows 10",
        "named after the device"
    );
    assert_eq!(added["last_used_at"], Value::Null);
    let id = added["id"].as_str().unwrap().to_owned();

    let list = json_of(app.get_with("/api/account/passkeys", &ann.access).await).await;
    assert_eq!(list["passkeys"].as_array().unwrap().len(), 1);

    let renamed = app
        .client
        .patch(format!("/api/account/passkeys/{id}"))
        .header(rocket::http::ContentType::JSON)
        .header(ann.bearer())
        .body(json!({ "name": "  Work laptop " }).to_string())
        .dispatch()
        .await;
    assert_eq!(renamed.status(), Status::Ok);
    assert_eq!(json_of(renamed).await["passkey"]["name"], "Work laptop");

    let removed = app
        .delete_with(&format!("/api/account/passkeys/{id}"), &ann.access)
        .await;
    assert_eq!(removed.status(), Status::NoContent);
    let list = json_of(app.get_with("/api/account/passkeys", &ann.access).await).await;
    assert_eq!(list["passkeys"], json!([]));
    let kinds = event_kinds(&app, &ann.access).await;
    assert!(kinds.contains(&"passkey_added".to_owned()), "{kinds:?}");
    assert!(kinds.contains(&"passkey_removed".to_owned()), "{kinds:?}");

    // A removed passkey no longer signs in.
    let started = app.passkey_start().await;
    let signed = key.sign(&started["options"]);
    assert_refused(
        app.passkey_finish(&started["challenge_id"], signed).await,
        "removed",
    )
    .await;
}

#[rocket::async_test]
async fn a_passkey_alone_signs_in_like_a_password_with_no_second_step() {
    let app = app().await;
    let ann = app.register(ANN).await;
    app.enable_mfa(&ann).await;
    let mut key = SoftPasskey::new();
    app.add_passkey(&ann, &mut key).await;

    let started = app.passkey_start().await;
    assert_eq!(
        started["options"]["allowCredentials"],
        json!([]),
        "no allow-list"
    );
    assert_eq!(started["options"]["userVerification"], "required");
    let response = app
        .passkey_finish(&started["challenge_id"], key.sign(&started["options"]))
        .await;
    assert_eq!(
        response.status(),
        Status::Ok,
        "no second step even with MFA on"
    );
    assert!(set_cookie(&response, "refresh_token").is_some());
    let body = json_of(response).await;
    assert_eq!(body["session"]["method"], "passkey");
    assert_eq!(body["user"]["email"], ANN);
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(
        app.get_with("/api/auth/me", token).await.status(),
        Status::Ok
    );
    let kinds = event_kinds(&app, token).await;
    assert!(kinds.contains(&"passkey_sign_in".to_owned()), "{kinds:?}");
    let list = json_of(app.get_with("/api/account/passkeys", token).await).await;
    assert_ne!(list["passkeys"][0]["last_used_at"], Value::Null);
}

#[rocket::async_test]
async fn refused_assertions_each_for_its_own_reason() {
    let app = passkey_app().await;
    let ann = app.register(ANN).await;
    let mut key = SoftPasskey::new();
    app.add_passkey(&ann, &mut key).await;

    // Spent: the same challenge twice.
    let started = app.passkey_start().await;
    let id = &started["challenge_id"];
    let first = app.passkey_finish(id, key.sign(&started["options"])).await;
    assert_eq!(first.status(), Status::Ok);
    assert_refused(
        app.passkey_finish(id, key.sign(&started["options"])).await,
        "spent",
    )
    .await;

    // Expired: older than 5 minutes.
    let started = app.passkey_start().await;
    app.tokens().clock.advance(5 * 60);
    let signed = key.sign(&started["options"]);
    assert_refused(
        app.passkey_finish(&started["challenge_id"], signed).await,
        "expired",
    )
    .await;

    // A registration's challenge.
    let registration = app.passkey_register_start(&ann).await;
    let signed = key.sign(&registration["options"]);
    let answer = app
        .passkey_finish(&registration["challenge_id"], signed)
        .await;
    assert_refused(answer, "a registration challenge").await;

    // The challenge of another start.
    let other = app.passkey_start().await;
    let started = app.passkey_start().await;
    let signed = key.sign(&other["options"]);
    assert_refused(
        app.passkey_finish(&started["challenge_id"], signed).await,
        "other start",
    )
    .await;

    let cases: Vec<(&str, Tweak)> = vec![
        (
            "another origin",
            Tweak {
                origin: Some("https://evil.test".into()),
                ..Tweak::default()
            },
        ),
        (
            "another port",
            Tweak {
                origin: Some("https://app.test:8443".into()),
                ..Tweak::default()
            },
        ),
        (
            "another relying party",
            Tweak {
                rp_id: Some("evil.test".into()),
                ..Tweak::default()
            },
        ),
        (
            "a registration type",
            Tweak {
                type_: Some("webauthn.create"),
                ..Tweak::default()
            },
        ),
        (
            "no user verification",
            Tweak {
                flags: Some(0x01),
                ..Tweak::default()
            },
        ),
        (
            "an unknown credential",
            Tweak {
                credential_id: Some(vec![7; 32]),
                ..Tweak::default()
            },
        ),
        (
            "another user handle",
            Tweak {
                user_handle: Some(vec![9; 16]),
                ..Tweak::default()
            },
        ),
        (
            "a bad signature",
            Tweak {
                bad_signature: true,
                ..Tweak::default()
            },
        ),
    ];
    for (what, tweak) in cases {
        let started = app.passkey_start().await;
        let signed = key.sign_with(&started["options"], tweak);
        assert_refused(
            app.passkey_finish(&started["challenge_id"], signed).await,
            what,
        )
        .await;
    }

    // Nothing above moved the stored counter: the next right assertion still signs in.
    let started = app.passkey_start().await;
    let ok = app
        .passkey_finish(&started["challenge_id"], key.sign(&started["options"]))
        .await;
    assert_eq!(ok.status(), Status::Ok);
}

#[rocket::async_test]
async fn a_counter_that_goes_back_is_refused_and_recorded() {
    let app = passkey_app().await;
    let ann = app.register(ANN).await;
    let mut key = SoftPasskey::new();
    app.add_passkey(&ann, &mut key).await;
    let high = Tweak {
        counter: Some(100),
        ..Tweak::default()
    };
    let started = app.passkey_start().await;
    let signed = key.sign_with(&started["options"], high);
    assert_eq!(
        app.passkey_finish(&started["challenge_id"], signed)
            .await
            .status(),
        Status::Ok
    );
    for (what, counter) in [("the same counter", 100), ("a lower counter", 50)] {
        let started = app.passkey_start().await;
        let signed = key.sign_with(
            &started["options"],
            Tweak {
                counter: Some(counter),
                ..Tweak::default()
            },
        );
        assert_refused(
            app.passkey_finish(&started["challenge_id"], signed).await,
            what,
        )
        .await;
    }
    let kinds = event_kinds(&app, &ann.access).await;
    assert!(
        kinds.contains(&"passkey_counter_regressed".to_owned()),
        "{kinds:?}"
    );
}

#[rocket::async_test]
async fn registration_refusals_spent_expired_foreign_origin_and_a_key_already_registered() {
    let owned = app().await;
    let app = &owned;
    let ann = app.register(ANN).await;
    let bob = app.register(BOB).await;
    let finish = |by: &Login, challenge_id: Value, credential: Value| {
        let body = json!({ "challenge_id": challenge_id, "credential": credential });
        let by = by.clone();
        async move {
            app.post_as(&by, "/api/account/passkeys/register/finish", body)
                .await
        }
    };
    let mut key = SoftPasskey::new();

    let started = app.passkey_register_start(&ann).await;
    let credential = key.register_from(&started["options"], "https://evil.test");
    let answer = finish(&ann, started["challenge_id"].clone(), credential).await;
    assert_eq!(answer.status(), Status::BadRequest, "another origin");
    assert_eq!(error_code(answer).await, "invalid_passkey");

    // Another account's challenge.
    let started = app.passkey_register_start(&bob).await;
    let credential = key.register(&started["options"]);
    let answer = finish(&ann, started["challenge_id"].clone(), credential).await;
    assert_eq!(answer.status(), Status::BadRequest, "bob's challenge");

    let started = app.passkey_register_start(&ann).await;
    app.tokens().clock.advance(5 * 60);
    let credential = key.register(&started["options"]);
    let answer = finish(&ann, started["challenge_id"].clone(), credential).await;
    assert_eq!(answer.status(), Status::BadRequest, "expired");

    let started = app.passkey_register_start(&ann).await;
    let credential = key.register(&started["options"]);
    let answer = finish(&ann, started["challenge_id"].clone(), credential.clone()).await;
    assert_eq!(answer.status(), Status::Created);
    let answer = finish(&ann, started["challenge_id"].clone(), credential).await;
    assert_eq!(answer.status(), Status::BadRequest, "spent");

    // The same credential again, for bob: taken.
    let started = app.passkey_register_start(&bob).await;
    let credential = key.register(&started["options"]);
    let answer = finish(&bob, started["challenge_id"].clone(), credential).await;
    assert_eq!(answer.status(), Status::Conflict);
    assert_eq!(error_code(answer).await, "passkey_taken");
}

#[rocket::async_test]
async fn another_users_passkey_is_not_found_for_rename_and_remove() {
    let app = app().await;
    let ann = app.register(ANN).await;
    let bob = app.register(BOB).await;
    let added = app.add_passkey(&ann, &mut SoftPasskey::new()).await;
    let path = format!("/api/account/passkeys/{}", added["id"].as_str().unwrap());
    let rename = app
        .client
        .patch(path.clone())
        .header(rocket::http::ContentType::JSON)
        .header(bob.bearer())
        .body(json!({ "name": "mine" }).to_string())
        .dispatch()
        .await;
    assert_eq!(rename.status(), Status::NotFound);
    assert_eq!(
        app.delete_with(&path, &bob.access).await.status(),
        Status::NotFound
    );
    let list = json_of(app.get_with("/api/account/passkeys", &ann.access).await).await;
    assert_eq!(list["passkeys"][0]["name"], added["name"]);
}

#[rocket::async_test]
async fn with_two_factor_on_the_second_step_may_be_a_passkey() {
    let owned = app().await;
    let app = &owned;
    let ann = app.register(ANN).await;
    app.enable_mfa(&ann).await;
    let mut key = SoftPasskey::new();
    app.add_passkey(&ann, &mut key).await;

    let ticket = app.mfa_ticket(ANN).await;
    let start = |ticket: String| async move {
        let response = app
            .post_json(
                "/api/auth/mfa/passkey/start",
                json!({ "mfa_token": ticket }),
                FIREFOX,
            )
            .await;
        assert_eq!(response.status(), Status::Ok);
        json_of(response).await
    };
    let finish = |ticket: String, started: Value, credential: Value| async move {
        let body = json!({
            "mfa_token": ticket,
            "challenge_id": started["challenge_id"],
            "credential": credential,
        });
        app.post_json("/api/auth/mfa/passkey/finish", body, FIREFOX)
            .await
    };
    let started = start(ticket.clone()).await;
    assert_eq!(
        started["options"]["allowCredentials"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Its challenge does not sign in with a passkey alone.
    let signed = key.sign(&started["options"]);
    let alone = app.passkey_finish(&started["challenge_id"], signed).await;
    assert_refused(alone, "a second step's challenge").await;

    // A refused passkey counts against the ticket, which is then still good.
    let started = start(ticket.clone()).await;
    let bad = key.sign_with(
        &started["options"],
        Tweak {
            bad_signature: true,
            ..Tweak::default()
        },
    );
    assert_refused(
        finish(ticket.clone(), started, bad).await,
        "a bad signature",
    )
    .await;

    let started = start(ticket.clone()).await;
    let response = finish(
        ticket.clone(),
        started.clone(),
        key.sign(&started["options"]),
    )
    .await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(
        json_of(response).await["session"]["method"],
        "password+passkey"
    );

    // The ticket is spent.
    let again = app
        .post_json(
            "/api/auth/mfa/passkey/start",
            json!({ "mfa_token": ticket }),
            FIREFOX,
        )
        .await;
    assert_eq!(
        again.status(),
        Status::Ok,
        "the ticket still names the account"
    );
    let started = json_of(again).await;
    let response = finish(ticket, started.clone(), key.sign(&started["options"])).await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(error_code(response).await, "invalid_mfa_token");
}

#[rocket::async_test]
async fn a_ceremony_started_on_one_instance_finishes_on_another() {
    let first = app().await;
    let second = app_sharing_db(&first, |f| f).await;
    let ann = first.register(ANN).await;
    let mut key = SoftPasskey::new();

    // Registration: started on the first, finished on the second.
    let started = first.passkey_register_start(&ann).await;
    let body = json!({
        "challenge_id": started["challenge_id"],
        "credential": key.register(&started["options"]),
    });
    let added = second
        .post_as(&ann, "/api/account/passkeys/register/finish", body)
        .await;
    assert_eq!(added.status(), Status::Created);

    // Sign-in: the same, and then spent for the first one too.
    let started = first.passkey_start().await;
    let signed = key.sign(&started["options"]);
    let response = second
        .passkey_finish(&started["challenge_id"], signed)
        .await;
    assert_eq!(response.status(), Status::Ok);
    let signed = key.sign(&started["options"]);
    assert_refused(
        first.passkey_finish(&started["challenge_id"], signed).await,
        "spent",
    )
    .await;
}

#[rocket::async_test]
async fn passkey_sign_in_counts_against_the_per_ip_sign_in_quota() {
    let app = app_with(|f| f.merge(("rate_limit_login_per_ip", "2/min"))).await;
    for _ in 0..2 {
        app.passkey_start().await;
    }
    let third = app
        .post_json("/api/auth/passkey/start", json!({}), FIREFOX)
        .await;
    assert_rate_limited(third).await;
}

#[rocket::async_test]
async fn refused_passkeys_in_the_second_step_count_against_the_accounts_second_factor_limit() {
    let owned = app_with(|f| {
        f.merge(("rate_limit_login_per_ip", "off"))
            .merge(("rate_limit_mfa_failures_per_account", "2/h"))
    })
    .await;
    let app = &owned;
    let ann = app.register(ANN).await;
    let enrolled = app.enable_mfa(&ann).await;
    let mut key = SoftPasskey::new();
    app.add_passkey(&ann, &mut key).await;
    for _ in 0..2 {
        let ticket = app.mfa_ticket(ANN).await;
        let body = json!({ "mfa_token": ticket });
        let started = json_of(
            app.post_json("/api/auth/mfa/passkey/start", body, FIREFOX)
                .await,
        )
        .await;
        let bad = key.sign_with(
            &started["options"],
            Tweak {
                bad_signature: true,
                ..Tweak::default()
            },
        );
        let body = json!({
            "mfa_token": ticket,
            "challenge_id": started["challenge_id"],
            "credential": bad,
        });
        let refused = app
            .post_json("/api/auth/mfa/passkey/finish", body, FIREFOX)
            .await;
        assert_refused(refused, "a bad signature").await;
    }
    // The limit is the account's: a recovery code on a new ticket waits too.
    let ticket = app.mfa_ticket(ANN).await;
    let code = app.complete_mfa(&ticket, &enrolled.recovery_codes[0]).await;
    assert_rate_limited(code).await;
}
