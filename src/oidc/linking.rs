//! Which account an identity enters: the rule that keeps takeovers out. Pure, so each case is a
//! unit test; `steps` looks the facts up and carries the decision out.

/// What is known when a verified identity arrives.
#[derive(Debug, Clone, Copy)]
pub struct Facts {
    /// The account this `(provider, sub)` is linked to already.
    pub linked_user: Option<i64>,
    /// The provider said `email_verified: true` (and gave an address).
    pub provider_verified: bool,
    /// The local account with the same address, and whether its address is verified.
    pub local_match: Option<(i64, bool)>,
    /// New accounts are accepted (`allow_registration`).
    pub registration_open: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Signs into this account.
    SignIn(i64),
    /// Links the identity to this account, then signs in: both sides vouch for the address.
    LinkAndSignIn(i64),
    /// An account has this address but one side does not vouch for it: its password, once.
    AskPassword(i64),
    /// Nobody has the address: a new account, verified only when the provider says so.
    Register,
    /// Nobody has the address and registration is closed.
    RegistrationClosed,
}

pub fn decide(facts: Facts) -> Decision {
    match facts {
        Facts {
            linked_user: Some(user),
            ..
        } => Decision::SignIn(user),
        Facts {
            local_match: Some((user, local_verified)),
            provider_verified,
            ..
        } => {
            if provider_verified && local_verified {
                Decision::LinkAndSignIn(user)
            } else {
                Decision::AskPassword(user)
            }
        }
        Facts {
            registration_open: true,
            ..
        } => Decision::Register,
        _ => Decision::RegistrationClosed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(provider_verified: bool, local_match: Option<(i64, bool)>) -> Facts {
        Facts {
            linked_user: None,
            provider_verified,
            local_match,
            registration_open: true,
        }
    }

    #[test]
    fn a_linked_identity_signs_into_its_account_whatever_the_addresses_say() {
        let linked = Facts {
            linked_user: Some(7),
            ..facts(false, Some((9, false)))
        };
        assert_eq!(decide(linked), Decision::SignIn(7));
    }

    #[test]
    fn links_silently_only_when_both_sides_vouch_for_the_address() {
        assert_eq!(
            decide(facts(true, Some((9, true)))),
            Decision::LinkAndSignIn(9)
        );
        assert_eq!(
            decide(facts(false, Some((9, true)))),
            Decision::AskPassword(9)
        );
        assert_eq!(
            decide(facts(true, Some((9, false)))),
            Decision::AskPassword(9)
        );
        assert_eq!(
            decide(facts(false, Some((9, false)))),
            Decision::AskPassword(9)
        );
    }

    #[test]
    fn no_match_registers_when_registration_is_open() {
        assert_eq!(decide(facts(false, None)), Decision::Register);
        let closed = Facts {
            registration_open: false,
            ..facts(true, None)
        };
        assert_eq!(decide(closed), Decision::RegistrationClosed);
    }
}
