//! Access and refresh JWTs: claim types, minting, and verification with the key chosen by `kid`
//! and the algorithm pinned to that key, `iss` and `aud` checked (RFC 8725 §3.9-3.11), and the
//! kind told apart twice: the `typ` claim, and the JOSE header `typ` (`at+jwt` for access tokens,
//! RFC 9068), so a verifier that only reads headers and the JWKS never takes one for the other.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{decode, decode_header, encode, Algorithm, Validation};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::auth::app_claims::AppClaims;
use crate::auth::keys::{KeySet, VerifyingKey};
use crate::auth::users::Role;
#[cfg(test)]
use crate::clock::now;
use crate::clock::{new_id, Clock};
use crate::config::Settings;
use crate::error::{ApiError, ApiResult};
use crate::metrics::RefreshResult;

/// How far in the future an `iat` may lie (clock skew between instances); beyond, the token is
/// refused as not yet valid.
pub const MAX_CLOCK_SKEW: i64 = 60;

/// The kinds of token: access, refresh, and the MFA ticket between a right password and the
/// second factor (never accepted as either of the others).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
    MfaTicket,
}

impl TokenKind {
    pub const ALL: [TokenKind; 3] = [TokenKind::Access, TokenKind::Refresh, TokenKind::MfaTicket];

    /// The `typ` claim.
    pub fn claim(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
            TokenKind::MfaTicket => "mfa",
        }
    }

    /// The JOSE header `typ`.
    pub fn header(self) -> &'static str {
        match self {
            TokenKind::Access => "at+jwt",
            TokenKind::Refresh => "refresh+jwt",
            TokenKind::MfaTicket => "mfa+jwt",
        }
    }
}

/// How the session's user proved who they are (RFC 8176 `amr` values).
pub const AMR_PASSWORD: &str = "pwd";
pub const AMR_OTP: &str = "otp";
/// RFC 8176: proof of possession of a hardware-secured key (a passkey).
pub const AMR_HARDWARE_KEY: &str = "hwk";
/// RFC 8176: several factors (a passkey: the device and its user verification).
pub const AMR_MULTI_FACTOR: &str = "mfa";

/// Claims of a short-lived access token. Verified without touching the database.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct AccessClaims {
    /// User id.
    #[schema(example = "42")]
    pub sub: String,
    /// Session id (one per device).
    pub sid: String,
    pub iss: String,
    pub aud: String,
    pub jti: String,
    /// Issued at, unix seconds.
    #[schema(example = 1738324800)]
    pub iat: i64,
    /// Expires at, unix seconds.
    #[schema(example = 1738325100)]
    pub exp: i64,
    #[schema(example = "access")]
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

/// Claims of a refresh token: those of the access token (same meaning) but the role, which is
/// read from the user again at every refresh. Its `jti` must equal the session's current one.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RefreshClaims {
    pub sub: String,
    pub sid: String,
    pub iss: String,
    pub aud: String,
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
    pub iss: String,
    pub aud: String,
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

/// Why a refresh token did not verify. Both answer `401 invalid_refresh_token`; only the
/// metrics tell them apart (`auth_refreshes_total{result}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshRefused {
    Expired,
    Invalid,
}

impl RefreshRefused {
    pub fn result(self) -> RefreshResult {
        match self {
            RefreshRefused::Expired => RefreshResult::Expired,
            RefreshRefused::Invalid => RefreshResult::Invalid,
        }
    }
}

impl From<RefreshRefused> for ApiError {
    fn from(_: RefreshRefused) -> ApiError {
        ApiError::InvalidRefreshToken
    }
}

/// Mints and verifies the two kinds of token with the key set (managed state, built once from
/// the settings). "Keys" are only ever key material: `KeySet` here, `KeyConfig` in the settings.
pub struct Tokens {
    pub keys: KeySet,
    pub access_token_ttl: i64,
    pub refresh_token_ttl: i64,
    pub session_max_lifetime: i64,
    pub issuer: String,
    pub audience: String,
    /// The app's clock (managed state too): tokens and sessions are stamped from it.
    pub clock: Clock,
    /// One per algorithm of the key set, built once: verifying is the claims guard's hot path.
    validations: Vec<(Algorithm, Validation)>,
    /// The header segment (base64url JSON) of every token a verifying key signs, per kind: a
    /// token starting with one of them has its key and kind found by comparing strings, not by
    /// decoding and parsing a header that `decode` parses again (4k instructions a request).
    signed_headers: Vec<(String, TokenKind, usize)>,
}

