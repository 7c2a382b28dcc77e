// Invalid objects, each with a substring that must appear BOTH in kube-apiserver's rejection
// (kubectl apply / create, fieldValidation=Strict) and in `contrail-lb-operator validate`'s output.
// The unit tests run the table through the offline validator; the integration tests run the same
// table against a real kube-apiserver with the CRDs installed. Substrings are the CEL rule messages
// verbatim, or kube-apiserver's fixed wording (Required value, Unsupported value, Duplicate value,
// should match '...', should be greater than or equal to N, must be of type T, unknown field "...").
export interface CRDCase {
  name: string;
  manifest: Record<string, unknown>;
  expect: string;
}

export interface CRDUpdateCase extends CRDCase {
  /** Created first; then manifest is applied as an update and must be rejected. */
  old: Record<string, unknown>;
}

type Obj = Record<string, unknown>;
const apiVersion = 'lb.contrail-operator.io/v1alpha1';
const ns = 'crd-cases';
const subnetUUID = 'a834986a-385e-4616-9d9c-6b91cfaa51e0';
const namePattern = String.raw`should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'`;

/** The namespace every namespaced case lives in (create it first when applying to a cluster). */
export const crdCaseNamespace = ns;

export const validBase = {
  cloud: (name = 'case-cloud'): Obj => ({
    apiVersion,
    kind: 'Cloud',
    metadata: { name },
    spec: {
      keystone: { authURL: 'https://keystone:5000/v3', credentialsSecretRef: { name: 'creds', namespace: 'lb-system' } },
      contrail: { apiURL: 'https://contrail-api:8082', analyticsURL: 'https://contrail-analytics:8081' },
      managementNetwork: 'avi-mgmt',
      serviceEngine: { image: 'avi-se', flavor: 'm1.large' },
      tenants: [{ namespace: ns, project: 'demo' }],
    },
  }),
  seg: (name = 'case-seg'): Obj => ({
    apiVersion,
    kind: 'ServiceEngineGroup',
    metadata: { name, namespace: ns },
    spec: { cloudRef: 'case-cloud' },
  }),
  se: (name = 'case-se'): Obj => ({
    apiVersion,
    kind: 'ServiceEngine',
    metadata: { name, namespace: ns },
    spec: { cloudRef: 'case-cloud', seGroupRef: 'default' },
  }),
  pool: (name = 'case-pool'): Obj => ({
    apiVersion,
    kind: 'Pool',
    metadata: { name, namespace: ns },
    spec: { cloudRef: 'case-cloud', servers: [{ ip: '20.0.0.3', port: 80 }] },
  }),
  vs: (name = 'case-vs'): Obj => ({
    apiVersion,
    kind: 'VirtualService',
    metadata: { name, namespace: ns },
    spec: {
      cloudRef: 'case-cloud',
      poolRef: 'case-pool',
      vip: [{ vipID: '0', subnetUUID }],
      services: [{ port: 80 }],
      scaleout: { ecmp: true, minSEs: 1, maxSEs: 4 },
    },
  }),
};

type BaseName = keyof typeof validBase;

/** A copy of a valid base object with one change made to it. */
function mutate(base: BaseName, name: string, change: (o: Obj) => void): Obj {
  const obj = validBase[base](name);
  change(obj);
  return obj;
}

const spec = (o: Obj): Obj => o.spec as Obj;
const at = (o: Obj, ...path: (string | number)[]): Obj => {
  let node: unknown = o;
  for (const p of path) node = (node as Record<string | number, unknown>)[p];
  return node as Obj;
};

