/**
 * A backend for the namespace tests: `node ns-backend.ts HOST PORT` serves GET /health (200) until
 * stdin closes (so it dies with the test that started it).
 */
import http from 'node:http';

const [host, port] = process.argv.slice(2);
const server = http.createServer((req, res) => res.writeHead(req.url === '/health' ? 200 : 404).end('ok'));
server.listen(Number(port), host, () => process.stdout.write('listening\n'));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
