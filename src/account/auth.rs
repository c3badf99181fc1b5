//! `Auth`, the handle on the app's state that every account step runs on, and the steps of the
//! account itself, each rate-limited where it can be abused and written to the security-event
//! log: register, sign in, refresh, sign out, revoke devices, change the password, rename,
//! delete. What is done by mail is in `by_mail.rs`, two-factor in `mfa/`. API routes, pages and
//! the command line all call these, so none can skip a limit, an event or a mail.

use crate::account::breached::BreachedPasswords;
use crate::account::one_time;
use crate::auth::device::ClientInfo;
use crate::auth::limits::RateLimits;
use crate::auth::password::{Passwords, MAX_PASSWORD_BYTES};
use crate::auth::rotation::{end_session_with_refresh_token, rotate_session};
use crate::auth::security_events::{record, EventKind};
use crate::auth::sessions::REAUTH_WINDOW;
use crate::auth::sessions::{
    revoke_all_sessions_in, revoke_other_sessions_in, revoke_session, start_session, Issued,
    SignInMethod,
};
use crate::auth::tokens::{RefreshClaims, RefreshRefused, Tokens};
use crate::auth::users::{self, Email, NewPassword, NewUser, User};
use crate::config::Settings;
use crate::db::{Pool, Writer};
use crate::error::{ApiError, ApiResult};
use crate::mail::Mailer;
use crate::metrics::{Metrics, RevokeReason, SignInResult};
use crate::mfa::keys::MfaKeys;
use crate::mfa::steps::SignIn;

/// The shared state these steps need, borrowed from Rocket's managed state.
pub struct Auth<'a> {
    pub db: &'a Pool,
    /// The turn hot writes take (`db::Writer`).
    pub writer: &'a Writer,
    pub tokens: &'a Tokens,
    pub passwords: &'a Passwords,
    pub limits: &'a RateLimits,
    pub settings: &'a Settings,
    pub mailer: &'a Mailer,
    pub mfa_keys: &'a MfaKeys,
    /// What the steps count (`GET /metrics`).
    pub metrics: &'a Metrics,
    pub breached: &'a BreachedPasswords,
}

impl<'a> Auth<'a> {
    /// The steps on an app's managed state: for requests (`FromRequest`) and the command line.
    pub fn of<P: rocket::Phase>(rocket: &'a rocket::Rocket<P>) -> Option<Auth<'a>> {
        use rocket_db_pools::Database;
        let db = crate::db::Db::fetch(rocket)?;
        Some(Auth {
            db,
            writer: db.writer(),
            tokens: rocket.state()?,
            passwords: rocket.state()?,
            limits: rocket.state()?,
            settings: rocket.state()?,
            mailer: rocket.state()?,
            mfa_keys: rocket.state()?,
            metrics: rocket.state()?,
            breached: rocket.state()?,
        })
    }
}

impl Auth<'_> {
    /// Sign-up is open (`allow_registration`), else `403 forbidden`.
    pub fn registration_open(&self) -> ApiResult<()> {
        match self.settings.allow_registration {
            true => Ok(()),
            false => Err(ApiError::Forbidden("Registration is closed.")),
        }
    }

