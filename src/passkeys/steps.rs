//! The passkey steps over the `Auth` handle (`auth.passkeys()`): add one to a signed-in account,
//! list, rename and remove them, sign in with one alone, and finish a password sign-in's second
//! step with one. Every ceremony's state is kept in the database (`ceremonies.rs`) and spent once;
//! every change and every refusal that matters is a security event.

use webauthn_rs::prelude::{
    AuthenticationResult, DiscoverableAuthentication, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Webauthn, WebauthnError,
};
use webauthn_rs_proto::ResidentKeyRequirement;

use crate::account::auth::Auth;
use crate::auth::device::{describe, ClientInfo};
use crate::auth::security_events::{record, EventKind};
use crate::auth::sessions::Issued;
use crate::auth::sessions::SignInMethod;
use crate::auth::users::{self, User};
use crate::config::passkeys::PASSKEYS_OFF;
use crate::error::{ApiError, ApiResult};
use crate::metrics::{SignInResult, SECOND_FACTOR};
use crate::mfa::tickets;
use crate::passkeys::ceremonies::{self, CeremonyKind};
use crate::passkeys::credentials::{self, Flags, PasskeyRow, PublicPasskey};

/// A ceremony's start: the id its finish names, and the options for `navigator.credentials`
/// (WebAuthn L3 JSON, binary fields in base64url).
#[derive(Debug)]
pub struct Started {
    pub challenge_id: String,
    pub options: serde_json::Value,
}

/// The passkey steps, over the app's state: `auth.passkeys().start_sign_in(…)`.
pub struct Passkeys<'a> {
    auth: &'a Auth<'a>,
}

impl Auth<'_> {
    pub fn passkeys(&self) -> Passkeys<'_> {
        Passkeys { auth: self }
    }
}

fn options_json<T: serde::Serialize>(options: &T) -> ApiResult<serde_json::Value> {
    serde_json::to_value(options).map_err(|_| ApiError::Internal)
}

