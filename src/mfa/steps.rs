//! The account steps of two-factor sign-in: set up, confirm, turn off, finish a sign-in with a
//! code, and re-authenticate a session for sensitive steps. Codes count against the sign-in rate
//! limits (per IP and per account); every outcome that matters is a security event.

use serde::Serialize;

use crate::account::by_mail::DEVICES_PATH;
use crate::account::one_time;
use crate::account::Auth;
use crate::auth::device::ClientInfo;
use crate::auth::limits::SecondFactorFailure;
use crate::auth::security_events::{record, EventKind};
use crate::auth::sessions::{self, Issued, SignInMethod};
use crate::auth::users::{self, User};
use crate::clock::{new_id, now, utc_text};
use crate::error::{ApiError, ApiResult};
use crate::mail::{Mail, MailKind};
use crate::metrics::{SignInResult, SECOND_FACTOR};
use crate::mfa::keys::{self as mfa_keys, MfaKeys};
use crate::mfa::totp::{self, Code};
use crate::mfa::{recovery, tickets};

/// What the setup answers: the secret three ways (typed, linked, scanned).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TotpSetup {
    /// The secret in base32, for typing into an authenticator app.
    #[schema(example = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")]
    pub secret: String,
    /// The `otpauth://totp/…` link authenticator apps read (also the QR code's content).
    #[schema(
        example = "otpauth://totp/example.com:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=example.com"
    )]
    pub otpauth_uri: String,
    /// The link as a QR code, an inline SVG document.
    pub qr_svg: String,
}

/// A right password on an account with MFA on: the ticket that the code spends.
#[derive(Debug, Clone)]
pub struct MfaTicket {
    pub token: String,
    pub expires_in: i64,
}

/// How a sign-in with a right password goes on.
#[derive(Debug)]
pub enum SignIn {
    Done(Box<Issued>),
    MfaRequired(MfaTicket),
}

/// The two-factor steps, over the app's state: `auth.second_factor().confirm(…)`.
pub struct SecondFactor<'a> {
    auth: &'a Auth<'a>,
}

impl Auth<'_> {
    pub fn second_factor(&self) -> SecondFactor<'_> {
        SecondFactor { auth: self }
    }
}

