// A small, safe markdown renderer: the subset the library's articles and course steps use,
// built as DOM nodes with text nodes only. Nothing is ever parsed as HTML: "<b>" in an
// article is shown as the characters "<b>". Links are kept only for http(s) URLs.
//
// Supported: paragraphs (blank line between), "#"/"##"/"###" headings, "- " / "* " lists,
// "1. " numbered lists, "> " quotes, **bold**, *italic* / _italic_, [text](https://…) links.
// Anything else is plain text. Why not a vendored renderer (markdown-it with html: false)?
// It returns an HTML string that must go through innerHTML, which this client never uses
// (see README "Text is text"), and is ~100 KB for a handful of rules.

import { h, safeHref } from './dom.js';

/** Render markdown `source` into an array of block nodes. */
export function renderMarkdown(source) {
  const blocks = [];
  const lines = String(source ?? '').replace(/\r\n?/g, '\n').split('\n');
  let para = [];
  let list = null; // {tag, items}
  let quote = [];

  const flushPara = () => {
    if (para.length) blocks.push(h('p', {}, inline(para.join(' '))));
    para = [];
  };
  const flushList = () => {
    if (list) blocks.push(h(list.tag, {}, list.items.map((text) => h('li', {}, inline(text)))));
    list = null;
  };
  const flushQuote = () => {
    if (quote.length) blocks.push(h('blockquote', {}, h('p', {}, inline(quote.join(' ')))));
    quote = [];
  };
  const flushAll = () => { flushPara(); flushList(); flushQuote(); };

  for (const raw of lines) {
    const line = raw.trimEnd();
    if (!line.trim()) { flushAll(); continue; }
    const heading = /^(#{1,3})\s+(.*)$/.exec(line);
    if (heading) {
      flushAll();
      // An item's title is the page's h1: its headings start one level below.
      blocks.push(h(`h${heading[1].length + 1}`, {}, inline(heading[2])));
      continue;
    }
    const bullet = /^\s*[-*]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d{1,3}[.)]\s+(.*)$/.exec(line);
    if (bullet || numbered) {
      flushPara(); flushQuote();
      const tag = bullet ? 'ul' : 'ol';
      if (!list || list.tag !== tag) { flushList(); list = { tag, items: [] }; }
      list.items.push((bullet || numbered)[1]);
      continue;
    }
    const quoted = /^>\s?(.*)$/.exec(line);
    if (quoted) { flushPara(); flushList(); quote.push(quoted[1]); continue; }
    if (list && /^\s{2,}\S/.test(raw)) { // a list item's continuation line
      list.items[list.items.length - 1] += ` ${line.trim()}`;
      continue;
    }
    flushList(); flushQuote();
    para.push(line.trim());
  }
  flushAll();
  return blocks;
}

const INLINE = /\*\*(.+?)\*\*|\*(?!\s)(.+?)\*|_(?!\s)(.+?)_|\[([^\]]+)\]\(([^)\s]+)\)/;

/** Inline spans of one line of text, as nodes (strings become text nodes in h()). */
export function inline(text) {
  const out = [];
  let rest = String(text);
  while (rest) {
    const m = INLINE.exec(rest);
    if (!m) { out.push(rest); break; }
    if (m.index) out.push(rest.slice(0, m.index));
    if (m[1] !== undefined) out.push(h('strong', {}, inline(m[1])));
    else if (m[2] !== undefined) out.push(h('em', {}, inline(m[2])));
    else if (m[3] !== undefined) out.push(h('em', {}, inline(m[3])));
    else {
      const href = /^https?:\/\//i.test(m[5]) ? safeHref(m[5]) : null;
      out.push(href
        ? h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, m[4])
        : `${m[4]} (${m[5]})`);
    }
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}
