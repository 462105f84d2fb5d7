// The OpenID provider of the single sign-on tests (issue 29): npm's
// oidc-provider, a certified implementation, on 127.0.0.1:PORT.
//
// - Clients register themselves (Dynamic Client Registration), so each
//   test brings its own redirect URI and secret.
// - Its sign-in form (/interaction/UID) takes any email as the account
//   and any password; "I used a second factor" makes `amr` pwd+mfa, else
//   pwd. Emails beginning "unverified" have email_verified false.
// - ID tokens live 60 s, so a portal clock moved 5 minutes on finds them
//   expired while its own sign-in (10 minutes) still holds.
// - POST /test/rotate gives the provider a new signing key (and JWKS),
//   as a provider rotating its keys does.
//
// Usage: node idp.mjs PORT
import http from 'node:http';
import { generateKeyPair, exportJWK } from 'jose';
import Provider from 'oidc-provider';
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';

const port = Number(process.argv[2]);
const issuer = `http://127.0.0.1:${port}`;

async function signingKey(n) {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: `test-key-${n}`, use: 'sig', alg: 'RS256' };
}

// One store for every generation of keys: clients, sessions and codes
// outlive a rotation, as at a real provider.
const adapter = createMemoryAdapter(0);

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function providerWith(key) {
  const provider = new Provider(issuer, {
    adapter,
    jwks: { keys: [key] },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
    },
    claims: {
      acr: null, amr: null, auth_time: null, sid: null, iss: null,
      // amr and acr ride with openid, so every ID token says how the person
      // signed in (as Entra ID's and Okta's do).
      openid: ['sub', 'amr', 'acr', 'auth_time'], email: ['email', 'email_verified'], profile: ['name'],
    },
    acrValues: ['pwd', 'mfa'],
    scopes: ['openid', 'email', 'profile'],
    pkce: { required: () => true },
    ttl: { IdToken: 60, AccessToken: 600, AuthorizationCode: 120, Interaction: 600, Session: 3600, Grant: 3600 },
    cookies: { keys: ['callrec-test-idp-only'] },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() {
          const local = id.split('@')[0];
          return {
            sub: id,
            email: id,
            email_verified: !id.startsWith('unverified'),
            name: local.charAt(0).toUpperCase() + local.slice(1),
          };
        },
      };
    },
    // Every client is trusted with the person's email and name: no consent
    // page.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  });
  return provider;
}

let generation = 1;
let provider = providerWith(await signingKey(generation));

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    const hint = details.params.login_hint || '';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><main><h1>Test identity provider</h1>
<form method="post" action="/interaction/${escape(details.uid)}">
<label>Email <input name="login" type="email" value="${escape(hint)}"></label>
<label>Password <input name="password" type="password"></label>
<label><input name="mfa" type="checkbox" value="1"> I used a second factor</label>
<button type="submit">Sign in</button>
</form></main></body></html>`);
    return;
  }
  let body = '';
  for await (const chunk of req) body += chunk;
  const form = new URLSearchParams(body);
  const login = (form.get('login') || '').trim().toLowerCase();
  if (!login) {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'no account' });
    return;
  }
  const mfa = form.get('mfa') === '1';
  await provider.interactionFinished(req, res, {
    login: { accountId: login, amr: mfa ? ['pwd', 'mfa'] : ['pwd'], acr: mfa ? 'mfa' : 'pwd' },
  }, { mergeWithLastSubmission: false });
}

const server = http.createServer(async (req, res) => {
  try {
    if (req.url.startsWith('/interaction/')) {
      await interaction(req, res);
    } else if (req.method === 'POST' && req.url === '/test/rotate') {
      generation += 1;
      provider = providerWith(await signingKey(generation));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kid: `test-key-${generation}` }));
    } else {
      provider.callback()(req, res);
    }
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(err));
  }
});
server.listen(port, '127.0.0.1', () => console.log(`test identity provider on ${issuer}`));
