//! One trip through a provider: the authorization request (PKCE S256, `state`, `nonce`), kept in
//! `oidc_flows` and bound to the browser that started by a random cookie (its hash is the key),
//! then the callback: the flow spent, the code exchanged, the ID token verified. What comes out
//! is an `Identity` the provider vouched for; which account it enters is `linking`'s business.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreIdTokenClaims, CoreIdTokenVerifier,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, SignatureVerificationError,
    TokenResponse as _,
};
use sha2::{Digest, Sha256};

use crate::clock::now;
use crate::db::Pool;
use crate::oidc::providers::{Discovered, Provider, Providers};
use crate::oidc::OidcError;

/// How long the trip through the provider may take, login page included.
pub const FLOW_TTL: i64 = 10 * 60;

/// What the provider vouched for, from a verified ID token.
#[derive(Debug, Clone)]
pub struct Identity {
    pub provider: String,
    pub subject: String,
    /// Lower-cased; empty when the provider gave none.
    pub email: String,
    /// Only `email_verified: true` counts; absent is not verified.
    pub email_verified: bool,
    pub name: String,
}

/// A flow as stored: what the callback needs to check and to finish.
#[derive(Debug, sqlx::FromRow)]
pub struct FlowRow {
    pub provider: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next: String,
    pub link_user_id: Option<i64>,
    pub expires_at: i64,
}

/// 256 random bits, URL-safe: the browser's cookie for a flow or a pending link.
pub fn new_cookie_value() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Cookies are kept as their hash: a database read gives no live flow away.
pub fn cookie_hash(value: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(value.as_bytes()))
}

/// `{public_url}/login/oidc/{name}/callback`: what the provider was told at registration.
pub fn redirect_uri(public_url: &str, provider: &str) -> String {
    format!("{public_url}/login/oidc/{provider}/callback")
}

