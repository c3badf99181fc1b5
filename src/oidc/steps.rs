//! The steps of signing in with a provider, on the `Auth` handle and the providers: start a trip,
//! finish it (which account, then a sign-in like any other: session, cookies, new-device alert,
//! the second step with two-factor on), link with the password once, link and unlink from the
//! account page. Pages and the API call these; neither can skip a check or an event.

use serde::Serialize;

use crate::account::auth::Auth;
use crate::auth::device::ClientInfo;
use crate::auth::security_events::{record, EventKind};
use crate::auth::sessions::SignInMethod;
use crate::auth::users::{self, Email, User};
use crate::clock::now;
use crate::metrics::SignInResult;
use crate::mfa::steps::SignIn;
use crate::oidc::flow::{self, Identity};
use crate::oidc::identities::{self, LinkedIdentity};
use crate::oidc::linking::{decide, Decision, Facts};
use crate::oidc::{OidcError, Providers};

/// How long an identity waits for the password of the account it matched.
pub const PENDING_LINK_TTL: i64 = 10 * 60;

/// The provider steps, over the app's state and the providers: `auth.oidc(providers).finish(…)`.
pub struct OidcSteps<'a> {
    pub auth: &'a Auth<'a>,
    pub providers: &'a Providers,
}

impl Auth<'_> {
    pub fn oidc<'b>(&'b self, providers: &'b Providers) -> OidcSteps<'b> {
        OidcSteps {
            auth: self,
            providers,
        }
    }
}

/// A provider as a sign-in button or an SPA lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderButton {
    #[schema(example = "google")]
    pub name: String,
    #[schema(example = "Google")]
    pub display_name: String,
    /// Where the browser goes to sign in with it (`GET`, then back signed in).
    #[schema(example = "/login/oidc/google")]
    pub login_url: String,
}

/// What the callback's query carried.
#[derive(Debug, Default)]
pub struct Callback<'a> {
    pub code: Option<&'a str>,
    pub state: Option<&'a str>,
    /// The provider's refusal (`access_denied` when the person said no).
    pub error: Option<&'a str>,
}

/// How a trip through a provider ended.
#[derive(Debug)]
pub enum Finished {
    /// A sign-in (or its second step, with two-factor on), then `next`.
    SignedIn(SignIn, String),
    /// Linked from the account page: the provider's display name.
    Linked(String),
    /// The address matched an account that one side does not vouch for: its password, once.
    /// The cookie binds the waiting identity to this browser.
    PasswordNeeded(PasswordNeeded),
}

#[derive(Debug)]
pub struct PasswordNeeded {
    pub cookie: String,
    pub email: String,
    pub provider: String,
    pub next: String,
}

/// A linked provider as the account page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct LinkedView {
    pub name: String,
    pub display_name: String,
    pub email: String,
    pub linked: bool,
}

