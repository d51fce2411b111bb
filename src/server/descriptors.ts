/**
 * The API's schema at run time: the FileDescriptorSets that `npm run gen` builds with buf
 * (src/gen/gymhost.binpb: the gymhost.v1 and dm_env_rpc.v1 files and their imports, with
 * their comments; src/gen/health.binpb: grpc.health.v1). gRPC reflection serves their bytes
 * (grpc/server.ts) and the REST layer and its OpenAPI document read the messages from them
 * (rest/json.ts, rest/openapi.ts); no .proto text is parsed at run time. The gRPC services
 * (de)serialize with the ts-proto code generated from the same .proto files in the same
 * `npm run gen` (the test command checks both are up to date).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

// protobufjs's descriptor extension (CommonJS, its exports assigned at run time, so required):
// the descriptor.proto messages, and Root.fromDescriptor, which it adds to protobufjs.
const descriptor = createRequire(import.meta.url)('protobufjs/ext/descriptor') as typeof import('protobufjs/ext/descriptor/index.js');

export const DESCRIPTOR_SET = fileURLToPath(new URL('../gen/gymhost.binpb', import.meta.url));
export const HEALTH_DESCRIPTOR_SET = fileURLToPath(new URL('../gen/health.binpb', import.meta.url));

/** The serialized FileDescriptorProtos in a FileDescriptorSet file (field 1, repeated). */
export function descriptorFiles(file: string): Buffer[] {
  const reader = protobuf.Reader.create(readFileSync(file));
  const files: Buffer[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) files.push(Buffer.from(reader.bytes()));
    else reader.skipType(tag & 7);
  }
  return files;
}

interface Location {
  path?: number[];
  leadingComments?: string;
  trailingComments?: string;
}
interface MessageDescriptor {
  name: string;
  field?: { name: string }[];
  nestedType?: MessageDescriptor[];
  enumType?: { name: string }[];
}
interface FileDescriptor {
  package?: string;
  messageType?: MessageDescriptor[];
  enumType?: { name: string }[];
  sourceCodeInfo?: { location?: Location[] };
}

// Field numbers in descriptor.proto, as they appear in SourceCodeInfo paths.
const FILE_MESSAGE = 4;
const FILE_ENUM = 5;
const MESSAGE_FIELD = 2;
const MESSAGE_NESTED = 3;
const MESSAGE_ENUM = 4;

/**
 * The messages, enums and services of the descriptor set `file` as a resolved protobufjs Root,
 * with the same names as in the .proto files (snake_case fields) and each message's, field's
 * and enum's comment (`comment`) taken from the set's source info: the leading comment, else
 * a field's trailing one.
 */
export function descriptorRoot(file = DESCRIPTOR_SET): protobuf.Root {
  const set = descriptor.FileDescriptorSet.decode(readFileSync(file)) as unknown as { file: FileDescriptor[] };
  const root = (protobuf.Root as unknown as { fromDescriptor(set: unknown): protobuf.Root }).fromDescriptor(set);
  for (const f of set.file) attachComments(root, f);
  return root;
}

function attachComments(root: protobuf.Root, file: FileDescriptor): void {
  const comments = new Map<string, Location>();
  for (const loc of file.sourceCodeInfo?.location ?? []) if (loc.path) comments.set(loc.path.join('.'), loc);
  const comment = (path: number[], trailing: boolean): string | null => {
    const loc = comments.get(path.join('.'));
    const text = loc?.leadingComments || (trailing ? loc?.trailingComments : undefined);
    return text ? cleanComment(text) : null;
  };
  const prefix = file.package ? `${file.package}.` : '';
  const visitMessage = (m: MessageDescriptor, name: string, path: number[]): void => {
    const type = root.lookupType(name);
    type.comment = comment(path, false);
    (m.field ?? []).forEach((f, i) => {
      const field = type.fields[f.name];
      if (field) field.comment = comment([...path, MESSAGE_FIELD, i], true);
    });
    (m.nestedType ?? []).forEach((n, i) => visitMessage(n, `${name}.${n.name}`, [...path, MESSAGE_NESTED, i]));
    (m.enumType ?? []).forEach((e, i) => (root.lookupEnum(`${name}.${e.name}`).comment = comment([...path, MESSAGE_ENUM, i], false)));
  };
  (file.messageType ?? []).forEach((m, i) => visitMessage(m, prefix + m.name, [FILE_MESSAGE, i]));
  (file.enumType ?? []).forEach((e, i) => (root.lookupEnum(prefix + e.name).comment = comment([FILE_ENUM, i], false)));
}

/** A comment as written without its markers: each line trimmed (and a block comment's leading '*'). */
function cleanComment(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/^\s*\*?\/*/, '').trim())
    .join('\n')
    .trim();
}
