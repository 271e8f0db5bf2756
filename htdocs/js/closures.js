// Daily Ticket Closures: the per-agent bar chart (Chart.js, served from
// htdocs/vendor), the Top Closer, and the sync button with its hourly limit.
import { api, describeError, ApiError } from './api.js';
import { $, $all, el, clear, notify, setIcon, fmtNum, fmtDateTime, fmtDate, addDays, localISODate, icon, setBusy } from './ui.js';

const PERIOD_LABEL = { today: 'today', yesterday: 'yesterday', week: 'this week', month: 'this month' };
const SOURCE_STYLE = {
  freshservice: { label: 'Freshservice', color: '#0e9f8f' },
  fluent: { label: 'FluentSupport', color: '#7c3aed' },
};

const state = { period: 'today', chart: null, serverToday: null, limit: null, tick: null, seq: 0 };

export function initClosures() {
  for (const b of $all('#period-group button')) {
    b.addEventListener('click', () => setPeriod(b.dataset.period));
  }
  $('#period-group').addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const bs = $all('#period-group button');
    const i = bs.indexOf(document.activeElement);
    if (i < 0) return;
    const n = bs[(i + (e.key === 'ArrowRight' ? 1 : bs.length - 1)) % bs.length];
    n.focus();
    e.preventDefault();
  });
  $('#closures-sync-btn').addEventListener('click', () => syncClosures(false));
  state.tick = setInterval(renderLimit, 20000);
}

export function stopClosures() {
  if (state.chart) { state.chart.destroy(); state.chart = null; }
}

function setPeriod(p) {
  state.period = p;
  for (const b of $all('#period-group button')) b.setAttribute('aria-pressed', String(b.dataset.period === p));
  loadClosures();
  loadSyncStatus();
}

// The date a sync of the current period is about (the server's today, or
// its yesterday).
export function syncDate() {
  const today = state.serverToday || localISODate();
  return state.period === 'yesterday' ? addDays(today, -1) : today;
}

export async function loadAllClosures() {
  await loadSyncStatus();
  await loadClosures();
}

export async function loadClosures() {
  const seq = ++state.seq;
  const box = $('#chart-box');
  box.classList.add('loading');
  try {
    const d = await api('GET', '/api/tickets/closures/period', { query: { period: state.period } });
    if (seq !== state.seq) return;
    if (d.date && state.period === 'today') state.serverToday = d.date;
    render(d);
  } catch (e) {
    if (seq !== state.seq) return;
    if (e instanceof ApiError && e.status === 401) return;
    renderError(e);
  } finally {
    if (seq === state.seq) box.classList.remove('loading');
  }
}

function range(d) {
  const s = d.start || d.date;
  const e = d.end || d.date;
  if (!s) return '';
  const r = s === e || !e ? fmtDate(s.slice(0, 10)) : fmtDate(s.slice(0, 10)) + ' – ' + fmtDate(e.slice(0, 10));
  return d.timezone ? r + ' · ' + d.timezone.replace(/_/g, ' ') + ' time' : r;
}

function render(d) {
  const list = (d.closures || []).filter((c) => Number(c.tickets_closed) > 0);
  $('#closures-range').textContent = range(d);
  const total = d.total ?? list.reduce((a, c) => a + Number(c.tickets_closed || 0), 0);
  $('#closures-total').textContent = fmtNum(total);
  const names = [...new Set(list.map((c) => c.name))];
  $('#closures-agents').textContent = fmtNum(names.length);
  renderTop(d.topCloser, list.length);

  const tbody = clear($('#closures-table tbody'));
  for (const c of list) {
    tbody.append(el('tr', {}, el('td', {}, c.name), el('td', {}, (SOURCE_STYLE[c.source] || {}).label || c.source || ''), el('td', {}, String(c.tickets_closed))));
  }

  const empty = clear($('#closures-empty'));
  const box = $('#chart-box');
  if (!list.length) {
    box.hidden = true;
    empty.hidden = false;
    empty.classList.remove('is-error');
    empty.append(icon('inbox', 'empty-icon'),
      el('p', { class: 'empty-title' }, 'No closures recorded ' + PERIOD_LABEL[state.period]),
      el('p', { class: 'muted' }, 'Use “Sync closures” to fetch the latest closed tickets from Freshservice.'));
    if (state.chart) { state.chart.destroy(); state.chart = null; }
    return;
  }
  empty.hidden = true;
  box.hidden = false;
  // Agents sorted by their total, most first; one stacked dataset per source.
  const totals = new Map();
  for (const c of list) totals.set(c.name, (totals.get(c.name) || 0) + Number(c.tickets_closed));
  names.sort((a, b) => totals.get(b) - totals.get(a) || a.localeCompare(b));
  const sources = [...new Set(list.map((c) => c.source || 'freshservice'))];
  const datasets = sources.map((s) => {
    const st = SOURCE_STYLE[s] || { label: s, color: '#64748b' };
    return {
      label: st.label,
      data: names.map((n) => list.filter((c) => c.name === n && (c.source || 'freshservice') === s)
        .reduce((a, c) => a + Number(c.tickets_closed), 0)),
      backgroundColor: st.color,
      borderRadius: 6,
      maxBarThickness: 56,
    };
  });
  drawChart(names, datasets);
}

