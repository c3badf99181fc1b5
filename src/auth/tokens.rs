//! Access and refresh JWTs: claim types, minting, and verification with the key chosen by `kid`
//! and the algorithm pinned to that key.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{decode, decode_header, encode, Validation};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::app_claims::AppClaims;
use crate::auth::keys::KeySet;
use crate::auth::users::Role;
use crate::clock::{new_id, now};
use crate::config::Settings;
use crate::error::{ApiError, ApiResult};

/// How far in the future an `iat` may lie (clock skew between instances); beyond, the token is
/// refused as not yet valid.
pub const MAX_CLOCK_SKEW: i64 = 60;

pub const ACCESS: &str = "access";
pub const REFRESH: &str = "refresh";
/// The ticket between a right password and the second factor: never an access or refresh token.
pub const MFA_TICKET: &str = "mfa";

/// How the session's user proved who they are (RFC 8176 `amr` values).
pub const AMR_PASSWORD: &str = "pwd";
pub const AMR_OTP: &str = "otp";

/// Claims of a short-lived access token. Verified without touching the database.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessClaims {
    /// User id.
    pub sub: String,
    /// Session id (one per device).
    pub sid: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub typ: String,
    pub role: Role,
    /// `["pwd"]`, or `["pwd", "otp"]` for a session started with a second factor.
    #[serde(default)]
    pub amr: Vec<String>,
    /// When this session last proved who it is (sign-in or re-authentication), unix seconds.
    #[serde(default)]
    pub auth_time: i64,
    #[serde(flatten)]
    pub app: AppClaims,
}

/// Claims of a refresh token; its `jti` must equal the session's current one.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RefreshClaims {
    pub sub: String,
    pub sid: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub typ: String,
    #[serde(default)]
    pub amr: Vec<String>,
    #[serde(default)]
    pub auth_time: i64,
    #[serde(flatten)]
    pub app: AppClaims,
}

/// Claims of an MFA ticket: whose password was right, and the `jti` its row is kept under.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MfaTicketClaims {
    pub sub: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub typ: String,
}

impl AccessClaims {
    pub fn user_id(&self) -> Result<i64, ApiError> {
        self.sub.parse().map_err(|_| ApiError::Unauthorized)
    }
}

impl RefreshClaims {
    pub fn user_id(&self) -> Result<i64, ApiError> {
        self.sub.parse().map_err(|_| ApiError::InvalidRefreshToken)
    }
}

/// Mints and verifies the two kinds of token with the key set (managed state, built once from
/// the settings). "Keys" are only ever key material: `KeySet` here, `KeyConfig` in the settings.
pub struct Tokens {
    pub keys: KeySet,
    pub access_token_ttl: i64,
    pub refresh_token_ttl: i64,
}

impl Tokens {
    pub fn new(settings: &Settings) -> Tokens {
        Tokens {
            keys: KeySet::new(&settings.keys),
            access_token_ttl: settings.access_token_ttl,
            refresh_token_ttl: settings.refresh_token_ttl,
        }
    }

