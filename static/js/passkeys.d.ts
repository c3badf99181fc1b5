/**
 * passkeys.js: a dependency-free ES module between the API's WebAuthn JSON and the browser's
 * `navigator.credentials`.
 *
 * The API sends `PublicKeyCredentialCreationOptionsJSON` / `PublicKeyCredentialRequestOptionsJSON`
 * (WebAuthn Level 3: binary fields as base64url text) and takes the credential back as JSON. Where
 * the browser has `PublicKeyCredential.parseCreationOptionsFromJSON`,
 * `parseRequestOptionsFromJSON` and `PublicKeyCredential.prototype.toJSON`, they do the work;
 * elsewhere the few binary fields are converted here by hand.
 *
 * @example
 *   import { createPasskey, getPasskey } from '/static/js/passkeys.js';
 *   const { challenge_id, options } = await (await auth.fetch(startUrl, { method: 'POST' })).json();
 *   const credential = await createPasskey(options);
 *   await auth.fetch(finishUrl, { method: 'POST', body: JSON.stringify({ challenge_id, credential }) });
 *
 * @module passkeys
 */
/**
 * Registration options as the API sends them (WebAuthn L3 `PublicKeyCredentialCreationOptionsJSON`):
 * `challenge`, `user.id` and each `excludeCredentials[].id` are base64url text.
 * @typedef {object} CreationOptionsJSON
 * @property {{id?: string, name: string}} rp
 * @property {{id: string, name: string, displayName: string}} user
 * @property {string} challenge
 * @property {{type: string, alg: number}[]} pubKeyCredParams
 * @property {number} [timeout]
 * @property {{type: string, id: string, transports?: string[]}[]} [excludeCredentials]
 * @property {{authenticatorAttachment?: string, residentKey?: string, requireResidentKey?: boolean, userVerification?: string}} [authenticatorSelection]
 * @property {string[]} [hints]
 * @property {string} [attestation]
 * @property {Record<string, unknown>} [extensions]
 */
/**
 * Sign-in options as the API sends them (WebAuthn L3 `PublicKeyCredentialRequestOptionsJSON`):
 * `challenge` and each `allowCredentials[].id` are base64url text. No allow-list: the
 * authenticator offers the account (a discoverable credential).
 * @typedef {object} RequestOptionsJSON
 * @property {string} challenge
 * @property {number} [timeout]
 * @property {string} [rpId]
 * @property {{type: string, id: string, transports?: string[]}[]} [allowCredentials]
 * @property {string} [userVerification]
 * @property {string[]} [hints]
 * @property {Record<string, unknown>} [extensions]
 */
/**
 * A new credential as the API takes it (WebAuthn L3 `RegistrationResponseJSON`).
 * @typedef {object} RegistrationJSON
 * @property {string} id
 * @property {string} rawId base64url
 * @property {'public-key'} type
 * @property {string|null} [authenticatorAttachment]
 * @property {{clientDataJSON: string, attestationObject: string, transports?: string[]}} response
 * @property {Record<string, unknown>} clientExtensionResults
 */
/**
 * A signed challenge as the API takes it (WebAuthn L3 `AuthenticationResponseJSON`).
 * @typedef {object} AuthenticationJSON
 * @property {string} id
 * @property {string} rawId base64url
 * @property {'public-key'} type
 * @property {string|null} [authenticatorAttachment]
 * @property {{clientDataJSON: string, authenticatorData: string, signature: string, userHandle: string|null}} response
 * @property {Record<string, unknown>} clientExtensionResults
 */
/** @returns {boolean} whether this browser can create and use passkeys at all. */
export function passkeysSupported(): boolean;
/**
 * Whether the browser offers passkeys in the autofill of a field marked
 * `autocomplete="username webauthn"` (conditional mediation).
 * @returns {Promise<boolean>}
 */
export function autofillSupported(): Promise<boolean>;
/**
 * Bytes to unpadded base64url text.
 * @param {ArrayBuffer|ArrayBufferView} bytes
 * @returns {string}
 */
export function toBase64url(bytes: ArrayBuffer | ArrayBufferView): string;
/**
 * Base64url (or plain base64) text, padded or not, to bytes.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function fromBase64url(text: string): Uint8Array;
/**
 * The API's registration options as the object `navigator.credentials.create({publicKey})` takes.
 * @param {CreationOptionsJSON} json
 * @returns {PublicKeyCredentialCreationOptions}
 */
