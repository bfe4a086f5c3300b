// The page's status: the loading indicator (requests in flight) and the alert, with a retry
// button when there is something to retry.

import * as api from './api.js';
import { $ } from './dom.js';
import { t } from './i18n.js';
import { view } from './view.js';

/** @param {number} n  requests in flight */
function setBusy(n) {
  const busyEl = $('#busy');
  busyEl.classList.toggle('on', n > 0);
  $('.busy-text', busyEl).textContent = n > 0 ? t('loading') : '';
  document.body.dataset.busy = String(n);
}

/**
 * Shows `msg` in the alert, with a retry button when `retry` is given.
 * @param {string} msg
 * @param {() => void} [retry]
 */
export function alertError(msg, retry) {
  $('#alert-msg').textContent = msg;
  $('#alert').hidden = false;
  view.retry = retry || null;
  $('#alert-retry').hidden = !retry;
}

export function clearAlert() {
  $('#alert').hidden = true;
  view.retry = null;
}

/** Clears the alert if it offers a retry (a layer's failure): a new load is under way. */
export function clearAlertIfLayer() {
  if (!$('#alert').hidden && view.retry) clearAlert();
}

/** The indicator follows the requests in flight; the alert's buttons. */
export function initNotice() {
  api.onBusy(setBusy);
  setBusy(0);
  $('#alert-close').addEventListener('click', clearAlert);
  $('#alert-retry').addEventListener('click', () => {
    const f = view.retry;
    clearAlert();
    if (f) f();
  });
}