    /// Signs any claims with the current key and its `kid`; tests use it to forge expired tokens.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, ApiError> {
        encode(&self.keys.header(), claims, self.keys.encoding()).map_err(|e| {
            rocket::error!("cannot sign a token: {e}");
            ApiError::Internal
        })
    }

    pub fn mint_access(
        &self,
        refresh: &RefreshClaims,
        role: Role,
        now: i64,
    ) -> Result<String, ApiError> {
        self.sign(&AccessClaims {
            sub: refresh.sub.clone(),
            sid: refresh.sid.clone(),
            jti: new_id(),
            iat: now,
            exp: now + self.access_token_ttl,
            typ: ACCESS.into(),
            role,
            amr: refresh.amr.clone(),
            auth_time: refresh.auth_time,
            app: refresh.app.clone(),
        })
    }

    /// An MFA ticket for `user_id`, living `ttl` seconds; its row is the caller's.
    pub fn mint_mfa_ticket(
        &self,
        user_id: i64,
        jti: &str,
        now: i64,
        ttl: i64,
    ) -> ApiResult<String> {
        self.sign(&MfaTicketClaims {
            sub: user_id.to_string(),
            jti: jti.to_owned(),
            iat: now,
            exp: now + ttl,
            typ: MFA_TICKET.into(),
        })
    }

    /// Signature, expiry and `typ` of an MFA ticket; whether it is spent is the row's business.
    pub fn verify_mfa_ticket(&self, token: &str) -> ApiResult<(i64, String)> {
        let claims: MfaTicketClaims = self.verify(token).map_err(|_| ApiError::InvalidMfaToken)?;
        if claims.typ != MFA_TICKET || claims.iat > now() + MAX_CLOCK_SKEW {
            return Err(ApiError::InvalidMfaToken);
        }
        let user_id = claims.sub.parse().map_err(|_| ApiError::InvalidMfaToken)?;
        Ok((user_id, claims.jti))
    }

    pub fn verify_access(&self, token: &str) -> Result<AccessClaims, ApiError> {
        let claims: AccessClaims = self.verify(token).map_err(|kind| match kind {
            ErrorKind::ExpiredSignature => ApiError::TokenExpired,
            _ => ApiError::Unauthorized,
        })?;
        if claims.typ != ACCESS || claims.iat > now() + MAX_CLOCK_SKEW {
            return Err(ApiError::Unauthorized);
        }
        Ok(claims)
    }

    /// Checks signature, algorithm, expiry and `typ`; the session row is checked by the caller.
    pub fn verify_refresh(&self, token: &str) -> Result<RefreshClaims, ApiError> {
        let claims: RefreshClaims = self
            .verify(token)
            .map_err(|_| ApiError::InvalidRefreshToken)?;
        if claims.typ != REFRESH || claims.iat > now() + MAX_CLOCK_SKEW {
            return Err(ApiError::InvalidRefreshToken);
        }
        Ok(claims)
    }

    fn verify<T: DeserializeOwned>(&self, token: &str) -> Result<T, ErrorKind> {
        // The `kid` picks the key; the token's own `alg` chooses nothing. A missing or unknown
        // `kid` is refused (so is `alg: none`, which jsonwebtoken cannot even parse).
        let header = decode_header(token).map_err(|e| e.into_kind())?;
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.keys.find(kid))
            .ok_or(ErrorKind::InvalidToken)?;
        // `Validation::new` accepts exactly the key's algorithm: an HS token under an EdDSA
        // key's kid (or HS512 under an HS256 key) fails here.
        let mut validation = Validation::new(key.algorithm);
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "sub"]);
        decode::<T>(token, &key.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| e.into_kind())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AuthConfig;

    fn test_tokens() -> Tokens {
        Tokens::new(&Settings::from_config(AuthConfig::default(), true).unwrap())
    }

    fn refresh(now: i64) -> RefreshClaims {
        RefreshClaims {
            sub: "7".into(),
            sid: new_id(),
            jti: new_id(),
            iat: now,
            exp: now + 60,
            typ: REFRESH.into(),
            amr: vec![AMR_PASSWORD.into()],
            auth_time: now,
            app: AppClaims::default(),
        }
    }

    #[test]
    fn typ_is_never_swapped() {
        let tokens = test_tokens();
        let r = refresh(now());
        let refresh_token = tokens.sign(&r).unwrap();
        let access_token = tokens.mint_access(&r, Role::User, now()).unwrap();
        assert_eq!(
            tokens.verify_access(&refresh_token),
            Err(ApiError::Unauthorized)
        );
        assert_eq!(
            tokens.verify_refresh(&access_token),
            Err(ApiError::InvalidRefreshToken)
        );
        assert_eq!(tokens.verify_access(&access_token).unwrap().sid, r.sid);
        assert_eq!(tokens.verify_refresh(&refresh_token).unwrap(), r);
    }

    #[test]
    fn expired_and_foreign_tokens_are_refused() {
        let tokens = test_tokens();
        let old = refresh(now() - 3600);
        let expired = tokens.mint_access(&old, Role::User, now() - 3600).unwrap();
        assert_eq!(tokens.verify_access(&expired), Err(ApiError::TokenExpired));
        let other = test_tokens()
            .mint_access(&refresh(now()), Role::User, now())
            .unwrap();
        assert_eq!(tokens.verify_access(&other), Err(ApiError::Unauthorized));
    }

    #[test]
    fn alg_none_is_refused() {
        let tokens = test_tokens();
        let token = tokens
            .mint_access(&refresh(now()), Role::Admin, now())
            .unwrap();
        let payload = token.split('.').nth(1).unwrap();
        // {"alg":"none","typ":"JWT"}
        let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
        assert_eq!(tokens.verify_access(&unsigned), Err(ApiError::Unauthorized));
    }
}
