//! The account steps done by mail: verifying the address, a forgotten password, changing the
//! address, and the new-device alert. Each mails through `Mailer`, which sends off the request
//! path, and writes its security event.

use serde_json::json;

use crate::account::one_time::{self, Purpose};
use crate::account::Auth;
use crate::auth::device::ClientInfo;
use crate::auth::security_events::{record, EventKind};
use crate::auth::sessions::{device_history, revoke_all_sessions_in};
use crate::auth::users::{self, Email, NewPassword, User};
use crate::clock::{in_words, now, utc_text};
use crate::db::Pool;
use crate::error::{ApiError, ApiResult};
use crate::mail::{Mail, MailKind, Mailer};
use crate::metrics::RevokeReason;

/// Pages the mailed links open.
pub const VERIFY_EMAIL_PATH: &str = "/verify-email";
pub const RESET_PASSWORD_PATH: &str = "/reset-password";
pub const CONFIRM_EMAIL_PATH: &str = "/account/email/confirm";
pub const CANCEL_EMAIL_CHANGE_PATH: &str = "/account/email/cancel";
pub const DEVICES_PATH: &str = "/sessions";

/// The name a person chose, in mail to their address only once the address is proved: anyone
/// can sign up with someone else's address and a name that reads like an instruction.
fn name_in_mail(user: &User) -> String {
    match user.email_verified {
        true => user.name.clone(),
        false => String::new(),
    }
}

fn lasts(ttl: i64) -> serde_json::Value {
    json!({ "expires": in_words(ttl.unsigned_abs()) })
}

/// The steps done by mail, over the app's state: `auth.by_mail().verify_email(…)`.
pub struct ByMail<'a> {
    auth: &'a Auth<'a>,
}

impl Auth<'_> {
    pub fn by_mail(&self) -> ByMail<'_> {
        ByMail { auth: self }
    }
}

