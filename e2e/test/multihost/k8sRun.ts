// A Kubernetes manifest's StatefulSet as pods for startPods: each pod in its own namespace at
// a test address, named as the headless Service names it (its /etc/hosts lists every pod's
// FQDN, as the kubelet and cluster DNS would resolve them), its args, envFrom ConfigMaps,
// env (values, status.podIP, Secrets), ConfigMap and Secret volumes, and its readiness probe
// as the health check. Not shown: the kubelet, DNS, PVCs, scheduling (deploy/README.md).
import { join } from 'node:path';
import { deployDir, readYamlDocs, type Obj } from './deployFiles.js';
import type { PodSpec } from './composeRun.js';

const SUBNET: Record<string, string> = { certain: '10.77.11', paxoskv: '10.77.12', rrseq: '10.77.13', constdb: '10.77.14', 'csp-paxos': '10.77.15' };

export interface K8sPods {
  pods: PodSpec[];
  files: Record<string, string>;
  hostsFile: string;
  /** the args of a Job in the same manifest (constdb-join), or undefined */
  jobArgs?: string[];
}

export function k8sPods(system: string, secretValue: string): K8sPods {
  const objs = readYamlDocs(join(deployDir, 'k8s', `${system}.yaml`));
  const sts = objs.find((o) => o.kind === 'StatefulSet')!;
  const configMap = (name: string): Record<string, string> => {
    const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
    if (!cm) throw new Error(`${system}.yaml: no ConfigMap ${name}`);
    return cm.data as Record<string, string>;
  };
  const pod = sts.spec.template.spec as Obj;
  const c = pod.containers[0] as Obj;
  const n = sts.spec.replicas as number;
  const names = Array.from({ length: n }, (_, i) => `${sts.metadata.name}-${i}`);
  const ips = names.map((_, i) => `${SUBNET[system]}.${11 + i}`);
  const hostsFile = names.map((p, i) => `${ips[i]} ${p}.${sts.spec.serviceName}.${sts.metadata.namespace}.svc.cluster.local ${p}\n`).join('');
  // every Secret this test stands in for holds secretValue (under the key the manifest names)
  const files: Record<string, string> = {};
  for (const m of (c.volumeMounts ?? []) as Obj[]) {
    const v = ((pod.volumes ?? []) as Obj[]).find((x) => x.name === m.name);
    if (!v) continue;
    if (v.configMap) for (const [k, text] of Object.entries(configMap(v.configMap.name as string))) files[`${m.mountPath}/${k}`] = text;
    if (v.secret) files[`${m.mountPath}/secret`] = `${secretValue}\n`;
  }
  const base: Record<string, string> = {};
  for (const ref of (c.envFrom ?? []) as Obj[]) Object.assign(base, configMap(ref.configMapRef.name as string));
  const envOf = (i: number): Record<string, string> => {
    const env: Record<string, string> = { ...base, HOSTNAME: names[i]! };
    for (const e of (c.env ?? []) as Obj[]) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom?.fieldRef?.fieldPath === 'status.podIP') env[e.name] = ips[i]!;
      else if (e.valueFrom?.secretKeyRef) env[e.name] = secretValue;
      else throw new Error(`${system}.yaml: env ${e.name} has a source this test does not stand in for`);
    }
    return env;
  };
  const probe = c.readinessProbe as Obj;
  const health = (i: number): string[] =>
    probe.grpc
      ? ['qk-probe', 'grpc', `${ips[i]}:${probe.grpc.port}`, ...(probe.grpc.service !== undefined ? [probe.grpc.service as string] : [])]
      : ['qk-probe', 'tcp', `${ips[i]}:${probe.tcpSocket.port}`];
  const pods = names.map((name, i) => ({ name, ip: ips[i]!, command: c.args as string[], env: envOf(i), bootable: 'QK_BOOTSTRAP' in base, health: health(i) }));
  const job = objs.find((o) => o.kind === 'Job');
  return { pods, files, hostsFile, ...(job ? { jobArgs: job.spec.template.spec.containers[0].args as string[] } : {}) };
}