function drawChart(labels, datasets) {
  const canvas = $('#closures-chart');
  canvas.setAttribute('aria-label', 'Bar chart of tickets closed per agent ' + PERIOD_LABEL[state.period] + ': ' +
    labels.map((n, i) => n + ' ' + datasets.reduce((a, d) => a + d.data[i], 0)).join(', '));
  if (typeof window.Chart !== 'function') {
    const empty = clear($('#closures-empty'));
    empty.hidden = false;
    empty.classList.add('is-error');
    empty.append(el('p', { class: 'empty-title' }, 'The chart library is missing'),
      el('p', { class: 'muted' }, 'htdocs/vendor/chart.umd.min.js was not installed. Ask an administrator to run deploy/vendor.sh. The numbers are listed in the Top Closer panel.'));
    return;
  }
  const cfg = {
    type: 'bar',
    data: { labels, datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: { duration: 300 },
      plugins: {
        legend: { display: datasets.length > 1, position: 'bottom' },
        tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${c.parsed.y} closed` } },
      },
      scales: {
        x: { stacked: true, grid: { display: false }, ticks: { autoSkip: false, maxRotation: 45 } },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'Tickets closed' } },
      },
    },
  };
  if (state.chart) {
    state.chart.data = cfg.data;
    state.chart.options = cfg.options;
    state.chart.update();
  } else {
    state.chart = new window.Chart(canvas, cfg);
  }
}

function renderTop(top, n) {
  const b = clear($('#top-closer-body'));
  if (!top || !n) {
    b.append(el('p', { class: 'muted', id: 'top-closer-none' }, 'No top closer ' + PERIOD_LABEL[state.period] + ' yet.'));
    return;
  }
  const initials = String(top.name || '?').split(/\s+/).map((w) => w[0] || '').join('').slice(0, 2).toUpperCase();
  b.append(el('div', { class: 'top-person' },
    el('div', { class: 'avatar', 'aria-hidden': 'true' }, initials, icon('trophy', 'trophy')),
    el('div', {},
      el('div', { class: 'top-name', id: 'top-closer-name' }, top.name),
      el('div', { class: 'muted' }, el('strong', { id: 'top-closer-count' }, fmtNum(top.tickets_closed)),
        ' tickets closed ' + PERIOD_LABEL[state.period],
        top.source ? ' · ' + ((SOURCE_STYLE[top.source] || {}).label || top.source) : ''))));
}

function renderError(e) {
  if (state.chart) { state.chart.destroy(); state.chart = null; }
  $('#chart-box').hidden = true;
  const empty = clear($('#closures-empty'));
  empty.hidden = false;
  empty.classList.add('is-error');
  empty.append(icon('alert', 'empty-icon'),
    el('p', { class: 'empty-title' }, 'Could not load the closures'),
    el('p', { class: 'muted' }, describeError(e, 'The closures report')),
    el('button', { type: 'button', class: 'btn btn-secondary', onclick: () => loadClosures() }, 'Try again'));
  clear($('#top-closer-body')).append(el('p', { class: 'muted' }, 'Unavailable.'));
  $('#closures-total').textContent = '–';
  $('#closures-agents').textContent = '–';
}

// --- the hourly limit -------------------------------------------------------
export async function loadSyncStatus() {
  try {
    const s = await api('GET', '/api/tickets/sync-status', { query: { date: syncDate() } });
    if (s.date && state.period !== 'yesterday') state.serverToday = state.serverToday || s.date;
    state.limit = s;
    state.limitAt = Date.now();
    renderLimit();
    return s;
  } catch (e) {
    state.limit = null;
    renderLimit();
    return null;
  }
}

function minutesLeft() {
  const s = state.limit;
  if (!s || s.canSync !== false) return 0;
  if (s.nextAllowedSync || s.nextSyncAt) {
    const t = new Date(s.nextAllowedSync || s.nextSyncAt).getTime();
    if (!isNaN(t)) return Math.max(0, Math.ceil((t - Date.now()) / 60000));
  }
  const m = Number(s.minutesUntilNextSync || 0) - Math.floor((Date.now() - (state.limitAt || Date.now())) / 60000);
  return Math.max(0, m);
}

function renderLimit() {
  const btn = $('#closures-sync-btn');
  if (!btn || btn.classList.contains('is-busy')) return;
  const note = $('#closures-sync-note');
  const left = minutesLeft();
  const ico = btn.querySelector('.btn-icon');
  const label = btn.querySelector('.btn-label');
  if (left > 0) {
    setIcon(ico, 'clock');
    label.textContent = left + ' min';
    btn.disabled = true;
    btn.classList.add('limited');
    btn.title = 'Closures were synced less than an hour ago. The next sync is possible in ' + left + ' minute' + (left === 1 ? '' : 's') + '.';
    btn.setAttribute('aria-label', 'Sync closures: available again in ' + left + ' minute' + (left === 1 ? '' : 's'));
    note.textContent = 'Synced ' + (state.limit.lastSync ? fmtDateTime(state.limit.lastSync) : 'recently') +
      '. Syncing is limited to once an hour; next sync in ' + left + ' min.';
  } else {
    setIcon(ico, 'sync');
    label.textContent = 'Sync closures';
    btn.disabled = false;
    btn.classList.remove('limited');
    btn.removeAttribute('title');
    btn.removeAttribute('aria-label');
    note.textContent = state.limit && state.limit.lastSync ? 'Last synced ' + fmtDateTime(state.limit.lastSync) + '.' : '';
    if (state.limit && state.limit.canSync === false) loadSyncStatus();
  }
}

export async function syncClosures(force) {
  const btn = force ? $('#admin-force') : $('#closures-sync-btn');
  const date = syncDate();
  setBusy(btn, true, force ? undefined : 'Syncing…');
  try {
    const r = await api('POST', force ? '/api/tickets/force-sync' : '/api/tickets/sync', { body: { date }, timeout: 10 * 60 * 1000 });
    notify('success', force ? 'Forced closure sync finished' : 'Closures synced',
      `${fmtNum(r.ticketsProcessed)} tickets processed for ${fmtDate(r.date || date)}` +
      (r.agents !== undefined ? `, ${fmtNum(typeof r.agents === 'number' ? r.agents : (r.agents || []).length)} agents.` : '.'));
    return r;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    if (e instanceof ApiError && e.status === 429) {
      const m = e.data.minutesUntilNextSync;
      notify('warning', 'Closures were synced recently',
        `Syncing is limited to once an hour. Try again in ${m ?? 'a few'} minute${m === 1 ? '' : 's'}` +
        (force ? '.' : ', or ask an administrator to force a sync.'));
      state.limit = { canSync: false, minutesUntilNextSync: m, nextAllowedSync: e.data.nextSyncAt, lastSync: state.limit && state.limit.lastSync };
      state.limitAt = Date.now();
    } else {
      const d = e instanceof ApiError ? e.data : {};
      const why = e instanceof ApiError && e.status === 502
        ? 'Freshservice did not answer properly' + (d.error ? ' (' + d.error + ')' : '') + '. Check FRESH_API and FRESH_ENDPOINT in the configuration, or try again later.'
        : describeError(e, 'The closure sync');
      notify('error', 'Closure sync failed', why);
    }
    return null;
  } finally {
    setBusy(btn, false, force ? undefined : 'Sync closures');
    await loadSyncStatus();
    await loadClosures();
  }
}
