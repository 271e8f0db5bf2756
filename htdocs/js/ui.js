// Small DOM helpers, icons, notifications and formatting shared by the views.
// Text from the server is only ever set through textContent or attributes.

export function $(sel, root = document) { return root.querySelector(sel); }
export function $all(sel, root = document) { return Array.from(root.querySelectorAll(sel)); }

// el('td', {class: 'x', title: 't'}, child, 'text', ...)
export function el(tag, attrs = {}, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') n.className = v;
    else if (k === 'text') n.textContent = v;
    else if (k === 'dataset') Object.assign(n.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') n.addEventListener(k.slice(2), v);
    else if (v === true) n.setAttribute(k, '');
    else n.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    n.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return n;
}

export function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

// Static SVG icons (never built from data).
const P = {
  fluent: '<path d="M9 2h6a1 1 0 0 1 1 1v1h2a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2h2V3a1 1 0 0 1 1-1Zm0 2v2h6V4H9Zm-1 7h8v2H8v-2Zm0 4h6v2H8v-2Z"/>',
  sms: '<path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2Zm3 6.5a1.5 1.5 0 1 0 0 .01Zm5 0a1.5 1.5 0 1 0 0 .01Zm5 0a1.5 1.5 0 1 0 0 .01Z"/>',
  ticket: '<path d="M3 6a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2v3a2 2 0 0 0 0 4v3a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-3a2 2 0 0 0 0-4V6Zm11 0v2h2V6h-2Zm0 4v2h2v-2h-2Zm0 4v2h2v-2h-2Z"/>',
  email: '<path d="M3 5h18a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1Zm1 2.4V17h16V7.4l-8 5.3-8-5.3ZM5.6 7 12 11.2 18.4 7H5.6Z"/>',
  phone: '<path d="M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1L6.6 10.8Z"/>',
  freshservice: '<path d="M12 2a9 9 0 0 0-9 9v5a3 3 0 0 0 3 3h2v-8H5a7 7 0 0 1 14 0h-3v8h3v1h-6v2h6a2 2 0 0 0 2-2v-9a9 9 0 0 0-9-9Z"/>',
  freshdesk: '<path d="M12 2a9 9 0 0 0-9 9v5a3 3 0 0 0 3 3h2v-8H5a7 7 0 0 1 14 0h-3v8h3v1h-6v2h6a2 2 0 0 0 2-2v-9a9 9 0 0 0-9-9Z"/>',
  helpscout: '<path d="M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20Zm0 14a1.25 1.25 0 1 0 0 2.5 1.25 1.25 0 0 0 0-2.5Zm0-10a4 4 0 0 0-4 4h2a2 2 0 1 1 2.8 1.8c-.9.4-1.8 1.2-1.8 2.7V15h2v-.5c0-.6.3-.9.9-1.2A4 4 0 0 0 12 6Z"/>',
  slack: '<path d="M9 3a1 1 0 0 1 1 1v3h4V4a1 1 0 1 1 2 0v3h3a1 1 0 1 1 0 2h-3v4h3a1 1 0 1 1 0 2h-3v3a1 1 0 1 1-2 0v-3h-4v3a1 1 0 1 1-2 0v-3H5a1 1 0 1 1 0-2h3V9H5a1 1 0 0 1 0-2h3V4a1 1 0 0 1 1-1Zm1 6v4h4V9h-4Z"/>',
  other: '<circle cx="12" cy="12" r="8"/>',
  sync: '<path d="M12 4a8 8 0 0 1 7.4 5H22l-3.5 4L15 9h2.2A6 6 0 0 0 6.3 10H4.2A8 8 0 0 1 12 4Zm-7.5 7 3.5 4H5.8a6 6 0 0 0 10.9 1h2.1A8 8 0 0 1 4.6 15H2l2.5-4Z"/>',
  refresh: '<path d="M12 4a8 8 0 0 1 7.4 5H22l-3.5 4L15 9h2.2A6 6 0 0 0 6.3 10H4.2A8 8 0 0 1 12 4Zm-7.5 7 3.5 4H5.8a6 6 0 0 0 10.9 1h2.1A8 8 0 0 1 4.6 15H2l2.5-4Z"/>',
  clock: '<path d="M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20Zm0 2a8 8 0 1 0 0 16 8 8 0 0 0 0-16Zm1 3v4.6l3.2 3.2-1.4 1.4L11 12.4V7h2Z"/>',
  gear: '<path d="M10.3 2h3.4l.5 2.6 1.6.9 2.5-.9 1.7 2.9-2 1.7v1.8l2 1.7-1.7 2.9-2.5-.9-1.6.9-.5 2.6h-3.4l-.5-2.6-1.6-.9-2.5.9-1.7-2.9 2-1.7V9.2l-2-1.7 1.7-2.9 2.5.9 1.6-.9.5-2.6ZM12 9a3 3 0 1 0 0 6 3 3 0 0 0 0-6Z"/>',
  bolt: '<path d="M13 2 4 14h6l-1 8 9-12h-6l1-8Z"/>',
  users: '<path d="M9 4a4 4 0 1 1 0 8 4 4 0 0 1 0-8Zm0 10c4 0 7 2 7 4v2H2v-2c0-2 3-4 7-4Zm7.5-9.8a4 4 0 0 1 0 7.6A5.9 5.9 0 0 0 17 8a5.9 5.9 0 0 0-.5-3.8ZM18 14.2c2.4.5 4 1.9 4 3.8v2h-4v-2c0-1.4-.5-2.7-1.3-3.6l1.3-.2Z"/>',
  trophy: '<path d="M7 2h10v2h4v3a5 5 0 0 1-4.6 5A5 5 0 0 1 13 14.9V18h3v2H8v-2h3v-3.1A5 5 0 0 1 7.6 12 5 5 0 0 1 3 7V4h4V2Zm0 4H5v1a3 3 0 0 0 2 2.8V6Zm10 0v3.8A3 3 0 0 0 19 7V6h-2Z"/>',
  inbox: '<path d="M5 3h14l3 9v7a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2v-7l3-9Zm1.4 2-2.3 7H9a3 3 0 0 0 6 0h4.9l-2.3-7H6.4Z"/>',
  alert: '<path d="M12 2 1 21h22L12 2Zm-1 7h2v6h-2V9Zm0 8h2v2h-2v-2Z"/>',
};

export function icon(name, cls = '') {
  const span = document.createElement('span');
  span.className = ('icon ' + cls).trim();
  span.setAttribute('aria-hidden', 'true');
  span.innerHTML = '<svg viewBox="0 0 24 24" width="16" height="16" fill="currentColor" focusable="false">' +
    (P[name] || P.other) + '</svg>';
  return span;
}

// Fill every [data-icon] placeholder of the static page.
export function hydrateIcons(root = document) {
  for (const n of $all('[data-icon]', root)) {
    if (n.firstChild) continue;
    const i = icon(n.dataset.icon);
    n.append(i.firstChild);
  }
}

export function setIcon(node, name) {
  clear(node);
  node.append(icon(name).firstChild);
}

export const SOURCES = {
  fluent: { label: 'FluentSupport', tip: 'Via FluentSupport' },
  sms: { label: 'SMS', tip: 'Via SMS' },
  ticket: { label: 'Ticket', tip: 'Via ticket system' },
  email: { label: 'Email', tip: 'Via email' },
  phone: { label: 'Phone', tip: 'Via phone' },
  freshservice: { label: 'Freshservice', tip: 'Via Freshservice' },
  freshdesk: { label: 'Freshdesk', tip: 'Via Freshdesk' },
  helpscout: { label: 'Help Scout', tip: 'Via Help Scout' },
  slack: { label: 'Slack', tip: 'Via Slack' },
};

export const CATEGORIES = ['Support', 'Hosting', 'Migration', 'Website', 'Email', 'Forms',
  'Scripts', 'Advisory', 'General'];

export function sourceIcon(source) {
  const s = SOURCES[source] || { label: source || 'Unknown', tip: 'Via ' + (source || 'unknown source') };
  const wrap = el('span', {
    class: 'src-icon src-' + (SOURCES[source] ? source : 'other'),
    title: s.tip,
    role: 'img',
    'aria-label': s.tip,
    'data-source': source || '',
  });
  wrap.append(icon(source in P ? source : 'other').firstChild);
  return wrap;
}

// --- notifications ---------------------------------------------------------
// kind: success | error | info | warning.  Errors go to the assertive region
// and stay until dismissed; the others fade after a while.
export function notify(kind, title, message, { timeout } = {}) {
  const region = document.getElementById(kind === 'error' ? 'toasts-alert' : 'toasts');
  const close = el('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss notification' }, '✕');
  const t = el('div', { class: 'toast toast-' + kind, 'data-kind': kind },
    icon(kind === 'error' ? 'alert' : kind === 'success' ? 'inbox' : 'clock', 'toast-icon'),
    el('div', { class: 'toast-text' },
      el('strong', { class: 'toast-title' }, title),
      message ? el('div', { class: 'toast-msg' }, message) : null),
    close);
  const remove = () => { t.classList.add('leaving'); setTimeout(() => t.remove(), 200); };
  close.addEventListener('click', remove);
  region.append(t);
  const ms = timeout ?? (kind === 'error' ? 0 : 9000);
  if (ms > 0) setTimeout(remove, ms);
  return t;
}

