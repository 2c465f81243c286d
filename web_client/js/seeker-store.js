// What the seeker page keeps in this tab (sessionStorage only), and how "Quick exit" wipes it.

const STORE_KEY = 'peerline.seeker';
// Where "Quick exit" goes: an ordinary page that gives nothing away.
const EXIT_URL = {
  en: 'https://www.google.com/search?q=weather+tomorrow',
  zh: 'https://www.baidu.com/s?wd=%E6%98%8E%E5%A4%A9%E5%A4%A9%E6%B0%94',
};


export function loadStore() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE_KEY)) || {};
  } catch {
    return {};
  }
}

export function saveStore(data) {
  try {
    sessionStorage.setItem(STORE_KEY, JSON.stringify(data));
  } catch {
    /* private mode: the chat still works, it just cannot survive a reload */
  }
}

/** Forget everything this origin stored in this tab and the browser, empty the page, and
 * replace it in the history with a neutral search page (so Back does not return here). */
export function wipeAndLeave(lang) {
  try { sessionStorage.clear(); } catch { /* ignore */ }
  try { localStorage.clear(); } catch { /* ignore */ }
  while (document.body.firstChild) document.body.removeChild(document.body.firstChild);
  document.title = '';
  location.replace(EXIT_URL[lang] || EXIT_URL.en);
}
