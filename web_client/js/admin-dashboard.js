// Dashboard: the live picture (GET /api/admin/overview, every 5 s while shown) and charts of
// the anonymous statistics (GET /api/stats, on showing and every minute). No name of a
// student, no text: the server sends none.

import { h, fill, show } from './dom.js';
import { t, clock, applyI18n } from './i18n.js';
import { api, query } from './admin-api.js';
import { heatmap, plot, severityBars, meanMood, cell } from './admin-charts.js';

const LIVE_EVERY_MS = 5000;
const STATS_EVERY_MS = 60000;
const DAY_MS = 86400000;

const tx = (tag, key, attrs = {}) => h(tag, { ...attrs, 'data-i18n': key }, t(key));

export function mountDashboard(root, ctx) {
  let liveTimer = null;
  let statsTimer = null;
  let weeks = 8;
  let lastLive = null;
  let lastStats = null;
  let chartGrid = null;

  const live = h('div', { class: 'tiles', testid: 'dash-live' });
  const helpers = h('div', { class: 'card dash-list', testid: 'dash-helpers' });
  const alerts = h('div', { class: 'card dash-list', testid: 'dash-alerts' });
  const today = h('div', { class: 'tiles tiles--today', testid: 'dash-today' });
  const updated = h('p', { class: 'hint', testid: 'dash-updated', 'aria-live': 'off' });
  const period = h('select', { id: 'dash-period', testid: 'dash-period' },
    [4, 8, 12, 26].map((n) => h('option', { value: String(n), selected: n === weeks }, t('adm.weeks', { n }))));
  period.addEventListener('change', () => { weeks = Number(period.value); loadStats(); });
  const charts = {
    heat: h('div', { class: 'chart chart--heat', testid: 'chart-heatmap' }),
    demand: h('div', { class: 'chart', testid: 'chart-demand' }),
    severity: h('div', { class: 'chart chart--bars', testid: 'chart-severity' }),
    claim: h('div', { class: 'chart', testid: 'chart-claim' }),
    mood: h('div', { class: 'chart', testid: 'chart-mood' }),
  };
  const statsNote = h('p', { class: 'hint', testid: 'stats-note', hidden: true });

  const figure = (key, node, hintKey) => h('figure', { class: 'card chart-card' },
    tx('figcaption', key, { class: 'chart-card__title' }), hintKey ? tx('p', hintKey, { class: 'hint' }) : null, node);

  fill(root,
    h('div', { class: 'admin-head' }, tx('h1', 'adm.dash.title', { id: 'dash-title', tabindex: '-1' }), updated),
    tx('h2', 'adm.dash.now', { class: 'admin-sub' }),
    live,
    h('div', { class: 'dash-grid' }, helpers, alerts),
    tx('h2', 'adm.dash.today', { class: 'admin-sub' }),
    today,
    h('div', { class: 'admin-head' }, tx('h2', 'adm.dash.stats', { class: 'admin-sub' }),
      h('label', { class: 'field-inline', for: 'dash-period' }, tx('span', 'adm.period'), period)),
    tx('p', 'adm.dash.floor', { class: 'hint' }),
    statsNote,
    chartGrid = h('div', { class: 'chart-grid', testid: 'dash-charts' },
      figure('adm.chart.heatmap', charts.heat, 'adm.chart.heatmap.hint'),
      figure('adm.chart.demand', charts.demand, 'adm.chart.demand.hint'),
      figure('adm.chart.severity', charts.severity),
      figure('adm.chart.claim', charts.claim),
      figure('adm.chart.mood', charts.mood, 'adm.chart.mood.hint')));

  function tile(label, value, sub, testid, tone) {
    return h('div', { class: `tile${tone ? ` tile--${tone}` : ''}`, testid },
      h('p', { class: 'tile__label' }, label),
      h('p', { class: 'tile__value', testid: `${testid}-value` }, value),
      sub ? h('p', { class: 'tile__sub' }, sub) : null);
  }

  function drawLive(o) {
    const q = o.queue;
    const oc = o.on_call;
    const depts = Object.entries(oc.department || {});
    fill(live,
      tile(t('adm.live.waiting'), String(q.waiting),
        q.longest_wait_s === null ? t('adm.live.nowait') : t('adm.live.longest', { t: clock(q.longest_wait_s) }),
        'live-queue', q.waiting > 0 ? 'warn' : ''),
      tile(t('adm.live.helpers'), String(o.helpers.online), t('adm.live.available', { n: o.helpers.available }),
        'live-helpers', o.helpers.online === 0 ? 'warn' : ''),
      tile(t('adm.live.oncall'), String(oc.centre + depts.reduce((s, [, n]) => s + n, 0)),
        [t('adm.live.centre', { n: oc.centre }), ...depts.map(([d, n]) => t('adm.live.dept', { d, n }))].join(' · '),
        'live-oncall', oc.centre === 0 ? 'warn' : ''),
      tile(t('adm.live.alerts'), String(o.alerts.open), t('adm.live.watch', { n: o.alerts.watch }),
        'live-alerts', o.alerts.open > 0 ? 'crisis' : ''));
    fill(helpers, tx('h3', 'adm.live.load'),
      o.helpers.load.length === 0 ? tx('p', 'adm.live.noload', { class: 'empty' })
        : h('ul', { class: 'load-list', testid: 'load-list' }, o.helpers.load.map((x) => h('li', { class: 'load' },
          h('span', { class: 'load__name' }, x.alias),
          h('meter', { min: '0', max: String(Math.max(1, x.capacity)), value: String(x.active), 'aria-label': t('adm.live.loadof', { alias: x.alias }) }),
          h('span', { class: 'load__num' }, `${x.active}/${x.capacity}`),
          h('span', { class: 'load__state' }, x.cooldown ? t('adm.live.cooling') : x.available ? t('adm.live.free') : t('adm.live.full'))))));
    fill(alerts, tx('h3', 'adm.live.openalerts'),
      o.alerts.items.length === 0 ? tx('p', 'adm.live.noalerts', { class: 'empty' })
        : h('ul', { class: 'alert-mini', testid: 'open-alerts' }, o.alerts.items.map((a) => h('li', { 'data-severity': String(a.severity) },
          h('span', { class: 'alert-mini__sev' }, t('adm.sev.short', { n: a.severity })),
          ` ${t('adm.live.waitingfor', { t: clock(a.waiting_s) })}`))),
      tx('h3', 'adm.live.watchlist'),
      h('p', { testid: 'watch-count' }, o.alerts.watch === 0 ? t('adm.live.nowatch') : t('adm.live.watchn', { n: o.alerts.watch })));
    updated.textContent = t('adm.updated', { at: new Date(o.at).toLocaleTimeString() });
  }

  function drawToday(row, overviewToday) {
    const r = row || {};
    const v = (x) => (row ? cell(x) : '—');
    fill(today,
      tile(t('adm.today.requests'), v(r.requests), null, 'today-requests'),
      tile(t('adm.today.matched'), v(r.matched), null, 'today-matched'),
      tile(t('adm.today.abandoned'), v(r.abandoned), null, 'today-abandoned'),
      tile(t('adm.today.wait'), row && r.wait_p50_s !== null && r.wait_p50_s !== undefined ? clock(r.wait_p50_s) : '—', null, 'today-wait'),
      tile(t('adm.today.alerts'), row ? cell(r.alerts) : cell(overviewToday ? overviewToday.alerts : null), null, 'today-alerts'));
  }

  async function loadLive() {
    const res = await api('GET', '/api/admin/overview');
    if (!res.ok) { if (res.status !== 401) ctx.status(t('adm.loadfailed'), 'error'); return; }
    lastLive = res.data;
    drawLive(res.data);
    if (!lastStats) drawToday(null, res.data.today);
  }

  async function stats(from, by) {
    const res = await api('GET', `/api/stats${query({ from, to: Date.now(), by })}`);
    return res.ok ? res.data.buckets : null;
  }

  async function loadStats() {
    const now = Date.now();
    const midnight = new Date(); midnight.setHours(0, 0, 0, 0);
    const from = now - weeks * 7 * DAY_MS;
    const [day, wh, hour, week] = await Promise.all([
      stats(midnight.getTime(), 'day'), stats(from, 'weekday_hour'), stats(from, 'hour'), stats(from, 'week')]);
    if (!day && !wh && !hour && !week) {
      statsNote.textContent = t('adm.nostats');
      show(statsNote, true);
      show(chartGrid, false);
      return;
    }
    show(statsNote, false);
    show(chartGrid, true);
    lastStats = { day, wh, hour, week };
    drawStats();
  }

  function drawStats() {
    if (!lastStats) return;
    const { day, wh, hour, week } = lastStats;
    drawToday(day && day.length ? day[day.length - 1] : null, lastLive && lastLive.today);
    if (wh) heatmap(charts.heat, wh, 'requests');
    if (hour) {
      plot(charts.demand, {
        labels: hour.map((r) => r.key),
        yLabel: t('adm.chart.requests'), xLabel: t('adm.chart.hour'),
        series: [
          { label: t('adm.chart.requests'), values: hour.map((r) => r.requests), color: '#1f5f8b', bars: true, counts: true },
          { label: t('adm.chart.helpers'), values: hour.map((r) => r.helpers_online_avg ?? null), color: '#176b3a', axis: 'right' },
        ],
      });
    }
    if (week) {
      severityBars(charts.severity, week);
      plot(charts.claim, {
        labels: week.map((r) => r.key.replace(/^\d{4}-/, '')), yLabel: t('adm.chart.seconds'), xLabel: t('adm.chart.week'),
        series: [{ label: t('adm.chart.claimp50'), values: week.map((r) => r.time_to_claim_p50_s ?? null), color: '#b42318' }],
      });
      plot(charts.mood, {
        labels: week.map((r) => r.key.replace(/^\d{4}-/, '')), yLabel: t('adm.chart.mood'), xLabel: t('adm.chart.week'),
        series: [
          { label: t('adm.chart.moodbefore'), values: week.map((r) => meanMood(r.mood_before)), color: '#8a5a00' },
          { label: t('adm.chart.moodafter'), values: week.map((r) => meanMood(r.mood_after)), color: '#176b3a' },
        ],
      });
    }
  }

  return {
    show() {
      loadLive();
      loadStats();
      clearInterval(liveTimer); clearInterval(statsTimer);
      liveTimer = setInterval(loadLive, LIVE_EVERY_MS);
      statsTimer = setInterval(loadStats, STATS_EVERY_MS);
    },
    hide() { clearInterval(liveTimer); clearInterval(statsTimer); },
    live() { loadLive(); }, // an alert or watch-list change: the live figures now
    relabel() {
      applyI18n(root);
      for (const opt of period.options) opt.textContent = t('adm.weeks', { n: opt.value });
      if (lastLive) drawLive(lastLive);
      drawStats();
      if (!lastStats && lastLive) drawToday(null, lastLive.today);
    },
  };
}