impl Tokens {
    pub fn new(settings: &Settings, clock: Clock) -> Tokens {
        let keys = KeySet::new(&settings.keys);
        let mut validations: Vec<(Algorithm, Validation)> = Vec::new();
        for algorithm in keys.algorithms() {
            if validations.iter().all(|(a, _)| *a != algorithm) {
                // `Validation::new` accepts exactly the key's algorithm: an HS token under an
                // EdDSA key's kid (or HS512 under an HS256 key) fails.
                let mut validation = Validation::new(algorithm);
                validation.leeway = 0;
                validation.validate_nbf = true;
                validation.set_issuer(&[&settings.tokens.jwt_issuer]);
                validation.set_audience(&[&settings.tokens.jwt_audience]);
                validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
                validations.push((algorithm, validation));
            }
        }
        let mut signed_headers = Vec::new();
        for (index, key) in keys.verifying().iter().enumerate() {
            for kind in TokenKind::ALL {
                let header = KeySet::header_for(key.algorithm, &key.kid, kind.header());
                let json = serde_json::to_vec(&header).expect("a header serializes");
                signed_headers.push((URL_SAFE_NO_PAD.encode(json), kind, index));
            }
        }
        Tokens {
            clock,
            keys,
            access_token_ttl: settings.tokens.access_token_ttl,
            refresh_token_ttl: settings.tokens.refresh_token_ttl,
            session_max_lifetime: settings.tokens.session_max_lifetime,
            issuer: settings.tokens.jwt_issuer.clone(),
            audience: settings.tokens.jwt_audience.clone(),
            validations,
            signed_headers,
        }
    }

