// What the demo does to the cloud behind the operator's back: delete an SE's Nova server, as an
// admin would by mistake (or a host failure would). Keystone password auth, then DELETE /servers/ID.
// The password is the demo's own (the simulator's seed user), never printed.

export interface CloudLogin { keystone: string; nova: string; user: string; password: string; project: string }

export async function deleteServer(c: CloudLogin, serverID: string): Promise<void> {
  const auth = await fetch(`${c.keystone}/v3/auth/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: {
      identity: { methods: ['password'], password: { user: { name: c.user, domain: { id: 'default' }, password: c.password } } },
      scope: { project: { name: c.project, domain: { id: 'default' } } },
    } }),
  });
  if (auth.status !== 201) throw new Error(`keystone: login as ${c.user} answered ${auth.status}`);
  const token = auth.headers.get('x-subject-token') ?? '';
  const r = await fetch(`${c.nova}/servers/${encodeURIComponent(serverID)}`, { method: 'DELETE', headers: { 'x-auth-token': token } });
  if (r.status >= 300) throw new Error(`nova: DELETE /servers/${serverID} answered ${r.status} ${(await r.text()).slice(0, 200)}`);
}
