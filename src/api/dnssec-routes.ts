/**
 * DNSSEC: `GET /api/v1/dnssec/ds` (the DS records to publish in the parent zone, in the guide's
 * JSON) and `GET /api/v1/dnssec/status` (keys, tags, ages, signature cache, next refresh).
 *
 * `/ds?zone=Z` answers the guide's shape `{"zone","ds_records":[...]}` for Z (404 for a zone
 * this Overwatch does not serve). Without `zone`: the same single-object shape when exactly one
 * zone is served (so the guide's example works as written), and `{"zones":[{"zone","ds_records"}]}`
 * when there are several. With DNSSEC off every route answers 404 saying so.
 *
 * Key sync (see dnssec/key-sync.ts): `GET /api/v1/dnssec/sync/keys` is what peers poll (private
 * keys only sealed, 503 without a shared secret), `GET /api/v1/dnssec/sync/status` shows each
 * peer's last success, last error and key tags seen, `POST /api/v1/dnssec/sync` polls now.
 * No route returns a private key in the clear.
 */
import * as z from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { NO_SECRET_ERROR, SYNC_KEYS_PATH, dnssecAccessOf, exportBundle, type DnssecAccess, type DnssecService, type DsView, type PeerSyncStatus } from '../dnssec/index.ts';
import { ApiError, ApiErrorCode } from './api-errors.ts';
import type { ApiRouteOptions } from './route-options.ts';
import { COMMON_ERRORS, errorResponses, isoTime, isoTimeOrNull, TimestampSchema } from './schemas.ts';

const DsRecordSchema = z.object({
  key_tag: z.number().int(),
  algorithm: z.number().int().describe('13 = ECDSAP256SHA256'),
  digest_type: z.number().int().describe('2 = SHA-256'),
  digest: z.string().describe('Hex, uppercase'),
  ds_record: z.string().describe('Presentation form for the parent zone: `zone. IN DS tag alg type digest`'),
});

const ZoneDsSchema = z.object({ zone: z.string(), ds_records: z.array(DsRecordSchema) });
const DsAnswerSchema = z.union([ZoneDsSchema, z.object({ zones: z.array(ZoneDsSchema) })]);

const KeySchema = z.object({
  key_tag: z.number().int(),
  algorithm: z.number().int(),
  flags: z.number().int().describe('257: KSK/CSK (zone key + SEP, its DS goes to the parent); 256: ZSK'),
  public_key: z.string().describe('DNSKEY public key field, base64'),
  created_at: TimestampSchema,
  age_seconds: z.number().int(),
  source: z.string().describe("'local' or 'peer:<url>' (key sync)"),
  signing: z.boolean().describe('signs the zone data (the active ZSK, or the KSK when there is none)'),
  role: z.enum(['ksk', 'zsk']),
  state: z.enum(['active', 'published', 'retiring']).describe('ksk: active = the DS to publish; zsk: published = pre-publication, active = signing, retiring = leaving'),
  active_from: TimestampSchema.nullable().describe('ZSK: when it starts (or started) signing'),
  remove_at: TimestampSchema.nullable().describe('retiring ZSK: when it leaves the DNSKEY RRset'),
});

const StatusSchema = z.object({
  enabled: z.literal(true),
  algorithm: z.string(),
  signature_validity_seconds: z.number().int(),
  zones: z.array(
    z.object({
      zone: z.string(),
      keys: z.array(KeySchema),
      signatures_made: z.number().int(),
      cache_hits: z.number().int(),
      signatures_cached: z.number().int(),
      next_refresh: TimestampSchema.nullable(),
      rollover: z.object({
        zsk_lifetime_seconds: z.number().int().describe('0: no ZSK rollover, the KSK signs everything'),
        next_event: TimestampSchema.nullable().describe('next ZSK activation, removal or successor'),
      }),
    }),
  ),
  generated_at: TimestampSchema,
});

