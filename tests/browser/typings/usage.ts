// A TypeScript program that uses the JS client, type-checked against the checked-in
// static/js/auth-client.d.ts (typings.test.mjs, `tsc --noEmit --strict`). Each @ts-expect-error
// is a misuse the typings must refuse: if they went loose (`any`), the unused directive fails.

import {
  type AccountExport,
  ApiError,
  AuthClient,
  memoryStorage,
  type MfaRequired,
  type Session,
  type SignedIn,
  type User,
} from '../../../static/js/auth-client.js';

export async function example(email: string, password: string, code: string): Promise<void> {
  const auth = new AuthClient({ mode: 'body', refreshTokenStorage: memoryStorage(), refreshAhead: 30 });
  const off: () => void = auth.on('logout', (event) => console.log(event.detail));
  off();

  const first: SignedIn | MfaRequired = await auth.login(email, password);
  // Two-factor sign-in on: the ticket and a code finish it.
  const signedIn: SignedIn = 'mfaRequired' in first
    ? await auth.completeMfa(first.mfaToken, code)
    : first;
  const withCode: boolean = signedIn.session.mfa && signedIn.user.mfa_enabled;
  const role: 'user' | 'admin' = signedIn.user.role;
  const ip: string | null = signedIn.session.ip;
  const resumed: User | null = await auth.resume();
  const sessions: Session[] = await auth.sessions();
  const other = sessions.find((s) => !s.current);
  if (other) await auth.revoke(other.id);
  const revoked: number = await auth.revokeOthers();
  const renamed: User = await auth.rename('Ada');
  await auth.changeEmail('ada@new.example.com', password);
  const exported: AccountExport = await auth.exportAccount();
  const revokedAt: string | null = exported.sessions[0].revoked_at;
  const codesLeft: number = exported.mfa.recovery_codes_left;
  console.log(renamed.name, revokedAt, codesLeft, exported.user.active);
  const response: Response = await auth.fetch('/api/things', { method: 'POST', body: '{}' });
  const token: string | null = auth.accessToken;
  const confirmed: boolean = await auth.logout();
  try {
    await auth.me();
  } catch (error) {
    if (error instanceof ApiError) console.log(error.status + 1, error.code.toUpperCase());
  }
  console.log(role, ip, withCode, resumed?.email, revoked, response.status, token, confirmed);
  auth.close();

  // @ts-expect-error deleting the account needs the password
  await auth.deleteAccount();
  // @ts-expect-error mode is 'cookie' or 'body'
  new AuthClient({ mode: 'header' });
  // @ts-expect-error login needs the password too
  await auth.login(email);
  // @ts-expect-error login may answer a ticket instead of a session: narrow it first
  const unchecked: SignedIn = await auth.login(email, password);
  // @ts-expect-error completeMfa needs the code too
  await auth.completeMfa('ticket');
  // @ts-expect-error register takes an object
  await auth.register(email, password);
  // @ts-expect-error a user has no password hash, or anything like it
  console.log(signedIn.user.password_hash);
  // @ts-expect-error sessions() resolves with sessions, not users
  const wrong: User[] = await auth.sessions();
  // @ts-expect-error revokeOthers() resolves with a count
  const alsoWrong: string = await auth.revokeOthers();
  // @ts-expect-error an event type the client never fires
  auth.on('signed_in', () => {});
  console.log(wrong, alsoWrong, unchecked);
}
