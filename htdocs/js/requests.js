// The Support requests table: filters, search, sort, pagination and the
// in-place editing of hours and category (PATCH /api/requests/{id}).
import { api, describeError, ApiError } from './api.js';
import {
  $, $all, el, clear, sourceIcon, SOURCES, CATEGORIES, fmtDate, fmtTime, notify, debounce, icon,
} from './ui.js';

const state = {
  sort: 'date',
  order: 'desc',
  limit: 50,
  offset: 0,
  total: 0,
  capped: false,
  filters: { q: '', source: '', urgency: '', category: '', date_from: '', date_to: '' },
  seq: 0,
  loaded: false,
};

const URGENCY_LABEL = { HIGH: 'High', MEDIUM: 'Medium', LOW: 'Low' };

export function initRequests() {
  const src = $('#f-source');
  src.append(el('option', { value: '' }, 'All sources'));
  for (const [k, v] of Object.entries(SOURCES)) src.append(el('option', { value: k }, v.label));
  const cat = $('#f-category');
  cat.append(el('option', { value: '' }, 'All categories'));
  for (const c of CATEGORIES) cat.append(el('option', { value: c }, c));

  const form = $('#filters');
  const apply = () => {
    const fd = new FormData(form);
    for (const k of Object.keys(state.filters)) state.filters[k] = String(fd.get(k) || '').trim();
    state.offset = 0;
    loadRequests();
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); apply(); });
  for (const s of $all('select, input[type=date]', form)) s.addEventListener('change', apply);
  $('#f-q').addEventListener('input', debounce(apply, 300));
  form.addEventListener('reset', () => setTimeout(apply, 0));

  for (const th of $all('#requests-table thead th[data-sort]')) {
    th.querySelector('button').addEventListener('click', () => {
      const key = th.dataset.sort;
      if (state.sort === key) state.order = state.order === 'asc' ? 'desc' : 'asc';
      else { state.sort = key; state.order = key === 'date' || key === 'hours' ? 'desc' : 'asc'; }
      state.offset = 0;
      loadRequests();
    });
  }

  $('#page-size').addEventListener('change', (e) => {
    state.limit = Number(e.target.value) || 50;
    state.offset = 0;
    loadRequests();
  });
  $('#page-first').addEventListener('click', () => go(0));
  $('#page-prev').addEventListener('click', () => go(state.offset - state.limit));
  $('#page-next').addEventListener('click', () => go(state.offset + state.limit));
  $('#page-last').addEventListener('click', () => go(Math.floor(Math.max(0, state.total - 1) / state.limit) * state.limit));
  updateSortHeaders();
}

function go(offset) {
  state.offset = state.capped ? Math.max(0, offset) : Math.max(0, Math.min(offset, Math.max(0, state.total - 1)));
  loadRequests().then(() => $('#requests-title').scrollIntoView({ block: 'nearest' }));
}

function updateSortHeaders() {
  for (const th of $all('#requests-table thead th[data-sort]')) {
    const active = th.dataset.sort === state.sort && !th.dataset.sortAlias;
    th.setAttribute('aria-sort', active ? (state.order === 'asc' ? 'ascending' : 'descending') : 'none');
    th.classList.toggle('sorted', th.dataset.sort === state.sort);
    th.classList.toggle('asc', th.dataset.sort === state.sort && state.order === 'asc');
    const b = th.querySelector('button');
    const name = b.textContent.replace(/[▲▼]/g, '').trim();
    b.setAttribute('aria-label', 'Sort by ' + name.toLowerCase() +
      (th.dataset.sort === state.sort ? (state.order === 'asc' ? ', now ascending' : ', now descending') : ''));
  }
}

function filtersActive() {
  return Object.values(state.filters).some((v) => v !== '');
}

