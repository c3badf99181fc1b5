//! A software passkey for the API tests: a P-256 key (ring, already a dependency), a "none"
//! attestation and assertions built by hand (a few bytes of CBOR), so a test can register a
//! discoverable credential, sign in with it, and break one part of an assertion at a time:
//! origin, relying-party id, type, flags, counter, credential id, signature.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64U;
use base64::Engine as _;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::PUBLIC_URL;

/// User present, user verified.
pub const UP_UV: u8 = 0x05;

pub struct SoftPasskey {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    pub credential_id: Vec<u8>,
    /// The user handle the registration options named (the authenticator keeps it).
    pub user_handle: Vec<u8>,
    pub counter: u32,
}

/// One part of an assertion made wrong on purpose (or set: the counter).
#[derive(Debug, Clone, Default)]
pub struct Tweak {
    pub origin: Option<String>,
    pub rp_id: Option<String>,
    pub type_: Option<&'static str>,
    pub flags: Option<u8>,
    pub counter: Option<u32>,
    pub credential_id: Option<Vec<u8>>,
    pub user_handle: Option<Vec<u8>>,
    pub bad_signature: bool,
}

fn cbor_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    match bytes.len() {
        n if n < 24 => out.push(0x40 | n as u8),
        n if n < 256 => out.extend([0x58, n as u8]),
        n => out.extend([0x59, (n >> 8) as u8, n as u8]),
    }
    out.extend(bytes);
}

fn cbor_text(out: &mut Vec<u8>, text: &str) {
    out.push(0x60 | text.len() as u8);
    out.extend(text.as_bytes());
}

fn rp_id_of(url: &str) -> String {
    url.split("://")
        .nth(1)
        .and_then(|rest| rest.split([':', '/']).next())
        .unwrap_or_default()
        .to_owned()
}

fn challenge_of(options: &Value) -> String {
    options["challenge"]
        .as_str()
        .expect("options.challenge")
        .to_owned()
}

impl SoftPasskey {
    pub fn new() -> SoftPasskey {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .expect("a P-256 key");
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .expect("its own PKCS#8");
        let mut credential_id = vec![0u8; 32];
        rng.fill(&mut credential_id).expect("random bytes");
        SoftPasskey {
            key,
            rng,
            credential_id,
            user_handle: Vec::new(),
            counter: 0,
        }
    }

    /// The COSE_Key of the public key: EC2, ES256, P-256, x, y.
    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.public_key().as_ref();
        let (x, y) = (&point[1..33], &point[33..65]);
        let mut out = vec![0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        cbor_bytes(&mut out, x);
        out.push(0x22);
        cbor_bytes(&mut out, y);
        out
    }

    fn client_data(type_: &str, challenge: &str, origin: &str) -> Vec<u8> {
        json!({ "type": type_, "challenge": challenge, "origin": origin, "crossOrigin": false })
            .to_string()
            .into_bytes()
    }

    /// Answers registration options (`options` of `register/start`) as a browser would, from
    /// the app's own origin: the `credential` of `register/finish`.
    pub fn register(&mut self, options: &Value) -> Value {
        self.register_from(options, PUBLIC_URL)
    }

    pub fn register_from(&mut self, options: &Value, origin: &str) -> Value {
        let rp_id = options["rp"]["id"]
            .as_str()
            .expect("options.rp.id")
            .to_owned();
        self.user_handle = B64U
            .decode(options["user"]["id"].as_str().expect("options.user.id"))
            .expect("base64url user id");
        let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth_data.push(UP_UV | 0x40); // attested credential data follows
        auth_data.extend(self.counter.to_be_bytes());
        auth_data.extend([0u8; 16]); // AAGUID
        auth_data.extend((self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend(&self.credential_id);
        auth_data.extend(self.cose_key());
        let mut attestation = vec![0xA3];
        cbor_text(&mut attestation, "fmt");
        cbor_text(&mut attestation, "none");
        cbor_text(&mut attestation, "attStmt");
        attestation.push(0xA0);
        cbor_text(&mut attestation, "authData");
        cbor_bytes(&mut attestation, &auth_data);
        let client_data = Self::client_data("webauthn.create", &challenge_of(options), origin);
        json!({
            "id": B64U.encode(&self.credential_id),
            "rawId": B64U.encode(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": B64U.encode(client_data),
                "attestationObject": B64U.encode(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": { "credProps": { "rk": true } },
        })
    }

    /// Signs sign-in options (`options` of `passkey/start`) as a browser would: the next
    /// counter value, this credential, the app's origin and relying-party id.
    pub fn sign(&mut self, options: &Value) -> Value {
        self.sign_with(options, Tweak::default())
    }

    pub fn sign_with(&mut self, options: &Value, tweak: Tweak) -> Value {
        let rp_id = tweak.rp_id.unwrap_or_else(|| rp_id_of(PUBLIC_URL));
        let origin = tweak.origin.unwrap_or_else(|| PUBLIC_URL.to_owned());
        self.counter = tweak.counter.unwrap_or(self.counter + 1);
        let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth_data.push(tweak.flags.unwrap_or(UP_UV));
        auth_data.extend(self.counter.to_be_bytes());
        let type_ = tweak.type_.unwrap_or("webauthn.get");
        let client_data = Self::client_data(type_, &challenge_of(options), &origin);
        let mut signed = auth_data.clone();
        signed.extend(Sha256::digest(&client_data));
        let mut signature = self
            .key
            .sign(&self.rng, &signed)
            .expect("a signature")
            .as_ref()
            .to_vec();
        if tweak.bad_signature {
            let last = signature.len() - 1;
            signature[last] ^= 1;
        }
        let id = tweak
            .credential_id
            .unwrap_or_else(|| self.credential_id.clone());
        let handle = tweak
            .user_handle
            .unwrap_or_else(|| self.user_handle.clone());
        json!({
            "id": B64U.encode(&id),
            "rawId": B64U.encode(&id),
            "type": "public-key",
            "response": {
                "clientDataJSON": B64U.encode(client_data),
                "authenticatorData": B64U.encode(auth_data),
                "signature": B64U.encode(signature),
                "userHandle": B64U.encode(handle),
            },
            "clientExtensionResults": {},
        })
    }
}

impl Default for SoftPasskey {
    fn default() -> Self {
        SoftPasskey::new()
    }
}
