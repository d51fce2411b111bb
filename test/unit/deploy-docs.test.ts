/**
 * docs/deploy.md tells the truth: its Kubernetes manifests parse, the replicas' container
 * arguments are ones `gymhost serve` accepts (serveOptions), and the nginx configuration in
 * its ConfigMap is exactly what `gymhost nginx-config` prints for the StatefulSet's replicas.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { serveOptions } from '../../src/cli/serve-command.js';
import { nginxConfig } from '../../src/server/cluster/nginx-config.js';

const DOC = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');

function manifests(): any[] {
  const blocks = [...DOC.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.equal(blocks.length, 1, 'one block of manifests');
  const docs = parseAllDocuments(blocks[0]);
  for (const d of docs) assert.deepEqual(d.errors, [], String(d.errors));
  return docs.map((d) => d.toJS());
}

test('docs/deploy.md: the manifests parse, and the replicas run `gymhost serve` with options it accepts', () => {
  const all = manifests();
  assert.deepEqual(all.map((m) => m.kind), ['Secret', 'Service', 'StatefulSet', 'ConfigMap', 'Deployment', 'Service']);
  const set = all.find((m) => m.kind === 'StatefulSet');
  const container = set.spec.template.spec.containers[0];
  assert.equal(container.args[0], 'serve');
  // Kubernetes puts the env values in for $(NAME).
  const values: Record<string, string> = { POD_NAME: 'gymhost-0', DATABASE_URL: 'postgres://gymhost:pw@db.internal:5432/gymhost' };
  const args = container.args.slice(1).map((a: string) => a.replace(/\$\((\w+)\)/g, (_: string, n: string) => values[n]));
  const o = serveOptions(args, {});
  assert.equal(o.replica, 'gymhost-0');
  assert.equal(o.database, values.DATABASE_URL);
  assert.equal(o.host, '0.0.0.0');
  assert.deepEqual(container.env.map((e: { name: string }) => e.name).sort(), Object.keys(values).sort());
  assert.equal(container.readinessProbe.httpGet.path, '/healthz');
});

test("docs/deploy.md: the ConfigMap's nginx configuration is gymhost nginx-config's output for the StatefulSet's replicas", () => {
  const all = manifests();
  const set = all.find((m) => m.kind === 'StatefulSet');
  const replicas = Array.from({ length: set.spec.replicas }, (_, i) => ({ grpc: `gymhost-${i}.gymhost:50051`, http: `gymhost-${i}.gymhost:8080` }));
  const conf = all.find((m) => m.kind === 'ConfigMap').data['gymhost.conf'];
  assert.equal(conf, nginxConfig({ replicas, grpcListen: '0.0.0.0:50051', httpListen: '0.0.0.0:8080' }));
});
