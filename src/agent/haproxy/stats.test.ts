import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RenderedVip } from './render.js';
import { memberKey, memberStatus, parseShowStat, vipFrontendTotals, vipReports } from './stats.js';

const CSV = [
  '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,req_tot,hrsp_4xx,hrsp_5xx,rtime,check_desc,',
  'fe:ns:web:vip0:80,FRONTEND,,,2,5,,100,1000,5000,0,0,1,,,,,OPEN,,90,3,4,,,',
  'be:ns:web:vip0:http,m_10_0_0_1_80,0,0,1,3,,60,,,,,,0,0,0,0,UP,1,,,,,Layer7 check passed,',
  'be:ns:web:vip0:http,m_10_0_0_2_80,0,0,0,2,,40,,,,,,2,0,0,0,DOWN,1,,,,,Layer4 connection problem,',
  'be:ns:web:vip0:http,m_10_0_0_3_80,0,0,0,0,,0,,,,,,0,0,0,0,MAINT,1,,,,,,',
  'be:ns:web:vip0:http,BACKEND,0,0,1,5,,100,1000,5000,0,0,,2,0,0,0,UP,2,,,,12,,',
  '',
].join('\n');

const VIP: RenderedVip = {
  id: 'ns/web/vip0',
  frontends: [{ name: 'fe:ns:web:vip0:80', port: 80 }],
  unservedPorts: [53],
  backends: ['be:ns:web:vip0:http'],
  drainVar: 'proc.lbop_drain_0',
  draining: false,
  monitored: true,
  servers: [1, 2, 3, 4].map((i) => ({ backend: 'be:ns:web:vip0:http', server: `m_10_0_0_${i}_80`, memberID: `10.0.0.${i}:80`, weight: 1, enabled: i !== 3 })),
};

describe('show stat → reports', () => {
  it('totals the VIP frontends only (not the agent\'s idle or stats frontends, not backends)', () => {
    const extra = [
      'lbop-agent-idle,FRONTEND,,,0,1,,7,0,0,0,0,0,,,,,OPEN,,7,0,0,,,',
      'fe:ns:api:vip0:443,FRONTEND,,,0,1,,25,0,0,0,0,0,,,,,OPEN,,,0,0,,,',
    ].join('\n');
    assert.deepEqual(vipFrontendTotals(parseShowStat(`${CSV}${extra}\n`)), { sessions: 125, requests: 90 });
    assert.deepEqual(vipFrontendTotals([]), { sessions: 0, requests: 0 });
  });

  it('maps HAProxy states to member oper status', () => {
    assert.deepEqual(['UP', 'UP 1/3', 'DOWN', 'DOWN 1/2', 'MAINT', 'MAINT (via x)', 'no check', 'DRAIN', 'NOLB'].map(memberStatus),
      ['UP', 'UP', 'DOWN', 'DOWN', 'DISABLED', 'DISABLED', 'NO_MONITOR', 'UP', 'UP']);
  });

  it('builds one VIP report with listeners, members and counters', () => {
    const [r] = vipReports([VIP], parseShowStat(CSV));
    assert.deepEqual(r, {
      id: 'ns/web/vip0',
      listeners: [{ port: 80, up: true }, { port: 53, up: false }],
      members: [
        { id: '10.0.0.1:80', status: 'UP', currentConnections: 1, totalConnections: 60 },
        { id: '10.0.0.2:80', status: 'DOWN', reason: 'Layer4 connection problem', currentConnections: 0, totalConnections: 40 },
        { id: '10.0.0.3:80', status: 'DISABLED', currentConnections: 0, totalConnections: 0 },
        // 10.0.0.4 is not listed (a worker that just started) and was never reported: left out.
      ],
      currentConnections: 2,
      totalConnections: 100,
      bytesIn: 1000,
      bytesOut: 5000,
      requests: 90,
      errors: { http4xx: 3, http5xx: 4, connection: 3 },
      responseTimeMs: 12,
    });
  });

  it('a member missing from show stat keeps its last reported status, never a made-up DOWN', () => {
    const last = new Map([[memberKey('ns/web/vip0', '10.0.0.4:80'), 'UP' as const], [memberKey('ns/web/vip0', '10.0.0.1:80'), 'DOWN' as const]]);
    const [r] = vipReports([VIP], parseShowStat(CSV), last);
    assert.deepEqual(r?.members.map((m) => [m.id, m.status]), [['10.0.0.1:80', 'UP'], ['10.0.0.2:80', 'DOWN'], ['10.0.0.3:80', 'DISABLED'], ['10.0.0.4:80', 'UP']], 'a listed row wins over the last status');
    // The stats socket did not answer at all: every monitored member as last reported, the disabled one DISABLED.
    const [blind] = vipReports([VIP], parseShowStat(''), last);
    assert.deepEqual(blind?.members.map((m) => [m.id, m.status]), [['10.0.0.1:80', 'DOWN'], ['10.0.0.3:80', 'DISABLED'], ['10.0.0.4:80', 'UP']]);
    const unmonitored = vipReports([{ ...VIP, monitored: false }], [], new Map())[0];
    assert.deepEqual(unmonitored?.members.map((m) => m.status), ['NO_MONITOR', 'NO_MONITOR', 'DISABLED', 'NO_MONITOR']);
  });

  it('a TCP frontend (no req_tot) counts its sessions as requests', () => {
    const tcp = CSV.replace('OPEN,,90,3,4', 'OPEN,,,,');
    const [r] = vipReports([VIP], parseShowStat(tcp));
    assert.equal(r?.requests, 100);
    assert.equal(r?.totalConnections, 100);
    const moded = parseShowStat(CSV.replace('check_desc,', 'check_desc,mode,').replace('OPEN,,90,3,4,,,', 'OPEN,,0,0,0,,,tcp'));
    assert.equal(vipReports([VIP], moded)[0]?.requests, 100, 'mode tcp: req_tot 0 is not the count');
  });
});