// --- formatting ---------------------------------------------------------------
const dateFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function fmtDate(ymd) {
  if (!ymd) return '–';
  const d = new Date(ymd + 'T00:00:00Z');
  return isNaN(d) ? ymd : dateFmt.format(d);
}

export function fmtTime(hms) { return hms ? hms.slice(0, 5) : '–'; }

export function parseTs(ts) {
  if (!ts) return null;
  // Accept "YYYY-MM-DD HH:MM:SS" (UTC) as well as ISO.
  const s = /^\d{4}-\d\d-\d\d \d/.test(ts) ? ts.replace(' ', 'T') + 'Z' : ts;
  const d = new Date(s);
  return isNaN(d) ? null : d;
}

export function fmtDateTime(ts) {
  const d = parseTs(ts);
  return d ? dateTimeFmt.format(d) : (ts || '–');
}

export function timeAgo(ts) {
  const d = parseTs(ts);
  if (!d) return '';
  const s = Math.round((Date.now() - d.getTime()) / 1000);
  if (s < -60) return 'in ' + dur(-s);
  if (s < 45) return 'just now';
  return dur(s) + ' ago';
}

function dur(s) {
  if (s < 90) return Math.max(1, Math.round(s / 60)) + ' min';
  if (s < 3600) return Math.round(s / 60) + ' min';
  if (s < 86400 * 1.5) return Math.round(s / 3600) + ' h';
  return Math.round(s / 86400) + ' days';
}

export function fmtMs(ms) {
  if (ms === null || ms === undefined || ms === '') return '–';
  const n = Number(ms);
  if (n < 1000) return n + ' ms';
  return (n / 1000).toFixed(n < 10000 ? 1 : 0) + ' s';
}

export function fmtNum(n) {
  return n === null || n === undefined ? '–' : Number(n).toLocaleString();
}

export function localISODate(d = new Date()) {
  const p = (x) => String(x).padStart(2, '0');
  return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate());
}

export function addDays(ymd, n) {
  const d = new Date(ymd + 'T12:00:00Z');
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function debounce(fn, ms) {
  let t;
  return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
}

export function setBusy(btn, busy, label) {
  btn.disabled = busy;
  btn.setAttribute('aria-busy', busy ? 'true' : 'false');
  btn.classList.toggle('is-busy', busy);
  if (label !== undefined) {
    const l = btn.querySelector('.btn-label');
    if (l) l.textContent = label;
  }
}
