//! The account's data export (`GET /api/account/export`): everything stored about the caller,
//! no secrets: the user (never the password hash), every session row (never a token or its
//! `jti`), every security event, whether two-factor sign-in is on and how many recovery codes
//! are left (never the secret nor the codes), the passkeys and the linked providers. A sensitive step: recent authentication.

use serde::Serialize;

use crate::account::Auth;
use crate::auth::security_events::{every_event, PublicEvent};
use crate::auth::sessions::{every_session, PublicSession};
use crate::auth::users::{PublicUser, User};
use crate::clock::rfc3339;
use crate::error::ApiResult;
use crate::mfa::recovery::recovery_codes_left;
use crate::oidc::identities::{self, LinkedIdentity, PublicIdentity};
use crate::passkeys::credentials::{self, PasskeyRow, PublicPasskey};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountExport {
    /// When this export was made (RFC 3339).
    #[schema(format = DateTime, example = "2025-01-31T12:00:00Z")]
    pub exported_at: String,
    pub user: ExportedUser,
    /// Every session, live, revoked or expired, newest first.
    pub sessions: Vec<ExportedSession>,
    /// Every security event kept under the account, newest first.
    pub events: Vec<PublicEvent>,
    pub mfa: ExportedMfa,
    /// The passkeys (never the public key or the credential id).
    pub passkeys: Vec<PublicPasskey>,
    /// The providers linked to the account (never the provider's subject).
    pub identities: Vec<PublicIdentity>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExportedUser {
    #[serde(flatten)]
    pub user: PublicUser,
    pub active: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExportedSession {
    #[serde(flatten)]
    pub session: PublicSession,
    /// RFC 3339; `null` unless it was revoked.
    #[schema(required = true, format = DateTime)]
    pub revoked_at: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExportedMfa {
    pub enabled: bool,
    /// Unused recovery codes (the codes themselves are stored hashed, and not exported).
    pub recovery_codes_left: i64,
}

impl Auth<'_> {
    /// Everything stored about `user`, for `user` on session `sid`.
    pub async fn export(&self, user: &User, sid: &str) -> ApiResult<AccountExport> {
        self.require_recent_auth(user, sid).await?;
        let sessions = every_session(self.db, user.id).await?;
        let events = every_event(self.db, user.id).await?;
        Ok(AccountExport {
            exported_at: rfc3339(self.tokens.clock.now()),
            user: ExportedUser {
                user: PublicUser::from(user),
                active: user.active,
            },
            sessions: sessions
                .iter()
                .map(|s| ExportedSession {
                    session: s.public(sid),
                    revoked_at: s.revoked_at.map(rfc3339),
                })
                .collect(),
            events: events.iter().map(PublicEvent::from).collect(),
            mfa: ExportedMfa {
                enabled: user.mfa_enabled,
                recovery_codes_left: recovery_codes_left(self.db, user.id).await?,
            },
            passkeys: credentials::list(self.db, user.id)
                .await?
                .iter()
                .map(PasskeyRow::public)
                .collect(),
            identities: identities::list(self.db, user.id)
                .await?
                .iter()
                .map(LinkedIdentity::public)
                .collect(),
        })
    }
}