    /// A new account, signed in on this device, and a link to verify its address on its way.
    /// The one way in for people (API and pages); `create-user` is the operator's.
    pub async fn register(
        &self,
        email: &str,
        password: String,
        name: Option<&str>,
        client: &ClientInfo,
    ) -> Result<Issued, ApiError> {
        self.registration_open()?;
        let new = NewUser::sign_up(email, password, name)?;
        self.limits.register(self.db, client).await?;
        self.breached.check(&new.password).await?;
        let user = users::create_user(self.db, self.passwords, new).await?;
        let issued = self
            .start_session(
                EventKind::Registered,
                user,
                &SignInMethod::password(),
                client,
            )
            .await?;
        if !issued.user.email_verified {
            // The verification mail counts like any mail a request sends: past the limits the
            // account is made and the mail not sent; its owner can ask again later.
            let sent = match self
                .limits
                .mail_request(self.db, client, &issued.user.email)
                .await
            {
                Ok(()) => self.by_mail().send_verification(&issued.user).await,
                Err(e) => Err(e),
            };
            match sent {
                Ok(()) => {}
                // Past the mail limits, or a full mail queue: the account is made all the
                // same and the mail not sent; its owner can ask for a link again later.
                Err(ApiError::RateLimited(_) | ApiError::Busy(_)) => rocket::info!(
                    "sign-up of user {}: no verification mail (mail limits or queue)",
                    issued.user.id
                ),
                Err(e) => return Err(e),
            }
        }
        Ok(issued)
    }

    /// A new session on this device (`method`: how it signed in), and the event that says why it
    /// started.
    pub(crate) async fn start_session(
        &self,
        why: EventKind,
        user: User,
        method: &SignInMethod,
        client: &ClientInfo,
    ) -> Result<Issued, ApiError> {
        let issued = start_session(self.db, self.tokens, user, method, client).await?;
        let (user_id, sid) = (issued.user.id, issued.session.id.as_str());
        record(self.db, why, Some(user_id), Some(sid), client).await?;
        Ok(issued)
    }

    /// A person who proved who they are (`method`) gets a session on this device, like every
    /// sign-in (password, second step, passkey, provider): the event, and the mail when the
    /// device is new.
    pub(crate) async fn signed_in(
        &self,
        user: User,
        method: SignInMethod,
        client: &ClientInfo,
    ) -> ApiResult<Issued> {
        let mail = self.by_mail();
        let new_device = mail.is_new_device(&user, client).await?;
        let issued = self
            .start_session(EventKind::LoginSucceeded, user, &method, client)
            .await?;
        self.metrics
            .sign_in(method.as_str(), SignInResult::Succeeded);
        if new_device {
            mail.alert_new_device(&issued.user, client);
        }
        Ok(issued)
    }

    /// A failed attempt on a known account is logged under it; on an unknown email, with no user.
    /// With MFA on, a right password starts no session: it answers a ticket for the code.
    pub async fn sign_in(
        &self,
        email: &str,
        password: String,
        client: &ClientInfo,
    ) -> Result<SignIn, ApiError> {
        self.limits.password_attempt(self.db, client, email).await?;
        match users::authenticate(self.db, self.passwords, email, password).await {
            Ok(user) if user.mfa_enabled => {
                let first = SignInMethod::password();
                let asked = SignInResult::SecondFactorRequired;
                self.metrics.sign_in(first.as_str(), asked);
                let ticket = self.second_factor().ticket(&user, &first, client).await?;
                Ok(SignIn::MfaRequired(ticket))
            }
            Ok(user) => Ok(SignIn::Done(Box::new(
                self.signed_in(user, SignInMethod::password(), client)
                    .await?,
            ))),
            Err(ApiError::InvalidCredentials) => {
                let user_id = match Email::parse(email) {
                    Ok(email) => users::find_by_email(self.db, &email).await?.map(|u| u.id),
                    Err(_) => None,
                };
                record(self.db, EventKind::LoginFailed, user_id, None, client).await?;
                let method = SignInMethod::password();
                self.metrics.sign_in(method.as_str(), SignInResult::Failed);
                Err(ApiError::InvalidCredentials)
            }
            Err(other) => Err(other),
        }
    }

    /// Rotation and reuse detection live in `sessions::rotate_session`; the reuse event too.
    /// The token was verified by the caller, once per request (`web::refresh`); a refusal is
    /// answered after the rate limit, like any attempt.
    pub async fn refresh(
        &self,
        claims: Result<RefreshClaims, RefreshRefused>,
        client: &ClientInfo,
    ) -> Result<Issued, ApiError> {
        self.limits.refresh(self.db, client).await?;
        let claims = claims.inspect_err(|refused| self.metrics.refresh(refused.result()))?;
        let (tokens, settings) = (self.tokens, self.settings);
        rotate_session(self.writer, tokens, settings, self.metrics, &claims, client).await
    }