impl ByMail<'_> {
    /// Mails a new verification link (earlier ones stop working).
    pub(crate) async fn send_verification(&self, user: &User) -> ApiResult<()> {
        let ttl = self.auth.settings.email_verify_ttl;
        let purpose = Purpose::VerifyEmail;
        let token = one_time::issue(self.auth.db, user.id, purpose, &user.email, ttl).await?;
        self.auth.mailer.send(Mail {
            kind: MailKind::VerifyEmail,
            to: user.email.clone(),
            name: name_in_mail(user),
            link: Some(self.auth.mailer.link(VERIFY_EMAIL_PATH, &token)),
            details: lasts(ttl),
        })?;
        Ok(())
    }

    /// Another verification link, rate-limited per IP and per address. `false` (and no mail)
    /// when the address is verified already.
    pub async fn resend_verification(&self, user: &User, client: &ClientInfo) -> ApiResult<bool> {
        if user.email_verified {
            return Ok(false);
        }
        self.auth
            .limits
            .mail_request(self.auth.db, client, &user.email)
            .await?;
        self.send_verification(user).await?;
        Ok(true)
    }

    /// Follows a verification link: the address it was mailed to is the user's, and proved.
    pub async fn verify_email(&self, token: &str, client: &ClientInfo) -> ApiResult<()> {
        let mut tx = self.auth.db.begin().await?;
        let redeemed = one_time::redeem(&mut *tx, token, Purpose::VerifyEmail).await?;
        // A link to an address the account no longer has proves nothing (nothing is spent).
        users::find_by_id(&mut *tx, redeemed.user_id)
            .await?
            .filter(|user| user.active && user.email == redeemed.email)
            .ok_or(ApiError::InvalidToken)?;
        users::set_email_verified(&mut *tx, redeemed.user_id).await?;
        let kind = EventKind::EmailVerified;
        record(&mut *tx, kind, Some(redeemed.user_id), None, client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Asks for a reset link. The answer is the same, and as quick, whether or not an account
    /// uses the address: after the rate limits (counted alike), all this does is queue a job;
    /// the job looks the account up and, when there is one, issues the token and mails it.
    pub async fn forgot_password(&self, email: &str, client: &ClientInfo) -> ApiResult<()> {
        let email = Email::parse(email)?;
        self.auth
            .limits
            .mail_request(self.auth.db, client, email.as_str())
            .await?;
        let (db, mailer) = (self.auth.db.clone(), self.auth.mailer.clone());
        let (ttl, client) = (self.auth.settings.password_reset_ttl, client.clone());
        self.auth.mailer.send_when(async move {
            match reset_mail(&db, &mailer, &email, ttl, &client).await {
                Ok(mail) => mail,
                Err(e) => {
                    rocket::error!("password reset for a requested address failed: {e}");
                    None
                }
            }
        })?;
        Ok(())
    }

    /// Mails a reset link to this user now (an administrator asked for it: no rate limit, the
    /// admin step records its own event). Earlier reset links stop working.
    pub async fn send_reset_link(&self, user: &User) -> ApiResult<()> {
        let ttl = self.auth.settings.password_reset_ttl;
        let purpose = Purpose::ResetPassword;
        let token = one_time::issue(self.auth.db, user.id, purpose, &user.email, ttl).await?;
        self.auth.mailer.send(Mail {
            kind: MailKind::ResetPassword,
            to: user.email.clone(),
            name: name_in_mail(user),
            link: Some(self.auth.mailer.link(RESET_PASSWORD_PATH, &token)),
            details: lasts(ttl),
        })?;
        Ok(())
    }

    /// Whether a reset link still works (the page shows its form, or says to ask again).
    pub async fn reset_link_works(&self, token: &str) -> ApiResult<bool> {
        Ok(one_time::find(self.auth.db, token, Purpose::ResetPassword)
            .await?
            .is_some())
    }

    /// Sets a new password with a reset link: every session of the user is revoked, the address
    /// counts as proved (the link was read there), and the link is spent, all in one transaction.
    /// A weak password spends nothing: the same link can be used again with a better one.
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: String,
        client: &ClientInfo,
    ) -> ApiResult<()> {
        let purpose = Purpose::ResetPassword;
        let found = one_time::find(self.auth.db, token, purpose)
            .await?
            .ok_or(ApiError::InvalidToken)?;
        let email = Email::parse(&found.email)?;
        let new = NewPassword::parse(new_password, &email)?;
        self.auth.breached.check(&new).await?;
        let new_hash = self.auth.passwords.hash(new).await?;
        let mut tx = self.auth.db.begin().await?;
        let redeemed = one_time::redeem(&mut *tx, token, purpose).await?;
        let user = users::find_by_id(&mut *tx, redeemed.user_id)
            .await?
            .filter(|user| user.active && user.email == redeemed.email)
            .ok_or(ApiError::InvalidToken)?;
        users::set_password_hash(&mut *tx, user.id, &new_hash).await?;
        if !user.email_verified && user.mfa_enabled {
            // Nobody had proved this address before this link: a second factor on the account
            // was enrolled by whoever signed up with it, not by the person reading its mail.
            crate::mfa::totp::disable_in(&mut tx, user.id).await?;
        }
        users::set_email_verified(&mut *tx, user.id).await?;
        let revoked = revoke_all_sessions_in(&mut *tx, user.id).await?;
        one_time::end_pending(&mut tx, user.id).await?;
        let kind = EventKind::PasswordReset;
        record(&mut *tx, kind, Some(user.id), None, client).await?;
        tx.commit().await?;
        self.auth.metrics.revoked(RevokeReason::Password, revoked);
        rocket::info!(
            "password reset for user {}: {revoked} sessions revoked",
            user.id
        );
        Ok(())
    }

    /// Starts moving the account to `new_email`: with the password (counted as a sign-in
    /// attempt), a link goes to the new address; nothing changes until it is followed.
    pub async fn request_email_change(
        &self,
        user: &User,
        sid: &str,
        new_email: &str,
        password: String,
        client: &ClientInfo,
    ) -> ApiResult<Email> {
        self.auth.require_recent_auth(user, sid).await?;
        self.auth
            .limits
            .password_attempt(self.auth.db, client, &user.email)
            .await?;
        let new_email = Email::parse(new_email)?;
        if new_email.as_str() == user.email {
            return Err(ApiError::InvalidInput(
                "That is already your address.".into(),
            ));
        }
        let failed = EventKind::PasswordCheckFailed;
        self.auth
            .check_password(user, sid, password, failed, client)
            .await?;
        self.auth
            .limits
            .mail_request(self.auth.db, client, new_email.as_str())
            .await?;
        if users::find_by_email(self.auth.db, &new_email)
            .await?
            .is_some()
        {
            return Err(ApiError::EmailTaken);
        }
        let ttl = self.auth.settings.email_verify_ttl;
        let purpose = Purpose::ChangeEmail;
        let token =
            one_time::issue(self.auth.db, user.id, purpose, new_email.as_str(), ttl).await?;
        let purpose = Purpose::CancelEmailChange;
        let cancel = one_time::issue(self.auth.db, user.id, purpose, &user.email, ttl).await?;
        let kind = EventKind::EmailChangeRequested;
        record(self.auth.db, kind, Some(user.id), Some(sid), client).await?;
        let mut to_new = lasts(ttl);
        to_new["old_email"] = json!(user.email);
        // The old address hears of it at once, with a link that cancels it: a session and the
        // password are not enough to take the account away quietly.
        let mut details = lasts(ttl);
        details["new_email"] = json!(new_email.as_str());
        details["at"] = json!(utc_text(now()));
        self.auth.mailer.send(Mail {
            kind: MailKind::EmailChangeRequested,
            to: user.email.clone(),
            name: name_in_mail(user),
            link: Some(self.auth.mailer.link(CANCEL_EMAIL_CHANGE_PATH, &cancel)),
            details,
        })?;
        // The new address has proved nothing yet: no name of the account's in mail to it.
        self.auth.mailer.send(Mail {
            kind: MailKind::ConfirmNewEmail,
            to: new_email.as_str().to_owned(),
            name: String::new(),
            link: Some(self.auth.mailer.link(CONFIRM_EMAIL_PATH, &token)),
            details: to_new,
        })?;
        Ok(new_email)
    }

    /// Follows the link mailed to a new address: the account moves to it (proved), and the old
    /// address is told. Returns the new address.
    pub async fn confirm_email_change(
        &self,
        token: &str,
        client: &ClientInfo,
    ) -> ApiResult<String> {
        let mut tx = self.auth.db.begin().await?;
        let redeemed = one_time::redeem(&mut *tx, token, Purpose::ChangeEmail).await?;
        let user = users::find_by_id(&mut *tx, redeemed.user_id)
            .await?
            .filter(|user| user.active)
            .ok_or(ApiError::InvalidToken)?;
        let new_email = Email::parse(&redeemed.email)?;
        users::set_email(&mut *tx, user.id, &new_email).await?;
        one_time::void(&mut *tx, user.id, Purpose::CancelEmailChange).await?;
        let kind = EventKind::EmailChanged;
        record(&mut *tx, kind, Some(user.id), None, client).await?;
        tx.commit().await?;
        self.auth.mailer.send_alert(Mail {
            kind: MailKind::EmailChanged,
            to: user.email.clone(),
            name: name_in_mail(&user),
            link: Some(self.auth.mailer.url(DEVICES_PATH)),
            details: json!({ "new_email": redeemed.email, "at": utc_text(now()) }),
        });
        Ok(redeemed.email)
    }

    /// The link mailed to the old address: the pending change is void (its link to the new
    /// address stops working). Returns the address that stays.
    pub async fn cancel_email_change(&self, token: &str, client: &ClientInfo) -> ApiResult<String> {
        let mut tx = self.auth.db.begin().await?;
        let redeemed = one_time::redeem(&mut *tx, token, Purpose::CancelEmailChange).await?;
        users::find_by_id(&mut *tx, redeemed.user_id)
            .await?
            .filter(|user| user.email == redeemed.email)
            .ok_or(ApiError::InvalidToken)?;
        one_time::void(&mut *tx, redeemed.user_id, Purpose::ChangeEmail).await?;
        let kind = EventKind::EmailChangeCancelled;
        record(&mut *tx, kind, Some(redeemed.user_id), None, client).await?;
        tx.commit().await?;
        Ok(redeemed.email)
    }

    /// What a mailed link would do, without spending it: the page it opens shows a button.
    pub async fn link_works(&self, token: &str, purpose: Purpose) -> ApiResult<bool> {
        Ok(one_time::find(self.auth.db, token, purpose)
            .await?
            .is_some())
    }

    /// Whether a sign-in about to start comes from a browser, OS and device kind this account
    /// has never used (and the account has been used before: a first sign-in alerts nobody).
    pub(crate) async fn is_new_device(&self, user: &User, client: &ClientInfo) -> ApiResult<bool> {
        if !self.auth.settings.new_device_alerts {
            return Ok(false);
        }
        let history = device_history(self.auth.db, user.id, client.device()).await?;
        Ok(history.any_device && !history.this_device)
    }

    pub(crate) fn alert_new_device(&self, user: &User, client: &ClientInfo) {
        let device = client.device();
        let details = json!({
            "device": crate::auth::device::describe(&device.browser, &device.os),
            "kind": crate::auth::device::device_kind(&device.device).1,
            "ip": client.ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string()),
            "at": utc_text(now()),
        });
        self.auth.mailer.send_alert(Mail {
            kind: MailKind::NewDevice,
            to: user.email.clone(),
            name: name_in_mail(user),
            link: Some(self.auth.mailer.url(DEVICES_PATH)),
            details,
        });
    }
}

/// The background half of `forgot_password`: the mail to send, if an active account uses the
/// address.
async fn reset_mail(
    db: &Pool,
    mailer: &Mailer,
    email: &Email,
    ttl: i64,
    client: &ClientInfo,
) -> ApiResult<Option<Mail>> {
    let Some(user) = users::find_by_email(db, email).await?.filter(|u| u.active) else {
        return Ok(None);
    };
    let token = one_time::issue(db, user.id, Purpose::ResetPassword, &user.email, ttl).await?;
    let kind = EventKind::PasswordResetRequested;
    record(db, kind, Some(user.id), None, client).await?;
    Ok(Some(Mail {
        kind: MailKind::ResetPassword,
        name: name_in_mail(&user),
        to: user.email,
        link: Some(mailer.link(RESET_PASSWORD_PATH, &token)),
        details: lasts(ttl),
    }))
}
