// Cascade player portal: a team's view of a live exercise in the browser.
//
// It speaks the websocket protocol of docs/protocol.md to the host that served
// this page (same origin), shows the team view as `cascade play` does, and sends
// team actions through forms that offer only what the team may do.
//
// Safety rules kept throughout: no untrusted text ever goes through innerHTML
// (every node is built with createElement / textContent), nothing is logged to
// the console that could hold the token, and nothing of the team's state is
// sent anywhere but over the websocket.
'use strict';

(() => {
  // ---- Constants ---------------------------------------------------------

  const PROTOCOL = 3;
  const K = {
    token: 'cascade.portal.token',
    client: 'cascade.portal.client',
    seq: 'cascade.portal.seq',
    commands: 'cascade.portal.commands',
    read: 'cascade.portal.read',
    page: 'cascade.portal.page',
  };
  const THEME_KEY = 'cascade.portal.theme';
  const BACKOFF_MIN_MS = 500;
  const BACKOFF_MAX_MS = 10000;
  const FULL_BACKOFF_MIN_MS = 4000; // server_full, team_full: give places time to free up
  const WELCOME_TIMEOUT_MS = 10000;
  const MAX_TEXT = 4000;
  const MAX_KEPT_COMMANDS = 300;

  const TLPS = ['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED'];
  const TLP_SLUG = {
    'TLP:CLEAR': 'clear', 'TLP:GREEN': 'green', 'TLP:AMBER': 'amber',
    'TLP:AMBER+STRICT': 'amber-strict', 'TLP:RED': 'red',
  };
  const TLP_AUDIENCE = {
    'TLP:RED': 'the recipient teams only',
    'TLP:AMBER+STRICT': 'the recipient teams and the other teams of their organisations',
    'TLP:AMBER': 'the recipient teams, the other teams of their organisations and of the organisations in their constituencies',
    'TLP:GREEN': 'every team (the community)',
    'TLP:CLEAR': 'every team, without limit',
  };

  const PAGES = [
    { id: 'overview', name: 'Overview', short: 'Overview', key: '1' },
    { id: 'actions', name: 'My actions', short: 'Actions', key: '2' },
    { id: 'inbox', name: 'Inbox', short: 'Inbox', key: '3' },
    { id: 'talk', name: 'Conversations', short: 'Talk', key: '4' },
    { id: 'brief', name: 'Brief', short: 'Brief', key: '5' },
    { id: 'teams', name: 'Directory', short: 'Teams', key: '6' },
    { id: 'iocs', name: 'Indicators', short: 'IOCs', key: '7' },
    { id: 'act', name: 'Act', short: 'Act', key: '8' },
  ];

  const ACTIONS = {
    investigate: { title: 'Investigate', help: 'Look for undetected compromises of an asset (holding the incident\'s indicators helps). Takes time and staff.' },
    isolate: { title: 'Isolate', help: 'Cut the asset off: no spread from or to it, but its service is capped while isolated. Takes a little time and staff.' },
    restore: { title: 'Restore', help: 'Rebuild an isolated asset from backups: integrity comes back and the isolation is lifted. Detected compromises are cleared; an undetected one stays. Physical damage stays: that needs a repair. Takes long and needs staff.' },
    harden: { title: 'Harden', help: 'Protect the asset against spread into it. Takes time and staff.' },
    repair: { title: 'Repair', help: 'Send crews to repair physical damage (a burned substation, a flooded site): a restore from backup does not fix it. Your own assets only; takes long and needs staff.' },
    share: { title: 'Share indicators', help: 'Pass on the indicators of an incident you hold, and/or text, to other teams under a TLP label. The label you received them under limits how far they may go.' },
    report: { title: 'File a report', help: 'File a stage of a reporting regime (NIS2, GDPR, DORA…) for an incident your organisation is aware of.' },
    classify: { title: 'Classify an incident', help: 'Classify an incident as major (this starts DORA deadlines).' },
    request_assistance: { title: 'Request assistance', help: 'Ask a CSIRT to help: it may then act on your organisation\'s assets. The request goes to it under TLP:AMBER+STRICT.' },
    activate_piu: { title: 'Activate the Cyber PIU', help: 'Activate the national Cyber PIU at a level from 1 to 4; every team is told.' },
    set_piu_level: { title: 'Set the PIU level', help: 'Change the level of the active Cyber PIU; every team is told.' },
    public_statement: { title: 'Public statement', help: 'A statement to every team, under TLP:CLEAR.' },
    message: { title: 'Message', help: 'A message to one or more teams under a TLP label (default TLP:RED: the recipients only).' },
    takeover: { title: 'Take over from the bot', help: 'People play your team from now on: its bot falls silent. Nothing else happens.' },
  };
  const ACTION_ORDER = Object.keys(ACTIONS);
  const ASSET_ACTIONS = ['investigate', 'isolate', 'restore', 'harden', 'repair'];

  // What each role may do (engine/src/exercise/command.rs, role_allows).
  const ROLE_ACTIONS = {
    operator: ['investigate', 'isolate', 'restore', 'harden', 'repair', 'share', 'report', 'classify', 'request_assistance', 'public_statement', 'message'],
    csirt: ['investigate', 'isolate', 'restore', 'harden', 'share', 'report', 'classify', 'public_statement', 'message'],
    cerc: ['investigate', 'isolate', 'share', 'public_statement', 'message'],
    crisiscell: ['activate_piu', 'set_piu_level', 'share', 'public_statement', 'message'],
    regulator: ['share', 'public_statement', 'message'],
    communication: ['share', 'public_statement', 'message'],
    ministry: ['share', 'public_statement', 'message'],
    media: ['public_statement', 'message'],
  };

  const ROLE_WORDS = {
    csirt: 'CSIRT', cerc: 'CERC', operator: 'operator', regulator: 'regulator', crisiscell: 'crisis cell',
    communication: 'communication', ministry: 'ministry', media: 'media', authority: 'authority',
  };

  const KIND_WORDS = {
    inject: 'inject', share: 'share', report: 'report', statement: 'statement', chat: 'message',
    assistance: 'assistance', piu: 'PIU', result: 'result', alert: '⚠ alert',
  };

  // ---- Small helpers -----------------------------------------------------

  const $ = (id) => document.getElementById(id);

  const storage = (kind) => ({
    get(k) { try { return window[kind].getItem(k); } catch (_) { return null; } },
    set(k, v) { try { window[kind].setItem(k, v); } catch (_) { /* storage full or off */ } },
    del(k) { try { window[kind].removeItem(k); } catch (_) { /* ignore */ } },
  });
  const session = storage('sessionStorage');
  const local = storage('localStorage');

  function append(el, kids) {
    for (const kid of kids) {
      if (kid === null || kid === undefined || kid === false) continue;
      if (Array.isArray(kid)) append(el, kid);
      else if (kid instanceof Node) el.appendChild(kid);
      else el.appendChild(document.createTextNode(String(kid)));
    }
    return el;
  }

  const PROPS = new Set(['value', 'checked', 'selected', 'disabled', 'hidden', 'htmlFor', 'open', 'defaultChecked']);

  // Builds an element. Never sets innerHTML and never a style attribute.
  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = v;
        else if (k === 'data') {
          for (const [dk, dv] of Object.entries(v)) if (dv !== undefined && dv !== null) el.dataset[dk] = String(dv);
        } else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else if (PROPS.has(k)) el[k] = v;
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    return append(el, kids);
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }

  // Replaces a container's children, keeping the focus on the element with the
  // same data-focus key if it had it.
  function replace(container, ...kids) {
    const active = document.activeElement;
    const key = active && container.contains(active) ? active.dataset.focus : undefined;
    clear(container);
    append(container, kids);
    if (key !== undefined) {
      const again = [...container.querySelectorAll('[data-focus]')].find((e) => e.dataset.focus === key);
      if (again) again.focus({ preventScroll: true });
    }
  }

  // Renders only when the data it depends on changed.
  function changed(el, data) {
    const s = JSON.stringify(data);
    if (el._sig === s) return false;
    el._sig = s;
    return true;
  }

  const plural = (n, one, many) => `${n} ${n === 1 ? one : (many || one + 's')}`;
  const oneLine = (t) => String(t || '').replace(/\s+/g, ' ').trim();
  const cut = (t, n) => { const c = [...t]; return c.length > n ? c.slice(0, n).join('') + '…' : t; };
  const pct = (permille) => `${(Math.max(0, permille) / 10).toFixed(permille % 10 === 0 ? 0 : 1)}%`;
  const normRole = (r) => String(r || '').toLowerCase().replace(/[^a-z]/g, '');
  const roleWords = (r) => ROLE_WORDS[normRole(r)] || String(r || '');

  function randomHex(bytes) {
    const a = new Uint8Array(bytes);
    crypto.getRandomValues(a);
    return [...a].map((b) => b.toString(16).padStart(2, '0')).join('');
  }

  function tlpBadge(tlp) {
    const slug = TLP_SLUG[tlp] || 'unknown';
    return h('span', { class: `tlp tlp-${slug}`, data: { tlp } }, tlp || 'TLP:?');
  }

  // ---- Time --------------------------------------------------------------

  // `23 min`, `1 h 05 min`, `2 d 3 h` (minutes rounded up), as cascade play.
  function durationWords(seconds) {
    const minutes = Math.ceil(Math.max(0, seconds) / 60);
    if (minutes < 60) return `${minutes} min`;
    if (minutes < 1440) {
      const hh = Math.floor(minutes / 60); const mm = minutes % 60;
      return mm === 0 ? `${hh} h` : `${hh} h ${String(mm).padStart(2, '0')} min`;
    }
    const d = Math.floor(minutes / 1440); const hh = Math.floor((minutes % 1440) / 60);
    return hh === 0 ? `${d} d` : `${d} d ${hh} h`;
  }

  function relative(now, tick, tickSeconds) {
    if (tick === now) return 'now';
    if (tick > now) return `in ${durationWords((tick - now) * tickSeconds)}`;
    return `${durationWords((now - tick) * tickSeconds)} ago`;
  }

  // The clock label of `tick`, counted from the view's own label when on the same day.
  function clockAt(view, tick) {
    const label = String(view.clock || '');
    const sp = label.lastIndexOf(' ');
    const date = sp >= 0 ? label.slice(0, sp) : null;
    const time = sp >= 0 ? label.slice(sp + 1) : label;
    const m = /^(\d{1,2}):(\d{2})$/.exec(time);
    if (!m) return null;
    const now = Number(m[1]) * 60 + Number(m[2]);
    const minutes = now + Math.floor(((tick - view.tick) * view.tick_seconds) / 60);
    if (minutes < 0 || minutes >= 1440) return null;
    const t = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
    return date ? `${date} ${t}` : t;
  }

  const when = (view, tick) => clockAt(view, tick) || relative(view.tick, tick, view.tick_seconds);

  // Wall-clock time left until `tick` at the current speed, when the clock runs.
  function realTimeWords(ticksAhead) {
    const c = S.clock;
    if (!c.running || c.ended || !(c.ticks_per_second > 0) || ticksAhead <= 0) return '';
    const s = Math.round(ticksAhead / c.ticks_per_second);
    let w;
    if (s < 60) w = `${s} s`;
    else if (s < 3600) w = `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
    else w = `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
    return `≈ ${w} of real time at ×${c.ticks_per_second}`;
  }

  // ---- State -------------------------------------------------------------

  const S = {
    token: null,
    client: null,
    conn: 'idle', // idle | connecting | online | offline | closed
    attempt: 0,
    failures: 0,
    retryAt: 0,
    retryTimer: 0,
    welcomeTimer: 0,
    closeReason: '',
    minBackoff: BACKOFF_MIN_MS,
    ws: null,
    welcome: null,
    view: null,
    viewAt: 0,
    messages: new Map(),
    clock: { tick: 0, running: false, ticks_per_second: 1, ended: false },
    commands: new Map(),
    page: 'overview',
    read: { inbox: -1, threads: {}, expected: 0, held: [], failures: [] },
    thread: null,
    act: 'message',
    lastResult: null,
    lastFrameAt: 0,
  };

  function loadSession() {
    S.token = session.get(K.token);
    S.client = session.get(K.client);
    if (!validClient(S.client)) newClient();
    try {
      const saved = JSON.parse(session.get(K.commands) || '[]');
      for (const c of saved) if (c && Number.isSafeInteger(c.seq)) S.commands.set(c.seq, c);
    } catch (_) { /* start afresh */ }
    try {
      const r = JSON.parse(session.get(K.read) || 'null');
      if (r && typeof r === 'object') S.read = Object.assign(S.read, r);
    } catch (_) { /* start afresh */ }
    const page = session.get(K.page);
    if (PAGES.some((p) => p.id === page)) S.page = page;
  }

  function validClient(c) {
    return typeof c === 'string' && /^[\x21-\x7e]{1,64}$/.test(c) && c !== 'host' && c !== 'host-setup';
  }

  function newClient() {
    S.client = `portal-${randomHex(8)}`;
    session.set(K.client, S.client);
    session.set(K.seq, '0');
    S.commands.clear();
    saveCommands();
  }

  function nextSeq() {
    const last = Number(session.get(K.seq) || '0');
    let seq = Number.isSafeInteger(last) ? last + 1 : 1;
    for (const s of S.commands.keys()) if (s >= seq) seq = s + 1;
    session.set(K.seq, String(seq));
    return seq;
  }

  function saveCommands() {
    let list = [...S.commands.values()];
    if (list.length > MAX_KEPT_COMMANDS) {
      // Keep every unanswered one, then the newest.
      const open = list.filter((c) => c.state === 'sent');
      const rest = list.filter((c) => c.state !== 'sent').slice(-(MAX_KEPT_COMMANDS - open.length));
      list = [...open, ...rest].sort((a, b) => a.seq - b.seq);
      S.commands = new Map(list.map((c) => [c.seq, c]));
    }
    session.set(K.commands, JSON.stringify(list));
  }

  const saveRead = () => session.set(K.read, JSON.stringify(S.read));

  // ---- Joining -----------------------------------------------------------

  function readFragment() {
    const hash = location.hash || '';
    const m = /^#join=(.+)$/.exec(hash);
    if (!m) return false;
    let token = m[1];
    try { token = decodeURIComponent(token); } catch (_) { /* keep as is */ }
    history.replaceState(null, '', location.pathname + location.search);
    token = token.trim();
    if (!token) return false;
    setToken(token);
    return true;
  }

  // Accepts a bare token or a whole join link.
  function tokenFrom(text) {
    const t = String(text || '').trim();
    const m = /#join=([^\s]+)$/.exec(t);
    if (m) { try { return decodeURIComponent(m[1]).trim(); } catch (_) { return m[1].trim(); } }
    return t;
  }

  function setToken(token) {
    if (S.token && S.token !== token) {
      // Another team (or a fresh token): a fresh client, fresh marks.
      forgetTeamState();
      newClient();
    }
    S.token = token;
    session.set(K.token, token);
  }

  function forgetTeamState() {
    S.view = null;
    S.welcome = null;
    S.messages.clear();
    S.read = { inbox: -1, threads: {}, expected: 0, held: [], failures: [] };
    S.thread = null;
    S.lastResult = null;
    saveRead();
    resetSigs();
  }

  function leave() {
    stopConnection();
    S.token = null;
    session.del(K.token);
    forgetTeamState();
    newClient();
    setConn('idle');
    showJoin('');
  }

  function showJoin(error) {
    $('join').hidden = false;
    $('app').hidden = true;
    $('leave-button').hidden = true;
    $('bot-banner').hidden = true;
    $('join-error').textContent = error || '';
    $('join-token').value = '';
    renderHeader();
    renderBanner();
    $('join-token').focus();
  }

  function showApp() {
    $('join').hidden = true;
    $('app').hidden = false;
    $('leave-button').hidden = false;
  }

  // ---- The connection ----------------------------------------------------

  const wsUrl = () => (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/';

  function setConn(state) {
    S.conn = state;
    document.body.dataset.conn = state;
    renderHeader();
    renderBanner();
    scheduleRender();
  }

  function stopConnection() {
    clearTimeout(S.retryTimer);
    clearTimeout(S.welcomeTimer);
    const ws = S.ws;
    S.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try { ws.close(1000); } catch (_) { /* closed already */ }
    }
  }

  function connect() {
    if (!S.token) return;
    stopConnection();
    S.attempt += 1;
    S.closeReason = '';
    S.minBackoff = BACKOFF_MIN_MS;
    setConn('connecting');
    let ws;
    try {
      ws = new WebSocket(wsUrl());
    } catch (_) {
      lost('the browser could not open a websocket');
      return;
    }
    S.ws = ws;
    S.welcomeTimer = setTimeout(() => {
      if (S.ws === ws && S.conn !== 'online') {
        S.closeReason = 'no welcome from the host in time';
        dropSocket(ws);
      }
    }, WELCOME_TIMEOUT_MS);
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: 'hello', token: S.token, client: S.client, protocol: PROTOCOL }));
    };
    ws.onmessage = (ev) => {
      if (S.ws !== ws) return;
      S.lastFrameAt = Date.now();
      let frame;
      try { frame = JSON.parse(ev.data); } catch (_) { return; }
      if (frame && typeof frame === 'object') onFrame(frame, ws);
    };
    ws.onerror = () => { /* a close follows */ };
    ws.onclose = (ev) => {
      if (S.ws !== ws) return;
      S.ws = null;
      clearTimeout(S.welcomeTimer);
      onClose(ev);
    };
  }

  function dropSocket(ws) {
    if (S.ws !== ws) return;
    S.ws = null;
    clearTimeout(S.welcomeTimer);
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try { ws.close(1000); } catch (_) { /* ignore */ }
    lost(S.closeReason || 'connection lost');
  }

  function onClose(ev) {
    if (S.fatal) {
      const f = S.fatal;
      S.fatal = null;
      f();
      return;
    }
    let reason = S.closeReason;
    if (!reason) {
      if (ev.code === 1001) reason = 'the host heard nothing from this browser for too long';
      else if (ev.code === 1013) reason = ev.reason || 'the host is busy';
      else if (ev.code === 1006) reason = S.conn === 'online' ? 'the connection dropped' : 'cannot reach the host';
      else reason = ev.reason || `the connection closed (code ${ev.code})`;
    }
    lost(reason);
  }

  function lost(reason) {
    if (!S.token) return;
    S.failures += 1;
    const delay = Math.min(BACKOFF_MAX_MS, Math.max(S.minBackoff, BACKOFF_MIN_MS * 2 ** (S.failures - 1)));
    S.closeReason = reason;
    S.retryAt = Date.now() + delay;
    clearTimeout(S.retryTimer);
    S.retryTimer = setTimeout(connect, delay);
    setConn('offline');
  }

  function retryNow() {
    if (!S.token) return;
    clearTimeout(S.retryTimer);
    connect();
  }

  function transmit(rec) {
    if (S.conn !== 'online' || !S.ws || S.ws.readyState !== WebSocket.OPEN) return false;
    S.ws.send(JSON.stringify({ type: 'command', seq: rec.seq, command: rec.command }));
    rec.transmitted = true;
    return true;
  }

  // ---- Frames ------------------------------------------------------------

  function onFrame(f, ws) {
    switch (f.type) {
      case 'welcome': {
        clearTimeout(S.welcomeTimer);
        if (f.role === 'director' || f.team === 'director') {
          stopConnection();
          S.token = null;
          session.del(K.token);
          forgetTeamState();
          setConn('idle');
          showJoin('That is the exercise director\'s token: the director uses the director console (cascade observe or cascade exercise). Enter a team\'s token here.');
          return;
        }
        S.welcome = f;
        S.failures = 0;
        S.attempt = 0;
        S.closeReason = '';
        S.clock = Object.assign({}, S.clock, {
          tick: f.tick, running: f.running, ticks_per_second: f.ticks_per_second,
        });
        setConn('online');
        showApp();
        // Commands sent but not acknowledged: again, with their seq (the host
        // acknowledges one it journaled already and never applies it twice).
        const open = [...S.commands.values()].filter((c) => c.state === 'sent').sort((a, b) => a.seq - b.seq);
        for (const rec of open) transmit(rec);
        if (open.length) saveCommands();
        break;
      }
      case 'snapshot':
      case 'tick':
        onView(f);
        break;
      case 'clock':
        S.clock = { tick: f.tick, running: !!f.running, ticks_per_second: f.ticks_per_second, ended: !!f.ended };
        renderHeader();
        scheduleRender();
        break;
      case 'ack':
      case 'reject':
      case 'outcome':
        onAnswer(f);
        break;
      case 'error':
        onError(f, ws);
        break;
      default:
        break; // director frames never come to a team; anything newer is ignored
    }
  }

  function onAnswer(f) {
    const rec = S.commands.get(f.seq);
    if (!rec) return;
    const final = rec.state === 'rejected' || rec.state === 'applied' || rec.state === 'failed';
    const clock = S.view ? S.view.clock : '';
    rec.answerTick = S.view ? S.view.tick : rec.sentTick;
    if (f.type === 'ack') {
      if (!final) { rec.state = 'acked'; rec.tick = f.tick; }
      // The host journaled a takeover ahead of it: people play the team now.
      if (S.view && S.view.human === false) S.view.human = true;
    } else if (f.type === 'reject') {
      Object.assign(rec, { state: 'rejected', code: f.code, message: f.message, answerClock: clock });
    } else {
      Object.assign(rec, {
        state: f.ok ? 'applied' : 'failed', code: f.code, message: f.message, tick: f.tick, answerClock: clock,
      });
    }
    rec.transmitted = true;
    saveCommands();
    const what = describeCommand(rec.command);
    let text; let tone;
    switch (rec.state) {
      case 'acked': text = `${what}: accepted for tick ${rec.tick}`; tone = 'info'; break;
      case 'rejected': text = `${what}: refused (${rec.code}) ${rec.message || ''}`; tone = 'bad'; break;
      case 'failed': text = `${what}: failed at tick ${rec.tick} (${rec.code}) ${rec.message || ''}`; tone = 'bad'; break;
      default: text = `${what}: applied at tick ${rec.tick}`; tone = 'good';
    }
    S.lastResult = { text, tone, seq: rec.seq };
    if (f.type !== 'ack') announce(text, tone === 'bad');
    scheduleRender();
  }

  function onError(f, ws) {
    const code = String(f.code || '');
    const message = String(f.message || '');
    switch (code) {
      case 'bad_token':
        S.fatal = () => {
          stopConnection();
          S.token = null;
          session.del(K.token);
          // Commands this tab never got answered are lost with the token:
          // say how many, and what they were, rather than drop them in silence.
          const unanswered = [...S.commands.values()].filter((c) => c.state === 'sent');
          forgetTeamState();
          newClient();
          setConn('idle');
          const lost = unanswered.length
            ? ` ${unanswered.length === 1 ? 'One action' : `${unanswered.length} actions`} given here never reached the host and ${unanswered.length === 1 ? 'was' : 'were'} not sent: ${unanswered.map((c) => describeCommand(c.command)).join('; ')}.`
            : '';
          showJoin(`The host does not know this token. Check it with exercise control (a new exercise or a branch has new tokens), then try again.${lost}`);
        };
        break;
      case 'bad_protocol':
        S.fatal = () => {
          stopConnection();
          S.closeReason = `this portal speaks protocol ${PROTOCOL} and the host refused it: ${message}`;
          setConn('closed');
        };
        break;
      case 'bad_client':
        // Our id was refused: pick another and join again.
        S.fatal = () => { newClient(); connect(); };
        break;
      case 'server_full':
        S.closeReason = 'the host is full (every place is taken); trying again shortly';
        S.minBackoff = FULL_BACKOFF_MIN_MS;
        break;
      case 'team_full':
        S.closeReason = 'your team already has as many connections as the host allows (close other tabs or laptops of your team); trying again shortly';
        S.minBackoff = FULL_BACKOFF_MIN_MS;
        break;
      case 'too_many_waiting':
        S.closeReason = 'the host is turning away a flood of connections; trying again shortly';
        S.minBackoff = FULL_BACKOFF_MIN_MS;
        break;
      case 'hello_timeout':
        S.closeReason = 'the host timed out waiting for this browser';
        break;
      default:
        S.lastResult = { text: `host: ${code}: ${message}`, tone: 'bad' };
        scheduleRender();
    }
    if (S.fatal && ws && S.ws === ws) {
      // The host closes right after; do not wait for it to decide.
      const f2 = S.fatal;
      S.fatal = null;
      ws.onclose = null;
      S.ws = null;
      try { ws.close(1000); } catch (_) { /* ignore */ }
      f2();
    }
  }

  // A tick frame is a delta against the view held (docs/protocol.md, "Tick
  // frames are deltas"): the scalars always, `assets` the own assets that
  // changed (replaced by id), `messages` the new ones, the outages elsewhere
  // as changed and gone entries, any other list only when it changed (whole). Without a held view (never: the snapshot comes
  // first) the portal asks for a snapshot.
  function applyDelta(view, d) {
    const v = Object.assign({}, view);
    for (const k of Object.keys(d)) {
      if (k !== 'type' && k !== 'assets' && k !== 'outages_changed' && k !== 'outages_gone') v[k] = d[k];
    }
    if (d.outages_changed || d.outages_gone) {
      const drop = new Set((d.outages_gone || []).concat((d.outages_changed || []).map((o) => o.id)));
      v.outages = (v.outages || []).filter((o) => !drop.has(o.id)).concat(d.outages_changed || []);
      // The view's order: worst first, ties by id (ids are ASCII: JS and the host agree).
      v.outages.sort((x, y) => x.level - y.level || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    }
    if (d.assets && d.assets.length) {
      const at = new Map(view.assets.map((a, i) => [a.id, i]));
      v.assets = view.assets.slice();
      for (const a of d.assets) {
        if (at.has(a.id)) v.assets[at.get(a.id)] = a;
        else v.assets.push(a);
      }
    }
    return v;
  }

  function onView(f) {
    const first = !S.view;
    if (f.type === 'tick' && !S.view) {
      if (S.ws && S.ws.readyState === 1) S.ws.send(JSON.stringify({ type: 'resync' }));
      return;
    }
    const v = f.type === 'tick' ? applyDelta(S.view, f) : Object.assign({}, f);
    delete v.type;
    const fresh = [];
    for (const m of f.messages || []) {
      if (!S.messages.has(m.index)) fresh.push(m);
      S.messages.set(m.index, m);
    }
    v.messages = [];
    S.view = v;
    S.viewAt = Date.now();
    S.clock.tick = v.tick;
    // Commands the log carries now are shown from the log.
    let dirty = false;
    for (const a of v.actions || []) {
      if (a.client === S.client && a.seq !== null && a.seq !== undefined) {
        const rec = S.commands.get(a.seq);
        if (rec && !rec.inLog) { rec.inLog = true; dirty = true; }
      }
    }
    if (dirty) saveCommands();
    if (!first && f.type === 'tick') announceMessages(fresh);
    if (first) resetSigs();
    scheduleRender();
  }

  // ---- Announcements (aria-live, sparingly) ------------------------------

  let announceTimer = 0;
  const announceQueue = [];
  function announce(text, urgent) {
    if (urgent) {
      const el = $('announce-urgent');
      el.textContent = '';
      setTimeout(() => { el.textContent = text; }, 50);
      return;
    }
    announceQueue.push(text);
    clearTimeout(announceTimer);
    announceTimer = setTimeout(() => {
      const el = $('announce');
      el.textContent = announceQueue.splice(0).join('. ');
    }, 400);
  }

  function announceMessages(fresh) {
    const me = myId();
    const incoming = fresh.filter((m) => m.sender_team !== me);
    if (!incoming.length) return;
    const inbox = incoming.filter((m) => !m.sender_team);
    const talk = incoming.filter((m) => m.sender_team);
    const parts = [];
    const alerts = inbox.filter((m) => m.kind === 'alert');
    if (alerts.length) parts.push(`${plural(alerts.length, 'alert')}: ${cut(oneLine(alerts[0].text), 100)}`);
    const others = inbox.length - alerts.length;
    if (others) parts.push(`${plural(others, 'new inbox message')}`);
    if (talk.length) {
      const from = [...new Set(talk.map((m) => m.sender_team))].slice(0, 3).join(', ');
      parts.push(`${plural(talk.length, 'new team message')} from ${from}`);
    }
    announce(parts.join('; '), false);
  }

  // ---- Derived views -----------------------------------------------------

  const myId = () => (S.view ? S.view.team : (S.welcome ? S.welcome.team : ''));
  const human = () => (S.view ? S.view.human !== false : true);
  const dirEntry = (id) => (S.view && S.view.directory || []).find((d) => d.id === id);

  function myRole() {
    const me = dirEntry(myId());
    return normRole(me ? me.role : (S.welcome ? S.welcome.role : ''));
  }

  function allowedActions() {
    const list = (ROLE_ACTIONS[myRole()] || ['public_statement', 'message']).slice();
    const v = S.view;
    if (v) {
      const active = v.piu && v.piu.active_since !== null && v.piu.active_since !== undefined;
      const drop = active ? 'activate_piu' : 'set_piu_level';
      const i = list.indexOf(drop);
      if (i >= 0) list.splice(i, 1);
    }
    if (!human()) list.push('takeover');
    return ACTION_ORDER.filter((a) => list.includes(a));
  }

  // The national response plan as the scenario names it (Luxembourg: the Cyber PIU).
  function planName() { return (S.view && S.view.piu && S.view.piu.plan) || 'Cyber PIU'; }

  function piuActive() {
    const v = S.view;
    return !!(v && v.piu && v.piu.active_since !== null && v.piu.active_since !== undefined);
  }

  // Assets the team may act on: [{group, asset, full}] — full: an AssetView.
  function actionableAssets() {
    const v = S.view;
    if (!v) return [];
    const out = [];
    for (const a of v.assets || []) out.push({ group: 'Your assets', a, full: true });
    for (const a of v.constituents || []) out.push({ group: 'Constituents\' assets (they asked for your help)', a, full: true });
    if (myRole() === 'cerc' && piuActive()) {
      const seen = new Set(out.map((x) => x.a.id));
      for (const a of v.outages || []) if (!seen.has(a.id)) out.push({ group: 'Other organisations\' assets in outage (the PIU is active)', a, full: false });
    }
    return out;
  }

  function knownIncidents() {
    const v = S.view;
    const set = [];
    const add = (i) => { if (i && !set.includes(i)) set.push(i); };
    if (!v) return set;
    for (const d of v.deadlines || []) add(d.incident);
    for (const a of (v.assets || []).concat(v.constituents || [])) for (const i of a.compromised || []) add(i);
    return set;
  }

  function otherTeams() {
    const me = myId();
    return (S.view && S.view.directory || []).filter((d) => d.id !== me);
  }

  function levelWords(level) {
    if (level >= 1000) return { sym: '✓', word: 'full service', cls: 'ok' };
    if (level <= 0) return { sym: '✗', word: 'down', cls: 'bad' };
    return { sym: '▼', word: 'degraded', cls: 'warn' };
  }

  function describeCommand(c) {
    if (!c || typeof c !== 'object') return String(c);
    const a = String(c.action || '?');
    const q = (t) => (t ? ` “${cut(oneLine(t), 60)}”` : '');
    const to = (list) => {
      const l = Array.isArray(list) ? list : [];
      return l.length > 4 ? `${l.slice(0, 3).join(',')} +${l.length - 3} more` : l.join(',');
    };
    if (c.truncated) return `${a} (too large to show)`;
    switch (a) {
      case 'investigate': case 'isolate': case 'restore': case 'harden': case 'repair': return `${a} ${c.asset}`;
      case 'share': return `share ${to(c.to)} ${c.tlp} ${c.incident || '-'}${q(c.text)}`;
      case 'report': return `report ${c.regime} ${c.stage} ${c.incident}`;
      case 'classify': return `classify ${c.incident}`;
      case 'request_assistance': return `request_assistance ${c.csirt}`;
      case 'activate_piu': case 'set_piu_level': return `${a} ${c.level}`;
      case 'public_statement': return `public_statement${q(c.text)}`;
      case 'message': return `message ${to(c.to)} ${c.tlp || 'TLP:RED'}${q(c.text)}`;
      case 'takeover': return 'takeover';
      default: {
        const rest = Object.assign({}, c);
        delete rest.action;
        const json = JSON.stringify(rest);
        return json === '{}' ? a : `${a} ${cut(json, 80)}`;
      }
    }
  }

  const RANK = { sent: 0, acked: 1, applied: 2, failed: 2, rejected: 2 };
  const FATE_STATE = { refused: 'rejected', acknowledged: 'acked', failed: 'failed', running: 'applied', applied: 'applied' };

  // The action log merged with this client's commands it does not carry yet, newest first.
  function actionRows() {
    const v = S.view;
    const me = S.client;
    const rows = [];
    const inLog = new Set();
    for (const a of (v && v.actions) || []) {
      const mine = a.client === me && a.seq !== null && a.seq !== undefined;
      let state = FATE_STATE[a.fate] || 'acked';
      let fate = a.fate;
      let code = a.code; let message = a.message;
      if (mine) {
        inLog.add(a.seq);
        const rec = S.commands.get(a.seq);
        if (rec && RANK[rec.state] > RANK[state]) {
          state = rec.state;
          fate = rec.state === 'rejected' ? 'refused' : rec.state;
          code = rec.code; message = rec.message;
        }
      }
      rows.push({
        key: `${a.client}:${a.seq}:${a.tick}:${rows.length}`,
        clock: a.clock, seq: mine ? a.seq : undefined, otherSeq: mine ? undefined : a.seq,
        client: a.client, who: a.client === null || a.client === undefined ? 'bot' : (mine ? 'you' : a.client),
        what: describeCommand(a.command), state, fate, code, message,
        lands: a.lands, landsClock: a.lands_clock, mine, tick: a.tick,
      });
    }
    for (const rec of S.commands.values()) {
      if (inLog.has(rec.seq) || (rec.inLog && rec.state !== 'sent')) continue;
      const fate = rec.state === 'rejected' ? 'refused' : rec.state;
      rows.push({
        key: `local:${rec.seq}`, clock: rec.answerClock || rec.sentClock || '--:--', seq: rec.seq, client: me,
        who: 'you', what: describeCommand(rec.command), state: rec.state, fate, code: rec.code, message: rec.message,
        tick: rec.tick, mine: true, local: true, transmitted: rec.transmitted,
        order: rec.state === 'sent' || rec.state === 'acked' ? Infinity : (rec.answerTick !== undefined ? rec.answerTick : rec.sentTick),
      });
    }
    // In time order (a stable sort keeps the log's order within a tick);
    // commands still waiting for an answer last.
    rows.forEach((r, i) => { r.pos = i; if (r.order === undefined) r.order = r.tick; });
    rows.sort((a, b) => (a.order - b.order) || (a.pos - b.pos));
    return rows.reverse();
  }

  function fateSymbol(fate) {
    switch (fate) {
      case 'refused': case 'rejected': case 'failed': return '✗';
      case 'running': return '◷';
      case 'applied': return '✓';
      default: return '…';
    }
  }

  function fateWords(r) {
    const v = S.view;
    switch (r.fate) {
      case 'sent': return r.transmitted ? 'sent, no answer yet' : 'waiting to be sent: it goes when the connection is back';
      case 'acked':
      case 'acknowledged': {
        const at = r.local ? (v && r.tick !== undefined ? when(v, r.tick) : `tick ${r.tick}`) : r.clock;
        return `accepted, applies at ${at}`;
      }
      case 'refused': case 'rejected': return `refused: ${r.code || '?'} — ${r.message || ''}`;
      case 'failed': return `failed: ${r.code || '?'} — ${r.message || ''}`;
      case 'running': {
        const c = r.landsClock || (r.lands !== undefined && r.lands !== null ? `tick ${r.lands}` : '');
        const rel = v && r.lands !== undefined && r.lands !== null ? ` (${relative(v.tick, r.lands, v.tick_seconds)})` : '';
        return c ? `running, lands ${c}${rel}` : 'running';
      }
      case 'applied': return r.landsClock ? `done, landed ${r.landsClock}` : 'applied';
      default: return r.fate;
    }
  }

  const isFailure = (r) => r.state === 'rejected' || r.state === 'failed';
  const rowKey = (r) => `${r.client}:${r.seq}`;

  // Messages: team conversations apart from the inbox (exercise control).
  const isConversation = (m) => !!m.sender_team;
  const ALL_TEAMS = 'all teams';

  function counterparts(m, me) {
    if (m.to_all) return [ALL_TEAMS];
    if (m.sender_team === me) {
      const others = (m.to || []).filter((t) => t !== me);
      if (others.length) return others;
    }
    return [m.sender_team || ''];
  }

  function threads() {
    const me = myId();
    const by = new Map();
    for (const m of [...S.messages.values()].sort((a, b) => a.index - b.index)) {
      if (!isConversation(m)) continue;
      for (const key of counterparts(m, me)) {
        if (!by.has(key)) by.set(key, { key, messages: [], unread: 0 });
        const t = by.get(key);
        t.messages.push(m);
        const mark = S.read.threads[key];
        if (m.sender_team !== me && (mark === undefined || m.index > mark)) t.unread += 1;
      }
    }
    return [...by.values()].sort((a, b) => b.messages[b.messages.length - 1].index - a.messages[a.messages.length - 1].index);
  }

  const inbox = () => [...S.messages.values()].filter((m) => !isConversation(m)).sort((a, b) => b.index - a.index);

  function recipientsWords(m, me) {
    if (m.to_all) return ALL_TEAMS;
    return (m.to || []).map((t) => (t === me ? 'you' : t)).join(', ');
  }

  // Unread counts for the page bar.
  function badges() {
    const me = myId();
    const v = S.view;
    const b = {};
    const fails = actionRows().filter((r) => isFailure(r) && r.mine && !S.read.failures.includes(rowKey(r)));
    if (fails.length) b.actions = { text: `✗${fails.length}`, sr: `${fails.length} new refused or failed`, bad: true };
    const unreadInbox = inbox().filter((m) => m.sender_team !== me && m.index > S.read.inbox).length;
    if (unreadInbox) b.inbox = { text: `•${unreadInbox}`, sr: `${unreadInbox} new` };
    const unreadTalk = threads().reduce((n, t) => n + t.unread, 0);
    if (unreadTalk) b.talk = { text: `•${unreadTalk}`, sr: `${unreadTalk} new` };
    if (v) {
      let brief = '';
      let sr = '';
      if (!human()) { brief += '⚙'; sr += 'your bot plays your team; '; }
      const ne = (v.expected || []).length - S.read.expected;
      if (ne > 0) { brief += `•${ne}`; sr += `${ne} new expected of you`; }
      if (brief) b.brief = { text: brief, sr };
      const nh = (v.held || []).filter((x) => !S.read.held.includes(x.incident)).length;
      if (nh) b.iocs = { text: `•${nh}`, sr: `${nh} new` };
    }
    return b;
  }

  function markSeen() {
    if (document.hidden || !S.view) return;
    let dirty = false;
    switch (S.page) {
      case 'actions': {
        const keys = actionRows().filter((r) => isFailure(r) && r.mine).map(rowKey);
        const add = keys.filter((k) => !S.read.failures.includes(k));
        if (add.length) { S.read.failures = S.read.failures.concat(add).slice(-500); dirty = true; }
        break;
      }
      case 'inbox': {
        const top = inbox()[0];
        if (top && top.index > S.read.inbox) { S.read.inbox = top.index; dirty = true; }
        break;
      }
      case 'talk': {
        const t = selectedThread(threads());
        if (t) {
          const last = t.messages[t.messages.length - 1].index;
          if (S.read.threads[t.key] !== last) { S.read.threads[t.key] = last; dirty = true; }
        }
        break;
      }
      case 'brief': {
        const n = (S.view.expected || []).length;
        if (S.read.expected !== n) { S.read.expected = n; dirty = true; }
        break;
      }
      case 'iocs': {
        for (const x of S.view.held || []) if (!S.read.held.includes(x.incident)) { S.read.held.push(x.incident); dirty = true; }
        break;
      }
      default: break;
    }
    if (dirty) { saveRead(); renderTabs(); }
  }

  function selectedThread(list) {
    return list.find((t) => t.key === S.thread) || list[0];
  }

  // ---- Rendering: frame --------------------------------------------------

  let renderPending = false;
  function scheduleRender() {
    if (renderPending) return;
    renderPending = true;
    const go = () => {
      if (!renderPending) return;
      renderPending = false;
      render();
    };
    requestAnimationFrame(go);
    setTimeout(go, 250);
  }

  const pageEls = {};
  function resetSigs() {
    for (const el of document.querySelectorAll('*')) if (el._sig !== undefined) el._sig = undefined;
  }

  function render() {
    renderHeader();
    renderBanner();
    if (!S.token) return;
    renderTabs();
    renderLastResult();
    $('connecting-note').hidden = !!S.view;
    $('connecting-note').textContent = S.conn === 'closed'
      ? `Not connected: ${S.closeReason}`
      : (S.conn === 'offline' ? `Cannot reach the exercise yet: ${S.closeReason}. Trying again…` : 'Connecting to the exercise…');
    for (const p of PAGES) pageEls[p.id].hidden = !S.view || p.id !== S.page;
    if (!S.view) return;
    const bot = $('bot-banner');
    bot.hidden = human() || S.clock.ended;
    $('act-ended').hidden = !S.clock.ended;
    switch (S.page) {
      case 'overview': renderOverview(); break;
      case 'actions': renderActionsPage(); break;
      case 'inbox': renderInbox(); break;
      case 'talk': renderTalk(); break;
      case 'brief': renderBrief(); break;
      case 'teams': renderTeams(); break;
      case 'iocs': renderIndicators(); break;
      case 'act': renderAct(); break;
      default: break;
    }
    refreshForms();
    markSeen();
  }

  function renderHeader() {
    const v = S.view;
    const w = S.welcome;
    const team = v ? v.team : (w ? w.team : '');
    const teamLine = $('team-line');
    if (team) {
      const me = dirEntry(team);
      const role = me ? roleWords(me.role) : roleWords(w && w.role);
      replace(teamLine,
        h('strong', { id: 'team-id' }, team),
        me ? ` — ${me.name}` : '',
        role ? h('span', { class: 'dim' }, ` (${role})`) : '',
        w && w.scenario ? h('span', { class: 'dim scenario' }, ` · ${w.scenario}`) : '');
    } else {
      replace(teamLine, 'player portal');
    }
    $('clock').textContent = v ? v.clock : '--:--';
    $('clock-zone').textContent = v ? `${v.time_zone} · 1 tick = ${durationWords(v.tick_seconds)}` : '';
    $('tick').textContent = v ? String(v.tick) : (S.welcome ? String(S.clock.tick) : '–');
    const run = $('run');
    const c = S.clock;
    if (!S.welcome && !v) { run.textContent = '–'; run.dataset.state = 'unknown'; }
    else if (c.ended) { run.textContent = '■ ended'; run.dataset.state = 'ended'; }
    else if (c.running) { run.textContent = `▶ running ×${c.ticks_per_second}`; run.dataset.state = 'running'; }
    else if ((v ? v.tick : c.tick) === 0) { run.textContent = '‖ waiting for the start'; run.dataset.state = 'paused'; }
    else { run.textContent = '‖ paused'; run.dataset.state = 'paused'; }
    const st = $('status');
    st.dataset.state = S.conn;
    switch (S.conn) {
      case 'online': st.textContent = '● online'; break;
      case 'connecting': st.textContent = S.failures > 0 ? `◌ reconnecting (attempt ${S.failures + 1})…` : '◌ connecting…'; break;
      case 'offline': {
        const s = Math.max(0, Math.ceil((S.retryAt - Date.now()) / 1000));
        st.textContent = `✗ offline — retry in ${s} s`;
        break;
      }
      case 'closed': st.textContent = '✗ disconnected'; break;
      default: st.textContent = '○ not joined';
    }
    const staff = $('staff'); const service = $('service'); const piu = $('piu');
    staff.hidden = service.hidden = piu.hidden = !v;
    if (v) {
      const free = Math.max(0, v.staff - v.busy);
      staff.textContent = `staff ${free}/${v.staff} free`;
      const sv = v.service || {};
      if (sv.population > 0) {
        service.textContent = `national service ${(Math.floor((sv.national * 1000) / sv.population) / 10).toFixed(1)}%`;
      } else service.hidden = true;
      if (piuActive()) {
        piu.textContent = `${planName()} level ${v.piu.level} since ${when(v, v.piu.active_since)}`;
        piu.dataset.state = 'active';
      } else { piu.textContent = `${planName()} not active`; piu.dataset.state = 'inactive'; }
    }
    $('client-line').textContent = S.client ? `this browser: ${S.client}` : '';
  }

  function renderBanner() {
    const b = $('banner');
    const text = $('banner-text');
    const retry = $('retry-button');
    const stale = S.conn !== 'online' && !!S.view;
    document.body.classList.toggle('stale', stale);
    $('stale-mark').hidden = !stale;
    if (!S.token || S.conn === 'online' || S.conn === 'idle') {
      b.hidden = true;
      return;
    }
    b.hidden = false;
    b.dataset.state = S.conn;
    // The live text changes only with the state; the countdowns beside it
    // are hidden from screen readers (they would be read every second).
    let msg = '';
    let detail = '';
    if (S.conn === 'offline') {
      const s = Math.max(0, Math.ceil((S.retryAt - Date.now()) / 1000));
      msg = `✗ Offline: ${S.closeReason}. Reconnecting by itself.`;
      detail = `Next try in ${s} s.`;
    } else if (S.conn === 'connecting') {
      msg = S.failures > 0 ? `◌ Reconnecting (attempt ${S.failures + 1})…` : '◌ Connecting to the exercise…';
    } else if (S.conn === 'closed') {
      msg = `✗ Disconnected: ${S.closeReason}.`;
    }
    if (stale) {
      const ago = Math.round((Date.now() - S.viewAt) / 1000);
      msg += ` Showing the last view received (${S.view.clock}, tick ${S.view.tick}): it may be out of date.`;
      detail += ` Received ${ago < 60 ? `${ago} s` : durationWords(ago)} ago.`;
    }
    const open = [...S.commands.values()].filter((c) => c.state === 'sent').length;
    if (open) msg += ` ${plural(open, 'command')} waiting: sent again once connected.`;
    if (text.textContent !== msg) text.textContent = msg;
    $('banner-detail').textContent = detail.trim();
    retry.hidden = !(S.conn === 'offline' || S.conn === 'closed');
  }

  function renderTabs() {
    const b = badges();
    const news = ['inbox', 'talk'].reduce((n, k) => n + (b[k] ? Number(b[k].text.replace(/\D/g, '')) || 0 : 0), 0);
    const title = `${news ? `(${news}) ` : ''}${myId() ? `${myId()} — ` : ''}Cascade player portal${S.conn !== 'online' && S.token ? ' (offline)' : ''}`;
    if (document.title !== title) document.title = title;
    for (const p of PAGES) {
      const tab = $(`tab-${p.id}`);
      const selected = p.id === S.page;
      tab.setAttribute('aria-selected', selected ? 'true' : 'false');
      tab.tabIndex = selected ? 0 : -1;
      const badge = tab.querySelector('.badge');
      const x = b[p.id];
      tab.setAttribute('aria-label', x ? `${p.name}, ${x.sr}` : p.name);
      if (x) {
        badge.hidden = false;
        badge.classList.toggle('badge-bad', !!x.bad);
        replace(badge, h('span', { 'aria-hidden': 'true' }, x.text), h('span', { class: 'sr-only' }, ` (${x.sr})`));
      } else {
        badge.hidden = true;
        clear(badge);
      }
    }
  }

  function renderLastResult() {
    const el = $('last-result');
    const r = S.lastResult;
    if (!r) { el.hidden = true; return; }
    el.hidden = false;
    el.dataset.tone = r.tone;
    const sym = r.tone === 'bad' ? '✗ ' : (r.tone === 'good' ? '✓ ' : '… ');
    el.textContent = sym + r.text;
  }

  function show(page, focus) {
    if (!PAGES.some((p) => p.id === page)) return;
    if (S.page !== page || !S.openMarks) S.openMarks = JSON.parse(JSON.stringify(S.read));
    S.page = page;
    session.set(K.page, page);
    render();
    if (focus === 'tab') $(`tab-${page}`).focus();
    else if (focus === 'panel') pageEls[page].focus({ preventScroll: true });
    window.scrollTo({ top: 0 });
  }

  // ---- Rendering: shared pieces ------------------------------------------

  function section(title, id, ...kids) {
    return h('section', { class: 'card', 'aria-labelledby': id ? `${id}-h` : undefined },
      h('h2', { id: id ? `${id}-h` : undefined }, title), ...kids);
  }

  function emptyNote(text) { return h('p', { class: 'empty' }, text); }

  function bar(level, integrity, label) {
    const lv = levelWords(level);
    const wrap = h('div', { class: `bar bar-${lv.cls}`, role: 'img', 'aria-label': label });
    const integ = h('span', { class: 'bar-integrity' });
    const lvl = h('span', { class: 'bar-level' });
    integ.style.width = `${Math.min(100, Math.max(level, integrity) / 10)}%`;
    lvl.style.width = `${Math.min(100, level / 10)}%`;
    return append(wrap, [integ, lvl]);
  }

  function assetItem(a, opts) {
    const lv = levelWords(a.level);
    const flags = [];
    if (a.isolated) flags.push(h('span', { class: 'flag flag-isolated' }, `⊘ isolated (capped at ${pct(a.cap)})`));
    if (a.hardened) flags.push(h('span', { class: 'flag flag-hardened' }, '⚒ hardened'));
    if (physicalOf(a) < 1000) {
      flags.push(h('span', { class: 'flag flag-physical' }, `✚ physical damage: the plant allows ${pct(physicalOf(a))} (repair, not restore)`));
    }
    if ((a.compromised || []).length) {
      const harmless = a.no_damage || [];
      const list = a.compromised.map((i) => (harmless.includes(i) ? `${i} (no damage)` : i)).join(', ');
      flags.push(h('span', { class: 'flag flag-compromised' }, `☣ compromised: ${list}`));
    }
    const buttons = [];
    const allowed = allowedActions();
    for (const act of ASSET_ACTIONS) {
      if (!allowed.includes(act) || !assetFits(act, a)) continue;
      const cap = a.isolation_cap === undefined ? 1000 : a.isolation_cap;
      buttons.push(h('button', {
        type: 'button', class: 'small', data: { focus: `${opts.key}:${a.id}:${act}` },
        'aria-label': `${ACTIONS[act].title} ${a.id}`,
        title: act === 'isolate' ? (cap < 1000 ? `Isolating caps its service at ${pct(cap)}` : 'Isolating costs no service') : undefined,
        onclick: () => openAction(act, { asset: a.id }),
      }, ACTIONS[act].title));
    }
    return h('li', { class: `asset lvl-${lv.cls}`, data: { asset: a.id, level: a.level } },
      h('div', { class: 'asset-head' },
        h('span', { class: `sym sym-${lv.cls}`, 'aria-hidden': 'true' }, lv.sym),
        h('span', { class: 'asset-id' }, a.id),
        a.name ? h('span', { class: 'asset-name dim' }, a.name) : '',
        opts.owner ? h('span', { class: 'dim' }, ` @${a.organisation}`) : ''),
      bar(a.level, a.integrity, `${lv.word}: level ${pct(a.level)}, integrity ${pct(a.integrity)}`),
      h('div', { class: 'asset-nums' },
        h('span', { class: `lvl-word lvl-word-${lv.cls}` }, lv.word),
        ` · level ${pct(a.level)} · integrity ${pct(a.integrity)}`),
      flags.length ? h('div', { class: 'flags' }, flags) : '',
      buttons.length ? h('div', { class: 'asset-actions' }, buttons) : '');
  }

  // What the asset's plant allows (absent: intact).
  function physicalOf(a) {
    return typeof a.physical === 'number' ? a.physical : 1000;
  }

  function assetFits(act, a) {
    if (act === 'isolate') return !a.isolated;
    if (act === 'restore') return !!a.isolated;
    if (act === 'harden') return !a.hardened;
    if (act === 'repair') return physicalOf(a) < 1000;
    return true;
  }

  // Why an unfiled stage cannot be filed yet ('' when it can): it follows
  // the previous stage, or waits for its earliest time (or containment).
  function holdWords(v, d) {
    if (d.filed !== null && d.filed !== undefined) return '';
    if (d.waits_for) return `waits for: ${d.waits_for}`;
    if (d.not_before === null || d.not_before === undefined) return '';
    return `not before ${d.not_before_clock || when(v, d.not_before)}${d.or_contained ? ' (or once contained)' : ''}`;
  }

  function deadlineRows(v) {
    const rows = (v.deadlines || []).map((d) => {
      const what = `${d.regime} ${d.stage} ${d.incident}`;
      let state; let text; let rank;
      if (d.status === 'on_time') { state = 'on_time'; rank = 2; text = `filed ${d.filed_clock || when(v, d.filed)} (on time)`; }
      else if (d.status === 'late') { state = 'late'; rank = 2; text = `filed ${d.filed_clock || when(v, d.filed)} (late)`; }
      else if (d.due === null || d.due === undefined) { state = 'open'; rank = 1; text = 'no deadline yet (it starts with classification)'; }
      else if (d.status === 'overdue' || d.due < v.tick) {
        state = 'overdue'; rank = 0;
        text = `was due ${d.due_clock || when(v, d.due)} (overdue by ${durationWords((v.tick - d.due) * v.tick_seconds)})`;
      } else {
        state = 'open'; rank = 1;
        const rt = realTimeWords(d.due - v.tick);
        text = `due ${d.due_clock || when(v, d.due)} (${relative(v.tick, d.due, v.tick_seconds)}${rt ? `; ${rt}` : ''})`;
      }
      const hold = holdWords(v, d);
      if (hold && state === 'open') state = 'waiting';
      return { d, what, state, text, hold, rank, due: d.due === null || d.due === undefined ? Infinity : d.due };
    });
    rows.sort((a, b) => a.rank - b.rank || a.due - b.due);
    return rows;
  }

  const DEADLINE_SYM = { overdue: '⚠', open: '○', waiting: '◌', on_time: '✓', late: '✗' };
  const DEADLINE_WORD = { overdue: 'overdue', open: 'open', waiting: 'not yet', on_time: 'filed on time', late: 'filed late' };

  function deadlineList(v, keyPrefix) {
    const rows = deadlineRows(v);
    if (!rows.length) return emptyNote('No reports owed. They appear once your organisation detects an incident under a regime it reports under.');
    const canReport = allowedActions().includes('report');
    return h('ul', { class: 'plain deadlines' }, rows.map((r) => h('li', { class: `deadline deadline-${r.state}`, data: { state: r.state } },
      h('span', { class: 'sym', 'aria-hidden': 'true' }, DEADLINE_SYM[r.state]),
      h('span', { class: 'sr-only' }, `${DEADLINE_WORD[r.state]}: `),
      h('strong', {}, r.what), ` to ${r.d.authority} `, h('span', { class: 'when' }, r.text),
      r.hold ? h('span', { class: 'hold' }, ` · ${r.hold}`) : '',
      canReport && !r.hold && (r.state === 'open' || r.state === 'overdue') && r.d.due !== null && r.d.due !== undefined
        ? h('button', {
          type: 'button', class: 'small', data: { focus: `${keyPrefix}:${r.what}` },
          'aria-label': `File ${r.what}`,
          onclick: () => openAction('report', { regime: r.d.regime, stage: r.d.stage, incident: r.d.incident }),
        }, 'File…')
        : '')));
  }

  // What the team knows of each incident: where it was detected on assets it
  // sees in full, the indicators it holds, reports owed, messages naming it.
  function incidentFacts(v) {
    const by = new Map();
    const get = (id) => {
      if (!by.has(id)) by.set(id, { id, name: '', on: [], held: null, owed: 0, filed: 0, overdue: 0, messages: 0 });
      return by.get(id);
    };
    for (const a of (v.assets || []).concat(v.constituents || [])) for (const i of a.compromised || []) get(i).on.push(a.id);
    for (const x of v.held || []) { const f = get(x.incident); f.held = x; f.name = x.name; }
    for (const d of v.deadlines || []) {
      const f = get(d.incident);
      if (d.status === 'on_time' || d.status === 'late') f.filed += 1;
      else if (d.status === 'overdue' || (d.due !== null && d.due !== undefined && d.due < v.tick)) f.overdue += 1;
      else f.owed += 1;
    }
    for (const m of S.messages.values()) if (m.incident) get(m.incident).messages += 1;
    return [...by.values()];
  }

  function incidentList(v) {
    const list = incidentFacts(v);
    if (!list.length) return emptyNote('None yet: alerts, investigations and other teams\' messages bring them.');
    const allowed = allowedActions();
    return h('ul', { class: 'plain incidents' }, list.map((f) => {
      const bits = [];
      if (f.on.length) bits.push(`detected on ${f.on.join(', ')}`);
      if (f.overdue) bits.push(`⚠ ${plural(f.overdue, 'report')} overdue`);
      if (f.owed) bits.push(`${plural(f.owed, 'report')} owed`);
      if (f.filed) bits.push(`${f.filed} filed`);
      if (f.messages) bits.push(plural(f.messages, 'message'));
      const canShare = allowed.includes('share') && f.held && f.held.tlp !== 'TLP:RED';
      const canClassify = allowed.includes('classify') && (f.on.length || f.owed || f.filed || f.overdue);
      return h('li', { class: 'incident-item', data: { incident: f.id } },
        h('span', { class: 'incident' }, `☣ ${f.id}`), f.name && f.name !== f.id ? ` — ${f.name}` : '',
        f.held ? [' · indicators held under ', tlpBadge(f.held.tlp)] : h('span', { class: 'dim' }, ' · no indicators held'),
        bits.length ? h('div', { class: 'dim' }, bits.join(' · ')) : '',
        canShare || canClassify ? h('div', { class: 'asset-actions' },
          canShare ? h('button', { type: 'button', class: 'small', data: { focus: `inc-share:${f.id}` }, 'aria-label': `Share ${f.id}`, onclick: () => openAction('share', { incident: f.id }) }, 'Share…') : '',
          canClassify ? h('button', { type: 'button', class: 'small', data: { focus: `inc-classify:${f.id}` }, 'aria-label': `Classify ${f.id}`, onclick: () => openAction('classify', { incident: f.id }) }, 'Classify…') : '') : '');
    }));
  }

  function objectiveList(v) {
    const list = v.objectives || [];
    if (!list.length) return emptyNote('No objectives concern your team.');
    return h('ul', { class: 'plain objectives' }, list.map((o) => {
      const s = o.status || {};
      let sym; let word; let cls;
      if (s.status === 'met') { sym = '✓'; word = `met ${when(v, s.tick)}`; cls = 'ok'; }
      else if (s.status === 'missed') { sym = '✗'; word = `missed ${when(v, s.tick)}`; cls = 'bad'; }
      else { sym = '…'; word = 'pending'; cls = 'warn'; }
      return h('li', { class: `objective objective-${cls}`, data: { status: s.status || 'pending' } },
        h('span', { class: `status-word status-${cls}` }, `${sym} ${word}`), ' ',
        o.description || o.id, h('span', { class: 'dim' }, ` (${o.id})`));
    }));
  }

  function actionItem(r, compact) {
    const cls = isFailure(r) ? 'bad' : (r.fate === 'running' ? 'warn' : (r.fate === 'applied' ? 'ok' : 'muted'));
    return h('li', {
      class: `action action-${cls}${r.mine ? ' action-mine' : ''}`,
      data: { seq: r.seq, state: r.state, fate: r.fate, who: r.who, client: r.client === null ? 'bot' : r.client },
    },
    h('div', { class: 'action-head' },
      h('span', { class: `sym sym-${cls}`, 'aria-hidden': 'true' }, fateSymbol(r.fate)),
      h('span', { class: 'dim' }, ` ${r.clock} `),
      h('span', { class: r.who === 'you' ? 'who who-you' : 'who' }, r.who),
      ' ', h('span', { class: 'what' }, r.what)),
    h('div', { class: `fate fate-${cls}` }, fateWords(r)),
    compact ? '' : (r.mine && r.seq !== undefined ? h('div', { class: 'dim small-print' }, `seq ${r.seq}`) : ''));
  }

  function messageItem(m, me, opts) {
    const unread = opts && opts.unread;
    const kind = KIND_WORDS[m.kind] || m.kind;
    let from;
    if (m.sender_team && m.sender_team === me) from = h('strong', {}, 'you');
    else if (m.sender_team && m.sender_team !== m.from) from = [h('strong', {}, m.from), h('span', { class: 'dim' }, ` (${m.sender_team})`)];
    else from = h('strong', {}, m.from);
    const onlyMe = !m.to_all && (m.to || []).every((t) => t === me);
    const textEl = h('div', { class: 'msg-text' });
    textEl.textContent = m.text;
    return h('li', {
      class: `msg msg-${m.kind}${unread ? ' unread' : ''}${m.sender_team === me ? ' msg-mine' : ''}`,
      data: { tlp: m.tlp, index: m.index, kind: m.kind },
    },
    h('div', { class: 'msg-head' },
      h('span', { class: 'dim' }, m.clock), ' ',
      h('span', { class: m.kind === 'alert' ? 'kind kind-alert' : 'kind' }, kind), ' ',
      tlpBadge(m.tlp), ' ', from,
      onlyMe ? '' : h('span', { class: 'dim' }, ` → ${recipientsWords(m, me)}`),
      m.incident ? h('span', { class: 'incident' }, ` ☣ ${m.incident}`) : '',
      unread ? h('span', { class: 'new-mark' }, ' new') : ''),
    textEl);
  }

  // ---- Pages -------------------------------------------------------------

  function renderOverview() {
    const v = S.view;
    const el = pageEls.overview;
    const rows = actionRows().slice(0, 6);
    const latest = [...S.messages.values()].sort((a, b) => b.index - a.index).slice(0, 8);
    if (!changed(el, [v, rows, latest.map((m) => m.index), S.clock, allowedActions()])) return;
    const me = myId();
    const csirt = myRole() === 'csirt';
    const owners = [];
    for (const a of v.constituents || []) if (!owners.includes(a.organisation)) owners.push(a.organisation);
    const orgName = (o) => { const d = (v.directory || []).find((x) => x.organisation === o); return d ? d.organisation_name : o; };
    const outages = v.outages || [];
    const shownOutages = outages.slice(0, 12);
    const assetsCard = section(`Your assets (${(v.assets || []).length})`, 'ov-assets',
      (v.assets || []).length
        ? h('ul', { class: 'plain assets' }, v.assets.map((a) => assetItem(a, { key: 'own' })))
        : emptyNote('Your organisation has no assets in this exercise.'),
      csirt || (v.constituents || []).length
        ? [h('h3', {}, `Constituents' assets (${(v.constituents || []).length})`),
          (v.constituents || []).length
            ? owners.map((o) => [h('h4', {}, `${o}'s (${orgName(o)})`),
              h('ul', { class: 'plain assets' }, v.constituents.filter((a) => a.organisation === o).map((a) => assetItem(a, { key: 'con', owner: true })))])
            : emptyNote('None yet: a constituent\'s request for assistance lets you act on its assets.')]
        : '');
    const outageItems = (list) => list.map((o) => {
      const lv = levelWords(o.level);
      return h('li', { class: `outage lvl-${lv.cls}`, data: { asset: o.id } },
        h('span', { class: `sym sym-${lv.cls}`, 'aria-hidden': 'true' }, lv.sym), ' ',
        h('span', { class: 'asset-id' }, o.id), ` ${lv.word} ${pct(o.level)} `,
        h('span', { class: 'dim' }, `${o.name ? o.name + ' — ' : ''}${o.organisation}, ${o.sector}`));
    });
    const outagesCard = section(`Outages elsewhere (${outages.length})`, 'ov-outages',
      outages.length ? h('ul', { class: 'plain outages' }, outageItems(shownOutages)) : emptyNote('None: every other organisation\'s asset is at full service.'),
      outages.length > shownOutages.length
        ? h('details', { class: 'more' }, h('summary', {}, `${outages.length - shownOutages.length} more`),
          h('ul', { class: 'plain outages' }, outageItems(outages.slice(shownOutages.length))))
        : '');
    const pending = v.pending || [];
    const deadlinesCard = section(`Reports owed (${(v.deadlines || []).length})`, 'ov-deadlines', deadlineList(v, 'ov-dl'));
    const pendingCard = section(`In progress (${pending.length}) · staff ${Math.max(0, v.staff - v.busy)} of ${v.staff} free`, 'ov-pending',
      pending.length
        ? h('ul', { class: 'plain' }, pending.map((p) => h('li', {},
          h('span', { class: 'sym sym-warn', 'aria-hidden': 'true' }, '◷'), ' ', describeCommand(p.command),
          h('span', { class: 'dim' }, ` — lands ${p.finish_clock || when(v, p.finish)} (${relative(v.tick, p.finish, v.tick_seconds)}), ${plural(p.staff, 'staff', 'staff')}`))))
        : emptyNote('Nothing running.'));
    const actionsCard = section('Latest actions', 'ov-actions',
      rows.length ? h('ol', { class: 'plain actions', id: 'latest-actions' }, rows.map((r) => actionItem(r, true))) : emptyNote('No actions yet: the Act page (8 or :) has every action you may take.'),
      h('p', {}, h('button', { type: 'button', class: 'linklike', data: { focus: 'ov-all-actions' }, onclick: () => show('actions', 'panel') }, 'All my actions (2)')));
    const messagesCard = section('Latest messages', 'ov-messages',
      latest.length ? h('ol', { class: 'plain messages compact' }, latest.map((m) => messageItem(m, me))) : emptyNote('No messages yet.'));
    const sectors = (v.service && v.service.sectors) || [];
    const serviceCard = section('Service by sector (public figures)', 'ov-service',
      h('ul', { class: 'plain sectors' }, sectors.map((s) => {
        const pm = s.population > 0 ? Math.floor((s.served * 1000) / s.population) : 1000;
        const lv = levelWords(pm);
        return h('li', { class: 'sector' }, h('span', { class: 'sector-name' }, s.id),
          bar(pm, pm, `${s.id}: ${pct(pm)} served`),
          h('span', { class: 'sector-num' }, `${lv.sym} ${pct(pm)}`));
      })));
    const objectivesCard = section(`Objectives (${(v.objectives || []).length})`, 'ov-objectives', objectiveList(v));
    const incidentsCard = section(`Incidents known (${incidentFacts(v).length})`, 'ov-incidents', incidentList(v));
    replace(el,
      h('h1', { class: 'sr-only' }, 'Overview'),
      h('div', { class: 'overview-grid' },
        h('div', { class: 'col' }, assetsCard, outagesCard),
        h('div', { class: 'col' }, incidentsCard, deadlinesCard, pendingCard, actionsCard),
        h('div', { class: 'col' }, messagesCard, objectivesCard, serviceCard)));
  }

  function filterBox(id, label, onInput, value) {
    return h('div', { class: 'filter' },
      h('label', { for: id }, label),
      h('input', { id, type: 'search', value: value || '', autocomplete: 'off', spellcheck: 'false', oninput: onInput, 'data-filter': 'true' }));
  }

  const filters = { actions: '', actionsWhich: 'all', inbox: '', teams: '' };

  function renderActionsPage() {
    const el = pageEls.actions;
    if (!el._built) {
      el._built = true;
      const which = h('fieldset', { class: 'inline-radios' }, h('legend', {}, 'Show'),
        ['all', 'mine', 'failures'].map((w) => h('label', {},
          h('input', { type: 'radio', name: 'actions-which', id: `actions-which-${w}`, value: w, checked: filters.actionsWhich === w,
            onchange: () => { filters.actionsWhich = w; el.querySelector('ol')._sig = undefined; scheduleRender(); } }),
          { all: ' every action of the team', mine: ' this browser\'s', failures: ' refused or failed' }[w])));
      append(el, [
        h('h1', { id: 'actions-title' }, 'My actions'),
        h('p', { class: 'dim' }, 'Every command your team gave — from any analyst\'s browser or terminal, and its bot\'s orders while it played — with its fate. Newest first.'),
        h('div', { class: 'toolbar' }, which,
          filterBox('actions-filter', 'Filter', (e) => { filters.actions = e.target.value; scheduleRender(); })),
        h('p', { id: 'actions-count', class: 'dim' }),
        h('ol', { id: 'actions', class: 'plain actions', 'aria-labelledby': 'actions-title' }),
      ]);
    }
    let rows = actionRows();
    const total = rows.length;
    if (filters.actionsWhich === 'mine') rows = rows.filter((r) => r.mine);
    if (filters.actionsWhich === 'failures') rows = rows.filter(isFailure);
    const f = filters.actions.trim().toLowerCase();
    if (f) rows = rows.filter((r) => `${r.what} ${r.who} ${fateWords(r)}`.toLowerCase().includes(f));
    const list = $('actions');
    if (!changed(list, [rows, S.view.tick, S.clock.running])) return;
    const fails = rows.filter(isFailure).length;
    $('actions-count').textContent = `${plural(rows.length, 'action')} shown of ${total}${fails ? ` · ✗ ${fails} refused or failed` : ''}`;
    replace(list, rows.length ? rows.map((r) => actionItem(r, false)) : h('li', { class: 'empty' }, total ? 'Nothing matches.' : 'No actions yet: the Act page (8 or :) has every action you may take.'));
  }

  function renderInbox() {
    const el = pageEls.inbox;
    if (!el._built) {
      el._built = true;
      append(el, [
        h('h1', { id: 'inbox-title' }, 'Inbox'),
        h('p', { class: 'dim' }, 'Exercise control\'s injects, alerts and the results of your actions, newest first. Team-to-team messages are under Conversations (4).'),
        h('div', { class: 'toolbar' }, filterBox('inbox-filter', 'Filter', (e) => { filters.inbox = e.target.value; scheduleRender(); })),
        h('ol', { id: 'inbox', class: 'plain messages', 'aria-labelledby': 'inbox-title' }),
      ]);
    }
    const me = myId();
    let list = inbox();
    const f = filters.inbox.trim().toLowerCase();
    if (f) list = list.filter((m) => `${m.from} ${m.kind} ${m.tlp} ${m.text} ${m.incident || ''}`.toLowerCase().includes(f));
    const mark = (S.openMarks || S.read).inbox;
    const ol = $('inbox');
    if (!changed(ol, [list.map((m) => m.index), mark, f])) return;
    replace(ol, list.length ? list.map((m) => messageItem(m, me, { unread: m.index > mark })) : h('li', { class: 'empty' }, f ? 'Nothing matches.' : 'Nothing from exercise control yet.'));
  }

  function renderTalk() {
    const el = pageEls.talk;
    const me = myId();
    if (!el._built) {
      el._built = true;
      append(el, [
        h('h1', {}, 'Conversations'),
        h('div', { class: 'talk-grid' },
          h('nav', { class: 'card thread-list', 'aria-label': 'Conversations' }, h('h2', { id: 'threads-h' }, 'With'), h('ul', { id: 'threads', class: 'plain' })),
          h('section', { class: 'card thread', 'aria-labelledby': 'thread-title' },
            h('h2', { id: 'thread-title' }, 'Thread'),
            h('ol', { id: 'thread', class: 'plain messages' }),
            buildReplyForm())),
      ]);
    }
    const list = threads();
    const t = selectedThread(list);
    const ul = $('threads');
    if (changed(ul, [list.map((x) => [x.key, x.messages.length, x.unread]), t && t.key])) {
      replace(ul, list.length ? list.map((x) => h('li', {},
        h('button', {
          type: 'button', class: `thread-button${t && x.key === t.key ? ' current' : ''}`,
          'aria-current': t && x.key === t.key ? 'true' : undefined, data: { focus: `thread:${x.key}`, thread: x.key },
          onclick: () => { S.thread = x.key; S.openMarks = JSON.parse(JSON.stringify(S.read)); scheduleRender(); },
        }, h('span', { class: 'thread-key' }, x.key), h('span', { class: 'dim' }, ` (${x.messages.length})`),
        x.unread ? h('span', { class: 'new-mark' }, ` •${x.unread} new`) : ''))) : h('li', { class: 'empty' }, 'No conversations yet.'));
    }
    const ol = $('thread');
    const title = $('thread-title');
    if (!t) {
      title.textContent = 'Thread';
      if (changed(ol, 'none')) {
        replace(ol, h('li', { class: 'empty' }, 'Messages between teams show here, one thread per team. Start one from the Directory (6) or the Act page (8): Message, or Share.'));
      }
    } else {
      const d = dirEntry(t.key);
      title.textContent = t.key === ALL_TEAMS ? 'All teams: statements and messages to every team' : (d ? `${t.key} — ${d.name}, ${roleWords(d.role)}` : t.key);
      const mark = (S.openMarks || S.read).threads[t.key];
      if (changed(ol, [t.key, t.messages.map((m) => m.index)])) {
        const atBottom = ol.scrollHeight - ol.scrollTop - ol.clientHeight < 30;
        replace(ol, t.messages.map((m) => messageItem(m, me, { unread: m.sender_team !== me && (mark === undefined || m.index > mark) })));
        if (atBottom || ol._key !== t.key) ol.scrollTop = ol.scrollHeight;
        ol._key = t.key;
      }
    }
    updateReplyForm(t);
  }

  function renderBrief() {
    const v = S.view;
    const el = pageEls.brief;
    if (!changed(el, [v.brief, v.expected, v.objectives, v.deadlines, v.regimes, v.human, v.tick, (v.directory || []).length])) return;
    const me = dirEntry(v.team);
    const parts = [h('h1', {}, `Brief — ${me ? me.name : v.team}`)];
    if (!human()) {
      parts.push(h('p', { class: 'notice notice-bot' }, '⚙ Your team is played by its bot until your first command. ',
        h('button', { type: 'button', data: { focus: 'brief-takeover' }, onclick: () => sendTakeover() }, 'Take over from the bot')));
    }
    if (me) {
      parts.push(h('p', {}, 'You are ', h('strong', {}, me.name), ` (${me.id}), ${roleWords(me.role)} of ${me.organisation_name}`,
        me.sector ? `, sector ${me.sector}` : '', '.'));
    }
    const brief = h('div', { class: 'brief-text' });
    if ((v.brief || '').trim()) {
      for (const p of v.brief.split(/\n+/)) brief.appendChild(h('p', {}, p));
    } else brief.appendChild(emptyNote('(the scenario gives your team no brief)'));
    parts.push(brief);
    const expected = (v.expected || []).slice().reverse();
    parts.push(section(`Expected of you (${expected.length})`, 'brief-expected',
      expected.length ? h('ol', { class: 'plain expected' }, expected.map((e) => h('li', {},
        h('strong', {}, e.clock), h('span', { class: 'dim' }, ` (${relative(v.tick, e.tick, v.tick_seconds)}) from ${e.from}: `), e.expected_action)))
        : emptyNote('Nothing yet: exercise control\'s injects that expect an action show here.')));
    parts.push(section(`Objectives (${(v.objectives || []).length})`, 'brief-objectives', objectiveList(v)));
    parts.push(section(`Reports owed (${(v.deadlines || []).length})`, 'brief-deadlines', deadlineList(v, 'brief-dl')));
    if ((v.regimes || []).length) {
      parts.push(section('Reporting regimes', 'brief-regimes', h('ul', { class: 'plain' }, v.regimes.map((r) => h('li', {},
        h('strong', {}, r.id), ` — ${r.name} (to ${r.authority}${r.personal_data_only ? ', personal data only' : ''}; `,
        r.applies ? h('span', { class: 'status-ok' }, 'you report under it') : h('span', { class: 'dim' }, 'not for your organisation'), '): ',
        h('span', { class: 'dim' }, r.stages.join(' → ')))))));
    }
    replace(el, ...parts);
  }

  function renderTeams() {
    const v = S.view;
    const el = pageEls.teams;
    if (!el._built) {
      el._built = true;
      append(el, [
        h('h1', { id: 'teams-title' }, 'Directory'),
        h('p', { id: 'teams-count', class: 'dim' }),
        h('div', { class: 'toolbar' }, filterBox('teams-filter', 'Filter', (e) => { filters.teams = e.target.value; scheduleRender(); })),
        h('div', { class: 'table-wrap' }, h('table', { class: 'directory', 'aria-labelledby': 'teams-title' },
          h('thead', {}, h('tr', {}, ['Played by', 'Team', 'Name', 'Organisation', 'Role', 'Sector', 'Constituency', ''].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', { id: 'directory' }))),
      ]);
    }
    const me = v.team;
    const f = filters.teams.trim().toLowerCase();
    let list = v.directory || [];
    if (f) list = list.filter((d) => `${d.id} ${d.name} ${d.organisation_name} ${d.role} ${d.sector || ''} ${(d.constituency || []).join(' ')}`.toLowerCase().includes(f));
    const people = (v.directory || []).filter((d) => (v.humans || []).includes(d.id)).length;
    $('teams-count').textContent = `${plural((v.directory || []).length, 'team')}, ${people} played by people now.`;
    const tb = $('directory');
    if (!changed(tb, [list, v.humans, f])) return;
    const canMessage = allowedActions().includes('message');
    replace(tb, list.length ? list.map((d) => {
      const humanNow = (v.humans || []).includes(d.id);
      return h('tr', { class: d.id === me ? 'me' : '', data: { team: d.id } },
        h('td', { class: humanNow ? 'status-ok' : 'dim' }, humanNow ? '◉ people' : '⚙ bot'),
        h('td', {}, h('strong', {}, d.id), d.id === me ? ' (you)' : ''),
        h('td', {}, d.name),
        h('td', {}, d.organisation_name),
        h('td', {}, roleWords(d.role)),
        h('td', {}, d.sector || '—'),
        h('td', { class: 'dim' }, (d.constituency || []).length ? d.constituency.join(', ') : '—'),
        h('td', {}, d.id !== me && canMessage ? h('button', {
          type: 'button', class: 'small', data: { focus: `dir:${d.id}` }, 'aria-label': `Message ${d.id}`,
          onclick: () => openAction('message', { to: [d.id] }),
        }, 'Message…') : ''));
    }) : h('tr', {}, h('td', { colspan: '8', class: 'empty' }, 'Nothing matches.')));
  }

  function renderIndicators() {
    const v = S.view;
    const el = pageEls.iocs;
    if (!changed(el, [v.held, v.indicators, v.tick])) return;
    const parts = [h('h1', {}, `Indicators held (${Math.max((v.held || []).length, (v.indicators || []).length)})`)];
    if (!(v.held || []).length && !(v.indicators || []).length) {
      parts.push(emptyNote('No indicators yet: investigate your assets, or wait for a team to share its own. Then pass them on with Share (Act page).'));
    }
    const canShare = allowedActions().includes('share');
    for (const x of v.held || []) {
      const rule = {
        'TLP:RED': 'received under TLP:RED: they may not be passed on',
        'TLP:AMBER+STRICT': 'share them only within your organisation, under TLP:AMBER+STRICT or TLP:RED',
        'TLP:AMBER': 'share them only with your organisation and its constituency, under TLP:AMBER or stricter',
      }[x.tlp] || `share under ${x.tlp} or stricter`;
      parts.push(h('section', { class: 'card ioc', data: { incident: x.incident, tlp: x.tlp } },
        h('h2', {}, h('span', { class: 'incident' }, `☣ ${x.incident}`), x.name && x.name !== x.incident ? ` — ${x.name}` : '', ' ', tlpBadge(x.tlp)),
        h('p', { class: 'dim' }, `since ${x.since_clock} (${relative(v.tick, x.since, v.tick_seconds)}) from ${x.source} · ${rule}`),
        (x.values || []).length
          ? h('div', { class: 'table-wrap' }, h('table', { class: 'iocs' },
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Kind'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, 'Comment'))),
            h('tbody', {}, x.values.map((val) => h('tr', {}, h('td', {}, String(val.kind).toLowerCase()), h('td', { class: 'mono' }, val.value), h('td', { class: 'dim' }, val.comment || ''))))))
          : emptyNote('(the scenario gives no values for it)'),
        canShare && x.tlp !== 'TLP:RED'
          ? h('button', { type: 'button', class: 'small', data: { focus: `ioc:${x.incident}` }, onclick: () => openAction('share', { incident: x.incident }) }, `Share ${x.incident}…`)
          : ''));
    }
    for (const i of (v.indicators || []).filter((id) => !(v.held || []).some((x) => x.incident === id))) {
      parts.push(h('p', {}, h('span', { class: 'incident' }, `☣ ${i}`)));
    }
    replace(el, ...parts);
  }

  // ---- The Act page and its forms ----------------------------------------

  const forms = {}; // action -> { form, refresh(), result }

  function renderAct() {
    const el = pageEls.act;
    if (!el._built) buildAct(el);
    const allowed = allowedActions();
    if (!allowed.includes(S.act)) S.act = allowed.includes('message') ? 'message' : allowed[0];
    const nav = $('act-nav');
    if (changed(nav, [allowed, S.act])) {
      replace(nav, allowed.map((a) => h('li', {}, h('button', {
        type: 'button', id: `act-${a}`, class: `act-button${a === S.act ? ' current' : ''}`, data: { focus: `act:${a}`, action: a },
        'aria-current': a === S.act ? 'true' : undefined, 'aria-controls': `form-${a}`,
        onclick: () => { selectAction(a, true); },
      }, ACTIONS[a].title))));
    }
    for (const a of ACTION_ORDER) forms[a].section.hidden = a !== S.act;
    const side = $('act-side');
    const rows = actionRows().slice(0, 8);
    if (changed(side, [rows, S.view.tick])) {
      replace(side, h('h2', {}, 'Latest actions'),
        rows.length ? h('ol', { class: 'plain actions' }, rows.map((r) => actionItem(r, true))) : emptyNote('None yet.'),
        h('h2', {}, 'Reports owed'), deadlineList(S.view, 'act-dl'));
    }
  }

  function buildAct(el) {
    el._built = true;
    const main = h('div', { class: 'act-forms' });
    for (const a of ACTION_ORDER) main.appendChild(forms[a].section);
    append(el, [
      h('h1', {}, 'Act'),
      h('p', { class: 'dim' }, 'Only the actions your team may take, with the ids it knows. The host still checks each one; its answer shows under the form and in My actions (2).'),
      h('p', { class: 'notice notice-bot', id: 'act-ended', hidden: true }, '■ The exercise has ended: the host refuses new commands.'),
      h('div', { class: 'act-grid' },
        h('nav', { class: 'card act-nav-card', 'aria-label': 'Actions' }, h('h2', {}, 'Actions'), h('ul', { id: 'act-nav', class: 'plain' })),
        main,
        h('aside', { id: 'act-side', class: 'card act-side', 'aria-label': 'Latest actions and reports owed' })),
    ]);
  }

  function selectAction(a, focus) {
    S.act = a;
    if (S.page !== 'act') show('act');
    else render();
    if (focus) {
      const f = forms[a] && forms[a].form;
      const first = f && [...f.querySelectorAll('input, select, textarea, button')].find((x) => !x.disabled && x.offsetParent !== null && x.type !== 'hidden');
      if (first) first.focus();
    }
  }

  // Opens an action's form, filled in.
  function openAction(a, prefill) {
    if (!allowedActions().includes(a)) {
      S.lastResult = { text: `your team cannot ${a.replace(/_/g, ' ')} now`, tone: 'bad' };
      renderLastResult();
      return;
    }
    S.act = a;
    show('act');
    const f = forms[a];
    f.refresh();
    if (prefill) f.fill(prefill);
    selectAction(a, true);
  }

  function formShell(action, ...fields) {
    const resultId = `${action}-result`;
    const form = h('form', { id: `form-${action}`, class: 'act-form', novalidate: true, autocomplete: 'off', 'aria-describedby': `${action}-help` },
      h('p', { id: `${action}-help`, class: 'dim' }, ACTIONS[action].help),
      ...fields,
      h('div', { class: 'form-error', id: `${action}-error`, role: 'alert' }),
      h('div', { class: 'form-buttons' }, h('button', { type: 'submit', id: `${action}-submit`, class: 'primary' }, submitWords(action))),
      h('div', { class: 'form-result', id: resultId, 'aria-live': 'polite' }));
    const sectionEl = h('section', { class: 'card act-section', 'aria-labelledby': `${action}-title`, hidden: true },
      h('h2', { id: `${action}-title` }, ACTIONS[action].title), form);
    return { form, section: sectionEl, result: form.querySelector(`#${resultId}`), error: form.querySelector(`#${action}-error`) };
  }

  function submitWords(a) {
    return {
      investigate: 'Investigate', isolate: 'Isolate', restore: 'Restore', harden: 'Harden', repair: 'Repair', share: 'Share',
      report: 'File the report', classify: 'Classify', request_assistance: 'Request assistance',
      activate_piu: 'Activate the PIU', set_piu_level: 'Set the level', public_statement: 'Publish the statement',
      message: 'Send the message', takeover: 'Take over',
    }[a];
  }

  // A <select> whose options are refreshed without losing the choice.
  function fillSelect(select, groups, placeholder) {
    const sig = JSON.stringify([groups, placeholder]);
    if (select._sig === sig) return;
    select._sig = sig;
    const keep = select.value;
    clear(select);
    if (placeholder) select.appendChild(h('option', { value: '' }, placeholder));
    let any = false;
    for (const g of groups) {
      if (!g.options.length) continue;
      const parent = g.label ? h('optgroup', { label: g.label }) : select;
      for (const o of g.options) {
        parent.appendChild(h('option', { value: o.value, disabled: !!o.disabled }, o.text));
        if (!o.disabled) any = true;
      }
      if (parent !== select) select.appendChild(parent);
    }
    if ([...select.options].some((o) => o.value === keep && !o.disabled)) select.value = keep;
    else if (!placeholder) {
      const first = [...select.options].find((o) => !o.disabled);
      if (first) select.value = first.value;
    }
    select.disabled = !any;
  }

  function field(id, label, control, hint) {
    return h('div', { class: 'field' }, h('label', { for: id }, label), control,
      hint ? h('div', { class: 'hint', id: `${id}-hint` }, hint) : '');
  }

  function textArea(id, required) {
    const ta = h('textarea', { id, name: 'text', rows: '4', maxlength: String(MAX_TEXT), spellcheck: 'true', required, 'aria-describedby': `${id}-count` });
    const count = h('div', { class: 'hint', id: `${id}-count`, 'aria-live': 'off' }, `0 / ${MAX_TEXT} characters`);
    ta.addEventListener('input', () => { count.textContent = `${[...ta.value].length} / ${MAX_TEXT} characters`; });
    ta._count = count;
    return [ta, count];
  }

  // A TLP chooser: radio buttons with the label in its colours and in words.
  function tlpPicker(prefix, def) {
    const fs = h('fieldset', { class: 'tlp-picker', id: `${prefix}-tlp` }, h('legend', {}, 'TLP label'));
    for (const t of TLPS.slice().reverse()) {
      const id = `${prefix}-tlp-${TLP_SLUG[t]}`;
      fs.appendChild(h('label', { class: 'tlp-choice', for: id, data: { tlp: t } },
        h('input', { type: 'radio', name: `${prefix}-tlp`, id, value: t, checked: t === def }),
        ' ', tlpBadge(t), h('span', { class: 'tlp-why' }, '')));
    }
    const audience = h('div', { class: 'hint', id: `${prefix}-tlp-audience` });
    const update = () => {
      const v = pickedTlp(fs);
      audience.textContent = v ? `${v} reaches ${TLP_AUDIENCE[v]}.` : '';
    };
    fs.addEventListener('change', update);
    fs._update = update;
    update();
    return [fs, audience];
  }

  const pickedTlp = (fs) => { const r = fs.querySelector('input[type=radio]:checked'); return r ? r.value : ''; };

  // Recipient checkboxes with a filter; `allowed(d)` may disable some (with a reason).
  function recipientPicker(prefix) {
    const list = h('ul', { class: 'plain recipients', id: `${prefix}-to-list` });
    const summary = h('div', { class: 'hint', id: `${prefix}-to-summary` }, 'No team chosen yet.');
    const filterInput = h('input', { type: 'search', id: `${prefix}-to-filter`, autocomplete: 'off', spellcheck: 'false', placeholder: 'type to filter', 'aria-controls': `${prefix}-to-list` });
    const fs = h('fieldset', { class: 'recipients-picker', id: `${prefix}-to` },
      h('legend', {}, 'To'),
      h('div', { class: 'picker-tools' },
        h('label', { for: `${prefix}-to-filter` }, 'Filter teams'), filterInput,
        h('span', { class: 'quick', role: 'group', 'aria-label': 'Add a group of teams' },
          h('button', { type: 'button', class: 'small', id: `${prefix}-to-csirts`, onclick: () => addGroup((d) => normRole(d.role) === 'csirt') }, '+ CSIRTs'),
          h('button', { type: 'button', class: 'small', id: `${prefix}-to-org`, onclick: () => addGroup((d) => S.view && d.organisation === S.view.organisation) }, '+ my organisation'),
          h('button', { type: 'button', class: 'small', id: `${prefix}-to-constituency`, onclick: () => addGroup((d) => { const me = dirEntry(myId()); return !!me && (me.constituency || []).includes(d.organisation); }) }, '+ my constituency')),
        h('button', { type: 'button', class: 'small', id: `${prefix}-to-clear`, onclick: () => { for (const c of list.querySelectorAll('input:checked')) c.checked = false; update(); } }, 'Clear')),
      list, summary);
    const update = () => {
      const chosen = [...list.querySelectorAll('input:checked')].map((c) => c.value);
      summary.textContent = chosen.length ? `${plural(chosen.length, 'team')} chosen: ${chosen.join(', ')}` : 'No team chosen yet.';
    };
    filterInput.addEventListener('input', () => {
      const f = filterInput.value.trim().toLowerCase();
      for (const li of list.children) li.hidden = f !== '' && !li.dataset.search.includes(f);
    });
    list.addEventListener('change', update);
    // Adds every team of a group that may be chosen, and says how many.
    const addGroup = (test) => {
      let n = 0;
      for (const c of list.querySelectorAll('input')) {
        const d = dirEntry(c.value);
        if (d && test(d) && !c.disabled && !c.checked) { c.checked = true; n += 1; }
      }
      update();
      summary.dataset.added = String(n);
      if (!n) summary.textContent += ' (no team of that group to add)';
    };
    const picker = {
      fs,
      chosen: () => [...list.querySelectorAll('input:checked')].map((c) => c.value),
      set(ids) { for (const c of list.querySelectorAll('input')) c.checked = ids.includes(c.value) && !c.disabled; update(); },
      refresh(teams, allowed) {
        const sig = JSON.stringify(teams.map((d) => [d.id, d.name, d.role, allowed ? allowed(d) : true]));
        if (list._sig === sig) return;
        list._sig = sig;
        const keep = new Set(picker.chosen());
        const focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement.value : null;
        clear(list);
        for (const d of teams) {
          const ok = allowed ? allowed(d) : true;
          const id = `${prefix}-to-${d.id}`;
          const box = h('input', { type: 'checkbox', id, name: 'to', value: d.id, disabled: ok !== true, checked: ok === true && keep.has(d.id) });
          list.appendChild(h('li', { data: { search: `${d.id} ${d.name} ${roleWords(d.role)} ${d.organisation_name}`.toLowerCase() } },
            h('label', { for: id, class: ok === true ? '' : 'disabled' }, box, ' ', h('strong', {}, d.id), ` — ${d.name} `,
              h('span', { class: 'dim' }, `(${roleWords(d.role)})`), ok === true ? '' : h('span', { class: 'why' }, ` — ${ok}`))));
          if (focused === d.id) box.focus();
        }
        filterInput.dispatchEvent(new Event('input'));
        update();
      },
    };
    return picker;
  }

  function buildForms() {
    // Asset actions.
    const NO_ASSET = {
      isolate: 'No asset you may isolate now (those you act on are isolated already).',
      restore: 'Nothing to restore: restoring needs the asset isolated first.',
      harden: 'Every asset you act on is hardened already.',
      repair: 'Nothing to repair: none of your assets has physical damage.',
      investigate: 'No asset you may act on.',
    };
    for (const a of ASSET_ACTIONS) {
      const select = h('select', { id: `${a}-asset`, name: 'asset', required: true, 'aria-describedby': `${a}-asset-hint` });
      const hint = h('div', { class: 'hint', id: `${a}-asset-hint` });
      const shell = formShell(a, field(`${a}-asset`, 'Asset', select), hint);
      forms[a] = Object.assign(shell, {
        refresh() {
          const assets = actionableAssets().filter((x) => assetFits(a, x.a));
          const groups = [];
          for (const x of assets) {
            let g = groups.find((y) => y.label === x.group);
            if (!g) { g = { label: x.group, options: [] }; groups.push(g); }
            const lv = levelWords(x.a.level);
            const bits = [`${lv.sym} ${lv.word} ${pct(x.a.level)}`];
            if (x.full) {
              if (x.a.isolated) bits.push('⊘ isolated');
              if (x.a.hardened) bits.push('⚒ hardened');
              if ((x.a.compromised || []).length) bits.push(`☣ ${x.a.compromised.join(',')}`);
            }
            g.options.push({ value: x.a.id, text: `${x.a.id} — ${x.a.name || x.a.organisation} (${bits.join(', ')})` });
          }
          fillSelect(select, groups);
          const text = assets.length ? `Your team has ${S.view.staff - S.view.busy} of ${S.view.staff} staff free.` : NO_ASSET[a];
          if (hint.textContent !== text) hint.textContent = text;
        },
        fill(p) { if (p.asset) select.value = p.asset; },
        build() {
          if (!select.value) return { error: 'Choose an asset.' };
          return { command: { action: a, asset: select.value } };
        },
        reset() {},
      });
    }

    // Message.
    {
      const to = recipientPicker('message');
      const [tlp, audience] = tlpPicker('message', 'TLP:RED');
      const [ta, count] = textArea('message-text', true);
      const shell = formShell('message', to.fs, tlp, audience, field('message-text', 'Text', ta), count);
      forms.message = Object.assign(shell, {
        refresh() { to.refresh(otherTeams()); },
        fill(p) { if (p.to) to.set(p.to); if (p.tlp) setTlp(tlp, p.tlp); if (p.text) ta.value = p.text; },
        build() {
          const ids = to.chosen();
          const text = ta.value;
          if (!ids.length) return { error: 'Choose at least one team.' };
          if (!text.trim()) return { error: 'Write the message.' };
          if ([...text].length > MAX_TEXT) return { error: `At most ${MAX_TEXT} characters.` };
          return { command: { action: 'message', to: ids, text, tlp: pickedTlp(tlp) || 'TLP:RED' } };
        },
        reset() { ta.value = ''; ta.dispatchEvent(new Event('input')); },
      });
    }

    // Share.
    {
      const to = recipientPicker('share');
      const incident = h('select', { id: 'share-incident', name: 'incident' });
      const [tlp, audience] = tlpPicker('share', 'TLP:AMBER');
      const [ta, count] = textArea('share-text', false);
      const rule = h('div', { class: 'hint', id: 'share-rule' });
      const shell = formShell('share',
        field('share-incident', 'Indicators of', incident, ''), rule, to.fs, tlp, audience,
        field('share-text', 'Text (required when no incident is chosen)', ta), count);
      const heldOf = (id) => (S.view && S.view.held || []).find((x) => x.incident === id);
      const applyRules = () => {
        const held = heldOf(incident.value);
        const v = S.view;
        const myOrg = v ? v.organisation : '';
        const me = dirEntry(myId());
        const constituency = me ? me.constituency || [] : [];
        let allowed = null;
        if (held && held.tlp === 'TLP:AMBER+STRICT') {
          allowed = (d) => (d.organisation === myOrg ? true : 'outside your organisation (indicators received under TLP:AMBER+STRICT)');
        } else if (held && held.tlp === 'TLP:AMBER') {
          allowed = (d) => (d.organisation === myOrg || constituency.includes(d.organisation) ? true : 'outside your organisation and its constituency (indicators received under TLP:AMBER)');
        }
        to.refresh(otherTeams(), allowed);
        const floor = held ? TLPS.indexOf(held.tlp) : 0;
        for (const input of tlp.querySelectorAll('input')) {
          const ok = TLPS.indexOf(input.value) >= floor;
          input.disabled = !ok;
          const why = input.parentElement.querySelector('.tlp-why');
          why.textContent = ok ? '' : ` — less restrictive than ${held.tlp}, under which you received them`;
          if (!ok && input.checked) input.checked = false;
        }
        if (!pickedTlp(tlp)) {
          const first = [...tlp.querySelectorAll('input')].reverse().find((i) => !i.disabled && TLPS.indexOf(i.value) >= Math.max(floor, TLPS.indexOf('TLP:AMBER')));
          const any = first || [...tlp.querySelectorAll('input')].reverse().find((i) => !i.disabled);
          if (any) any.checked = true;
        }
        tlp._update();
        if (!held) rule.textContent = 'Text only: no indicators are passed on.';
        else rule.textContent = `You received them under ${held.tlp} (${held.source}): ${{
          'TLP:AMBER+STRICT': 'only to teams of your own organisation, under TLP:AMBER+STRICT or TLP:RED.',
          'TLP:AMBER': 'only to your organisation and its constituency, under TLP:AMBER or stricter.',
        }[held.tlp] || `to anyone, under ${held.tlp} or stricter.`}`;
      };
      incident.addEventListener('change', () => { incident._touched = true; applyRules(); });
      forms.share = Object.assign(shell, {
        refresh() {
          const held = (S.view && S.view.held || []);
          fillSelect(incident, [
            { label: '', options: [{ value: '', text: '— none: text only' }] },
            { label: 'Indicators you hold', options: held.map((x) => ({
              value: x.incident, disabled: x.tlp === 'TLP:RED',
              text: `${x.incident} — ${x.name} (held under ${x.tlp}${x.tlp === 'TLP:RED' ? ': may not be passed on' : ''})`,
            })) },
          ]);
          incident.disabled = false;
          if (!incident._touched && !incident.value) {
            const first = held.find((x) => x.tlp !== 'TLP:RED');
            if (first) incident.value = first.incident;
          }
          applyRules();
        },
        fill(p) {
          if (p.incident !== undefined) { incident.value = p.incident; incident._touched = true; }
          applyRules();
          if (p.to) to.set(p.to);
          if (p.tlp) setTlp(tlp, p.tlp);
        },
        build() {
          const ids = to.chosen();
          const inc = incident.value || null;
          const text = ta.value;
          if (!ids.length) return { error: 'Choose at least one team.' };
          if (!inc && !text.trim()) return { error: 'Choose an incident whose indicators you hold, or write some text.' };
          if ([...text].length > MAX_TEXT) return { error: `At most ${MAX_TEXT} characters.` };
          const t = pickedTlp(tlp);
          if (!t) return { error: 'Choose a TLP label.' };
          const cmd = { action: 'share', to: ids, tlp: t, text };
          if (inc) cmd.incident = inc;
          return { command: cmd };
        },
        reset() { ta.value = ''; ta.dispatchEvent(new Event('input')); },
      });
    }

    // Report.
    {
      const regime = h('select', { id: 'report-regime', name: 'regime' });
      const stage = h('select', { id: 'report-stage', name: 'stage' });
      const incident = h('select', { id: 'report-incident', name: 'incident' });
      const note = h('div', { class: 'hint', id: 'report-note' });
      const shell = formShell('report', field('report-regime', 'Regime', regime), field('report-stage', 'Stage', stage),
        field('report-incident', 'Incident', incident), note);
      const owed = () => (S.view && S.view.deadlines || []);
      const refreshStages = () => {
        const v = S.view;
        const r = (v && v.regimes || []).find((x) => x.id === regime.value);
        const stages = r ? r.stages : [...new Set(owed().filter((d) => d.regime === regime.value).map((d) => d.stage))];
        fillSelect(stage, [{ label: '', options: stages.map((s) => {
          const ds = owed().filter((d) => d.regime === regime.value && d.stage === s);
          const open = ds.filter((d) => d.status === 'open' || d.status === 'overdue');
          return { value: s, text: `${s}${ds.length ? ` (${open.length} owed)` : ''}` };
        }) }]);
        refreshIncidents();
      };
      const refreshIncidents = () => {
        const v = S.view;
        const ds = owed().filter((d) => d.regime === regime.value && d.stage === stage.value);
        fillSelect(incident, [{ label: '', options: ds.map((d) => {
          const filed = d.status === 'on_time' || d.status === 'late';
          let due = '';
          if (filed) due = `filed ${d.filed_clock || ''}`;
          else if (d.due === null || d.due === undefined) due = 'no deadline yet';
          else due = `${d.due < v.tick || d.status === 'overdue' ? 'overdue, was due' : 'due'} ${d.due_clock || when(v, d.due)}`;
          const hold = holdWords(v, d);
          return { value: d.incident, disabled: filed, text: `${d.incident} (${due}${hold ? `; ${hold}` : ''})` };
        }) }]);
        note.textContent = ds.length ? '' : 'Nothing to report under this stage: a report is owed once your organisation is aware of an incident under a regime it reports under.';
      };
      regime.addEventListener('change', refreshStages);
      stage.addEventListener('change', refreshIncidents);
      forms.report = Object.assign(shell, {
        refresh() {
          const v = S.view;
          const regimes = (v && v.regimes || []).filter((r) => r.applies);
          const extra = [...new Set(owed().map((d) => d.regime))].filter((id) => !regimes.some((r) => r.id === id));
          fillSelect(regime, [{ label: '', options: regimes.map((r) => ({ value: r.id, text: `${r.id} — ${r.name}` })).concat(extra.map((id) => ({ value: id, text: id }))) }]);
          refreshStages();
        },
        fill(p) {
          if (p.regime) { regime.value = p.regime; refreshStages(); }
          if (p.stage) { stage.value = p.stage; refreshIncidents(); }
          if (p.incident) incident.value = p.incident;
        },
        build() {
          if (!regime.value || !stage.value) return { error: 'Choose a regime and a stage.' };
          if (!incident.value) return { error: 'No incident to report under this stage.' };
          return { command: { action: 'report', regime: regime.value, stage: stage.value, incident: incident.value } };
        },
        reset() {},
      });
    }

    // Classify.
    {
      const incident = h('select', { id: 'classify-incident', name: 'incident' });
      const note = h('div', { class: 'hint', id: 'classify-note' });
      const shell = formShell('classify', field('classify-incident', 'Incident', incident), note);
      forms.classify = Object.assign(shell, {
        refresh() {
          const list = knownIncidents();
          fillSelect(incident, [{ label: '', options: list.map((i) => ({ value: i, text: i })) }]);
          note.textContent = list.length ? '' : 'No incident your organisation is aware of yet.';
        },
        fill(p) { if (p.incident) incident.value = p.incident; },
        build() {
          if (!incident.value) return { error: 'Choose an incident.' };
          return { command: { action: 'classify', incident: incident.value } };
        },
        reset() {},
      });
    }

    // Request assistance.
    {
      const csirt = h('select', { id: 'request_assistance-csirt', name: 'csirt' });
      const shell = formShell('request_assistance', field('request_assistance-csirt', 'CSIRT', csirt));
      forms.request_assistance = Object.assign(shell, {
        refresh() {
          const org = S.view ? S.view.organisation : '';
          const list = otherTeams().filter((d) => normRole(d.role) === 'csirt' && d.organisation !== org);
          fillSelect(csirt, [{ label: '', options: list.map((d) => ({ value: d.id, text: `${d.id} — ${d.name}` })) }]);
        },
        fill(p) { if (p.csirt) csirt.value = p.csirt; },
        build() {
          if (!csirt.value) return { error: 'Choose a CSIRT.' };
          return { command: { action: 'request_assistance', csirt: csirt.value } };
        },
        reset() {},
      });
    }

    // PIU.
    for (const a of ['activate_piu', 'set_piu_level']) {
      const fs = h('fieldset', { class: 'inline-radios', id: `${a}-level` }, h('legend', {}, 'Level'));
      for (let l = 1; l <= 4; l += 1) {
        fs.appendChild(h('label', { for: `${a}-level-${l}` }, h('input', { type: 'radio', name: `${a}-level`, id: `${a}-level-${l}`, value: String(l), checked: l === 1 }), ` ${l}`));
      }
      const note = h('div', { class: 'hint', id: `${a}-note` });
      const shell = formShell(a, fs, note);
      forms[a] = Object.assign(shell, {
        refresh() {
          note.textContent = piuActive() ? `The ${planName()} is active at level ${S.view.piu.level}.` : `The ${planName()} is not active.`;
        },
        fill(p) { if (p.level) { const r = fs.querySelector(`input[value="${Number(p.level)}"]`); if (r) r.checked = true; } },
        build() {
          const r = fs.querySelector('input:checked');
          if (!r) return { error: 'Choose a level.' };
          return { command: { action: a, level: Number(r.value) } };
        },
        reset() {},
      });
    }

    // Public statement.
    {
      const [ta, count] = textArea('public_statement-text', true);
      const shell = formShell('public_statement', h('p', {}, 'Goes to every team under ', tlpBadge('TLP:CLEAR'), '.'), field('public_statement-text', 'Statement', ta), count);
      forms.public_statement = Object.assign(shell, {
        refresh() {},
        fill(p) { if (p.text) ta.value = p.text; },
        build() {
          if (!ta.value.trim()) return { error: 'Write the statement.' };
          if ([...ta.value].length > MAX_TEXT) return { error: `At most ${MAX_TEXT} characters.` };
          return { command: { action: 'public_statement', text: ta.value } };
        },
        reset() { ta.value = ''; ta.dispatchEvent(new Event('input')); },
      });
    }

    // Takeover.
    {
      const shell = formShell('takeover');
      forms.takeover = Object.assign(shell, {
        refresh() {}, fill() {}, build() { return { command: { action: 'takeover' } }; }, reset() {},
      });
    }

    for (const a of ACTION_ORDER) {
      const f = forms[a];
      f.form.addEventListener('submit', (e) => {
        e.preventDefault();
        submitForm(a);
      });
    }
  }

  function setTlp(fs, t) {
    const r = [...fs.querySelectorAll('input')].find((i) => i.value === t && !i.disabled);
    if (r) { r.checked = true; fs._update(); }
  }

  function submitForm(a) {
    const f = forms[a];
    f.error.textContent = '';
    if (!allowedActions().includes(a)) { f.error.textContent = 'Your team cannot do this now.'; return; }
    const built = f.build();
    if (built.error) { f.error.textContent = built.error; return; }
    const seq = send(built.command);
    f.lastSeq = seq;
    f.reset();
    updateFormResults();
  }

  function updateFormResults() {
    for (const a of ACTION_ORDER) {
      const f = forms[a];
      if (!f || !f.lastSeq) continue;
      updateResult(f.result, f.lastSeq);
    }
    if (replyState.lastSeq) updateResult($('reply-result'), replyState.lastSeq);
  }

  function updateResult(el, seq) {
    const rec = S.commands.get(seq);
    if (!el || !rec) return;
    const row = actionRows().find((r) => r.mine && r.seq === seq) || {
      fate: rec.state === 'rejected' ? 'refused' : rec.state, state: rec.state, code: rec.code, message: rec.message,
      tick: rec.tick, local: true, transmitted: rec.transmitted,
    };
    const text = `${fateSymbol(row.fate)} ${describeCommand(rec.command)} (seq ${seq}): ${fateWords(row)}`;
    if (el.textContent !== text) {
      el.textContent = text;
      el.dataset.state = row.state;
      el.dataset.seq = String(seq);
    }
  }

  function refreshForms() {
    if (!S.view) return;
    const allowed = allowedActions();
    for (const a of ACTION_ORDER) if (allowed.includes(a)) forms[a].refresh();
    updateFormResults();
  }

  // ---- Reply in a conversation -------------------------------------------

  const replyState = { lastSeq: 0 };

  function buildReplyForm() {
    const [ta, count] = textArea('reply-text', true);
    const sel = h('select', { id: 'reply-tlp', name: 'tlp' }, TLPS.slice().reverse().map((t) => h('option', { value: t, selected: t === 'TLP:RED' }, t)));
    const form = h('form', { id: 'reply-form', class: 'reply-form', novalidate: true, autocomplete: 'off' },
      h('div', { id: 'reply-to', class: 'hint' }),
      field('reply-text', 'Reply', ta), count,
      h('div', { class: 'reply-row' },
        field('reply-tlp', 'TLP label', sel),
        h('span', { class: 'reply-tlp-shown', id: 'reply-tlp-shown' }),
        h('button', { type: 'submit', id: 'reply-submit', class: 'primary' }, 'Send')),
      h('div', { class: 'form-error', id: 'reply-error', role: 'alert' }),
      h('div', { class: 'form-result', id: 'reply-result', 'aria-live': 'polite' }));
    const showTlp = () => { replace($('reply-tlp-shown') || form.querySelector('#reply-tlp-shown'), tlpBadge(sel.value), ` reaches ${TLP_AUDIENCE[sel.value]}`); };
    sel.addEventListener('change', showTlp);
    setTimeout(showTlp, 0);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const err = $('reply-error');
      err.textContent = '';
      const key = form.dataset.to;
      if (!key || key === ALL_TEAMS) { err.textContent = 'Choose a team\'s conversation to reply in.'; return; }
      if (!ta.value.trim()) { err.textContent = 'Write the reply.'; return; }
      if ([...ta.value].length > MAX_TEXT) { err.textContent = `At most ${MAX_TEXT} characters.`; return; }
      replyState.lastSeq = send({ action: 'message', to: [key], text: ta.value, tlp: sel.value });
      ta.value = '';
      ta.dispatchEvent(new Event('input'));
      updateFormResults();
    });
    return form;
  }

  function updateReplyForm(t) {
    const form = $('reply-form');
    if (!form) return;
    const to = $('reply-to');
    const canMessage = allowedActions().includes('message');
    const key = t ? t.key : '';
    form.dataset.to = key;
    const disabled = !t || key === ALL_TEAMS || !canMessage || !dirEntry(key);
    for (const c of form.querySelectorAll('textarea, select, button')) c.disabled = disabled;
    let text;
    if (!t) text = 'No conversation yet.';
    else if (key === ALL_TEAMS) text = 'To write to every team, publish a public statement (Act page), or message teams by name.';
    else if (!dirEntry(key)) text = `Cannot reply: ${key} is not in the directory.`;
    else text = `Reply to ${key} (a message; default TLP:RED — ${key} only).`;
    if (to.textContent !== text) to.textContent = text;
  }

  // ---- Sending -----------------------------------------------------------

  function send(command) {
    const seq = nextSeq();
    const rec = {
      seq, command, state: 'sent', transmitted: false,
      sentClock: S.view ? S.view.clock : '', sentTick: S.view ? S.view.tick : 0,
    };
    S.commands.set(seq, rec);
    transmit(rec);
    saveCommands();
    S.lastResult = { text: `${describeCommand(command)}: ${rec.transmitted ? 'sent' : 'queued until the connection is back'}`, tone: 'info', seq };
    scheduleRender();
    return seq;
  }

  function sendTakeover() {
    if (human()) return;
    send({ action: 'takeover' });
  }

  // ---- Keyboard ----------------------------------------------------------

  function isTyping(el) {
    if (!el) return false;
    const tag = el.tagName;
    if (tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable) return true;
    if (tag === 'INPUT') return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(el.type);
    return false;
  }

  function onKey(e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const help = $('help');
    if (help.open) return; // the dialog handles Esc itself
    if (e.key === 'Escape' && isTyping(document.activeElement)) {
      document.activeElement.blur();
      e.preventDefault();
      return;
    }
    if (isTyping(document.activeElement)) return;
    if (!S.token) return;
    const idx = PAGES.findIndex((p) => p.id === S.page);
    const k = e.key;
    if (/^[1-8]$/.test(k)) { show(PAGES[Number(k) - 1].id, 'panel'); e.preventDefault(); return; }
    switch (k) {
      case '?': openHelp(); break;
      case ']': show(PAGES[(idx + 1) % PAGES.length].id, 'panel'); break;
      case '[': show(PAGES[(idx + PAGES.length - 1) % PAGES.length].id, 'panel'); break;
      case ':': case 'a': if (S.view) { show('act'); selectAction(S.act, false); $(`act-${S.act}`) && $(`act-${S.act}`).focus(); } break;
      case 'm':
      case 'r':
        if (!S.view) return;
        if (S.page === 'talk' && $('reply-text') && !$('reply-text').disabled) $('reply-text').focus();
        else if (k === 'm') openAction('message', S.page === 'talk' && S.thread ? { to: [S.thread] } : null);
        else return;
        break;
      case '/': {
        const input = pageEls[S.page] && pageEls[S.page].querySelector('input[data-filter]');
        if (input) input.focus(); else return;
        break;
      }
      case 'T': if (S.view && !human()) { const b = $('takeover-button'); b.focus(); } else return; break;
      default: return;
    }
    e.preventDefault();
  }

  function onTabsKey(e) {
    const idx = PAGES.findIndex((p) => p.id === S.page);
    let next = -1;
    if (e.key === 'ArrowRight') next = (idx + 1) % PAGES.length;
    else if (e.key === 'ArrowLeft') next = (idx + PAGES.length - 1) % PAGES.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = PAGES.length - 1;
    if (next < 0) return;
    e.preventDefault();
    e.stopPropagation();
    show(PAGES[next].id, 'tab');
  }

  function openHelp() {
    const d = $('help');
    if (typeof d.showModal === 'function') d.showModal(); else d.setAttribute('open', '');
    $('help-close').focus();
  }

  // ---- Theme -------------------------------------------------------------

  function applyTheme(t) {
    const theme = ['light', 'dark'].includes(t) ? t : 'auto';
    if (theme === 'auto') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    $('theme-toggle').textContent = `Theme: ${theme}`;
    $('theme-toggle').setAttribute('aria-label', `Theme: ${theme}. Change the theme`);
  }

  function cycleTheme() {
    const now = local.get(THEME_KEY) || 'auto';
    const next = { auto: 'light', light: 'dark', dark: 'auto' }[now] || 'auto';
    if (next === 'auto') local.del(THEME_KEY); else local.set(THEME_KEY, next);
    applyTheme(next);
  }

  // ---- Another tab with the same client id -------------------------------
  // Duplicating a tab copies its sessionStorage (token, client id, seq): the
  // copy takes a client id of its own, so the two never share a seq.

  function guardDuplicateTab() {
    if (typeof BroadcastChannel !== 'function') return Promise.resolve();
    const ch = new BroadcastChannel('cascade-portal');
    const nonce = randomHex(8);
    let clash = false;
    ch.onmessage = (ev) => {
      const d = ev.data || {};
      if (d.type === 'who' && d.client === S.client && d.nonce !== nonce) ch.postMessage({ type: 'mine', client: d.client, nonce: d.nonce });
      if (d.type === 'mine' && d.nonce === nonce) clash = true;
    };
    ch.postMessage({ type: 'who', client: S.client, nonce });
    return new Promise((resolve) => setTimeout(() => {
      if (clash) newClient();
      resolve();
    }, 150));
  }

  // ---- Start -------------------------------------------------------------

  function buildShell() {
    const tabs = $('tabs');
    const main = $('main');
    for (const p of PAGES) {
      tabs.appendChild(h('button', {
        type: 'button', role: 'tab', id: `tab-${p.id}`, 'aria-controls': `page-${p.id}`, 'aria-selected': 'false', tabindex: '-1',
        'aria-keyshortcuts': p.key, data: { page: p.id },
        onclick: () => show(p.id),
        'aria-label': p.name,
      }, h('span', { class: 'tab-key', 'aria-hidden': 'true' }, p.key), ' ',
      h('span', { class: 'tab-long', 'aria-hidden': 'true' }, p.name), h('span', { class: 'tab-short', 'aria-hidden': 'true' }, p.short),
      h('span', { class: 'badge', hidden: true })));
      const panel = h('section', { id: `page-${p.id}`, role: 'tabpanel', 'aria-labelledby': `tab-${p.id}`, tabindex: '-1', class: `page page-${p.id}`, hidden: true });
      pageEls[p.id] = panel;
      main.appendChild(panel);
    }
    tabs.addEventListener('keydown', onTabsKey);
    buildForms();
    buildAct(pageEls.act);
    $('join-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const token = tokenFrom($('join-token').value);
      if (!token) { $('join-error').textContent = 'Paste your team\'s token (or its join link).'; return; }
      if (token.length > 1024 || /[\s\u0000-\u001f]/.test(token)) { $('join-error').textContent = 'That does not look like a token: it should be one word of letters and digits.'; return; }
      $('join-token').value = '';
      setToken(token);
      start();
    });
    // Leaving asks once more, in the page (no modal dialog): a second click
    // within 8 s leaves.
    let leaveArmed = 0;
    $('leave-button').addEventListener('click', () => {
      const b = $('leave-button');
      if (leaveArmed) {
        clearTimeout(leaveArmed);
        leaveArmed = 0;
        b.textContent = 'Leave';
        b.classList.remove('armed');
        leave();
        return;
      }
      b.textContent = 'Really leave? Click again';
      b.classList.add('armed');
      announce('Press Leave again to forget this team\'s token on this tab.', true);
      leaveArmed = setTimeout(() => { leaveArmed = 0; b.textContent = 'Leave'; b.classList.remove('armed'); }, 8000);
    });
    $('retry-button').addEventListener('click', retryNow);
    $('takeover-button').addEventListener('click', sendTakeover);
    $('help-button').addEventListener('click', openHelp);
    $('help-close').addEventListener('click', () => $('help').close());
    $('theme-toggle').addEventListener('click', cycleTheme);
    document.addEventListener('keydown', onKey);
    window.addEventListener('online', () => { if (S.conn === 'offline') retryNow(); });
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) {
        if (S.conn === 'offline') retryNow();
        scheduleRender();
      }
    });
    window.addEventListener('hashchange', () => { if (readFragment()) start(); });
    // Once a second: countdowns to the next retry, and a watchdog for a
    // connection that went silent while the clock runs.
    setInterval(() => {
      if (S.conn === 'offline' || (S.conn !== 'online' && S.view)) { renderHeader(); renderBanner(); }
      if (S.conn === 'online' && S.clock.running && !S.clock.ended && S.ws) {
        const period = 1000 / Math.max(0.001, S.clock.ticks_per_second || 1);
        const limit = Math.max(20000, period * 3);
        if (Date.now() - S.lastFrameAt > limit) { S.closeReason = 'nothing heard from the host for too long'; dropSocket(S.ws); }
      }
    }, 1000);
  }

  function start() {
    if (!S.token) { showJoin(''); return; }
    showApp();
    S.failures = 0;
    render();
    connect();
  }

  function init() {
    applyTheme(local.get(THEME_KEY) || 'auto');
    loadSession();
    readFragment();
    buildShell();
    guardDuplicateTab().then(start);
  }

  // A read-only window on the state, for tests and the curious (never the token).
  window.cascadePortal = Object.freeze({
    get connection() { return S.conn; },
    get client() { return S.client; },
    get team() { return myId(); },
    get tick() { return S.view ? S.view.tick : null; },
    get view() { return S.view; },
    get clock() { return Object.assign({}, S.clock); },
    get page() { return S.page; },
    get messages() { return [...S.messages.values()].sort((a, b) => a.index - b.index); },
    get commands() { return [...S.commands.values()].map((c) => Object.assign({}, c)); },
    get actions() { return actionRows(); },
    get allowedActions() { return allowedActions(); },
    show: (page) => show(page),
    openAction: (a, prefill) => openAction(a, prefill),
    send: (command) => send(command),
    reconnect: () => retryNow(),
  });

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
