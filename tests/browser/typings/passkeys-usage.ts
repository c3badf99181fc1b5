// A TypeScript program that uses the passkeys module, type-checked against the checked-in
// static/js/passkeys.d.ts (typings.test.mjs, `tsc --noEmit --strict`). Each @ts-expect-error is a
// misuse the typings must refuse: if they went loose (`any`), the unused directive fails.

import {
  autofillSupported,
  createPasskey,
  fromBase64url,
  getPasskey,
  passkeysSupported,
  toBase64url,
  type AuthenticationJSON,
  type CreationOptionsJSON,
  type RegistrationJSON,
  type RequestOptionsJSON,
} from '../../../static/js/passkeys.js';

export async function example(
  creation: CreationOptionsJSON,
  request: RequestOptionsJSON,
): Promise<[RegistrationJSON, AuthenticationJSON] | null> {
  if (!passkeysSupported()) return null;
  const registered: RegistrationJSON = await createPasskey(creation);
  const attestation: string = registered.response.attestationObject;
  const controller = new AbortController();
  if (await autofillSupported()) {
    void getPasskey(request, { mediation: 'conditional', signal: controller.signal });
  }
  controller.abort();
  const signed: AuthenticationJSON = await getPasskey(request);
  const handle: string | null = signed.response.userHandle;
  const bytes: Uint8Array = fromBase64url(toBase64url(new Uint8Array([1, 2, 3])));
  console.log(attestation, handle, bytes);

  // @ts-expect-error the options are the API's JSON, not a bare challenge string
  await getPasskey(request.challenge);
  // @ts-expect-error mediation is one of the platform's words
  await getPasskey(request, { mediation: 'sometimes' });
  // @ts-expect-error a registration has no signature
  console.log(registered.response.signature);
  return [registered, signed];
}