export const crdCases: CRDCase[] = [
  // --- Cloud ---
  { name: 'cloud-authurl-not-url', expect: 'keystone.authURL must be an http or https URL',
    manifest: mutate('cloud', 'c1', (o) => { at(o, 'spec', 'keystone').authURL = 'not a url'; }) },
  { name: 'cloud-contrail-ftp', expect: 'contrail.apiURL must be an http or https URL',
    manifest: mutate('cloud', 'c2', (o) => { at(o, 'spec', 'contrail').apiURL = 'ftp://contrail:8082'; }) },
  { name: 'cloud-contrail-analytics-not-http', expect: 'contrail.analyticsURL must be an http or https URL',
    manifest: mutate('cloud', 'c2a', (o) => { at(o, 'spec', 'contrail').analyticsURL = 'contrail-analytics:8081'; }) },
  { name: 'cloud-interface-enum', expect: 'Unsupported value: "private"',
    manifest: mutate('cloud', 'c3', (o) => { at(o, 'spec', 'keystone').interface = 'private'; }) },
  { name: 'cloud-bootstrap-enum', expect: 'Unsupported value: "Floppy"',
    manifest: mutate('cloud', 'c4', (o) => { at(o, 'spec', 'serviceEngine').bootstrap = 'Floppy'; }) },
  { name: 'cloud-resync-minimum', expect: 'should be greater than or equal to 5',
    manifest: mutate('cloud', 'c5', (o) => { spec(o).resyncPeriodSeconds = 1; }) },
  { name: 'cloud-missing-keystone', expect: 'spec.keystone: Required value',
    manifest: mutate('cloud', 'c6', (o) => { delete spec(o).keystone; }) },
  { name: 'cloud-secret-namespace-pattern', expect: "should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'",
    manifest: mutate('cloud', 'c7', (o) => { at(o, 'spec', 'keystone', 'credentialsSecretRef').namespace = 'Bad_NS'; }) },
  { name: 'cloud-duplicate-tenant', expect: 'Duplicate value',
    manifest: mutate('cloud', 'c8', (o) => { spec(o).tenants = [{ namespace: 'demo', project: 'a' }, { namespace: 'demo', project: 'b' }]; }) },
  { name: 'cloud-unknown-field', expect: 'unknown field "spec.keystone.password"',
    manifest: mutate('cloud', 'c9', (o) => { at(o, 'spec', 'keystone').password = 'hunter2'; }) },
  { name: 'cloud-wrong-type', expect: 'must be of type boolean',
    manifest: mutate('cloud', 'c10', (o) => { at(o, 'spec', 'keystone').insecureSkipVerify = 'yes'; }) },
  { name: 'cloud-missing-management-network', expect: 'spec.managementNetwork: Required value',
    manifest: mutate('cloud', 'c11', (o) => { delete spec(o).managementNetwork; }) },

  // --- ServiceEngineGroup ---
  { name: 'seg-scaleout-min-gt-max', expect: 'minScaleoutPerVS must be less than or equal to maxScaleoutPerVS',
    manifest: mutate('seg', 'g1', (o) => { Object.assign(spec(o), { minScaleoutPerVS: 5, maxScaleoutPerVS: 2 }); }) },
  { name: 'seg-buffer-gt-max', expect: 'bufferSEs must be less than or equal to maxSEs',
    manifest: mutate('seg', 'g2', (o) => { Object.assign(spec(o), { bufferSEs: 11 }); }) },
  { name: 'seg-hamode-enum', expect: 'Unsupported value: "NPlusM"',
    manifest: mutate('seg', 'g3', (o) => { spec(o).haMode = 'NPlusM'; }) },
  { name: 'seg-placement-enum', expect: 'Unsupported value: "Random"',
    manifest: mutate('seg', 'g4', (o) => { spec(o).placement = 'Random'; }) },
  { name: 'seg-maxses-minimum', expect: 'should be greater than or equal to 1',
    manifest: mutate('seg', 'g5', (o) => { Object.assign(spec(o), { maxSEs: 0, bufferSEs: 0 }); }) },
  { name: 'seg-duplicate-zone', expect: 'Duplicate value',
    manifest: mutate('seg', 'g6', (o) => { spec(o).availabilityZones = ['az1', 'az1']; }) },
  { name: 'seg-cloudref-pattern', expect: namePattern,
    manifest: mutate('seg', 'g7', (o) => { spec(o).cloudRef = 'Jvnc2'; }) },
  { name: 'seg-missing-cloudref', expect: 'spec.cloudRef: Required value',
    manifest: mutate('seg', 'g8', (o) => { delete spec(o).cloudRef; }) },

  // --- ServiceEngine ---
  { name: 'se-missing-segroupref', expect: 'spec.seGroupRef: Required value',
    manifest: mutate('se', 'e1', (o) => { delete spec(o).seGroupRef; }) },
  { name: 'se-cloudref-too-long', expect: 'spec.cloudRef: Too long',
    manifest: mutate('se', 'e2', (o) => { spec(o).cloudRef = 'a'.repeat(254); }) },
  { name: 'se-unknown-field', expect: 'unknown field "spec.serverUUID"',
    manifest: mutate('se', 'e3', (o) => { spec(o).serverUUID = 'x'; }) },

  // --- Pool ---
  { name: 'pool-server-ip-invalid', expect: 'ip must be a valid IPv4 or IPv6 address',
    manifest: mutate('pool', 'p1', (o) => { spec(o).servers = [{ ip: '300.1.1.1', port: 80 }]; }) },
  { name: 'pool-server-port-zero', expect: 'should be greater than or equal to 1',
    manifest: mutate('pool', 'p2', (o) => { spec(o).servers = [{ ip: '20.0.0.3', port: 0 }]; }) },
  { name: 'pool-server-port-too-big', expect: 'should be less than or equal to 65535',
    manifest: mutate('pool', 'p3', (o) => { spec(o).servers = [{ ip: '20.0.0.3', port: 70000 }]; }) },
  { name: 'pool-server-ratio', expect: 'should be less than or equal to 20',
    manifest: mutate('pool', 'p4', (o) => { spec(o).servers = [{ ip: '20.0.0.3', port: 80, ratio: 21 }]; }) },
  { name: 'pool-duplicate-server', expect: 'Duplicate value',
    manifest: mutate('pool', 'p5', (o) => { spec(o).servers = [{ ip: '20.0.0.3', port: 80 }, { ip: '20.0.0.3', port: 80, ratio: 2 }]; }) },
  { name: 'pool-algorithm-enum', expect: 'Unsupported value: "Random"',
    manifest: mutate('pool', 'p6', (o) => { spec(o).lbAlgorithm = 'Random'; }) },
  { name: 'pool-monitor-timeout-gt-interval', expect: 'healthMonitor.timeoutSeconds must be less than or equal to healthMonitor.intervalSeconds',
    manifest: mutate('pool', 'p7', (o) => { spec(o).healthMonitor = { type: 'TCP', intervalSeconds: 5, timeoutSeconds: 10 }; }) },
  { name: 'pool-monitor-httppath-on-tcp', expect: 'healthMonitor.httpPath is only allowed when type is HTTP',
    manifest: mutate('pool', 'p8', (o) => { spec(o).healthMonitor = { type: 'TCP', httpPath: '/healthz' }; }) },
  { name: 'pool-monitor-httppath-pattern', expect: "should match '^/'",
    manifest: mutate('pool', 'p9', (o) => { spec(o).healthMonitor = { type: 'HTTP', httpPath: 'healthz' }; }) },
  { name: 'pool-monitor-missing-type', expect: 'spec.healthMonitor.type: Required value',
    manifest: mutate('pool', 'p10', (o) => { spec(o).healthMonitor = { intervalSeconds: 5 }; }) },
  { name: 'pool-port-string', expect: 'must be of type integer',
    manifest: mutate('pool', 'p11', (o) => { spec(o).servers = [{ ip: '20.0.0.3', port: '80' }]; }) },
  { name: 'pool-missing-cloudref', expect: 'spec.cloudRef: Required value',
    manifest: mutate('pool', 'p12', (o) => { delete spec(o).cloudRef; }) },
  { name: 'pool-too-many-servers', expect: 'must have at most 1000 items',
    manifest: mutate('pool', 'p13', (o) => {
      spec(o).servers = Array.from({ length: 1001 }, (_, i) => ({ ip: `20.0.${i >> 8}.${i & 255}`, port: 80 }));
    }) },

  // --- VirtualService ---
  { name: 'vs-static-ip-missing', expect: 'ipAddress is required when autoAllocateIP is false',
    manifest: mutate('vs', 'v1', (o) => { spec(o).vip = [{ vipID: '0', autoAllocateIP: false, subnetUUID }]; }) },
  { name: 'vs-ip-with-autoallocate', expect: 'ipAddress must not be set when autoAllocateIP is true',
    manifest: mutate('vs', 'v2', (o) => { spec(o).vip = [{ vipID: '0', ipAddress: '19.1.1.5', subnetUUID }]; }) },
  { name: 'vs-vip-no-subnet-or-network', expect: 'subnetUUID or networkRef is required',
    manifest: mutate('vs', 'v3', (o) => { spec(o).vip = [{ vipID: '0' }]; }) },
  { name: 'vs-static-ip-outside-subnet', expect: 'ipAddress must be inside subnet',
    manifest: mutate('vs', 'v4', (o) => {
      spec(o).vip = [{ vipID: '0', autoAllocateIP: false, ipAddress: '19.1.2.5', subnet: '19.1.1.0/24', subnetUUID }];
    }) },
  { name: 'vs-floating-ip-with-autoallocate', expect: 'floatingIP must not be set when autoAllocateFloatingIP is true',
    manifest: mutate('vs', 'v5', (o) => {
      spec(o).vip = [{ vipID: '0', subnetUUID, autoAllocateFloatingIP: true, floatingIP: '172.24.4.10' }];
    }) },
  { name: 'vs-static-ip-invalid', expect: 'ipAddress must be a valid IPv4 or IPv6 address',
    manifest: mutate('vs', 'v6', (o) => { spec(o).vip = [{ vipID: '0', autoAllocateIP: false, ipAddress: '19.1.1', subnetUUID }]; }) },
  { name: 'vs-subnet-cidr-invalid', expect: 'subnet must be a valid CIDR, e.g. 10.0.0.0/24',
    manifest: mutate('vs', 'v7', (o) => { spec(o).vip = [{ vipID: '0', subnet: '19.1.1.0/33', subnetUUID }]; }) },
  { name: 'vs-floating-ip-invalid', expect: 'floatingIP must be a valid IPv4 or IPv6 address',
    manifest: mutate('vs', 'v8', (o) => { spec(o).vip = [{ vipID: '0', subnetUUID, floatingIP: 'fip-1' }]; }) },
  { name: 'vs-subnet-uuid-pattern', expect: "should match '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'",
    manifest: mutate('vs', 'v9', (o) => { spec(o).vip = [{ vipID: '0', subnetUUID: 'not-a-uuid' }]; }) },
  { name: 'vs-duplicate-vipid', expect: 'Duplicate value',
    manifest: mutate('vs', 'v10', (o) => { spec(o).vip = [{ vipID: '0', subnetUUID }, { vipID: '0', networkRef: 'vip-net' }]; }) },
  { name: 'vs-duplicate-service-port', expect: 'Duplicate value',
    manifest: mutate('vs', 'v11', (o) => { spec(o).services = [{ port: 80 }, { port: 80, protocol: 'UDP' }]; }) },
  { name: 'vs-overlapping-port-ranges', expect: 'service port ranges must not overlap',
    manifest: mutate('vs', 'v12', (o) => { spec(o).services = [{ port: 8000, portRangeEnd: 8010 }, { port: 8005 }]; }) },
  { name: 'vs-port-range-reversed', expect: 'portRangeEnd must be greater than or equal to port',
    manifest: mutate('vs', 'v13', (o) => { spec(o).services = [{ port: 8010, portRangeEnd: 8000 }]; }) },
  { name: 'vs-protocol-enum', expect: 'Unsupported value: "SCTP"',
    manifest: mutate('vs', 'v14', (o) => { spec(o).services = [{ port: 80, protocol: 'SCTP' }]; }) },
  { name: 'vs-scaleout-min-gt-max', expect: 'scaleout.minSEs must be less than or equal to scaleout.maxSEs',
    manifest: mutate('vs', 'v15', (o) => { spec(o).scaleout = { minSEs: 4, maxSEs: 2 }; }) },
  { name: 'vs-scaleout-max-range', expect: 'should be less than or equal to 64',
    manifest: mutate('vs', 'v16', (o) => { spec(o).scaleout = { minSEs: 1, maxSEs: 65 }; }) },
  { name: 'vs-autoscale-without-ecmp', expect: 'scaleout.autoscale needs scaleout.ecmp (without ECMP only the primary SE carries traffic)',
    manifest: mutate('vs', 'v40', (o) => { spec(o).scaleout = { ecmp: false, minSEs: 1, maxSEs: 4, autoscale: { metric: 'ConnectionsPerSE', target: 1000 } }; }) },
  { name: 'vs-ssl-without-tls', expect: 'a service with enableSSL needs spec.tls.secretRef (the kubernetes.io/tls Secret whose certificate the SEs serve)',
    manifest: mutate('vs', 'v50', (o) => { spec(o).services = [{ port: 80 }, { port: 443, enableSSL: true }]; }) },
  { name: 'vs-tls-without-secret-name', expect: 'spec.tls.secretRef.name: Required value',
    manifest: mutate('vs', 'v51', (o) => { spec(o).services = [{ port: 443, enableSSL: true }]; spec(o).tls = { secretRef: {} }; }) },
  { name: 'vs-autoscale-cpu-over-100', expect: 'a CPUPercent target must be at most 100',
    manifest: mutate('vs', 'v41', (o) => { spec(o).scaleout = { ecmp: true, minSEs: 1, maxSEs: 4, autoscale: { metric: 'CPUPercent', target: 120 } }; }) },
  { name: 'vs-autoscale-target-zero', expect: 'should be greater than or equal to 1',
    manifest: mutate('vs', 'v42', (o) => { spec(o).scaleout = { ecmp: true, minSEs: 1, maxSEs: 4, autoscale: { metric: 'RequestsPerSecondPerSE', target: 0 } }; }) },
  { name: 'vs-autoscale-metric-enum', expect: 'Unsupported value: "Bandwidth"',
    manifest: mutate('vs', 'v43', (o) => { spec(o).scaleout = { ecmp: true, minSEs: 1, maxSEs: 4, autoscale: { metric: 'Bandwidth', target: 10 } }; }) },
  { name: 'vs-no-vips', expect: 'should have at least 1 items',
    manifest: mutate('vs', 'v17', (o) => { spec(o).vip = []; }) },
  { name: 'vs-too-many-vips', expect: 'must have at most 8 items',
    manifest: mutate('vs', 'v18', (o) => { spec(o).vip = Array.from({ length: 9 }, (_, i) => ({ vipID: String(i), subnetUUID })); }) },
  { name: 'vs-missing-poolref', expect: 'spec.poolRef: Required value',
    manifest: mutate('vs', 'v19', (o) => { delete spec(o).poolRef; }) },
  { name: 'vs-missing-services', expect: 'spec.services: Required value',
    manifest: mutate('vs', 'v20', (o) => { delete spec(o).services; }) },
  { name: 'vs-unknown-nested-field', expect: 'unknown field "spec.vip[0].port"',
    manifest: mutate('vs', 'v21', (o) => { spec(o).vip = [{ vipID: '0', subnetUUID, port: 80 }]; }) },
  { name: 'vs-unknown-top-level-field', expect: 'unknown field "specs"',
    manifest: mutate('vs', 'v22', (o) => { o.specs = {}; }) },
  { name: 'vs-missing-spec', expect: 'spec: Required value',
    manifest: mutate('vs', 'v23', (o) => { delete o.spec; }) },
  { name: 'vs-bad-name', expect: 'a lowercase RFC 1123 subdomain must consist of',
    manifest: mutate('vs', 'VS_2', () => undefined) },
  { name: 'vs-enabled-wrong-type', expect: 'must be of type boolean',
    manifest: mutate('vs', 'v25', (o) => { spec(o).enabled = 'true'; }) },
  { name: 'vs-vipid-pattern', expect: "should match '^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$'",
    manifest: mutate('vs', 'v26', (o) => { spec(o).vip = [{ vipID: '-0', subnetUUID }]; }) },
];

