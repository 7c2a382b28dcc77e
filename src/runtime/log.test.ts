import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createLogger, reconcileLogger, redact, redactText } from './log.js';

function capture(): { stream: PassThrough; lines: () => Array<Record<string, unknown>> } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

test('secret-looking keys are masked at any depth', () => {
  const out = redact({
    user: 'admin',
    password: 'admin-secret',
    auth: { identity: { password: { user: { name: 'u', password: 'p4ss' } } } },
    headers: { 'X-Auth-Token': 'gAAAA123', 'x-subject-token': 'tok', Authorization: 'Bearer abc', accept: 'json' },
    clientSecret: 's',
    token_id: 'abc',
    list: [{ apiKey: 'k' }],
  });
  const text = JSON.stringify(out);
  for (const secret of ['admin-secret', 'p4ss', 'gAAAA123', '"tok"', 'Bearer abc', '"s"', '"abc"', '"k"']) {
    assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
  }
  assert.ok(text.includes('"user":"admin"'));
  assert.ok(text.includes('"accept":"json"'));
});

test('secrets inside free text are scrubbed', () => {
  const cases: Array<[string, string]> = [
    ['GET / with Authorization: Bearer eyJhbGciOi.x.y', 'eyJhbGciOi'],
    ['header X-Auth-Token: gAAAAAB12345 sent', 'gAAAAAB12345'],
    ['X-Subject-Token=abcdef', 'abcdef'],
    ['body {"auth":{"password":"admin-secret"}}', 'admin-secret'],
    ['url http://h/x?token=zzz&a=1', 'zzz'],
    ['db_password=hunter2 failed', 'hunter2'],
    ['connect https://admin:s3cr3t@10.0.0.1:8082/ refused', 's3cr3t'],
  ];
  for (const [input, secret] of cases) {
    const out = redactText(input);
    assert.ok(!out.includes(secret), `${secret} leaked from ${input}: ${out}`);
    assert.ok(out.includes('[REDACTED]'), out);
  }
  assert.equal(redactText('nothing to hide here'), 'nothing to hide here');
});

test('logger writes JSON lines with secrets removed from message, metadata and errors', () => {
  const c = capture();
  const log = createLogger({ level: 'debug', stream: c.stream });
  log.info('login with password=admin-secret', { token: 'tok123', nested: { secret: 'x', ok: 1 } });
  log.error('failed', { err: new Error('401 for X-Auth-Token: gAAAA999') });
  const lines = c.lines();
  assert.equal(lines.length, 2);
  const text = JSON.stringify(lines);
  for (const s of ['admin-secret', 'tok123', '"x"', 'gAAAA999']) assert.ok(!text.includes(s), `${s} leaked: ${text}`);
  assert.equal(lines[0]?.level, 'info');
  assert.deepEqual((lines[0]?.nested as Record<string, unknown>).ok, 1);
});

test('level filters lower-priority lines', () => {
  const c = capture();
  const log = createLogger({ level: 'warn', stream: c.stream });
  log.info('hidden');
  log.warn('shown');
  assert.deepEqual(
    c.lines().map((l) => l.message),
    ['shown'],
  );
});

test('reconcile logger carries controller, namespace, name and a fresh reconcileID', () => {
  const c = capture();
  const log = createLogger({ stream: c.stream });
  reconcileLogger(log, 'pool', { namespace: 'ns', name: 'p1' }).info('a');
  reconcileLogger(log, 'pool', { namespace: 'ns', name: 'p1' }).info('b');
  const [a, b] = c.lines();
  assert.equal(a?.controller, 'pool');
  assert.equal(a?.namespace, 'ns');
  assert.equal(a?.name, 'p1');
  assert.match(String(a?.reconcileID), /^[0-9a-f-]{36}$/);
  assert.notEqual(a?.reconcileID, b?.reconcileID);
});
