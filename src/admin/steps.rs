//! `AdminSteps`: what an administrator does to another account (`auth.admin(actor, client)`).
//! Every change needs recent authentication from an admin (the command line is the operator at
//! the machine), commits in one transaction with the target's security event and its audit
//! entry, and is not written when nothing changed. Reads need no recent authentication.

use crate::account::one_time;
use crate::account::Auth;
use crate::admin::audit::{self, record_audit, Acted, AuditAction, AuditEntry};
use crate::admin::directory::{self, keep_an_admin, Listed, Page};
use crate::auth::device::ClientInfo;
use crate::auth::security_events::{self, record, EventKind, SecurityEvent};
use crate::auth::sessions::{list_sessions, revoke_all_sessions_in, revoke_session, ListedSession};
use crate::auth::users::{self, Role, User};
use crate::error::{ApiError, ApiResult};
use crate::metrics::RevokeReason;
use crate::mfa::totp;
use crate::oidc::identities::{self, LinkedIdentity};
use crate::passkeys::credentials::{self, PasskeyRow};

/// Who acts: a signed-in admin on one of their sessions, or the operator at the command line.
#[derive(Clone, Copy)]
pub enum Actor<'a> {
    Admin { user: &'a User, sid: &'a str },
    CommandLine,
}

impl Actor<'_> {
    fn admin(&self) -> Option<&User> {
        match self {
            Actor::Admin { user, .. } => Some(user),
            Actor::CommandLine => None,
        }
    }
}

/// The admin steps, over the app's state: `auth.admin(actor, &client).deactivate(id)`.
pub struct AdminSteps<'a> {
    auth: &'a Auth<'a>,
    actor: Actor<'a>,
    client: &'a ClientInfo,
}

impl<'a> Auth<'a> {
    pub fn admin(&'a self, actor: Actor<'a>, client: &'a ClientInfo) -> AdminSteps<'a> {
        AdminSteps {
            auth: self,
            actor,
            client,
        }
    }
}

/// Everything an admin sees of one user.
pub struct UserRecord {
    pub listed: Listed,
    pub sessions: Vec<ListedSession>,
    pub events: Vec<SecurityEvent>,
    pub passkeys: Vec<PasskeyRow>,
    pub identities: Vec<LinkedIdentity>,
}

impl AdminSteps<'_> {
    fn now(&self) -> i64 {
        self.auth.tokens.clock.now()
    }

    /// A change needs an admin who proved who they are in the last 10 minutes.
    async fn may_change(&self) -> ApiResult<()> {
        match self.actor {
            Actor::Admin { user, sid } => self.auth.require_recent_auth(user, sid).await,
            Actor::CommandLine => Ok(()),
        }
    }

    async fn target(&self, user_id: i64) -> ApiResult<User> {
        users::find_by_id(self.auth.db, user_id)
            .await?
            .ok_or(ApiError::NotFound)
    }

