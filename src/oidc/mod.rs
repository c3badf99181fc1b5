//! Sign-in with OpenID Connect providers: the providers found by discovery (`providers`), the
//! trip through one (`flow`), who may enter which account (`linking`), the linked identities
//! (`identities`), and the steps the pages and the API call (`steps`), over a small HTTP client
//! of our own (`http`). docs/oidc.md says how to add a provider.

pub mod flow;
pub mod http;
pub mod identities;
pub mod linking;
pub mod providers;
pub mod steps;

use rocket::fairing::AdHoc;

use crate::config::Settings;
use crate::error::ApiError;

pub use providers::Providers;
pub use steps::OidcSteps;

/// Why a trip through a provider ended without a sign-in. Each is one message on the sign-in
/// page; the details (`Refused`'s) go to the log only.
#[derive(Debug)]
pub enum OidcError {
    UnknownProvider,
    /// Discovery or the keys could not be read: the provider's display name.
    ProviderUnavailable(String),
    /// The callback, the code exchange or the ID token failed a check (the detail is logged).
    Refused(String),
    /// The person said no at the provider.
    Cancelled,
    /// The provider shared no email address, and a new account needs one.
    NoEmail,
    RegistrationClosed,
    /// Linking from the account page an identity that is another account's.
    LinkedElsewhere,
    /// Unlinking the last way to sign in.
    LastWayToSignIn,
    /// The account exists but is deactivated.
    Deactivated,
    Api(ApiError),
    Internal(String),
}

impl From<ApiError> for OidcError {
    fn from(error: ApiError) -> Self {
        OidcError::Api(error)
    }
}

impl From<sqlx::Error> for OidcError {
    fn from(error: sqlx::Error) -> Self {
        OidcError::Api(ApiError::from(error))
    }
}

impl OidcError {
    /// The one message a person sees.
    pub fn message(&self) -> String {
        match self {
            OidcError::UnknownProvider => "There is no such sign-in provider.".into(),
            OidcError::ProviderUnavailable(name) => format!(
                "{name} cannot be reached right now. Try again in a moment, or sign in with \
                 your password."
            ),
            OidcError::Refused(_) | OidcError::Internal(_) => {
                "That sign-in did not work. Please try again.".into()
            }
            OidcError::Cancelled => "The sign-in was cancelled.".into(),
            OidcError::NoEmail => {
                "The provider did not share your email address, which an account needs.".into()
            }
            OidcError::RegistrationClosed => {
                "No account uses this address, and registration is closed.".into()
            }
            OidcError::LinkedElsewhere => {
                "That account at the provider is linked to another account here.".into()
            }
            OidcError::LastWayToSignIn => "This is your only way to sign in: set a password \
                 or link another provider before unlinking it."
                .into(),
            OidcError::Deactivated => "This account is deactivated.".into(),
            OidcError::Api(e) => e.message(),
        }
    }

    /// What the refusal is as an API error (status and code), for pages' statuses and the log.
    pub fn into_api(self) -> ApiError {
        match self {
            OidcError::Api(e) => e,
            OidcError::UnknownProvider => ApiError::NotFound,
            OidcError::ProviderUnavailable(_) => ApiError::Unavailable,
            OidcError::Internal(why) => {
                rocket::error!("oidc: {why}");
                ApiError::Internal
            }
            other => ApiError::InvalidInput(other.message()),
        }
    }
}

/// The providers in managed state, from the validated settings. Nothing is fetched here: a
/// provider that is down never stops the app from starting.
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("OpenID Connect providers", |rocket| async move {
        let configs = rocket
            .state::<Settings>()
            .map(|s| s.oidc_providers.clone())
            .unwrap_or_default();
        rocket.manage(Providers::new(configs, http::ProviderHttp::default()))
    })
}
