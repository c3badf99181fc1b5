//! Users: the `User` row, roles, and every query on the `users` table. The parsed input types
//! (`Email`, `NewPassword`, a name) are in `user_input.rs`.

use serde::{Deserialize, Serialize};

use crate::auth::password::{Passwords, MAX_PASSWORD_BYTES};
pub use crate::auth::user_input::{parse_name, Email, NewPassword};
use crate::clock::{now, rfc3339};
use crate::db::{is_unique_violation, Engine, Pool};
use crate::error::ApiError;

/// What a user may do beyond their own account. Stored as its name (`users.role` is text), and
/// carried in every access token, so a role guard needs no database query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::User, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = ApiError;

    fn from_str(raw: &str) -> Result<Role, ApiError> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == raw)
            .ok_or_else(|| ApiError::InvalidInput("role must be one of: user, admin".into()))
    }
}

/// How sqlx reads the column (`#[sqlx(try_from = "String")]`); an unknown name fails the query.
impl TryFrom<String> for Role {
    type Error = ApiError;

    fn try_from(raw: String) -> Result<Role, ApiError> {
        raw.parse()
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub password_hash: String,
    pub active: bool,
    pub created_at: i64,
    /// A link mailed to the address was followed (verification, reset, email change).
    pub email_verified: bool,
    /// Sign-in asks for a second factor (TOTP or a recovery code).
    pub mfa_enabled: bool,
}

/// What the API shows of a user: never the hash.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = User)]
pub struct PublicUser {
    /// The user id, as a string.
    #[schema(example = "42")]
    pub id: String,
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// Up to 100 characters; may be empty.
    #[schema(example = "Ada")]
    pub name: String,
    pub role: Role,
    /// RFC 3339, UTC.
    #[schema(format = DateTime, example = "2025-01-31T12:00:00Z")]
    pub created_at: String,
    /// A link mailed to the address was followed (verification, reset, email change). With
    /// `require_verified_email` on, the API refuses most routes until it is (`403 email_unverified`).
    pub email_verified: bool,
    pub mfa_enabled: bool,
}

impl From<&User> for PublicUser {
    fn from(user: &User) -> Self {
        PublicUser {
            id: user.id.to_string(),
            email: user.email.clone(),
            name: user.name.clone(),
            role: user.role,
            created_at: rfc3339(user.created_at),
            email_verified: user.email_verified,
            mfa_enabled: user.mfa_enabled,
        }
    }
}

pub struct NewUser {
    pub email: Email,
    pub password: NewPassword,
    pub name: String,
    pub role: Role,
    /// True only when someone vouches for the address (an operator with `create-user`).
    pub email_verified: bool,
}

impl NewUser {
    /// A person's sign-up, from the raw fields of any form or body: a user, unverified.
    pub fn sign_up(email: &str, password: String, name: Option<&str>) -> Result<NewUser, ApiError> {
        let email = Email::parse(email)?;
        Ok(NewUser {
            password: NewPassword::parse(password, &email)?,
            name: parse_name(name)?,
            role: Role::User,
            email_verified: false,
            email,
        })
    }
}

const USER_COLUMNS: &str =
    "id, email, name, role, password_hash, active, created_at, email_verified, mfa_enabled";

/// The user of a `sessions` row in one column, `user_row`: a JSON array (email, name, role,
/// password hash, created at, email verified, second factor on), so that a statement on
/// `sessions` returns its user with it, with no second statement (the refresh's
/// `UPDATE … RETURNING`, `auth/rotation.rs`, where SQLite names only the updated table). One
/// subquery and one column instead of seven: each column returned costs about 2k instructions.
#[cfg(feature = "sqlite")]
pub(crate) const USER_OF_SESSION: &str = "(SELECT json_array(u.email, u.name, u.role, \
    u.password_hash, u.created_at, CASE WHEN u.email_verified THEN 1 ELSE 0 END, \
    CASE WHEN u.mfa_enabled THEN 1 ELSE 0 END) FROM users u WHERE u.id = sessions.user_id) \
    AS user_row";
#[cfg(feature = "postgres")]
pub(crate) const USER_OF_SESSION: &str = "(SELECT json_build_array(u.email, u.name, u.role, \
    u.password_hash, u.created_at, CASE WHEN u.email_verified THEN 1 ELSE 0 END, \
    CASE WHEN u.mfa_enabled THEN 1 ELSE 0 END)::text FROM users u \
    WHERE u.id = sessions.user_id) AS user_row";

/// `USER_OF_SESSION`'s column.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct UserOfSession {
    user_row: String,
}

