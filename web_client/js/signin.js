// Staff sign-in beyond a password: "Sign in with <campus>" (OIDC / CAS, the token comes back
// in the URL fragment), the second-factor code step, and enrolling a second factor (QR code,
// the key for typing in, then the recovery codes, shown once). Used by staff.js.
// Everything is built with createElement and text nodes; the QR code is an <img> whose src is
// the server's data: URL of the SVG (an image cannot run script).

import { $, h, fill, show } from './dom.js';
import { t } from './i18n.js';

/** An element whose text follows the language switch (applyI18n reads data-i18n). */
function tx(tag, key, attrs = {}, vars) {
  const node = h(tag, { ...attrs, dataset: vars ? undefined : { i18n: key } }, t(key, vars));
  return node;
}

async function postJson(url, body, bearer) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), cache: 'no-store' });
  let data = {};
  try { data = await res.json(); } catch { /* not JSON: status tells */ }
  return { status: res.status, ok: res.ok, data };
}

/**
 * The token a campus sign-in left in the URL fragment (`#sso=<JSON>`), or null. The fragment
 * is removed from the address bar and history at once, so a reload or a shared link never
 * carries it.
 */
export function takeSsoToken(role) {
  if (!location.hash.startsWith('#sso=')) return null;
  let info = null;
  try {
    const raw = new URLSearchParams(location.hash.slice(1)).get('sso');
    info = JSON.parse(raw);
  } catch { info = null; }
  history.replaceState(null, '', location.pathname + location.search);
  if (!info || typeof info.token !== 'string' || info.role !== role) return null;
  return info;
}

/** Group a base32 key in fours, as authenticator apps show and accept it. */
function groupKey(secret) {
  return String(secret).replace(/(.{4})/g, '$1 ').trim();
}

function qrImage(dataUrl) {
  // Only the server's own SVG data URL: anything else is not shown.
  if (typeof dataUrl !== 'string' || !dataUrl.startsWith('data:image/svg+xml')) return null;
  return h('img', {
    class: 'qr', src: dataUrl, width: '220', height: '220', testid: 'enrol-qr',
    alt: t('twofa.qr.alt'),
  });
}

/**
 * Enrol a second factor into `root`: by enrolment ticket (a sign-in that must have one) or by
 * console token (an account choosing one). `onDone(answer)` gets the confirm answer (with a
 * token when a ticket was used) after the person has seen the recovery codes.
 */
export async function enrol(root, { ticket = null, token = null, onDone, onExpired, headingLevel = 'h2' }) {
  const who = ticket ? { enrolment: ticket } : {};
  fill(root, tx('p', 'twofa.loading', { class: 'hint', role: 'status' }));
  let started;
  try {
    started = await postJson('/api/2fa/enrol', who, token);
  } catch {
    started = { ok: false, status: 0, data: {} };
  }
  if (!started.ok) {
    if (started.status === 401 && onExpired) { onExpired(started.data); return; }
    fill(root, h('p', { class: 'error', role: 'alert', testid: 'enrol-error' },
      started.status === 409 ? t('twofa.already') : t('staff.loginerror')));
    return;
  }
  const { secret, qr_svg: qr } = started.data;

  const code = h('input', {
    type: 'text', id: 'enrol-code', inputmode: 'numeric', autocomplete: 'one-time-code',
    maxlength: '7', pattern: '[0-9 ]*', spellcheck: 'false', testid: 'enrol-code', required: true,
    'aria-describedby': 'enrol-code-hint',
  });
  const error = h('p', { class: 'error', role: 'alert', id: 'enrol-error', testid: 'enrol-error', hidden: true });
  const button = tx('button', 'twofa.confirm', { type: 'submit', class: 'btn btn--primary btn--wide', testid: 'enrol-confirm' });
  const form = h('form', { class: 'form', novalidate: true, testid: 'enrol-form' },
    tx('label', 'twofa.code', { for: 'enrol-code' }),
    code,
    tx('p', 'twofa.code.hint', { class: 'hint', id: 'enrol-code-hint' }),
    error,
    button);

  fill(root,
    tx(headingLevel, 'twofa.title', { id: 'enrol-title', tabindex: '-1' }),
    tx('p', ticket ? 'twofa.lead' : 'twofa.lead.choose'),
    h('ol', { class: 'steps' },
      tx('li', 'twofa.step.app'),
      tx('li', 'twofa.step.scan'),
      tx('li', 'twofa.step.code')),
    h('div', { class: 'qr-box' },
      qrImage(qr),
      h('div', { class: 'qr-box__key' },
        tx('p', 'twofa.manual', { class: 'hint' }),
        h('code', { class: 'secret', testid: 'enrol-secret', translate: 'no' }, groupKey(secret)))),
    form);
  $('#enrol-title', root).focus();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = code.value.replace(/\s/g, '');
    if (!/^\d{6}$/.test(value)) {
      error.textContent = t('twofa.code.format');
      show(error, true);
      code.focus();
      return;
    }
    button.disabled = true;
    let done;
    try {
      done = await postJson('/api/2fa/confirm', { ...who, code: value }, token);
    } catch {
      done = { ok: false, status: 0, data: {} };
    } finally {
      button.disabled = false;
    }
    if (done.ok) {
      recovery(root, done.data, onDone, headingLevel);
      return;
    }
    if (done.data.error === 'enrolment_expired' && onExpired) { onExpired(done.data); return; }
    error.textContent = done.status === 401 ? t('twofa.wrong') : t('staff.loginerror');
    show(error, true);
    code.select();
    code.focus();
  });
}