    fn acted(&self) -> Acted<'_> {
        Acted {
            admin: self.actor.admin(),
            client: self.client,
        }
    }

    /// The directory: users whose email or name contains `query`, newest first.
    pub async fn search(
        &self,
        query: Option<&str>,
        cursor: Option<&str>,
        limit: i64,
    ) -> ApiResult<Page> {
        let cursor = directory::parse_cursor(cursor)?;
        directory::search(self.auth.db, query, cursor, limit, self.now()).await
    }

    /// One user with their live sessions and recent security events.
    pub async fn user(&self, user_id: i64) -> ApiResult<UserRecord> {
        let listed = directory::find(self.auth.db, user_id, self.now())
            .await?
            .ok_or(ApiError::NotFound)?;
        let sessions = list_sessions(self.auth.db, user_id).await?;
        let events = security_events::recent(self.auth.db, user_id, 50).await?;
        Ok(UserRecord {
            listed,
            sessions,
            events,
            passkeys: credentials::list(self.auth.db, user_id).await?,
            identities: identities::list(self.auth.db, user_id).await?,
        })
    }

    /// A page of the audit log (newest first), all of it or one user's.
    pub async fn audit_log(
        &self,
        target: Option<i64>,
        cursor: Option<&str>,
        limit: i64,
    ) -> ApiResult<(Vec<AuditEntry>, Option<String>)> {
        let before = directory::parse_cursor(cursor)?;
        let limit = limit.clamp(1, audit::MAX_ENTRIES);
        let mut entries = audit::entries(self.auth.db, target, before, limit + 1).await?;
        let next = if entries.len() as i64 > limit {
            entries.truncate(limit as usize);
            entries.last().map(|e| e.id.to_string())
        } else {
            None
        };
        Ok((entries, next))
    }

    /// Deactivates (every session revoked at once, pending links voided) or activates a user;
    /// `false` when it was so already. The last active admin cannot be deactivated.
    pub async fn set_active(&self, user_id: i64, active: bool) -> ApiResult<bool> {
        self.may_change().await?;
        let target = self.target(user_id).await?;
        let mut tx = self.auth.db.begin().await?;
        if !active {
            keep_an_admin(&mut tx, user_id).await?;
        }
        let mut ended = 0;
        if !users::set_active(&mut *tx, user_id, active).await? {
            return Ok(false);
        }
        let (kind, action, detail) = if active {
            (
                EventKind::UserActivated,
                AuditAction::Activated,
                String::new(),
            )
        } else {
            let revoked = revoke_all_sessions_in(&mut *tx, user_id).await?;
            ended = revoked;
            one_time::end_pending(&mut tx, user_id).await?;
            let detail = format!("{revoked} sessions revoked");
            (EventKind::UserDeactivated, AuditAction::Deactivated, detail)
        };
        record(&mut *tx, kind, Some(user_id), None, self.client).await?;
        record_audit(
            &mut *tx,
            &self.acted(),
            action,
            &target,
            &detail,
            self.now(),
        )
        .await?;
        tx.commit().await?;
        self.auth.metrics.revoked(RevokeReason::Admin, ended);
        Ok(true)
    }

    /// A new role, in the user's tokens from their next refresh; `false` when they had it. The
    /// last active admin cannot be demoted (themselves included).
    pub async fn set_role(&self, user_id: i64, role: Role) -> ApiResult<bool> {
        self.may_change().await?;
        let target = self.target(user_id).await?;
        let mut tx = self.auth.db.begin().await?;
        if role != Role::Admin {
            keep_an_admin(&mut tx, user_id).await?;
        }
        if !users::set_role(&mut *tx, user_id, role).await? {
            return Ok(false);
        }
        record(
            &mut *tx,
            EventKind::RoleChanged,
            Some(user_id),
            None,
            self.client,
        )
        .await?;
        let detail = format!("{} → {role}", target.role);
        let action = AuditAction::RoleChanged;
        record_audit(
            &mut *tx,
            &self.acted(),
            action,
            &target,
            &detail,
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Signs every device of the user out; how many sessions were live.
    pub async fn revoke_sessions(&self, user_id: i64) -> ApiResult<u64> {
        self.may_change().await?;
        let target = self.target(user_id).await?;
        let mut tx = self.auth.db.begin().await?;
        let revoked = revoke_all_sessions_in(&mut *tx, user_id).await?;
        one_time::end_pending(&mut tx, user_id).await?;
        if revoked > 0 {
            let kind = EventKind::SessionsRevokedByAdmin;
            record(&mut *tx, kind, Some(user_id), None, self.client).await?;
            let detail = format!("{revoked} sessions revoked");
            let action = AuditAction::SessionsRevoked;
            record_audit(
                &mut *tx,
                &self.acted(),
                action,
                &target,
                &detail,
                self.now(),
            )
            .await?;
        }
        tx.commit().await?;
        self.auth.metrics.revoked(RevokeReason::Admin, revoked);
        Ok(revoked)
    }

    /// Signs one device of the user out; `404` when it is not a live session of theirs.
    pub async fn revoke_session(&self, user_id: i64, sid: &str) -> ApiResult<()> {
        self.may_change().await?;
        let target = self.target(user_id).await?;
        let mut tx = self.auth.db.begin().await?;
        if !revoke_session(&mut *tx, user_id, sid).await? {
            return Err(ApiError::NotFound);
        }
        let kind = EventKind::SessionsRevokedByAdmin;
        record(&mut *tx, kind, Some(user_id), Some(sid), self.client).await?;
        let detail = format!("session {sid}");
        let action = AuditAction::SessionRevoked;
        record_audit(
            &mut *tx,
            &self.acted(),
            action,
            &target,
            &detail,
            self.now(),
        )
        .await?;
        tx.commit().await?;
        self.auth.metrics.revoked(RevokeReason::Admin, 1);
        Ok(())
    }

    /// The lost-phone path: the second factor and recovery codes removed, the password alone
    /// signs in again; pending links and sign-in tickets voided. `false` when it was off.
    pub async fn reset_mfa(&self, user_id: i64) -> ApiResult<bool> {
        self.may_change().await?;
        let target = self.target(user_id).await?;
        if !target.mfa_enabled {
            return Ok(false);
        }
        let mut tx = self.auth.db.begin().await?;
        totp::disable_in(&mut tx, user_id).await?;
        one_time::end_pending(&mut tx, user_id).await?;
        let kind = EventKind::MfaResetByAdmin;
        record(&mut *tx, kind, Some(user_id), None, self.client).await?;
        let action = AuditAction::MfaReset;
        record_audit(&mut *tx, &self.acted(), action, &target, "", self.now()).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Mails the user a password reset link (their earlier ones stop working).
    pub async fn mail_password_reset(&self, user_id: i64) -> ApiResult<()> {
        self.may_change().await?;
        let target = self.target(user_id).await?;
        if !target.active {
            return Err(ApiError::InvalidInput(
                "This account is deactivated: activate it first.".into(),
            ));
        }
        self.auth.by_mail().send_reset_link(&target).await?;
        let mut tx = self.auth.db.begin().await?;
        let kind = EventKind::PasswordResetMailedByAdmin;
        record(&mut *tx, kind, Some(user_id), None, self.client).await?;
        let action = AuditAction::PasswordResetMailed;
        record_audit(&mut *tx, &self.acted(), action, &target, "", self.now()).await?;
        tx.commit().await?;
        Ok(())
    }
}
