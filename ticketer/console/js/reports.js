// reports.js - MTTA, MTTR and SLA met % per queue or priority over time
// (uPlot charts, vendor/uplot.iife.min.js), the noise funnel (events ->
// alerts -> incidents -> tickets) and a CSV download of the series.
import { get, qs } from './api.js';
import { h, mount } from './dom.js';
import { t, num, duration, dateShort } from './i18n.js';
import { showError } from './ui.js';

const COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#0a7ea4'];

export function reportsView(root, params) {
  const range = h('select', { name: 'range' }, ['7', '30', '90'].map((d) => h('option', { value: d, selected: (params.get('days') || '7') === d }, t('rep.days', { n: Number(d) }))));
  const by = h('select', { name: 'by' }, ['queue', 'priority', 'none'].map((b) => h('option', { value: b, selected: (params.get('by') || 'queue') === b }, t(`rep.by.${b}`))));
  const body = h('div');
  const csvBtn = h('button', { type: 'button', onclick: csv }, t('rep.csv'));
  mount(root, h('h1', {}, t('nav.reports')),
    h('form', { class: 'filters', onchange: () => { history.replaceState(null, '', `#/reports${qs({ days: range.value, by: by.value })}`); load(); } },
      h('label', { class: 'f' }, h('span', {}, t('rep.range')), range),
      h('label', { class: 'f' }, h('span', {}, t('rep.group')), by), csvBtn),
    body);
  let series = null;
  const charts = [];

  async function load() {
    const until = new Date();
    const since = new Date(until.getTime() - Number(range.value) * 86400000);
    const args = { since: since.toISOString(), until: until.toISOString() };
    try {
      const [sum, ser] = await Promise.all([get(`/reports/summary${qs(args)}`), get(`/reports/series${qs({ ...args, bucket: 'day', by: by.value })}`)]);
      series = ser;
      render(sum, ser);
    } catch (e) {
      showError(e);
    }
  }

  function stat(label, value) {
    return h('div', { class: 'stat' }, h('div', { class: 'stat-v' }, value), h('div', { class: 'stat-l' }, label));
  }

  function chart(title, metric, fmt) {
    const box = h('figure', { class: 'chart' }, h('figcaption', {}, title));
    const xs = series.buckets.map((b) => new Date(b).getTime() / 1000);
    const data = [xs, ...series.series.map((s) => s.points.map((p) => p[metric]))];
    box.dataset.metric = metric;
    requestAnimationFrame(() => {
      if (!window.uPlot) return box.append(h('p', { class: 'muted' }, 'uPlot?'));
      const width = Math.max(Math.min(box.clientWidth || 560, 900), 260);
      charts.push(new window.uPlot({
        width, height: 220,
        scales: { x: { time: true } },
        axes: [{ values: (u, vals) => vals.map((v) => dateShort(new Date(v * 1000).toISOString())) }, { values: (u, vals) => vals.map(fmt) , size: 70 }],
        series: [{}, ...series.series.map((s, i) => ({ label: s.group, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true, value: (u, v) => (v === null || v === undefined ? '—' : fmt(v)) }))],
      }, data, box));
    });
    return box;
  }

  function render(sum, ser) {
    while (charts.length) charts.pop().destroy();
    const f = sum.funnel || {};
    const steps = ['events', 'alerts', 'incidents', 'tickets'];
    const max = Math.max(1, ...steps.map((s) => f[s] || 0));
    const pct = (v) => `${num(v, { maximumFractionDigits: 1 })}%`;
    mount(body,
      h('div', { class: 'stats' },
        stat(t('rep.tickets'), num(sum.tickets)),
        stat(t('rep.mtta'), duration(sum.mtta_s)),
        stat(t('rep.mttr'), duration(sum.mttr_s)),
        stat(t('rep.sla_response'), sum.sla.response.met_pct === null ? '—' : pct(sum.sla.response.met_pct)),
        stat(t('rep.sla_resolution'), sum.sla.resolution.met_pct === null ? '—' : pct(sum.sla.resolution.met_pct))),
      h('section', {}, h('h2', {}, t('rep.funnel')),
        h('ol', { class: 'funnel' }, steps.map((s) => {
          const bar = h('span', { class: 'funnel-bar' });
          bar.style.inlineSize = `${Math.max(((Math.log10((f[s] || 0) + 1)) / Math.log10(max + 1)) * 100, 1)}%`;
          return h('li', {}, h('span', { class: 'funnel-l' }, t(`rep.f.${s}`)), bar, h('span', { class: 'funnel-v' }, num(f[s] || 0)));
        }))),
      h('div', { class: 'charts' },
        chart(t('rep.mtta'), 'mtta_s', duration),
        chart(t('rep.mttr'), 'mttr_s', duration),
        chart(t('rep.sla_response'), 'response_met_pct', pct),
        chart(t('rep.sla_resolution'), 'resolution_met_pct', pct),
        chart(t('rep.tickets'), 'tickets', (v) => num(v))));
  }

  function csv() {
    if (!series) return;
    const q = (v) => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
    const lines = [['bucket', 'group', 'tickets', 'mtta_s', 'mttr_s', 'response_met_pct', 'resolution_met_pct'].join(',')];
    for (const s of series.series) for (const p of s.points) lines.push([p.t, s.group, p.tickets, p.mtta_s, p.mttr_s, p.response_met_pct, p.resolution_met_pct].map(q).join(','));
    const url = URL.createObjectURL(new Blob([lines.join('\n') + '\n'], { type: 'text/csv' }));
    const a = h('a', { href: url, download: `alertdesk-report-${series.by}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  load();
  return () => { while (charts.length) charts.pop().destroy(); };
}
