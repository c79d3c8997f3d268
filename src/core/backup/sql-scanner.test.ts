import { describe, expect, it } from 'vitest';
import { DumpRejectedError } from './dump-policy.js';
import { MARIADB_SANDBOX_LINE, SqlDumpScanner, type SqlScanOptions } from './sql-scanner.js';

/** What mariadb-dump 10.11 writes for a table with a trigger and a view (abridged). */
const MARIADB_DUMP = `${MARIADB_SANDBOX_LINE} 
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;

--
-- Table structure for table \`t\`
--

DROP TABLE IF EXISTS \`t\`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
CREATE TABLE \`t\` (
  \`id\` int(11) NOT NULL,
  \`s\` varchar(50) DEFAULT NULL COMMENT 'a ; b',
  PRIMARY KEY (\`id\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

LOCK TABLES \`t\` WRITE;
/*!40000 ALTER TABLE \`t\` DISABLE KEYS */;
INSERT INTO \`t\` VALUES
(1,'a;b'),
(2,'it\\'s \\\\ ),( ; -- not a comment'),
(3,"dq ' ; \\" x");
/*!40000 ALTER TABLE \`t\` ENABLE KEYS */;
UNLOCK TABLES;
/*!50003 SET sql_mode              = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO' */ ;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=\`root\`@\`localhost\`*/ /*!50003 trigger trg before insert on t for each row begin set new.s=concat(new.s,'!'); set new.id = new.id; end
*/;;
DELIMITER ;
DROP TABLE IF EXISTS \`v\`;
/*!50001 DROP VIEW IF EXISTS \`v\`*/;
/*!50001 CREATE VIEW \`v\` AS SELECT
 NULL AS \`id\` */;
/*!50001 DROP VIEW IF EXISTS \`v\`*/;
/*!50001 CREATE ALGORITHM=UNDEFINED */
/*!50013 DEFINER=\`root\`@\`localhost\` SQL SECURITY DEFINER */
/*!50001 VIEW \`v\` AS select \`t\`.\`id\` AS \`id\` from \`t\` */;
CREATE TABLE \`empty_one\` (\`id\` int) ENGINE=InnoDB;
/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;

-- Dump completed on 2026-11-27 12:01:08
`;

function scan(text: string, options: SqlScanOptions = {}, chunkSize = 1 << 16) {
  const scanner = new SqlDumpScanner(options);
  const input = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunkSize) out.push(...scanner.push(input.subarray(i, i + chunkSize)));
  out.push(...scanner.end());
  return { output: Buffer.concat(out).toString(), summary: scanner.summary() };
}

function rejection(text: string): string {
  try {
    scan(text);
  } catch (error) {
    expect(error).toBeInstanceOf(DumpRejectedError);
    return (error as Error).message;
  }
  throw new Error(`accepted: ${text}`);
}

