// The deployment kit (deploy/), checked offline on this machine: Kubernetes manifests against
// the API schemas in kubernetes-models plus the kit's own rules (probes, PDB, headless Service,
// members named by the Service), compose files against the compose-spec schema plus the same
// rules, the Dockerfile with dockerfile-utils, the systemd unit with systemd-analyze, and the
// image's scripts (qk-start, qk-probe, constdb-meet) against real servers on 127.0.0.1.
// No docker daemon or Kubernetes cluster is used (deploy/README.md says what that leaves out).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { parseConfig, validateConfig } from '@quorumkit/certain';
import { freePorts, startCluster, stopAllClusters } from '@quorumkit/test-harness';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { meet } from '../../deploy/scripts/constdb-meet.mjs';
import { grpcHealth, respPing, tcpOpen } from '../../deploy/scripts/qk-probe.mjs';
import { buildArgv } from '../../deploy/scripts/qk-start.mjs';
import { cli } from './multihost/common.js';
import { composeServices } from './multihost/composeRun.js';
import { certainFlow, constdbFlow, cspFlow, formCluster, PASSWORD, paxoskvFlow, rrseqFlow, type Run } from './multihost/composeScenarios.js';
import { k8sPods } from './multihost/k8sRun.js';
import { destroyAllHosts, removeStaleNamespaces, unavailableReason } from './multihost/netns.js';
import { composeSchemaError, deployDir, filesIn, k8sSchemaError, readYamlDocs, unknownFields, type Obj } from './multihost/deployFiles.js';

const SYSTEMS = ['certain', 'paxoskv', 'rrseq', 'constdb', 'csp-paxos'];
const SIZE: Record<string, number> = { certain: 3, paxoskv: 3, rrseq: 3, constdb: 3, 'csp-paxos': 5 };
// the port every node of a system listens on (docs/across-hosts.md), and its probe kind
const PORT: Record<string, number> = { certain: 7020, paxoskv: 7030, rrseq: 7040, constdb: 7050, 'csp-paxos': 7060 };
const GRPC = new Set(['certain', 'paxoskv', 'rrseq']);
const BOOTSTRAP_FLAG: Record<string, string | undefined> = { certain: '--bootstrap', paxoskv: '--bootstrap', rrseq: '--init', 'csp-paxos': '--bootstrap' };
const secretsEnv = { QK_REQUIREPASS: 'test-password-0123456789' };

afterAll(async () => {
  await stopAllClusters();
});

