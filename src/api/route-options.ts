/**
 * What every route plugin receives. A new resource is one plugin file taking these options, added
 * to RESOURCE_PLUGINS in api-server.ts.
 */
import type { OverwatchControl } from '../overwatch/index.ts';
import type { RouteIndex } from './route-index.ts';

export interface ApiRouteOptions {
  control: OverwatchControl;
  /** Every registered route; the discovery plugin lists it. */
  routes: RouteIndex;
}
