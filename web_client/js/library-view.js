// One library item, rendered as text: an article (safe markdown), a course followed step by
// step (progress kept in this browser), a book, a hotline. Also the small card used in lists,
// in the waiting room and in chats.

import { h, fill, safeHref, telHref } from './dom.js';
import { t } from './i18n.js';
import { renderMarkdown } from './markdown.js';

const PROGRESS_KEY = 'peerline.course.';

/** A list entry: kind, title, summary, and a link to the item. */
export function itemCard(item, { href = `/library#item=${encodeURIComponent(item.id)}`, onOpen } = {}) {
  const meta = [t(`kind.${item.kind}`)];
  if (item.kind === 'course' && item.steps_count) meta.push(t('lib.steps', { n: item.steps_count }));
  if (item.kind === 'book' && item.author) meta.push(t('lib.by', { author: item.author }));
  const link = h('a', { class: 'lib-card__title', href, testid: 'lib-open' }, String(item.title ?? ''));
  if (onOpen) link.addEventListener('click', (e) => { e.preventDefault(); onOpen(item.id); });
  return h('li', { class: `lib-card lib-card--${item.kind}`, testid: 'lib-card', dataset: { id: item.id } },
    h('p', { class: 'lib-card__meta' },
      item.new ? h('span', { class: 'badge', testid: 'lib-new-badge' }, t('lib.newbadge')) : null,
      meta.join(' · ')),
    link,
    item.summary ? h('p', { class: 'lib-card__summary' }, String(item.summary)) : null,
    item.kind === 'hotline' ? hotlineLine(item) : null);
}

function hotlineLine(item) {
  const tel = telHref(item.phone);
  return h('p', { class: 'lib-card__hotline' },
    tel ? h('a', { class: 'resource__phone', href: tel }, String(item.phone)) : null,
    item.hours ? h('span', { class: 'hint' }, ` ${t('lib.hours', { hours: item.hours })}`) : null);
}

/** The whole item, into `root`. */
export function renderItem(root, item) {
  const head = [
    h('p', { class: 'lib-card__meta' }, t(`kind.${item.kind}`)),
    h('h1', { id: 'item-title', testid: 'item-title', tabindex: '-1' }, String(item.title ?? '')),
    item.summary ? h('p', { class: 'item__summary' }, String(item.summary)) : null,
  ];
  root.setAttribute('aria-labelledby', 'item-title');
  if (item.kind === 'article') {
    fill(root, head, h('div', { class: 'prose', testid: 'item-body' }, renderMarkdown(item.body)));
  } else if (item.kind === 'course') {
    fill(root, head, h('div', { class: 'course', testid: 'course' }));
    renderCourse(root.querySelector('.course'), item);
  } else if (item.kind === 'book') {
    const href = safeHref(item.url);
    fill(root, head,
      item.author ? h('p', { class: 'item__author' }, t('lib.by', { author: item.author })) : null,
      item.quote ? h('blockquote', { class: 'item__quote', testid: 'item-quote' }, h('p', {}, `“${item.quote}”`)) : null,
      href ? h('p', {}, h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, t('lib.link'))) : null);
  } else {
    const tel = telHref(item.phone);
    const href = safeHref(item.url);
    fill(root, head,
      tel ? h('p', {}, h('a', { class: 'resource__phone', href: tel }, String(item.phone))) : null,
      item.hours ? h('p', {}, t('lib.hours', { hours: item.hours })) : null,
      href ? h('p', {}, h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, href)) : null);
  }
}

function loadProgress(id) {
  try {
    const p = JSON.parse(localStorage.getItem(PROGRESS_KEY + id));
    if (p && Number.isInteger(p.step) && Array.isArray(p.done)) return p;
  } catch { /* ignore */ }
  return { step: 0, done: [] };
}

function saveProgress(id, progress) {
  try { localStorage.setItem(PROGRESS_KEY + id, JSON.stringify(progress)); } catch { /* private mode */ }
}

/** A course, one step at a time; which steps are done is kept in this browser only. */
function renderCourse(box, item) {
  const steps = Array.isArray(item.steps) ? item.steps : [];
  const progress = loadProgress(item.id);
  progress.step = Math.min(Math.max(0, progress.step), steps.length);

  const draw = () => {
    saveProgress(item.id, progress);
    const done = new Set(progress.done);
    const bar = h('progress', { max: String(steps.length), value: String(done.size), testid: 'course-bar',
      'aria-label': t('course.progress', { done: done.size, total: steps.length }) });
    const line = h('p', { class: 'hint', testid: 'course-progress' }, t('course.progress', { done: done.size, total: steps.length }));
    if (progress.step >= steps.length) {
      fill(box, bar, line,
        h('p', { class: 'thanks', testid: 'course-finished' }, t('course.finished')),
        h('button', { type: 'button', class: 'btn', testid: 'course-restart', onclick: () => {
          progress.step = 0; progress.done = []; draw();
        } }, t('course.restart')));
      return;
    }
    const step = steps[progress.step];
    fill(box, bar, line,
      h('section', { class: 'course__step', testid: 'course-step', 'aria-live': 'polite' },
        h('p', { class: 'lib-card__meta' }, t('course.step', { n: progress.step + 1, total: steps.length })),
        h('h2', {}, String(step.title ?? '')),
        h('div', { class: 'prose' }, renderMarkdown(step.body))),
      h('div', { class: 'course__nav' },
        progress.step > 0
          ? h('button', { type: 'button', class: 'btn btn--quiet', testid: 'course-prev', onclick: () => { progress.step -= 1; draw(); } }, t('course.prev'))
          : null,
        h('button', { type: 'button', class: 'btn btn--primary', testid: 'course-next', onclick: () => {
          if (!progress.done.includes(progress.step)) progress.done.push(progress.step);
          progress.step += 1;
          draw();
        } }, progress.step + 1 < steps.length ? `${t('course.done')} · ${t('course.next')}` : t('course.done'))));
  };
  draw();
}
