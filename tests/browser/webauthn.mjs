// A virtual authenticator for the passkey tests: Chromium's DevTools `WebAuthn` domain through
// playwright-core's CDP session. It answers `navigator.credentials.create/get` in the page as a
// platform authenticator would (resident keys, user verification done), with no dialog.
//
//   const authenticator = await addVirtualAuthenticator(context, page);
//   ... the page registers or signs in with a passkey ...
//   const [credential] = await authenticator.credentials();
//   await authenticator.remove();
//
// Browsers refuse an IP address as relying-party id: start the app with `startPasskeyApp()`, which
// makes its public URL `http://localhost:PORT`.

import { createHash, createPrivateKey, sign } from 'node:crypto';

import { startApp } from './harness.mjs';

/**
 * Adds a CTAP2 platform authenticator (resident keys, user verification) to `page`.
 * Returns { id, cdp, credentials(), addCredential(credential), removeCredential(id),
 * setUserVerified(bool), remove() }: the credentials are the DevTools protocol's
 * `WebAuthn.Credential` objects (`credentialId`, `rpId`, `userHandle`, `signCount`, `privateKey`,
 * all binary fields in base64).
 */
export async function addVirtualAuthenticator(context, page, options = {}) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      ctap2Version: 'ctap2_1',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
      ...options,
    },
  });
  return {
    id: authenticatorId,
    cdp,
    async credentials() {
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      return credentials;
    },
    async addCredential(credential) {
      await cdp.send('WebAuthn.addCredential', { authenticatorId, credential });
    },
    async removeCredential(credentialId) {
      await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId });
    },
    async setUserVerified(isUserVerified) {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified });
    },
    async remove() {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
      await cdp.detach();
    },
  };
}

/**
 * Starts the app (harness `startApp`) as `http://localhost:PORT`, its public URL and so its
 * relying-party id `localhost`: browsers refuse an IP address there.
 */
export function startPasskeyApp({ env = {} } = {}) {
  return startApp({ env, host: 'localhost' });
}

/**
 * A signed assertion made here, in Node, with the private key of a credential the virtual
 * authenticator holds (`credentials()` exports it): what a browser would send to
 * `passkey/finish`, except that every part can be set, so tests can break one part at a time
 * and see the app refuse it. `credential` is a DevTools `WebAuthn.Credential`.
 */
export function forgeAssertion(credential, {
  challenge,
  origin,
  rpId = 'localhost',
  counter = 1,
  flags = 0x05, // user present, user verified
  type = 'webauthn.get',
  rawId,
  userHandle,
} = {}) {
  const b64u = (b) => Buffer.from(b).toString('base64url');
  const id = rawId ?? Buffer.from(credential.credentialId, 'base64');
  const authData = Buffer.alloc(37);
  createHash('sha256').update(rpId).digest().copy(authData, 0);
  authData[32] = flags;
  authData.writeUInt32BE(counter, 33);
  const clientData = Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  const key = createPrivateKey({ key: Buffer.from(credential.privateKey, 'base64'), format: 'der', type: 'pkcs8' });
  const signed = Buffer.concat([authData, createHash('sha256').update(clientData).digest()]);
  const signature = sign('sha256', signed, { key, dsaEncoding: 'der' });
  const handle = userHandle ?? (credential.userHandle ? Buffer.from(credential.userHandle, 'base64') : null);
  return {
    id: b64u(id),
    rawId: b64u(id),
    type: 'public-key',
    response: {
      clientDataJSON: b64u(clientData),
      authenticatorData: b64u(authData),
      signature: b64u(signature),
      userHandle: handle ? b64u(handle) : null,
    },
    clientExtensionResults: {},
  };
}
