import { parseArgs } from 'node:util';
import { ROLES, type Role } from '../core/sessions/caller.js';
import { QUOTA_NAMES, checkQuotaOverrides, type Quotas } from '../server/auth/quotas.js';
import { readUsersFile, withUser, writeUsersFile } from '../server/auth/users-file.js';

export const USERS_USAGE = `gymhost users: manage the users file of \`gymhost serve --users FILE\`

  gymhost users add NAME --role student|instructor|admin --file FILE [--quota NAME=VALUE ...]
      creates the user (and FILE if missing) and prints its token as the last line of stdout;
      only the token's SHA-256 is stored, so keep the token: it is shown once
  gymhost users rotate NAME --file FILE
      gives the user a new token (printed as the last line); the old one stops working
  gymhost users remove NAME --file FILE
      removes the user; its token stops working (its sessions and agents stay until deleted or expired)
  gymhost users list --file FILE
      one line per user: name, role, created, quota overrides

Quotas (--quota, repeatable): ${QUOTA_NAMES.join(', ')}; e.g. --quota memoryBytes=2147483648.
A running server reads the file again on SIGHUP (kill -HUP <pid>).
`;

/** `gymhost users ...`; returns the exit code (2 for bad usage). */
export function usersCommand(argv: string[]): number {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USERS_USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  try {
    return run(argv);
  } catch (err) {
    process.stderr.write(`gymhost users: ${(err as Error).message}\n\n${USERS_USAGE}`);
    return 2;
  }
}

function run(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      file: { type: 'string' },
      quota: { type: 'string', multiple: true },
    },
  });
  const [action, name, ...extra] = positionals;
  if (extra.length > 0) throw new Error(`unexpected arguments: ${extra.join(' ')}`);
  const file = values.file ?? process.env.GYMHOST_USERS;
  if (!file) throw new Error('--file FILE is required (or GYMHOST_USERS)');
  switch (action) {
    case 'add': {
      if (!name) throw new Error('users add needs a NAME');
      const role = values.role;
      if (!role || !(ROLES as readonly string[]).includes(role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
      const data = readUsersFile(file, true);
      if (data.users[name]) throw new Error(`user '${name}' exists; use \`gymhost users rotate ${name}\` for a new token`);
      const quotas = parseQuotas(values.quota ?? []);
      const { data: next, token } = withUser(data, name, role as Role, quotas);
      writeUsersFile(file, next);
      console.log(`added ${role} '${name}' to ${file}; its token (shown once):`);
      console.log(token);
      return 0;
    }
    case 'rotate': {
      if (!name) throw new Error('users rotate needs a NAME');
      const data = readUsersFile(file);
      const user = data.users[name];
      if (!user) throw new Error(`no user '${name}' in ${file}`);
      const { data: next, token } = withUser(data, name, user.role, user.quotas);
      writeUsersFile(file, next);
      console.log(`new token of '${name}' (the old one no longer works once the server reloads the file):`);
      console.log(token);
      return 0;
    }
    case 'remove': {
      if (!name) throw new Error('users remove needs a NAME');
      const data = readUsersFile(file);
      if (!data.users[name]) throw new Error(`no user '${name}' in ${file}`);
      const users = { ...data.users };
      delete users[name];
      writeUsersFile(file, { ...data, users });
      console.log(`removed '${name}' from ${file}`);
      return 0;
    }
    case 'list': {
      if (name) throw new Error('users list takes no NAME');
      const data = readUsersFile(file);
      const rows = Object.entries(data.users).map(([n, u]) => [n, u.role, u.createdAt, u.quotas ? JSON.stringify(u.quotas) : '']);
      const header = ['NAME', 'ROLE', 'CREATED', 'QUOTAS'];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
      return 0;
    }
    default:
      throw new Error(`unknown action '${action ?? ''}': add, rotate, remove or list`);
  }
}

function parseQuotas(items: string[]): Partial<Quotas> {
  const raw: Record<string, number> = {};
  for (const item of items) {
    const m = /^([A-Za-z]+)=(.+)$/.exec(item);
    if (!m) throw new Error(`--quota takes NAME=VALUE, got '${item}'`);
    raw[m[1]] = Number(m[2]);
  }
  return checkQuotaOverrides(raw, '--quota');
}