describe('SqlDumpScanner', () => {
  it('passes a mariadb-dump dump through unchanged and counts the rows of each table', () => {
    const { output, summary } = scan(MARIADB_DUMP);

    expect(output).toBe(MARIADB_DUMP);
    expect(summary.tables).toEqual({ t: 3, empty_one: 0 });
    expect(summary.sandboxLine).toBe(true);
  });

  it('gives the same result whatever the chunk boundaries', () => {
    const whole = scan(MARIADB_DUMP);
    for (const size of [1, 2, 3, 7, 64]) {
      const chunked = scan(MARIADB_DUMP, {}, size);
      expect(chunked.output, `chunks of ${size}`).toBe(whole.output);
      expect(chunked.summary).toEqual(whole.summary);
    }
  });

  it("leaves out MariaDB's sandbox line when asked (for MySQL's client)", () => {
    const { output } = scan(MARIADB_DUMP, { sandboxLine: 'strip' });
    expect(output).toBe(MARIADB_DUMP.slice(MARIADB_DUMP.indexOf('\n') + 1));
  });

  it('refuses statements that reach outside the database or run client commands', () => {
    const refused = [
      'USE other;',
      'CREATE DATABASE x;',
      'DROP DATABASE shopdb;',
      "GRANT ALL ON *.* TO 'x'@'%';",
      'INSERT INTO `other`.`t` VALUES (1);',
      'DROP TABLE IF EXISTS `t`, other.u;',
      "SELECT * FROM users INTO OUTFILE '/tmp/x';",
      "LOAD DATA INFILE '/etc/passwd' INTO TABLE t;",
      'SET GLOBAL general_log = 1;',
      'SET @@GLOBAL.read_only = 1;',
      'SET NAMES gbk;',
      "SET sql_mode = 'ANSI,NO_BACKSLASH_ESCAPES';",
      'SET STATEMENT max_statement_time=1 FOR DROP DATABASE x;',
      'CREATE TABLE t LIKE other.t;',
      "CREATE TABLE t (id int) DATA DIRECTORY='/var/lib/other';",
      "CREATE TABLE t (id int) ENGINE=CONNECT table_type=DOS file_name='/etc/passwd';",
      'INSERT INTO t SELECT * FROM other.t;',
      'ALTER TABLE t RENAME TO other.t;',
      'CALL p();',
      '\\! rm -rf /\n',
      'system rm -rf /\n',
      "INSERT INTO t VALUES ('a\\\\');DROP DATABASE x;",
    ];
    for (const statement of refused) expect(rejection(statement), statement).toMatch(/does not restore|client command/);
  });

  it('keeps an escaped quote inside the string, as the server does', () => {
    const { summary } = scan("CREATE TABLE t (s text);\nINSERT INTO t VALUES ('a\\';DROP DATABASE x;--'),('b');");
    expect(summary.tables).toEqual({ t: 2 });
  });

  it('never releases a byte of a refused statement', () => {
    const scanner = new SqlDumpScanner();
    const released: Buffer[] = [];
    released.push(...scanner.push(Buffer.from('SET NAMES utf8mb4;\nDROP DATA')));
    expect(() => released.push(...scanner.push(Buffer.from('BASE shopdb;\n')))).toThrow(DumpRejectedError);
    expect(Buffer.concat(released).toString()).toBe('SET NAMES utf8mb4;');
  });

  it('refuses a dump that ends inside a string (truncated)', () => {
    expect(() => scan("CREATE TABLE t (s text);\nINSERT INTO t VALUES ('abc")).toThrow(/truncated/);
  });

  it('refuses odd delimiters and overlong statements it cannot check', () => {
    expect(rejection('DELIMITER x\nSELECT 1x\n')).toMatch(/DELIMITER/);
    expect(() => scan(`CREATE TABLE t (${'a int, '.repeat(200)}b int);`, { maxHeldBytes: 512 })).toThrow(/longer than/);
    expect(() => scan(`CREATE TABLE t (${'a int, '.repeat(200)}b int);`, { maxHeldBytes: 512 }, 100)).toThrow(/longer than/);
  });

  it('counts every row of random INSERTs, however the bytes are chunked', () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pieces = ['a', "\\'", '\\\\', ';', '),(', '\\n', 'ö€', '--', '/*', '#', "''", '\\"', '`', 'x'.repeat(50)];
    const text = () => Array.from({ length: Math.floor(random() * 8) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
    let expected = 0;
    const statements = ['CREATE TABLE `t` (`id` int, `s` text, `u` text) ENGINE=InnoDB;'];
    for (let k = 0; k < 40; k++) {
      const rows = 1 + Math.floor(random() * 30);
      expected += rows;
      statements.push(
        `INSERT INTO \`t\` VALUES ${Array.from({ length: rows }, (_, r) => `(${r},'${text()}',${random() < 0.3 ? 'NULL' : `'${text()}'`})`).join(random() < 0.5 ? ',' : ',\n')};`,
      );
    }
    const dump = statements.join('\n') + '\n';
    const whole = scan(dump);
    expect(whole.summary.tables).toEqual({ t: expected });
    expect(whole.output).toBe(dump);
    for (let round = 0; round < 20; round++) {
      const size = 1 + Math.floor(random() * 200);
      const chunked = scan(dump, {}, size);
      expect(chunked.summary.tables, `chunks of ${size}`).toEqual({ t: expected });
      expect(chunked.output).toBe(dump);
    }
  });
});
