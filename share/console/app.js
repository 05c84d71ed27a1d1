// share/console/app.js: the desk's page. Every text from the card goes in with textContent
// (never innerHTML), so a name holding markup stays text. No third-party code.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  let lang = localStorage.getItem('idtap-lang') || 'ko';
  let csrf = '';
  let events = null;
  let readId = null;
  let offerTimer = null;
  const t = (key) => (window.IDTAP_TEXTS[lang] && window.IDTAP_TEXTS[lang][key]) || key;

  // Dates as Koreans write them (1990년 1월 1일); ISO in English.
  function date(iso) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '');
    if (!m) return iso || '';
    return lang === 'ko' ? `${m[1]}년 ${Number(m[2])}월 ${Number(m[3])}일` : iso;
  }
  function applyTexts() {
    document.documentElement.lang = lang;
    for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
    document.title = t('title');
  }
  async function api(method, path, body) {
    const headers = { 'Content-Type': 'application/json' };
    if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
    const res = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined, credentials: 'same-origin' });
    let json = {};
    try { json = await res.json(); } catch (e) { json = {}; }
    if (res.status === 401 && path !== '/api/login' && path !== '/api/session') showLogin(t('session_over'));
    return { status: res.status, json };
  }

  function showLogin(message) {
    if (events) { events.close(); events = null; }
    $('login-view').hidden = false;
    $('desk-view').hidden = true;
    $('logout').hidden = true;
    $('who').textContent = '';
    $('login-error').textContent = message || '';
    $('login-name').focus();
  }
  function showDesk(clerk, canPublish, allowAttested) {
    $('publish').hidden = !canPublish;
    $('attested-box').hidden = !allowAttested;
    $('login-view').hidden = true;
    $('desk-view').hidden = false;
    $('logout').hidden = false;
    $('who').textContent = clerk;
    events = new EventSource('/api/events');
    events.addEventListener('readers', (e) => showReaders(JSON.parse(e.data)));
    $('can').focus();
  }
  function showReaders(snapshot) {
    const list = $('readers');
    const select = $('reader-select');
    const chosen = select.value;
    list.replaceChildren();
    select.replaceChildren();
    $('readers-problem').textContent = snapshot.problem ? snapshot.problem : (snapshot.readers.length ? '' : t('no_readers'));
    for (const r of snapshot.readers) {
      const li = document.createElement('li');
      li.textContent = `${r.reader}: ${r.card ? t('card_present') : t('no_card')}`;
      li.className = r.card ? 'card' : '';
      li.dataset.reader = r.reader;
      li.dataset.card = r.card ? 'yes' : 'no';
      list.append(li);
      const opt = document.createElement('option');
      opt.value = r.reader;
      opt.textContent = r.reader;
      select.append(opt);
    }
    const withCard = snapshot.readers.find((r) => r.card);
    if (snapshot.readers.some((r) => r.reader === chosen)) select.value = chosen;
    else if (withCard) select.value = withCard.reader;
  }

  async function startRead(e) {
    e.preventDefault();
    $('read-error').textContent = '';
    delete $('read-error').dataset.error;
    delete $('verdict').dataset.genuine;
    $('holder-box').hidden = true;
    $('offer-box').hidden = true;
    const access = $('passport').open && $('p-doc').value
      ? { document: $('p-doc').value.trim(), birth: $('p-birth').value.trim(), expiry: $('p-expiry').value.trim() }
      : { can: $('can').value };
    const { status, json } = await api('POST', '/api/reads', { reader: $('reader-select').value, ...access });
    if (status !== 202) { $('read-error').textContent = `${t('read_failed')} (${json.detail || json.error})`; return; }
    readId = json.id;
    $('read-progress').hidden = false;
    $('read-progress').value = 0;
    pollRead();
  }
  async function pollRead() {
    const { status, json } = await api('GET', `/api/reads/${readId}`);
    if (status !== 200) return;
    if (json.state === 'reading' || json.state === 'card_left') {
      $('read-progress').value = Math.min(95, json.files_done * 12 + (json.total ? (json.done / json.total) * 12 : 0));
      $('read-status').textContent = json.state === 'card_left' ? t('card_left') : `${t('reading')}: ${json.file}`;
      setTimeout(pollRead, 150);
      return;
    }
    $('read-progress').value = 100;
    $('read-status').textContent = '';
    if (json.state === 'failed') {
      $('read-progress').hidden = true;
      $('read-error').textContent = t(json.error);
      $('read-error').dataset.error = json.error;
      $('read-error').title = json.error_detail || '';
      $('read-button').textContent = t('retry');
      $('read-button').focus();
      return;
    }
    showHolder(json.result);
  }
  function showHolder(r) {
    const h = r.holder || {};
    $('holder-box').hidden = false;
    $('h-name-ko').textContent = `${h.family_name_national || ''}${h.given_name_national || ''}`;
    $('h-name-card').textContent = h.full_name_card || '';
    $('h-name-en').textContent = `${h.family_name || ''} ${h.given_name || ''}`;
    $('h-birth').textContent = date(h.birth_date);
    $('h-rrn').textContent = h.resident_number_masked || '';
    $('h-doc').textContent = h.document_number || '';
    $('h-dates').textContent = `${date(h.issue_date)} / ${date(h.expiry_date)}`;
    if (h.portrait_jpeg_base64) $('portrait').src = `data:image/jpeg;base64,${h.portrait_jpeg_base64}`;
    $('verdict').textContent = r.genuine ? t('genuine') : t('not_genuine');
    $('verdict').className = r.genuine ? 'genuine' : 'not-genuine';
    $('verdict').dataset.genuine = r.genuine ? 'yes' : 'no';
    $('refusal').textContent = r.refusal && r.refusal !== 'not_genuine' ? `${t('refused')}: ${r.refusal}` : '';
    $('issue').hidden = !r.may_issue;
    $('find-doc').value = h.document_number || '';
    if (r.may_issue) $('issue').focus();
  }
  async function reveal() {
    const { status, json } = await api('POST', `/api/reads/${readId}/reveal`);
    if (status === 200) $('h-rrn').textContent = json.resident_number;
  }
  async function issue() {
    const { status, json } = await api('POST', `/api/reads/${readId}/offer`);
    if (status !== 201) { $('refusal').textContent = `${t('refused')}: ${json.detail || json.error}`; return; }
    showOffer(json);
  }
  async function issueAttested(e) {
    e.preventDefault();
    const record = {};
    for (const input of $('attested-form').querySelectorAll('input')) record[input.name] = input.value.trim();
    const { status, json } = await api('POST', '/api/attested', record);
    $('attested-error').textContent = status === 201 ? '' : `${t('refused')}: ${json.detail || json.error}`;
    if (status === 201) showOffer(json);
  }
  function showOffer(json) {
    $('offer-box').hidden = false;
    $('qr').src = `data:image/png;base64,${json.qr_png_base64}`;
    $('qr').dataset.uri = json.credential_offer_uri;
    $('tx-code').textContent = json.tx_code;
    $('issue').hidden = true;
    if (offerTimer) clearTimeout(offerTimer);
    pollOffer(json.offer_id);
  }
  async function pollOffer(id) {
    const { status, json } = await api('GET', `/api/offers/${id}`);
    if (status !== 200) return;
    $('offer-state').textContent = t(json.state);
    $('offer-state').dataset.state = json.state;
    if (json.state === 'waiting' || json.state === 'taken') offerTimer = setTimeout(() => pollOffer(id), 500);
  }

  // ask: the page's own confirmation (a modal <dialog>, keyboard-reachable, its text as text):
  // resolves true for "yes".
  function ask(message) {
    return new Promise((resolve) => {
      const dialog = $('confirm');
      $('confirm-text').textContent = message;
      const done = (answer) => {
        $('confirm-yes').onclick = null;
        $('confirm-no').onclick = null;
        dialog.onclose = null;
        if (dialog.open) dialog.close();
        resolve(answer);
      };
      $('confirm-yes').onclick = () => done(true);
      $('confirm-no').onclick = () => done(false);
      dialog.onclose = () => done(false);
      dialog.showModal();
      $('confirm-yes').focus();
    });
  }

  // find: the holder's credentials by document number. After an action (keepStatus) the
  // action's own message stays: the list is refreshed under it, not in its place.
  async function find(e, keepStatus) {
    if (e) e.preventDefault();
    const doc = $('find-doc').value.trim();
    const { status, json } = await api('GET', `/api/credentials?document=${encodeURIComponent(doc)}`);
    const body = $('creds').tBodies[0];
    body.replaceChildren();
    if (status !== 200) { $('care-status').textContent = json.detail || json.error; return; }
    if (!keepStatus || !json.credentials.length) $('care-status').textContent = json.credentials.length ? '' : t('none_found');
    for (const c of json.credentials) {
      const tr = document.createElement('tr');
      tr.dataset.id = c.id;
      tr.dataset.state = c.state;
      for (const text of [c.id.slice(0, 8), c.document_number, t(c.state), c.state_reason]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      const actions = document.createElement('td');
      for (const [action, key] of [['phone-lost', 'phone_lost'], ['resume', 'resume'], ['revoke', 'revoke']]) {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = t(key);
        b.dataset.action = action;
        b.addEventListener('click', () => credentialAction(c.id, action, key));
        actions.append(b);
      }
      tr.append(actions);
      body.append(tr);
    }
  }
  async function credentialAction(id, action, key) {
    if (!(await ask(t(`confirm_${key}`)))) return;
    const { status, json } = await api('POST', `/api/credentials/${id}/${action}`);
    $('care-status').textContent = status === 200 ? `${t(json.state)}` : json.detail || json.error;
    find(null, true);
  }
  async function cardLost() {
    const doc = $('find-doc').value.trim();
    if (!(await ask(t('confirm_card_lost').replace('{doc}', doc)))) return;
    const { status, json } = await api('POST', '/api/card-lost', { document: doc });
    $('care-status').textContent = status === 200 ? `${t('suspended_n')} ${json.suspended.length}` : json.detail || json.error;
    if (status === 200) find(null, true);
  }

  async function publish() {
    if (!(await ask(t('confirm_publish')))) return;
    const { status, json } = await api('POST', '/api/status-list/publish');
    $('care-status').textContent = status === 200 ? `${t('published')} ${json.not_valid}` : json.detail || json.error;
    $('care-status').dataset.published = status === 200 ? 'yes' : 'no';
  }
  async function login(e) {
    e.preventDefault();
    const { status, json } = await api('POST', '/api/login', { name: $('login-name').value, password: $('login-password').value });
    $('login-password').value = '';
    if (status === 200) { csrf = json.csrf; showDesk(json.clerk, json.can_publish, json.allow_attested); return; }
    $('login-error').textContent = status === 429 ? `${t('too_many_attempts')} ${json.detail}` : t('wrong_password');
  }
  async function logout() {
    await api('POST', '/api/logout');
    csrf = '';
    showLogin('');
  }

  document.addEventListener('DOMContentLoaded', async () => {
    applyTexts();
    $('lang').addEventListener('click', () => {
      lang = lang === 'ko' ? 'en' : 'ko';
      localStorage.setItem('idtap-lang', lang);
      applyTexts();
    });
    $('login-form').addEventListener('submit', login);
    $('logout').addEventListener('click', logout);
    $('read-form').addEventListener('submit', startRead);
    $('reveal').addEventListener('click', reveal);
    $('issue').addEventListener('click', issue);
    $('find-form').addEventListener('submit', find);
    $('card-lost').addEventListener('click', cardLost);
    $('publish').addEventListener('click', publish);
    $('attested-form').addEventListener('submit', issueAttested);
    const { status, json } = await api('GET', '/api/session');
    if (status === 200) { csrf = json.csrf; showDesk(json.clerk, json.can_publish, json.allow_attested); } else showLogin('');
  });
})();
