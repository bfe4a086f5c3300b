// Requests to the diemnong API: authentication from auth.js, problem+json turned into
// readable errors, a count of requests in flight for the loading indicator.

import * as auth from './auth.js';
import { t } from './i18n.js';

/** A request that failed: `status` 0 when the server could not be reached. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} detail
   * @param {any} [body]  the problem+json body
   */
  constructor(status, detail, body) {
    super(detail);
    this.status = status;
    this.body = body;
  }
  /** The message to show a person. */
  get readable() {
    if (this.status === 0) return t('err_network');
    if (this.status === 401) return t('err_auth');
    if (this.status === 403) return t('err_forbidden', { detail: this.message });
    if (this.status === 409 && this.body?.allowed) return t('err_conflict', { allowed: this.body.allowed.join(', ') });
    return t('err_http', { status: this.status, detail: this.message });
  }
}

/** @typedef {{ signal?: AbortSignal }} Options */

let inflight = 0;
/** @type {Set<(n: number) => void>} */
const busyListeners = new Set();
/**
 * Calls `fn` with the number of requests in flight whenever it changes.
 * @param {(n: number) => void} fn
 */
export const onBusy = (fn) => busyListeners.add(fn);
/** The number of requests in flight. */
export const busy = () => inflight;
/** @param {number} d */
function track(d) {
  inflight += d;
  for (const fn of busyListeners) fn(inflight);
}

/**
 * `path?params`; empty and null parameters are left out, lists joined with commas.
 * @param {string} path
 * @param {Record<string, unknown>} [params]
 */
export function url(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v == null || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    q.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * @param {string} method
 * @param {string} target
 * @param {Options & { body?: unknown }} [options]
 * @returns {Promise<any>} the JSON body (null when there is none)
 */
async function request(method, target, { body, signal } = {}) {
  /** @type {Record<string, string>} */
  const h = { Accept: 'application/geo+json, application/json', ...auth.headers() };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  track(1);
  let r;
  try {
    try {
      r = await fetch(target, {
        method,
        headers: h,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        signal,
      });
    } catch (e) {
      if (/** @type {Error} */ (e).name === 'AbortError') throw e;
      throw new ApiError(0, /** @type {Error} */ (e).message);
    }
    const type = r.headers.get('content-type') || '';
    const data = type.includes('json') ? await r.json().catch(() => null) : null;
    if (!r.ok) throw new ApiError(r.status, data?.detail || data?.title || r.statusText || String(r.status), data);
    return data;
  } finally {
    track(-1);
  }
}

/**
 * GET `path?params`: the JSON answer, or an ApiError.
 * @param {string} path
 * @param {Record<string, unknown>} [params]
 * @param {Options} [opts]
 */
export const get = (path, params, opts) => request('GET', url(path, params), opts);
/**
 * POST `body` as JSON to `path`: the JSON answer, or an ApiError.
 * @param {string} path
 * @param {unknown} body
 * @param {Options} [opts]
 */
export const post = (path, body, opts) => request('POST', path, { ...opts, body });

/**
 * Every page of a feature listing (following `next` links), up to `maxFeatures`.
 * Resolves to the collection with `numberMatched` of the whole query.
 * @param {string} path
 * @param {Record<string, unknown>} params
 * @param {Options & { maxFeatures?: number }} [opts]
 * @returns {Promise<any>}
 */
export async function getAll(path, params, { signal, maxFeatures = 30000 } = {}) {
  let target = url(path, { limit: 10000, ...params });
  let out = null;
  while (target) {
    const page = await request('GET', target, { signal });
    if (out) out.features.push(...page.features);
    else out = page;
    const next = page.links?.find((/** @type {{ rel: string, href: string }} */ l) => l.rel === 'next');
    if (!next || out.features.length >= maxFeatures) break;
    // The server writes absolute links from the Host it was asked on; keep to this origin.
    const u = new URL(next.href, location.href);
    target = u.pathname + u.search;
  }
  out.numberReturned = out.features.length;
  return out;
}
