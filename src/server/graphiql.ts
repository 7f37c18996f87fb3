/**
 * GraphiQL at GET /graphiql, served entirely from this server: the graphiql package's UMD build with React's, read
 * from node_modules. Apollo's own landing page loads its code from a CDN, which a patchgraph behind a firewall
 * cannot reach and which the Content-Security-Policy would refuse anyway.
 *
 * The page asks for an API key and sends it as `Authorization: Bearer …` on each request; the key stays in the
 * tab's sessionStorage, never in a URL or a cookie.
 */
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { Router } from 'express';

interface Asset {
  file: string;
  type: string;
}

/** Versioned names: an asset never changes under its URL, so browsers may keep it for a year. */
function packageAsset(pkg: string, path: string): { name: string; asset: Asset } {
  // Through package.json: react's `exports` do not list its UMD files, so they cannot be resolved by name.
  const manifest = require.resolve(`${pkg}/package.json`);
  const version = (require(manifest) as { version: string }).version;
  const ext = path.endsWith('.css') ? 'css' : 'js';
  return {
    name: `${pkg}-${version}.${ext}`,
    asset: { file: join(dirname(manifest), path), type: ext === 'css' ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8' },
  };
}

/** The page's own code, run after React, ReactDOM and GraphiQL have loaded. */
const PAGE_SCRIPT = `'use strict';
(function () {
  var STORAGE_KEY = 'patchgraph.apiKey';
  var form = document.getElementById('key-form');
  var input = document.getElementById('api-key');
  var state = document.getElementById('key-state');
  var endpoint = new URL('graphql', document.baseURI).toString();
  var key = sessionStorage.getItem(STORAGE_KEY) || '';
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));

  function makeFetcher(currentKey) {
    return function fetcher(params, options) {
      // Without a key every request would be refused, and each refusal counts against this address's limit.
      if (!currentKey) return Promise.resolve({ errors: [{ message: 'Paste an API key in the field above first.' }] });
      var headers = Object.assign({}, options && options.headers, {
        'content-type': 'application/json',
        accept: 'application/json',
        authorization: 'Bearer ' + currentKey,
      });
      return fetch(endpoint, { method: 'POST', headers: headers, body: JSON.stringify(params), credentials: 'omit' })
        .then(function (response) { return response.json(); });
    };
  }

  function render() {
    state.textContent = key ? 'Key set for this tab.' : 'No key set.';
    // A new fetcher makes GraphiQL load the schema again, now with the key.
    root.render(React.createElement(GraphiQL, {
      fetcher: makeFetcher(key),
      defaultQuery: '{ viewer { name role } }\\n',
      shouldPersistHeaders: false,
    }));
  }

  input.value = key;
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    key = input.value.trim();
    if (key) sessionStorage.setItem(STORAGE_KEY, key);
    else sessionStorage.removeItem(STORAGE_KEY);
    render();
  });
  render();
})();
`;

const PAGE_STYLE = `html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; font-family: system-ui, sans-serif; }
#key-form { display: flex; gap: .5rem; align-items: center; padding: .5rem .75rem; border-bottom: 1px solid #ddd; }
#key-form input { flex: 0 1 32rem; font-family: monospace; padding: .25rem .5rem; }
#key-state { color: #555; font-size: .9rem; }
#graphiql { flex: 1; min-height: 0; }
`;

function ownAsset(name: string, content: string, type: string): { name: string; body: string; type: string } {
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 12);
  return { name: `${name}-${hash}.${type === 'css' ? 'css' : 'js'}`, body: content, type: type === 'css' ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8' };
}

const ONE_YEAR_MS = 365 * 24 * 3600 * 1000;

export function graphiqlRouter(): Router {
  const files = [
    packageAsset('react', 'umd/react.production.min.js'),
    packageAsset('react-dom', 'umd/react-dom.production.min.js'),
    packageAsset('graphiql', 'graphiql.min.js'),
    packageAsset('graphiql', 'graphiql.min.css'),
  ];
  const own = [ownAsset('patchgraph-graphiql', PAGE_SCRIPT, 'js'), ownAsset('patchgraph-graphiql', PAGE_STYLE, 'css')];
  const byName = new Map<string, Asset>(files.map((f) => [f.name, f.asset]));
  const ownByName = new Map(own.map((a) => [a.name, a]));
  const [react, reactDom, graphiqlJs, graphiqlCss] = files.map((f) => f.name);
  const [pageJs, pageCss] = own.map((a) => a.name);

  // Relative URLs, so the page also works when a proxy serves patchgraph under a path prefix.
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>patchgraph GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="graphiql/assets/${graphiqlCss}">
<link rel="stylesheet" href="graphiql/assets/${pageCss}">
</head>
<body>
<form id="key-form" autocomplete="off">
<label for="api-key">API key</label>
<input id="api-key" name="api-key" type="password" placeholder="pgk_…" spellcheck="false">
<button type="submit">Use key</button>
<span id="key-state" role="status"></span>
</form>
<div id="graphiql">Loading GraphiQL…</div>
<script src="graphiql/assets/${react}"></script>
<script src="graphiql/assets/${reactDom}"></script>
<script src="graphiql/assets/${graphiqlJs}"></script>
<script src="graphiql/assets/${pageJs}"></script>
</body>
</html>
`;

  const router = Router();
  router.get('/graphiql', (_req, res) => {
    // The page names the current assets, so it must not be cached past an upgrade.
    res.setHeader('cache-control', 'no-cache');
    res.type('html').send(html);
  });
  router.get('/graphiql/assets/:name', (req, res, next) => {
    const name = String(req.params.name);
    const mine = ownByName.get(name);
    if (mine) {
      res.setHeader('cache-control', `public, max-age=${ONE_YEAR_MS / 1000}, immutable`);
      res.type(mine.type).send(mine.body);
      return;
    }
    const asset = byName.get(name);
    if (!asset) {
      next();
      return;
    }
    res.sendFile(asset.file, { maxAge: ONE_YEAR_MS, immutable: true, headers: { 'content-type': asset.type } }, (err) => {
      if (err && !res.headersSent) next(err);
    });
  });
  return router;
}
