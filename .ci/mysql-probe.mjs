// Exits 0 when the MySQL URL in argv[2] accepts a connection, 1 otherwise. Used by .ci/run.
import mysql from 'mysql2/promise';

const url = new URL(process.argv[2]);
try {
  const connection = await mysql.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    connectTimeout: 3000,
  });
  await connection.query('select 1');
  await connection.end();
  process.exit(0);
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
