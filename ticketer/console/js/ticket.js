// ticket.js - one ticket: the incident as a tree (root cause and its
// symptoms), a single timeline (alerts joining and clearing, comments,
// state changes, pages sent and who acknowledged them: the audit trail),
// similar past tickets with how they were resolved, runbook links, and the
// actions the role allows. Every change is sent with the version shown
// (If-Match), so a concurrent change comes back as "changed by X, reload".
import { get, post } from './api.js';
import { h, mount, safeUrl } from './dom.js';
import { t, dateTime, duration, num } from './i18n.js';
import { onTicket } from './live.js';
import { prioBadge, slaCell, slaClock, stateBadge, showError, toast } from './ui.js';

export function ticketView(root, key, session) {
  let tk = null;
  let stale = false;
  const canWork = session.may.tickets;

  async function load() {
    try {
      const [ticket, pages, similar] = await Promise.all([
        get(`/tickets/${encodeURIComponent(key)}`),
        get(`/tickets/${encodeURIComponent(key)}/pages`).catch(() => ({ pages: [] })),
        get(`/tickets/${encodeURIComponent(key)}/similar`).catch(() => ({ similar: [] })),
      ]);
      let incident = null;
      try {
        incident = await get(`/incidents/${ticket.incident_id}`);
      } catch { /* the tree falls back to the alerts */ }
      tk = ticket;
      stale = false;
      render(ticket, pages, similar, incident);
    } catch (e) {
      if (e.status === 404) mount(root, h('h1', {}, t('ticket.missing', { key })));
      else showError(e);
    }
  }

  async function act(action, body) {
    try {
      tk = await post(`/tickets/${encodeURIComponent(key)}/${action}`, body, { 'If-Match': `"${tk.version}"` });
      toast(t(`done.${action}`, { key }));
      load();
    } catch (e) {
      showError(e, load);
    }
  }

  function actionForm(action, fieldName, label, required) {
    const input = h(fieldName === 'text' ? 'textarea' : 'input', { name: fieldName, required, rows: 2, 'aria-label': label, placeholder: label, list: action === 'assign' ? 'people' : null });
    return h('form', { class: `act act-${action}`, onsubmit: (e) => {
      e.preventDefault();
      const v = input.value.trim();
      if (required && !v) return;
      act(action, v ? { [fieldName]: v } : {});
    } }, input, h('button', { type: 'submit' }, t(`act.${action}`)));
  }

  function actions(s) {
    if (!canWork) return null;
    const btn = (a, extra) => h('button', { type: 'button', class: a === 'ack' ? 'primary' : '', dataset: { action: a }, onclick: () => act(a, extra || {}) }, t(`act.${a}`));
    const open = ['new', 'acknowledged', 'in_progress', 'pending'].includes(s);
    return h('section', { class: 'actions', 'aria-label': t('ticket.actions') },
      s === 'new' ? btn('ack') : null,
      open ? btn('resolve') : null,
      s === 'resolved' ? btn('close') : null,
      ['resolved', 'closed'].includes(s) ? btn('reopen') : null,
      actionForm('assign', 'assignee', t('act.assign_to'), false),
      open ? actionForm('pending', 'reason', t('act.pending_reason'), true) : null,
      actionForm('comment', 'text', t('act.comment_text'), true),
      session.may.silences ? h('a', { class: 'button', href: `#/silences?from=${encodeURIComponent(key)}` }, t('act.silence')) : null);
  }

  function tree(ticket, incident) {
    const alerts = (incident && incident.members) || ticket.alerts || [];
    const parentOf = new Map();
    for (const d of (incident && incident.decisions) || []) if (d.parent) parentOf.set(d.fingerprint || d.resource, d.parent);
    const roots = alerts.filter((a) => !a.symptom);
    const item = (a) => h('li', { class: a.active ? 'active' : 'cleared' },
      h('span', { class: 'res' }, a.resource), ' ', h('span', { class: 'chk' }, a.check), ' ',
      h('span', { class: `sev sev-${a.severity}` }, a.severity), ' ',
      h('span', { class: 'summary' }, a.summary || ''),
      a.active ? null : h('span', { class: 'muted' }, ` (${t('alert.cleared')})`));
    const sym = alerts.filter((a) => a.symptom);
    return h('ul', { class: 'tree' }, (roots.length ? roots : alerts.slice(0, 1)).map((r) => {
      const kids = sym.filter((s) => !parentOf.size || parentOf.get(s.fingerprint) === r.resource || parentOf.get(s.resource) === r.resource || roots.length === 1);
      const li = item(r);
      li.classList.add('root');
      li.prepend(h('span', { class: 'tag' }, t('tree.cause')), ' ');
      if (kids.length) li.append(h('ul', {}, kids.map((k) => { const c = item(k); c.prepend(h('span', { class: 'tag sym' }, t('tree.symptom')), ' '); return c; })));
      return li;
    }));
  }

  function timeline(ticket, pages) {
    const ev = [];
    for (const e of ticket.timeline || []) {
      let text = '';
      if (e.kind === 'state_changed') text = t('tl.state', { from: t(`state.${e.before}`), to: t(`state.${e.after}`) });
      else if (e.kind === 'assigned') text = e.after ? t('tl.assigned', { who: e.after }) : t('tl.unassigned');
      else if (e.kind === 'opened') text = t('tl.opened');
      else if (e.field && (e.before !== null || e.after !== null)) text = `${e.field}: ${e.before ?? '—'} → ${e.after ?? '—'}`;
      ev.push({ at: e.at, kind: e.kind, actor: e.actor, text, comment: e.comment });
    }
    for (const a of ticket.alerts || []) {
      ev.push({ at: a.joined_at, kind: 'alert_joined', actor: a.source, text: t('tl.alert_joined', { res: a.resource, chk: a.check }), comment: a.summary });
      if (!a.active) ev.push({ at: a.last_seen, kind: 'alert_cleared', actor: a.source, text: t('tl.alert_cleared', { res: a.resource, chk: a.check }) });
    }
    for (const p of pages.pages || []) {
      ev.push({ at: p.sent_at || p.created_at, kind: 'page', actor: 'notifier', text: t('tl.page', { who: p.user || '—', ch: p.channel, lvl: p.level + 1, st: p.state }) });
      if (p.acked_by) ev.push({ at: p.acked_at, kind: 'page_ack', actor: p.acked_by, text: t('tl.page_ack', { who: p.acked_by }) });
    }
    ev.sort((a, b) => new Date(a.at) - new Date(b.at));
    return h('ol', { class: 'timeline', 'aria-label': t('ticket.timeline') }, ev.map((e) =>
      h('li', { class: `tl tl-${e.kind}`, dataset: { kind: e.kind } },
        h('time', { datetime: e.at }, dateTime(e.at)),
        h('span', { class: 'tl-kind' }, t(`kind.${e.kind}`)),
        h('span', { class: 'tl-actor' }, e.actor),
        h('span', { class: 'tl-text' }, e.text),
        e.comment ? h('blockquote', {}, e.comment) : null)));
  }

  function runbooks(ticket) {
    const links = [];
    // The cause alert's annotations (Alertmanager's runbook_url) and labels.
    const pairs = [...Object.entries(ticket.annotations || {}), ...Object.entries(ticket.labels || {})];
    for (const [k, v] of pairs) {
      if (/runbook|playbook|wiki|dashboard/i.test(k)) {
        const u = safeUrl(v);
        if (u) links.push(h('li', {}, h('a', { href: u, rel: 'noopener noreferrer', target: '_blank' }, `${k}: ${v}`)));
      }
    }
    return links.length ? h('ul', { class: 'runbooks' }, links) : h('p', { class: 'muted' }, t('ticket.no_runbook'));
  }

  function render(ticket, pages, similar, incident) {
    const sla = (which) => h('div', { class: 'kv' }, h('dt', {}, t(`sla.${which}_clock`)), h('dd', {}, slaCell(slaClock(ticket, which))));
    mount(root,
      h('nav', { class: 'crumbs', 'aria-label': t('crumbs') }, h('a', { href: '#/queue' }, t('nav.queue')), ' / ', ticket.key),
      h('header', { class: 'ticket-head' },
        h('h1', {}, h('span', { class: 'key' }, ticket.key), ' ', h('span', { class: 'title' }, ticket.title)),
        h('div', { class: 'meta' }, stateBadge(ticket.state), prioBadge(ticket.priority),
          h('span', {}, t('col.queue'), ': ', ticket.queue),
          h('span', {}, t('col.assignee'), ': ', ticket.assignee || t('unassigned')),
          ticket.pending_reason ? h('span', {}, t('ticket.pending_reason'), ': ', ticket.pending_reason) : null),
        null),
      actions(ticket.state),
      h('div', { class: 'ticket-grid' },
        h('div', {},
          h('section', {}, h('h2', {}, t('ticket.incident')), tree(ticket, incident)),
          h('section', {}, h('h2', {}, t('ticket.timeline')), timeline(ticket, pages))),
        h('aside', {},
          h('section', {}, h('h2', {}, t('ticket.details')), h('dl', { class: 'kvs' },
            sla('response'), sla('resolution'),
            h('div', { class: 'kv' }, h('dt', {}, t('ticket.opened')), h('dd', {}, dateTime(ticket.opened_at))),
            h('div', { class: 'kv' }, h('dt', {}, t('col.alerts')), h('dd', {}, `${num(ticket.active_alerts)} / ${num(ticket.alert_count)}`)),
            h('div', { class: 'kv' }, h('dt', {}, t('ticket.source')), h('dd', {}, ticket.source)),
            h('div', { class: 'kv' }, h('dt', {}, t('ticket.escalation')), h('dd', {}, pages.escalation ? `${pages.escalation.policy} · ${t('ticket.level', { n: pages.escalation.level + 1 })} · ${pages.escalation.state}` : '—')))),
          h('section', {}, h('h2', {}, t('ticket.labels')), h('ul', { class: 'labels' }, Object.entries(ticket.labels || {}).map(([k, v]) => h('li', {}, h('code', {}, `${k}=${v}`))))),
          h('section', {}, h('h2', {}, t('ticket.runbooks')), runbooks(ticket)),
          h('section', {}, h('h2', {}, t('ticket.similar')), (similar.similar || []).length
            ? h('ul', { class: 'similar' }, similar.similar.map((s) => h('li', {},
              h('a', { href: `#/ticket/${encodeURIComponent(s.key)}` }, s.key), ' ', s.title, h('br'),
              h('span', { class: 'muted' }, t('similar.line', { who: s.resolved_by || '—', d: duration(s.duration_s) })),
              s.resolution ? h('blockquote', {}, s.resolution) : null)))
            : h('p', { class: 'muted' }, t('similar.none'))))));
  }

  // A change by someone else: reload at once, unless the user is typing;
  // then say so and let them reload.
  const off = onTicket((ev) => {
    if (ev.key !== key || !tk || ev.ticket.version <= tk.version) return;
    const typing = [...root.querySelectorAll('input, textarea')].some((el) => el.value);
    if (!typing) return load();
    if (stale) return;
    stale = true;
    root.querySelector('.ticket-head').append(h('p', { class: 'error', role: 'alert' },
      t('err.conflict', { who: ev.actor }), ' ', h('button', { type: 'button', onclick: load }, t('reload'))));
  });
  load();
  return off;
}