impl SecondFactor<'_> {
    fn mfa_keys(&self) -> &MfaKeys {
        self.auth.mfa_keys
    }

    /// The name authenticator apps show above the code: this site's host.
    fn issuer(&self) -> String {
        totp::issuer_of(&self.auth.settings.mail.public_url)
    }

    /// A new secret, not yet in force: the password first (counted as a sign-in attempt).
    pub async fn setup(
        &self,
        user: &User,
        sid: &str,
        password: String,
        client: &ClientInfo,
    ) -> ApiResult<TotpSetup> {
        // A second factor guards the address's owner: on an address nobody proved, it could
        // be someone else's, enrolled to keep the owner out after a reset.
        if !user.email_verified {
            return Err(ApiError::EmailUnverified);
        }
        self.auth
            .attempt_password(user, sid, password, client)
            .await?;
        if user.mfa_enabled {
            return Err(ApiError::InvalidInput(
                "Two-factor sign-in is on already; turn it off first.".into(),
            ));
        }
        let secret = totp::new_secret();
        let sealed = self.mfa_keys().seal_secret(user.id, &secret)?;
        totp::save_pending(self.auth.db, user.id, &sealed, now()).await?;
        self.describe_secret(user, secret)
    }

    fn describe_secret(&self, user: &User, secret: Vec<u8>) -> ApiResult<TotpSetup> {
        let manual = totp::manual_key(&secret);
        let totp = totp::totp(secret, &self.issuer(), &user.email)?;
        let uri = totp.get_url();
        Ok(TotpSetup {
            secret: manual,
            qr_svg: totp::qr_svg(&uri)?,
            otpauth_uri: uri,
        })
    }

    /// The pending setup, for the account page to show again; `None` when there is none.
    pub async fn pending(&self, user: &User) -> ApiResult<Option<TotpSetup>> {
        match totp::find_totp(self.auth.db, user.id).await? {
            Some(mut row) if row.enabled_at.is_none() => {
                let secret = self.open_secret(&mut row).await?;
                Ok(Some(self.describe_secret(user, secret)?))
            }
            _ => Ok(None),
        }
    }

    /// The first right code turns MFA on; the answer is the recovery codes, shown this once.
    pub async fn confirm(
        &self,
        user: &User,
        sid: &str,
        code: &str,
        client: &ClientInfo,
    ) -> ApiResult<Vec<String>> {
        if !user.email_verified {
            return Err(ApiError::EmailUnverified);
        }
        self.auth
            .limits
            .password_attempt(self.auth.db, client, &user.email)
            .await?;
        let mut row = totp::find_totp(self.auth.db, user.id)
            .await?
            .filter(|row| row.enabled_at.is_none())
            .ok_or(ApiError::InvalidCode)?;
        let Code::Totp(code) = Code::parse(code)? else {
            return Err(ApiError::InvalidCode);
        };
        if !self.totp_code_is_right(user, &mut row, &code).await? {
            let kind = EventKind::MfaFailed;
            record(self.auth.db, kind, Some(user.id), Some(sid), client).await?;
            return Err(ApiError::InvalidCode);
        }
        let codes = recovery::new_recovery_codes();
        let keys = self.mfa_keys();
        totp::enable(self.auth.db, keys, user.id, &row.secret, &codes, now()).await?;
        // A second factor now guards the account: whoever held another session or a pending
        // link got it with the password alone.
        let mut tx = self.auth.db.begin().await?;
        sessions::revoke_other_sessions_in(&mut *tx, user.id, sid).await?;
        one_time::end_pending(&mut tx, user.id).await?;
        let kind = EventKind::MfaEnabled;
        record(&mut *tx, kind, Some(user.id), Some(sid), client).await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// The row's secret; sealed again under the current data key when an earlier one sealed
    /// it (the row then holds the new sealed value).
    async fn open_secret(&self, row: &mut totp::TotpRow) -> ApiResult<Vec<u8>> {
        let opened = self.mfa_keys().open_secret(row.user_id, &row.secret)?;
        if opened.stale {
            let sealed = self.mfa_keys().seal_secret(row.user_id, &opened.plain)?;
            if mfa_keys::replace_secret(self.auth.db, row.user_id, &row.secret, &sealed).await? {
                row.secret = sealed;
            }
        }
        Ok(opened.plain)
    }

    /// Right for a time step not spent yet; spends it.
    async fn totp_code_is_right(
        &self,
        user: &User,
        row: &mut totp::TotpRow,
        code: &str,
    ) -> ApiResult<bool> {
        let secret = self.open_secret(row).await?;
        let totp = totp::totp(secret, &self.issuer(), &user.email)?;
        let now = u64::try_from(now()).unwrap_or_default();
        match totp::matching_step(&totp, code, now) {
            Some(step) if step > row.last_step => {
                totp::spend_step(self.auth.db, user.id, step).await
            }
            _ => Ok(false),
        }
    }

    /// A second-factor attempt on this account: `429` while its wrong second factors are past
    /// `rate_limit_mfa_failures_per_account`, whatever ticket or page it comes through.
    pub(crate) async fn may_try(&self, user: &User) -> ApiResult<()> {
        self.auth
            .limits
            .second_factor_attempt(self.auth.db, user.id)
            .await
    }

    /// A wrong second factor (code, recovery code, passkey as the second step), counted for
    /// the account. The one that reaches the limit is recorded, and mailed to the owner once a
    /// window: whoever typed it had the password.
    pub(crate) async fn failed(
        &self,
        user: &User,
        sid: Option<&str>,
        client: &ClientInfo,
    ) -> ApiResult<()> {
        let db = self.auth.db;
        let alert = match self.auth.limits.second_factor_failed(db, user.id).await? {
            SecondFactorFailure::Counted => return Ok(()),
            SecondFactorFailure::Locked { alert } => alert,
        };
        if !alert {
            return Ok(());
        }
        record(db, EventKind::MfaLocked, Some(user.id), sid, client).await?;
        let rate = self
            .auth
            .settings
            .rate_limits
            .rate_limit_mfa_failures_per_account;
        let failures = rate.map_or(0, |rate| rate.count.get());
        self.auth.mailer.send_alert(Mail {
            kind: MailKind::MfaFailures,
            to: user.email.clone(),
            name: match user.email_verified {
                true => user.name.clone(),
                false => String::new(),
            },
            link: Some(self.auth.mailer.url(DEVICES_PATH)),
            details: serde_json::json!({ "failures": failures, "at": utc_text(now()) }),
        });
        Ok(())
    }

    /// A TOTP code or a recovery code of a user with MFA on; a wrong one is `mfa_failed`. Says
    /// which it was (`totp`, `recovery`), as a session's sign-in method names it.
    async fn check_code(
        &self,
        user: &User,
        sid: Option<&str>,
        code: &str,
        client: &ClientInfo,
    ) -> ApiResult<&'static str> {
        self.may_try(user).await?;
        let mut row = totp::find_totp(self.auth.db, user.id)
            .await?
            .filter(|row| row.enabled_at.is_some())
            .ok_or(ApiError::InvalidCode)?;
        let right = match Code::parse(code) {
            Ok(Code::Totp(code)) => self
                .totp_code_is_right(user, &mut row, &code)
                .await?
                .then_some("totp"),
            Ok(Code::Recovery(code)) => {
                let keys = self.mfa_keys();
                let spent =
                    recovery::spend_recovery_code(self.auth.db, keys, user.id, &code, now())
                        .await?;
                if spent {
                    let kind = EventKind::RecoveryCodeUsed;
                    record(self.auth.db, kind, Some(user.id), sid, client).await?;
                }
                spent.then_some("recovery")
            }
            Err(_) => None,
        };
        if let Some(factor) = right {
            return Ok(factor);
        }
        let kind = EventKind::MfaFailed;
        record(self.auth.db, kind, Some(user.id), sid, client).await?;
        self.failed(user, sid, client).await?;
        Err(ApiError::InvalidCode)
    }

    /// Turns MFA off with the password and a code (both entered now: a re-authentication).
    pub async fn disable(
        &self,
        user: &User,
        sid: &str,
        password: String,
        code: &str,
        client: &ClientInfo,
    ) -> ApiResult<()> {
        self.auth
            .attempt_password(user, sid, password, client)
            .await?;
        if !user.mfa_enabled {
            return Err(ApiError::InvalidInput(
                "Two-factor sign-in is off already.".into(),
            ));
        }
        self.check_code(user, Some(sid), code, client).await?;
        let mut tx = self.auth.db.begin().await?;
        totp::disable_in(&mut tx, user.id).await?;
        one_time::end_pending(&mut tx, user.id).await?;
        let kind = EventKind::MfaDisabled;
        record(&mut *tx, kind, Some(user.id), Some(sid), client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A right password on an account with MFA on: a ticket (JWT of its own `typ`, and a row).
    pub(crate) async fn ticket(
        &self,
        user: &User,
        first: &SignInMethod,
        client: &ClientInfo,
    ) -> ApiResult<MfaTicket> {
        let (jti, now) = (new_id(), now());
        let (first, agent) = (first.as_str(), client.user_agent.as_str());
        tickets::issue_ticket(self.auth.db, user.id, &jti, first, agent, now).await?;
        let token = self
            .auth
            .tokens
            .mint_mfa_ticket(user.id, &jti, now, tickets::TICKET_TTL)?;
        Ok(MfaTicket {
            token,
            expires_in: tickets::TICKET_TTL,
        })
    }

    /// Finishes a sign-in with the ticket and a code: a session started with MFA.
    pub async fn complete_sign_in(
        &self,
        ticket: &str,
        code: &str,
        client: &ClientInfo,
    ) -> ApiResult<Issued> {
        let (user_id, jti) = self.auth.tokens.verify_mfa_ticket(ticket)?;
        let user = users::find_by_id(self.auth.db, user_id)
            .await?
            .filter(|u| u.active && u.mfa_enabled)
            .ok_or(ApiError::InvalidMfaToken)?;
        self.auth
            .limits
            .password_attempt(self.auth.db, client, &user.email)
            .await?;
        self.may_try(&user).await?;
        let agent = &client.user_agent;
        if !tickets::take_ticket(self.auth.db, user.id, &jti, agent, now()).await? {
            return Err(ApiError::InvalidMfaToken);
        }
        let factor = match self.check_code(&user, None, code, client).await {
            Ok(factor) => factor,
            Err(e) => {
                tickets::return_ticket(self.auth.db, &jti).await?;
                if e == ApiError::InvalidCode {
                    let failed = SignInResult::Failed;
                    self.auth.metrics.sign_in(SECOND_FACTOR, failed);
                }
                return Err(e);
            }
        };
        let first = tickets::first_factor(self.auth.db, &jti).await?;
        let method = SignInMethod::first_step(first).then(factor);
        self.auth.signed_in(user, method, client).await
    }

    /// The session proves who it is again: the password, and a code when MFA is on.
    pub async fn reauthenticate(
        &self,
        user: &User,
        sid: &str,
        password: String,
        code: Option<&str>,
        client: &ClientInfo,
    ) -> ApiResult<()> {
        self.auth
            .attempt_password(user, sid, password, client)
            .await?;
        if user.mfa_enabled {
            let code = code
                .filter(|c| !c.trim().is_empty())
                .ok_or(ApiError::InvalidCode)?;
            self.check_code(user, Some(sid), code, client).await?;
        }
        sessions::set_auth_time(self.auth.db, user.id, sid, now()).await
    }

    pub async fn recovery_codes_left(&self, user: &User) -> ApiResult<i64> {
        recovery::recovery_codes_left(self.auth.db, user.id).await
    }
}
