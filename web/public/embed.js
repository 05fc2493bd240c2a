/*!
 * Suara Pendengar live chat — embed loader.
 *
 *   <script src="/js/suara-pendengar-embed.js" async
 *           data-origin="https://chat.radio.example"
 *           data-lang="id" data-position="right"></script>
 *
 * Adds a "chat" button to the page; the first click opens the listener
 * widget in an iframe served by the chat server. Attributes:
 * data-origin (the chat server; default: where this file was loaded from),
 * data-lang ("id" | "en"), data-position ("right" | "left"),
 * data-label (button text), data-color (button colour).
 * No inline markup: every element is created with the DOM API.
 *
 * The widget's session (token, device id, unsent messages) is kept here, in
 * this page's own localStorage, and handed to the frame with postMessage: a
 * cross-site frame may not keep storage of its own. Only the chat server's
 * origin, from the widget's frame, is answered. Escape closes the panel.
 */
/* global document, location, URL, window, localStorage */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.getAttribute('data-origin') || script.src, location.href).origin;
  var lang = script.getAttribute('data-lang') === 'en' ? 'en' : 'id';
  var side = script.getAttribute('data-position') === 'left' ? 'left' : 'right';
  var label = script.getAttribute('data-label') || (lang === 'en' ? 'Chat with the studio' : 'Chat dengan penyiar');
  var closeLabel = lang === 'en' ? 'Close chat' : 'Tutup chat';
  var color = script.getAttribute('data-color') || '#5b2a86';
  var panel = null;
  var frame = null;
  var PREFIX = 'suara-pendengar:';

  function readAll() {
    var values = {};
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var key = localStorage.key(i);
        if (key && key.indexOf(PREFIX + 'widget:') === 0) {
          values[key.slice(PREFIX.length + 7)] = JSON.parse(localStorage.getItem(key));
        }
      }
    } catch {
      // Storage refused here too: the widget keeps its state in memory.
    }
    return values;
  }

  function write(key, value) {
    if (typeof key !== 'string' || key.length > 100) return;
    try {
      if (value === undefined) localStorage.removeItem(PREFIX + 'widget:' + key);
      else if (typeof value === 'string' && value.length < 2000000)
        localStorage.setItem(PREFIX + 'widget:' + key, value);
    } catch {
      // Quota or refused storage: the chat goes on without persistence.
    }
  }

  window.addEventListener('message', function (event) {
    if (!frame || event.source !== frame.contentWindow || event.origin !== origin) return;
    var data = event.data;
    if (!data || typeof data.type !== 'string') return;
    if (data.type === PREFIX + 'hello') {
      frame.contentWindow.postMessage({ type: PREFIX + 'state', values: readAll() }, origin);
    } else if (data.type === PREFIX + 'set') {
      write(data.key, data.value);
    } else if (data.type === PREFIX + 'remove') {
      write(data.key, undefined);
    } else if (data.type === PREFIX + 'close') {
      setOpen(false);
      button.focus();
    }
  });

  function style(node, rules) {
    for (var key in rules) node.style.setProperty(key, rules[key]);
  }

  var button = document.createElement('button');
  button.type = 'button';
  button.className = 'suara-pendengar-chat-button';
  button.textContent = label;
  button.setAttribute('aria-expanded', 'false');
  style(button, {
    position: 'fixed',
    bottom: '20px',
    [side]: '20px',
    'z-index': '2147483000',
    padding: '12px 18px',
    border: '0',
    'border-radius': '999px',
    background: color,
    color: '#fff',
    font: '600 15px/1.2 system-ui, sans-serif',
    'box-shadow': '0 4px 16px rgba(0,0,0,.25)',
    cursor: 'pointer',
  });

  function createPanel() {
    panel = document.createElement('div');
    panel.className = 'suara-pendengar-chat-panel';
    panel.hidden = true;
    style(panel, {
      position: 'fixed',
      bottom: '76px',
      [side]: '20px',
      'z-index': '2147483000',
      width: 'min(380px, calc(100vw - 24px))',
      height: 'min(600px, calc(100vh - 100px))',
      'border-radius': '12px',
      overflow: 'hidden',
      background: '#fff',
      'box-shadow': '0 8px 32px rgba(0,0,0,.3)',
    });
    frame = document.createElement('iframe');
    frame.src = origin + '/?embed=1&lang=' + lang;
    frame.title = label;
    style(frame, { width: '100%', height: '100%', border: '0', display: 'block' });
    panel.appendChild(frame);
    document.body.appendChild(panel);
  }

  function setOpen(open) {
    if (!panel) {
      if (!open) return;
      createPanel();
    }
    panel.hidden = !open;
    // `hidden` is not enough against the inline display rule of some pages.
    panel.style.setProperty('display', open ? 'block' : 'none');
    button.textContent = open ? closeLabel : label;
    button.setAttribute('aria-expanded', String(open));
    if (open && frame) frame.focus();
  }

  button.addEventListener('click', function () {
    setOpen(!panel || panel.hidden);
  });
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && panel && !panel.hidden) {
      setOpen(false);
      button.focus();
    }
  });

  function mount() {
    document.body.appendChild(button);
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