fn client(
    provider: &Provider,
    discovered: &Discovered,
    public_url: &str,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    OidcError,
> {
    let config = &provider.config;
    let redirect = RedirectUrl::new(redirect_uri(public_url, &config.name))
        .map_err(|_| OidcError::Internal("redirect URI".into()))?;
    Ok(CoreClient::from_provider_metadata(
        discovered.metadata.clone(),
        ClientId::new(config.client_id.clone()),
        Some(ClientSecret::new(config.client_secret.clone())),
    )
    .set_redirect_uri(redirect))
}

/// Starts a trip: the flow stored, the cookie value for the browser and the provider's URL.
pub async fn start(
    db: &Pool,
    providers: &Providers,
    provider: &Provider,
    public_url: &str,
    next: &str,
    link_user_id: Option<i64>,
) -> Result<(String, String), OidcError> {
    let discovered = provider.discovered(&providers.http).await?;
    let client = client(provider, &discovered, public_url)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for scope in provider.config.scopes.iter().filter(|s| *s != "openid") {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
    let cookie = new_cookie_value();
    sqlx::query(
        "INSERT INTO oidc_flows (cookie_hash, provider, state, nonce, pkce_verifier, next, \
         link_user_id, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(cookie_hash(&cookie))
    .bind(provider.name())
    .bind(state.secret())
    .bind(nonce.secret())
    .bind(verifier.secret())
    .bind(next)
    .bind(link_user_id)
    .bind(now() + FLOW_TTL)
    .execute(db)
    .await?;
    Ok((cookie, url.to_string()))
}

/// The flow this browser started, spent whatever comes next: a callback is answered once.
/// `None` for no cookie, an unknown or spent one, an expired flow, or another provider's.
pub async fn take(
    db: &Pool,
    cookie: Option<&str>,
    provider: &str,
) -> Result<Option<FlowRow>, OidcError> {
    let Some(cookie) = cookie else {
        return Ok(None);
    };
    let hash = cookie_hash(cookie);
    // Read then delete in one transaction; the delete's count says this request spent it.
    let mut tx = db.begin().await?;
    let row = sqlx::query_as::<_, FlowRow>(
        "SELECT provider, state, nonce, pkce_verifier, next, link_user_id, expires_at \
         FROM oidc_flows WHERE cookie_hash = $1",
    )
    .bind(&hash)
    .fetch_optional(&mut *tx)
    .await?;
    let deleted = sqlx::query("DELETE FROM oidc_flows WHERE cookie_hash = $1 OR expires_at < $2")
        .bind(&hash)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(row.filter(|row| {
        deleted.rows_affected() > 0 && row.expires_at >= now() && row.provider == provider
    }))
}

/// Housekeeping: trips never finished (the callback deletes the others).
pub async fn prune_flows(db: &Pool, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM oidc_flows WHERE expires_at < $1")
        .bind(now)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// `state` as the callback carries it against the flow's, in constant time.
pub fn state_matches(flow: &FlowRow, state: Option<&str>) -> bool {
    use subtle_eq::eq;
    state.is_some_and(|state| eq(state.as_bytes(), flow.state.as_bytes()))
}

mod subtle_eq {
    /// Constant-time equality of two byte strings (the length is not secret).
    pub fn eq(a: &[u8], b: &[u8]) -> bool {
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// The code exchanged at the token endpoint (the PKCE verifier and the client secret go with
/// it, nowhere else), and the ID token that comes back verified.
pub async fn finish(
    providers: &Providers,
    provider: &Provider,
    public_url: &str,
    flow: &FlowRow,
    code: &str,
) -> Result<Identity, OidcError> {
    let discovered = provider.discovered(&providers.http).await?;
    let client = client(provider, &discovered, public_url)?;
    let token = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|_| OidcError::Refused("the provider has no token endpoint".into()))?
        .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
        .request_async(&providers.http)
        .await
        .map_err(|e| OidcError::Refused(format!("token exchange: {e}")))?;
    let id_token = token
        .id_token()
        .ok_or_else(|| OidcError::Refused("no ID token in the token answer".into()))?;
    let nonce = Nonce::new(flow.nonce.clone());
    let claims = match verify_id_token(provider, &discovered, id_token, &nonce) {
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) => {
            // A key we have not seen: the provider may have rotated. Read the keys once more.
            match provider.refresh_keys(&providers.http).await? {
                Some(fresh) => verify_id_token(provider, &fresh, id_token, &nonce),
                None => Err(ClaimsVerificationError::SignatureVerification(
                    SignatureVerificationError::NoMatchingKey,
                )),
            }
        }
        other => other,
    }
    .map_err(|e| OidcError::Refused(format!("ID token: {e}")))?;
    Ok(Identity {
        provider: provider.name().to_owned(),
        subject: claims.subject().as_str().to_owned(),
        email: claims
            .email()
            .map(|e| e.as_str().trim().to_lowercase())
            .unwrap_or_default(),
        email_verified: claims.email_verified() == Some(true),
        name: claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned())
            .unwrap_or_default(),
    })
}

/// Signature by the provider's keys with an algorithm its discovery document allows (never
/// `none`, never HMAC), `iss`, `aud`, `azp` when present, `exp` and `nonce`.
fn verify_id_token(
    provider: &Provider,
    discovered: &Discovered,
    id_token: &CoreIdToken,
    nonce: &Nonce,
) -> Result<CoreIdTokenClaims, ClaimsVerificationError> {
    let client_id = ClientId::new(provider.config.client_id.clone());
    // A public-client verifier: it holds no client secret, so no HMAC signature can pass.
    let verifier = CoreIdTokenVerifier::new_public_client(
        client_id.clone(),
        discovered.metadata.issuer().clone(),
        discovered.metadata.jwks().clone(),
    )
    .set_allowed_algs(discovered.allowed_algorithms());
    let claims = id_token.claims(&verifier, nonce)?.clone();
    // openidconnect leaves `azp` alone; OpenID Connect Core 3.1.3.7 step 5 does not.
    if let Some(azp) = claims.authorized_party() {
        if *azp != client_id {
            return Err(ClaimsVerificationError::InvalidAudience(format!(
                "authorized party is `{}`, not this client",
                azp.as_str()
            )));
        }
    }
    Ok(claims)
}