impl Passkeys<'_> {
    /// The app's clock (tests move it): ceremonies expire by it.
    fn now(&self) -> i64 {
        self.auth.tokens.clock.now()
    }

    /// The relying party; `403 forbidden` where passkeys are off (`public_url` is an IP).
    fn relying_party(&self) -> ApiResult<&Webauthn> {
        let passkeys = &self.auth.settings.passkeys;
        passkeys
            .relying_party
            .as_ref()
            .ok_or(ApiError::Forbidden(PASSKEYS_OFF))
    }

    /// Starts adding a passkey: a sensitive step (recent authentication). The account's passkeys
    /// are excluded (an authenticator holding one says so instead of making a second), and the
    /// authenticator must keep the credential (a discoverable one, for sign-in without a name).
    pub async fn start_registration(&self, user: &User, sid: &str) -> ApiResult<Started> {
        let auth = self.auth;
        auth.require_recent_auth(user, sid).await?;
        let handle = credentials::user_handle(auth.db, user.id).await?;
        let held = credentials::list(auth.db, user.id).await?;
        let exclude = held
            .iter()
            .map(|row| row.passkey().map(|p| p.cred_id().clone()))
            .collect::<ApiResult<Vec<_>>>()?;
        let display = if user.name.is_empty() {
            &user.email
        } else {
            &user.name
        };
        let (mut creation, state) = self
            .relying_party()?
            .start_passkey_registration(handle, &user.email, display, Some(exclude))
            .map_err(|e| {
                rocket::error!("passkey registration could not start: {e}");
                ApiError::Internal
            })?;
        // webauthn-rs asks for a resident key only "preferred"; sign-in here has no allow-list.
        if let Some(selection) = creation.public_key.authenticator_selection.as_mut() {
            selection.require_resident_key = true;
            selection.resident_key = Some(ResidentKeyRequirement::Required);
        }
        let kind = CeremonyKind::Register;
        let challenge_id =
            ceremonies::save(auth.db, kind, Some(user.id), &state, self.now()).await?;
        Ok(Started {
            challenge_id,
            options: options_json(&creation.public_key)?,
        })
    }

    /// Finishes adding a passkey: the challenge must be this account's registration, unspent and
    /// under 5 minutes old, and the attestation must verify for this relying party and origin.
    /// `name` defaults to the device it was added on ("Chrome on macOS").
    pub async fn finish_registration(
        &self,
        user: &User,
        sid: &str,
        challenge_id: &str,
        credential: &RegisterPublicKeyCredential,
        name: Option<&str>,
        client: &ClientInfo,
    ) -> ApiResult<PublicPasskey> {
        let auth = self.auth;
        let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => credentials::parse_name(name)?,
            None => describe(&client.device().browser, &client.device().os),
        };
        let kind = CeremonyKind::Register;
        let taken =
            ceremonies::take::<PasskeyRegistration>(auth.writer, challenge_id, kind, self.now())
                .await?
                .filter(|taken| taken.user_id == Some(user.id))
                .ok_or(ApiError::InvalidPasskeyRegistration)?;
        if credential.extensions.cred_props.as_ref().and_then(|p| p.rk) == Some(false) {
            // The authenticator said it did not keep the credential: it could never sign in.
            return Err(ApiError::InvalidPasskeyRegistration);
        }
        let passkey = self
            .relying_party()?
            .finish_passkey_registration(credential, &taken.state)
            .map_err(|e| {
                rocket::info!("passkey registration refused: {e}");
                ApiError::InvalidPasskeyRegistration
            })?;
        let row = credentials::insert(auth.db, user.id, &name, &passkey, self.now()).await?;
        let kind = EventKind::PasskeyAdded;
        record(auth.db, kind, Some(user.id), Some(sid), client).await?;
        Ok(row.public())
    }

    /// The account's passkeys as stored (the account page shows their times in words).
    pub async fn held(&self, user: &User) -> ApiResult<Vec<PasskeyRow>> {
        credentials::list(self.auth.db, user.id).await
    }

    pub async fn list(&self, user: &User) -> ApiResult<Vec<PublicPasskey>> {
        let rows = credentials::list(self.auth.db, user.id).await?;
        Ok(rows.iter().map(PasskeyRow::public).collect())
    }

    /// Renames one of the account's passkeys; another account's is `404`, as an unknown one.
    pub async fn rename(&self, user: &User, id: &str, name: &str) -> ApiResult<PublicPasskey> {
        let db = self.auth.db;
        let name = credentials::parse_name(name)?;
        if !credentials::rename(db, user.id, id, &name).await? {
            return Err(ApiError::NotFound);
        }
        let row = credentials::find(db, user.id, id).await?;
        Ok(row.ok_or(ApiError::NotFound)?.public())
    }

    /// Removes one of the account's passkeys: a sensitive step (recent authentication).
    pub async fn remove(
        &self,
        user: &User,
        sid: &str,
        id: &str,
        client: &ClientInfo,
    ) -> ApiResult<()> {
        let auth = self.auth;
        auth.require_recent_auth(user, sid).await?;
        if !credentials::delete(auth.db, user.id, id).await? {
            return Err(ApiError::NotFound);
        }
        let kind = EventKind::PasskeyRemoved;
        record(auth.db, kind, Some(user.id), Some(sid), client).await
    }

    /// Starts a sign-in with a passkey alone: no allow-list, the authenticator offers the
    /// account (a modal dialog, or the autofill of the email field with conditional mediation).
    pub async fn start_sign_in(&self, client: &ClientInfo) -> ApiResult<Started> {
        let auth = self.auth;
        auth.limits.passkey_attempt(auth.db, client).await?;
        let (request, state) = self
            .relying_party()?
            .start_discoverable_authentication()
            .map_err(|e| {
                rocket::error!("passkey sign-in could not start: {e}");
                ApiError::Internal
            })?;
        let kind = CeremonyKind::SignIn;
        let challenge_id = ceremonies::save(auth.db, kind, None, &state, self.now()).await?;
        Ok(Started {
            challenge_id,
            options: options_json(&request.public_key)?,
        })
    }

    /// Finishes a sign-in with a passkey alone: a session like a password's, started with two
    /// factors (the device and its user verification), so no second step follows.
    pub async fn finish_sign_in(
        &self,
        challenge_id: &str,
        credential: &PublicKeyCredential,
        client: &ClientInfo,
    ) -> ApiResult<Issued> {
        let signed_in = self.sign_in_alone(challenge_id, credential, client).await;
        let result = match &signed_in {
            Ok(_) => Some(SignInResult::Succeeded),
            Err(ApiError::InvalidPasskey) => Some(SignInResult::Failed),
            Err(_) => None, // rate-limited, or the database: no attempt was judged
        };
        if let Some(result) = result {
            let method = SignInMethod::passkey();
            self.auth.metrics.sign_in(method.as_str(), result);
        }
        signed_in
    }

    async fn sign_in_alone(
        &self,
        challenge_id: &str,
        credential: &PublicKeyCredential,
        client: &ClientInfo,
    ) -> ApiResult<Issued> {
        let auth = self.auth;
        auth.limits.passkey_attempt(auth.db, client).await?;
        let kind = CeremonyKind::SignIn;
        let taken = ceremonies::take::<DiscoverableAuthentication>(
            auth.writer,
            challenge_id,
            kind,
            self.now(),
        )
        .await?
        .ok_or(ApiError::InvalidPasskey)?;
        let rp = self.relying_party()?;
        let (handle, raw_id) = rp
            .identify_discoverable_authentication(credential)
            .map_err(|_| ApiError::InvalidPasskey)?;
        let row = credentials::find_by_credential(auth.db, raw_id)
            .await?
            .ok_or(ApiError::InvalidPasskey)?;
        // The handle the authenticator returned must be the one of the account holding the key.
        if credentials::user_of_handle(auth.db, &handle).await? != Some(row.user_id) {
            return Err(ApiError::InvalidPasskey);
        }
        let user = users::find_by_id(auth.db, row.user_id)
            .await?
            .filter(|u| u.active)
            .ok_or(ApiError::InvalidPasskey)?;
        let verified =
            rp.finish_discoverable_authentication_v2(credential, taken.state, &row.passkey()?);
        self.record_use(&user, &row, verified, client).await?;
        // A sign-in like any other (tokens, a session, the new-device mail), under its own event.
        let mail = auth.by_mail();
        let new_device = mail.is_new_device(&user, client).await?;
        let (why, method) = (EventKind::PasskeySignIn, SignInMethod::passkey());
        let issued = auth.start_session(why, user, &method, client).await?;
        if new_device {
            mail.alert_new_device(&issued.user, client);
        }
        Ok(issued)
    }

    /// Starts the second step of a password sign-in with one of the account's passkeys: the
    /// ticket from the password step names the account, its passkeys form the allow-list.
    pub async fn start_second_step(&self, ticket: &str) -> ApiResult<Started> {
        let auth = self.auth;
        let (user, _) = self.ticket_holder(ticket).await?;
        let rows = credentials::list(auth.db, user.id).await?;
        if rows.is_empty() {
            return Err(ApiError::InvalidPasskey);
        }
        let held = rows
            .iter()
            .map(PasskeyRow::passkey)
            .collect::<ApiResult<Vec<_>>>()?;
        let (request, state) = self
            .relying_party()?
            .start_passkey_authentication(&held)
            .map_err(|e| {
                rocket::error!("passkey second step could not start: {e}");
                ApiError::Internal
            })?;
        let kind = CeremonyKind::SecondStep;
        let challenge_id =
            ceremonies::save(auth.db, kind, Some(user.id), &state, self.now()).await?;
        Ok(Started {
            challenge_id,
            options: options_json(&request.public_key)?,
        })
    }

    /// Finishes a password sign-in with a passkey in place of a code: the ticket is spent as a
    /// code would spend it (a refused passkey hands it back, counted as a failure).
    pub async fn finish_second_step(
        &self,
        ticket: &str,
        challenge_id: &str,
        credential: &PublicKeyCredential,
        client: &ClientInfo,
    ) -> ApiResult<Issued> {
        let auth = self.auth;
        let (user, jti) = self.ticket_holder(ticket).await?;
        auth.limits
            .password_attempt(auth.db, client, &user.email)
            .await?;
        auth.second_factor().may_try(&user).await?;
        let (agent, now) = (&client.user_agent, crate::clock::now());
        if !tickets::take_ticket(auth.db, user.id, &jti, agent, now).await? {
            return Err(ApiError::InvalidMfaToken);
        }
        if let Err(e) = self
            .second_factor(&user, challenge_id, credential, client)
            .await
        {
            tickets::return_ticket(auth.db, &jti).await?;
            if e == ApiError::InvalidPasskey {
                auth.metrics.sign_in(SECOND_FACTOR, SignInResult::Failed);
            }
            // A refused passkey counts like a wrong code against the account's second factor.
            auth.second_factor().failed(&user, None, client).await?;
            return Err(e);
        }
        let method = SignInMethod::password().then("passkey");
        auth.signed_in(user, method, client).await
    }

    /// The account a sign-in ticket names (active, two-factor on), and the ticket's id.
    async fn ticket_holder(&self, ticket: &str) -> ApiResult<(User, String)> {
        let auth = self.auth;
        let (user_id, jti) = auth.tokens.verify_mfa_ticket(ticket)?;
        let user = users::find_by_id(auth.db, user_id)
            .await?
            .filter(|u| u.active && u.mfa_enabled)
            .ok_or(ApiError::InvalidMfaToken)?;
        Ok((user, jti))
    }

    /// The passkey half of the second step: this account's ceremony, one of its passkeys.
    async fn second_factor(
        &self,
        user: &User,
        challenge_id: &str,
        credential: &PublicKeyCredential,
        client: &ClientInfo,
    ) -> ApiResult<()> {
        let db = self.auth.db;
        let kind = CeremonyKind::SecondStep;
        let taken = ceremonies::take::<PasskeyAuthentication>(
            self.auth.writer,
            challenge_id,
            kind,
            self.now(),
        )
        .await?
        .filter(|taken| taken.user_id == Some(user.id))
        .ok_or(ApiError::InvalidPasskey)?;
        let row = credentials::find_by_credential(db, credential.get_credential_id())
            .await?
            .filter(|row| row.user_id == user.id)
            .ok_or(ApiError::InvalidPasskey)?;
        let verified = self
            .relying_party()?
            .finish_passkey_authentication(credential, &taken.state);
        self.record_use(user, &row, verified, client).await
    }

    /// webauthn-rs's verdict, and what it changes: a counter that went back (a cloned key?) is
    /// refused and recorded as `passkey_counter_regressed`, any other refusal as
    /// `passkey_failed`; an accepted use stores the new counter and flags (compare-and-swap on
    /// the counter read before: two racing uses of one key cannot both pass).
    async fn record_use(
        &self,
        user: &User,
        row: &PasskeyRow,
        verified: Result<AuthenticationResult, WebauthnError>,
        client: &ClientInfo,
    ) -> ApiResult<()> {
        let db = self.auth.db;
        let result = match verified {
            // webauthn-rs required user verification already; say so where it is relied on.
            Ok(result) if result.user_verified() => result,
            Ok(_) => return Err(ApiError::InvalidPasskey),
            Err(WebauthnError::CredentialPossibleCompromise) => {
                rocket::warn!("passkey {}: the signature counter went back", row.id);
                let kind = EventKind::PasskeyCounterRegressed;
                record(db, kind, Some(user.id), None, client).await?;
                return Err(ApiError::InvalidPasskey);
            }
            Err(e) => {
                rocket::info!("passkey {}: assertion refused: {e}", row.id);
                record(db, EventKind::PasskeyFailed, Some(user.id), None, client).await?;
                return Err(ApiError::InvalidPasskey);
            }
        };
        let mut passkey = row.passkey()?;
        passkey.update_credential(&result);
        let flags = Flags::of_use(&result);
        if !credentials::record_use(db, row, &passkey, flags, self.now()).await? {
            return Err(ApiError::InvalidPasskey);
        }
        Ok(())
    }
}
