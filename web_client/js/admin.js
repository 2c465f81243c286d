// The operator console (/admin): sign-in as an admin, then five sections (dashboard, staff,
// warnings, settings, audit), each a module that draws its own section. Everything goes
// through HTTP (admin-api.js): the dashboard and the warnings badge refresh on a timer.

import { $, show } from './dom.js';
import { t, lang, setLang, detectLang, onLangChange, addStrings } from './i18n.js';
import { startSignin, takeSsoToken } from './signin.js';
import { useToken, api } from './admin-api.js';
import { Connection } from './ws.js';
import { ADMIN_STRINGS } from './admin-strings.js';
import { mountDashboard } from './admin-dashboard.js';
import { mountStaff } from './admin-staff.js';
import { mountWarnings } from './admin-warnings.js';
import { mountSettings } from './admin-settings.js';
import { mountAudit } from './admin-audit.js';

addStrings(ADMIN_STRINGS);

const TOKEN_KEY = 'peerline.admin';
const LANG_KEY = 'peerline.lang';
const BADGE_EVERY_MS = 15000;

const sections = {};
let current = 'dashboard';
let badgeTimer = null;
let who = null;
let conn = null;

function status(text, kind = 'info') {
  const node = $('#admin-status');
  node.textContent = text || '';
  node.dataset.kind = kind;
  show(node, !!text);
}

const ctx = { status, t };

function loadToken() {
  try {
    const data = JSON.parse(sessionStorage.getItem(TOKEN_KEY));
    if (data && data.token && data.role === 'admin') return data;
  } catch { /* ignore */ }
  return null;
}

function showLogin(message) {
  if (conn) { conn.stop(); conn = null; }
  for (const s of Object.values(sections)) s.hide();
  clearInterval(badgeTimer);
  show($('#view-login'), true);
  show($('#view-console'), false);
  show($('#logout'), false);
  $('#who').textContent = '';
  signin.reset(message);
}

function signedOut() {
  try { sessionStorage.removeItem(TOKEN_KEY); } catch { /* ignore */ }
  useToken(null);
  showLogin(t('staff.expired'));
}

function signedIn(body) {
  const info = { token: body.token, role: body.role, expires_at: body.expires_at, username: body.username || '' };
  try { sessionStorage.setItem(TOKEN_KEY, JSON.stringify(info)); } catch { /* ignore */ }
  begin(info);
}

function begin(info) {
  who = info;
  useToken(info.token, signedOut);
  show($('#view-login'), false);
  show($('#view-console'), true);
  show($('#logout'), true);
  $('#who').textContent = info.username ? t('staff.signedinas', { alias: info.username }) : '';
  select(current);
  refreshBadge();
  clearInterval(badgeTimer);
  badgeTimer = setInterval(refreshBadge, BADGE_EVERY_MS);
  listen(info.token);
}

/**
 * The admin's WebSocket: every counselor frame reaches an admin (PROTOCOL v1.1), so a new
 * early warning or alert shows at once instead of at the next refresh. The pages still poll,
 * so nothing depends on this socket being up.
 */
function listen(token) {
  if (conn) conn.stop();
  conn = new Connection({
    hello: () => ({ type: 'hello', role: 'admin', token, last_seen: {} }),
    onFrame: (f) => {
      if (f.type === 'warning') {
        status(t('adm.warn.new', { kind: t(`adm.warn.kind.${f.kind}`) }), 'error');
        refreshBadge();
        sections[current].live(f);
      } else if (['warning_acked', 'alert', 'alert_claimed', 'alert_resolved', 'watch'].includes(f.type)) {
        if (f.type === 'warning_acked') refreshBadge();
        sections[current].live(f);
      }
    },
    onState: (state) => { if (state === 'unauthorized') signedOut(); },
  });
  conn.start();
}

async function refreshBadge() {
  const res = await api('GET', '/api/admin/warnings?state=open');
  const badge = $('#warn-badge');
  const n = res.ok && Array.isArray(res.data.items) ? res.data.items.length : 0;
  badge.textContent = String(n);
  badge.setAttribute('aria-label', t('adm.warn.badge', { n }));
  show(badge, n > 0);
}

function select(name) {
  current = name;
  for (const tab of document.querySelectorAll('.admin-nav__tab')) {
    if (tab.dataset.section === name) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  }
  status('');
  for (const [key, section] of Object.entries(sections)) {
    show($(`#section-${key}`), key === name);
    if (key === name) section.show();
    else section.hide();
  }
}

function logout() {
  if (conn) conn.stop();
  try { sessionStorage.removeItem(TOKEN_KEY); } catch { /* ignore */ }
  location.reload();
}

// ---------- wiring ----------
sections.dashboard = mountDashboard($('#section-dashboard'), ctx);
sections.staff = mountStaff($('#section-staff'), ctx);
sections.warnings = mountWarnings($('#section-warnings'), { ...ctx, onChange: refreshBadge });
sections.settings = mountSettings($('#section-settings'), ctx);
sections.audit = mountAudit($('#section-audit'), ctx);

let stored = null;
try { stored = sessionStorage.getItem(LANG_KEY); } catch { /* ignore */ }
onLangChange(() => {
  $('#lang-switch').textContent = t('lang.other');
  document.title = t('adm.title');
  if (who && who.username) $('#who').textContent = t('staff.signedinas', { alias: who.username });
  for (const s of Object.values(sections)) s.relabel();
});
setLang(detectLang(stored));
$('#lang-switch').addEventListener('click', () => {
  const next = lang() === 'zh' ? 'en' : 'zh';
  try { sessionStorage.setItem(LANG_KEY, next); } catch { /* ignore */ }
  setLang(next);
});
for (const tab of document.querySelectorAll('.admin-nav__tab')) {
  tab.addEventListener('click', () => select(tab.dataset.section));
}
$('#logout').addEventListener('click', logout);

const signin = startSignin({ role: 'admin', onToken: (body) => {
  const name = $('#login-username').value.trim().toLowerCase();
  signedIn({ ...body, username: body.username || name });
} });
const campus = takeSsoToken('admin');
if (campus) signedIn(campus);
else if (loadToken()) begin(loadToken());
else showLogin();
