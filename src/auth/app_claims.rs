//! The extension point for application claims: what your app wants in every access token.
//!
//! `AppClaims::for_user` runs when a session starts (login, register) and again at every refresh,
//! on the user as loaded from the database then. Its result is signed into the refresh token and
//! copied into every access token minted from it, so route guards read it from `Claims` without a
//! database query. Add fields here; keep them small and non-secret (a JWT is signed, not
//! encrypted). A change to the user (a demotion) takes effect at the next refresh, within
//! `access_token_ttl`.

use serde::{Deserialize, Serialize};

use crate::auth::users::{Role, User};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AppClaims {
    /// Example claim: coarse permissions derived from the role. Replace with your own
    /// (tenant id, plan, feature flags...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub perms: Vec<String>,
}

impl AppClaims {
    pub fn for_user(user: &User) -> AppClaims {
        let perms = match user.role {
            Role::Admin => vec!["users:read".into(), "users:write".into()],
            Role::User => Vec::new(),
        };
        AppClaims { perms }
    }
}
