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
 */
/* global document, location, URL */
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
    var frame = document.createElement('iframe');
    frame.src = origin + '/?embed=1&lang=' + lang;
    frame.title = label;
    style(frame, { width: '100%', height: '100%', border: '0', display: 'block' });
    panel.appendChild(frame);
    document.body.appendChild(panel);
  }

  button.addEventListener('click', function () {
    if (!panel) createPanel();
    var open = panel.hidden;
    panel.hidden = !open;
    // `hidden` is not enough against the inline display rule of some pages.
    panel.style.setProperty('display', open ? 'block' : 'none');
    button.textContent = open ? closeLabel : label;
    button.setAttribute('aria-expanded', String(open));
  });

  function mount() {
    document.body.appendChild(button);
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