    /// Signs any claims as `kind` with the current key and its `kid`; tests use it to forge.
    pub fn sign<T: Serialize>(&self, kind: TokenKind, claims: &T) -> Result<String, ApiError> {
        let header = KeySet::header_for(
            self.keys.signing_algorithm(),
            self.keys.signing_kid(),
            kind.header(),
        );
        encode(&header, claims, self.keys.encoding()).map_err(|e| {
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
        let claims = AccessClaims {
            sub: refresh.sub.clone(),
            sid: refresh.sid.clone(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: new_id(),
            iat: now,
            exp: now + self.access_token_ttl,
            typ: TokenKind::Access.claim().into(),
            role,
            amr: refresh.amr.clone(),
            auth_time: refresh.auth_time,
            app: refresh.app.clone(),
        };
        self.sign(TokenKind::Access, &claims)
    }

    /// The claims of a new refresh token for this session, expiring with it.
    pub fn refresh_claims(
        &self,
        user_id: i64,
        sid: &str,
        jti: &str,
        exp: i64,
        app: AppClaims,
    ) -> RefreshClaims {
        RefreshClaims {
            sub: user_id.to_string(),
            sid: sid.to_owned(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: jti.to_owned(),
            iat: self.clock.now(),
            exp,
            typ: TokenKind::Refresh.claim().into(),
            amr: vec![AMR_PASSWORD.into()],
            auth_time: 0,
            app,
        }
    }

    /// An MFA ticket for `user_id`, living `ttl` seconds; its row is the caller's.
    pub fn mint_mfa_ticket(
        &self,
        user_id: i64,
        jti: &str,
        now: i64,
        ttl: i64,
    ) -> ApiResult<String> {
        let claims = MfaTicketClaims {
            sub: user_id.to_string(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: jti.to_owned(),
            iat: now,
            exp: now + ttl,
            typ: TokenKind::MfaTicket.claim().into(),
        };
        self.sign(TokenKind::MfaTicket, &claims)
    }

    /// Signature, expiry and `typ` of an MFA ticket; whether it is spent is the row's business.
    pub fn verify_mfa_ticket(&self, token: &str) -> ApiResult<(i64, String)> {
        let claims: MfaTicketClaims = self
            .verify(token, TokenKind::MfaTicket)
            .map_err(|_| ApiError::InvalidMfaToken)?;
        if claims.typ != TokenKind::MfaTicket.claim()
            || claims.iat > self.clock.now() + MAX_CLOCK_SKEW
        {
            return Err(ApiError::InvalidMfaToken);
        }
        let user_id = claims.sub.parse().map_err(|_| ApiError::InvalidMfaToken)?;
        Ok((user_id, claims.jti))
    }

    pub fn verify_access(&self, token: &str) -> Result<AccessClaims, ApiError> {
        let claims: AccessClaims =
            self.verify(token, TokenKind::Access)
                .map_err(|kind| match kind {
                    ErrorKind::ExpiredSignature => ApiError::TokenExpired,
                    _ => ApiError::Unauthorized,
                })?;
        if claims.typ != TokenKind::Access.claim() || claims.iat > self.clock.now() + MAX_CLOCK_SKEW
        {
            return Err(ApiError::Unauthorized);
        }
        Ok(claims)
    }

    /// Checks signature, algorithm, expiry and `typ`; the session row is checked by the caller.
    pub fn verify_refresh(&self, token: &str) -> Result<RefreshClaims, RefreshRefused> {
        let claims: RefreshClaims =
            self.verify(token, TokenKind::Refresh)
                .map_err(|kind| match kind {
                    ErrorKind::ExpiredSignature => RefreshRefused::Expired,
                    _ => RefreshRefused::Invalid,
                })?;
        if claims.typ != TokenKind::Refresh.claim()
            || claims.iat > self.clock.now() + MAX_CLOCK_SKEW
        {
            return Err(RefreshRefused::Invalid);
        }
        Ok(claims)
    }

    fn verify<T: DeserializeOwned>(&self, token: &str, kind: TokenKind) -> Result<T, ErrorKind> {
        let key = match self.key_by_signed_header(token, kind) {
            Some(key) => key,
            None => self.key_by_parsed_header(token, kind)?,
        };
        let validation = self
            .validations
            .iter()
            .find(|(algorithm, _)| *algorithm == key.algorithm)
            .map(|(_, validation)| validation)
            .ok_or(ErrorKind::InvalidToken)?;
        decode::<T>(token, &key.decoding, validation)
            .map(|data| data.claims)
            .map_err(|e| e.into_kind())
    }

    /// The key of a token whose header is byte for byte one we sign for `kind`: every token we
    /// minted, so every one a client presents in earnest.
    fn key_by_signed_header(&self, token: &str, kind: TokenKind) -> Option<&VerifyingKey> {
        let (segment, _) = token.split_once('.')?;
        self.signed_headers
            .iter()
            .find(|(signed, k, _)| *k == kind && signed == segment)
            .map(|&(_, _, index)| &self.keys.verifying()[index])
    }

    /// Any other header, parsed. The `kid` picks the key; the token's own `alg` chooses nothing.
    /// A missing or unknown `kid` is refused (so is `alg: none`, which jsonwebtoken cannot even
    /// parse), and so is a header `typ` of another kind.
    fn key_by_parsed_header(
        &self,
        token: &str,
        kind: TokenKind,
    ) -> Result<&VerifyingKey, ErrorKind> {
        let header = decode_header(token).map_err(|e| e.into_kind())?;
        let typ_matches = header
            .typ
            .as_deref()
            .is_some_and(|typ| typ.eq_ignore_ascii_case(kind.header()));
        if !typ_matches {
            return Err(ErrorKind::InvalidToken);
        }
        header
            .kid
            .as_deref()
            .and_then(|kid| self.keys.find(kid))
            .ok_or(ErrorKind::InvalidToken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AuthConfig;

    fn test_tokens() -> Tokens {
        Tokens::new(
            &Settings::from_config(AuthConfig::default(), true).unwrap(),
            Default::default(),
        )
    }

    fn refresh(now: i64) -> RefreshClaims {
        let app = AppClaims::default();
        let mut claims = test_tokens().refresh_claims(7, &new_id(), &new_id(), now + 60, app);
        claims.iat = now;
        claims
    }

    #[test]
    fn typ_is_never_swapped() {
        let tokens = test_tokens();
        let r = refresh(now());
        let refresh_token = tokens.sign(TokenKind::Refresh, &r).unwrap();
        let access_token = tokens.mint_access(&r, Role::User, now()).unwrap();
        assert_eq!(
            tokens.verify_access(&refresh_token),
            Err(ApiError::Unauthorized)
        );
        assert_eq!(
            tokens.verify_refresh(&access_token),
            Err(RefreshRefused::Invalid)
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

    #[test]
    fn the_jose_typ_tells_the_kinds_apart_even_when_the_claims_lie() {
        let tokens = test_tokens();
        let r = refresh(now());
        // A refresh token's claims under the access header, and the reverse.
        let as_access = tokens.sign(TokenKind::Access, &r).unwrap();
        assert_eq!(
            tokens.verify_refresh(&as_access),
            Err(RefreshRefused::Invalid)
        );
        let access = tokens.mint_access(&r, Role::User, now()).unwrap();
        let claims = tokens.verify_access(&access).unwrap();
        let as_refresh = tokens.sign(TokenKind::Refresh, &claims).unwrap();
        assert_eq!(
            tokens.verify_access(&as_refresh),
            Err(ApiError::Unauthorized)
        );
        let header = jsonwebtoken::decode_header(&access).unwrap();
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    }

    #[test]
    fn another_issuer_or_audience_is_refused() {
        let tokens = test_tokens();
        let access = tokens
            .mint_access(&refresh(now()), Role::User, now())
            .unwrap();
        let mut claims = tokens.verify_access(&access).unwrap();
        assert_eq!(
            (claims.iss.as_str(), claims.aud.as_str()),
            ("rocket-auth-template", "rocket-auth-template")
        );
        claims.aud = "another-service".into();
        let foreign_aud = tokens.sign(TokenKind::Access, &claims).unwrap();
        assert_eq!(
            tokens.verify_access(&foreign_aud),
            Err(ApiError::Unauthorized)
        );
        claims.aud = tokens.audience.clone();
        claims.iss = "https://elsewhere.example".into();
        let foreign_iss = tokens.sign(TokenKind::Access, &claims).unwrap();
        assert_eq!(
            tokens.verify_access(&foreign_iss),
            Err(ApiError::Unauthorized)
        );
        let mut bare = serde_json::to_value(&claims).unwrap();
        bare.as_object_mut().unwrap().remove("iss");
        let no_iss = tokens.sign(TokenKind::Access, &bare).unwrap();
        assert_eq!(tokens.verify_access(&no_iss), Err(ApiError::Unauthorized));
    }

    fn tokens_with(secret: &str, previous: &[&str]) -> Tokens {
        let raw = AuthConfig {
            jwt_secret: Some(secret.into()),
            jwt_previous_secrets: previous.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        Tokens::new(
            &Settings::from_config(raw, true).unwrap(),
            Default::default(),
        )
    }

    #[test]
    fn every_token_we_sign_is_keyed_by_its_header_bytes_under_its_own_kind_only() {
        let (old, new) = ("o".repeat(32), "n".repeat(32));
        let before = tokens_with(&old, &[]);
        let after = tokens_with(&new, &[&old]);
        for (signer, kid) in [
            (&before, before.keys.signing_kid()),
            (&after, after.keys.signing_kid()),
        ] {
            for kind in TokenKind::ALL {
                let token = signer.sign(kind, &refresh(now())).unwrap();
                for other in TokenKind::ALL {
                    let found = after
                        .key_by_signed_header(&token, other)
                        .map(|k| k.kid.as_str());
                    assert_eq!(
                        found,
                        (other == kind).then_some(kid),
                        "{kind:?} read as {other:?}"
                    );
                }
            }
        }
    }

    /// A token signed by hand (the secret is the test's), with any header.
    fn signed_with(secret: &str, header: &str, claims: &impl Serialize) -> String {
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
        );
        let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
        let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::HS256);
        format!("{message}.{}", signature.unwrap())
    }

    #[test]
    fn a_header_we_did_not_write_byte_for_byte_is_parsed_and_judged_as_before() {
        let secret = "s".repeat(32);
        let tokens = tokens_with(&secret, &[]);
        let claims = tokens
            .verify_access(
                &tokens
                    .mint_access(&refresh(now()), Role::User, now())
                    .unwrap(),
            )
            .unwrap();
        let kid = tokens.keys.signing_kid().to_owned();
        let header =
            |typ: &str, kid: &str| format!(r#"{{"kid":"{kid}","typ":"{typ}","alg":"HS256"}}"#);
        let reordered = signed_with(&secret, &header("at+jwt", &kid), &claims);
        assert!(tokens
            .key_by_signed_header(&reordered, TokenKind::Access)
            .is_none());
        assert_eq!(
            tokens.verify_access(&reordered).map(|c| c.jti),
            Ok(claims.jti.clone())
        );
        for refused in [
            signed_with(&secret, &header("refresh+jwt", &kid), &claims),
            signed_with(&secret, &header("at+jwt", "0123456789abcdef"), &claims),
            signed_with(&secret, r#"{"typ":"at+jwt","alg":"HS256"}"#, &claims),
            signed_with(&"x".repeat(32), &header("at+jwt", &kid), &claims),
        ] {
            assert_eq!(tokens.verify_access(&refused), Err(ApiError::Unauthorized));
        }
    }
}
