// Who is signed in. The server keeps the sign-in as an HttpOnly, SameSite=Strict cookie
// (POST/GET/DELETE /api/v1/session): the page never holds the token after sending it once,
// so no script on the page can read it, and every fetch sends the cookie by itself
// (`credentials: 'same-origin'`).

/** @type {Set<() => void>} */
const listeners = new Set();
/** @type {{ role: string, name: string | null } | null} the signed-in token, or null */
let who = null;

/** Asks the server who is signed in (the cookie survives reloads; the page does not). */
export async function restore() {
  try {
    const r = await fetch('/api/v1/session', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    const s = r.ok ? await r.json() : null;
    who = s?.signed_in ? { role: s.role, name: s.name } : null;
  } catch {
    who = null;
  }
}

export const signedIn = () => who != null;
/** 'viewer', 'editor', 'admin', or null when signed out. */
export const knownRole = () => (who ? who.role : null);
export const canEdit = () => who != null && (who.role === 'editor' || who.role === 'admin');
export const name = () => (who ? who.name : null);

/** Headers that authenticate a request: none, the cookie does. */
export const headers = () => ({});

/**
 * Sends `candidate` to the server, which sets the cookie. Resolves to true, or false when refused.
 * @param {string} candidate
 */
export async function signIn(candidate) {
  const token = candidate.trim();
  if (!token) return false;
  const r = await fetch('/api/v1/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (r.status === 400 || r.status === 401) return false;
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  const s = await r.json();
  who = { role: s.role, name: s.name };
  emit();
  return true;
}

export async function signOut() {
  try {
    await fetch('/api/v1/session', { method: 'DELETE', credentials: 'same-origin' });
  } finally {
    who = null;
    emit();
  }
}

/** Records that the server refused a write for lack of a role (the edit form stays away from then on). */
export function refusedWrite() {
  if (who) who = { ...who, role: 'viewer' };
}

/**
 * Calls `fn` after every sign-in and sign-out.
 * @param {() => void} fn
 */
export function onChange(fn) {
  listeners.add(fn);
}
function emit() {
  for (const fn of listeners) fn();
}
