import protobuf from 'protobufjs';
import { API_VERSION, VERSION } from '../version.js';
import { jsonName, messageType } from './json.js';
import type { Route } from './routes.js';

type Schema = Record<string, unknown>;

const SCALARS: Record<string, Schema> = {
  double: { type: 'number' },
  float: { type: 'number' },
  int32: { type: 'integer', format: 'int32' },
  uint32: { type: 'integer', format: 'int32' },
  sint32: { type: 'integer', format: 'int32' },
  int64: { type: 'integer', format: 'int64' },
  uint64: { type: 'integer', format: 'int64' },
  sint64: { type: 'integer', format: 'int64' },
  bool: { type: 'boolean' },
  string: { type: 'string' },
  bytes: { type: 'string', format: 'byte' },
};

const SPECIAL: Record<string, Schema> = {
  'gymhost.v1.SpaceValue': {
    description: 'A Discrete integer, or a (nested) array of numbers for a Box space',
    oneOf: [{ type: 'integer' }, { type: 'array', items: {} }],
  },
  'gymhost.v1.Tensor': { description: 'A (nested) array of numbers; first dimension num_envs where batched', type: 'array', items: {} },
  'google.protobuf.Struct': { type: 'object', additionalProperties: true },
  'google.protobuf.Value': {},
  'google.protobuf.Timestamp': { type: 'string', format: 'date-time' },
};

/** The OpenAPI 3.1 document of the REST routes, with schemas derived from the .proto messages. */
export function buildOpenApi(routes: readonly Route[]): Schema {
  const schemas: Record<string, Schema> = {};
  const ref = (t: protobuf.Type | protobuf.Enum): Schema => {
    const name = t.fullName.replace(/^\./, '');
    if (SPECIAL[name]) return SPECIAL[name];
    if (!schemas[name]) {
      schemas[name] = {};
      schemas[name] = t instanceof protobuf.Enum ? { type: 'string', enum: Object.keys(t.values) } : messageSchema(t, ref);
    }
    return { $ref: `#/components/schemas/${name}` };
  };
  schemas.Error = {
    type: 'object',
    description: 'Every error: code is the gRPC status name, details[0] names the field and the reason',
    properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'array', items: ref(messageType('gymhost.v1.ErrorDetail')) } },
  };

  const paths: Record<string, Record<string, Schema>> = {};
  for (const r of routes) {
    const reqType = messageType(r.request.name);
    const resType = messageType(r.unwrap?.name ?? r.response.name);
    const pathParams = [...r.openapiPath.matchAll(/\{(\w+)\}/g)].map((x) => x[1]);
    const op: Schema = {
      operationId: r.rpc,
      summary: r.summary,
      tags: [r.path.startsWith('/v1/agent') ? 'AgentService' : 'EnvService'],
      parameters: [
        ...pathParams.map((p) => ({ name: p, in: 'path', required: true, schema: { type: 'string' } })),
        ...(r.method === 'post'
          ? []
          : Object.values(reqType.fields)
              .filter((f) => !pathParams.includes(f.name))
              .map((f) => ({ name: jsonName(f), in: 'query', required: false, schema: fieldSchema(f, ref) }))),
      ],
      responses: {
        '200': { description: 'OK', content: { 'application/json': { schema: ref(resType) } } },
        default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
    if (r.method === 'post') {
      op.requestBody = { required: false, content: { 'application/json': { schema: ref(reqType) } } };
    }
    (paths[r.openapiPath] ??= {})[r.method] = op;
  }
  paths['/healthz'] = {
    get: { operationId: 'Healthz', summary: 'Liveness: {"status": "SERVING"}', responses: { '200': { description: 'serving' }, '503': { description: 'not serving' } } },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'gymhost', version: VERSION, description: `REST mirror of ${API_VERSION} (the gRPC API). JSON follows the proto3 JSON mapping, except observations and actions (plain numbers or arrays).` },
    paths,
    components: { schemas },
  };
}

function messageSchema(t: protobuf.Type, ref: (t: protobuf.Type | protobuf.Enum) => Schema): Schema {
  const properties: Record<string, Schema> = {};
  for (const f of Object.values(t.fields)) {
    const s = fieldSchema(f, ref);
    properties[jsonName(f)] = f.comment ? { ...s, description: f.comment } : s;
  }
  return { type: 'object', ...(t.comment ? { description: t.comment } : {}), properties, additionalProperties: false };
}

function fieldSchema(f: protobuf.Field, ref: (t: protobuf.Type | protobuf.Enum) => Schema): Schema {
  const one = f.resolvedType ? ref(f.resolvedType as protobuf.Type | protobuf.Enum) : SCALARS[f.type] ?? {};
  return f.repeated ? { type: 'array', items: one } : one;
}
