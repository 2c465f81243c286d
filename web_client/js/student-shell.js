// What the student pages without a chat (/library, /stories) share with the seeker page:
// the language switch, "Crisis help" and "Quick exit".

import { $ } from './dom.js';
import { t, lang, setLang, detectLang, onLangChange } from './i18n.js';
import { loadCrisis, renderCrisis, toggleCrisis } from './seeker-view.js';
import { wipeAndLeave } from './seeker-store.js';
import './between-strings.js';

const LANG_KEY = 'peerline.lang';

/** Wire the top bar; `onLang` runs after every language change (and once at start). */
export function startShell({ titleKey, onLang }) {
  onLangChange(() => {
    $('#lang-switch').textContent = t('lang.other');
    $('#lang-switch').setAttribute('lang', lang() === 'zh' ? 'en' : 'zh');
    document.title = `${t(titleKey)} · ${t('app.name')}`;
    renderCrisis();
    onLang();
  });
  let stored = null;
  try { stored = sessionStorage.getItem(LANG_KEY); } catch { /* ignore */ }
  $('#lang-switch').addEventListener('click', () => {
    const next = lang() === 'zh' ? 'en' : 'zh';
    try { sessionStorage.setItem(LANG_KEY, next); } catch { /* ignore */ }
    setLang(next);
  });
  $('#quick-exit').addEventListener('click', () => wipeAndLeave(lang()));
  $('#crisis-toggle').addEventListener('click', () => toggleCrisis());
  $('#crisis-close').addEventListener('click', () => {
    toggleCrisis(false);
    $('#crisis-toggle').focus();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !$('#crisis-panel').hidden) toggleCrisis(false);
  });
  loadCrisis();
  setLang(detectLang(stored));
}

/** Open the crisis panel at once (a crisis in a story, a diary note or a self-check). */
export function openCrisis() {
  toggleCrisis(true);
  $('#crisis-panel').scrollIntoView({ block: 'start' });
}