/** Updates the server must refuse (CEL transition rules): apply `old`, then `manifest`. */
export const crdUpdateCases: CRDUpdateCase[] = [
  { name: 'vs-cloudref-immutable', expect: 'cloudRef is immutable',
    old: validBase.vs('u1'), manifest: mutate('vs', 'u1', (o) => { spec(o).cloudRef = 'other-cloud'; }) },
  { name: 'pool-cloudref-immutable', expect: 'cloudRef is immutable',
    old: validBase.pool('u2'), manifest: mutate('pool', 'u2', (o) => { spec(o).cloudRef = 'other-cloud'; }) },
  { name: 'seg-cloudref-immutable', expect: 'cloudRef is immutable',
    old: validBase.seg('u3'), manifest: mutate('seg', 'u3', (o) => { spec(o).cloudRef = 'other-cloud'; }) },
  { name: 'se-cloudref-immutable', expect: 'cloudRef is immutable',
    old: validBase.se('u4'), manifest: mutate('se', 'u4', (o) => { spec(o).cloudRef = 'other-cloud'; }) },
  { name: 'se-segroupref-immutable', expect: 'seGroupRef is immutable',
    old: validBase.se('u5'), manifest: mutate('se', 'u5', (o) => { spec(o).seGroupRef = 'other-group'; }) },
];
