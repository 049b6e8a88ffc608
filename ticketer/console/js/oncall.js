// oncall.js - who is on call now per team, until when, the next hand-offs
// and the overrides, from the people file (GET /api/v1/oncall).
import { get } from './api.js';
import { h, mount } from './dom.js';
import { t, dateTime } from './i18n.js';
import { showError } from './ui.js';

export function oncallView(root) {
  mount(root, h('h1', {}, t('nav.oncall')), h('p', { class: 'muted' }, t('loading')));
  get('/oncall?days=7').then((res) => {
    if (!res.configured) return mount(root, h('h1', {}, t('nav.oncall')), h('p', { class: 'muted' }, t('oncall.none')));
    const name = (u) => (u ? u.display_name || u.name : t('oncall.nobody'));
    mount(root, h('h1', {}, t('nav.oncall')), h('div', { class: 'cards' }, res.teams.map((tm) =>
      h('section', { class: 'card oncall' },
        h('h2', {}, tm.team, ' ', h('span', { class: 'muted' }, `${tm.schedule} · ${tm.time_zone}`)),
        h('p', { class: 'now' }, h('span', { class: 'tag' }, t('oncall.now')), ' ', h('strong', {}, name(tm.now.user)),
          tm.now.override ? h('span', { class: 'badge' }, t('oncall.override')) : null,
          ' ', tm.now.until ? t('oncall.until', { at: dateTime(tm.now.until) }) : ''),
        h('h3', {}, t('oncall.next')),
        h('ol', { class: 'shifts' }, tm.shifts.slice(1, 8).map((s) => h('li', {},
          h('time', { datetime: s.start }, dateTime(s.start)), ' → ', name(s.user), s.override ? ` (${t('oncall.override')})` : ''))),
        tm.overrides.length ? h('div', {}, h('h3', {}, t('oncall.overrides')), h('ul', {}, tm.overrides.map((o) =>
          h('li', {}, name(o.user), ': ', dateTime(o.from), ' – ', dateTime(o.to), o.comment ? ` (${o.comment})` : '')))) : null))));
  }).catch((e) => showError(e));
  return () => {};
}