/** The recovery codes, once, with a clear "save these now", then "Done". */
function recovery(root, answer, onDone, headingLevel) {
  const codes = Array.isArray(answer.recovery_codes) ? answer.recovery_codes : [];
  const saved = h('input', { type: 'checkbox', id: 'recovery-saved', testid: 'recovery-saved' });
  const done = tx('button', 'twofa.done', { type: 'button', class: 'btn btn--primary btn--wide', testid: 'enrol-done', disabled: true });
  const copied = h('span', { class: 'hint', role: 'status' });
  saved.addEventListener('change', () => { done.disabled = !saved.checked; });
  done.addEventListener('click', () => onDone(answer));
  const copy = navigator.clipboard
    ? tx('button', 'twofa.copy', {
      type: 'button', class: 'btn btn--small',
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(codes.join('\n'));
          copied.textContent = t('twofa.copied');
        } catch { copied.textContent = ''; }
      },
    })
    : null;
  fill(root,
    tx(headingLevel, 'twofa.recovery.title', { id: 'recovery-title', tabindex: '-1' }),
    h('div', { class: 'banner banner--warn', role: 'alert' }, tx('strong', 'twofa.recovery.now'), ' ', tx('span', 'twofa.recovery.why')),
    h('ol', { class: 'recovery', testid: 'recovery-codes', translate: 'no' },
      codes.map((c) => h('li', {}, h('code', {}, c)))),
    h('div', { class: 'inline-actions' }, copy, copied),
    h('label', { class: 'check check--block' }, saved, tx('span', 'twofa.recovery.saved')),
    done);
  $('#recovery-title', root).focus();
}

/**
 * The login card's extra ways in. `cfg.onToken(body)` gets a sign-in's answer (token, role).
 * Returns {reset(message)} so staff.js can bring the plain form back (expiry, sign-out).
 */
