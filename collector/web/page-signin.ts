// Signing in: a token once, for a session the browser keeps in an HttpOnly
// cookie. The token never lands in the address, in storage or in the page.
import { ApiError, type Me, send } from './api.js';
import { h, replace } from './dom.js';
import { errorBox } from './widgets.js';

export function signInPage(main: HTMLElement, signedIn: (me: Me) => void): void {
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    required: true,
    placeholder: 'slc_…',
  });
  const problem = h('div', { aria: { live: 'polite' } });
  const form = h(
    'form',
    {
      class: 'signin',
      on: {
        submit: async (event) => {
          event.preventDefault();
          replace(problem);
          try {
            signedIn(await send<Me>('POST', '/session', { token: input.value }));
          } catch (error) {
            replace(problem, errorBox(error instanceof ApiError ? error : new Error(String(error))));
            input.select();
          }
        },
      },
    },
    h('label', { for: 'token' }, 'Token'),
    input,
    h('button', { type: 'submit' }, 'Sign in'),
    problem,
  );
  replace(
    main,
    h('h1', null, 'Sign in'),
    h('p', null, 'Sign in with a token the portal’s admin gave you. The page keeps a session for 12 hours.'),
    form,
  );
  input.focus();
}