function toJson(view: DsView): z.output<typeof ZoneDsSchema> {
  return {
    zone: view.zone,
    ds_records: view.dsRecords.map((d) => ({
      key_tag: d.keyTag,
      algorithm: d.algorithm,
      digest_type: d.digestType,
      digest: d.digest,
      ds_record: d.dsRecord,
    })),
  };
}

function accessOf(control: object): DnssecAccess {
  const access = dnssecAccessOf(control);
  if (!access) throw new ApiError(ApiErrorCode.NotFound, 'DNSSEC is disabled on this Overwatch (dnssec.enabled: false)');
  return access;
}

function serviceOf(control: object): DnssecService {
  return accessOf(control).service;
}

const SyncKeySchema = z.object({
  key_tag: z.number().int(),
  algorithm: z.number().int(),
  flags: z.number().int(),
  public_key: z.string(),
  created_at_ms: z.number().int(),
  sealed_private_key: z.string().describe('base64(nonce || AES-256-GCM(PKCS#8 PEM) || tag), key derived from the shared secret'),
});

const SyncBundleSchema = z.object({
  version: z.literal(1),
  node_id: z.string(),
  zones: z.array(z.object({ zone: z.string(), keys: z.array(SyncKeySchema) })),
});

const SyncStatusSchema = z.object({
  enabled: z.boolean().describe('peers configured and a shared secret to seal keys with'),
  reason: z.string().optional(),
  poll_interval_seconds: z.number().int(),
  peers: z.array(
    z.object({
      peer: z.string(),
      last_success: TimestampSchema.nullable(),
      last_error: z.string().nullable(),
      last_error_at: TimestampSchema.nullable(),
      failures: z.number().int(),
      keys_adopted: z.number().int(),
      key_tags_seen: z.array(z.object({ zone: z.string(), key_tags: z.array(z.number().int()) })),
    }),
  ),
  signing_keys: z.array(z.object({ zone: z.string(), key_tag: z.number().int(), dnskey_tags: z.array(z.number().int()) })),
  generated_at: TimestampSchema,
});

function peerJson(p: PeerSyncStatus): z.output<typeof SyncStatusSchema>['peers'][number] {
  return {
    peer: p.peer,
    last_success: isoTimeOrNull(p.lastSuccessMs ?? undefined),
    last_error: p.lastError,
    last_error_at: isoTimeOrNull(p.lastErrorMs ?? undefined),
    failures: p.failures,
    keys_adopted: p.keysAdopted,
    key_tags_seen: p.keyTagsSeen.map((z) => ({ zone: z.zone, key_tags: z.keyTags })),
  };
}

function syncStatus(access: DnssecAccess, nowMs: number): z.output<typeof SyncStatusSchema> {
  const sync = access.sync;
  const peers = sync?.status() ?? [];
  const reason = !sync || peers.length === 0 ? 'no dnssec.key_sync.peers configured' : sync.syncKey === null ? NO_SECRET_ERROR : undefined;
  return {
    enabled: reason === undefined,
    ...(reason === undefined ? {} : { reason }),
    poll_interval_seconds: Math.round((sync?.pollIntervalMs ?? access.service.config.keySync.pollIntervalMs) / 1000),
    peers: peers.map(peerJson),
    signing_keys: access.service.status().map((z) => ({
      zone: z.zone,
      key_tag: z.keys.find((k) => k.signing)?.keyTag ?? -1,
      dnskey_tags: z.keys.map((k) => k.keyTag),
    })),
    generated_at: isoTime(nowMs),
  };
}