export function startSignin(cfg) {
  const card = $('#view-login');
  const form = $('#login-form');
  const step = $('#login-step');
  const campus = $('#campus');
  const or = $('#login-or');
  let options = { local: true, providers: [] };
  let pending = null; // {username, password} between the password and the code

  function setTitle(key) {
    const title = $('#login-title');
    title.dataset.i18n = key;
    title.textContent = t(key);
  }

  function message(node, text) {
    node.textContent = text || '';
    show(node, !!text);
  }

  /** Which ways in are shown: the campus buttons, the local form, or both with "or". */
  function applyOptions() {
    const campusOn = options.providers.length > 0;
    show(campus, campusOn || !options.local);
    show(form, options.local);
    show(or, options.local && campusOn);
  }

  function reset(text) {
    pending = null;
    card.classList.remove('login--wide');
    fill(step);
    show(step, false);
    setTitle('staff.login.title');
    applyOptions();
    const none = !options.local && options.providers.length === 0;
    message($('#login-error'), options.local ? text : '');
    message($('#campus-error'), options.local ? '' : text || (none ? t('staff.nosignin') : ''));
    if (card.hidden) return; // signed in: the login card waits unseen
    if (options.local) $('#login-username').focus();
    else if (campus.querySelector('a')) campus.querySelector('a').focus();
  }

  function renderCampus() {
    const several = options.providers.length > 1;
    fill(campus, options.providers.map((p) => h('a', {
      class: 'btn btn--campus btn--wide',
      href: `${p.url}?console=${encodeURIComponent(cfg.role)}`,
      testid: `campus-${p.id}`,
    }, t('staff.campus', { name: options.campus_name }) + (several ? ` (${p.id.toUpperCase()})` : ''))),
    h('p', { id: 'campus-error', class: 'error', role: 'alert', testid: 'campus-error', hidden: true }));
  }

  async function loadOptions() {
    try {
      const res = await fetch('/api/signin-options', { cache: 'no-store' });
      if (res.ok) {
        const data = await res.json();
        options = {
          local: data.local !== false,
          campus_name: typeof data.campus_name === 'string' ? data.campus_name : '',
          providers: Array.isArray(data.providers)
            ? data.providers.filter((p) => p && typeof p.url === 'string' && p.url.startsWith('/auth/'))
            : [],
        };
      }
    } catch { /* the local form stays, as before */ }
    renderCampus();
    if (!step.hidden) return; // a second-factor step is already showing
    applyOptions();
    if (!options.local) reset();
  }

  async function post(body) {
    return postJson('/api/login', body);
  }

  function answer(res) {
    if (res.ok) {
      if (res.data.role !== cfg.role) {
        reset(t('staff.wrongrole', { role: res.data.role }));
        return;
      }
      pending = null;
      cfg.onToken(res.data);
      return;
    }
    const code = res.data.error;
    if (code === 'otp_required') { otpStep(); return; }
    if (code === 'otp_enrolment_required') { enrolStep(res.data.enrolment); return; }
    if (res.status === 429) { reset(t('staff.ratelimited')); return; }
    if (res.status === 403) { reset(t('staff.localoff')); return; }
    reset(res.status === 401 ? t('staff.badlogin') : t('staff.loginerror'));
  }

  async function submitPassword(event) {
    event.preventDefault();
    const username = $('#login-username').value.trim();
    const password = $('#login-password').value;
    if (!username || !password) return;
    const button = $('#login-submit');
    button.disabled = true;
    try {
      pending = { username, password };
      $('#login-password').value = '';
      answer(await post(pending));
    } catch {
      reset(t('staff.loginerror'));
    } finally {
      button.disabled = false;
    }
  }

  function otpStep(errorText) {
    show(form, false);
    show(campus, false);
    show(or, false);
    setTitle('staff.otp.title');
    const input = h('input', {
      type: 'text', id: 'login-otp', inputmode: 'numeric', autocomplete: 'one-time-code',
      autocapitalize: 'none', spellcheck: 'false', maxlength: '20', required: true,
      testid: 'login-otp', 'aria-describedby': 'login-otp-hint',
    });
    const error = h('p', { class: 'error', role: 'alert', testid: 'otp-error', hidden: !errorText }, errorText || '');
    const submit = tx('button', 'staff.otp.submit', { type: 'submit', class: 'btn btn--primary btn--wide', testid: 'otp-submit' });
    const otpForm = h('form', { class: 'form', novalidate: true, testid: 'otp-form' },
      tx('p', 'staff.otp.lead'),
      tx('label', 'staff.otp.label', { for: 'login-otp' }),
      input,
      tx('p', 'staff.otp.hint', { class: 'hint', id: 'login-otp-hint' }),
      error,
      submit,
      tx('button', 'staff.otp.back', { type: 'button', class: 'btn btn--quiet btn--wide', onclick: () => reset() }));
    otpForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const otp = input.value.trim();
      if (!otp || !pending) return;
      submit.disabled = true;
      let res;
      try {
        res = await post({ ...pending, otp });
      } catch {
        res = { ok: false, status: 0, data: {} };
      } finally {
        submit.disabled = false;
      }
      if (!res.ok && res.status === 401 && res.data.error === 'unauthorized') {
        // Wrong, or already used: say which (the server's words are plain), and try again.
        error.textContent = /already used/.test(res.data.detail || '') ? t('staff.otp.used') : t('staff.otp.wrong');
        show(error, true);
        input.select();
        input.focus();
        return;
      }
      answer(res);
    });
    fill(step, otpForm);
    show(step, true);
    input.focus();
  }

  function enrolStep(ticket) {
    show(form, false);
    show(campus, false);
    show(or, false);
    pending = null; // the ticket stands in for the password from here
    setTitle('twofa.required.title');
    card.classList.add('login--wide');
    show(step, true);
    enrol(step, {
      ticket,
      headingLevel: 'h2',
      onDone: (done) => { reset(); cfg.onToken(done); },
      onExpired: () => reset(t('twofa.expired')),
    });
  }

  form.addEventListener('submit', submitPassword);
  renderCampus(); // the error line exists before the options arrive
  loadOptions();
  return { reset };
}

/**
 * For a signed-in account without a second factor: a "Set up two-step sign-in" button in the
 * top bar that opens the enrolment in a dialog. Hidden when the account has one already.
 */
export async function offerSecondFactor(app) {
  const button = $('#twofa-open');
  const dialog = $('#twofa-dialog');
  if (!button || !dialog) return;
  let state = null;
  try {
    const res = await fetch('/api/2fa', { headers: { Authorization: `Bearer ${app.token}` }, cache: 'no-store' });
    if (res.ok) state = await res.json();
  } catch { /* offline: offer nothing now */ }
  show(button, !!state && state.enabled === false);
  if (button.dataset.wired) return;
  button.dataset.wired = '1';
  const body = $('#twofa-body');
  const close = () => { dialog.close(); button.focus(); };
  $('#twofa-close').addEventListener('click', close);
  button.addEventListener('click', () => {
    dialog.showModal();
    enrol(body, {
      token: app.token,
      onDone: () => {
        dialog.close();
        show(button, false);
        $('#main').focus(); // the opener is gone: back to the page
      },
      onExpired: () => fill(body, tx('p', 'twofa.expired', { class: 'error', role: 'alert' })),
    });
  });
}