impl UserOfSession {
    /// The `User` with this id (the session's `user_id`); active, as the rotation matches only
    /// sessions of active users.
    pub(crate) fn into_user(self, id: i64) -> Result<User, ApiError> {
        type Row = (String, String, String, String, i64, u8, u8);
        let (email, name, role, password_hash, created_at, verified, mfa) =
            serde_json::from_str::<Row>(&self.user_row).map_err(|e| {
                rocket::error!("user {id}: unreadable user_row: {e}");
                ApiError::Internal
            })?;
        Ok(User {
            id,
            email,
            name,
            role: role.parse().map_err(|_| {
                rocket::error!("user {id}: unknown role {role:?}");
                ApiError::Internal
            })?,
            password_hash,
            active: true,
            created_at,
            email_verified: verified == 1,
            mfa_enabled: mfa == 1,
        })
    }
}

pub async fn create_user(db: &Pool, passwords: &Passwords, new: NewUser) -> Result<User, ApiError> {
    let password_hash = passwords.hash(new.password).await?;
    let (email, role) = (&new.email, new.role);
    insert_user(
        db,
        email,
        &new.name,
        role,
        &password_hash,
        new.email_verified,
    )
    .await
}

/// What `password_hash` holds for an account without a password (made through an OpenID Connect
/// provider): no password verifies against it; a reset link sets one.
const NO_PASSWORD: &str = "";

/// An account with no password, for a person an OpenID Connect provider vouches for.
pub async fn create_passwordless_user(
    db: &Pool,
    email: &Email,
    name: &str,
    email_verified: bool,
) -> Result<User, ApiError> {
    insert_user(db, email, name, Role::User, NO_PASSWORD, email_verified).await
}

/// Whether the account can sign in with a password at all.
pub fn has_password(user: &User) -> bool {
    user.password_hash != NO_PASSWORD
}

async fn insert_user(
    db: &Pool,
    email: &Email,
    name: &str,
    role: Role,
    password_hash: &str,
    email_verified: bool,
) -> Result<User, ApiError> {
    let created_at = now();
    // SQLite may not commit `RETURNING` read with fetch_one outside a transaction (sqlx #2099).
    let mut tx = db.begin().await?;
    let inserted = sqlx::query_as::<_, User>(&format!(
        "INSERT INTO users (email, name, role, password_hash, active, created_at, email_verified) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {USER_COLUMNS}"
    ))
    .bind(email.as_str())
    .bind(name)
    .bind(role.as_str())
    .bind(password_hash)
    .bind(true)
    .bind(created_at)
    .bind(email_verified)
    .fetch_one(&mut *tx)
    .await;
    let user = match inserted {
        Ok(user) => user,
        Err(e) if is_unique_violation(&e) => return Err(ApiError::EmailTaken),
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    Ok(user)
}

/// Stores a new password hash (the caller revokes what must go with the old password).
pub async fn set_password_hash<'e, E>(db: E, user_id: i64, hash: &str) -> Result<(), ApiError>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Marks the address as proved (a mailed link was followed).
pub async fn set_email_verified<'e, E>(db: E, user_id: i64) -> Result<(), ApiError>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    sqlx::query("UPDATE users SET email_verified = $1 WHERE id = $2")
        .bind(true)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Moves the account to a new, proved address; `409 email_taken` when another account has it.
pub async fn set_email<'e, E>(db: E, user_id: i64, email: &Email) -> Result<(), ApiError>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    let updated = sqlx::query("UPDATE users SET email = $1, email_verified = $2 WHERE id = $3")
        .bind(email.as_str())
        .bind(true)
        .bind(user_id)
        .execute(db)
        .await;
    match updated {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(ApiError::EmailTaken),
        Err(e) => Err(e.into()),
    }
}

