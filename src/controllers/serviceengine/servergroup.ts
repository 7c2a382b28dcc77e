// The SE side of ServiceEngineGroup.antiAffinity: boot with the scheduler hint naming the group's
// Nova server group (status.serverGroupUUID, kept by the group controller), and do not boot at
// all while the group has none yet — a server booted outside the group can never join it later
// (Nova has no "add member"), so waiting a moment is the only way the spread holds.
import { findCondition, type ServiceEngineGroup } from '../../api/index.js';

export type ServerGroupGate =
  | { go: true; hint: string | undefined }
  | { go: false; message: string };

/** Whether an SE of this group may boot now, and with which group hint (pure). */
export function serverGroupGate(group: ServiceEngineGroup | undefined): ServerGroupGate {
  if (group?.spec.antiAffinity !== true) return { go: true, hint: undefined };
  const uuid = group.status?.serverGroupUUID;
  if (uuid !== undefined && uuid !== '') return { go: true, hint: uuid };
  const why = findCondition(group.status?.conditions, 'AntiAffinity');
  const detail = why !== undefined && why.status !== 'True' ? `: ${why.message}` : ' yet';
  return { go: false, message: `ServiceEngineGroup ${group.metadata.name} has antiAffinity but no Nova server group${detail}; the SE boots once it has one` };
}
