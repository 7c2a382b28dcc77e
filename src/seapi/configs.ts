// Where GET /v1/config reads an SE's desired state. The server knows only this interface; the
// controllers keep it current (DesiredConfigs below: they put the content, it versions it).
import { configHash, nextVersion, type VersionState } from './desired.js';
import type { SEConfig, VipIntent } from './protocol.js';

/** seKey = "<namespace>/<name>" of the ServiceEngine. */
export interface ConfigSource {
  get(seKey: string): SEConfig | undefined;
  /** cb runs whenever the SE's config version changes; returns the unsubscribe. */
  subscribe(seKey: string, cb: (config: SEConfig) => void): () => void;
}

/**
 * An in-memory ConfigSource versioning content by hash (desired.ts nextVersion). `floor` gives the
 * highest version known from before this process (e.g. the agent's reported applied version), so
 * a restarted or new leader never hands out a lower version than the SE has seen.
 */
export class DesiredConfigs implements ConfigSource {
  private readonly configs = new Map<string, SEConfig>();
  private readonly versions = new Map<string, VersionState>();
  private readonly listeners = new Map<string, Set<(c: SEConfig) => void>>();

  constructor(private readonly floor: (seKey: string) => VersionState | undefined = () => undefined) {}

  /** Sets the SE's desired content; returns the config (a new version only if the content changed). */
  put(serviceEngine: SEConfig['serviceEngine'], vips: VipIntent[]): SEConfig {
    const seKey = `${serviceEngine.namespace}/${serviceEngine.name}`;
    const prev = this.versions.get(seKey);
    const v = nextVersion(prev, configHash(vips), this.floor(seKey));
    const old = this.configs.get(seKey);
    if (old !== undefined && prev === v && old.serviceEngine.uid === serviceEngine.uid) return old;
    this.versions.set(seKey, v);
    const config: SEConfig = { version: v.version, hash: v.hash, serviceEngine, vips };
    this.configs.set(seKey, config);
    if (old === undefined || old.version !== config.version) for (const cb of [...(this.listeners.get(seKey) ?? [])]) cb(config);
    return config;
  }

  /** The SE is gone: its config too (the version memory stays, so a namesake never goes back). */
  delete(seKey: string): void {
    this.configs.delete(seKey);
  }

  get(seKey: string): SEConfig | undefined {
    return this.configs.get(seKey);
  }

  subscribe(seKey: string, cb: (config: SEConfig) => void): () => void {
    let set = this.listeners.get(seKey);
    if (set === undefined) this.listeners.set(seKey, (set = new Set()));
    set.add(cb);
    return () => {
      set.delete(cb);
      if (set.size === 0) this.listeners.delete(seKey);
    };
  }
}
