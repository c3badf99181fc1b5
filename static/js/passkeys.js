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
export function passkeysSupported() {
  return typeof window !== 'undefined'
    && typeof window.PublicKeyCredential === 'function'
    && typeof navigator.credentials?.create === 'function';
}

/**
 * Whether the browser offers passkeys in the autofill of a field marked
 * `autocomplete="username webauthn"` (conditional mediation).
 * @returns {Promise<boolean>}
 */
export async function autofillSupported() {
  if (!passkeysSupported()) return false;
  const check = /** @type {any} */ (window.PublicKeyCredential).isConditionalMediationAvailable;
  if (typeof check !== 'function') return false;
  try {
    return Boolean(await check.call(window.PublicKeyCredential));
  } catch {
    return false;
  }
}

/**
 * Bytes to unpadded base64url text.
 * @param {ArrayBuffer|ArrayBufferView} bytes
 * @returns {string}
 */
export function toBase64url(bytes) {
  const view = bytes instanceof ArrayBuffer
    ? new Uint8Array(bytes)
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let binary = '';
  for (let i = 0; i < view.length; i += 0x8000) {
    binary += String.fromCharCode(...view.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Base64url (or plain base64) text, padded or not, to bytes.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function fromBase64url(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A copy without `null` members, at any depth: WebIDL dictionaries refuse `null` where a member
 * may only be absent, and the server's JSON spells "absent" as `null` in places. */
function withoutNulls(value) {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [k, withoutNulls(v)]),
    );
  }
  return value;
}

/** @param {{id: string}[]|undefined} list */
function decodeIds(list) {
  return list?.map((c) => ({ ...c, id: fromBase64url(c.id) }));
}

/**
 * The API's registration options as the object `navigator.credentials.create({publicKey})` takes.
 * @param {CreationOptionsJSON} json
 * @returns {PublicKeyCredentialCreationOptions}
 */
export function creationOptionsFromJSON(json) {
  const clean = withoutNulls(json);
  const native = /** @type {any} */ (globalThis.PublicKeyCredential)?.parseCreationOptionsFromJSON;
  if (typeof native === 'function') return native.call(globalThis.PublicKeyCredential, clean);
  return /** @type {PublicKeyCredentialCreationOptions} */ ({
    ...clean,
    challenge: fromBase64url(clean.challenge),
    user: { ...clean.user, id: fromBase64url(clean.user.id) },
    excludeCredentials: decodeIds(clean.excludeCredentials),
  });
}

/**
 * The API's sign-in options as the object `navigator.credentials.get({publicKey})` takes.
 * @param {RequestOptionsJSON} json
 * @returns {PublicKeyCredentialRequestOptions}
 */
export function requestOptionsFromJSON(json) {
  const clean = withoutNulls(json);
  const native = /** @type {any} */ (globalThis.PublicKeyCredential)?.parseRequestOptionsFromJSON;
  if (typeof native === 'function') return native.call(globalThis.PublicKeyCredential, clean);
  return /** @type {PublicKeyCredentialRequestOptions} */ ({
    ...clean,
    challenge: fromBase64url(clean.challenge),
    allowCredentials: decodeIds(clean.allowCredentials),
  });
}

/** Extension outputs with any binary value as base64url (what `toJSON()` does). */
function extensionsToJSON(value) {
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return toBase64url(value);
  if (Array.isArray(value)) return value.map(extensionsToJSON);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, extensionsToJSON(v)]));
  }
  return value;
}

/**
 * A credential that `navigator.credentials.create` or `.get` resolved with, as the API takes it.
 * @param {PublicKeyCredential} credential
 * @returns {RegistrationJSON|AuthenticationJSON}
 */
export function credentialToJSON(credential) {
  const own = /** @type {any} */ (credential).toJSON;
  if (typeof own === 'function') return own.call(credential);
  const response = /** @type {any} */ (credential.response);
  const common = {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: /** @type {'public-key'} */ ('public-key'),
    authenticatorAttachment: /** @type {any} */ (credential).authenticatorAttachment ?? null,
    clientExtensionResults: extensionsToJSON(credential.getClientExtensionResults?.() ?? {}),
  };
  if ('attestationObject' in response) {
    return {
      ...common,
      response: {
        clientDataJSON: toBase64url(response.clientDataJSON),
        attestationObject: toBase64url(response.attestationObject),
        transports: typeof response.getTransports === 'function' ? response.getTransports() : [],
      },
    };
  }
  return {
    ...common,
    response: {
      clientDataJSON: toBase64url(response.clientDataJSON),
      authenticatorData: toBase64url(response.authenticatorData),
      signature: toBase64url(response.signature),
      userHandle: response.userHandle ? toBase64url(response.userHandle) : null,
    },
  };
}

/**
 * Creates a passkey from the API's registration options (`register/start`'s `options`) and
 * resolves with what `register/finish` takes as `credential`. Rejects with the browser's
 * `DOMException` (`NotAllowedError` when the person cancels, `InvalidStateError` when this
 * authenticator already holds one of the account's passkeys).
 * @param {CreationOptionsJSON} options
 * @param {{signal?: AbortSignal}} [init]
 * @returns {Promise<RegistrationJSON>}
 */
export async function createPasskey(options, { signal } = {}) {
  const credential = await navigator.credentials.create({
    publicKey: creationOptionsFromJSON(options),
    signal,
  });
  if (!credential) throw new DOMException('no credential was created', 'NotAllowedError');
  return /** @type {RegistrationJSON} */ (credentialToJSON(/** @type {PublicKeyCredential} */ (credential)));
}

/**
 * Signs the API's challenge (`passkey/start`'s `options`) with a passkey and resolves with what
 * `passkey/finish` takes as `credential`. `mediation: 'conditional'` waits for the person to pick
 * a passkey in the autofill of an `autocomplete="username webauthn"` field instead of opening a
 * dialog; abort it (`signal`) before starting a modal one.
 * @param {RequestOptionsJSON} options
 * @param {{mediation?: CredentialMediationRequirement, signal?: AbortSignal}} [init]
 * @returns {Promise<AuthenticationJSON>}
 */
export async function getPasskey(options, { mediation, signal } = {}) {
  /** @type {CredentialRequestOptions} */
  const request = { publicKey: requestOptionsFromJSON(options), signal };
  if (mediation) request.mediation = mediation;
  const credential = await navigator.credentials.get(request);
  if (!credential) throw new DOMException('no passkey was chosen', 'NotAllowedError');
  return /** @type {AuthenticationJSON} */ (credentialToJSON(/** @type {PublicKeyCredential} */ (credential)));
}
