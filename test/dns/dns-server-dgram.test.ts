/**
 * The whole dns-server suite again on Node's dgram path (dns.udp_io: js), so the pure-JS fallback
 * keeps passing what the native path passes. Each test file runs in its own process, so setting
 * the variable before importing the suite affects this run only.
 */
process.env.OPENGSLB_TEST_UDP_IO = 'js';
await import('./dns-server.test.ts');