describe('Kubernetes manifests (deploy/k8s)', () => {
  const files = filesIn('k8s', /\.yaml$/);
  const objects = files.flatMap((f) => readYamlDocs(f).map((o) => ({ file: basename(f), o })));

  it('has one manifest per system and a namespace', () => {
    expect(files.map((f) => basename(f))).toEqual(['certain.yaml', 'constdb.yaml', 'csp-paxos.yaml', 'namespace.yaml', 'paxoskv.yaml', 'rrseq.yaml']);
  });

  it('validates every object against the Kubernetes API schema, with no unknown field', () => {
    const problems = objects.flatMap(({ file, o }) => [k8sSchemaError(o), ...unknownFields(o)].filter(Boolean).map((p) => `${file} ${o.kind} ${o.metadata?.name}: ${p}`));
    expect(problems).toEqual([]);
    expect(objects.length).toBeGreaterThanOrEqual(26);
  });

  it('refuses broken objects (the validator is not a rubber stamp)', () => {
    const sts = objects.find(({ o }) => o.kind === 'StatefulSet')!.o;
    const broken = structuredClone(sts);
    broken.spec.replicas = 'three';
    expect(k8sSchemaError(broken)).toMatch(/replicas must be integer/);
    const noSelector = structuredClone(sts);
    delete noSelector.spec.selector;
    expect(k8sSchemaError(noSelector)).toMatch(/required property selector/);
    const typo = structuredClone(sts);
    typo.spec.template.spec.containers[0].readinesProbe = typo.spec.template.spec.containers[0].readinessProbe;
    expect(unknownFields(typo)).toEqual([expect.stringMatching(/readinesProbe/)]);
  });

  it.each(SYSTEMS)('%s: StatefulSet, headless Service, PDB and probes fit together', (system) => {
    const mine = objects.filter(({ file }) => file === `${system}.yaml`).map(({ o }) => o);
    const sts = mine.find((o) => o.kind === 'StatefulSet')!;
    const headless = mine.find((o) => o.kind === 'Service' && o.spec.clusterIP === 'None')!;
    const pdb = mine.find((o) => o.kind === 'PodDisruptionBudget')!;
    expect(sts.spec.replicas).toBe(SIZE[system]);
    expect(sts.spec.serviceName).toBe(headless.metadata.name);
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    const labels = sts.spec.template.metadata.labels as Obj;
    for (const sel of [sts.spec.selector.matchLabels, headless.spec.selector, pdb.spec.selector.matchLabels] as Obj[]) {
      for (const [k, v] of Object.entries(sel)) expect(labels[k]).toBe(v);
    }
    expect(pdb.spec.maxUnavailable).toBe(1);
    const pod = sts.spec.template.spec as Obj;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
    const c = pod.containers[0] as Obj;
    const ports = (c.ports as Obj[]).map((p) => p.containerPort as number);
    expect(ports).toContain(PORT[system]);
    expect(c.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    if (GRPC.has(system)) expect(c.readinessProbe.grpc.port).toBe(PORT[system]);
    else expect(c.readinessProbe.tcpSocket.port).toBe(PORT[system]);
    const live = c.livenessProbe.grpc ?? c.livenessProbe.tcpSocket;
    expect(live.port).toBe(PORT[system]);
    // a gRPC liveness probe is used only where the probed service stays SERVING during recovery
    if (c.livenessProbe.grpc) expect(c.livenessProbe.grpc.service).toBe('');
  });

  it.each(SYSTEMS)('%s: every pod gets a complete command naming only pods of its Service', (system) => {
    const mine = objects.filter(({ file }) => file === `${system}.yaml`).map(({ o }) => o);
    const sts = mine.find((o) => o.kind === 'StatefulSet')!;
    const c = sts.spec.template.spec.containers[0] as Obj;
    const fromMaps: Obj = {};
    for (const ref of (c.envFrom ?? []) as Obj[]) Object.assign(fromMaps, mine.find((o) => o.kind === 'ConfigMap' && o.metadata.name === ref.configMapRef.name)!.data);
    const env: Obj = { ...fromMaps, POD_IP: '10.0.0.9', ...secretsEnv };
    for (const e of (c.env ?? []) as Obj[]) if (e.value !== undefined) env[e.name] = e.value;
    const names = new Set(Array.from({ length: SIZE[system]! }, (_, i) => `${sts.metadata.name}-${i}.${sts.spec.serviceName}.${sts.metadata.namespace}.svc.cluster.local`));
    // systems without a bootstrap flag (constdb) are never started with QK_BOOTSTRAP
    const boots = BOOTSTRAP_FLAG[system] ? ['no', 'yes'] : ['no'];
    for (let i = 0; i < SIZE[system]!; i++) {
      for (const boot of boots) {
        const argv = buildArgv(c.args, { ...env, HOSTNAME: `${sts.metadata.name}-${i}`, QK_BOOTSTRAP: boot });
        expect(argv.join(' ')).not.toMatch(/[{}]/);
        for (const m of argv.join(' ').matchAll(/([a-z0-9.-]+\.svc\.cluster\.local)/g)) expect(names.has(m[1]!)).toBe(true);
        const flag = BOOTSTRAP_FLAG[system];
        const wantFlag = boot === 'yes' && flag !== undefined && (system !== 'rrseq' || i === 0);
        expect(argv.includes(flag ?? '--bootstrap')).toBe(wantFlag);
      }
    }
    // shipped with bootstrap off: re-applying the file never bootstraps a pod that lost its volume
    if (BOOTSTRAP_FLAG[system]) expect(fromMaps.QK_BOOTSTRAP).toBe('no');
  });
});

describe('compose files (deploy/compose)', () => {
  const load = (system: string): Obj => readYamlDocs(join(deployDir, 'compose', `${system}.yml`))[0]!;

  it.each(SYSTEMS)('%s.yml validates against the compose-spec schema', (system) => {
    expect(composeSchemaError(load(system))).toBe('');
  });

  it('refuses a broken compose file (misspelt key, wrong type)', () => {
    const doc = load('certain');
    doc.services.certain0.restart = 7;
    doc.services.certain1.comand = ['card-srv'];
    const err = composeSchemaError(doc);
    expect(err).toMatch(/certain0\/restart must be string/);
    expect(err).toMatch(/certain1 must NOT have additional properties/);
  });

  it.each(SYSTEMS)('%s.yml: one node per address on the same port, own volume, health check on its own address', (system) => {
    const doc = load(system);
    const nodes = Object.entries(doc.services as Obj).filter(([name]) => !name.endsWith('-join'));
    expect(nodes).toHaveLength(SIZE[system]!);
    const [net] = Object.keys(doc.networks as Obj);
    const subnet = (doc.networks[net!].ipam.config[0].subnet as string).replace(/\.0\/24$/, '.');
    const ips = nodes.map(([, s]) => s.networks[net!].ipv4_address as string);
    expect(new Set(ips).size).toBe(ips.length);
    for (const [name, s] of nodes) {
      const ip = s.networks[net!].ipv4_address as string;
      expect(ip.startsWith(subnet)).toBe(true);
      expect(s.volumes).toContain(`${name}:/data`);
      expect(Object.keys(doc.volumes as Obj)).toContain(name);
      expect(s.healthcheck.test.join(' ')).toContain(`${ip}:${PORT[system]}`);
      expect(s.init).toBe(true);
      for (const boot of ['no', 'yes']) {
        const argv = buildArgv(s.command, { ...(s.environment as Obj), ...secretsEnv, HOSTNAME: s.hostname, QK_BOOTSTRAP: boot });
        // certain and csp-paxos name their addresses in their config files (checked below)
        if (system !== 'certain' && system !== 'csp-paxos') expect(argv.join(' ')).toContain(ip);
        expect(argv.join(' ')).not.toMatch(/[{}]/);
        const flag = BOOTSTRAP_FLAG[system];
        if (flag) expect(argv.includes(flag)).toBe(boot === 'yes' && (system !== 'rrseq' || s.hostname === 'rrseq-0'));
      }
    }
  });

  it('certain.conf and csp-paxos.json name exactly the compose addresses', () => {
    const text = readFileSync(join(deployDir, 'compose', 'certain.conf'), 'utf8');
    for (let id = 0; id < 3; id++) {
      const { config } = parseConfig(text);
      config.acceptorId = id;
      config.path = '/data';
      validateConfig(config);
      expect(config.serverAddrs).toEqual(['10.77.1.11:7010', '10.77.1.12:7010', '10.77.1.13:7010']);
    }
    const csp = JSON.parse(readFileSync(join(deployDir, 'compose', 'csp-paxos.json'), 'utf8')) as Obj;
    const ips = Object.values(load('csp-paxos').services as Obj).map((s) => s.networks.csp.ipv4_address as string);
    expect((csp.committee as Obj[]).map((m) => m.host)).toEqual(ips);
    expect(csp.secretFile).toBe('/run/secrets/csp_peer_secret');
  });
});

describe('Dockerfile and systemd unit', () => {
  const dockerfile = readFileSync(join(deployDir, 'Dockerfile'), 'utf8');

  it('lints clean (dockerfile-utils) and has the kit\'s shape: builder stage, non-root, /data volume', () => {
    expect(lintDockerfile(dockerfile).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    expect(lintDockerfile('FROM node:20\nEXPOSE abc\nFOO bar\n').map((d) => d.message)).toEqual(['Invalid containerPort: abc', 'Unknown instruction: FOO']);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20[\w.-]*$/m);
    expect(dockerfile.match(/^FROM \$\{NODE_IMAGE\} AS (\w+)$/gm)).toEqual(['FROM ${NODE_IMAGE} AS build', 'FROM ${NODE_IMAGE} AS runtime']);
    expect(dockerfile).toMatch(/^RUN npm ci --no-audit --no-fund$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^VOLUME \["\/data"\]$/m);
    const ignore = readFileSync(join(deployDir, 'Dockerfile.dockerignore'), 'utf8');
    for (const p of ['**/node_modules', '**/dist', '.git']) expect(ignore.split('\n')).toContain(p);
  });

  it('the systemd unit template passes systemd-analyze verify, and every example env file gives a complete command', () => {
    const unit = readFileSync(join(deployDir, 'systemd', 'quorumkit@.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/quorumkit\/deploy\/qk-start\.mjs \$\{QK_BIN\} \$QK_ARGS$/m);
    const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    if (analyze.error) {
      console.warn(`systemd-analyze is not installed (${analyze.error.message}): the unit was only checked as text`);
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'qk-unit-'));
      try {
        const path = join(dir, 'quorumkit@certain.service');
        // verify needs the ExecStart binary to exist: point it at this node if /usr/bin/node is absent
        writeFileSync(path, existsSync('/usr/bin/node') ? unit : unit.replace('/usr/bin/node', process.execPath));
        const r = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8', timeout: 60_000 });
        expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
        expect(r.status).toBe(0);
        copyFileSync(path, join(dir, 'quorumkit@bad.service'));
        writeFileSync(join(dir, 'quorumkit@bad.service'), unit.replace('Restart=always', 'Restart=sometimes'));
        const bad = spawnSync('systemd-analyze', ['verify', join(dir, 'quorumkit@bad.service')], { encoding: 'utf8', timeout: 60_000 });
        expect(bad.stderr).toMatch(/restart specifier/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    for (const system of SYSTEMS) {
      const env: Obj = {};
      for (const line of readFileSync(join(deployDir, 'systemd', `${system}.env`), 'utf8').split('\n')) {
        const m = /^([A-Z_]+)=(.*)$/.exec(line);
        if (m) env[m[1]!] = m[2];
      }
      const argv = buildArgv([env.QK_BIN, ...(env.QK_ARGS as string).split(/\s+/)], env);
      expect(argv[0]).toBe(system === 'certain' ? 'card-srv' : system === 'rrseq' ? 'rrseq-server' : system === 'constdb' ? 'constdb-server' : system);
      expect(argv.join(' ')).not.toMatch(/[{}]/);
      expect(argv.join(' ')).toContain('/var/lib/quorumkit/');
    }
  });
});

describe('image scripts', () => {
  it('qk-start refuses what it cannot fill, and fills what it can', () => {
    expect(() => buildArgv([], {})).toThrow(/usage/);
    expect(() => buildArgv(['x', '-i', '{ordinal}'], { HOSTNAME: 'machine' })).toThrow(/no replica number/);
    expect(() => buildArgv(['x', '{env:PW}'], {})).toThrow(/PW is not set/);
    expect(() => buildArgv(['x', '{item:M}'], { QK_ORDINAL: '3', M: 'a b c' })).toThrow(/lists 3 members, this is replica 3/);
    expect(() => buildArgv(['x'], { QK_BOOTSTRAP: 'maybe' })).toThrow(/yes or no/);
    expect(buildArgv(['s', '{item:M}', 'p', '{others:M}'], { HOSTNAME: 'rrseq-1', M: 'a:1,b:1,c:1', QK_BOOTSTRAP: 'yes', QK_BOOTSTRAP_FLAG: '--init', QK_BOOTSTRAP_ORDINAL: '0' })).toEqual(['s', 'b:1', 'p', 'a:1', 'c:1']);
    expect(buildArgv(['c', '--node-id', '{ordinal+1}'], { QK_ORDINAL: '2', QK_BOOTSTRAP: 'yes' })).toEqual(['c', '--node-id', '3', '--bootstrap']);
  });

  it('qk-probe and constdb-meet work against real servers (paxoskv acceptor, two constdb nodes with a password)', async () => {
    const [pk, c1, c2, closed] = await freePorts(4);
    const dir = mkdtempSync(join(tmpdir(), 'qk-deploy-scripts-'));
    const paxoskv = await startCluster({
      nodes: 1,
      dataDir: join(dir, 'paxoskv'),
      spec: () => ({ command: process.execPath, args: [cli('paxoskv', 'paxoskv'), 'serve', '--id', '0', '--listen', `127.0.0.1:${pk}`, '--data', join(dir, 'paxoskv', 'data'), '--bootstrap', '--peers', `127.0.0.1:${pk}`] }),
      readyWhen: /listening on/,
    });
    const constdb = await startCluster({
      nodes: 2,
      dataDir: join(dir, 'constdb'),
      spec: (i) => ({ command: process.execPath, args: [cli('constdb', 'constdb-server'), '--node-id', String(i + 1), '--port', String(i === 0 ? c1 : c2), '--work-dir', join(dir, 'constdb', `node${i}`), '--requirepass', secretsEnv.QK_REQUIREPASS] }),
      readyWhen: /ready on/,
    });
    try {
      expect(await grpcHealth(`127.0.0.1:${pk}`)).toBe('SERVING');
      await expect(grpcHealth(`127.0.0.1:${pk}`, 'no.such.Service')).rejects.toThrow(/NOT_FOUND/);
      expect(await tcpOpen(`127.0.0.1:${c1}`)).toBe(true);
      expect(await tcpOpen(`127.0.0.1:${closed}`)).toBe(false);
      expect(await respPing(`127.0.0.1:${c1}`, secretsEnv.QK_REQUIREPASS)).toBe('PONG');
      expect(await respPing(`127.0.0.1:${c1}`)).toMatch(/NOAUTH/);
      expect(await meet(`127.0.0.1:${c2}`, [`127.0.0.1:${c1}`], 'wrong-password')).toEqual([expect.stringMatching(/AUTH refused/)]);
      expect(await meet(`127.0.0.1:${c2}`, [`127.0.0.1:${c1}`], secretsEnv.QK_REQUIREPASS)).toEqual([]);
    } finally {
      await paxoskv.stop();
      await constdb.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

const noNetns = unavailableReason();
if (noNetns) console.warn(`compose clusters without docker skipped: ${noNetns}`);

describe.skipIf(noNetns !== undefined)('deployment files run without docker or Kubernetes (namespaces at their addresses)', () => {
  let run: Partial<Run> = {};
  beforeAll(() => {
    removeStaleNamespaces();
  });
  afterEach(async () => {
    await run.agent?.stop();
    await run.c?.cluster.stop();
    run.hosts?.destroy();
    run.c?.remove();
    run = {};
  });
  afterAll(() => destroyAllHosts());
  const track = (r: Partial<Run>): void => {
    run = { ...run, ...r };
  };
  const join = composeServices('constdb').doc.services['constdb-join'].command as string[];
  const flows: Record<string, (r: Run) => Promise<string>> = {
    certain: certainFlow,
    paxoskv: paxoskvFlow,
    rrseq: rrseqFlow,
    constdb: (r) => constdbFlow(r, join),
    'csp-paxos': cspFlow,
  };

  it.each(SYSTEMS)('%s.yml forms a cluster, passes its health checks, and replaces a wiped node as the docs say', async (system) => {
    const r = await formCluster(system, 'compose', track);
    const summary = await flows[system]!(r);
    console.log(`compose ${system}: ${summary}`);
    expect(r.c.services.every((_, i) => r.c.cluster.isUp(i))).toBe(true);
  }, 240_000);

  // the StatefulSets' pods by their Service names (each namespace's /etc/hosts lists them)
  const k8sFlows: Record<string, (r: Run) => Promise<string>> = { ...flows, constdb: (r) => constdbFlow(r, k8sPods('constdb', PASSWORD).jobArgs!) };
  it.each(SYSTEMS)('k8s/%s.yaml pods form a cluster by their DNS names, pass their readiness probes, and replace a wiped pod', async (system) => {
    const r = await formCluster(system, 'k8s', track);
    const summary = await k8sFlows[system]!(r);
    console.log(`k8s ${system}: ${summary}`);
    expect(r.c.services.every((_, i) => r.c.cluster.isUp(i))).toBe(true);
  }, 240_000);
});