    /// Signs this device out; `false` when the session was not live any more.
    pub async fn sign_out(&self, user_id: i64, sid: &str, client: &ClientInfo) -> ApiResult<bool> {
        let kind = EventKind::Logout;
        let why = RevokeReason::SignOut;
        self.revoke_and_record(kind, why, user_id, sid, client)
            .await
    }

    /// Signs out the device holding this refresh token (a client that lost its access token).
    /// An already-rotated one is a grace answer or reuse, exactly as for a refresh.
    pub async fn sign_out_with_refresh_token(
        &self,
        claims: &RefreshClaims,
        client: &ClientInfo,
    ) -> Result<bool, ApiError> {
        let now = self.tokens.clock.now();
        let (settings, metrics) = (self.settings, self.metrics);
        end_session_with_refresh_token(self.writer, settings, metrics, claims, client, now).await
    }

    /// Revokes one of the user's devices; `false` when it is not a live session of theirs.
    pub async fn revoke_device(
        &self,
        user_id: i64,
        sid: &str,
        client: &ClientInfo,
    ) -> ApiResult<bool> {
        let kind = EventKind::SessionRevoked;
        let why = RevokeReason::ByUser;
        self.revoke_and_record(kind, why, user_id, sid, client)
            .await
    }

    /// Only a revocation that happened is logged: revoking twice writes one event.
    async fn revoke_and_record(
        &self,
        kind: EventKind,
        why: RevokeReason,
        user_id: i64,
        sid: &str,
        client: &ClientInfo,
    ) -> Result<bool, ApiError> {
        let revoked = revoke_session(self.db, user_id, sid).await?;
        if revoked {
            record(self.db, kind, Some(user_id), Some(sid), client).await?;
            self.metrics.revoked(why, 1);
        }
        Ok(revoked)
    }

    /// "Sign out everywhere else": a sensitive step (recent authentication on this session).
    pub async fn revoke_other_devices(
        &self,
        user: &User,
        keep: &str,
        client: &ClientInfo,
    ) -> Result<u64, ApiError> {
        self.require_recent_auth(user, keep).await?;
        let user_id = user.id;
        let mut tx = self.db.begin().await?;
        let revoked = revoke_other_sessions_in(&mut *tx, user_id, keep).await?;
        one_time::end_pending(&mut tx, user_id).await?;
        if revoked > 0 {
            let kind = EventKind::OtherSessionsRevoked;
            record(&mut *tx, kind, Some(user_id), Some(keep), client).await?;
        }
        tx.commit().await?;
        self.metrics.revoked(RevokeReason::ByUser, revoked);
        Ok(revoked)
    }

    /// Checks the current password (rate-limited like a login), stores the new one and revokes
    /// every other session in one transaction: a thief holding another session is out at once.
    /// A new password equal to the current one is refused (`weak_password`), nothing changed.
    /// Returns how many sessions were revoked.
    pub async fn change_password(
        &self,
        user: &User,
        sid: &str,
        current_password: String,
        new_password: String,
        client: &ClientInfo,
    ) -> Result<u64, ApiError> {
        self.require_recent_auth(user, sid).await?;
        self.limits
            .password_attempt(self.db, client, &user.email)
            .await?;
        let new = NewPassword::parse(new_password, &Email::parse(&user.email)?)?;
        // Once `current_password` is verified, "the new one matches the current hash" is plain
        // equality with it: no second argon2 run. Told only after the verification, so a wrong
        // current password is still `invalid_credentials` and counted.
        let same_as_current = new.expose() == current_password;
        let failed = EventKind::PasswordChangeFailed;
        self.check_password(user, sid, current_password, failed, client)
            .await?;
        if same_as_current {
            return Err(ApiError::WeakPassword(
                "The new password is the same as the current one: choose a different one.".into(),
            ));
        }
        self.breached.check(&new).await?;
        let new_hash = self.passwords.hash(new).await?;
        let mut tx = self.db.begin().await?;
        users::set_password_hash(&mut *tx, user.id, &new_hash).await?;
        let revoked = revoke_other_sessions_in(&mut *tx, user.id, sid).await?;
        one_time::end_pending(&mut tx, user.id).await?;
        let kind = EventKind::PasswordChanged;
        record(&mut *tx, kind, Some(user.id), Some(sid), client).await?;
        tx.commit().await?;
        self.metrics.revoked(RevokeReason::Password, revoked);
        Ok(revoked)
    }
}

