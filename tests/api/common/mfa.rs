//! Two-factor sign-in as a client does it: the test owns the clock step and computes each code
//! from the secret the setup answered, with `totp-rs` (RFC 6238: SHA-1, 6 digits, 30 s).

use rocket::http::Status;
use rocket::local::asynchronous::LocalResponse;
use serde_json::{json, Value};
use totp_rs::{Algorithm, Secret, TOTP};

use super::{bearer, Login, TestApp, FIREFOX, PASSWORD};

/// The current 30-second step.
pub fn current_step() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    now / 30
}

/// The code of `secret` (base32, as the setup answers it) for time step `step`.
pub fn code_at(secret: &str, step: u64) -> String {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .expect("base32 secret");
    let totp = TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new());
    totp.generate(step * 30)
}

/// What an enrolment left the test holding.
pub struct Enrolled {
    pub secret: String,
    pub recovery_codes: Vec<String>,
    /// The step the confirming code was for: later codes must be for later steps.
    pub step: u64,
}

impl Enrolled {
    /// A code for the step after the last one used (accepted while it is within ±1 of now).
    pub fn next_code(&mut self) -> String {
        self.step += 1;
        code_at(&self.secret, self.step)
    }
}

impl TestApp {
    /// A JSON POST with `by`'s access token.
    pub async fn post_as(&self, by: &Login, path: &str, body: Value) -> LocalResponse<'_> {
        self.json_post(path, &body, FIREFOX)
            .header(bearer(&by.access))
            .dispatch()
            .await
    }

    /// The setup of a second factor, on a verified address (verified here first if need be:
    /// an unverified address cannot enrol one).
    pub async fn mfa_setup(&self, by: &Login) -> Value {
        let email = by.body["user"]["email"].as_str().expect("the user's email");
        let verified: bool =
            sqlx::query_scalar("SELECT email_verified FROM users WHERE email = $1")
                .bind(email)
                .fetch_one(self.db())
                .await
                .expect("the user");
        if !verified {
            let token = self.verification_token(email).await;
            assert_eq!(self.verify_email(&token).await.status(), Status::NoContent);
        }
        let response = self
            .post_as(
                by,
                "/api/auth/mfa/totp/setup",
                json!({ "password": PASSWORD }),
            )
            .await;
        assert_eq!(response.status(), Status::Ok);
        response.into_json().await.expect("json")
    }

    /// Setup and confirm with the current step's code: MFA on.
    pub async fn enable_mfa(&self, by: &Login) -> Enrolled {
        let setup = self.mfa_setup(by).await;
        let secret = setup["secret"].as_str().expect("secret").to_owned();
        let step = current_step();
        let code = code_at(&secret, step);
        let response = self
            .post_as(by, "/api/auth/mfa/totp/confirm", json!({ "code": code }))
            .await;
        assert_eq!(response.status(), Status::Ok);
        let body: Value = response.into_json().await.expect("json");
        let recovery_codes = body["recovery_codes"]
            .as_array()
            .expect("recovery codes")
            .iter()
            .map(|c| c.as_str().expect("code").to_owned())
            .collect();
        Enrolled {
            secret,
            recovery_codes,
            step,
        }
    }

    /// The first step of a sign-in with MFA on: `202` and the ticket.
    pub async fn mfa_ticket(&self, email: &str) -> String {
        let body = json!({ "email": email, "password": PASSWORD });
        let response = self.post_json("/api/auth/login", body, FIREFOX).await;
        assert_eq!(response.status(), Status::Accepted);
        let body: Value = response.into_json().await.expect("json");
        body["mfa_token"].as_str().expect("mfa_token").to_owned()
    }

    pub async fn complete_mfa(&self, ticket: &str, code: &str) -> LocalResponse<'_> {
        let body = json!({ "mfa_token": ticket, "code": code });
        self.post_json("/api/auth/mfa", body, FIREFOX).await
    }

    /// Makes the session `sid` look signed in (or re-authenticated) `seconds_ago`.
    pub async fn age_authentication(&self, sid: &str, seconds_ago: i64) {
        let at = rocket_auth_template::clock::now() - seconds_ago;
        sqlx::query("UPDATE sessions SET auth_time = $1 WHERE id = $2")
            .bind(at)
            .bind(sid)
            .execute(self.db())
            .await
            .expect("update auth_time");
    }
}
