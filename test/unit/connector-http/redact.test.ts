import { REDACTED, redact, Redactor } from '../../../connectors/sdk/http/redact';

const SECRET = 'p@ss w0rd/&"sec';

describe('redaction', () => {
  it('replaces known secrets anywhere in a deep structure, without changing the input', () => {
    const input = { a: [`x ${SECRET} y`, { b: SECRET }], n: 3, ok: true, nil: null };
    const out = redact(input, [SECRET]);
    expect(out).toEqual({ a: [`x ${REDACTED} y`, { b: REDACTED }], n: 3, ok: true, nil: null });
    expect(input.a[0]).toBe(`x ${SECRET} y`);
  });

  it('catches the URL-encoded, form-encoded and JSON-escaped forms of a secret', () => {
    const r = new Redactor([SECRET]);
    for (const text of [encodeURIComponent(SECRET), new URLSearchParams({ k: SECRET }).toString(), JSON.stringify({ k: SECRET })]) {
      const out = r.string(text);
      expect(out).not.toContain(SECRET);
      expect(out).not.toContain(encodeURIComponent(SECRET));
      expect(out).not.toContain('w0rd');
    }
  });

  it('redacts Authorization headers in objects and in Headers, whatever their case', () => {
    const headers = new Headers({ Authorization: 'Bearer abc.def.ghi', accept: 'application/json' });
    expect(redact({ headers })).toEqual({ headers: { authorization: REDACTED, accept: 'application/json' } });
    expect(redact({ AUTHORIZATION: 'Basic cHVibGljLWNsaWVudDpwdWJsaWM=' })).toEqual({ AUTHORIZATION: REDACTED });
  });

  it('redacts fields named like secrets in objects, even when the value was never registered', () => {
    const out = redact({ client_secret: 'a', clientSecret: 'b', password: 'c', access_token: 'd', refresh_token: 'e', expires_in: 3600, username: 'u' });
    expect(out).toEqual({ client_secret: REDACTED, clientSecret: REDACTED, password: REDACTED, access_token: REDACTED, refresh_token: REDACTED, expires_in: 3600, username: 'u' });
  });

  it('redacts secret fields in form bodies and JSON text, and credentials after Bearer/Basic', () => {
    const r = new Redactor();
    expect(r.string('grant_type=password&username=key&password=hunter2&client_secret=xyz')).toBe(
      `grant_type=password&username=key&password=${REDACTED}&client_secret=${REDACTED}`,
    );
    expect(r.string('{"access_token":"eyJ0eXAi.abc","refresh_token":"r\\"1","expires_in":3600}')).toBe(
      `{"access_token":"${REDACTED}","refresh_token":"${REDACTED}","expires_in":3600}`,
    );
    expect(r.string('sent Bearer eyJ0eXAiOiJKV1Qi.payload.sig to the API')).toBe(`sent Bearer ${REDACTED} to the API`);
    expect(r.string('Authorization: SharedKey acct:sig==')).toBe(`Authorization: ${REDACTED}`);
    expect(r.string('Basic auth is used')).toBe('Basic auth is used');
  });

  it('redacts error messages and survives cycles', () => {
    const error = new Error(`login failed for ${SECRET}`);
    const cyclic: Record<string, unknown> = { error };
    cyclic.self = cyclic;
    const out = redact(cyclic, [SECRET]) as { error: { name: string; message: string }; self: unknown };
    expect(out.error).toMatchObject({ name: 'Error', message: `login failed for ${REDACTED}` });
    expect(out.self).toBe('[circular]');
  });

  it('ignores empty secrets instead of redacting everything', () => {
    expect(redact('nothing to hide', ['', undefined, null])).toBe('nothing to hide');
  });

  it('with() adds a secret such as the current access token', () => {
    const r = new Redactor(['one-secret']).with(['token-abc']);
    expect(r.string('one-secret token-abc')).toBe(`${REDACTED} ${REDACTED}`);
  });
});
