/**
 * Builds the optional native addon (native/udp-batch: recvmmsg/sendmmsg UDP I/O) with node-gyp and
 * the machine's C++ compiler. Runs as the package's `install` script, so `npm ci` builds it; also
 * `npm run build:native`. Never fails the install: without the addon the DNS server uses Node's
 * dgram (dns.udp_io: auto), and says so in its log. OPENGSLB_NATIVE_REQUIRED=1 makes a failed
 * build an error (CI, where the tests must exercise the native path).
 *
 * Headers: the running Node's own when they can be found (the `node` npm package ships them beside
 * its binary), else node-gyp's default (npm's `nodedir`, or a download). Node-API is ABI-stable, so
 * an addon built against an older Node's headers loads in this one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const addonDir = path.join(root, 'native', 'udp-batch');
const required = process.env.OPENGSLB_NATIVE_REQUIRED === '1';

function give(reason: string): never {
  const message = `native udp-batch addon not built (${reason}); the DNS server will use the pure-JS dgram path`;
  console.warn(`opengslb: ${message}`);
  process.exit(required ? 1 : 0);
}

/** npm sets npm_config_node_gyp for scripts; outside npm, use the node-gyp bundled with npm. */
function findNodeGyp(): string | undefined {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return fromNpm;
  const which = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' });
  const npm = which.stdout.trim();
  if (which.status !== 0 || npm === '') return undefined;
  const bundled = path.join(path.dirname(realpathSync(npm)), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  return existsSync(bundled) ? bundled : undefined;
}

/**
 * A directory with include/node/node_api.h: the running Node's own if it is around, else npm's
 * `nodedir` setting (read from npm when this runs outside it).
 */
function findNodeDir(): string | undefined {
  const npmNodeDir = process.env.npm_config_nodedir ?? spawnSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' }).stdout?.trim();
  const candidates = [
    path.resolve(realpathSync(process.execPath), '..', '..'),
    path.join(root, 'node_modules', 'node', 'node_modules', `node-${process.platform}-${process.arch}`),
    npmNodeDir,
  ];
  return candidates.find((dir) => dir && existsSync(path.join(dir, 'include', 'node', 'node_api.h')));
}

if (process.platform !== 'linux') give(`recvmmsg/sendmmsg are Linux-only; platform is ${process.platform}`);
const nodeGyp = findNodeGyp();
if (nodeGyp === undefined) give('node-gyp not found: run through npm (npm run build:native)');
const nodeDir = findNodeDir();
const args = [nodeGyp, 'rebuild', `--directory=${addonDir}`, ...(nodeDir ? [`--nodedir=${nodeDir}`] : [])];
console.log(`opengslb: building native/udp-batch with ${nodeDir ? `the headers in ${nodeDir}` : "node-gyp's default headers"}`);
const build = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: addonDir });
if (build.status !== 0) give(`node-gyp exited with ${build.status ?? build.signal}`);
try {
  createRequire(import.meta.url)(path.join(addonDir, 'build', 'Release', 'udp_batch.node'));
} catch (err) {
  give(`built but does not load: ${(err as Error).message}`);
}
console.log('opengslb: native/udp-batch built');
