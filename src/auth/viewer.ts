import type { Role } from '../domain/vocabulary.js';

/** Who a verified bearer token speaks for. The restaurant comes from here and nowhere else. */
export interface Viewer {
  id: string;
  name: string | null;
  role: Role;
  restaurantId: string;
  /** Seconds since the epoch, from `exp`. */
  expiresAt: number;
}

/** Milliseconds until the viewer's token expires, as a timer can take them (setTimeout's limit is 2^31 - 1). */
export const msUntilExpiry = (viewer: Viewer): number => Math.min(Math.max(viewer.expiresAt * 1000 - Date.now(), 0), 2 ** 31 - 1);
