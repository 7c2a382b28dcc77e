import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { hashToken, judgeToken, newToken, parseRecord, tokenID, type TokenRecord, type UsedRecord } from './tokens.js';

const now = new Date('2026-12-02T12:00:00Z');
const token = newToken();
const sha = hashToken(token);
const other = hashToken(newToken());
const record = (over: Partial<TokenRecord> = {}): TokenRecord => ({ sha256: sha, seUID: 'uid', serverID: 'srv', expiresAt: '2026-12-02T12:30:00Z', ...over });
const used: UsedRecord = { sha256: sha, serverID: 'srv', usedAt: '2026-12-02T11:59:00Z' };

describe('bootstrap token', () => {
  test('32 random bytes, base64url; only its sha256 is kept, a label-sized prefix indexes it', () => {
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(token, 'base64url').length, 32);
    assert.notEqual(newToken(), newToken());
    assert.equal(sha, createHash('sha256').update(token).digest('hex'));
    assert.equal(tokenID(sha).length, 32);
    assert.ok(!JSON.stringify(record()).includes(token));
  });

  const cases: Array<{ name: string; presented?: string; serverID?: string; uid?: string; record?: TokenRecord; used?: UsedRecord; want: string }> = [
    { name: 'the right token for the right server in time', record: record(), want: 'ok' },
    { name: 'no record', want: 'Unauthenticated' },
    { name: 'another token', presented: other, record: record(), want: 'Unauthenticated' },
    { name: 'the token already used', used, want: 'TokenUsed' },
    { name: 'a new token was minted after the used one: the old one is still "used"', record: record({ sha256: other }), used, want: 'TokenUsed' },
    { name: 'expired', record: record({ expiresAt: '2026-12-02T11:59:59Z' }), want: 'TokenExpired' },
    { name: 'expiring this instant', record: record({ expiresAt: now.toISOString() }), want: 'TokenExpired' },
    { name: 'bound to another server', serverID: 'elsewhere', record: record(), want: 'Forbidden' },
    { name: 'not bound yet (minted before the server existed)', record: record({ serverID: undefined }), want: 'Unavailable' },
    { name: 'made for an earlier SE of that name', uid: 'new-uid', record: record(), want: 'Unauthenticated' },
    { name: 'a garbage hash on the object', record: record({ sha256: 'zz' }), want: 'Unauthenticated' },
  ];
  for (const c of cases) {
    test(`judge: ${c.name} → ${c.want}`, () => {
      const v = judgeToken(c.presented ?? sha, c.serverID ?? 'srv', { uid: c.uid ?? 'uid', record: c.record, used: c.used }, now);
      assert.equal(v.ok ? 'ok' : v.reason, c.want);
      if (!v.ok) assert.ok(!v.message.includes(token), 'the token never appears in a message');
    });
  }

  test('records parse leniently: junk is no record', () => {
    assert.deepEqual(parseRecord<TokenRecord>(JSON.stringify(record())), record());
    assert.equal(parseRecord('not json'), undefined);
    assert.equal(parseRecord('{"x":1}'), undefined);
    assert.equal(parseRecord(undefined), undefined);
  });
});