export const dnssecRoutes: FastifyPluginAsyncZod<ApiRouteOptions> = async (app, { control }) => {
  app.get(
    '/api/v1/dnssec/ds',
    {
      schema: {
        summary: 'DS records to publish in the parent zone',
        tags: ['dnssec'],
        querystring: z.object({ zone: z.string().min(1).max(254).optional().describe('One zone (trailing dot optional)') }),
        response: { 200: DsAnswerSchema, ...errorResponses(400, 404, ...COMMON_ERRORS) },
      },
    },
    (req) => {
      const service = serviceOf(control);
      const wanted = req.query.zone;
      if (wanted !== undefined) {
        const view = service.ds(wanted);
        if (!view) throw new ApiError(ApiErrorCode.NotFound, `zone ${JSON.stringify(wanted)} is not served here; zones: ${service.zones().join(', ')}`);
        return toJson(view);
      }
      const all = service.zones().map((zone) => toJson(service.ds(zone)!));
      return all.length === 1 ? all[0]! : { zones: all };
    },
  );

  app.get(
    '/api/v1/dnssec/status',
    {
      schema: {
        summary: 'Signing keys, key tags and ages, the signature cache and its next refresh',
        tags: ['dnssec'],
        response: { 200: StatusSchema, ...errorResponses(404, ...COMMON_ERRORS) },
      },
    },
    () => {
      const service = serviceOf(control);
      const now = control.nowMs();
      return {
        enabled: true as const,
        algorithm: service.config.algorithm,
        signature_validity_seconds: Math.round(service.config.signatureValidityMs / 1000),
        zones: service.status().map((z) => ({
          zone: z.zone,
          keys: z.keys.map((k) => ({
            key_tag: k.keyTag,
            algorithm: k.algorithm,
            flags: k.flags,
            public_key: k.publicKey,
            created_at: isoTime(k.createdAtMs),
            age_seconds: Math.max(0, Math.floor((now - k.createdAtMs) / 1000)),
            source: k.source,
            signing: k.signing,
            role: k.role,
            state: k.state,
            active_from: isoTimeOrNull(k.activeFromMs ?? undefined),
            remove_at: isoTimeOrNull(k.removeAtMs ?? undefined),
          })),
          signatures_made: z.signaturesMade,
          cache_hits: z.cacheHits,
          signatures_cached: z.signaturesCached,
          next_refresh: isoTimeOrNull(z.nextRefreshMs ?? undefined),
          rollover: { zsk_lifetime_seconds: Math.round(z.rollover.zskLifetimeMs / 1000), next_event: isoTimeOrNull(z.rollover.nextEventMs ?? undefined) },
        })),
        generated_at: isoTime(now),
      };
    },
  );

  app.get(
    SYNC_KEYS_PATH,
    {
      schema: {
        summary: 'Key sync: this node\'s zone keys for peer Overwatches, private keys sealed with the shared secret',
        tags: ['dnssec'],
        response: { 200: SyncBundleSchema, ...errorResponses(404, 503, ...COMMON_ERRORS) },
      },
    },
    () => {
      const access = accessOf(control);
      const syncKey = access.sync?.syncKey ?? null;
      if (syncKey === null) throw new ApiError(ApiErrorCode.Unavailable, NO_SECRET_ERROR);
      return exportBundle(access.service, syncKey, access.nodeId);
    },
  );

  app.get(
    '/api/v1/dnssec/sync/status',
    {
      schema: {
        summary: 'Key sync per peer: last success, last error, key tags seen; and the keys this node signs and publishes',
        tags: ['dnssec'],
        response: { 200: SyncStatusSchema, ...errorResponses(404, ...COMMON_ERRORS) },
      },
    },
    () => syncStatus(accessOf(control), control.nowMs()),
  );

  app.post(
    '/api/v1/dnssec/sync',
    {
      schema: {
        summary: 'Key sync: poll every peer now and answer the resulting status',
        tags: ['dnssec'],
        response: { 200: SyncStatusSchema, ...errorResponses(404, ...COMMON_ERRORS) },
      },
    },
    async () => {
      const access = accessOf(control);
      await access.sync?.syncNow();
      return syncStatus(access, control.nowMs());
    },
  );
};
