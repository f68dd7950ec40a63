// Verify one Cognito token with AWS's own library, aws-jwt-verify (CognitoJwtVerifier), and print one JSON line.
//
// Input (stdin, JSON): {userPoolId, clientId, tokenUse, token, mode, jwks?, controlUrl?}
//   mode "cached": the verifier gets `jwks` through verifier.cacheJwks(jwks); every fetch is refused.
//   mode "fetch":  the verifier fetches keys itself; its JWKS URLs on amazonaws.com are mapped to the twin's
//                  control plane (the documented twin contract), anything else is refused. Loopback only.
// Output: {"ok": true, "iss": ..., "fetched": [...]} or {"ok": false, "error": ..., "message": ..., "fetched": [...]}
"use strict";

const { CognitoJwtVerifier } = require("aws-jwt-verify");
const { SimpleJwksCache } = require("aws-jwt-verify/jwk");

const ORIGINAL = /^https:\/\/cognito-idp\.[a-z0-9-]+\.amazonaws\.com\/([\w-]+)\/\.well-known\/jwks\.json$/;
const UPDATED = /^https:\/\/issuer-cognito-idp\.[a-z0-9-]+\.amazonaws\.com\/([\w-]+)\/\.well-known\/jwks\.json$/;

function localUrl(uri, controlUrl) {
  let m = UPDATED.exec(uri);
  if (m) return `${controlUrl}/issuer-cognito-idp/${m[1]}/.well-known/jwks.json`;
  m = ORIGINAL.exec(uri);
  if (m) return `${controlUrl}/${m[1]}/.well-known/jwks.json`;
  return null;
}

async function main() {
  const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const fetched = [];
  const fetcher = {
    async fetch(uri) {
      fetched.push(uri);
      const target = input.mode === "fetch" ? localUrl(uri, input.controlUrl) : null;
      if (target === null) throw new Error(`network disabled: ${uri}`);
      const response = await fetch(target);
      if (response.status !== 200) throw new Error(`Failed to fetch ${uri}: Status code is ${response.status}`);
      return response.arrayBuffer();
    },
  };
  const verifier = CognitoJwtVerifier.create(
    { userPoolId: input.userPoolId, tokenUse: input.tokenUse, clientId: input.clientId },
    { jwksCache: new SimpleJwksCache({ fetcher }) },
  );
  if (input.mode === "cached") verifier.cacheJwks(input.jwks);
  try {
    const payload = await verifier.verify(input.token);
    process.stdout.write(JSON.stringify({ ok: true, iss: payload.iss, fetched }) + "\n");
  } catch (err) {
    process.stdout.write(JSON.stringify({ ok: false, error: err.constructor.name, message: err.message, fetched }) + "\n");
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(2);
});