export async function loadRequests() {
  const seq = ++state.seq;
  const wrap = $('#requests-wrap');
  wrap.setAttribute('aria-busy', 'true');
  wrap.classList.add('loading');
  try {
    const data = await api('GET', '/api/requests', {
      query: { ...state.filters, sort: state.sort, order: state.order, limit: state.limit, offset: state.offset },
    });
    if (seq !== state.seq) return;
    state.total = Number(data.total) || 0;
    // Past 1,000 rows the server stops counting (totalCapped): page on.
    state.capped = data.totalCapped === true;
    if (!state.capped && state.offset >= state.total && state.total > 0) {
      state.offset = Math.floor((state.total - 1) / state.limit) * state.limit;
      return loadRequests();
    }
    render(data.requests || []);
  } catch (e) {
    if (seq !== state.seq) return;
    if (e instanceof ApiError && e.status === 401) return;
    renderError(e);
  } finally {
    if (seq === state.seq) {
      wrap.setAttribute('aria-busy', 'false');
      wrap.classList.remove('loading');
      state.loaded = true;
    }
  }
}

function render(rows) {
  updateSortHeaders();
  const body = clear($('#requests-body'));
  const empty = $('#requests-empty');
  for (const r of rows) body.append(row(r));
  const to = state.capped ? state.offset + rows.length : Math.min(state.offset + rows.length, state.total);
  const of = state.total.toLocaleString() + (state.capped ? '+' : '');
  $('#requests-count').textContent = state.total === 1 && !state.capped ? '1 request' : of + ' requests';
  $('#page-info').textContent = rows.length ? `Showing ${state.offset + 1}–${to} of ${of}` : '';
  const last = state.capped ? rows.length < state.limit : state.offset + state.limit >= state.total;
  $('#page-first').disabled = $('#page-prev').disabled = state.offset === 0;
  $('#page-next').disabled = last;
  $('#page-last').disabled = last || state.capped;
  $('#requests-table').hidden = rows.length === 0;
  clear(empty);
  empty.hidden = rows.length !== 0;
  if (rows.length === 0) {
    if (filtersActive()) {
      empty.append(icon('inbox', 'empty-icon'),
        el('p', { class: 'empty-title' }, 'No requests match these filters'),
        el('p', { class: 'muted' }, 'Try a wider date range or another search, or clear the filters.'),
        el('button', { type: 'button', class: 'btn btn-ghost', onclick: () => $('#filters').reset() }, 'Clear filters'));
    } else {
      empty.append(icon('inbox', 'empty-icon'),
        el('p', { class: 'empty-title' }, 'No tickets yet: run a sync'),
        el('p', { class: 'muted' }, 'Use “Sync FluentSupport” above to import tickets; they will appear here.'));
    }
  }
}

function renderError(e) {
  clear($('#requests-body'));
  $('#requests-table').hidden = true;
  const empty = clear($('#requests-empty'));
  empty.hidden = false;
  empty.classList.add('is-error');
  empty.append(icon('alert', 'empty-icon'),
    el('p', { class: 'empty-title' }, 'Could not load the requests'),
    el('p', { class: 'muted' }, describeError(e, 'The request list')),
    el('button', { type: 'button', class: 'btn btn-secondary', onclick: () => { empty.classList.remove('is-error'); loadRequests(); } }, 'Try again'));
  $('#requests-count').textContent = '';
  $('#page-info').textContent = '';
}

function splitDescription(d) {
  const text = String(d || '').trim();
  const nl = text.indexOf('\n');
  if (nl < 0) return [text, ''];
  return [text.slice(0, nl).trim(), text.slice(nl + 1).replace(/\s+/g, ' ').trim()];
}

function row(r) {
  const [title, rest] = splitDescription(r.description);
  const urg = String(r.urgency || '').toUpperCase();
  const tr = el('tr', { 'data-id': r.id, 'data-source': r.source });
  tr.append(
    el('td', { class: 'col-source', 'data-label': 'Source' }, sourceIcon(r.source)),
    el('td', { class: 'col-date', 'data-label': 'Date' }, el('time', { datetime: r.date }, fmtDate(r.date))),
    el('td', { class: 'col-time', 'data-label': 'Time' }, fmtTime(r.time)),
    el('td', { class: 'col-desc', 'data-label': 'Description', title: r.description || '' },
      el('div', { class: 'desc-title' }, title || '(no description)'),
      rest ? el('div', { class: 'desc-rest' }, rest) : null,
      r.website_url ? el('div', { class: 'desc-site' }, r.website_url) : null),
    el('td', { class: 'col-urgency', 'data-label': 'Urgency' },
      el('span', { class: 'badge urg-' + urg.toLowerCase() }, URGENCY_LABEL[urg] || r.urgency || '–')),
    el('td', { class: 'col-category', 'data-label': 'Category' }, categoryEditor(r)),
    el('td', { class: 'col-hours', 'data-label': 'Hours' }, hoursEditor(r)),
  );
  return tr;
}

