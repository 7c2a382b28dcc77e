// Whether a failed interface attach actually happened (a pure decision; apply.ts does the GET).
//
// Under load Nova's POST /servers/{id}/os-interface can outlive the client's deadline (ETIMEDOUT)
// or lose its connection while the compute host goes on and plugs the port; the retry then gets
// 409 "Port … is still in use.". Detaching and deleting the port to make a new one (what a plain
// retry loop ends in) churns a vNIC that is fine. Instead, when the answer says nothing (no HTTP
// reply, or a 5xx: the outcome is unknown) or says the port is in use, the port itself is read:
// if its device_id is this server, the attach went through and the port is adopted as attached.
// A port bound to another server, or to none, is a real failure and is reported as before.
import { Conflict, isCloudError } from '../../cloud/errors.js';

/** The attach may have taken effect despite the error: read the port before calling it failed. */
export function attachMayHaveHappened(e: unknown): boolean {
  if (e instanceof Conflict) return e.conflict === 'InUse';
  if (!isCloudError(e)) return false;
  return e.kind === 'Unavailable' && (e.status === undefined || e.status >= 500);
}

/** The port is attached to `serverUUID` (Neutron's device_id, which Nova sets on attach). */
export function attachedTo(port: { device_id?: string | null } | undefined, serverUUID: string): boolean {
  return port !== undefined && port.device_id === serverUUID && serverUUID !== '';
}