export function creationOptionsFromJSON(json: CreationOptionsJSON): PublicKeyCredentialCreationOptions;
/**
 * The API's sign-in options as the object `navigator.credentials.get({publicKey})` takes.
 * @param {RequestOptionsJSON} json
 * @returns {PublicKeyCredentialRequestOptions}
 */
export function requestOptionsFromJSON(json: RequestOptionsJSON): PublicKeyCredentialRequestOptions;
/**
 * A credential that `navigator.credentials.create` or `.get` resolved with, as the API takes it.
 * @param {PublicKeyCredential} credential
 * @returns {RegistrationJSON|AuthenticationJSON}
 */
export function credentialToJSON(credential: PublicKeyCredential): RegistrationJSON | AuthenticationJSON;
/**
 * Creates a passkey from the API's registration options (`register/start`'s `options`) and
 * resolves with what `register/finish` takes as `credential`. Rejects with the browser's
 * `DOMException` (`NotAllowedError` when the person cancels, `InvalidStateError` when this
 * authenticator already holds one of the account's passkeys).
 * @param {CreationOptionsJSON} options
 * @param {{signal?: AbortSignal}} [init]
 * @returns {Promise<RegistrationJSON>}
 */
export function createPasskey(options: CreationOptionsJSON, { signal }?: {
    signal?: AbortSignal;
}): Promise<RegistrationJSON>;
/**
 * Signs the API's challenge (`passkey/start`'s `options`) with a passkey and resolves with what
 * `passkey/finish` takes as `credential`. `mediation: 'conditional'` waits for the person to pick
 * a passkey in the autofill of an `autocomplete="username webauthn"` field instead of opening a
 * dialog; abort it (`signal`) before starting a modal one.
 * @param {RequestOptionsJSON} options
 * @param {{mediation?: CredentialMediationRequirement, signal?: AbortSignal}} [init]
 * @returns {Promise<AuthenticationJSON>}
 */
export function getPasskey(options: RequestOptionsJSON, { mediation, signal }?: {
    mediation?: CredentialMediationRequirement;
    signal?: AbortSignal;
}): Promise<AuthenticationJSON>;
/**
 * Registration options as the API sends them (WebAuthn L3 `PublicKeyCredentialCreationOptionsJSON`):
 * `challenge`, `user.id` and each `excludeCredentials[].id` are base64url text.
 */
export type CreationOptionsJSON = {
    rp: {
        id?: string;
        name: string;
    };
    user: {
        id: string;
        name: string;
        displayName: string;
    };
    challenge: string;
    pubKeyCredParams: {
        type: string;
        alg: number;
    }[];
    timeout?: number;
    excludeCredentials?: {
        type: string;
        id: string;
        transports?: string[];
    }[];
    authenticatorSelection?: {
        authenticatorAttachment?: string;
        residentKey?: string;
        requireResidentKey?: boolean;
        userVerification?: string;
    };
    hints?: string[];
    attestation?: string;
    extensions?: Record<string, unknown>;
};
/**
 * Sign-in options as the API sends them (WebAuthn L3 `PublicKeyCredentialRequestOptionsJSON`):
 * `challenge` and each `allowCredentials[].id` are base64url text. No allow-list: the
 * authenticator offers the account (a discoverable credential).
 */
export type RequestOptionsJSON = {
    challenge: string;
    timeout?: number;
    rpId?: string;
    allowCredentials?: {
        type: string;
        id: string;
        transports?: string[];
    }[];
    userVerification?: string;
    hints?: string[];
    extensions?: Record<string, unknown>;
};
/**
 * A new credential as the API takes it (WebAuthn L3 `RegistrationResponseJSON`).
 */
export type RegistrationJSON = {
    id: string;
    /**
     * base64url
     */
    rawId: string;
    type: "public-key";
    authenticatorAttachment?: string | null;
    response: {
        clientDataJSON: string;
        attestationObject: string;
        transports?: string[];
    };
    clientExtensionResults: Record<string, unknown>;
};
/**
 * A signed challenge as the API takes it (WebAuthn L3 `AuthenticationResponseJSON`).
 */
export type AuthenticationJSON = {
    id: string;
    /**
     * base64url
     */
    rawId: string;
    type: "public-key";
    authenticatorAttachment?: string | null;
    response: {
        clientDataJSON: string;
        authenticatorData: string;
        signature: string;
        userHandle: string | null;
    };
    clientExtensionResults: Record<string, unknown>;
};
