// Signing in: the header's button and name, and the dialog that takes a token (auth.js keeps
// who is signed in).

import * as auth from './auth.js';
import { $ } from './dom.js';
import { t } from './i18n.js';

const dialog = () => /** @type {HTMLDialogElement} */ ($('#signin'));
const tokenInput = () => /** @type {HTMLInputElement} */ ($('#token'));

export function openSignIn() {
  $('#signin-err').hidden = true;
  tokenInput().value = '';
  dialog().showModal();
  tokenInput().focus();
}

/** Whether the sign-in dialog is open (Esc is then its own). */
export const signInOpen = () => dialog().open;

/** The header: "Sign in" or "Sign out", and who is signed in. */
export function renderAuth() {
  $('#auth-btn').textContent = auth.signedIn() ? t('sign_out') : t('sign_in');
  $('#who').hidden = !auth.signedIn();
  $('#who').textContent = auth.name() ? `${t('signed_in')}: ${auth.name()}` : t('signed_in');
}

export function initSignIn() {
  $('#auth-btn').addEventListener('click', () => (auth.signedIn() ? auth.signOut() : openSignIn()));
  $('#signin-cancel').addEventListener('click', () => dialog().close());
  $('#signin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const err = $('#signin-err');
    try {
      if (await auth.signIn(tokenInput().value)) dialog().close();
      else {
        err.textContent = t('token_bad');
        err.hidden = false;
      }
    } catch (x) {
      err.textContent = `${t('err_network')} ${/** @type {Error} */ (x).message}`;
      err.hidden = false;
    }
  });
}
