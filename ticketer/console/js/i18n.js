// i18n.js - one catalogue per language (i18n/en.json, i18n/fa.json), the
// choice remembered in localStorage, and dates and numbers through the
// browser's Intl: Persian gets right-to-left layout, Persian digits and
// the Persian calendar.
let lang = 'en';
let cat = {};
let fallback = {};

const LOCALES = { en: 'en-GB', fa: 'fa-IR-u-ca-persian-nu-arabext' };

export function currentLang() {
  return lang;
}

export async function loadLang(want) {
  const pick = want || localStorage.getItem('alertdesk.lang') || (navigator.language || 'en').slice(0, 2);
  lang = LOCALES[pick] ? pick : 'en';
  if (!Object.keys(fallback).length) fallback = await (await fetch('i18n/en.json')).json();
  cat = lang === 'en' ? fallback : await (await fetch(`i18n/${lang}.json`)).json();
  localStorage.setItem('alertdesk.lang', lang);
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === 'fa' ? 'rtl' : 'ltr';
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
}

// t(KEY, {n: 3}) - the catalogue's string with {n} replaced.
export function t(key, vars) {
  let s = cat[key] ?? fallback[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? fmtVar(vars[k]) : m));
  return s;
}

function fmtVar(v) {
  return typeof v === 'number' ? num(v) : String(v);
}

export function locale() {
  return LOCALES[lang];
}

export function num(n, opts) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return new Intl.NumberFormat(locale(), opts).format(n);
}

export function dateTime(iso, opts) {
  if (!iso) return '—';
  const d = new Date(iso);
  return new Intl.DateTimeFormat(locale(), opts || { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

export function dateShort(iso) {
  return dateTime(iso, { month: 'short', day: 'numeric' });
}

// 3725 s -> "1h 2m" in the language's digits.
export function duration(s) {
  if (s === null || s === undefined) return '—';
  const neg = s < 0;
  s = Math.abs(Math.round(s));
  const d = Math.floor(s / 86400), hh = Math.floor((s % 86400) / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  let out;
  if (d) out = t('dur.dh', { d, h: hh });
  else if (hh) out = t('dur.hm', { h: hh, m: mm });
  else if (mm) out = t('dur.ms', { m: mm, s: ss });
  else out = t('dur.s', { s: ss });
  return neg ? t('dur.ago', { d: out }) : out;
}

export function ago(iso) {
  if (!iso) return '—';
  return duration((Date.now() - new Date(iso).getTime()) / 1000);
}