impl Auth<'_> {
    /// A password entered to confirm a sensitive step (account page, MFA, re-authentication):
    /// rate-limited like a sign-in, a wrong one recorded as `password_check_failed`.
    pub(crate) async fn attempt_password(
        &self,
        user: &User,
        sid: &str,
        password: String,
        client: &ClientInfo,
    ) -> ApiResult<()> {
        self.limits
            .password_attempt(self.db, client, &user.email)
            .await?;
        let failed = EventKind::PasswordCheckFailed;
        self.check_password(user, sid, password, failed, client)
            .await
    }

    /// The signed-in user confirms a sensitive step with their password (the caller has counted
    /// the attempt against the login limits). A wrong one is `failed` in the event log.
    pub(crate) async fn check_password(
        &self,
        user: &User,
        sid: &str,
        password: String,
        failed: EventKind,
        client: &ClientInfo,
    ) -> ApiResult<()> {
        let plausible = !password.is_empty() && password.len() <= MAX_PASSWORD_BYTES;
        let hash = Some(user.password_hash.clone());
        if plausible && self.passwords.verify(password, hash).await? {
            return Ok(());
        }
        record(self.db, failed, Some(user.id), Some(sid), client).await?;
        Err(ApiError::InvalidCredentials)
    }

    /// Sensitive steps: this session proved who it is in the last 10 minutes, or
    /// `401 reauth_required`.
    pub async fn require_recent_auth(&self, user: &User, sid: &str) -> ApiResult<()> {
        match crate::auth::sessions::auth_time(self.db, user.id, sid).await? {
            Some(at) if self.tokens.clock.now() - at <= REAUTH_WINDOW => Ok(()),
            _ => Err(ApiError::ReauthRequired),
        }
    }

    pub async fn rename(&self, user: &User, name: &str) -> ApiResult<()> {
        let name = users::parse_name(Some(name))?;
        users::set_name(self.db, user.id, &name).await
    }

    /// Deletes the account, with its password (counted as a sign-in attempt): the user, their
    /// sessions and one-time tokens go; the security events stay, under the id, without the email.
    pub async fn delete_account(
        &self,
        user: &User,
        sid: &str,
        password: String,
        client: &ClientInfo,
    ) -> ApiResult<()> {
        self.require_recent_auth(user, sid).await?;
        self.attempt_password(user, sid, password, client).await?;
        let mut tx = self.db.begin().await?;
        // The last active admin stays: deleting them would leave nobody to run the app.
        crate::admin::directory::keep_an_admin(&mut tx, user.id).await?;
        let kind = EventKind::AccountDeleted;
        record(&mut *tx, kind, Some(user.id), Some(sid), client).await?;
        // Revoked first only to count them: the rows go with the user.
        let ended = revoke_all_sessions_in(&mut *tx, user.id).await?;
        users::delete_user(&mut *tx, user.id).await?;
        tx.commit().await?;
        self.metrics.revoked(RevokeReason::AccountDeleted, ended);
        Ok(())
    }
}
