import { describe, expect, it } from 'vitest';
import { parseEnvFile } from './env-file.js';
import { formatEnvValue } from './render.js';

const PATH = '/srv/shopdb/.env';
const valuesOf = (text: string): Record<string, string> =>
  Object.fromEntries([...parseEnvFile(text, PATH).entries].map(([name, entry]) => [name, entry.value]));

describe('parseEnvFile', () => {
  it('reads NAME=value lines, export, comments and the three kinds of quotes', () => {
    const text = [
      '# a comment',
      '',
      'DB_HOST=db01',
      '  export HTTP_PORT = 9000  ',
      "COOKIE_DOMAIN='plant.example'",
      'LDAP_BIND_DN="CN=svc shopdb,DC=plant"',
      'SHOPDB_SITE_NAME=`plant3`',
      'LOG_LEVEL=info # inline comment',
      'DB_PASSWORD=pa#ss',
      'EMPTY=',
    ].join('\r\n');

    expect(valuesOf(text)).toEqual({
      DB_HOST: 'db01',
      HTTP_PORT: '9000',
      COOKIE_DOMAIN: 'plant.example',
      LDAP_BIND_DN: 'CN=svc shopdb,DC=plant',
      SHOPDB_SITE_NAME: 'plant3',
      LOG_LEVEL: 'info',
      DB_PASSWORD: 'pa#ss',
      EMPTY: '',
    });
  });

  it('keeps a quoted value that spans lines, and the line its name is on', () => {
    const parsed = parseEnvFile('A="one\ntwo"\nB=\'x\\ny\'\nC="3"\n', PATH);

    expect(parsed.entries.get('A')).toEqual({ value: 'one\ntwo', line: 1 });
    expect(parsed.entries.get('B')).toEqual({ value: 'x\\ny', line: 3 });
    expect(parsed.entries.get('C')).toEqual({ value: '3', line: 4 });
    expect(parsed.problems).toEqual([]);
  });

  it('reports a line without "=" with its number instead of gluing it to the next name', () => {
    const parsed = parseEnvFile('DB_HOST=db01\nJWT_SECRET\nHTTP_PORT=9000\n', PATH);

    expect(parsed.problems).toEqual([
      {
        variable: 'JWT_SECRET (line 2)',
        problem: `has no "=" (in ${PATH})`,
        fix: 'write JWT_SECRET=<value>, or start the line with # to make it a comment',
      },
    ]);
    expect(valuesOf('DB_HOST=db01\nJWT_SECRET\nHTTP_PORT=9000\n')).toEqual({ DB_HOST: 'db01', HTTP_PORT: '9000' });
  });

  it('does not echo a stray line that is not a name: it may be a pasted secret', () => {
    const parsed = parseEnvFile('JWT_SECRET=\nq7Wm Z2vN8x L4pR6t\n', PATH);

    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0]!.variable).toBe('line 2');
    expect(JSON.stringify(parsed.problems)).not.toContain('q7Wm');
  });

  it.each([
    ['=value', 'line 1', 'has no name before "="'],
    ['DB HOST=db01', 'line 1', 'does not start with a variable name'],
    ['A="never closed\nB=2', 'A (line 1)', 'opens a " quote that is never closed'],
    ["A='x' y", 'A (line 1)', "has text after its closing '"],
  ])('refuses %j, naming the line', (text, variable, problem) => {
    const parsed = parseEnvFile(text, PATH);

    expect(parsed.problems).toEqual([expect.objectContaining({ variable, problem: `${problem} (in ${PATH})` })]);
  });

  it('goes on after an unclosed quote, so the lines after it are still read', () => {
    expect(valuesOf('A="never closed\nB=2\n')).toEqual({ B: '2' });
  });

  it('warns about a name set twice with both line numbers, and the last one wins', () => {
    const parsed = parseEnvFile('DB_HOST=db01\nHTTP_PORT=1\n\nDB_HOST=db02\n', PATH);

    expect(parsed.entries.get('DB_HOST')).toEqual({ value: 'db02', line: 4 });
    expect(parsed.problems).toEqual([]);
    expect(parsed.warnings).toEqual([
      {
        variable: 'DB_HOST',
        problem: `is set on line 1 and again on line 4 (in ${PATH}); line 4 wins`,
        fix: 'keep one DB_HOST= line and delete the other',
      },
    ]);
  });

  it('names every line of a name set three times', () => {
    const parsed = parseEnvFile('A=1\nA=2\nA=3\n', PATH);

    expect(parsed.warnings[0]!.problem).toBe(`is set on lines 1 and 2 and again on line 3 (in ${PATH}); line 3 wins`);
  });

  it.each([
    ['a bare value', 'plain-value_1.2:3@host,x+y=z'],
    ['spaces and #', 'Shop floor #7 password'],
    ['a single quote', "pa55'word with space"],
    ['a backslash and a dollar', 'a\\b$c d'],
    ['a JSON object', '{"CN=Admins,DC=plant":"admin"}'],
  ])('reads back what the renderer writes: %s', (_what, value) => {
    expect(valuesOf(`VALUE=${formatEnvValue('VALUE', value)}\n`)).toEqual({ VALUE: value });
  });
});