function shortDesc(r) {
  const t = splitDescription(r.description)[0];
  return t.length > 40 ? t.slice(0, 40) + '…' : t;
}

function categoryEditor(r) {
  const sel = el('select', { class: 'cell-edit cat-edit', 'aria-label': `Category of request ${r.id}: ${shortDesc(r)}` });
  const cats = CATEGORIES.includes(r.category) ? CATEGORIES : [r.category, ...CATEGORIES];
  for (const c of cats) sel.append(el('option', { value: c, selected: c === r.category }, c));
  let saved = r.category;
  sel.addEventListener('change', async () => {
    const value = sel.value;
    const cell = sel.parentElement;
    await save(r, { category: value }, cell,
      () => { saved = value; },
      () => { sel.value = saved; });
  });
  const wrap = el('div', { class: 'cell-wrap' }, sel);
  if (Number(r.category_edited)) wrap.append(el('span', { class: 'edited-dot', title: 'Category edited by hand' }, el('span', { class: 'sr-only' }, '(edited)')));
  return wrap;
}

function hoursEditor(r) {
  const v = r.hours === null || r.hours === undefined ? '' : Number(r.hours).toFixed(2).replace(/\.00$/, '').replace(/(\.\d)0$/, '$1');
  const input = el('input', {
    class: 'cell-edit hours-edit', type: 'number', inputmode: 'decimal', min: '0', max: '999.99', step: '0.25',
    value: v, placeholder: '–', 'aria-label': `Hours for request ${r.id}: ${shortDesc(r)}`,
  });
  let saved = v;
  const commit = async () => {
    const raw = input.value.trim();
    if (raw === saved) return;
    let hours = null;
    if (raw !== '') {
      hours = Number(raw);
      if (!Number.isFinite(hours) || hours < 0 || hours > 999.99) {
        flash(input.closest('td'), 'error', 'Hours must be a number from 0 to 999.99');
        input.value = saved;
        return;
      }
      hours = Math.round(hours * 100) / 100;
    }
    await save(r, { hours }, input.closest('td'),
      (upd) => {
        const h = upd && upd.hours !== undefined ? upd.hours : hours;
        saved = h === null ? '' : String(Number(h));
        input.value = saved;
      },
      () => { input.value = saved; });
  };
  input.addEventListener('change', commit);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); commit(); }
    else if (e.key === 'Escape') { input.value = saved; input.blur(); }
  });
  return el('div', { class: 'cell-wrap' }, input);
}

async function save(r, patch, cell, ok, fail) {
  cell.classList.add('saving');
  cell.setAttribute('aria-busy', 'true');
  try {
    const upd = await api('PATCH', '/api/requests/' + encodeURIComponent(r.id), { body: patch });
    const u = upd && upd.request ? upd.request : upd;
    Object.assign(r, u || patch);
    ok(u);
    flash(cell, 'ok', 'Saved');
  } catch (e) {
    fail();
    if (e instanceof ApiError && e.status === 401) return;
    flash(cell, 'error', 'Not saved');
    notify('error', 'Could not save request ' + r.id, describeError(e, 'Saving'));
  } finally {
    cell.classList.remove('saving');
    cell.removeAttribute('aria-busy');
  }
}

function flash(cell, kind, text) {
  cell.querySelector('.cell-flash')?.remove();
  const f = el('span', { class: 'cell-flash ' + kind, role: 'status' }, text);
  cell.append(f);
  setTimeout(() => f.remove(), kind === 'ok' ? 1800 : 4000);
}
