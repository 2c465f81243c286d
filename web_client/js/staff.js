// What the helper and counselor consoles share: sign-in (token in sessionStorage; the ways in,
// campus sign-in and the second factor, are in signin.js), the connection with its status line
// and the language switch. The conversations are in sessions.js.

import { $, show } from './dom.js';
import { t, lang, setLang, detectLang, onLangChange } from './i18n.js';
import { Connection } from './ws.js';
import { unlockAudio } from './alerting.js';
import { Sessions, title } from './sessions.js';
import { startSignin, takeSsoToken, offerSecondFactor } from './signin.js';

export { title };

const TOKEN_KEY = 'peerline.staff';
const LANG_KEY = 'peerline.lang';

/**
 * Start a console.
 * @param {object} cfg
 * @param {'helper'|'counselor'} cfg.role
 * @param {string} cfg.titleKey         i18n key of the page title
 * @param {(frame, app) => void} cfg.onFrame   frames the shared code does not handle itself
 * @param {(app) => void} [cfg.onReady]        after sign-in, once the console is shown
 * @param {(app) => void} [cfg.onLang]         after a language switch
 * @param {(session, app) => Node[]} [cfg.paneActions]  buttons for the pane's head
 */
export function startConsole(cfg) {
  const app = {
    role: cfg.role,
    alias: null,
    conn: null,
    sessions: null,
    token: null,
  };

  function loadToken() {
    try {
      const data = JSON.parse(sessionStorage.getItem(TOKEN_KEY));
      // Expiry is the server's business: an expired token gets `unauthorized` and the login form.
      if (data && data.token && data.role === cfg.role) return data;
    } catch { /* ignore */ }
    return null;
  }

  function showLogin(message) {
    show($('#view-login'), true);
    show($('#view-console'), false);
    show($('#logout'), false);
    show($('#twofa-open'), false);
    $('#who').textContent = '';
    signin.reset(message);
  }

  /** A sign-in's answer (password, second factor or campus): kept for this tab only. */
  function signedIn(body) {
    const info = { token: body.token, role: body.role, expires_at: body.expires_at };
    try { sessionStorage.setItem(TOKEN_KEY, JSON.stringify(info)); } catch { /* ignore */ }
    begin(info);
  }

  function showConsole() {
    show($('#view-login'), false);
    show($('#view-console'), true);
    show($('#logout'), true);
  }

  function logout() {
    // Signing out also stops new chats / alerts coming to this person.
    if (app.conn && cfg.offDuty) app.conn.send(cfg.offDuty());
    if (app.conn) app.conn.stop();
    app.conn = null;
    try { sessionStorage.removeItem(TOKEN_KEY); } catch { /* ignore */ }
    title.stop();
    location.reload();
  }

  function hello() {
    const frame = { type: 'hello', role: cfg.role, token: app.token };
    const lastSeen = app.sessions.lastSeen();
    // Always sent, even empty: staff get the transcript replay only when they ask for it.
    frame.last_seen = lastSeen;
    return frame;
  }

  function onState(s) {
    const box = $('#conn');
    if (s === 'unauthorized') {
      try { sessionStorage.removeItem(TOKEN_KEY); } catch { /* ignore */ }
      app.conn = null;
      showLogin(t('staff.expired'));
      show(box, false);
      return;
    }
    app.sessions.markOnline(s === 'online');
    if (s === 'online' || s === 'stopped') {
      app.lost = false;
      show(box, false);
      return;
    }
    if (s === 'connecting' && !app.lost) return;
    if (s === 'offline') app.lost = true;
    const shown = s === 'connecting' ? 'offline' : s;
    box.dataset.state = shown;
    $('#conn-text').textContent = t(shown === 'replaced' ? 'conn.replaced' : 'conn.offline');
    show($('#conn-retry'), true);
    show(box, true);
  }

  function onFrame(f) {
    if (f.type === 'welcome') {
      app.alias = f.alias || app.alias;
      $('#who').textContent = app.alias ? t('staff.signedinas', { alias: app.alias }) : '';
      app.sessions.onWelcome(f);
    } else if (app.sessions.handle(f)) {
      return;
    }
    cfg.onFrame(f, app);
  }

  function begin(tokenInfo) {
    app.token = tokenInfo.token;
    showConsole();
    if (cfg.firstFocus) $(cfg.firstFocus).focus();
    app.conn = new Connection({ hello, onFrame, onState });
    app.conn.start();
    offerSecondFactor(app);
    if (cfg.onReady) cfg.onReady(app);
  }

  // ---------- wiring ----------
  let stored = null;
  try { stored = sessionStorage.getItem(LANG_KEY); } catch { /* ignore */ }
  onLangChange(() => {
    $('#lang-switch').textContent = t('lang.other');
    title.setBase(t(cfg.titleKey));
    if (app.alias) $('#who').textContent = t('staff.signedinas', { alias: app.alias });
    if (app.sessions) app.sessions.relabel();
    if (cfg.onLang) cfg.onLang(app);
  });
  app.sessions = new Sessions(app, cfg);
  setLang(detectLang(stored));
  $('#lang-switch').addEventListener('click', () => {
    const next = lang() === 'zh' ? 'en' : 'zh';
    try { sessionStorage.setItem(LANG_KEY, next); } catch { /* ignore */ }
    setLang(next);
  });
  const signin = startSignin({ role: cfg.role, onToken: signedIn });
  $('#login-form').addEventListener('submit', () => unlockAudio()); // a click: beeps allowed later
  $('#logout').addEventListener('click', logout);
  $('#conn-retry').addEventListener('click', () => {
    if (app.conn && app.conn.stopped) app.conn.start();
    else if (app.conn) app.conn.reconnectNow();
  });
  document.addEventListener('click', unlockAudio, { once: true });

  const campus = takeSsoToken(cfg.role); // back from "Sign in with <campus>"
  if (campus) signedIn(campus);
  else if (loadToken()) begin(loadToken());
  else showLogin();
  return app;
}
