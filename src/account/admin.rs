//! What an operator does from the command line: deactivate or activate a user, change a role.
//! Each change is written to the user's security-event log as done from the command line.

use crate::account::one_time;
use crate::auth::device::ClientInfo;
use crate::auth::security_events::{record, EventKind};
use crate::auth::sessions::revoke_all_sessions_in;
use crate::auth::users::{self, Email, Role, User};
use crate::db::Pool;
use crate::error::{ApiError, ApiResult};

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// It was so already: nothing written.
    Unchanged,
    /// Changed; with deactivation, this many live sessions were revoked with it.
    Changed { sessions_revoked: u64 },
}

/// The user an operator command names; `404` when nobody has this email.
pub async fn find_user(db: &Pool, email: &Email) -> ApiResult<User> {
    users::find_by_email(db, email)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Deactivating also revokes every session, so the user is out at once everywhere (the guards
/// refuse an inactive user anyway; the sessions stay revoked if they are activated again).
pub async fn set_active(db: &Pool, email: &Email, active: bool) -> ApiResult<Change> {
    let user = find_user(db, email).await?;
    let mut tx = db.begin().await?;
    if !users::set_active(&mut *tx, user.id, active).await? {
        return Ok(Change::Unchanged);
    }
    let sessions_revoked = if active {
        0
    } else {
        one_time::end_pending(&mut tx, user.id).await?;
        revoke_all_sessions_in(&mut *tx, user.id).await?
    };
    let kind = if active {
        EventKind::UserActivated
    } else {
        EventKind::UserDeactivated
    };
    let client = ClientInfo::command_line();
    record(&mut *tx, kind, Some(user.id), None, &client).await?;
    tx.commit().await?;
    Ok(Change::Changed { sessions_revoked })
}

/// The new role reaches the user's tokens at their next refresh.
pub async fn set_role(db: &Pool, email: &Email, role: Role) -> ApiResult<Change> {
    let user = find_user(db, email).await?;
    let mut tx = db.begin().await?;
    if !users::set_role(&mut *tx, user.id, role).await? {
        return Ok(Change::Unchanged);
    }
    let client = ClientInfo::command_line();
    let kind = EventKind::RoleChanged;
    record(&mut *tx, kind, Some(user.id), None, &client).await?;
    tx.commit().await?;
    Ok(Change::Changed {
        sessions_revoked: 0,
    })
}
