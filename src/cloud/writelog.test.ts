import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ownerDescription, stampAnnotations, stampMetadata, type Owner } from './owner.js';
import { writeLogLine } from './writelog.js';

const owner: Owner = { clusterID: 'c1', kind: 'ServiceEngine', namespace: 'demo', name: 'default-se-0', uid: '0b7e5e2a-1111-4222-8333-444455556666' };
const ownerText = 'ServiceEngine/demo/default-se-0 (0b7e5e2a-1111-4222-8333-444455556666)';

test('a server create: kind, name, id and owner — never the user_data token nor the adminPass', () => {
  const l = writeLogLine(
    { api: 'nova', op: 'createServer', method: 'POST', url: 'http://nova:8774/v2.1/servers', json: { server: { name: 'lbop-0b7e5e2a-se', metadata: stampMetadata(owner), user_data: 'dG9rZW4tc2VjcmV0LXh5eg==' } } },
    { server: { id: 'srv-1', adminPass: 'hunter2-admin-pass' } },
  );
  assert.deepEqual(l, { message: 'cloud object created', fields: { api: 'nova', kind: 'server', id: 'srv-1', name: 'lbop-0b7e5e2a-se', owner: ownerText } });
  assert.doesNotMatch(JSON.stringify(l), /hunter2|dG9rZW4/);
});

test('deletes by id from the path; attach and detach name the server', () => {
  assert.deepEqual(writeLogLine({ api: 'nova', op: 'deleteServer', method: 'DELETE', url: 'http://nova/v2.1/servers/srv-1' }, undefined),
    { message: 'cloud object deleted', fields: { api: 'nova', kind: 'server', id: 'srv-1' } });
  assert.deepEqual(writeLogLine({ api: 'neutron', op: 'deletePort', method: 'DELETE', url: 'http://q/v2.0/ports/p-9' }, undefined)?.fields, { api: 'neutron', kind: 'port', id: 'p-9' });
  assert.deepEqual(writeLogLine({ api: 'contrail', op: 'delete:instance-ip', method: 'DELETE', url: 'http://vnc:8082/instance-ip/iip-3' }, undefined)?.fields, { api: 'contrail', kind: 'instance-ip', id: 'iip-3' });
  assert.deepEqual(writeLogLine({ api: 'nova', op: 'attachInterface', method: 'POST', url: 'http://nova/v2.1/servers/srv-1/os-interface', json: { interfaceAttachment: { port_id: 'p-2' } } }, { interfaceAttachment: { port_id: 'p-2' } }),
    { message: 'cloud interface attached', fields: { api: 'nova', kind: 'port', id: 'p-2', server: 'srv-1' } });
  assert.deepEqual(writeLogLine({ api: 'nova', op: 'detachInterface', method: 'DELETE', url: 'http://nova/v2.1/servers/srv-1/os-interface/p-2' }, undefined)?.fields, { api: 'nova', kind: 'port', id: 'p-2', server: 'srv-1' });
});

test('neutron and contrail creates read the owner from their own tags', () => {
  const port = writeLogLine({ api: 'neutron', op: 'createPort', method: 'POST', url: 'http://q/v2.0/ports', json: { port: { name: 'lbop-0b7e5e2a-mgmt', description: ownerDescription(owner) } } }, { port: { id: 'p-1' } });
  assert.deepEqual(port?.fields, { api: 'neutron', kind: 'port', id: 'p-1', name: 'lbop-0b7e5e2a-mgmt', owner: ownerText });
  const fip = writeLogLine({ api: 'neutron', op: 'createFloatingIP', method: 'POST', url: 'http://q/v2.0/floatingips', json: { floatingip: { description: ownerDescription(owner) } } }, { floatingip: { id: 'f-1' } });
  assert.deepEqual(fip?.fields, { api: 'neutron', kind: 'floatingip', id: 'f-1', owner: ownerText });
  const iip = writeLogLine(
    { api: 'contrail', op: 'create:instance-ip', method: 'POST', url: 'http://vnc:8082/instance-ips', json: { 'instance-ip': { fq_name: ['lbop-0b7e5e2a-vip-0'], annotations: stampAnnotations(owner) } } },
    { 'instance-ip': { uuid: 'iip-1', fq_name: ['lbop-0b7e5e2a-vip-0'] } },
  );
  assert.deepEqual(iip?.fields, { api: 'contrail', kind: 'instance-ip', id: 'iip-1', name: 'lbop-0b7e5e2a-vip-0', owner: ownerText });
});

test('reads, updates, lookups and authentication log nothing here', () => {
  for (const req of [
    { api: 'nova', op: 'getServer', method: 'GET', url: 'http://nova/v2.1/servers/srv-1' },
    { api: 'neutron', op: 'updatePort', method: 'PUT', url: 'http://q/v2.0/ports/p-1' },
    { api: 'contrail', op: 'fqname-to-id', method: 'POST', url: 'http://vnc/fqname-to-id' },
    { api: 'contrail', op: 'list:virtual-network', method: 'POST', url: 'http://vnc/list-bulk-collection' },
    { api: 'keystone', op: 'authenticate', method: 'POST', url: 'http://ks/v3/auth/tokens', json: { auth: { identity: { password: { user: { password: 'pw-secret' } } } } } },
  ] as const) assert.equal(writeLogLine(req, {}), undefined, req.op);
});