impl OidcSteps<'_> {
    fn public_url(&self) -> &str {
        &self.auth.settings.mail.public_url
    }

    fn provider(&self, name: &str) -> Result<&crate::oidc::providers::Provider, OidcError> {
        self.providers.get(name).ok_or(OidcError::UnknownProvider)
    }

    /// One button per configured provider, each coming back to `next`.
    pub fn buttons(&self, next: &str) -> Vec<ProviderButton> {
        buttons(self.providers, next)
    }

    /// Starts a sign-in (or, with `link_to`, a link from the account page): the cookie value
    /// that binds the trip to this browser, and the provider's URL to send it to.
    pub async fn begin(
        &self,
        name: &str,
        next: &str,
        link_to: Option<(&User, &str)>,
    ) -> Result<(String, String), OidcError> {
        let provider = self.provider(name)?;
        if let Some((user, sid)) = link_to {
            // A new way into the account: a stolen session must not add its own.
            self.auth.require_recent_auth(user, sid).await?;
        }
        let public_url = self.public_url().to_owned();
        let link_user = link_to.map(|(user, _)| user.id);
        flow::start(
            self.auth.db,
            self.providers,
            provider,
            &public_url,
            next,
            link_user,
        )
        .await
    }

    /// The provider sent the browser back. The flow this browser started is spent first, so a
    /// callback works once, in the browser that started it, whatever happens next.
    pub async fn finish(
        &self,
        name: &str,
        cookie: Option<&str>,
        callback: Callback<'_>,
        client: &ClientInfo,
    ) -> Result<Finished, OidcError> {
        let provider = self.provider(name)?;
        let flow = flow::take(self.auth.db, cookie, name)
            .await?
            .ok_or_else(|| OidcError::Refused("no live flow for this browser".into()))?;
        if !flow::state_matches(&flow, callback.state) {
            return Err(OidcError::Refused("state does not match the flow's".into()));
        }
        if callback.error.is_some() {
            return Err(OidcError::Cancelled);
        }
        let code = callback
            .code
            .ok_or_else(|| OidcError::Refused("no code".into()))?;
        let public_url = self.public_url().to_owned();
        let identity = flow::finish(self.providers, provider, &public_url, &flow, code).await?;
        if let Some(user_id) = flow.link_user_id {
            self.link_from_account(user_id, &identity, client).await?;
            return Ok(Finished::Linked(provider.config.display_name.clone()));
        }
        self.enter(identity, &provider.config.display_name, flow.next, client)
            .await
    }

    /// Which account the identity enters, by the rule in `linking`.
    async fn enter(
        &self,
        identity: Identity,
        display_name: &str,
        next: String,
        client: &ClientInfo,
    ) -> Result<Finished, OidcError> {
        let db = self.auth.db;
        let linked_user = identities::find_user(db, &identity).await?;
        let local = match Email::parse(&identity.email) {
            Ok(email) if linked_user.is_none() => users::find_by_email(db, &email).await?,
            _ => None,
        };
        let facts = Facts {
            linked_user,
            provider_verified: identity.email_verified && !identity.email.is_empty(),
            local_match: local.as_ref().map(|u| (u.id, u.email_verified)),
            registration_open: self.auth.settings.allow_registration,
        };
        match decide(facts) {
            Decision::SignIn(user_id) => {
                let user = self.user(user_id).await?;
                self.sign_in(user, &identity, next, client).await
            }
            Decision::LinkAndSignIn(user_id) => {
                let user = self.user(user_id).await?;
                if !user.active {
                    return Err(OidcError::Deactivated);
                }
                self.link(&user, &identity, None, client).await?;
                self.sign_in(user, &identity, next, client).await
            }
            Decision::AskPassword(user_id) => {
                let cookie = flow::new_cookie_value();
                let expires_at = now() + PENDING_LINK_TTL;
                identities::save_pending(db, &cookie, user_id, &identity, &next, expires_at)
                    .await?;
                Ok(Finished::PasswordNeeded(PasswordNeeded {
                    cookie,
                    email: identity.email,
                    provider: display_name.to_owned(),
                    next,
                }))
            }
            Decision::Register => {
                let user = self.register(&identity, client).await?;
                self.sign_in(user, &identity, next, client).await
            }
            Decision::RegistrationClosed => Err(OidcError::RegistrationClosed),
        }
    }

    async fn user(&self, user_id: i64) -> Result<User, OidcError> {
        users::find_by_id(self.auth.db, user_id)
            .await?
            .ok_or_else(|| OidcError::Internal(format!("identity of a missing user {user_id}")))
    }

    /// A new account for a new person: no password (a reset link sets one), the address
    /// verified only when the provider says so (otherwise a link is mailed, as for any sign-up).
    async fn register(&self, identity: &Identity, client: &ClientInfo) -> Result<User, OidcError> {
        if identity.email.is_empty() {
            return Err(OidcError::NoEmail);
        }
        let auth = &self.auth;
        auth.limits.register(auth.db, client).await?;
        let email = Email::parse(&identity.email)?;
        let name = users::parse_name(Some(&identity.name)).unwrap_or_default();
        let user = users::create_passwordless_user(auth.db, &email, &name, identity.email_verified)
            .await?;
        record(auth.db, EventKind::Registered, Some(user.id), None, client).await?;
        self.link(&user, identity, None, client).await?;
        if !user.email_verified {
            auth.by_mail().send_verification(&user).await?;
        }
        Ok(user)
    }

    /// Links `identity` to `user` (event `identity_linked`); an identity linked already to an
    /// account (a race between two callbacks) is `LinkedElsewhere`.
    async fn link(
        &self,
        user: &User,
        identity: &Identity,
        sid: Option<&str>,
        client: &ClientInfo,
    ) -> Result<(), OidcError> {
        let db = self.auth.db;
        let mut tx = db.begin().await?;
        if !identities::link(&mut *tx, user.id, identity).await? {
            return Err(OidcError::LinkedElsewhere);
        }
        record(
            &mut *tx,
            EventKind::IdentityLinked,
            Some(user.id),
            sid,
            client,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A sign-in like any other: a deactivated account stays out, two-factor is asked, a new
    /// device is told about, the session says `oidc:{name}`.
    async fn sign_in(
        &self,
        user: User,
        identity: &Identity,
        next: String,
        client: &ClientInfo,
    ) -> Result<Finished, OidcError> {
        let auth = &self.auth;
        let method = SignInMethod::oidc(&identity.provider);
        if !user.active {
            record(auth.db, EventKind::LoginFailed, Some(user.id), None, client).await?;
            auth.metrics.sign_in(method.as_str(), SignInResult::Failed);
            return Err(OidcError::Deactivated);
        }
        if user.mfa_enabled {
            let ticket = auth.second_factor().ticket(&user, &method, client).await?;
            let asked = SignInResult::SecondFactorRequired;
            auth.metrics.sign_in(method.as_str(), asked);
            return Ok(Finished::SignedIn(SignIn::MfaRequired(ticket), next));
        }
        let mail = auth.by_mail();
        let new_device = mail.is_new_device(&user, client).await?;
        let issued = auth
            .start_session(EventKind::OidcSignIn, user, &method, client)
            .await?;
        auth.metrics
            .sign_in(method.as_str(), SignInResult::Succeeded);
        if new_device {
            mail.alert_new_device(&issued.user, client);
        }
        Ok(Finished::SignedIn(SignIn::Done(Box::new(issued)), next))
    }

    /// The identity waiting for this browser's password, and its account's address: for the
    /// "sign in with your password to link" page.
    pub async fn pending(
        &self,
        cookie: Option<&str>,
    ) -> Result<Option<(String, String)>, OidcError> {
        let Some(cookie) = cookie else {
            return Ok(None);
        };
        let Some(pending) = identities::find_pending(self.auth.db, cookie).await? else {
            return Ok(None);
        };
        let user = self.user(pending.user_id).await?;
        let provider = self
            .providers
            .get(&pending.provider)
            .map(|p| p.config.display_name.clone())
            .unwrap_or(pending.provider);
        Ok(Some((user.email, provider)))
    }

    /// The account's password, given once, links the waiting identity; then the sign-in goes on
    /// as a password sign-in (limits, events, two-factor). With two-factor on, the link is made
    /// at the password: every sign-in through the provider still asks for the code.
    pub async fn link_with_password(
        &self,
        cookie: Option<&str>,
        password: String,
        client: &ClientInfo,
    ) -> Result<(SignIn, String), OidcError> {
        let db = self.auth.db;
        let pending = match cookie {
            Some(cookie) => identities::find_pending(db, cookie).await?,
            None => None,
        }
        .ok_or_else(|| OidcError::Refused("no identity waits for this browser".into()))?;
        let user = self.user(pending.user_id).await?;
        let signed_in = self.auth.sign_in(&user.email, password, client).await?;
        let sid = match &signed_in {
            SignIn::Done(issued) => Some(issued.session.id.clone()),
            SignIn::MfaRequired(_) => None,
        };
        self.link(&user, &pending.identity(), sid.as_deref(), client)
            .await?;
        if let Some(cookie) = cookie {
            identities::drop_pending(db, cookie).await?;
        }
        Ok((signed_in, pending.next))
    }

    async fn link_from_account(
        &self,
        user_id: i64,
        identity: &Identity,
        client: &ClientInfo,
    ) -> Result<(), OidcError> {
        match identities::find_user(self.auth.db, identity).await? {
            Some(owner) if owner == user_id => Ok(()),
            Some(_) => Err(OidcError::LinkedElsewhere),
            None => {
                let user = self.user(user_id).await?;
                self.link(&user, identity, None, client).await
            }
        }
    }

    /// Every configured provider, and whether the account is linked to it.
    pub async fn linked(&self, user: &User) -> Result<Vec<LinkedView>, OidcError> {
        let linked = identities::list(self.auth.db, user.id).await?;
        let mut views: Vec<LinkedView> = self
            .providers
            .iter()
            .map(|p| {
                let found = linked.iter().find(|l| l.provider == p.name());
                LinkedView {
                    name: p.name().to_owned(),
                    display_name: p.config.display_name.clone(),
                    email: found.map(|l| l.email.clone()).unwrap_or_default(),
                    linked: found.is_some(),
                }
            })
            .collect();
        // Identities of providers no longer configured still count, and can be unlinked.
        for l in &linked {
            if self.providers.get(&l.provider).is_none() {
                views.push(LinkedView {
                    name: l.provider.clone(),
                    display_name: l.provider.clone(),
                    email: l.email.clone(),
                    linked: true,
                });
            }
        }
        Ok(views)
    }

    /// Unlinks a provider, unless it is the last way into the account (no password, no other
    /// provider). Event `identity_unlinked`.
    pub async fn unlink(
        &self,
        user: &User,
        sid: &str,
        name: &str,
        client: &ClientInfo,
    ) -> Result<(), OidcError> {
        let db = self.auth.db;
        let linked: Vec<LinkedIdentity> = identities::list(db, user.id).await?;
        if !linked.iter().any(|l| l.provider == name) {
            return Err(OidcError::Api(crate::error::ApiError::NotFound));
        }
        let others = linked.iter().filter(|l| l.provider != name).count();
        if !users::has_password(user) && others == 0 {
            return Err(OidcError::LastWayToSignIn);
        }
        let mut tx = db.begin().await?;
        identities::unlink(&mut *tx, user.id, name).await?;
        record(
            &mut *tx,
            EventKind::IdentityUnlinked,
            Some(user.id),
            Some(sid),
            client,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// One button per configured provider, each coming back to `next` (a `SafeNext` already).
pub fn buttons(providers: &Providers, next: &str) -> Vec<ProviderButton> {
    providers
        .iter()
        .map(|p| {
            let base = format!("/login/oidc/{}", p.name());
            let login_url = if next == "/" {
                base
            } else {
                format!("{base}?next={}", url_encode(next))
            };
            ProviderButton {
                name: p.name().to_owned(),
                display_name: p.config.display_name.clone(),
                login_url,
            }
        })
        .collect()
}

fn url_encode(value: &str) -> String {
    crate::oidc::http::url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
