import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

const DEFAULT_QUERY = `# mlplane: queries and mutations go over HTTP, subscriptions over graphql-ws on this same URL.
# Paste your API key in the "API key" field (top right); npm start printed it and wrote it to <data dir>/admin-key.
query Health {
  health {
    status
    database
    version
    backend
    uptimeSeconds
  }
}
`;

/**
 * Runs before GraphiQL's own scripts: a key field (kept in this browser's localStorage) whose value
 * goes out as `Authorization: Bearer <key>` on every HTTP request to the endpoint, and as
 * `connectionParams.authorization` in the graphql-ws `connection_init` message.
 */
const API_KEY_SCRIPT = `<script>
(function () {
  var STORE = 'mlplane-api-key';
  function key() { try { return (localStorage.getItem(STORE) || '').trim(); } catch (e) { return ''; } }
  var originalFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    var k = key();
    if (!k) return originalFetch(input, init);
    init = init || {};
    var headers = new Headers(init.headers || (input instanceof Request ? input.headers : undefined));
    if (!headers.has('authorization')) headers.set('authorization', 'Bearer ' + k);
    init.headers = headers;
    return originalFetch(input, init);
  };
  var originalSend = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    var k = key();
    if (k && typeof data === 'string' && data.indexOf('"connection_init"') !== -1) {
      try {
        var message = JSON.parse(data);
        if (message.type === 'connection_init') {
          message.payload = Object.assign({}, message.payload, { authorization: 'Bearer ' + k });
          data = JSON.stringify(message);
        }
      } catch (e) { /* not JSON: sent as is */ }
    }
    return originalSend.call(this, data);
  };
  document.addEventListener('DOMContentLoaded', function () {
    var bar = document.createElement('form');
    bar.id = 'mlplane-api-key-bar';
    bar.setAttribute('style', 'position:fixed;top:6px;right:12px;z-index:1000;display:flex;gap:6px;align-items:center;font:12px sans-serif;background:rgba(255,255,255,.92);padding:4px 8px;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.25)');
    var label = document.createElement('label');
    label.textContent = 'API key';
    label.htmlFor = 'mlplane-api-key';
    var input = document.createElement('input');
    input.id = 'mlplane-api-key';
    input.type = 'password';
    input.autocomplete = 'off';
    input.placeholder = 'mlp_...';
    input.value = key();
    input.setAttribute('style', 'width:22em');
    var status = document.createElement('span');
    function show() { status.textContent = key() ? 'saved (reload to reconnect subscriptions)' : 'none: requests answer 401'; }
    input.addEventListener('change', function () { try { localStorage.setItem(STORE, input.value.trim()); } catch (e) { /* storage off */ } show(); });
    bar.addEventListener('submit', function (event) { event.preventDefault(); });
    bar.appendChild(label); bar.appendChild(input); bar.appendChild(status);
    show();
    document.body.appendChild(bar);
  });
})();
</script>`;

let cached: { endpoint: string; html: string } | undefined;

/**
 * The GraphiQL page for `endpoint`: a self-contained document (about 9 MB: scripts, styles,
 * editor workers and icon inlined), so it works with no network beyond this server.
 * Subscriptions use graphql-ws on the endpoint's `ws://` twin. An "API key" field (top right) sends
 * the key on HTTP and in `connectionParams`.
 */
export function graphiqlPage(endpoint: string): string {
  if (cached?.endpoint !== endpoint) {
    cached = {
      endpoint,
      // The first <head> is the page's own (GraphiQL's bundle contains the string again, later).
      html: renderGraphiQL({
        endpoint,
        subscriptionsProtocol: 'WS',
        title: 'mlplane GraphiQL',
        defaultQuery: DEFAULT_QUERY,
      }).replace('<head>', `<head>${API_KEY_SCRIPT}`),
    };
  }
  return cached.html;
}
