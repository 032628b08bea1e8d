import { byId } from '../dom';
import { adminKey, setAdminKey } from './graphql-client';
import { input, button, node } from './page';

/** The admin key of this tab: what it enables, and the form that sets or forgets it. */

/** Actions that change what canonql runs are disabled without a key, the hint next to them says why. */
export function renderKeyStatus(): void {
  const key = adminKey() !== '';
  node('key-status').textContent = key ? 'Key set for this tab: changes allowed.' : 'No key: read-only.';
  document.body.setAttribute('data-admin', key ? 'true' : 'false');
  node('admin-hint').hidden = key;
  for (const control of document.querySelectorAll<HTMLButtonElement>('button.admin-only')) {
    // A version already active stays disabled whatever the key.
    control.disabled = !key || control.getAttribute('data-active') === 'true';
    control.title = key ? '' : 'Needs an admin key (Admin key, at the top of the page)';
  }
}

/** Wires the controls of this step (once, at start). */
export function wireAdminKey(): void {
  byId('key-form', HTMLFormElement).addEventListener('submit', (event) => {
    event.preventDefault();
    setAdminKey(input('admin-key').value.trim());
    input('admin-key').value = '';
    renderKeyStatus();
  });
  button('forget-key').addEventListener('click', () => {
    setAdminKey('');
    renderKeyStatus();
  });
}