/// Whether sign-in asks for a second factor (`mfa.rs` keeps the secret and codes beside it).
pub async fn set_mfa_enabled<'e, E>(db: E, user_id: i64, on: bool) -> Result<(), ApiError>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    sqlx::query("UPDATE users SET mfa_enabled = $1 WHERE id = $2")
        .bind(on)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn set_name(db: &Pool, user_id: i64, name: &str) -> Result<(), ApiError> {
    sqlx::query("UPDATE users SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Activates or deactivates; `false` when it already was so.
pub async fn set_active<'e, E>(db: E, user_id: i64, active: bool) -> Result<bool, ApiError>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    let done = sqlx::query("UPDATE users SET active = $1 WHERE id = $2 AND active <> $1")
        .bind(active)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes effect at the user's next refresh (the role is read again then), within
/// `access_token_ttl`. `false` when the user already had it.
pub async fn set_role<'e, E>(db: E, user_id: i64, role: Role) -> Result<bool, ApiError>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    let done = sqlx::query("UPDATE users SET role = $1 WHERE id = $2 AND role <> $1")
        .bind(role.as_str())
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the user; their sessions and one-time tokens go with them (foreign keys), their
/// security events stay under the old id, which is never reused.
pub async fn delete_user<'e, E>(db: E, user_id: i64) -> Result<(), ApiError>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn find_by_email(db: &Pool, email: &Email) -> Result<Option<User>, ApiError> {
    Ok(sqlx::query_as::<_, User>(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE email = $1"
    ))
    .bind(email.as_str())
    .fetch_optional(db)
    .await?)
}

/// Takes any executor, so a transaction (the refresh rotation) reads the user inside it.
pub async fn find_by_id<'e, E>(db: E, id: i64) -> Result<Option<User>, ApiError>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    Ok(
        sqlx::query_as::<_, User>(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}

/// The user behind a live session: active, and the session neither revoked nor expired.
pub async fn find_by_live_session(
    db: &Pool,
    user_id: i64,
    session_id: &str,
) -> Result<Option<User>, ApiError> {
    Ok(sqlx::query_as::<_, User>(
        "SELECT u.id, u.email, u.name, u.role, u.password_hash, u.active, u.created_at, \
         u.email_verified, u.mfa_enabled FROM users u JOIN sessions s ON s.user_id = u.id \
         WHERE u.id = $1 AND s.id = $2 AND u.active \
           AND s.revoked_at IS NULL AND s.expires_at > $3",
    )
    .bind(user_id)
    .bind(session_id)
    .bind(now())
    .fetch_optional(db)
    .await?)
}

/// Verifies credentials; unknown email and wrong password cost the same hash and answer the same.
pub async fn authenticate(
    db: &Pool,
    passwords: &Passwords,
    email: &str,
    password: String,
) -> Result<User, ApiError> {
    if password.is_empty() || password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::InvalidInput(
            "password must be 1 to 1024 bytes".into(),
        ));
    }
    // An unparsable email cannot exist: verify against the dummy hash to keep the timing.
    let user = match Email::parse(email) {
        Ok(email) => find_by_email(db, &email).await?,
        Err(_) => None,
    };
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let matches = passwords.verify(password, hash).await?;
    match user {
        Some(user) if matches && user.active => Ok(user),
        _ => Err(ApiError::InvalidCredentials),
    }
}
